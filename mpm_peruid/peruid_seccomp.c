/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * peruid_seccomp.c -- the routers' system call filter (libseccomp): an
 * allow-list.
 *
 * Runs in a router right after creds.c made it PeruidRouterUser without
 * capabilities.  A router parses untrusted bytes; should that ever go
 * wrong, the code that took it over finds only the calls a router makes
 * (found by reading router.c and what httpd, APR and glibc call under
 * it, and checked with strace -f on routers through every path: HTTP,
 * TLS ClientHellos, hand-backs, answers, log lines, held and parked
 * connections, graceful and hard restarts, stops).  Any other call, or a
 * call of another ABI, raises SIGSYS (SECCOMP_RET_TRAP): its handler
 * writes one PU00128 line naming the call to the error log and kills the
 * router with SIGSYS; the master logs the death (PU00084) and starts
 * another.  Why a trap and not SECCOMP_RET_KILL_PROCESS: the wait status
 * of a killed process says SIGSYS, not which call; the handler can.
 * The handler cannot be taken away: rt_sigaction on SIGSYS is itself
 * refused, and the kernel kills a process that blocks SIGSYS when it
 * traps.
 */

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <errno.h>
#include <fcntl.h>
#include <seccomp.h>
#include <signal.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>

#include "peruid_seccomp.h"
#include "trapline.h"

#ifndef F_GET_SEALS
#define F_GET_SEALS 1034
#endif
#ifndef AT_EMPTY_PATH
#define AT_EMPTY_PATH 0x1000
#endif

/* Exit status should the SIGSYS of the handler not end the router
 * (httpd's APEXIT_CHILDSICK: the master replaces the router). */
#define SECCOMP_TRAP_EXIT 7

/* Names of the native calls for the log line, resolved (malloc'd by
 * libseccomp) before the filter, when that is still allowed. */
#define SECCOMP_NAMES 1024

/* What the SIGSYS handler needs, ready before the filter is loaded. */
typedef struct {
    int fd;                     /* the error log                         */
    long gmtoff;                /* local time minus UTC at install       */
    unsigned long arch;         /* the native AUDIT_ARCH_*               */
    const char *names[SECCOMP_NAMES];
} seccomp_trap_t;

/* Signal handlers have no context argument: the router's one. */
static seccomp_trap_t seccomp_trap;

/* The calls a router makes, allowed with any arguments. */
static const int seccomp_router_allowed[] = {
    /* the event loop and its connections (router.c) */
    SCMP_SYS(epoll_pwait), SCMP_SYS(epoll_ctl), SCMP_SYS(accept4),
    SCMP_SYS(recvfrom),         /* recv(): the MSG_PEEK look, the drain */
    SCMP_SYS(sendto),           /* send(): our own answers (answer.c)   */
    SCMP_SYS(shutdown),         /* half-close after an answer           */
    SCMP_SYS(close),
    SCMP_SYS(getsockname),      /* the local address (route.c)          */
    SCMP_SYS(getpeername),      /* the peer, for mod_remoteip's
                                 * RemoteIPProxyProtocolExceptions
                                 * (remoteip.c)                        */
    SCMP_SYS(getsockopt),       /* a handed-back socket's kind          */
    /* the channels: connections to pools, SPAWN to the master, HANDOVER
     * records from workers (channel.c) */
    SCMP_SYS(sendmsg), SCMP_SYS(recvmsg),
    /* a hand-back's replay memfd: its size and bytes (replay.c) */
    SCMP_SYS(fstat), SCMP_SYS(pread64),
    /* log lines (ap_log_error: pid, tid, one write) */
    SCMP_SYS(write), SCMP_SYS(getpid), SCMP_SYS(gettid),
    /* memory (APR pools, malloc) */
    SCMP_SYS(brk), SCMP_SYS(munmap), SCMP_SYS(mremap), SCMP_SYS(madvise),
    SCMP_SYS(futex),            /* glibc's locks (exit handlers)        */
    /* signals: the stop signals, unblocked only in epoll_pwait */
    SCMP_SYS(rt_sigprocmask), SCMP_SYS(rt_sigreturn),
    SCMP_SYS(restart_syscall),
    /* time, where the vDSO falls back to a system call */
    SCMP_SYS(clock_gettime), SCMP_SYS(gettimeofday), SCMP_SYS(time),
    /* httpd's crash handler (sig_coredump): chdir to CoreDumpDirectory,
     * then the signal again to itself; without it a crash would read as
     * a trapped chdir */
    SCMP_SYS(chdir),
    SCMP_SYS(exit), SCMP_SYS(exit_group)
};

/* fcntl commands a router may use: descriptor and status flags, and the
 * seals of a replay memfd (replay.c checks them). */
static const int seccomp_router_fcntl[] = {
    F_GETFD, F_SETFD, F_GETFL, F_SETFL, F_GET_SEALS
};

/* Router: add the unconditional rules. */
static int seccomp_add_plain(scmp_filter_ctx ctx)
{
    size_t i;
    int rc = 0;

    for (i = 0; rc == 0 && i < sizeof(seccomp_router_allowed)
                                / sizeof(seccomp_router_allowed[0]); i++) {
        rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, seccomp_router_allowed[i],
                              0);
    }
    return rc;
}

