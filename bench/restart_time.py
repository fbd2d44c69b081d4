#!/usr/bin/env python3
"""bench/restart_time.py -- one round of scenario (g), restarts and stops.

    bench/restart_time.py CONF PORT HOST_FORMAT N [PATH]

Runs as root (called by bench/run.sh), on a server that is not running.
CONF's vhosts are HOST_FORMAT % i for i in 0 .. N-1 (e.g. g%03d.restart),
each under a user of its own; PATH (default /hello.php) is asked of each.
One round:

  1. "apache2 -k start", then one request to each of the N vhosts (each
     user is served once, as on a shared host after a quiet minute), and
     a pause of SETTLE s;
  2. a steady client asks the first vhost for PATH on a new connection
     each time, one after the other, while "apache2 -k restart" (SIGHUP)
     runs: restart_gap is the longest time between two answers it got
     (from the last answer before the signal to the first after it);
  3. the N vhosts again, the pause, then the same with "apache2 -k
     graceful" (SIGUSR1): graceful_gap, and graceful_failed, the client's
     requests that got no complete 200 answer (a graceful restart drops
     nothing: 0);
  4. the N vhosts again, the pause, then "apache2 -k stop": stop, from the
     command until the master and every process of the server are gone;
  5. "apache2 -k start" again, the N vhosts, the pause, then "apache2 -k
     graceful-stop": graceful_stop, measured as stop;

kill_lines counts the error log's AH00045 lines ("child process ... still
did not exit, sending a SIGTERM") and the MPM's own PU00070 lines (children
killed after a stop's grace period) of the round.

Prints "restart_gap graceful_gap graceful_failed stop graceful_stop
kill_lines" (times in milliseconds).  Every server it starts is stopped by the
pid in its PidFile, also on error.
"""
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time

SETTLE = 2.0        # s after the N requests: the server's steady state
STEADY_BEFORE = 0.5 # s of answers before the signal
STEADY_AFTER = 1.0  # s of answers after the first one after the signal
GIVE_UP = 60.0      # s without an answer: the server did not come back
REQ_TIMEOUT = 30.0  # s one request of the steady client may take


def conf_value(conf, name):
    with open(conf) as f:
        found = re.search(r'^%s\s+"?([^"\s]+)' % name, f.read(), re.M)
    if not found:
        sys.exit(f'restart_time.py: no {name} in {conf}')
    return found.group(1)


def get(port, host, path, timeout=10.0):
    """True when GET path with Host host answers a complete 200"""
    try:
        with socket.create_connection(('127.0.0.1', port),
                                      timeout=timeout) as s:
            s.sendall(f'GET {path} HTTP/1.0\r\nHost: {host}\r\n\r\n'
                      .encode())
            data = b''
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                data += chunk
    except OSError:
        return False
    head, _, body = data.partition(b'\r\n\r\n')
    if not head.startswith(b'HTTP/1.1 200'):
        return False
    m = re.search(rb'\r\nContent-Length: (\d+)', head, re.I)
    return m is None or len(body) == int(m.group(1))


def alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def state_of(pid):
    """the process state letter from /proc/PID/stat (None: gone)"""
    try:
        with open(f'/proc/{pid}/stat') as f:
            return f.read().rpartition(')')[2].split()[0]
    except OSError:
        return None


