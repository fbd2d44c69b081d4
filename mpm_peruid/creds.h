/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * creds.h -- the one place where a peruid process changes its identity.
 */

#ifndef PERUID_CREDS_H
#define PERUID_CREDS_H

#include <sys/types.h>
#include "apr_errno.h"

/* Whom a child becomes: ids and the whole supplementary group list
 * (computed by the master, see peruid_creds_groups). */
typedef struct {
    uid_t uid;
    gid_t gid;
    const gid_t *groups;
    int ngroups;
} peruid_ids_t;

/* Master, root: the supplementary groups of user with primary group gid
 * (getgrouplist; only gid when user is NULL), malloc'd into *groups.
 * Looked up by the master once per pool and generation, before the
 * pool's first worker is forked (peruid_pools_lookup), so that no child
 * runs the name service (NSS modules, files, daemons) while it is still
 * root. */
apr_status_t peruid_creds_groups(const char *user, gid_t gid,
                                 gid_t **groups, int *ngroups);

/* Switch for good to ids, then verify.  On failure *call names what
 * failed. */
apr_status_t peruid_creds_switch(const peruid_ids_t *ids, const char **call);

/* Verify that the process is ids for good and holds no capability. */
apr_status_t peruid_creds_verify(const peruid_ids_t *ids, const char **call);

#endif /* PERUID_CREDS_H */
