#!/usr/bin/env python3
"""bench/sizing.py -- the measuring half of bench/sizing.sh (run as root).

    sizing.py docroots WWW UID_BASE N      WWW/pszNNNN/{index.html,hello.php}
                                           owned by pszNNNN (and WWW/default)
    sizing.py fill PORT N UID_BASE MODE CONC RESERVE_MB OUT
        GET /hello.php and /index.html of psz0000.size .. (N vhosts), both
        on one keep-alive connection per vhost, CONC vhosts at a time;
        checks the uid PHP prints (MODE peruid: the vhost's user, prefork:
        www-data) and the static file; stops early (and says so) when
        MemAvailable falls below RESERVE_MB.  One TSV row per vhost in OUT:
        vhost  php_ms  static_ms  ok
    sizing.py snap MASTER_PID SERVER LABEL OUTDIR
        every process of the server (the master and its descendants), by
        role, into OUTDIR/procs-SERVER-LABEL.tsv; one line per role into
        OUTDIR/summary.tsv; per-user OPcache copies (the memfd
        "peruid-segments" mappings) of up to SEG_SAMPLE workers from
        /proc/PID/smaps into OUTDIR/segments-SERVER-LABEL.tsv
    sizing.py watch MASTER_PID SECONDS MIN_AFTER OUT
        every 2 s: seconds, workers (peruid: children of the master running
        as neither root nor the routers' user), all children, MemAvailable
        MiB, into OUT; stops after SECONDS, or once MIN_AFTER seconds have
        passed and the workers have not changed for 12 s

Roles (peruid): master (the pid given); router (a child running as
PeruidRouterUser, uid of "peruid-router" unless ROUTER_USER says another);
relay (a child whose comm is "peruid-logs"); preforked (a child still
root); worker (every other child).  prefork: master and child.

Memory per process from /proc/PID/smaps_rollup: Rss, Pss, USS (its
Private_Clean + Private_Dirty); from /proc/PID/status: VmPTE (page
tables, not in any of the three); open descriptors and mappings counted
from /proc/PID/fd and /proc/PID/maps.  Processes that vanish while read
are skipped.
"""
import concurrent.futures
import http.client
import os
import pwd
import statistics
import sys
import time

SEG_SAMPLE = int(os.environ.get('SEG_SAMPLE', '200'))
SEG_NAME = 'memfd:peruid-segments'


def user_name(i):
    return 'psz%04d' % i


def host_name(i):
    return 'psz%04d.size' % i


def index_html(name):
    """exactly 1024 bytes, as bench/setup.sh's index.html"""
    head = ('<!DOCTYPE html><html><head><title>%s</title></head><body><p>%s'
            '</p><!--' % (name, name))
    tail = '--></body></html>'
    return head + 'x' * (1023 - len(head) - len(tail)) + tail + '\n'


HELLO = '<?php echo "hello ", posix_geteuid(), "\\n";\n'


def write_site(d, name, uid, gid):
    os.makedirs(d, exist_ok=True)
    for f, text in (('index.html', index_html(name)), ('hello.php', HELLO)):
        path = os.path.join(d, f)
        with open(path, 'w') as fh:
            fh.write(text)
        os.chmod(path, 0o644)
        os.chown(path, uid, gid)
    os.chown(d, uid, gid)
    os.chmod(d, 0o711)


def cmd_docroots(www, uid_base, n):
    os.makedirs(www, exist_ok=True)
    os.chmod(www, 0o755)
    write_site(os.path.join(www, 'default'), 'default', 0, 0)
    os.chmod(os.path.join(www, 'default'), 0o755)
    for i in range(n):
        write_site(os.path.join(www, user_name(i)), user_name(i),
                   uid_base + i, uid_base + i)


def meminfo_kb(key):
    with open('/proc/meminfo') as f:
        for line in f:
            if line.startswith(key + ':'):
                return int(line.split()[1])
    return 0


def mem_available_mb():
    with open('/proc/meminfo') as f:
        for line in f:
            if line.startswith('MemAvailable:'):
                return int(line.split()[1]) // 1024
    return 0


