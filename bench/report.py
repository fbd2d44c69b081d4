#!/usr/bin/env python3
"""bench/report.py -- turn a benchmark run into docs/benchmarks.md.

    bench/report.py BENCH_DIR DOCS/benchmarks.md

Reads what bench/run.sh recorded in BENCH_DIR (results.tsv: one row per wrk
run; cold.tsv: one row per cold-start request; memory.tsv; procs.tsv and
procs_end.tsv: processes through and after (b), (b2) and (b3); start.tsv: (f);
restart.tsv: (g); meta.tsv; the servers' error logs) and

  * rewrites the part of benchmarks.md between the markers
    <!-- bench:begin --> and <!-- bench:end --> (text outside them is kept;
    the file is created with a short header if missing, the markers are
    appended if it has none);
  * writes BENCH_DIR/chart.dat for bench/plot.gp;
  * prints the medians, ratios, errors and targets to stdout.

Data of a run older than (b2), (b3) and (f) (no procs_end.tsv, no
start.tsv, no b2-zipf or b3-zipf rows) still renders: those parts say that
they need a new run and their targets are "not measured".

Only the Python standard library is used.
"""
import collections
import csv
import os
import re
import statistics
import sys

SERVERS = ['prefork', 'itk', 'fpm', 'peruid']
LETTER = dict(zip(SERVERS, 'ABCD'))
SCENARIOS = [
    ('a-static-ka', '(a) static 1 KiB, keep-alive', 'static KA'),
    ('a-static-close', '(a) static 1 KiB, new connection', 'static close'),
    ('a-php-ka', '(a) hello.php, keep-alive', 'PHP KA'),
    ('a-php-close', '(a) hello.php, new connection', 'PHP close'),
    ('b-zipf', '(b) 200 vhosts Zipf, hello.php, new connection', 'mass hosting'),
]
SC_LONG = {k: v for k, v, _ in SCENARIOS}
# (b2): prefork and itk started afresh, and D2, peruid with prefork's limits
SERVERS_B2 = ['prefork', 'itk', 'peruid-limits']
LETTER['peruid-limits'] = 'D2'
B2_LONG = "(b2) 200 vhosts Zipf, hello.php, new connection, peruid with prefork's limits"
# (b3): prefork and D2 with MaxRequestWorkers 64 (meta b3_workers), started
# afresh: peruid's warm workers outnumber MaxRequestWorkers, its routers'
# gate holds connections at the bound
SERVERS_B3 = ['prefork-64', 'peruid-64']
LETTER['prefork-64'] = 'A3'
LETTER['peruid-64'] = 'D3'
LETTER['prefork-rs'] = LETTER['peruid-rs'] = 'G'
# (f): the same 2,000 vhosts under prefork and under peruid
SERVERS_F = ['prefork-2k', 'peruid-2k']
# (g): restarts and stops, the same N vhosts under prefork and under peruid
SERVERS_G = ['prefork-rs', 'peruid-rs']
# (g)'s columns (bench/restart_time.py), with their names in the report
G_COLS = [('restart_gap_ms', '`-k restart`: longest wait of a steady client'),
          ('graceful_gap_ms', '`-k graceful`: longest wait of a steady client'),
          ('stop_ms', '`-k stop`: until every process is gone'),
          ('graceful_stop_ms', '`-k graceful-stop`: until every process is gone')]
# (g) targets: peruid within prefork's time plus this much
G_SLACK_MS = 1000
# (b) must end with fewer workers than this share of the bound
BOUND_SHARE = 0.8
NEEDS_RUN = "not in this run's data (a run older than the scenario, or one cut short): rerun `make bench`"
BEGIN, END = '<!-- bench:begin -->', '<!-- bench:end -->'
ERR_COLS = ['non2xx', 'err_connect', 'err_read', 'err_write', 'err_timeout']


def read_tsv(path):
    if not os.path.exists(path):
        return []
    with open(path, newline='') as f:
        return list(csv.DictReader(f, delimiter='\t'))


def num(v):
    try:
        return float(v)
    except (TypeError, ValueError):
        return None


