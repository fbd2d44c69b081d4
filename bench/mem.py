#!/usr/bin/env python3
"""bench/mem.py -- memory of one benchmark server, from /proc.

    bench/mem.py SERVER HTTPD_MASTER_PID [PHP_FPM_MASTER_PID]

Prints one TSV line (no header):

    server  procs  rss_kb  pss_kb  workers  worker_rss_kb  worker_pss_kb

procs/rss_kb/pss_kb: the count and the sums of Rss and Pss (from
/proc/PID/smaps_rollup) over the master(s) and all their descendants.
workers/worker_*: how many "workers" there are and their mean Rss/Pss:

  prefork  every child of the httpd master
  itk      every child of the httpd master (prefork's children; itk's
           per-connection forks are their children and gone when idle)
  fpm      every child of the php-fpm master (the PHP processes); the
           event httpd's processes are in the totals only
  peruid   the children of the master whose uid is not the routers' user
           (www-data): the workers; the routers are in the totals only

Processes that vanish while being read are skipped.
"""
import os
import pwd
import sys


def proc_table():
    """pid -> (ppid, uid) for every process."""
    table = {}
    for name in os.listdir('/proc'):
        if not name.isdigit():
            continue
        try:
            with open(f'/proc/{name}/stat') as f:
                stat = f.read()
            # the command may contain spaces and parentheses: split after
            # the last ')'
            ppid = int(stat[stat.rindex(')') + 2:].split()[1])
            with open(f'/proc/{name}/status') as f:
                uid = next(int(l.split()[2]) for l in f if l.startswith('Uid:'))
        except (OSError, ValueError, StopIteration):
            continue
        table[int(name)] = (ppid, uid)
    return table


def descendants(table, root):
    children = {}
    for pid, (ppid, _) in table.items():
        children.setdefault(ppid, []).append(pid)
    out, todo = [], [root]
    while todo:
        pid = todo.pop()
        if pid in table:
            out.append(pid)
        todo.extend(children.get(pid, []))
    return out


def rollup(pid):
    """(rss_kb, pss_kb) of pid, or None if it is gone."""
    rss = pss = None
    try:
        with open(f'/proc/{pid}/smaps_rollup') as f:
            for line in f:
                if line.startswith('Rss:'):
                    rss = int(line.split()[1])
                elif line.startswith('Pss:'):
                    pss = int(line.split()[1])
    except OSError:
        return None
    if rss is None or pss is None:
        return None
    return rss, pss


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    server = sys.argv[1]
    roots = [int(p) for p in sys.argv[2:]]
    table = proc_table()
    www_uid = pwd.getpwnam('www-data').pw_uid

    procs = []
    for root in roots:
        procs.extend(descendants(table, root))
    if server == 'fpm':
        workers = [p for p in procs if len(roots) > 1 and table[p][0] == roots[1]]
    elif server == 'peruid':
        workers = [p for p in procs
                   if table[p][0] == roots[0] and table[p][1] != www_uid]
    else:
        workers = [p for p in procs if table[p][0] == roots[0]]

    mem = {p: rollup(p) for p in procs}
    mem = {p: m for p, m in mem.items() if m is not None}
    rss = sum(m[0] for m in mem.values())
    pss = sum(m[1] for m in mem.values())
    wm = [mem[p] for p in workers if p in mem]
    w_rss = round(sum(m[0] for m in wm) / len(wm)) if wm else 0
    w_pss = round(sum(m[1] for m in wm) / len(wm)) if wm else 0
    print('\t'.join(str(x) for x in
                    (server, len(mem), rss, pss, len(wm), w_rss, w_pss)))


if __name__ == '__main__':
    main()
