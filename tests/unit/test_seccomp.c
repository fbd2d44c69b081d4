/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * test_seccomp.c -- the routers' allow-list (peruid_seccomp.c), run for
 * real: each row forks a child that installs the filter, with a pipe as
 * its error log, and makes one call with raw syscall() arguments; the
 * row says whether the filter lets it through.  A call off the list must
 * kill the child with SIGSYS after exactly one PU00128 line naming the
 * call; an allowed one returns (whatever the kernel answers) and the
 * child exits 0.  No root needed (the filter sets no_new_privs itself).
 */

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "unit.h"
#include "peruid_seccomp.h"

#define SELF ((unsigned long)-1)     /* replaced by the child's pid */

typedef struct {
    const char *name;
    long nr;
    unsigned long a0, a1, a2, a3;
    const char *trapped;    /* the call's name in PU00128, NULL: allowed */
} row_t;

static const row_t rows[] = {
    { "getpid()", SYS_getpid, 0, 0, 0, 0, NULL },
    { "write(2, \"\", 0)", SYS_write, 2, 0, 0, 0, NULL },
    { "fcntl(0, F_GETFL)", SYS_fcntl, 0, F_GETFL, 0, 0, NULL },
    { "fcntl(0, F_GET_SEALS)", SYS_fcntl, 0, F_GET_SEALS, 0, 0, NULL },
    { "fcntl(0, F_DUPFD)", SYS_fcntl, 0, F_DUPFD, 0, 0, "fcntl" },
    { "mmap(RW)", SYS_mmap, 0, 4096, PROT_READ | PROT_WRITE,
      MAP_PRIVATE | MAP_ANONYMOUS, NULL },
    { "mmap(RWX)", SYS_mmap, 0, 4096, PROT_READ | PROT_EXEC,
      MAP_PRIVATE | MAP_ANONYMOUS, "mmap" },
    { "mprotect(PROT_EXEC)", SYS_mprotect, 0, 4096, PROT_EXEC, 0,
      "mprotect" },
    { "kill(self, 0)", SYS_kill, SELF, 0, 0, 0, NULL },
    { "kill(1, 0)", SYS_kill, 1, 0, 0, 0, "kill" },
    { "rt_sigaction(SIGSYS)", SYS_rt_sigaction, SIGSYS, 0, 0, 8,
      "rt_sigaction" },
    { "rt_sigaction(SIGUSR1)", SYS_rt_sigaction, SIGUSR1, 0, 0, 8, NULL },
    { "newfstatat(0, \"\", AT_EMPTY_PATH)", SYS_newfstatat, 0,
      (unsigned long)"", 0, AT_EMPTY_PATH, NULL },
    { "newfstatat(path)", SYS_newfstatat, AT_FDCWD,
      (unsigned long)"/etc/passwd", 0, 0, "newfstatat" },
    { "openat", SYS_openat, AT_FDCWD, (unsigned long)"/etc/passwd",
      O_RDONLY, 0, "openat" },
    { "socket(AF_UNIX)", SYS_socket, AF_UNIX, SOCK_STREAM, 0, 0, "socket" },
    { "connect", SYS_connect, 0, 0, 0, 0, "connect" },
    { "execve", SYS_execve, (unsigned long)"/bin/true", 0, 0, 0, "execve" },
    { "clone", SYS_clone, SIGCHLD, 0, 0, 0, "clone" },
    { "ptrace", SYS_ptrace, 0, 0, 0, 0, "ptrace" },
    { "prctl", SYS_prctl, PR_GET_DUMPABLE, 0, 0, 0, "prctl" },
    { "setuid(0)", SYS_setuid, 0, 0, 0, 0, "setuid" },
    { "io_uring_setup", SYS_io_uring_setup, 0, 0, 0, 0, "io_uring_setup" },
    /* a call of the x32 ABI (its bit on x86_64's numbers) */
    { "x32 getpid", SYS_getpid | 0x40000000L, 0, 0, 0, 0, "getpid" },
};

/* In a child: the filter, its log the pipe's write end, then the call. */
static void child(const row_t *r, int log)
{
    const char *call;
    unsigned long a0 = r->a0 == SELF ? (unsigned long)getpid() : r->a0;

    if (peruid_seccomp_router(log, &call) != APR_SUCCESS) {
        _exit(2);
    }
    syscall(r->nr, a0, r->a1, r->a2, r->a3, 0, 0);
    /* straight out: the sanitizers' exit path makes calls of its own */
    syscall(SYS_exit_group, 0);
    _exit(3);
}

/* One row: run it, read what the child logged, check how it ended. */
static void run_row(const row_t *r)
{
    char log[1024], want[64];
    ssize_t n, got = 0;
    int fds[2], st = 0, ok;
    pid_t pid;

    if (pipe(fds) < 0 || (pid = fork()) < 0) {
        unit_fail(__FILE__, __LINE__, "pipe/fork");
        return;
    }
    if (pid == 0) {
        close(fds[0]);
        child(r, fds[1]);
    }
    close(fds[1]);
    while ((n = read(fds[0], log + got, sizeof(log) - 1 - (size_t)got)) > 0) {
        got += n;
    }
    log[got] = '\0';
    close(fds[0]);
    waitpid(pid, &st, 0);
    if (r->trapped) {
        snprintf(want, sizeof(want), "(%s) is not on the routers'",
                 r->nr & 0x40000000L ? "unknown" : r->trapped);
        ok = WIFSIGNALED(st) && WTERMSIG(st) == SIGSYS
             && strstr(log, want) && strstr(log, "PU00128")
             && strchr(log, '\n') == log + got - 1;
    }
    else {
        ok = WIFEXITED(st) && WEXITSTATUS(st) == 0 && got == 0;
    }
    unit_checks++;
    if (!ok) {
        unit_fail(__FILE__, __LINE__, r->name);
        fprintf(stderr, "  %s: status 0x%x, log \"%s\"\n", r->name, st,
                log);
    }
}

int main(void)
{
    size_t i;

    for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        run_row(&rows[i]);
    }
    return unit_summary("test_seccomp");
}
