/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * overlimit.c -- a worker at its user's limits: the decisions (pure, also
 * run by tests/unit/test_overlimit.c) and the one reading of
 * /proc/self/stat.  worker.c carries them out (answers 503, logs
 * PU00133 and PU00134 naming the user).
 *
 * Processes (RLimitNPROC): the master forks workers as root, which the
 * kernel does not count against any user, and a worker's setresuid()
 * succeeds whatever its user's count; the kernel only marks the process
 * (PF_NPROC_EXCEEDED) when the user already had more processes than the
 * limit, and refuses its next execve().  A worker reads the mark right
 * after its switch: a marked worker would be one process beyond its
 * user's limit, so it serves nothing, answers 503 to the connections
 * queued for its pool and leaves; the master forks the next one after
 * its back-off (children.c), and the first one that finds its user back
 * under the limit serves again.
 *
 * Descriptors (RLIMIT_NOFILE): a worker keeps one spare descriptor and
 * closes it right before it receives a connection, so the kernel always
 * has a slot for the client socket (without one, recvmsg() sets
 * MSG_CTRUNC, drops the socket, and the client sees its connection
 * closed unanswered).  Right after, the worker takes a spare again; when
 * it cannot (EMFILE), serving would fail at its first open() as well, so
 * the connection is answered 503 and the worker leaves: descriptors a
 * tenant's code leaked, or a limit it lowered, stay with the process,
 * and the pool's next worker starts with a fresh table.  It leaves sick,
 * so that a table full from the start (a limit too low for what a
 * worker holds) makes the master back off instead of forking in a loop.
 */

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "overlimit.h"

/* The field of /proc/PID/stat that holds the flags: the 9th, the 7th
 * after the ")" that ends the command name (which may hold spaces and
 * parentheses: the last ")" ends it). */
#define OVERLIMIT_FLAGS_AFTER_COMM 7

int peruid_overlimit_nproc_parse(const char *buf, ssize_t n)
{
    const char *p = NULL, *end;
    unsigned long long flags = 0;
    ssize_t i;
    int field = 0, digits = 0;

    if (!buf || n <= 0) {
        return -1;
    }
    end = buf + n;
    for (i = n; i > 0 && !p; i--) {
        if (buf[i - 1] == ')') {
            p = buf + i;
        }
    }
    if (!p) {
        return -1;
    }
    for (; p < end && field < OVERLIMIT_FLAGS_AFTER_COMM; p++) {
        field += *p == ' ';
    }
    for (; p < end && *p >= '0' && *p <= '9' && digits < 20; p++, digits++) {
        flags = flags * 10 + (unsigned long long)(*p - '0');
    }
    if (field != OVERLIMIT_FLAGS_AFTER_COMM || digits == 0 || digits == 20
        || (p < end && *p != ' ' && *p != '\n')) {
        return -1;
    }
    return (flags & PERUID_PF_NPROC_EXCEEDED) != 0;
}

overlimit_fd_e peruid_overlimit_fd_verdict(int spare_back, int err)
{
    if (spare_back) {
        return OVERLIMIT_SERVE;
    }
    return err == EMFILE || err == ENFILE ? OVERLIMIT_503 : OVERLIMIT_SERVE;
}

/* Worker (vhost user), right after its switch: the kernel's mark, from
 * /proc/self/stat (its own, readable by any process). */
int peruid_overlimit_nproc_now(void)
{
    char buf[512];
    ssize_t n = -1;
    int fd = open("/proc/self/stat", O_RDONLY | O_CLOEXEC);

    if (fd >= 0) {
        n = read(fd, buf, sizeof(buf));
        close(fd);
    }
    return peruid_overlimit_nproc_parse(buf, n);
}
