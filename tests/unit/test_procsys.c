/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * test_procsys.c -- unit tests of mpm_peruid/procsys.c, the master's
 * reading of a worker's /proc/PID/syscall: a table of what open() and
 * read() may give (the kernel's formats, cut reads, garbage, and the
 * errors: EACCES and EPERM mean "may not look", PU00056's unknown; ENOENT
 * and ESRCH mean the worker is gone), and once the real file of a child
 * blocked in recvmsg() and of a child that is not.
 */

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "procsys.h"
#include "unit.h"

#define RECVMSG 47L             /* the waiting call of the table rows */

typedef struct {
    const char *name;
    const char *buf;            /* NULL: the read failed               */
    int err;                    /* errno then                          */
    procsys_state_e want;
} row_t;

static const row_t rows[] = {
    { "blocked in recvmsg", "47 0x3 0x7ffd2c1f0e40 0x0 0x0 0x0 0x0 "
      "0x7ffd2c1f0df8 0x7f0c1e2f5a3d", 0, PROCSYS_WAITING },
    { "recvmsg, read cut after the number", "47", 0, PROCSYS_WAITING },
    { "recvmsg, cut after the space", "47 ", 0, PROCSYS_WAITING },
    { "recvmsg, newline", "47\n", 0, PROCSYS_WAITING },
    { "blocked in read", "0 0x5 0x7ffd 0x1000", 0, PROCSYS_BUSY },
    { "blocked in poll", "7 0x7ffd 0x1 0x7d0", 0, PROCSYS_BUSY },
    { "blocked in nanosleep", "230 0x0 0x0 0x7ffe", 0, PROCSYS_BUSY },
    { "a call that starts like recvmsg", "470 0x0", 0, PROCSYS_BUSY },
    { "a call recvmsg starts with", "4 0x0", 0, PROCSYS_BUSY },
    { "leading zero is the same number", "047 0x3", 0, PROCSYS_WAITING },
    { "running", "running\n", 0, PROCSYS_BUSY },
    { "blocked outside a call", "-1 0x7ffd2c1f0df8 0x7f0c1e2f5a3d", 0,
      PROCSYS_BUSY },
    { "empty", "", 0, PROCSYS_BUSY },
    { "garbage after the number", "47x 0x3", 0, PROCSYS_BUSY },
    { "a space first", " 47 0x3", 0, PROCSYS_BUSY },
    { "ten digits", "0000000047 0x3", 0, PROCSYS_BUSY },
    { "nine digits", "000000047 0x3", 0, PROCSYS_WAITING },
    { "huge number", "99999999999999999999 0x3", 0, PROCSYS_BUSY },
    { "no ptrace access (open)", NULL, EACCES, PROCSYS_UNKNOWN },
    { "no ptrace access (read)", NULL, EPERM, PROCSYS_UNKNOWN },
    { "gone before open", NULL, ENOENT, PROCSYS_BUSY },
    { "gone before read", NULL, ESRCH, PROCSYS_BUSY },
    { "another error", NULL, EIO, PROCSYS_BUSY },
    { "no error given", NULL, 0, PROCSYS_BUSY },
};

/* Each row, from a buffer of exactly its bytes (no terminating NUL). */
static void test_table(void)
{
    size_t i;

    for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        const row_t *r = &rows[i];
        size_t len = r->buf ? strlen(r->buf) : 0;
        char *buf = malloc(len ? len : 1);
        procsys_state_e got;

        memcpy(buf, r->buf ? r->buf : "", len);
        got = peruid_procsys_state(buf, r->buf ? (ssize_t)len : -1, r->err,
                                   RECVMSG);
        CHECK(got == r->want);
        if (got != r->want) {
            fprintf(stderr, "    row \"%s\": got %d, want %d\n", r->name,
                    (int)got, (int)r->want);
        }
        free(buf);
    }
}

/* The state of process pid as the master reads it (children.c). */
static procsys_state_e state_of(pid_t pid)
{
    char path[40], buf[24];
    ssize_t n;
    int fd, err = 0;

    snprintf(path, sizeof(path), "/proc/%ld/syscall", (long)pid);
    if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
        return peruid_procsys_state(buf, -1, errno, SYS_recvmsg);
    }
    n = read(fd, buf, sizeof(buf));
    err = errno;
    close(fd);
    return peruid_procsys_state(buf, n, err, SYS_recvmsg);
}

/* A child blocked in recvmsg() reads WAITING, once it got there (waited
 * for, up to 5 s); the same child released and blocked in read() of a
 * pipe reads BUSY. */
static void test_real_child(void)
{
    int s[2], p[2], i;
    procsys_state_e st = PROCSYS_BUSY;
    struct timespec tick = { 0, 5000000 };
    pid_t pid;

    CHECK(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, s) == 0);
    CHECK(pipe(p) == 0);
    pid = fork();
    if (pid == 0) {
        char c;
        struct iovec iov = { &c, 1 };
        struct msghdr mh;

        memset(&mh, 0, sizeof(mh));
        mh.msg_iov = &iov;
        mh.msg_iovlen = 1;
        recvmsg(s[1], &mh, 0);
        (void)!read(p[0], &c, 1);
        _exit(0);
    }
    for (i = 0; i < 1000 && st != PROCSYS_WAITING; i++) {
        st = state_of(pid);
        if (st != PROCSYS_WAITING) {
            nanosleep(&tick, NULL);
        }
    }
    CHECK(st == PROCSYS_WAITING);
    CHECK(send(s[0], "x", 1, 0) == 1);
    for (i = 0, st = PROCSYS_WAITING;
         i < 1000 && st == PROCSYS_WAITING; i++) {
        nanosleep(&tick, NULL);
        st = state_of(pid);
    }
    CHECK(st == PROCSYS_BUSY);      /* now in read() */
    CHECK(write(p[1], "x", 1) == 1);
    CHECK(waitpid(pid, NULL, 0) == pid);
    CHECK(state_of(pid) == PROCSYS_BUSY);   /* gone */
    close(s[0]);
    close(s[1]);
    close(p[0]);
    close(p[1]);
}

int main(void)
{
    test_table();
    test_real_child();
    return unit_summary("test_procsys");
}
