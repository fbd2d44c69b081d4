#!/usr/bin/env python3
"""bench/cpu_per_request.py -- server CPU time per request, by process role.

    bench/cpu_per_request.py PIDFILE URL HOST [close|ka] [SECONDS] [CONNS]

WRK_SCRIPT=bench/zipf.lua in the environment adds "-s" and that script
(the mass-hosting scenario picks the Host itself).

Runs wrk against URL (Host: HOST, a new connection per request with
"close"), and reads utime+stime from /proc before and after for the master
named by PIDFILE and each of its children; children that exited meanwhile
are counted through the master's cutime/cstime.  Prints microseconds of
CPU per request for the master, the routers (children running as
www-data), the workers (other children) and the exited children, split
into user and system time.  Under prefork every child shows as "router"
if it runs as www-data: read that line as prefork's children.

CPU per request is less sensitive than requests/s to what else the
machine runs; the numbers in docs/benchmarks.md ("Where the time goes")
come from this script.  Root, Linux.
"""
import os
import re
import subprocess
import sys


def snapshot(master, www_uid):
    """Per pid: (role, own ticks, children ticks, user ticks, sys ticks)."""
    out = {}
    for p in os.listdir('/proc'):
        if not p.isdigit():
            continue
        try:
            stat = open(f'/proc/{p}/stat').read()
            status = open(f'/proc/{p}/status').read()
        except OSError:
            continue
        f = stat[stat.rindex(')') + 2:].split()
        pid, ppid = int(p), int(f[1])
        if pid != master and ppid != master:
            continue
        uid = int(status.split('Uid:')[1].split()[0])
        role = ('master' if pid == master
                else 'router' if uid == www_uid else 'worker')
        ut, st, cut, cst = (int(x) for x in f[11:15])
        out[pid] = (role, ut + st, cut + cst, ut, st)
    return out


def main():
    pidfile, url, host = sys.argv[1:4]
    mode = sys.argv[4] if len(sys.argv) > 4 else 'close'
    secs = sys.argv[5] if len(sys.argv) > 5 else '4'
    conns = sys.argv[6] if len(sys.argv) > 6 else '16'
    hz = os.sysconf('SC_CLK_TCK')
    master = int(open(pidfile).read())
    www_uid = int(subprocess.run(['id', '-u', 'www-data'], capture_output=True,
                                 text=True).stdout)
    before = snapshot(master, www_uid)
    cmd = ['wrk', '-t2', f'-c{conns}', f'-d{secs}s', '-H', f'Host: {host}']
    if mode == 'close':
        cmd += ['-H', 'Connection: close']
    if os.environ.get('WRK_SCRIPT'):
        cmd += ['-s', os.environ['WRK_SCRIPT']]
    out = subprocess.run(cmd + [url], capture_output=True, text=True).stdout
    after = snapshot(master, www_uid)
    n = int(re.search(r'(\d+) requests in', out).group(1))
    rps = float(re.search(r'Requests/sec:\s+([\d.]+)', out).group(1))
    roles = {}
    for pid, (role, own, kids, ut, st) in after.items():
        b = before.get(pid, (role, 0, 0, 0, 0))
        r = roles.setdefault(role, [0, 0, 0])
        r[0] += own - b[1]
        r[1] += ut - b[3]
        r[2] += st - b[4]
        if role == 'master':
            roles.setdefault('exited', [0, 0, 0])[0] += kids - b[2]
    us = lambda t: 1e6 * t / hz / n
    print(f'{mode} {url}: {rps:.0f} req/s, {n} requests')
    total = 0
    for role in ('master', 'router', 'worker', 'exited'):
        if role in roles:
            t, u, s = roles[role]
            total += t
            print(f'  {role:7s} {us(t):7.1f} us/req (user {us(u):6.1f}, '
                  f'sys {us(s):6.1f})')
    print(f'  total   {us(total):7.1f} us/req')


if __name__ == '__main__':
    main()
