/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * uidrange.h -- the seccomp filter of LimitUIDRange and LimitGIDRange
 * (uidrange.c): the setuid family refused outside the ranges, and
 * setgroups refused, in a worker and in everything it executes.
 */

#ifndef PERUID_UIDRANGE_H
#define PERUID_UIDRANGE_H

#include <linux/filter.h>

#include "apr.h"
#include "apr_errno.h"

/* The ranges, inclusive. */
typedef struct peruid_uidrange_s {
    unsigned long uid_min, uid_max;
    unsigned long gid_min, gid_max;
} peruid_uidrange_t;

/* Room for the program (uidrange_build never writes more). */
#define PERUID_UIDRANGE_PROG_MAX 160

/* Any process (pure): the filter program for r into prog (at least
 * PERUID_UIDRANGE_PROG_MAX entries); returns its length.  For each of
 * setuid, setgid, setreuid, setregid, setresuid, setresgid, setfsuid and
 * setfsgid, every id argument (its low 32 bits, what the kernel reads)
 * must be -1 (unchanged) or inside its range, else the call fails with
 * EPERM; setgroups always fails with EPERM; a call of another ABI than
 * the native one (32-bit or x32 programs) fails with EPERM; anything
 * else is allowed. */
int peruid_uidrange_build(const peruid_uidrange_t *r, struct sock_filter *prog);

/* Worker: install that filter for this process and all it starts.
 * Root, between its setgroups and its setresgid (creds.c, LimitUIDRange),
 * without PR_SET_NO_NEW_PRIVS (root may; setgid helpers such as sendmail
 * keep working inside the ranges); or the worker's user after its switch
 * with no_new_privs set, its own ids as the ranges (sandbox.c,
 * PeruidNoNewPrivs).  Returns errno on failure. */
apr_status_t peruid_uidrange_install(const peruid_uidrange_t *r);

#endif /* PERUID_UIDRANGE_H */