def descendants(pid):
    """every process below pid, from /proc/*/stat"""
    kids = {}
    for d in os.listdir('/proc'):
        if not d.isdigit():
            continue
        try:
            with open(f'/proc/{d}/stat') as f:
                ppid = int(f.read().rpartition(')')[2].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        kids.setdefault(ppid, []).append(int(d))
    out, todo = [], [pid]
    while todo:
        for k in kids.get(todo.pop(), []):
            out.append(k)
            todo.append(k)
    return out


class Server:
    def __init__(self, conf, port, hosts, path):
        self.conf, self.port, self.hosts, self.path = conf, port, hosts, path
        self.pidfile = conf_value(conf, 'PidFile')
        self.elog = conf_value(conf, 'ErrorLog')
        self.pid = None

    def ctl(self, what):
        return subprocess.call(['apache2', '-f', self.conf, '-k', what],
                               stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)

    def start(self):
        try:
            os.unlink(self.pidfile)
        except OSError:
            pass
        if self.ctl('start'):
            sys.exit(f'restart_time.py: apache2 -k start failed on '
                     f'{self.conf}')
        t0 = time.monotonic()
        while not get(self.port, self.hosts[0], self.path, 2):
            if time.monotonic() - t0 > GIVE_UP:
                sys.exit('restart_time.py: no answer after start')
            time.sleep(0.01)
        with open(self.pidfile) as f:
            self.pid = int(f.read())

    def serve_each(self):
        bad = [h for h in self.hosts if not get(self.port, h, self.path)]
        if bad:
            sys.exit(f'restart_time.py: no 200 from {len(bad)} vhosts '
                     f'(first: {bad[0]})')
        time.sleep(SETTLE)

    def stop_timed(self, how):
        """'stop' or 'graceful-stop': ms until every process is gone"""
        procs = [self.pid] + descendants(self.pid)
        t0 = time.monotonic()
        self.ctl(how)
        while any(state_of(p) not in (None, 'Z') for p in procs):
            if time.monotonic() - t0 > GIVE_UP:
                sys.exit(f'restart_time.py: {how}: processes left after '
                         f'{GIVE_UP} s')
            time.sleep(0.005)
        self.pid = None
        return (time.monotonic() - t0) * 1000

    def kill(self):
        if self.pid and alive(self.pid):
            os.kill(self.pid, signal.SIGTERM)
            t0 = time.monotonic()
            while alive(self.pid) and time.monotonic() - t0 < 30:
                time.sleep(0.05)
            if alive(self.pid):
                os.kill(self.pid, signal.SIGKILL)


def steady(server, signal_cmd):
    """(longest gap between two answers in ms, requests that failed)
    of a client asking one after the other across signal_cmd"""
    done, failed, stop = [], [0], threading.Event()

    def client():
        while not stop.is_set():
            if get(server.port, server.hosts[0], server.path, REQ_TIMEOUT):
                done.append(time.monotonic())
            else:
                failed[0] += 1
                time.sleep(0.001)   # refused: do not spin

    th = threading.Thread(target=client, daemon=True)
    th.start()
    time.sleep(STEADY_BEFORE)
    t_sig = time.monotonic()
    server.ctl(signal_cmd)
    while True:
        after = [t for t in done if t > t_sig]
        if after and done[-1] - after[0] >= STEADY_AFTER:
            break
        if time.monotonic() - (after[0] if after else t_sig) > GIVE_UP:
            stop.set()
            sys.exit(f'restart_time.py: no answer {GIVE_UP} s after '
                     f'{signal_cmd}')
        time.sleep(0.05)
    stop.set()
    th.join(REQ_TIMEOUT + 5)
    before = [t for t in done if t <= t_sig]
    times = ([before[-1]] if before else [t_sig]) + \
            [t for t in done if t > t_sig]
    gap = max(b - a for a, b in zip(times, times[1:]))
    return gap * 1000, failed[0]


def log_size(path):
    try:
        return os.path.getsize(path)
    except OSError:
        return 0


def count_kills(path, since):
    with open(path, 'rb') as f:
        f.seek(since)
        text = f.read().decode('utf-8', 'replace')
    return len(re.findall(r'AH00045|PU00070', text))


def main():
    if len(sys.argv) not in (5, 6):
        sys.exit(__doc__)
    conf, port, fmt, n = sys.argv[1], int(sys.argv[2]), sys.argv[3], \
        int(sys.argv[4])
    path = sys.argv[5] if len(sys.argv) == 6 else '/hello.php'
    hosts = [fmt % i for i in range(n)]
    server = Server(conf, port, hosts, path)
    if get(port, hosts[0], path, 1):
        sys.exit(f'restart_time.py: 127.0.0.1:{port} already answers')
    mark = log_size(server.elog)
    try:
        server.start()
        server.serve_each()
        restart_gap, _ = steady(server, 'restart')
        server.serve_each()
        graceful_gap, graceful_failed = steady(server, 'graceful')
        server.serve_each()
        stop = server.stop_timed('stop')
        server.start()
        server.serve_each()
        graceful_stop = server.stop_timed('graceful-stop')
    finally:
        server.kill()
    print(f'{restart_gap:.1f} {graceful_gap:.1f} {graceful_failed} '
          f'{stop:.1f} {graceful_stop:.1f} {count_kills(server.elog, mark)}')


if __name__ == '__main__':
    main()
