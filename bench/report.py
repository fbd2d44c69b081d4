#!/usr/bin/env python3
"""bench/report.py -- turn a benchmark run into docs/benchmarks.md.

    bench/report.py BENCH_DIR DOCS/benchmarks.md

Reads what bench/run.sh recorded in BENCH_DIR (results.tsv: one row per wrk
run; cold.tsv: one row per cold-start request; memory.tsv; meta.tsv; the
servers' error logs) and

  * rewrites the part of benchmarks.md between the markers
    <!-- bench:begin --> and <!-- bench:end --> (text outside them is kept;
    the file is created with a short header if missing, the markers are
    appended if it has none);
  * writes BENCH_DIR/chart.dat for bench/plot.gp;
  * prints the medians, ratios, errors and targets to stdout.

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


def scan_logs(bench_dir, meta):
    """server -> {phase: (Counter level -> n, Counter (level, message) -> n)}
    with phase 'run' (up to the byte offset bench/run.sh recorded right
    before it stopped the servers) and 'stop' (the rest)."""
    out = {}
    for s in SERVERS:
        d = os.path.join(bench_dir, f'{LETTER[s]}-{s}', 'logs')
        phases = {p: (collections.Counter(), collections.Counter()) for p in ('run', 'stop')}
        files = [('httpd', os.path.join(d, 'error_log'), meta.get(f'log_bytes_{s}'))]
        if s == 'fpm':
            files.append(('php-fpm', os.path.join(d, 'php-fpm.log'), meta.get('log_bytes_php-fpm')))
        for kind, path, limit in files:
            if not os.path.exists(path):
                continue
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
        out[s] = phases
    return out


def bad_lines(levels):
    return sum(v for k, v in levels.items() if k not in ('notice', 'info', 'debug'))


# --- targets ---------------------------------------------------------------------

def targets(run):
    """list of (description, value text, met: bool, peruid errors)"""
    def r(sc, s):
        return ratio(run.rps(sc, 'peruid'), run.rps(sc, s))

    def errs(sc):
        return sum(run.errors(sc, 'peruid').values())

    out = []
    for sc, s, k, text in [
        ('a-php-close', 'prefork', 0.85, 'PHP, new connection: peruid ≥ 0.85 × prefork'),
        ('a-php-close', 'itk', 10, 'PHP, new connection: peruid ≥ 10 × itk'),
        ('a-php-close', 'fpm', None, 'PHP, new connection: peruid > fpm'),
        ('a-static-ka', 'prefork', 0.95, 'static, keep-alive: peruid ≥ 0.95 × prefork'),
        ('a-php-ka', 'prefork', 0.95, 'PHP, keep-alive: peruid ≥ 0.95 × prefork'),
        ('b-zipf', 'itk', 5, 'mass hosting: peruid ≥ 5 × itk'),
        ('b-zipf', 'prefork', 0.5, 'mass hosting: peruid ≥ 0.5 × prefork'),
    ]:
        v = r(sc, s)
        met = v is not None and (v > 1 if k is None else v >= k)
        out.append((text, fmt_ratio(v), met, errs(sc)))
    d, b = run.cold_median('peruid'), run.cold_median('itk')
    met = d is not None and b is not None and d <= b
    out.append(('cold start: peruid median ≤ itk median',
                f'{fmt_ms(d)} ms vs {fmt_ms(b)} ms', met, run.cold_bad('peruid')))
    return out


def target_status(met, errors):
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
    runtime = m.get('runtime_s')
    L.append(f'Run on {m.get("date", "?")}'
             + (f', {int(runtime) // 60} min {int(runtime) % 60} s in all' if runtime else '')
             + f'; {n_rounds} rounds of {m.get("BENCH_DURATION", "?")} per server and scenario, '
             f'wrk -t{m.get("BENCH_THREADS", "?")} -c{m.get("BENCH_CONNS", "?")} --latency, '
             f'warm-up {m.get("BENCH_WARMUP_START", "?")} per server at the start and '
             f'{m.get("BENCH_WARMUP", "?")} per server and scenario '
             f'({m.get("BENCH_WARMUP_B", "?")} for (b)). '
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
    for k, default in [('BENCH_ROUNDS', '5'), ('BENCH_DURATION', '5s'), ('BENCH_CONNS', '16'),
                       ('BENCH_THREADS', '2'), ('BENCH_WARMUP', '2s'), ('BENCH_WARMUP_B', '10s'),
                       ('BENCH_WARMUP_START', '5s'),
                       ('BENCH_PORT_BASE', '8300'), ('BENCH_DIR', '/var/tmp/peruid-bench')]:
        if m.get(k, default) != default:
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
             f'StartServers 8, MinSpareServers 0 and MaxSpareServers {m.get("max_spare", "?")} per user pool, '
             f'MaxRequestWorkers {m.get("peruid_workers", "?")} (ServerLimit that plus 2, room for the routers), '
             'PeruidIdleTimeout 30 s (default), PeruidPreforkedWorkers 2 (default 0: two workers '
             'forked ahead, bound to a user on its first request). peruid keeps warm workers per user: its bound leaves '
             'room for one idle worker per user (241 pools) plus four times the connections of a '
             'round; with 256 every request to a user without a worker made another user\'s '
             'worker leave. The concurrency is the same for all four; what the idle workers cost '
             'is under (c).')
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
    for s in SERVERS:
        cells = [f'{LETTER[s]} {s}']
        for phase in ('run', 'stop'):
            levels = logs[s][phase][0]
            cells.append(', '.join(f'{k} {v:,}' for k, v in sorted(levels.items())) or 'none')
        rows.append(cells)
    L.append(md_table(['server', 'during the run', 'at stop'], rows)
             .replace('|---|---:|---:|', '|---|---|---|'))
    L.append('')
    for s in SERVERS:
        for phase, what in (('run', 'during the run'), ('stop', 'at stop')):
            msgs = collections.Counter({k: v for k, v in logs[s][phase][1].items()
                                        if k[0] not in ('notice', 'info', 'debug')})
            if msgs:
                L.append(f'* {LETTER[s]} {s}, {what}:')
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

    L.append('### Targets')
    L.append('')
    rows = [[t, v, target_status(met, e)] for t, v, met, e in targets(run)]
    L.append(md_table(['target', 'measured', 'status'], rows).replace('|---|---:|---:|', '|---|---:|---|'))
    L.append('')
    L.append(f'Raw data: `{run.dir}/results.tsv` (every wrk run), `cold.tsv`, `memory.tsv`, '
             f'`meta.tsv`; wrk\'s own output in `{run.dir}/raw/`.')
    return '\n'.join(L)


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
    with open(path, 'w') as f:
        f.write('# scenario\t' + '\t'.join(SERVERS) + '\n')
        for sc, _, short in SCENARIOS:
            f.write(f'"{short}"\t' + '\t'.join(
                f'{run.rps(sc, s):.1f}' if run.rps(sc, s) else 'NaN' for s in SERVERS) + '\n')


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
    print()
    print('targets')
    for t, v, met, e in targets(run):
        print(f'  [{"x" if met else " "}] {t:<48} {v:<24} {target_status(met, e)}')
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