def med(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def fmt(v, digits=0):
    if v is None:
        return 'n/a'
    return f'{v:,.{digits}f}'


def fmt_ms(v):
    if v is None:
        return 'n/a'
    return f'{v:.2f}' if v < 10 else f'{v:.1f}' if v < 100 else f'{v:.0f}'


def ratio(a, b):
    if a is None or b is None or b == 0:
        return None
    return a / b


def fmt_ratio(r):
    return 'n/a' if r is None else f'{r:.2f}×'


def mib(kb):
    return f'{kb / 1024:.1f} MiB'


class Run:
    def __init__(self, bench_dir):
        self.dir = bench_dir
        self.meta = {}
        meta_path = os.path.join(bench_dir, 'meta.tsv')
        if os.path.exists(meta_path):
            with open(meta_path) as f:
                for line in f:
                    k, _, v = line.rstrip('\n').partition('\t')
                    self.meta[k] = v
        self.rows = read_tsv(os.path.join(bench_dir, 'results.tsv'))
        self.cold = read_tsv(os.path.join(bench_dir, 'cold.tsv'))
        self.memory = {r['server']: r for r in
                       read_tsv(os.path.join(bench_dir, 'memory.tsv'))}
        self.procs = read_tsv(os.path.join(bench_dir, 'procs.tsv'))
        self.procs_end = {(r['scenario'], r['server']): r for r in
                          read_tsv(os.path.join(bench_dir, 'procs_end.tsv'))}
        self.start = read_tsv(os.path.join(bench_dir, 'start.tsv'))
        self.restart = read_tsv(os.path.join(bench_dir, 'restart.tsv'))
        self.rounds = sorted({int(r['round']) for r in self.rows}) or [0]

        # (scenario, server) -> list of rows
        self.runs = collections.defaultdict(list)
        for r in self.rows:
            self.runs[(r['scenario'], r['server'])].append(r)

    def rps(self, sc, s):
        return med(num(r['rps']) for r in self.runs[(sc, s)])

    def rps_range(self, sc, s):
        v = [num(r['rps']) for r in self.runs[(sc, s)] if num(r['rps']) is not None]
        return (min(v), max(v)) if v else (None, None)

    def lat(self, sc, s, col):
        return med(num(r[col]) for r in self.runs[(sc, s)])

    def errors(self, sc, s):
        """summed over rounds: {column: count}"""
        out = {c: 0 for c in ERR_COLS}
        for r in self.runs[(sc, s)]:
            for c in ERR_COLS:
                out[c] += int(num(r[c]) or 0)
        return out

    def requests(self, sc, s):
        return sum(int(num(r['requests']) or 0) for r in self.runs[(sc, s)])

    def warmup_rps(self, sc, s):
        """requests/s of the warm-up before the rounds (raw wrk output)"""
        try:
            with open(os.path.join(self.dir, 'raw', f'{sc}-{s}-warmup.txt')) as f:
                found = re.search(r'^Requests/sec:\s+([\d.]+)', f.read(), re.M)
        except OSError:
            return None
        return float(found.group(1)) if found else None

    def has(self, sc):
        return any(r['scenario'] == sc for r in self.rows)

    def end_procs(self, sc, s):
        """(workers, routers, bound) right after the scenario's last round"""
        r = self.procs_end.get((sc, s))
        if not r:
            return None
        return int(r['workers']), int(r['routers']), int(r['bound'])

    def peak_children(self, sc, s):
        v = [int(r['children']) for r in self.procs
             if r['scenario'] == sc and r['server'] == s]
        return max(v) if v else None

    def start_ms(self, s, col):
        """median, min, max of (f)'s column t_ms or start_ms"""
        v = [num(r[col]) for r in self.start if r['server'] == s]
        v = [x for x in v if x is not None]
        return (med(v), min(v), max(v)) if v else (None, None, None)

    def g_users(self):
        """the user counts (g) was run with, ascending"""
        return sorted({int(r['users']) for r in self.restart})

    def g_ms(self, s, users, col):
        """median, min, max of (g)'s column col for server s, users"""
        v = [num(r[col]) for r in self.restart
             if r['server'] == s and int(r['users']) == users]
        v = [x for x in v if x is not None]
        return (med(v), min(v), max(v)) if v else (None, None, None)

    def g_sum(self, s, users, col):
        return sum(int(num(r[col]) or 0) for r in self.restart
                   if r['server'] == s and int(r['users']) == users)

    def cold_ms(self, s):
        return [num(r['ms']) for r in self.cold if r['server'] == s]

    def cold_bad(self, s):
        return sum(1 for r in self.cold if r['server'] == s and r['http_code'] != '200')

    def cold_median(self, s):
        good = [num(r['ms']) for r in self.cold
                if r['server'] == s and r['http_code'] == '200']
        return med(good)


# --- server logs ---------------------------------------------------------------

HTTPD_RE = re.compile(r'^\[[^\]]*\] \[([^:\]]*):(\w+)\] \[pid [^\]]*\] (?:\[client [^\]]*\] )?(.*)$')
FPM_RE = re.compile(r'^\[[^\]]*\] (\w+): (.*)$')
LEVELS_BAD = {'warn', 'error', 'crit', 'alert', 'emerg',
              'WARNING', 'ERROR', 'ALERT', 'EMERG'}


def normalise(msg):
    msg = re.sub(r'\b\d+\b', 'N', msg)
    return msg[:160]


def scan_file(phases, kind, path, limit):
    """add the lines of one log to phases {phase: (levels, messages)}: up to
    byte offset limit to 'run', the rest to 'stop' (all to 'run' if None)"""
    if not os.path.exists(path):
        return
    limit = int(limit) if limit and limit.isdigit() else None
    with open(path, 'rb') as f:
        data = f.read()
    parts = {'run': data if limit is None else data[:limit],
             'stop': b'' if limit is None else data[limit:]}
    for phase, blob in parts.items():
        levels, msgs = phases[phase]
        for line in blob.decode(errors='replace').splitlines():
            if not line:
                continue
            m = HTTPD_RE.match(line) if kind == 'httpd' else FPM_RE.match(line)
            if m:
                level = m.group(2) if kind == 'httpd' else m.group(1).lower()
                level = {'warning': 'warn'}.get(level, level)
                msg = m.group(3) if kind == 'httpd' else m.group(2)
                msg = f'[{m.group(1)}] {msg}' if kind == 'httpd' else f'[php-fpm] {msg}'
            else:
                level, msg = 'other', line
            levels[level] += 1
            msgs[(level, normalise(msg))] += 1


def new_phases():
    return {p: (collections.Counter(), collections.Counter()) for p in ('run', 'stop')}


def scan_logs(bench_dir, meta):
    """label -> {phase: (Counter level -> n, Counter (level, message) -> n)}
    with phase 'run' (up to the byte offset bench/run.sh recorded right
    before it stopped the servers) and 'stop' (the rest).  Labels: the four
    servers of the main run, then the servers of (b2), (b3) and (f) whose logs
    exist ((f): all its starts and stops, as 'run')."""
    out = {}
    for s in SERVERS:
        d = os.path.join(bench_dir, f'{LETTER[s]}-{s}', 'logs')
        out[s] = new_phases()
        scan_file(out[s], 'httpd', os.path.join(d, 'error_log'), meta.get(f'log_bytes_{s}'))
        if s == 'fpm':
            scan_file(out[s], 'php-fpm', os.path.join(d, 'php-fpm.log'),
                      meta.get('log_bytes_php-fpm'))
    extra = [(f'{LETTER[s]} {s} ({tag})', f'{LETTER[s]}-{s}', f'error_log.{tag}',
              f'log_bytes_{tag}_{s}')
             for tag, servers in (('b2', SERVERS_B2), ('b3', SERVERS_B3)) for s in servers]
    extra += [(f'F {s} (f)', f'F-{s}', 'error_log', None) for s in SERVERS_F]
    extra += [(f'G {s} (g)', f'G-{s}', 'error_log', None) for s in SERVERS_G]
    for label, d, name, key in extra:
        path = os.path.join(bench_dir, d, 'logs', name)
        if os.path.exists(path):
            out[label] = new_phases()
            scan_file(out[label], 'httpd', path, meta.get(key) if key else None)
    return out


def log_label(label):
    """the main servers are named by letter and name, the others already"""
    return f'{LETTER[label]} {label}' if label in SERVERS else label


def bad_lines(levels):
    return sum(v for k, v in levels.items() if k not in ('notice', 'info', 'debug'))


# --- targets ---------------------------------------------------------------------

def targets(run):
    """list of (description, value text, met: True, False or None (not
    measured in this run's data), errors of the peruid server measured)"""
    def r(sc, s, d='peruid'):
        return ratio(run.rps(sc, d), run.rps(sc, s))

    def errs(sc, d='peruid'):
        return sum(run.errors(sc, d).values())

    out = []
    for sc, s, d, k, text in [
        ('a-php-close', 'prefork', 'peruid', 0.85, 'PHP, new connection: peruid ≥ 0.85 × prefork'),
        ('a-php-close', 'itk', 'peruid', 10, 'PHP, new connection: peruid ≥ 10 × itk'),
        ('a-php-close', 'fpm', 'peruid', None, 'PHP, new connection: peruid > fpm'),
        ('a-static-ka', 'prefork', 'peruid', 0.95, 'static, keep-alive: peruid ≥ 0.95 × prefork'),
        ('a-php-ka', 'prefork', 'peruid', 0.95, 'PHP, keep-alive: peruid ≥ 0.95 × prefork'),
        ('b-zipf', 'itk', 'peruid', 5, 'mass hosting (b): peruid ≥ 5 × itk'),
        ('b-zipf', 'prefork', 'peruid', 0.7,
         'mass hosting (b), the documented tuning: peruid ≥ 0.7 × prefork'),
        ('b2-zipf', 'prefork', 'peruid-limits', 0.5,
         "mass hosting (b2), prefork's limits: peruid ≥ 0.5 × prefork"),
        ('b3-zipf', 'prefork-64', 'peruid-64', 0.7,
         'mass hosting (b3), the gate at work: peruid ≥ 0.7 × prefork with the same '
         'MaxRequestWorkers'),
    ]:
        v = r(sc, s, d)
        if not run.has(sc):
            out.append((text, 'n/a', None, 0))
            continue
        met = v is not None and (v > 1 if k is None else v >= k)
        out.append((text, fmt_ratio(v), met, errs(sc, d)))

    end = run.end_procs('b-zipf', 'peruid')
    text = f'mass hosting (b): peruid ends under {BOUND_SHARE:.0%} of its bound on workers'
    if end is None:
        out.append((text, 'n/a', None, 0))
    else:
        w, _, bound = end
        out.append((text, f'{w} of {bound} ({w / bound:.0%})', w < BOUND_SHARE * bound,
                    errs('b-zipf')))

    d, b = run.cold_median('peruid'), run.cold_median('itk')
    met = d is not None and b is not None and d <= b
    out.append(('cold start: peruid median ≤ itk median',
                f'{fmt_ms(d)} ms vs {fmt_ms(b)} ms', met, run.cold_bad('peruid')))

    for col, what in (('t_ms', '`apache2 -t`'), ('start_ms', 'start to first answer')):
        text = f'(f) 2,000 vhosts, {what}: peruid ≤ 2 × prefork'
        d, p = run.start_ms('peruid-2k', col)[0], run.start_ms('prefork-2k', col)[0]
        if d is None or p is None:
            out.append((text, 'n/a', None, 0))
            continue
        v = ratio(d, p)
        out.append((text, f'{fmt_ratio(v)} ({fmt_ms(d)} vs {fmt_ms(p)} ms)',
                    v is not None and v <= 2, 0))
    out.extend(g_targets(run))
    return out


def g_targets(run):
    """(g): peruid's median within prefork's plus G_SLACK_MS, for each user
    count and column; no request lost by the graceful restart, no child
    killed after a stop's grace period"""
    if not run.restart:
        return [(f'(g) restarts and stops: peruid ≤ prefork + {G_SLACK_MS / 1000:g} s, '
                 'nothing lost, no kill', 'n/a', None, 0)]
    out = []
    for n in run.g_users():
        for col, what in G_COLS:
            d, p = run.g_ms('peruid-rs', n, col)[0], run.g_ms('prefork-rs', n, col)[0]
            out.append((f'(g) {n} users, {what.split(":")[0]}: peruid ≤ prefork + '
                        f'{G_SLACK_MS / 1000:g} s', f'{fmt_ms(d)} vs {fmt_ms(p)} ms',
                        d is not None and p is not None and d <= p + G_SLACK_MS, 0))
        lost = run.g_sum('peruid-rs', n, 'graceful_failed')
        kills = run.g_sum('peruid-rs', n, 'kill_lines')
        out.append((f'(g) {n} users: no request lost across `-k graceful`, no AH00045 or '
                    'PU00070', f'{lost} lost, {kills} kill lines', lost == 0 and kills == 0, 0))
    return out


def target_status(met, errors):
    if met is None:
        return 'not measured (not in this run\'s data: rerun `make bench`)'
    s = 'met' if met else 'NOT met'
    if errors:
        s += f' (but peruid had {errors:,} errors)'
    return s


# --- markdown --------------------------------------------------------------------

def md_table(header, rows):
    out = ['| ' + ' | '.join(header) + ' |',
           '|' + '|'.join('---' if i == 0 else '---:' for i in range(len(header))) + '|']
    out += ['| ' + ' | '.join(str(c) for c in row) + ' |' for row in rows]
    return '\n'.join(out)


def server_head():
    return [f'{LETTER[s]} {s}' for s in SERVERS]


def markdown(run, logs):
    m = run.meta
    n_rounds = len(run.rounds)
    L = []
    L.append(f'<!-- generated by bench/report.py from {run.dir}: edit outside '
             'the bench markers only; rerun `make bench` (or `bench/run.sh report`) '
             'to refresh -->')
    L.append('')
    L.append('## Results of the last run')
    L.append('')
    if m.get('BENCH_QUICK') == '1':
        L.append('**A quick run (`BENCH_QUICK=1`): a check that every step runs, with rounds '
                 'too few and too short to compare figures.**')
        L.append('')
    runtime = m.get('runtime_s')
    L.append(f'Run on {m.get("date", "?")}'
             + (f', {int(runtime) // 60} min {int(runtime) % 60} s in all' if runtime else '')
             + f'; {n_rounds} rounds of {m.get("BENCH_DURATION", "?")} per server and scenario, '
             f'wrk -t{m.get("BENCH_THREADS", "?")} -c{m.get("BENCH_CONNS", "?")} --latency, '
             f'warm-up {m.get("BENCH_WARMUP_START", "?")} per server at the start and '
             f'{m.get("BENCH_WARMUP", "?")} per server and scenario '
             f'({m.get("BENCH_WARMUP_B", "?")} for (b), (b2) and (b3)). '
             'Medians over the rounds.')
    L.append('')
    L.append('### Machine and versions')
    L.append('')
    L.append(md_table(['', ''], [
        ['CPU', f'{m.get("host_cpu", "?")}, nproc = {m.get("host_nproc", "?")}'],
        ['RAM', m.get('host_ram', '?')],
        ['OS, kernel', f'{m.get("host_os", "?")}, {m.get("host_kernel", "?")}'],
        ['load average at start', m.get('host_loadavg', '?')],
        ['Apache', f'{m.get("v_apache2", "?")} (apache2 {m.get("dpkg_apache2", "?")})'],
        ['PHP', m.get('v_php', '?')],
        ['libapache2-mod-php8.2', m.get('dpkg_libapache2-mod-php8.2', '?')],
        ['libapache2-mpm-itk', m.get('dpkg_libapache2-mpm-itk', '?')],
        ['php8.2-fpm', m.get('dpkg_php8.2-fpm', '?')],
        ['wrk', m.get('dpkg_wrk', '?')],
        ['peruid module', f'{m.get("module_src", "?")} (sha256 {m.get("module_sha256", "?")}…), '
                          f'commit {m.get("git_commit", "?")}'],
    ]).replace('|---|---:|', '|---|---|'))
    L.append('')
    L.append('### How to reproduce')
    L.append('')
    env = []
    # BENCH_QUICK=1 sets these defaults instead (bench/lib.sh)
    quick = {'BENCH_ROUNDS': '1', 'BENCH_DURATION': '2s', 'BENCH_WARMUP': '1s',
             'BENCH_WARMUP_B': '3s', 'BENCH_WARMUP_START': '1s', 'BENCH_F_ROUNDS': '2'}
    for k, default in [('BENCH_ROUNDS', '5'), ('BENCH_DURATION', '5s'), ('BENCH_CONNS', '16'),
                       ('BENCH_THREADS', '2'), ('BENCH_WARMUP', '2s'), ('BENCH_WARMUP_B', '10s'),
                       ('BENCH_WARMUP_START', '5s'), ('BENCH_F_ROUNDS', '5'),
                       ('BENCH_QUICK', ''),
                       ('BENCH_PORT_BASE', '8300'), ('BENCH_DIR', '/var/tmp/peruid-bench')]:
        if m.get('BENCH_QUICK') == '1':
            default = quick.get(k, default)
        if m.get(k, default) not in (default, ''):
            env.append(f'{k}={m[k]}')
    built = os.path.join(m.get('bench_top', ''), 'mpm_peruid/.libs/mod_mpm_peruid.so')
    so = m.get('peruid_so_env')
    if so and os.path.realpath(so) != os.path.realpath(built):
        env.append(f'PERUID_SO={so}')
    L.append('As root on Debian 12, in the source tree:')
    L.append('')
    L.append('```sh')
    L.append(' '.join(env + ['make bench']) if env else 'make bench')
    L.append('```')
    L.append('')
    L.append('`make bench` builds the module and runs `bench/run.sh` (see `bench/README`). '
             'The servers, on 127.0.0.1, all with the same 241 name-based vhosts, '
             'KeepAlive On, MaxKeepAliveRequests 0, LogLevel warn, no access log:')
    L.append('')
    L.append('* **A prefork** — mpm_prefork + mod_php, everything as www-data (no isolation). '
             f'StartServers 8, MinSpareServers 5, MaxSpareServers {m.get("max_spare", "?")}, '
             'MaxRequestWorkers 256, ServerLimit 256.')
    L.append('* **B itk** — mpm_prefork + mpm-itk + mod_php, `AssignUserID` per vhost '
             '(itk forks a child per connection). Same limits as A.')
    L.append('* **C fpm** — mpm_event (16 threads per process, MaxRequestWorkers 256) + '
             'mod_proxy_fcgi; one php-fpm pool per user over a Unix socket '
             '(`SetHandler proxy:unix:…|fcgi://localhost`, a new FastCGI connection per request). '
             'Pools: `pm = ondemand`, max_children 8, idle timeout 60 s; the pool of s000 '
             '(scenario a) is `pm = static` with 8 children, as a busy site would be configured. '
             'php-fpm reads /etc/php/8.2/fpm/php.ini, mod_php /etc/php/8.2/apache2/php.ini '
             '(Debian defaults for both, opcache on).')
    L.append('* **D peruid** — this module + mod_php, `AssignUserID` per vhost, PeruidRouters '
             f'at its default ({m.get("peruid_routers", "?")} router(s) here), '
             'tuned as docs/directives.md ("Sizing") says: '
             f'StartServers 8, MinSpareServers 0 and MaxSpareServers {m.get("max_spare", "?")} '
             '(server-wide, as under prefork), '
             f'MaxRequestWorkers {m.get("peruid_workers", "?")} and ServerLimit 256 as for A (the busy workers; '
             'the routers take no slot of it), PeruidWarmWorkers at its default (one idle worker per user '
             'plus MaxSpareServers, within a quarter of the RAM; they come on top of MaxRequestWorkers), '
             'PeruidIdleTimeout 30 s (default), PeruidPreforkedWorkers 2 (default 0: two workers '
             'forked ahead, bound to a user on its first request). The concurrency is the same for all four; what the idle workers cost '
             'is under (c).')
    L.append("* **D2 peruid-limits** (scenario b2 only) — D with prefork's limits instead of its "
             'tuning, the numbers the issue measured with: StartServers 8, MinSpareServers 8, '
             'MaxSpareServers 32, MaxRequestWorkers 256, ServerLimit 256, '
             'PeruidWarmWorkers and PeruidPreforkedWorkers at their defaults.')
    b3w = m.get('b3_workers', '64')
    L.append(f'* **A3 prefork-64, D3 peruid-64** (scenario b3 only) — A and D2 with '
             f'MaxRequestWorkers and ServerLimit {b3w} instead of 256 (A3: StartServers 8, '
             f'MinSpareServers 5, MaxSpareServers {m.get("max_spare", "?")}; D3: StartServers 8, '
             'MinSpareServers 8, MaxSpareServers 32, PeruidWarmWorkers and PeruidPreforkedWorkers '
             'at their defaults). D3 keeps a warm worker for each user it served, more workers '
             'than MaxRequestWorkers, so before its routers hand a connection to an idle worker '
             f'they weigh the requests in flight, and hold it while {b3w} are (the gate); '
             f'A3\'s {b3w} children are the bound itself.')
    L.append(f'* **F prefork-2k, peruid-2k** (scenario f only) — {int(m.get("n_start_users", 2000)):,} '
             'vhosts, each under a user of its own (`AssignUserID` inside '
             '`<IfModule mpm_peruid_module>`, so prefork reads the very same vhosts), one document '
             'root, no mod_php, StartServers 5, MinSpareServers 5, MaxSpareServers 10, '
             'MaxRequestWorkers 150 (Debian\'s stock values); the two configs differ in the MPM '
             'and the port only.')
    L.append('')
    L.append('MaxSpareServers is the connections of a round plus 4, so that no server reaps between '
             'two rounds the processes the next round needs (prefork then forks at most 1, 2, 4 … '
             'children per second). Static files are served as httpd does by default '
             '(EnableMMAP On, EnableSendfile Off).')
    L.append('')

    # requests/s
    L.append(f'### Requests per second (median of {n_rounds} rounds; min–max)')
    L.append('')
    rows = []
    for sc, long, _ in SCENARIOS:
        row = [long]
        for s in SERVERS:
            lo, hi = run.rps_range(sc, s)
            row.append(f'**{fmt(run.rps(sc, s))}** ({fmt(lo)}–{fmt(hi)})')
        rows.append(row)
    L.append(md_table(['scenario'] + server_head(), rows))
    L.append('')
    L.append('![requests per second per scenario and server](benchmarks.png)')
    L.append('')
    L.append(f'The ramp of (b): its warm-up ({m.get("BENCH_WARMUP_B", "?")} per server, not in '
             'the medians) starts from what (a) and (e) left, one busy site: php-fpm and peruid '
             'start processes for 200 users in it (prefork\'s children serve any vhost; itk '
             'forks for every connection anyway). Requests/s over the warm-up: '
             + ', '.join(f'{LETTER[s]} {s} {fmt(run.warmup_rps("b-zipf", s))}' for s in SERVERS)
             + '.')
    L.append('')
    L.extend(procs_section(run, 'b-zipf', SERVERS, '(b)', True))

    L.append('### Latency p50 / p99 in ms (median of the rounds)')
    L.append('')
    rows = []
    for sc, long, _ in SCENARIOS:
        rows.append([long] + [f'{fmt_ms(run.lat(sc, s, "p50_ms"))} / {fmt_ms(run.lat(sc, s, "p99_ms"))}'
                              for s in SERVERS])
    L.append(md_table(['scenario'] + server_head(), rows))
    L.append('')

    L.append('### Ratios of the medians')
    L.append('')
    rows = []
    for sc, long, _ in SCENARIOS:
        d = run.rps(sc, 'peruid')
        rows.append([long] + [fmt_ratio(ratio(d, run.rps(sc, s))) for s in ('prefork', 'itk', 'fpm')])
    L.append(md_table(['scenario', 'peruid / prefork', 'peruid / itk', 'peruid / fpm'], rows))
    L.append('')

    L.append('### Errors seen by wrk (sum over the rounds)')
    L.append('')
    L.append('Non-2xx responses and socket errors (connect/read/write/timeout) reported by wrk; '
             'a fast server that errors is not fast. Warm-up runs are not counted.')
    L.append('')
    rows = []
    for sc, long, _ in SCENARIOS:
        row = [long]
        for s in SERVERS:
            e = run.errors(sc, s)
            tot = sum(e.values())
            if tot == 0:
                row.append(f'0 of {run.requests(sc, s):,}')
            else:
                row.append(f'**{tot:,}** of {run.requests(sc, s):,} (non-2xx {e["non2xx"]:,}, '
                           f'conn {e["err_connect"]:,}, read {e["err_read"]:,}, '
                           f'write {e["err_write"]:,}, timeout {e["err_timeout"]:,})')
        rows.append(row)
    L.append(md_table(['scenario'] + server_head(), rows))
    L.append('')
    L.append('Server logs (LogLevel warn; for C also php-fpm\'s log at warning): lines per level '
             'while the servers ran and while `apache2 -k stop` (php-fpm: SIGQUIT) stopped them, '
             'and the most frequent messages above notice (numbers replaced by N).')
    L.append('')
    rows = []
    for s in logs:
        cells = [log_label(s)]
        for phase in ('run', 'stop'):
            levels = logs[s][phase][0]
            cells.append(', '.join(f'{k} {v:,}' for k, v in sorted(levels.items())) or 'none')
        rows.append(cells)
    L.append(md_table(['server', 'during the run', 'at stop'], rows)
             .replace('|---|---:|---:|', '|---|---|---|'))
    L.append('')
    for s in logs:
        for phase, what in (('run', 'during the run'), ('stop', 'at stop')):
            msgs = collections.Counter({k: v for k, v in logs[s][phase][1].items()
                                        if k[0] not in ('notice', 'info', 'debug')})
            if msgs:
                L.append(f'* {log_label(s)}, {what}:')
                for (level, msg), n in msgs.most_common(5):
                    L.append(f'  * {n:,}× {level}: `{msg.replace("`", "")}`')
    L.append('')

    L.append('### (c) Memory after (b)')
    L.append('')
    L.append('Measured right after the last round of (b), from /proc/PID/smaps_rollup, over the '
             'master and all its descendants (for C also the php-fpm master and its children). '
             '"Per worker": A, B the children of the master (B: prefork\'s children, itk\'s '
             'per-connection forks are gone when idle); C a php-fpm child; D a worker (a child '
             'not running as www-data; the routers are in the totals only).')
    L.append('')
    rows = []
    for s in SERVERS:
        r = run.memory.get(s)
        if not r:
            rows.append([f'{LETTER[s]} {s}'] + ['n/a'] * 6)
            continue
        rows.append([f'{LETTER[s]} {s}', r['procs'], mib(int(r['rss_kb'])), mib(int(r['pss_kb'])),
                     r['workers'], mib(int(r['worker_rss_kb'])), mib(int(r['worker_pss_kb']))])
    L.append(md_table(['server', 'processes', 'RSS sum', 'PSS sum', 'workers',
                       'RSS per worker', 'PSS per worker'], rows))
    L.append('')

    L.append('### (e) Cold start: first request to a vhost never asked before')
    L.append('')
    L.append('One `curl` GET /hello.php per cold vhost (cNN.cold, user pucNN), 8 per round and '
             'server, one every 0.25 s, after (a) and before (b) (when the workers peruid started '
             'at startup have idled out). D: the master binds one of its two preforked workers '
             'to the user (or forks the user\'s first worker when none is left); '
             'B: itk\'s fork per connection; C: php-fpm ondemand spawns the pool\'s first child; '
             'A: no fork.')
    L.append('')
    rows = []
    for s in SERVERS:
        v = [x for x in run.cold_ms(s) if x is not None]
        bad = run.cold_bad(s)
        rows.append([f'{LETTER[s]} {s}', f'**{fmt_ms(run.cold_median(s))}**',
                     fmt_ms(min(v)) if v else 'n/a', fmt_ms(max(v)) if v else 'n/a',
                     len(v), bad])
    L.append(md_table(['server', 'median ms', 'min ms', 'max ms', 'requests', 'non-200'], rows))
    L.append('')
    if m.get('cold_warm_workers'):
        L.append(f'**Warning:** {m["cold_warm_workers"]} of peruid\'s cold users still had a worker '
                 'when the cold-start step began: their first requests were not cold.')
        L.append('')

    L.extend(b2_section(run))
    L.extend(b3_section(run))
    L.extend(f_section(run))
    L.extend(g_section(run))

    L.append('### Targets')
    L.append('')
    rows = [[t, v, target_status(met, e)] for t, v, met, e in targets(run)]
    L.append(md_table(['target', 'measured', 'status'], rows).replace('|---|---:|---:|', '|---|---:|---|'))
    L.append('')
    L.append(f'Raw data: `{run.dir}/results.tsv` (every wrk run), `cold.tsv`, `memory.tsv`, '
             f'`procs.tsv`, `procs_end.tsv`, `start.tsv`, `restart.tsv`, `meta.tsv`; wrk\'s '
             f'own output in '
             f'`{run.dir}/raw/`.')
    return '\n'.join(L)


def procs_section(run, sc, servers, name, target):
    """lines: the processes each server held through and after a scenario;
    target: whether the scenario has the target on the bound"""
    if not any(run.end_procs(sc, s) for s in servers):
        return [f'Processes at the end of {name}: {NEEDS_RUN}.', '']
    rows = []
    for s in servers:
        end = run.end_procs(sc, s)
        if end is None:
            continue
        w, routers, bound = end
        rows.append([f'{LETTER[s]} {s}', fmt(run.peak_children(sc, s)),
                     f'{w}' + (f' (+ {routers} router{"s" if routers != 1 else ""})'
                               if routers else ''),
                     f'{bound}', f'{w / bound:.0%}' if bound else 'n/a'])
    return [f'Processes through {name}: the most children of the master seen in a '
            'once-a-second sample over the warm-up and the rounds, and the workers right after '
            'the last round against the bound on them (MaxRequestWorkers; for peruid plus '
            'PeruidWarmWorkers, the idle workers kept for users). A pool should grow only while that serves '
            'connections waiting for it, so peruid should end well under its bound'
            + (f' (the target: under {BOUND_SHARE:.0%}).' if target else
               "; the 200 users' warm workers alone take a large part of it, "
               'so there is no target on it here.'), '',
            md_table(['server', 'peak children', 'workers at the end', 'bound', 'of the bound'],
                     rows), '']


def fresh_table(run, sc, servers):
    """lines: the ramp and the steady state of a scenario run against
    servers started afresh, (b2) or (b3)"""
    rows = []
    for s in servers:
        lo, hi = run.rps_range(sc, s)
        e = sum(run.errors(sc, s).values())
        rows.append([f'{LETTER[s]} {s}', fmt(run.warmup_rps(sc, s)),
                     f'**{fmt(run.rps(sc, s))}** ({fmt(lo)}–{fmt(hi)})',
                     f'{fmt_ms(run.lat(sc, s, "p50_ms"))} / {fmt_ms(run.lat(sc, s, "p99_ms"))}',
                     f'{e:,} of {run.requests(sc, s):,}'])
    return [md_table(['server', 'ramp req/s (warm-up)', 'steady req/s, median (min–max)',
                      'p50 / p99 ms', 'errors'], rows), '']


def fresh_ratio(run, sc, d, s):
    """text: server d against server s in scenario sc, steady and ramp"""
    return (f'{LETTER[d]} {d} / {LETTER[s]} {s}: '
            f'{fmt_ratio(ratio(run.rps(sc, d), run.rps(sc, s)))} steady, '
            f'{fmt_ratio(ratio(run.warmup_rps(sc, d), run.warmup_rps(sc, s)))} over the ramp')


def fresh_intro(run, warmup=None):
    """warmup: the warm-up of the scenario if not the run's BENCH_WARMUP_B"""
    return ('The ramp is the warm-up, from a fresh start of each server (requests/s over '
            f'{warmup or run.meta.get("BENCH_WARMUP_B", "?")}, not in the medians); the steady '
            'state is the median of the rounds that follow.')


def b2_section(run):
    """lines: scenario (b2), mass hosting with prefork's limits"""
    L = ["### (b2) Mass hosting with prefork's limits", '']
    L.append('Scenario (b) again (same wrk parameters, Zipf over the 200 vhosts, hello.php, '
             'a new connection per request), after the four servers of the run are stopped: '
             "prefork and itk started afresh, and D2, peruid with prefork's limits. "
             + fresh_intro(run))
    L.append('')
    if not run.has('b2-zipf'):
        L += [f'(b2): {NEEDS_RUN}.', '']
        return L
    L.extend(fresh_table(run, 'b2-zipf', SERVERS_B2))
    d = run.rps('b2-zipf', 'peruid-limits')
    L.append(fresh_ratio(run, 'b2-zipf', 'peruid-limits', 'prefork')
             + f'; / B itk: {fmt_ratio(ratio(d, run.rps("b2-zipf", "itk")))} steady.')
    L.append('')
    L.extend(procs_section(run, 'b2-zipf', SERVERS_B2, '(b2)', False))
    return L


def b3_gate_note(run, mrw):
    """text: whether peruid's workers outnumbered MaxRequestWorkers, which
    is what puts the gate to work"""
    end = run.end_procs('b3-zipf', 'peruid-64')
    if end is None:
        return []
    w, _, _ = end
    if w > mrw:
        return [f'D3 ended (b3) with {w} workers for MaxRequestWorkers {mrw}: more workers '
                'than requests it may serve at once, so its routers weighed the requests in '
                'flight before handing connections to them (the gate at work).', '']
    return [f'**Warning:** D3 ended (b3) with {w} workers, not more than MaxRequestWorkers '
            f'{mrw}: the gate had nothing to hold, and this run does not measure it.', '']


def b3_section(run):
    """lines: scenario (b3), mass hosting with the MaxRequestWorkers gate at work"""
    mrw = int(run.meta.get('b3_workers', '64'))
    L = ['### (b3) Mass hosting with the MaxRequestWorkers gate at work', '']
    L.append('Scenario (b) again (same wrk parameters, Zipf over the 200 vhosts, hello.php, '
             'a new connection per request), after (b2): A3, prefork with MaxRequestWorkers and '
             f'ServerLimit {mrw}, and D3, peruid with D2\'s configuration but MaxRequestWorkers '
             f'and ServerLimit {mrw}, both started afresh. D3 keeps a warm worker per user '
             '(PeruidWarmWorkers at its default), so its workers outnumber MaxRequestWorkers and '
             'the gate of mpm_peruid/gate.h works: before a router hands a connection to an idle '
             'worker it weighs the requests in flight over all users (counting them again '
             f'whenever its estimate reaches {mrw}), and it holds the connection while {mrw} are '
             'in flight; the master corrects the counts from the kernel at its passes. With '
             f'wrk\'s {run.meta.get("BENCH_CONNS", "?")} connections fewer than {mrw} requests are '
             'normally in flight, so it seldom holds one: (b3) measures what that bookkeeping '
             'costs on every connection, against prefork with the same MaxRequestWorkers, '
             f'whose children are the bound itself. '
             + fresh_intro(run, run.meta.get('b3_warmup_b')))
    L.append('')
    if run.meta.get('b3_alone'):
        L.append(f'(b3) was run alone (`bench/run.sh b3`) on {run.meta["b3_alone"]}, '
                 'not with the rest of this run.')
        L.append('')
    if not run.has('b3-zipf'):
        L += [f'(b3): {NEEDS_RUN}.', '']
        return L
    L.extend(fresh_table(run, 'b3-zipf', SERVERS_B3))
    L.append(fresh_ratio(run, 'b3-zipf', 'peruid-64', 'prefork-64') + '.')
    L.append('')
    L.extend(b3_gate_note(run, mrw))
    L.extend(procs_section(run, 'b3-zipf', SERVERS_B3, '(b3)', False))
    return L


def f_section(run):
    """lines: scenario (f), start time with 2,000 vhosts"""
    n = run.meta.get('n_start_users', '2000')
    L = [f'### (f) Start time with {int(n):,} vhosts under {int(n):,} users', '']
    L.append('Interleaved, prefork then peruid in each round, after every other server is '
             'stopped: the wall time of `apache2 -t`, and from launching `apache2 -k start` until '
             'a GET /index.html of the first vhost answers 200 (asked every 2 ms); then a stop by '
             'pid (bench/start_time.py). Median of the rounds (min–max), in ms.')
    L.append('')
    if not run.start:
        L += [f'(f): {NEEDS_RUN}.', '']
        return L
    rows = []
    for s in SERVERS_F:
        cells = [f'F {s}']
        for col in ('t_ms', 'start_ms'):
            mid, lo, hi = run.start_ms(s, col)
            cells.append(f'**{fmt_ms(mid)}** ({fmt_ms(lo)}–{fmt_ms(hi)})')
        cells.append(str(sum(1 for r in run.start if r['server'] == s)))
        rows.append(cells)
    rows.append(['peruid / prefork'] + [
        fmt_ratio(ratio(run.start_ms('peruid-2k', c)[0], run.start_ms('prefork-2k', c)[0]))
        for c in ('t_ms', 'start_ms')] + [''])
    L.append(md_table(['server', '`apache2 -t` ms', 'start to first answer ms', 'rounds'], rows))
    L.append('')
    return L


def g_section(run):
    """lines: scenario (g), restarts and stops"""
    L = ['### (g) Restarts and stops', '']
    L.append('The same vhosts under prefork and peruid (mod_php, StartServers 5, '
             'MinSpareServers 4, MaxSpareServers 10, MaxRequestWorkers 256), each under a user '
             'of its own; every vhost is asked for /hello.php once before each step (each user '
             'served once), then 2 s of quiet. A steady client asks the first vhost, one '
             'request after the other on new connections, across `apache2 -k restart` and '
             'across `apache2 -k graceful`: its longest wait between two answers, and the '
             'requests the graceful restart lost; `-k stop` and `-k graceful-stop` (the latter '
             'after a fresh start): from the command until every process of the server is gone '
             '(bench/restart_time.py). Kill lines: httpd\'s AH00045 and peruid\'s PU00070 '
             '(children killed after a stop\'s grace period). Median of the rounds (min–max), '
             'in ms, prefork then peruid in each round.')
    L.append('')
    if not run.restart:
        L += [f'(g): {NEEDS_RUN}.', '']
        return L
    for n in run.g_users():
        rows = []
        for col, what in G_COLS:
            cells = [what]
            for s in SERVERS_G:
                mid, lo, hi = run.g_ms(s, n, col)
                cells.append(f'**{fmt_ms(mid)}** ({fmt_ms(lo)}–{fmt_ms(hi)})')
            rows.append(cells)
        rows.append(['requests lost across `-k graceful` (all rounds)']
                    + [str(run.g_sum(s, n, 'graceful_failed')) for s in SERVERS_G])
        rows.append(['kill lines in the error log (all rounds)']
                    + [str(run.g_sum(s, n, 'kill_lines')) for s in SERVERS_G])
        rounds = sum(1 for r in run.restart if r['server'] == 'peruid-rs'
                     and int(r['users']) == n)
        L.append(f'{n} users, {rounds} round{"s" if rounds != 1 else ""}:')
        L.append('')
        L.append(md_table(['', 'G prefork-rs', 'G peruid-rs'], rows))
        L.append('')
    return L


HEADER = """# mpm_peruid benchmarks

peruid against prefork (no isolation), mpm-itk and per-user php-fpm pools,
measured by `make bench` (bench/run.sh; see bench/README). The section
between the bench markers below is regenerated by every run; write the
analysis outside it.

"""


def write_doc(path, section):
    block = f'{BEGIN}\n{section}\n{END}'
    if os.path.exists(path):
        with open(path) as f:
            text = f.read()
    else:
        text = HEADER
    b, e = text.find(BEGIN), text.find(END)
    if b >= 0 and e > b:
        text = text[:b] + block + text[e + len(END):]
    else:
        text = text.rstrip('\n') + '\n\n' + block + '\n'
    tmp = path + '.tmp'
    with open(tmp, 'w') as f:
        f.write(text)
    os.replace(tmp, path)


def write_chart(run, path):
    def cell(sc, s):
        return f'{run.rps(sc, s):.1f}' if run.rps(sc, s) else 'NaN'

    with open(path, 'w') as f:
        f.write('# scenario\t' + '\t'.join(SERVERS) + '\n')
        for sc, _, short in SCENARIOS:
            f.write(f'"{short}"\t' + '\t'.join(cell(sc, s) for s in SERVERS) + '\n')
        if run.has('b2-zipf'):
            # D's bar is D2, peruid with prefork's limits; no fpm
            f.write('"mass, prefork\'s limits"\t' + '\t'.join(
                cell('b2-zipf', s) for s in ('prefork', 'itk', 'none', 'peruid-limits')) + '\n')
        if run.has('b3-zipf'):
            # A's bar is A3, D's D3 (MaxRequestWorkers 64 both); no itk, no fpm
            f.write(f'"mass, {run.meta.get("b3_workers", "64")} workers"\t' + '\t'.join(
                cell('b3-zipf', s) for s in ('prefork-64', 'none', 'none', 'peruid-64')) + '\n')


# --- stdout ----------------------------------------------------------------------

def print_summary(run, logs):
    w = 16
    print()
    print(f'requests/s, median of {len(run.rounds)} rounds')
    print(f'{"scenario":<16}' + ''.join(f'{s:>{w}}' for s in SERVERS)
          + f'{"D/A":>8}{"D/B":>8}{"D/C":>8}')
    for sc, _, short in SCENARIOS:
        d = run.rps(sc, 'peruid')
        print(f'{short:<16}' + ''.join(f'{fmt(run.rps(sc, s)):>{w}}' for s in SERVERS)
              + ''.join(f'{fmt_ratio(ratio(d, run.rps(sc, s))):>8}' for s in ('prefork', 'itk', 'fpm')))
    print()
    print('latency p50/p99 ms, median of the rounds')
    for sc, _, short in SCENARIOS:
        print(f'{short:<16}' + ''.join(
            f'{fmt_ms(run.lat(sc, s, "p50_ms")) + "/" + fmt_ms(run.lat(sc, s, "p99_ms")):>{w}}'
            for s in SERVERS))
    print()
    print('errors (wrk non-2xx + socket errors, all rounds)')
    for sc, _, short in SCENARIOS:
        print(f'{short:<16}' + ''.join(f'{sum(run.errors(sc, s).values()):>{w},}' for s in SERVERS))
    for phase in ('run', 'stop'):
        print(f'{"log lines " + phase:<16}' + ''.join(
            f'{bad_lines(logs[s][phase][0]):>{w},}' for s in SERVERS))
    print()
    print('cold start median ms (non-200)')
    print(f'{"":<16}' + ''.join(
        f'{fmt_ms(run.cold_median(s)) + " (" + str(run.cold_bad(s)) + ")":>{w}}' for s in SERVERS))
    print()
    print('memory after (b): processes, PSS sum, PSS per worker')
    for s in SERVERS:
        r = run.memory.get(s)
        if r:
            print(f'  {s:<10}{r["procs"]:>6} procs  PSS {mib(int(r["pss_kb"])):>12}  '
                  f'RSS {mib(int(r["rss_kb"])):>12}  per worker ({r["workers"]}) '
                  f'PSS {mib(int(r["worker_pss_kb"]))} RSS {mib(int(r["worker_rss_kb"]))}')
    for sc, servers in (('b-zipf', SERVERS), ('b2-zipf', SERVERS_B2), ('b3-zipf', SERVERS_B3)):
        for s in servers:
            end = run.end_procs(sc, s)
            if end:
                print(f'processes {sc} {s:<14} peak {run.peak_children(sc, s)} children, '
                      f'{end[0]} workers (+{end[1]} routers) at the end, bound {end[2]}')
    print()
    for sc, servers, what in (
            ('b2-zipf', SERVERS_B2, "mass hosting with prefork's limits"),
            ('b3-zipf', SERVERS_B3, f'mass hosting with MaxRequestWorkers '
                                    f'{run.meta.get("b3_workers", "64")}, the gate at work')):
        tag = sc.split('-')[0]
        if not run.has(sc):
            print(f'({tag}): {NEEDS_RUN}')
            continue
        print(f'({tag}) {what}: ramp (warm-up) / steady (median)')
        for s in servers:
            print(f'  {s:<14}{fmt(run.warmup_rps(sc, s)):>10} /{fmt(run.rps(sc, s)):>10}'
                  f'   errors {sum(run.errors(sc, s).values()):,}')
    if run.start:
        print('(f) start time, median ms: apache2 -t, start to first answer')
        for s in SERVERS_F:
            print(f'  {s:<14}{fmt_ms(run.start_ms(s, "t_ms")[0]):>10}'
                  f'{fmt_ms(run.start_ms(s, "start_ms")[0]):>10}')
    else:
        print(f'(f): {NEEDS_RUN}')
    if run.restart:
        print('(g) restarts and stops, median ms: prefork / peruid')
        for n in run.g_users():
            print(f'  {n} users: ' + ', '.join(
                f'{col.replace("_ms", "")} {fmt_ms(run.g_ms("prefork-rs", n, col)[0])}'
                f' / {fmt_ms(run.g_ms("peruid-rs", n, col)[0])}' for col, _ in G_COLS))
    else:
        print(f'(g): {NEEDS_RUN}')
    print()
    print('targets')
    rows = targets(run)
    w = max(len(t) for t, _, _, _ in rows)
    for t, v, met, e in rows:
        mark = '?' if met is None else 'x' if met else ' '
        print(f'  [{mark}] {t:<{w}} {v:<24} {target_status(met, e)}')
    print()


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    bench_dir, doc = sys.argv[1], sys.argv[2]
    run = Run(bench_dir)
    if not run.rows:
        sys.exit(f'report.py: no results in {bench_dir}/results.tsv')
    logs = scan_logs(bench_dir, run.meta)
    write_doc(doc, markdown(run, logs))
    write_chart(run, os.path.join(bench_dir, 'chart.dat'))
    print_summary(run, logs)


if __name__ == '__main__':
    main()