def get_site(port, i, want_uid):
    """(php_ms, static_ms, ok) for vhost i, both on one connection"""
    conn = http.client.HTTPConnection('127.0.0.1', port, timeout=30)
    ok = True
    times = []
    try:
        for path, check in (('/hello.php', 'hello %d\n' % want_uid),
                            ('/index.html', None)):
            t0 = time.monotonic()
            conn.request('GET', path, headers={'Host': host_name(i)})
            r = conn.getresponse()
            body = r.read()
            times.append((time.monotonic() - t0) * 1000)
            if r.status != 200:
                ok = False
            elif check is not None and body.decode(errors='replace') != check:
                ok = False
            elif check is None and len(body) != 1024:
                ok = False
    except (OSError, http.client.HTTPException):
        ok = False
        times += [0.0] * (2 - len(times))
    finally:
        conn.close()
    return times[0], times[1], ok


def cmd_fill(port, n, uid_base, mode, conc, reserve_mb, out):
    www_uid = pwd.getpwnam('www-data').pw_uid
    rows, stopped = [], None
    t0 = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(conc) as ex:
        for start in range(0, n, 50):
            if mem_available_mb() < reserve_mb:
                stopped = start
                break
            batch = range(start, min(n, start + 50))
            want = [www_uid if mode == 'prefork' else uid_base + i for i in batch]
            for i, res in zip(batch, ex.map(lambda a: get_site(port, *a),
                                            zip(batch, want))):
                rows.append((host_name(i),) + res)
    secs = time.monotonic() - t0
    with open(out, 'w') as f:
        for h, php, st, ok in rows:
            f.write('%s\t%.2f\t%.2f\t%d\n' % (h, php, st, ok))
    bad = sum(1 for r in rows if not r[3])
    php = sorted(r[1] for r in rows)
    note = ('; STOPPED at vhost %d: MemAvailable below %d MiB'
            % (stopped, reserve_mb) if stopped is not None else '')
    print('fill: %d vhosts in %.1f s, %d failed, hello.php median %.1f ms, '
          'max %.1f ms%s' % (len(rows), secs, bad,
                             statistics.median(php) if php else 0,
                             php[-1] if php else 0, note))
    return 1 if bad or stopped is not None else 0


def read_kv(path, keys):
    out = {}
    with open(path) as f:
        for line in f:
            k = line.split(':', 1)[0]
            if k in keys:
                out[k] = int(line.split()[1])
    return out


def children_of(pid):
    kids = []
    try:
        for t in os.listdir('/proc/%d/task' % pid):
            with open('/proc/%d/task/%s/children' % (pid, t)) as f:
                kids += [int(x) for x in f.read().split()]
    except OSError:
        pass
    return kids


def descendants(root):
    out, todo = [], [root]
    while todo:
        p = todo.pop()
        out.append(p)
        todo += children_of(p)
    return out


def proc_uid_comm(pid):
    with open('/proc/%d/status' % pid) as f:
        st = f.read()
    uid = int(st.split('\nUid:')[1].split()[1])
    comm = st.split('Name:')[1].split('\n')[0].strip()
    return uid, comm


def router_uid():
    try:
        return pwd.getpwnam(os.environ.get('ROUTER_USER', 'peruid-router')).pw_uid
    except KeyError:
        return -1


def role_of(pid, master, server, ruid):
    uid, comm = proc_uid_comm(pid)
    if pid == master:
        return 'master', uid
    if server == 'prefork':
        return 'child', uid
    if comm == 'peruid-logs':
        return 'relay', uid
    if uid == ruid:
        return 'router', uid
    if uid == 0:
        return 'preforked', uid
    return 'worker', uid


