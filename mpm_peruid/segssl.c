/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * segssl.c -- what mod_ssl makes in post_config that every worker would
 * share (see segssl.h).
 *
 * Master, root, each post_config pass: peruid_segssl_before runs just
 * before mod_ssl's post_config and notes the shared mappings and open
 * descriptors; peruid_segssl_after runs just after it and adds to the
 * retained tables the writable shared objects and the lock files that
 * appeared.  segments.c then copies those per user with OPcache's
 * segment.
 *
 * The two hooks run right around mod_ssl's: APR sorts hooks by their
 * order, then drags each hook's predecessors to just before it.  The
 * "after" hook (APR_HOOK_MIDDLE) names mod_ssl.c as its predecessor, and
 * mod_ssl.c has the "before" hook (APR_HOOK_LAST, so never placed on its
 * own earlier) as its predecessor: the three are placed together, where
 * the "after" hook stands among the MIDDLE hooks.  mod_ssl's post_config
 * has only one constraint (before mod_proxy's), which still holds.  Only
 * a module that itself asks to run just before mod_ssl (mod_md) may
 * land between, and it makes no shared memory.
 */

#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "httpd.h"
#include "apr_strings.h"
#include "http_log.h"
#include "ap_mpm.h"

#include "peruid.h"
#include "segments.h"
#include "segssl.h"
#include "segpick.h"

#define SEGSSL_MAPS_MAX  16
#define SEGSSL_LOCKS_MAX 8
#define SEGSSL_RETAINED  "mpm_peruid_segssl"

/* What is noted, across generations. */
typedef struct {
    peruid_segssl_map_t maps[SEGSSL_MAPS_MAX];
    int nmaps;
    peruid_fd_id_t locks[SEGSSL_LOCKS_MAX];
    int nlocks;
} segssl_retained_t;

/* This pass's look before mod_ssl's post_config (NULL: none taken). */
static apr_array_header_t *segssl_maps_before;
static apr_array_header_t *segssl_fds_before;

/* Master, root: the retained tables. */
static segssl_retained_t *segssl_retained(void)
{
    segssl_retained_t *r = ap_retained_data_get(SEGSSL_RETAINED);

    if (!r) {
        r = ap_retained_data_create(SEGSSL_RETAINED, sizeof(*r));
    }
    return r;
}

/* Master, root: forget the objects no longer mapped as noted, and the
 * lock files no longer open on the same file. */
static void segssl_prune(segssl_retained_t *r, const apr_array_header_t *m)
{
    const segpick_map_t *t = (const segpick_map_t *)m->elts;
    segpick_obj_t o;
    struct stat st;
    int i, n;

    for (i = n = 0; i < r->nmaps; i++) {
        if (segpick_object_at(t, m->nelts, r->maps[i].start, r->maps[i].dev,
                              r->maps[i].inode, &o)) {
            r->maps[n++] = r->maps[i];
        }
    }
    r->nmaps = n;
    for (i = n = 0; i < r->nlocks; i++) {
        if (fstat(r->locks[i].fd, &st) == 0 && st.st_dev == r->locks[i].dev
            && st.st_ino == r->locks[i].ino) {
            r->locks[n++] = r->locks[i];
        }
    }
    r->nlocks = n;
}

/* Master, root: note the writable shared objects of after that were not
 * in before.  APR_ENOSPC past SEGSSL_MAPS_MAX. */
static apr_status_t segssl_note_maps(segssl_retained_t *r,
                                     const apr_array_header_t *before,
                                     const apr_array_header_t *after)
{
    segpick_obj_t o[SEGSSL_MAPS_MAX];
    const segpick_map_t *a = (const segpick_map_t *)after->elts;
    int n, i;

    n = segpick_new_objects((const segpick_map_t *)before->elts,
                            before->nelts, a, after->nelts, o,
                            SEGSSL_MAPS_MAX);
    for (i = 0; i < n && i < SEGSSL_MAPS_MAX; i++) {
        if (!o[i].writable) {
            continue;
        }
        if (r->nmaps == SEGSSL_MAPS_MAX) {
            return APR_ENOSPC;
        }
        r->maps[r->nmaps].start = o[i].start;
        r->maps[r->nmaps].dev = a[o[i].first].dev;
        r->maps[r->nmaps++].inode = a[o[i].first].inode;
    }
    return n > SEGSSL_MAPS_MAX ? APR_ENOSPC : APR_SUCCESS;
}

/* Master, root: note the descriptors opened since before that are lock
 * files: empty regular files with no name (APR's fcntl mutex unlinks
 * its file at once).  A named one (APR's flock mutex, which child_init
 * opens again by name) cannot be given per user: it is said, and stays
 * shared.  APR_ENOSPC past SEGSSL_LOCKS_MAX. */
static apr_status_t segssl_note_locks(segssl_retained_t *r,
                                      const apr_array_header_t *before,
                                      const apr_array_header_t *now,
                                      server_rec *s)
{
    const peruid_fd_id_t *f = (const peruid_fd_id_t *)now->elts;
    struct stat st;
    int i;

    for (i = 0; i < now->nelts; i++) {
        if (peruid_segments_fd_known(before, &f[i])
            || fstat(f[i].fd, &st) < 0 || !S_ISREG(st.st_mode)) {
            continue;
        }
        if (st.st_nlink > 0 || st.st_size > 0) {
            ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s, PERUID_LOGNO(00059)
                         "mod_ssl keeps file descriptor %d open on a named "
                         "or non-empty file (a flock mutex?): it stays "
                         "shared by every user's workers; choose \"Mutex "
                         "fcntl\" or \"Mutex pthread\" for ssl-cache and "
                         "ssl-stapling", f[i].fd);
            continue;
        }
        if (r->nlocks == SEGSSL_LOCKS_MAX) {
            return APR_ENOSPC;
        }
        r->locks[r->nlocks++] = f[i];
    }
    return APR_SUCCESS;
}

