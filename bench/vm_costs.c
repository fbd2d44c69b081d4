/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * bench/vm_costs.c -- what a system call and a sleep/wake-up cost on this
 * machine: the two prices every design choice of the fast path trades
 * (docs/benchmarks.md, "Where the time goes").
 *
 *     cc -O2 -o /tmp/vm_costs bench/vm_costs.c && /tmp/vm_costs
 *     taskset -c 0 /tmp/vm_costs       # the round trip on one CPU
 *
 * Prints microseconds per getppid(), getsockname(), setsockopt() and
 * fcntl(F_GETFL), each in a loop, and per round trip of one byte between
 * two processes over a SOCK_SEQPACKET socket pair (two sleeps, two
 * wake-ups and four system calls).  Runs as any user.
 */

#include <stdio.h>
#include <time.h>
#include <unistd.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#define LOOPS 200000
#define TRIPS 50000

static double now(void)
{
    struct timespec t;

    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void report(const char *what, double t0, int n)
{
    printf("%-12s %6.2f us\n", what, (now() - t0) / n * 1e6);
}

static void system_calls(void)
{
    int s = socket(AF_INET, SOCK_STREAM, 0), one = 1, i;
    struct sockaddr_in a;
    socklen_t len;
    double t0;

    t0 = now();
    for (i = 0; i < LOOPS; i++) {
        syscall(SYS_getppid);
    }
    report("getppid", t0, LOOPS);
    t0 = now();
    for (i = 0; i < LOOPS; i++) {
        len = sizeof(a);
        getsockname(s, (struct sockaddr *)&a, &len);
    }
    report("getsockname", t0, LOOPS);
    t0 = now();
    for (i = 0; i < LOOPS; i++) {
        setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    }
    report("setsockopt", t0, LOOPS);
    t0 = now();
    for (i = 0; i < LOOPS; i++) {
        fcntl(s, F_GETFL);
    }
    report("fcntl", t0, LOOPS);
    close(s);
}

static void round_trips(void)
{
    int sv[2], i;
    char c = 0;
    double t0;

    if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv) < 0) {
        perror("socketpair");
        return;
    }
    if (fork() == 0) {
        for (i = 0; i < TRIPS; i++) {
            if (read(sv[1], &c, 1) != 1 || write(sv[1], &c, 1) != 1) {
                break;
            }
        }
        _exit(0);
    }
    t0 = now();
    for (i = 0; i < TRIPS; i++) {
        if (write(sv[0], &c, 1) != 1 || read(sv[0], &c, 1) != 1) {
            break;
        }
    }
    report("round trip", t0, TRIPS);
    wait(NULL);
}

int main(void)
{
    system_calls();
    round_trips();
    return 0;
}
