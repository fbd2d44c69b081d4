/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * peruid_seccomp.h -- the routers' system call filter.
 */

#ifndef PERUID_SECCOMP_H
#define PERUID_SECCOMP_H

#include "apr_errno.h"

/* Router, after its credential switch: refuse for good (EPERM) the system
 * calls a router never needs -- starting programs or processes, tracing,
 * changing identity.  *call names what failed. */
apr_status_t peruid_seccomp_router(const char **call);

#endif /* PERUID_SECCOMP_H */
