/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * reqnote.h -- the serving user as request notes, for LogFormat
 * (reqnote.c; docs/logging.md).
 */

#ifndef PERUID_REQNOTE_H
#define PERUID_REQNOTE_H

#include "apr_pools.h"

/* The notes a worker sets on every request it serves: "%{peruid-user}n"
 * in a LogFormat.  The user is the worker's: the one that serves (and
 * logs) the request. */
#define PERUID_NOTE_USER  "peruid-user"     /* name, or #UID             */
#define PERUID_NOTE_UID   "peruid-uid"      /* number                    */
#define PERUID_NOTE_GROUP "peruid-group"    /* name, or #GID             */
#define PERUID_NOTE_GID   "peruid-gid"      /* number                    */

/* Master, root, module load: the workers' create_request hook. */
void peruid_reqnote_register_hooks(apr_pool_t *p);

#endif /* PERUID_REQNOTE_H */
