/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * creds.c -- the only file of the peruid MPM that calls the setuid
 * family (setgroups, setresgid, setresuid).
 *
 * Runs in a child right after fork, while it is still root and before it
 * has touched any connection: a router (and a log relay) switches to
 * PeruidRouterUser, a worker to its pool's AssignUserID user.  The switch
 * is one-way and checked: the old ids cannot be regained, the
 * supplementary groups are exactly the target's, and every capability set
 * is empty.  A worker's bound on the
 * processes of its user (RLimitNPROC) is set with it, while still root.
 * Any failure is returned; the caller exits the child (fail closed, never
 * serve as the wrong user).
 */

#ifndef _GNU_SOURCE
#define _GNU_SOURCE             /* setresuid and the like (httpd's build
                                 * defines it; tests/unit's does not) */
#endif

#include <errno.h>
#include <grp.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/capability.h>

#include "creds.h"
#include "uidrange.h"

#define CREDS_MAX_GROUPS 1024

/* Child, root: clear the inheritable and ambient sets while we still may,
 * and make sure no "keep capabilities" bit survives the uid change. */
static apr_status_t creds_clear_caps_pre(const char **call)
{
    cap_t caps;
    int rc;

    *call = "prctl(PR_SET_KEEPCAPS)";
    if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0) {
        return errno;
    }
#ifdef PR_CAP_AMBIENT
    *call = "prctl(PR_CAP_AMBIENT_CLEAR_ALL)";
    if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0
        && errno != EINVAL) {
        return errno;
    }
#endif
    *call = "cap_set_proc(inheritable)";
    caps = cap_get_proc();
    if (!caps) {
        return errno;
    }
    rc = cap_clear_flag(caps, CAP_INHERITABLE) == 0 ? cap_set_proc(caps) : -1;
    cap_free(caps);
    return rc == 0 ? APR_SUCCESS : errno;
}

/* Master, root: see creds.h. */
apr_status_t peruid_creds_groups(const char *user, gid_t gid,
                                 gid_t **groups, int *ngroups)
{
    int n = 64;
    gid_t *g = NULL, *more;

    for (;;) {
        more = realloc(g, (size_t)n * sizeof(gid_t));
        if (!more) {
            free(g);
            return APR_ENOMEM;
        }
        g = more;
        if (!user) {
            g[0] = gid;
            n = 1;
            break;
        }
        if (getgrouplist(user, gid, g, &n) >= 0) {
            break;
        }
        if (n > CREDS_MAX_GROUPS) {
            free(g);
            return APR_ENOSPC;
        }
    }
    *groups = g;
    *ngroups = n;
    return APR_SUCCESS;
}

/* Any process: see creds.h. */
void peruid_creds_nproc_fold(struct rlimit *acc, int *n,
                             const struct rlimit *one)
{
    rlim_t cur;

    if (!one) {
        return;
    }
    cur = one->rlim_cur < one->rlim_max ? one->rlim_cur : one->rlim_max;
    if (*n == 0 || cur < acc->rlim_cur) {
        acc->rlim_cur = cur;
    }
    if (*n == 0 || one->rlim_max > acc->rlim_max) {
        acc->rlim_max = one->rlim_max;
    }
    (*n)++;
}

/* Child, root: the bound on the processes of the user we become.  Set
 * as root, which may raise the hard limit too (mod_cgi sets the
 * configured pair on CGI programs); the kernel counts every process whose
 * real uid is the user's at each fork() of the user's processes. */
static apr_status_t creds_set_nproc(const peruid_ids_t *ids,
                                    const char **call)
{
    *call = "setrlimit(RLIMIT_NPROC)";
    if (ids->nproc && setrlimit(RLIMIT_NPROC, ids->nproc) < 0) {
        return errno;
    }
    return APR_SUCCESS;
}

/* Child, after the switch: the process bound is the one asked for. */
static apr_status_t creds_check_nproc(const peruid_ids_t *ids,
                                      const char **call)
{
    struct rlimit rl;

    *call = "RLIMIT_NPROC differs";
    if (!ids->nproc) {
        return APR_SUCCESS;
    }
    if (getrlimit(RLIMIT_NPROC, &rl) < 0) {
        return errno;
    }
    return rl.rlim_cur == ids->nproc->rlim_cur
           && rl.rlim_max == ids->nproc->rlim_max ? APR_SUCCESS
                                                   : APR_EGENERAL;
}

/* Child, root: the supplementary groups, gid and uid, in that order;
 * with a range (LimitUIDRange, LimitGIDRange), its filter between the
 * groups and the ids, so that it refuses setgroups from then on. */
static apr_status_t creds_set_ids(const peruid_ids_t *ids,
                                  const peruid_uidrange_t *range,
                                  const char **call)
{
    *call = "the master has no group list for this user";
    if (ids->ngroups <= 0 || !ids->groups) {
        return APR_EINVAL;
    }
    *call = "setgroups";
    if (setgroups((size_t)ids->ngroups, ids->groups) < 0) {
        return errno;
    }
    *call = "the LimitUIDRange/LimitGIDRange filter";
    if (range && peruid_uidrange_install(range) != APR_SUCCESS) {
        return errno;
    }
    *call = "setresgid";
    if (setresgid(ids->gid, ids->gid, ids->gid) < 0) {
        return errno;
    }
    *call = "setresuid";
    if (setresuid(ids->uid, ids->uid, ids->uid) < 0) {
        return errno;
    }
    return APR_SUCCESS;
}

