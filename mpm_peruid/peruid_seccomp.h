/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * peruid_seccomp.h -- the routers' system call filter, an allow-list.
 */

#ifndef PERUID_SECCOMP_H
#define PERUID_SECCOMP_H

#include "apr_errno.h"

/* Router, after its credential switch: from here on only the system
 * calls a router makes are allowed (peruid_seccomp.c lists them, each
 * with its reason; some with their arguments limited).  Any other call
 * writes one PU00128 line to log_fd (the error log) and kills the
 * router with SIGSYS.  On failure *call names what failed; the caller
 * must not route without the filter. */
apr_status_t peruid_seccomp_router(int log_fd, const char **call);

#endif /* PERUID_SECCOMP_H */
