#!/usr/bin/env python3
"""bench/start_time.py -- one measurement of scenario (f), start time.

    bench/start_time.py CONF PORT HOST

Runs as root (called by bench/run.sh), on a server that is not running:

  t      the wall time of "apache2 -f CONF -t"
  start  from launching "apache2 -f CONF -k start" until a GET /index.html
         with "Host: HOST" on 127.0.0.1:PORT answers 200 (asked every 2 ms)

then stops the server by the pid in its PidFile (SIGTERM, as apache2 -k
stop sends; SIGKILL after 30 s) and waits until the master is gone.
Prints "t start" in milliseconds.  The method used while peruid's start
time was being worked on (issue 10), folded into the benchmark.
"""
import os
import re
import signal
import socket
import subprocess
import sys
import time


def pidfile_of(conf):
    with open(conf) as f:
        found = re.search(r'^PidFile\s+"?([^"\s]+)', f.read(), re.M)
    if not found:
        sys.exit(f'start_time.py: no PidFile in {conf}')
    return found.group(1)


def ask(port, host):
    """True once the server answers 200 to GET /index.html"""
    try:
        with socket.create_connection(('127.0.0.1', port), timeout=2) as s:
            s.sendall(f'GET /index.html HTTP/1.0\r\nHost: {host}\r\n\r\n'.encode())
            return s.recv(64).startswith(b'HTTP/1.1 200')
    except OSError:
        return False


def alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def stop(pidfile):
    """stop the master named in pidfile and wait until it is gone"""
    try:
        with open(pidfile) as f:
            pid = int(f.read())
    except (OSError, ValueError):
        return
    if not alive(pid):
        return
    os.kill(pid, signal.SIGTERM)
    t0 = time.monotonic()
    while alive(pid):
        if time.monotonic() - t0 > 30:
            os.kill(pid, signal.SIGKILL)
            t0 = time.monotonic() + 3600
        time.sleep(0.05)


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    conf, port, host = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    pidfile = pidfile_of(conf)
    if ask(port, host):
        sys.exit(f'start_time.py: 127.0.0.1:{port} already answers')

    t0 = time.monotonic()
    rc = subprocess.call(['apache2', '-f', conf, '-t'],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    t = time.monotonic() - t0
    if rc:
        sys.exit(f'start_time.py: apache2 -t failed on {conf}')

    try:
        os.unlink(pidfile)
    except OSError:
        pass
    t0 = time.monotonic()
    try:
        if subprocess.call(['apache2', '-f', conf, '-k', 'start']):
            sys.exit(f'start_time.py: apache2 -k start failed on {conf}')
        while not ask(port, host):
            if time.monotonic() - t0 > 60:
                sys.exit('start_time.py: no answer within 60 s')
            time.sleep(0.002)
        start = time.monotonic() - t0
    finally:
        # the master writes its pid file before it answers; an early
        # failure may leave none, and then there is nothing to stop
        stop(pidfile)
    print(f'{t * 1000:.1f} {start * 1000:.1f}')


if __name__ == '__main__':
    main()
