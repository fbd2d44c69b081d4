/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * creds.h -- the one place where a peruid process changes its identity.
 */

#ifndef PERUID_CREDS_H
#define PERUID_CREDS_H

#include <sys/types.h>
#include <sys/resource.h>
#include "apr_errno.h"

/* Whom a child becomes: ids and the whole supplementary group list
 * (computed by the master, see peruid_creds_groups), and the bound on
 * the processes of its user (a worker's RLimitNPROC, see
 * peruid_creds_nproc_fold; NULL: the limit it inherited stays). */
typedef struct {
    uid_t uid;
    gid_t gid;
    const gid_t *groups;
    int ngroups;
    const struct rlimit *nproc;
} peruid_ids_t;

/* Master, root: the supplementary groups of user with primary group gid
 * (getgrouplist; only gid when user is NULL), malloc'd into *groups.
 * Looked up by the master once per pool and generation, before the
 * pool's first worker is forked (peruid_pools_lookup), so that no child
 * runs the name service (NSS modules, files, daemons) while it is still
 * root. */
apr_status_t peruid_creds_groups(const char *user, gid_t gid,
                                 gid_t **groups, int *ngroups);

/* Any process (pure): fold one server's RLimitNPROC, one (NULL: it sets
 * none), into *acc, the RLIMIT_NPROC of the workers of the user that
 * serves it; *n counts the limits folded (*acc means something once it
 * is above 0).  The soft limit is the lowest any of them asks for, so
 * that the strictest bounds the user, whose workers serve all of them;
 * the hard limit is the highest, as mod_cgi sets each vhost's own pair on
 * its CGI programs, and a process that is not root cannot raise its hard
 * limit.  A pair whose soft limit is above its hard one counts as its
 * hard one. */
void peruid_creds_nproc_fold(struct rlimit *acc, int *n,
                             const struct rlimit *one);

/* Switch for good to ids, then verify.  On failure *call names what
 * failed. */
apr_status_t peruid_creds_switch(const peruid_ids_t *ids, const char **call);

/* The same, and with range not NULL, the LimitUIDRange/LimitGIDRange
 * filter (uidrange.h) installed after the groups are set and before the
 * ids are: from then on the setuid family works only inside the ranges,
 * and setgroups not at all, for this process and what it executes. */
struct peruid_uidrange_s;
apr_status_t peruid_creds_switch_limited(const peruid_ids_t *ids,
                                         const struct peruid_uidrange_s *range,
                                         const char **call);

/* Verify that the process is ids for good and holds no capability. */
apr_status_t peruid_creds_verify(const peruid_ids_t *ids, const char **call);

#endif /* PERUID_CREDS_H */
