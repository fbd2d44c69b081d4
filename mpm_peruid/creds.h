/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * creds.h -- the one place where a peruid process changes its identity.
 */

#ifndef PERUID_CREDS_H
#define PERUID_CREDS_H

#include <sys/types.h>
#include "apr_errno.h"

/* Switch for good to uid/gid with user's supplementary groups (user NULL:
 * only gid), then verify.  On failure *call names what failed. */
apr_status_t peruid_creds_switch(uid_t uid, gid_t gid, const char *user,
                                 const char **call);

/* Verify that the process is uid/gid for good and holds no capability. */
apr_status_t peruid_creds_verify(uid_t uid, gid_t gid, const char *user,
                                 const char **call);

#endif /* PERUID_CREDS_H */