/* Router: the calls allowed with some arguments only. */
static int seccomp_add_limited(scmp_filter_ctx ctx, pid_t self)
{
    size_t i;
    int rc = 0;

    for (i = 0; rc == 0 && i < sizeof(seccomp_router_fcntl)
                                / sizeof(seccomp_router_fcntl[0]); i++) {
        rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(fcntl), 1,
                              SCMP_A1(SCMP_CMP_EQ,
                                      (scmp_datum_t)seccomp_router_fcntl[i]));
    }
    /* memory, never executable: no code of its own */
    if (rc == 0) {
        rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(mmap), 1,
                              SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0));
    }
    if (rc == 0) {
        rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(mprotect), 1,
                              SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0));
    }
    /* glibc's fstat(): newfstatat(fd, "", AT_EMPTY_PATH) */
    if (rc == 0) {
        rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(newfstatat), 1,
                              SCMP_A3(SCMP_CMP_MASKED_EQ, AT_EMPTY_PATH,
                                      AT_EMPTY_PATH));
    }
    /* signals to itself only (httpd's crash handler, raise()) */
    if (rc == 0) {
        rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(kill), 1,
                              SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)self));
    }
    if (rc == 0) {
        rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(tgkill), 1,
                              SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)self));
    }
    /* any handler but SIGSYS's: that one is the trap's */
    if (rc == 0) {
        rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(rt_sigaction), 1,
                              SCMP_A0(SCMP_CMP_NE, (scmp_datum_t)SIGSYS));
    }
    return rc;
}

/* Router, signal context: a call off the list.  One line to the error
 * log, then SIGSYS again with its default action (SA_RESETHAND put it
 * back on entry; SA_NODEFER leaves it unblocked): the router dies of it,
 * and a second trap on the way kills it without a second line. */
static void seccomp_trapped(int sig, siginfo_t *si, void *uc)
{
    seccomp_trap_t *t = &seccomp_trap;
    peruid_trapline_t l;
    struct timespec ts;
    char line[512];
    size_t n;

    (void)sig;
    (void)uc;
    memset(&l, 0, sizeof(l));
    clock_gettime(CLOCK_REALTIME, &ts);
    l.sec = (long long)ts.tv_sec;
    l.usec = ts.tv_nsec / 1000;
    l.gmtoff = t->gmtoff;
    l.pid = (long)getpid();
    l.nr = si->si_syscall;
    l.arch = (unsigned long)si->si_arch;
    l.native = l.arch == t->arch;
    l.name = l.native && l.nr >= 0 && l.nr < SECCOMP_NAMES ? t->names[l.nr]
                                                           : NULL;
    n = peruid_trapline_format(line, sizeof(line), &l);
    if (write(t->fd, line, n) < 0) {
        /* nothing more to say: the master logs the death */
    }
    kill(getpid(), SIGSYS);
    _exit(SECCOMP_TRAP_EXIT);
}

/* Router (its user), before the filter: what the handler will need, and
 * the handler. */
static apr_status_t seccomp_trap_setup(int log_fd)
{
    struct sigaction sa;
    struct tm tm;
    time_t now = time(NULL);
    int nr;

    seccomp_trap.fd = log_fd;
    seccomp_trap.gmtoff = localtime_r(&now, &tm) ? (long)tm.tm_gmtoff : 0;
    seccomp_trap.arch = (unsigned long)seccomp_arch_native();
    for (nr = 0; nr < SECCOMP_NAMES; nr++) {
        if (!seccomp_trap.names[nr]) {
            seccomp_trap.names[nr] = seccomp_syscall_resolve_num_arch(
                seccomp_arch_native(), nr);
        }
    }
    memset(&sa, 0, sizeof(sa));
    sa.sa_sigaction = seccomp_trapped;
    sa.sa_flags = SA_SIGINFO | SA_RESETHAND | SA_NODEFER;
    sigemptyset(&sa.sa_mask);
    return sigaction(SIGSYS, &sa, NULL) < 0 ? errno : APR_SUCCESS;
}

/* Router (its user, no capabilities): see peruid_seccomp.h. */
apr_status_t peruid_seccomp_router(int log_fd, const char **call)
{
    scmp_filter_ctx ctx;
    apr_status_t rv;
    int rc;

    *call = "sigaction(SIGSYS)";
    if ((rv = seccomp_trap_setup(log_fd)) != APR_SUCCESS) {
        return rv;
    }
    *call = "seccomp_init";
    ctx = seccomp_init(SCMP_ACT_TRAP);
    if (!ctx) {
        return APR_ENOMEM;
    }
    *call = "seccomp_attr_set(SCMP_FLTATR_ACT_BADARCH)";
    rc = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_TRAP);
    if (rc == 0) {
        *call = "seccomp_rule_add";
        rc = seccomp_add_plain(ctx);
    }
    if (rc == 0) {
        rc = seccomp_add_limited(ctx, getpid());
    }
    if (rc == 0) {
        *call = "seccomp_load";
        rc = seccomp_load(ctx);
    }
    seccomp_release(ctx);
    return rc == 0 ? APR_SUCCESS : (apr_status_t)-rc;
}