def shared_objects(pid, lines, objs):
    """note in objs {inode: (kind, allocated kB)} the shared memory objects
    pid maps: its user's copy of the segments (memfd "peruid-segments",
    kind "copy") and shared anonymous memory ("/dev/zero (deleted)": the
    segment itself, the scoreboard; kind "shm").  Allocated: the object's
    pages, whether mapped by anyone or not (st_blocks of map_files)."""
    for line in lines:
        kind = ('copy' if SEG_NAME in line else
                'shm' if '/dev/zero (deleted)' in line else None)
        if kind is None:
            continue
        rng = line.split(None, 1)[0]
        st = os.stat('/proc/%d/map_files/%s' % (pid, rng))
        objs[st.st_ino] = (kind, st.st_blocks // 2)


def held_copies(master):
    """{inode: allocated kB} of the users' copies the master holds open
    (its descriptors on memfd "peruid-segments"), mapped by a worker or not"""
    held = {}
    for fd in os.listdir('/proc/%d/fd' % master):
        path = '/proc/%d/fd/%s' % (master, fd)
        try:
            if 'peruid-segments' in os.readlink(path):
                st = os.stat(path)
                held[st.st_ino] = st.st_blocks // 2
        except OSError:
            continue
    return held


def measure(pid, objs):
    r = read_kv('/proc/%d/smaps_rollup' % pid,
                ('Rss', 'Pss', 'Private_Clean', 'Private_Dirty', 'Swap'))
    s = read_kv('/proc/%d/status' % pid, ('VmPTE',))
    fds = len(os.listdir('/proc/%d/fd' % pid))
    with open('/proc/%d/maps' % pid) as f:
        lines = f.readlines()
    shared_objects(pid, lines, objs)
    return (r['Rss'], r['Pss'], r['Private_Clean'] + r['Private_Dirty'],
            s.get('VmPTE', 0), fds, len(lines))


def segments(pid):
    """(size_kb, rss_kb, pss_kb) summed over the peruid-segments mappings
    (a worker's copy of OPcache's segment), or over the shared anonymous
    mappings ('/dev/zero (deleted)': the segment itself) of a process
    that has no copy"""
    seg = [0, 0, 0]
    anon = [0, 0, 0]
    cur = None
    with open('/proc/%d/smaps' % pid) as f:
        for line in f:
            first = line.split(None, 1)[0]
            if '-' in first and not first.endswith(':'):
                cur = (seg if SEG_NAME in line else
                       anon if '/dev/zero (deleted)' in line else None)
            elif cur is not None and first in ('Size:', 'Rss:', 'Pss:'):
                cur[('Size:', 'Rss:', 'Pss:').index(first)] += int(line.split()[1])
    return tuple(seg) if seg[0] else tuple(anon)


def stats(vals):
    return (round(statistics.mean(vals)), round(statistics.median(vals)),
            min(vals), max(vals))


def cmd_snap(master, server, label, outdir):
    ruid = router_uid()
    rows, objs = [], {}
    for pid in descendants(master):
        try:
            role, uid = role_of(pid, master, server, ruid)
            rows.append((pid, role, uid) + measure(pid, objs))
        except (OSError, IndexError, KeyError, ValueError):
            continue
    tag = '%s-%s' % (server, label)
    with open(os.path.join(outdir, 'procs-%s.tsv' % tag), 'w') as f:
        f.write('pid\trole\tuid\trss_kb\tpss_kb\tuss_kb\tpte_kb\tfds\tmaps\n')
        for r in rows:
            f.write('\t'.join(str(x) for x in r) + '\n')
    # segments of a sample of workers (children), and of the master
    sample_roles = ('worker', 'child')
    ws = [r[0] for r in rows if r[1] in sample_roles]
    step = max(1, len(ws) // SEG_SAMPLE) if ws else 1
    segs = []
    for pid in [master] + ws[::step][:SEG_SAMPLE]:
        try:
            segs.append((pid,) + segments(pid))
        except OSError:
            continue
    with open(os.path.join(outdir, 'segments-%s.tsv' % tag), 'w') as f:
        f.write('pid\tsize_kb\trss_kb\tpss_kb\n')
        for s in segs:
            f.write('\t'.join(str(x) for x in s) + '\n')
    held = held_copies(master) if server == 'peruid' else {}
    for ino, kb in held.items():
        if ino not in objs:
            objs[ino] = ('held', kb)
    total_pss = sum(r[4] for r in rows)
    total_rss = sum(r[3] for r in rows)
    total_pte = sum(r[6] for r in rows)
    with open(os.path.join(outdir, 'summary.tsv'), 'a') as f:
        for role in ('master', 'router', 'relay', 'preforked', 'worker',
                     'child'):
            rr = [r for r in rows if r[1] == role]
            if not rr:
                continue
            line = [server, label, role, len(rr)]
            for col in (3, 4, 5, 6, 7, 8):     # rss pss uss pte fds maps
                line += stats([r[col] for r in rr])
            line += [sum(r[4] for r in rr)]
            f.write('\t'.join(str(x) for x in line) + '\n')
        for kind in ('copy', 'held', 'shm'):
            kb = [a for k, a in objs.values() if k == kind]
            if kb:
                f.write('\t'.join(str(x) for x in
                                  [server, label, 'OBJ-' + kind, len(kb),
                                   round(statistics.mean(kb)), max(kb),
                                   sum(kb)]) + '\n')
        f.write('\t'.join(str(x) for x in
                          [server, label, 'TOTAL', len(rows), total_rss,
                           total_pss, total_pte, mem_available_mb(),
                           meminfo_kb('Shmem')]) + '\n')
    wseg = [s for s in segs if s[0] != master]
    print('snap %s %s: %d processes, PSS %.1f MiB, RSS %.1f MiB, page tables '
          '%.1f MiB' % (server, label, len(rows), total_pss / 1024,
                        total_rss / 1024, total_pte / 1024))
    for role in ('master', 'router', 'relay', 'preforked', 'worker', 'child'):
        rr = [r for r in rows if r[1] == role]
        if rr:
            print('  %-9s %5d  RSS %6d  PSS %6d  USS %6d kB (mean)  fds max '
                  '%d' % (role, len(rr), statistics.mean(r[3] for r in rr),
                          statistics.mean(r[4] for r in rr),
                          statistics.mean(r[5] for r in rr),
                          max(r[7] for r in rr)))
    for kind in ('copy', 'held', 'shm'):
        kb = [a for k, a in objs.values() if k == kind]
        if kb:
            print('  %-4s objects %5d  allocated %8.1f MiB in all, %d kB '
                  'mean, %d kB max' % (kind, len(kb), sum(kb) / 1024,
                                       statistics.mean(kb), max(kb)))
    if wseg:
        print('  OPcache segment per worker (%d sampled): RSS %d PSS %d kB '
              '(mean), mapping %d kB' % (
                  len(wseg), statistics.mean(s[2] for s in wseg),
                  statistics.mean(s[3] for s in wseg), wseg[0][1]))
    return 0


def cmd_watch(master, seconds, min_after, out):
    ruid = router_uid()
    t0 = time.monotonic()
    last, since = None, 0.0
    with open(out, 'a') as f:
        while True:
            t = time.monotonic() - t0
            kids = children_of(master)
            workers = 0
            for k in kids:
                try:
                    uid, _ = proc_uid_comm(k)
                except (OSError, IndexError):
                    continue
                if uid not in (0, ruid):
                    workers += 1
            f.write('%.0f\t%d\t%d\t%d\n' % (t, workers, len(kids),
                                            mem_available_mb()))
            f.flush()
            if workers != last:
                last, since = workers, t
            if t >= seconds or (t >= min_after and t - since >= 12):
                print('watch: %d workers after %.0f s (unchanged since %.0f s)'
                      % (workers, t, since))
                return 0
            time.sleep(2)


def main():
    a = sys.argv[1:]
    if not a:
        sys.exit(__doc__)
    if a[0] == 'docroots':
        return cmd_docroots(a[1], int(a[2]), int(a[3]))
    if a[0] == 'fill':
        return cmd_fill(int(a[1]), int(a[2]), int(a[3]), a[4], int(a[5]),
                        int(a[6]), a[7])
    if a[0] == 'snap':
        return cmd_snap(int(a[1]), a[2], a[3], a[4])
    if a[0] == 'watch':
        return cmd_watch(int(a[1]), float(a[2]), float(a[3]), a[4])
    sys.exit(__doc__)


if __name__ == '__main__':
    sys.exit(main() or 0)
