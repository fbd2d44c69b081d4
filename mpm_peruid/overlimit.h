/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * overlimit.h -- a worker at its user's limits (overlimit.c): a user
 * that already has more processes than its RLimitNPROC, a worker whose
 * descriptor table is full.  Either way the worker answers 503 instead
 * of serving, says so naming the user (never silence) and leaves.  The
 * decisions are pure (tests/unit/test_overlimit.c); worker.c carries
 * them out.
 */

#ifndef PERUID_OVERLIMIT_H
#define PERUID_OVERLIMIT_H

#include <sys/types.h>

#include "apr.h"

/* The kernel's mark on a process whose setuid() found the new user over
 * its RLIMIT_NPROC (PF_NPROC_EXCEEDED, include/linux/sched.h): its next
 * execve() fails with EAGAIN. */
#define PERUID_PF_NPROC_EXCEEDED 0x00001000UL

/* Pure: from the bytes of /proc/self/stat (n of them, n < 0: not read),
 * 1 when the process carries PERUID_PF_NPROC_EXCEEDED, 0 when it does
 * not, -1 when the bytes do not say. */
int peruid_overlimit_nproc_parse(const char *buf, ssize_t n);

typedef enum {
    OVERLIMIT_SERVE = 0,    /* room for what serving opens: serve it   */
    OVERLIMIT_503           /* the table is full: answer 503, close    */
} overlimit_fd_e;

/* Pure: what a worker does with a connection it has just received, from
 * whether it got its spare descriptor back afterwards (spare_back: the
 * table had room for one more) and the errno of the failed attempt
 * (err; EMFILE and ENFILE say the table, or the system's, is full;
 * another error is not about room, and the connection is served). */
overlimit_fd_e peruid_overlimit_fd_verdict(int spare_back, int err);

/* Worker (vhost user), after its switch: is this worker over its user's
 * RLIMIT_NPROC (the kernel's mark)?  1 yes, 0 no, -1 unknown. */
int peruid_overlimit_nproc_now(void);

#endif /* PERUID_OVERLIMIT_H */
