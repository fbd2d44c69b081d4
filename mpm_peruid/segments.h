/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * segments.h -- a copy per user of the shared segments modules make in
 * post_config (PHP's OPcache, mod_ssl's caches), with their lock files.
 *
 * The master, root, notes its shared mappings and descriptors before the
 * post_config hooks and again after them; the segments that appeared
 * (segpick.c chooses them), and the shared objects mod_ssl made
 * (segssl.c notes them), are copied, for each user/group pair of the
 * configuration, into a memfd of that user's own, filled by the first
 * worker of the user in this generation.  Every worker, root, before it
 * switches, maps its user's copy over the segment, at the same address
 * and with the same protections, puts its user's copies in place of
 * OPcache's and mod_ssl's lock files, and closes every other user's.  Routers
 * close them all.  Retaken every generation (graceful restarts); a
 * user's copy is made empty again once none of its workers is left.
 */

#ifndef PERUID_SEGMENTS_H
#define PERUID_SEGMENTS_H

#include <sys/types.h>

#include "peruid.h"

/* A descriptor open in the master, with its file's identity. */
typedef struct {
    int fd;
    dev_t dev;
    ino_t ino;
} peruid_fd_id_t;

/* Master, root (segments.c, segssl.c): /proc/self/maps into a table of
 * segpick_map_t (lines of another shape are left out), NULL when it
 * cannot be read whole; the descriptors open now (peruid_fd_id_t); was
 * f open in before, on the same file? */
apr_array_header_t *peruid_segments_read_maps(apr_pool_t *p);
apr_array_header_t *peruid_segments_read_fds(apr_pool_t *p);
int peruid_segments_fd_known(const apr_array_header_t *before,
                             const peruid_fd_id_t *f);

/* Master, root, post_config hooks: before (APR_HOOK_REALLY_FIRST) and
 * after (APR_HOOK_REALLY_LAST) every module's. */
int peruid_segments_before(apr_pool_t *pconf, apr_pool_t *plog,
                           apr_pool_t *ptemp, server_rec *s);
int peruid_segments_after(apr_pool_t *pconf, apr_pool_t *plog,
                          apr_pool_t *ptemp, server_rec *s);

/* Master, root, check_config hook ("apache2 -t" too): refuse a
 * configuration that loads mod_php on a kernel without sealed memfds. */
int peruid_segments_check_config(apr_pool_t *pconf, apr_pool_t *plog,
                                 apr_pool_t *ptemp, server_rec *s);

/* Master, root, at the end of each scheduling pass (schedule.c): the
 * copy of every user/group pair none of whose workers is left in the
 * master's table (rd->slots: starting, serving or leaving, preforked
 * ones once bound) and that holds data is released: an empty memfd,
 * made as at the generation's start, takes its place at the same
 * descriptor number, for the user's next worker to fill (segpick.c
 * decides, segpick_copy_release).  Forks happen in the master between
 * passes, so no worker is forked while a copy is released. */
void peruid_segments_release_idle(const peruid_retained_t *rd);

/* Worker (or preforked worker once bound), root, before the switch:
 * take pool's own copy of every segment and of OPcache's lock file,
 * close the other users' copies.  Any failure is logged (PU00078) and
 * must end the worker: the segment it still maps would be every user's. */
apr_status_t peruid_segments_enter(const peruid_pool_t *pool);

/* Router (PeruidRouterUser), drop_privileges hook: close every user's copy. */
int peruid_segments_drop_privileges(apr_pool_t *pchild, server_rec *s);

#endif /* PERUID_SEGMENTS_H */