/* Master, root: see segssl.h. */
int peruid_segssl_before(apr_pool_t *pconf, apr_pool_t *plog,
                         apr_pool_t *ptemp, server_rec *s)
{
    segssl_maps_before = segssl_fds_before = NULL;
    if (peruid_settings()->one_process
        || !ap_find_linked_module("mod_ssl.c")) {
        return OK;              /* one process, one user; or no mod_ssl */
    }
    segssl_maps_before = peruid_segments_read_maps(ptemp);
    segssl_fds_before = peruid_segments_read_fds(ptemp);
    return OK;
}

/* Master, root: see segssl.h.  A failure refuses the start: mod_ssl's
 * caches would be every user's. */
int peruid_segssl_after(apr_pool_t *pconf, apr_pool_t *plog,
                        apr_pool_t *ptemp, server_rec *s)
{
    segssl_retained_t *r;
    apr_array_header_t *maps;
    apr_status_t rv = APR_EGENERAL;

    if (peruid_settings()->one_process
        || !ap_find_linked_module("mod_ssl.c")) {
        return OK;
    }
    r = segssl_retained();
    maps = peruid_segments_read_maps(ptemp);
    if (maps && segssl_maps_before) {
        segssl_prune(r, maps);
        rv = segssl_note_maps(r, segssl_maps_before, maps);
    }
    if (rv == APR_SUCCESS) {
        rv = segssl_note_locks(r, segssl_fds_before,
                               peruid_segments_read_fds(ptemp), s);
    }
    segssl_maps_before = segssl_fds_before = NULL;
    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_EMERG | APLOG_STARTUP, rv, NULL,
                     PERUID_LOGNO(00060) "the shared memory and lock files "
                     "mod_ssl made in post_config (its session cache) could "
                     "not all be noted (at most %d mappings and %d lock "
                     "files); refusing to start rather than let every "
                     "user's workers share them",
                     SEGSSL_MAPS_MAX, SEGSSL_LOCKS_MAX);
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    return OK;
}

/* Master, root: see segssl.h. */
int peruid_segssl_maps(const peruid_segssl_map_t **out)
{
    segssl_retained_t *r = segssl_retained();

    *out = r->maps;
    return r->nmaps;
}

/* Master, root: see segssl.h. */
int peruid_segssl_locks(const peruid_fd_id_t **out)
{
    segssl_retained_t *r = segssl_retained();

    *out = r->locks;
    return r->nlocks;
}
