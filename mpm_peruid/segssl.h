/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * segssl.h -- what mod_ssl makes in post_config that workers would
 * share: the shared mappings (its session and stapling caches, the
 * pthread mutexes that guard them) and lock files (the same mutexes with
 * the fcntl mechanism, Debian's "Mutex file:" default).  segments.c
 * gives each user a copy of them, as of PHP's OPcache.
 *
 * mod_ssl makes its cache mutex once for the life of the master (in the
 * first post_config pass, from the process pool) and its caches every
 * generation, so what is noted lives across generations (retained data)
 * and is checked again at each: an object no longer mapped, or a
 * descriptor no longer on the same file, is forgotten.
 */

#ifndef PERUID_SEGSSL_H
#define PERUID_SEGSSL_H

#include <sys/types.h>

#include "httpd.h"
#include "segments.h"

/* A shared object mod_ssl mapped: where it starts, and what it is. */
typedef struct {
    unsigned long start;
    unsigned long dev;          /* as /proc/self/maps gives it           */
    unsigned long inode;
} peruid_segssl_map_t;


/* Master, root, post_config hooks around mod_ssl's: note the shared
 * mappings and descriptors before it, and what appeared after it. */
int peruid_segssl_before(apr_pool_t *pconf, apr_pool_t *plog,
                         apr_pool_t *ptemp, server_rec *s);
int peruid_segssl_after(apr_pool_t *pconf, apr_pool_t *plog,
                        apr_pool_t *ptemp, server_rec *s);

/* Master, root: the shared objects and the lock files (empty, unlinked
 * regular files) mod_ssl made, as noted so far; their count, the table
 * in *out. */
int peruid_segssl_maps(const peruid_segssl_map_t **out);
int peruid_segssl_locks(const peruid_fd_id_t **out);

#endif /* PERUID_SEGSSL_H */
