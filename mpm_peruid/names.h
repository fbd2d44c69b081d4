/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * names.h -- user and group names of AssignUserID, as the name service
 * answers them, for one configuration read (names.c).  Runs in the master
 * (root) only, while the configuration is read.
 */

#ifndef PERUID_NAMES_H
#define PERUID_NAMES_H

#include <sys/types.h>

#include "apr_pools.h"

typedef enum {
    PERUID_NSS_PASSWD = 0,
    PERUID_NSS_GROUP
} peruid_nss_db_e;

/* Pure: does the nsswitch.conf text (NUL-terminated) give db sources that
 * all list every entry they have, "files" first ("files" alone, or
 * "files systemd", Debian's default)?  Only then is one pass over the
 * database (getpwent) the same answer as a getpwnam() per name.  Action
 * items ("[NOTFOUND=return]") and comments are understood; a missing db
 * line means glibc's default, which is not only files.  Returns 1 or 0. */
int peruid_nss_enumerable(const char *conf, peruid_nss_db_e db);

/* Master, root, config read: the uid of user name (and its canonical
 * name, allocated in p) or the gid of group name.  With many names to look
 * up, one pass over the database serves them all when
 * peruid_nss_enumerable says it may (cached in ptemp, for this read);
 * otherwise, and for a name that pass did not see, getpwnam()/getgrnam().
 * Returns 0, or -1 when the name is unknown. */
int peruid_names_user(apr_pool_t *p, apr_pool_t *ptemp, const char *name,
                      uid_t *uid, const char **canon);
int peruid_names_group(apr_pool_t *ptemp, const char *name, gid_t *gid);

#endif /* PERUID_NAMES_H */