/* Child, after the switch: real, effective and saved ids are the target's
 * and neither uid 0 nor gid 0 can be taken back. */
static apr_status_t creds_check_ids(uid_t uid, gid_t gid, const char **call)
{
    uid_t ru, eu, su;
    gid_t rg, eg, sg;

    *call = "getresuid/getresgid";
    if (getresuid(&ru, &eu, &su) < 0 || getresgid(&rg, &eg, &sg) < 0) {
        return errno;
    }
    if (ru != uid || eu != uid || su != uid
        || rg != gid || eg != gid || sg != gid) {
        return APR_EGENERAL;
    }
    *call = "setresuid(0) succeeded";
    if (uid != 0 && setresuid((uid_t)-1, 0, (uid_t)-1) == 0) {
        return APR_EGENERAL;
    }
    *call = "setresgid(0) succeeded";
    if (gid != 0 && setresgid((gid_t)-1, 0, (gid_t)-1) == 0) {
        return APR_EGENERAL;
    }
    return APR_SUCCESS;
}

/* Child, after the switch: qsort order of group ids. */
static int creds_gid_cmp(const void *a, const void *b)
{
    gid_t x = *(const gid_t *)a, y = *(const gid_t *)b;

    return x < y ? -1 : x > y;
}

/* Child, after the switch: the supplementary groups are exactly the
 * list the master looked up (never gid 0). */
static apr_status_t creds_check_groups(const peruid_ids_t *ids,
                                       const char **call)
{
    gid_t want[CREDS_MAX_GROUPS], have[CREDS_MAX_GROUPS];
    int nwant = ids->ngroups, nhave, i;

    *call = "getgroups";
    nhave = getgroups(CREDS_MAX_GROUPS, have);
    if (nhave < 0) {
        return errno;
    }
    *call = "supplementary groups differ";
    if (nwant != nhave || nwant > CREDS_MAX_GROUPS) {
        return APR_EGENERAL;
    }
    memcpy(want, ids->groups, (size_t)nwant * sizeof(gid_t));
    qsort(want, nwant, sizeof(gid_t), creds_gid_cmp);
    qsort(have, nhave, sizeof(gid_t), creds_gid_cmp);
    for (i = 0; i < nwant; i++) {
        if (want[i] != have[i] || want[i] == 0) {
            return APR_EGENERAL;
        }
    }
    return APR_SUCCESS;
}

/* Child, after the switch: permitted, effective, inheritable and ambient
 * capability sets are all empty. */
static apr_status_t creds_check_caps(const char **call)
{
    cap_t caps, none;
    int differ;

    *call = "cap_get_proc";
    caps = cap_get_proc();
    none = cap_init();
    if (!caps || !none) {
        return errno;
    }
    differ = cap_compare(caps, none);
    cap_free(caps);
    cap_free(none);
    *call = "capabilities left";
    if (differ) {
        return APR_EGENERAL;
    }
#ifdef PR_CAP_AMBIENT
    {
        int c;

        for (c = 0; c <= CAP_LAST_CAP; c++) {
            if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, c, 0, 0) > 0) {
                *call = "ambient capability left";
                return APR_EGENERAL;
            }
        }
    }
#endif
    return APR_SUCCESS;
}

/* Child: see creds.h. */
apr_status_t peruid_creds_verify(const peruid_ids_t *ids, const char **call)
{
    apr_status_t rv;

    if ((rv = creds_check_ids(ids->uid, ids->gid, call)) != APR_SUCCESS
        || (rv = creds_check_groups(ids, call)) != APR_SUCCESS
        || (rv = creds_check_caps(call)) != APR_SUCCESS
        || (rv = creds_check_nproc(ids, call)) != APR_SUCCESS) {
        return rv;
    }
    return APR_SUCCESS;
}

/* Child, root until it returns: see creds.h. */
apr_status_t peruid_creds_switch(const peruid_ids_t *ids, const char **call)
{
    return peruid_creds_switch_limited(ids, NULL, call);
}

/* Child, root until it returns: see creds.h.  uid 0 and gid 0 are refused
 * here too, whatever the configuration said. */
apr_status_t peruid_creds_switch_limited(const peruid_ids_t *ids,
                                         const struct peruid_uidrange_s *range,
                                         const char **call)
{
    apr_status_t rv;

    *call = "target is root";
    if (ids->uid == 0 || ids->gid == 0) {
        return APR_EINVAL;
    }
    if ((rv = creds_clear_caps_pre(call)) != APR_SUCCESS
        || (rv = creds_set_nproc(ids, call)) != APR_SUCCESS
        || (rv = creds_set_ids(ids, range, call)) != APR_SUCCESS) {
        return rv;
    }
    return peruid_creds_verify(ids, call);
}
