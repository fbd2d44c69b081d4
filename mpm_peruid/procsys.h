/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * procsys.h -- what the kernel's /proc/PID/syscall says of a worker:
 * waiting for a connection, doing something else, or unknown (the
 * master may not look).
 */

#ifndef PERUID_PROCSYS_H
#define PERUID_PROCSYS_H

#include <sys/types.h>

typedef enum {
    PROCSYS_UNKNOWN = -1,   /* not allowed to read it (no ptrace access) */
    PROCSYS_BUSY = 0,       /* another system call, running, or gone     */
    PROCSYS_WAITING = 1     /* blocked in recvmsg(): waits for a
                             * connection on its pool's channel          */
} procsys_state_e;

procsys_state_e peruid_procsys_state(const char *buf, ssize_t n, int err,
                                     long waiting_call);

#endif /* PERUID_PROCSYS_H */
