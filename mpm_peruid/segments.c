/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * segments.c -- a copy per user of the shared segments modules make in
 * post_config (PHP's OPcache) and of OPcache's lock file (segments.h).
 *
 * Master, root, every generation: the post_config hooks note the shared
 * mappings and descriptors before every module's post_config and after;
 * segpick.c chooses the segments among the mappings that appeared; their
 * data ranges are noted (holes stay holes: of a 128 MB OPcache segment
 * some 2.4 MB hold data after startup), and one empty sealable memfd is
 * made per user/group pair of the configuration.  Nothing is copied
 * yet: a user with no worker in this generation costs one descriptor.
 *
 * Worker, root, before its switch (peruid_segments_enter): the first
 * worker of a user in this generation fills its user's memfd from the
 * segment as the master left it (no worker writes that one: each maps
 * its user's copy over it before it runs any module code) and seals its
 * size; then each maps the memfd over the segment (MAP_SHARED|MAP_FIXED,
 * the protections of each part kept), puts it in place of OPcache's lock
 * file (dup3 onto its number: OPcache's fcntl() locks then bind the
 * user's workers only), and closes every user's memfd.  Any failure ends
 * the worker: it never runs with the segment every user would share.
 *
 * Master, root, at the end of each scheduling pass
 * (peruid_segments_release_idle): the filled copy of a user none of
 * whose workers is left in the master's table is released: an empty
 * memfd takes its place at the same descriptor number, for the user's
 * next worker to fill (segpick.c decides).
 */

#include <errno.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/sysinfo.h>

#include "httpd.h"
#include "apr_hash.h"
#include "apr_strings.h"
#include "http_log.h"
#include "http_main.h"

#include "peruid.h"
#include "child.h"
#include "segments.h"
#include "segpick.h"
#include "segssl.h"

#define SEGMENTS_MAX      8     /* segments copied per generation        */
#define SEGMENTS_MAPS_MAX (4 * 1024 * 1024)    /* /proc/self/maps bound  */
#define SEGMENTS_FILL_LOCK ((off_t)1 << 40)     /* the byte the filler
                                                 * locks (OPcache's locks
                                                 * are on bytes 0 to 2)  */
#define SEGMENTS_COPY_SEALS (F_SEAL_SHRINK | F_SEAL_GROW)   /* filled    */

/* A run of data in a segment, from its start. */
typedef struct {
    unsigned long off;
    unsigned long len;
} segments_range_t;

/* One segment to copy per user. */
typedef struct {
    unsigned long start, end;
    unsigned long first_word;   /* its first word after post_config      */
    off_t copy_off;             /* where it starts in each user's copy   */
    segpick_map_t *lines;       /* its parts, with their protections     */
    int nlines;
    apr_array_header_t *data;   /* segments_range_t                      */
} segments_seg_t;

/* One user/group pair's copy. */
typedef struct {
    uid_t uid;
    gid_t gid;
    int fd;                     /* sealable memfd, -1 once closed        */
    int *lock_fds;              /* a memfd per lock file of mod_ssl's    */
    int used;                   /* master: a worker of the pair was in its
                                 * table since the copy was made empty
                                 * (segpick_copy_t)                      */
} segments_copy_t;

/* A user/group pair, the key of segments_gen_t's by_ids. */
typedef struct {
    uid_t uid;
    gid_t gid;
} segments_ids_t;

/* This generation's segments: made by the master's post_config hooks
 * (from pconf), read by its children after fork. */
typedef struct {
    apr_array_header_t *maps;   /* before post_config: segpick_map_t     */
    apr_array_header_t *fds;    /* before post_config: peruid_fd_id_t     */
    segments_seg_t segs[SEGMENTS_MAX];
    int nsegs;
    int opcache;                /* of which OPcache's (the others:
                                 * mod_ssl's, segssl.c)                  */
    off_t size;                 /* of one user's copy                    */
    int lock_fd;                /* OPcache's lock file, -1: none         */
    dev_t lock_dev;
    ino_t lock_ino;
    peruid_fd_id_t *locks;      /* mod_ssl's lock files (segssl.c)       */
    int nlocks;
    segments_copy_t *copies;
    int ncopies;
    apr_hash_t *by_ids;         /* master: segments_ids_t -> copies[i]   */
    int *workers;               /* master: per copy, its pair's workers in
                                 * the table (peruid_segments_release_idle) */
} segments_gen_t;

/* The current generation's segments (NULL: none to copy).  Master: set
 * by the post_config hooks, cleared with pconf; a child has the copy of
 * its fork. */
static segments_gen_t *segments_now;

/* Master, root: see segments.h. */
apr_array_header_t *peruid_segments_read_maps(apr_pool_t *p)
{
    apr_array_header_t *t = apr_array_make(p, 256, sizeof(segpick_map_t));
    size_t len = 0, cap = 65536, at;
    char *buf = malloc(cap), *eol;
    ssize_t n = 1;
    int fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);

    while (fd >= 0 && buf && n > 0) {
        if (len == cap) {
            char *more = cap < SEGMENTS_MAPS_MAX ? realloc(buf, cap * 2)
                                                 : NULL;
            if (!more) {
                break;
            }
            buf = more;
            cap *= 2;
        }
        n = read(fd, buf + len, cap - len);
        len += n > 0 ? (size_t)n : 0;
    }
    if (fd >= 0) {
        close(fd);
    }
    for (at = 0; buf && n == 0
                 && (eol = memchr(buf + at, '\n', len - at)) != NULL;
         at = (size_t)(eol - buf) + 1) {
        segpick_map_t m;

        if (segpick_parse(buf + at, (size_t)(eol - buf) - at, &m)) {
            *(segpick_map_t *)apr_array_push(t) = m;
        }
    }
    free(buf);
    return n == 0 ? t : NULL;
}

/* Master, root: see segments.h. */
apr_array_header_t *peruid_segments_read_fds(apr_pool_t *p)
{
    apr_array_header_t *t = apr_array_make(p, 32, sizeof(peruid_fd_id_t));
    DIR *d = opendir("/proc/self/fd");
    struct dirent *e;
    struct stat st;

    while (d && (e = readdir(d)) != NULL) {
        peruid_fd_id_t f;

        f.fd = atoi(e->d_name);
        if (e->d_name[0] < '0' || e->d_name[0] > '9' || f.fd == dirfd(d)
            || fstat(f.fd, &st) < 0) {
            continue;
        }
        f.dev = st.st_dev;
        f.ino = st.st_ino;
        *(peruid_fd_id_t *)apr_array_push(t) = f;
    }
    if (d) {
        closedir(d);
    }
    return t;
}

/* Master, root: see segments.h. */
int peruid_segments_fd_known(const apr_array_header_t *before,
                             const peruid_fd_id_t *f)
{
    const peruid_fd_id_t *b = (const peruid_fd_id_t *)before->elts;
    int i;

    for (i = 0; i < before->nelts; i++) {
        if (b[i].fd == f->fd && b[i].dev == f->dev && b[i].ino == f->ino) {
            return 1;
        }
    }
    return 0;
}

/* Master, root: OPcache's lock file among the descriptors opened by the
 * post_config hooks (g->lock_fd, -1 if none). */
static void segments_find_lock(segments_gen_t *g, apr_pool_t *p)
{
    apr_array_header_t *now = peruid_segments_read_fds(p);
    const peruid_fd_id_t *f = (const peruid_fd_id_t *)now->elts;
    char path[64], target[512];
    ssize_t n;
    int i;

    g->lock_fd = -1;
    for (i = 0; i < now->nelts && g->lock_fd < 0; i++) {
        if (peruid_segments_fd_known(g->fds, &f[i])) {
            continue;
        }
        apr_snprintf(path, sizeof(path), "/proc/self/fd/%d", f[i].fd);
        n = readlink(path, target, sizeof(target) - 1);
        if (n > 0) {
            target[n] = '\0';
            if (segpick_is_opcache_lock(target)) {
                g->lock_fd = f[i].fd;
                g->lock_dev = f[i].dev;
                g->lock_ino = f[i].ino;
            }
        }
    }
}

/* Master, root: the data runs of seg, from the holes of its object
 * (SEEK_DATA through /proc/self/map_files, which needs CAP_SYS_ADMIN or
 * CAP_CHECKPOINT_RESTORE).  Returns APR_ENOTIMPL when the file cannot be
 * opened. */
static apr_status_t segments_data_seek(segments_seg_t *seg)
{
    char path[80];
    off_t base = (off_t)seg->lines[0].offset;
    off_t end = base + (off_t)(seg->end - seg->start), at = base, hole;
    int fd;

    apr_snprintf(path, sizeof(path), "/proc/self/map_files/%lx-%lx",
                 seg->lines[0].start, seg->lines[0].end);
    if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
        return APR_ENOTIMPL;
    }
    while (at < end && (at = lseek(fd, at, SEEK_DATA)) >= 0 && at < end) {
        segments_range_t *r = apr_array_push(seg->data);

        hole = lseek(fd, at, SEEK_HOLE);
        hole = hole < 0 || hole > end ? end : hole;
        r->off = (unsigned long)(at - base);
        r->len = (unsigned long)(hole - at);
        at = hole;
    }
    close(fd);
    return APR_SUCCESS;
}

/* Master, root: is the page at p all zeros? */
static int segments_zero_page(const unsigned char *p, size_t page)
{
    size_t i;

    for (i = 0; i < page && p[i] == 0; i++) {
    }
    return i == page;
}

/* Master, root: is any swap space in use?  (Then a page not in memory
 * may hold data; otherwise it is a hole.) */
static int segments_swap_used(void)
{
    struct sysinfo si;

    return sysinfo(&si) < 0 || si.totalswap != si.freeswap;
}

/* Master, root: is the page at p, not in memory, data?  Reading it
 * brings it in (from swap, or a new zero page); a zero page is given
 * back (MADV_REMOVE), so that the look does not fill the segment. */
static int segments_probe(unsigned char *p, size_t page)
{
    if (segments_zero_page(p, page)) {
        madvise(p, page, MADV_REMOVE);
        return 0;
    }
    return 1;
}

/* Master, root: the data runs of seg, page by page, where map_files
 * cannot be opened: a page in memory that holds anything but zeros is
 * data; a page not in memory is a hole unless swap space is in use, and
 * then it is read (segments_probe).  Needs every part readable. */
static apr_status_t segments_data_scan(segments_seg_t *seg, apr_pool_t *p)
{
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    size_t i, n = (seg->end - seg->start) / page;
    unsigned char *in_core = apr_palloc(p, n);
    int probe = segments_swap_used();
    segments_range_t *run = NULL;

    if (mincore((void *)seg->start, seg->end - seg->start, in_core) < 0) {
        return errno;
    }
    for (i = 0; i < n; i++) {
        unsigned char *pg = (unsigned char *)seg->start + i * page;

        if ((in_core[i] & 1) ? segments_zero_page(pg, page)
                             : !probe || !segments_probe(pg, page)) {
            run = NULL;
            continue;
        }
        if (!run) {
            run = apr_array_push(seg->data);
            run->off = i * page;
            run->len = 0;
        }
        run->len += page;
    }
    return APR_SUCCESS;
}

/* Master, root: note seg's data runs. */
static apr_status_t segments_data(segments_seg_t *seg, apr_pool_t *p)
{
    apr_status_t rv;
    int i;

    seg->data = apr_array_make(p, 8, sizeof(segments_range_t));
    if ((rv = segments_data_seek(seg)) != APR_ENOTIMPL) {
        return rv;
    }
    for (i = 0; i < seg->nlines; i++) {
        if (!(seg->lines[i].prot & SEGPICK_READ)) {
            return APR_EACCES;      /* neither way to find its data */
        }
    }
    return segments_data_scan(seg, p);
}

/* Master or worker, root: an empty copy of a user's segments (no size
 * yet: its first worker sets it, then seals it); -1 with errno. */
static int segments_new_copy(void)
{
    return memfd_create("peruid-segments", MFD_CLOEXEC | MFD_ALLOW_SEALING);
}

/* Master or worker, root: an empty memfd for each of n lock files into
 * k->lock_fds (-1 where not made). */
static apr_status_t segments_make_locks(segments_copy_t *k, int n,
                                        apr_pool_t *p)
{
    int i;

    k->lock_fds = apr_palloc(p, sizeof(int) * (n + 1));
    for (i = 0; i < n; i++) {
        k->lock_fds[i] = -1;
    }
    for (i = 0; i < n; i++) {
        if ((k->lock_fds[i] = memfd_create("peruid-lock", MFD_CLOEXEC)) < 0) {
            return errno;
        }
    }
    return APR_SUCCESS;
}

/* Master, root: an empty memfd for each user/group pair that serves a
 * virtual host; raises the soft limit of descriptors first if they would
 * not fit. */
static apr_status_t segments_make_copies(segments_gen_t *g, apr_pool_t *p,
                                         server_rec *main_s)
{
    apr_hash_t *seen = apr_hash_make(p);
    apr_array_header_t *c = apr_array_make(p, 16, sizeof(segments_copy_t));
    struct rlimit rl;
    server_rec *s;

    for (s = main_s; s; s = s->next) {
        segments_copy_t *k = apr_pcalloc(p, sizeof(*k));
        const char *user;

        peruid_server_ids(s, &k->uid, &k->gid, &user);
        k->fd = -1;
        if (!apr_hash_get(seen, k, sizeof(*k))) {
            apr_hash_set(seen, k, sizeof(*k), k);
            *(segments_copy_t *)apr_array_push(c) = *k;
        }
    }
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0
        && rl.rlim_cur < (rlim_t)c->nelts * (4 + g->nlocks) + 1024
        && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    g->copies = (segments_copy_t *)c->elts;
    for (g->ncopies = 0; g->ncopies < c->nelts; g->ncopies++) {
        segments_copy_t *k = &g->copies[g->ncopies];
        apr_status_t rv = segments_make_locks(k, g->nlocks, p);

        if (rv != APR_SUCCESS) {
            return rv;
        }
        if ((k->fd = segments_new_copy()) < 0) {
            return errno;
        }
    }
    return APR_SUCCESS;
}

/* Master, root: the copies by user/group pair, for
 * peruid_segments_release_idle.  Each counts as used until the first
 * pass has looked at it: StartServers' workers are forked before any. */
static void segments_index(segments_gen_t *g, apr_pool_t *p)
{
    int i;

    g->by_ids = apr_hash_make(p);
    g->workers = apr_pcalloc(p, sizeof(int) * (g->ncopies + 1));
    for (i = 0; i < g->ncopies; i++) {
        segments_ids_t *key = apr_pcalloc(p, sizeof(*key));

        key->uid = g->copies[i].uid;
        key->gid = g->copies[i].gid;
        apr_hash_set(g->by_ids, key, sizeof(*key), &g->copies[i]);
        g->copies[i].used = 1;
    }
}

/* Master or child: close k's descriptors. */
static void segments_close_copy(segments_copy_t *k, int nlocks)
{
    int j;

    if (k->fd >= 0) {
        close(k->fd);
        k->fd = -1;
    }
    for (j = 0; k->lock_fds && j < nlocks; j++) {
        if (k->lock_fds[j] >= 0) {
            close(k->lock_fds[j]);
            k->lock_fds[j] = -1;
        }
    }
}

/* Master or child: close every user's copy this process still holds. */
static void segments_close_copies(segments_gen_t *g)
{
    int i;

    for (i = 0; i < g->ncopies; i++) {
        segments_close_copy(&g->copies[i], g->nlocks);
    }
}

/* Master, root: pconf cleanup, at the end of the generation. */
static apr_status_t segments_cleanup(void *data)
{
    segments_gen_t *g = data;

    segments_close_copies(g);
    if (segments_now == g) {
        segments_now = NULL;
    }
    return APR_SUCCESS;
}

/* Master, root: post_config, before every module's: note the shared
 * mappings and the open descriptors. */
int peruid_segments_before(apr_pool_t *pconf, apr_pool_t *plog,
                           apr_pool_t *ptemp, server_rec *s)
{
    segments_gen_t *g;

    segments_now = NULL;
    if (peruid_settings()->one_process) {
        return OK;              /* one process, one user: nothing shared */
    }
    g = apr_pcalloc(pconf, sizeof(*g));
    g->lock_fd = -1;
    g->maps = peruid_segments_read_maps(ptemp);
    g->fds = peruid_segments_read_fds(ptemp);
    if (!g->maps) {
        ap_log_error(APLOG_MARK, APLOG_EMERG | APLOG_STARTUP, errno, NULL,
                     PERUID_LOGNO(00139) "cannot read /proc/self/maps: the "
                     "shared memory modules make (PHP's OPcache) could not "
                     "be given to each user apart; refusing to start");
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    apr_pool_cleanup_register(pconf, g, segments_cleanup,
                              apr_pool_cleanup_null);
    segments_now = g;
    return OK;
}

/* Master, root: say which new shared mapping stays shared by every
 * user's workers (not a segment: a module's mutex, slot memory or
 * cache, which work by being shared). */
static void segments_log_shared(const segpick_obj_t *o, server_rec *s)
{
    ap_log_error(APLOG_MARK, APLOG_INFO, 0, s, PERUID_LOGNO(00077)
                 "shared mapping %lx-%lx (%lu KiB) made in post_config stays "
                 "shared by every user's workers: its first word does not "
                 "point into it (a mutex, slot memory or a cache, not a "
                 "segment such as OPcache's)", o->start, o->end,
                 (o->end - o->start) / 1024);
}

/* Master, root: how many segments OPcache says it made, when o is its
 * first: the int after the pointer to its segment table (its
 * zend_smm_shared_globals: shared_segments, shared_segments_count).  1
 * with the mmap memory model; more with SysV shm where SHMMAX is below
 * memory_consumption; a value past 64 means o is not OPcache's. */
static unsigned int segments_opcache_parts(const segpick_obj_t *o)
{
    unsigned int n;

    if (o->end - o->start < sizeof(void *) + sizeof(n)) {
        return 0;
    }
    memcpy(&n, (const char *)o->start + sizeof(void *), sizeof(n));
    return n <= 64 ? n : 0;
}

/* Master, root: add obj, one of the mappings after post_config (lines
 * in after), as a segment of g when it is one (mod_ssl's: always), else
 * say it stays shared if it is writable.  Returns APR_ENOSPC past
 * SEGMENTS_MAX segments. */
static apr_status_t segments_add(segments_gen_t *g, const segpick_obj_t *o,
                                 segpick_map_t *after, int of_ssl,
                                 apr_pool_t *p, server_rec *s)
{
    unsigned long w = 0;
    segments_seg_t *seg;

    if (!o->writable) {
        return APR_SUCCESS;     /* read-only: a file such as gconv's cache */
    }
    if (after[o->first].prot & SEGPICK_READ) {
        w = *(const unsigned long *)o->start;
    }
    if (!of_ssl && !segpick_is_segment(o, w)) {
        segments_log_shared(o, s);
        return APR_SUCCESS;
    }
    if (g->nsegs == SEGMENTS_MAX) {
        return APR_ENOSPC;
    }
    if (!of_ssl && segments_opcache_parts(o) > 1) {
        return APR_ENOTIMPL;    /* the others start with no such pointer */
    }
    g->opcache += !of_ssl;
    seg = &g->segs[g->nsegs++];
    seg->start = o->start;
    seg->end = o->end;
    seg->first_word = w;
    seg->lines = apr_pmemdup(p, &after[o->first],
                             o->count * sizeof(segpick_map_t));
    seg->nlines = o->count;
    seg->copy_off = g->size;
    g->size += (off_t)(o->end - o->start);
    return segments_data(seg, p);
}

/* Master, root: is o (lines of after) one of the objects mod_ssl made
 * (segssl.c)? */
static int segments_of_ssl(const segpick_obj_t *o, const segpick_map_t *after)
{
    const peruid_segssl_map_t *m;
    int n = peruid_segssl_maps(&m), i;

    for (i = 0; i < n; i++) {
        if (m[i].start == o->start && m[i].dev == after[o->first].dev
            && m[i].inode == after[o->first].inode) {
            return 1;
        }
    }
    return 0;
}

/* Master, root: every object mod_ssl made that is still mapped (made in
 * this generation's post_config, or its mutex in the master's first)
 * into g. */
static apr_status_t segments_pick_ssl(segments_gen_t *g,
                                      const apr_array_header_t *after,
                                      apr_pool_t *pconf, server_rec *s)
{
    segpick_map_t *a = (segpick_map_t *)after->elts;
    const peruid_segssl_map_t *m;
    const peruid_fd_id_t *l;
    int n = peruid_segssl_maps(&m), i;
    apr_status_t rv = APR_SUCCESS;

    for (i = 0; i < n && rv == APR_SUCCESS; i++) {
        segpick_obj_t o;

        if (segpick_object_at(a, after->nelts, m[i].start, m[i].dev,
                              m[i].inode, &o)) {
            rv = segments_add(g, &o, a, 1, pconf, s);
        }
    }
    g->nlocks = peruid_segssl_locks(&l);
    g->locks = apr_pmemdup(pconf, l, sizeof(*l) * (g->nlocks + 1));
    return rv;
}

/* Master, root: the segments among the shared mappings that appeared
 * across post_config, and mod_ssl's objects (into g); what = the step
 * that failed. */
static apr_status_t segments_pick(segments_gen_t *g, apr_pool_t *pconf,
                                  apr_pool_t *ptemp, server_rec *s,
                                  const char **what)
{
    apr_array_header_t *after = peruid_segments_read_maps(ptemp);
    segpick_obj_t objs[64];
    apr_status_t rv = APR_SUCCESS;
    int n, i;

    *what = "reading /proc/self/maps";
    if (!after) {
        return APR_EGENERAL;
    }
    n = segpick_new_objects((segpick_map_t *)g->maps->elts, g->maps->nelts,
                            (segpick_map_t *)after->elts, after->nelts,
                            objs, 64);
    *what = "noting a segment's data";
    for (i = 0; i < n && i < 64 && rv == APR_SUCCESS; i++) {
        if (!segments_of_ssl(&objs[i], (segpick_map_t *)after->elts)) {
            rv = segments_add(g, &objs[i], (segpick_map_t *)after->elts, 0,
                              pconf, s);
        }
    }
    if (rv == APR_SUCCESS) {
        rv = segments_pick_ssl(g, after, pconf, s);
    }
    if (rv == APR_ENOTIMPL) {
        *what = "taking OPcache's memory in several segments (its SysV shm "
                "memory model with SHMMAX below memory_consumption; set "
                "opcache.memory_model=mmap)";
    }
    return n > 64 ? APR_ENOSPC : rv;
}

/* Master, root: the bytes of data the first worker of a user copies. */
static unsigned long segments_data_size(const segments_gen_t *g)
{
    unsigned long n = 0;
    int i, j;

    for (i = 0; i < g->nsegs; i++) {
        const segments_range_t *r =
            (const segments_range_t *)g->segs[i].data->elts;

        for (j = 0; j < g->segs[i].data->nelts; j++) {
            n += r[j].len;
        }
    }
    return n;
}

/* Master, root: post_config, after every module's: the segments to copy
 * per user, OPcache's lock file, one empty memfd per user.  A failure
 * refuses the start (or the restart): no worker may run with a segment
 * every user shares. */
int peruid_segments_after(apr_pool_t *pconf, apr_pool_t *plog,
                          apr_pool_t *ptemp, server_rec *s)
{
    segments_gen_t *g = segments_now;
    apr_time_t t0 = apr_time_now();
    const char *what = "";
    apr_status_t rv;

    if (!g) {
        return OK;
    }
    segments_now = NULL;        /* until it is complete */
    rv = segments_pick(g, pconf, ptemp, s, &what);
    if (rv == APR_SUCCESS && g->opcache > 0) {
        segments_find_lock(g, ptemp);
        what = "finding OPcache's lock file among the new descriptors";
        rv = g->lock_fd < 0 ? APR_ENOENT : APR_SUCCESS;
    }
    if (rv == APR_SUCCESS && (g->nsegs > 0 || g->nlocks > 0)) {
        what = "making a memfd per user";
        rv = segments_make_copies(g, pconf, s);
    }
    if (rv == APR_SUCCESS && g->ncopies > 0) {
        segments_index(g, pconf);
    }
    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_EMERG | APLOG_STARTUP, rv, NULL,
                     PERUID_LOGNO(00076) "shared memory made in post_config "
                     "(PHP's OPcache, mod_ssl's caches) cannot be given to "
                     "each user apart: "
                     "%s failed; refusing to start rather than let every "
                     "user's workers share it", what);
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    if (g->nsegs > 0 || g->nlocks > 0) {
        segments_now = g;
        ap_log_error(APLOG_MARK, APLOG_NOTICE, 0, s, PERUID_LOGNO(00075)
                     "%d shared segment(s) made in post_config (%d of PHP's "
                     "OPcache, %d of mod_ssl's; %lu KiB in all, %lu KiB of "
                     "data) and %d lock file(s) are given to each of the %d "
                     "users apart (noted in %ld ms)",
                     g->nsegs, g->opcache, g->nsegs - g->opcache,
                     (unsigned long)(g->size / 1024),
                     (unsigned long)(segments_data_size(g) / 1024),
                     g->nlocks + (g->lock_fd >= 0), g->ncopies,
                     (long)apr_time_msec(apr_time_now() - t0));
    }
    return OK;
}

/* Master, root, check_config: can this kernel give each user a copy
 * (sealable memfds)?  Asked only when mod_php is loaded: at "apache2 -t"
 * PHP has not started, so its segment cannot be looked at yet. */
int peruid_segments_check_config(apr_pool_t *pconf, apr_pool_t *plog,
                                 apr_pool_t *ptemp, server_rec *s)
{
    int fd;

    if (!ap_find_linked_module("mod_php.c")
        && !ap_find_linked_module("mod_php7.c")
        && !ap_find_linked_module("mod_ssl.c")) {
        return OK;
    }
    fd = memfd_create("peruid-check", MFD_CLOEXEC | MFD_ALLOW_SEALING);
    if (fd >= 0 && fcntl(fd, F_ADD_SEALS, SEGMENTS_COPY_SEALS) == 0) {
        close(fd);
        return OK;
    }
    ap_log_error(APLOG_MARK, APLOG_EMERG | APLOG_STARTUP, errno, NULL,
                 PERUID_LOGNO(00079) "mod_php or mod_ssl is loaded and "
                 "this kernel has no sealable memfd (memfd_create, Linux "
                 "3.17): PHP's OPcache segment and mod_ssl's caches cannot "
                 "be given to each user apart");
    if (fd >= 0) {
        close(fd);
    }
    return !OK;
}

/* Master: how many workers of each copy's user/group pair the table
 * holds (g->workers): starting, serving or leaving, of any generation,
 * preforked ones once bound.  An unbound preforked worker is no user's. */
static void segments_count_workers(segments_gen_t *g,
                                   const peruid_retained_t *rd)
{
    int i;

    memset(g->workers, 0, sizeof(int) * g->ncopies);
    for (i = 0; i < rd->max_daemons_used; i++) {
        const peruid_slot_t *sl = &rd->slots[i];
        segments_copy_t *k;
        segments_ids_t key;

        if (sl->role != PERUID_ROLE_WORKER || sl->pool < 0
            || sl->pool >= rd->npools) {
            continue;
        }
        key.uid = rd->pools[sl->pool].uid;
        key.gid = rd->pools[sl->pool].gid;
        if ((k = apr_hash_get(g->by_ids, &key, sizeof(key))) != NULL) {
            g->workers[k - g->copies]++;
        }
    }
}

/* Master, root: does k's copy hold data (a worker set its size, sealed
 * or, dying half way, not)?  Its allocated bytes into *bytes. */
static int segments_filled(const segments_copy_t *k, unsigned long *bytes)
{
    struct stat st;

    if (fstat(k->fd, &st) < 0) {
        *bytes = 0;
        return 0;
    }
    *bytes = (unsigned long)st.st_blocks * 512;
    return st.st_size > 0;
}

/* Master, root: an empty copy, made as at the generation's start, in
 * place of k's (dup3 onto its number, close-on-exec as it was: the
 * numbers the children inherit stay valid).  On failure k keeps its
 * copy. */
static apr_status_t segments_release(segments_copy_t *k)
{
    int flags = fcntl(k->fd, F_GETFD), fd;
    apr_status_t rv = APR_SUCCESS;

    if (flags < 0 || (fd = segments_new_copy()) < 0) {
        return errno;
    }
    if (dup3(fd, k->fd, (flags & FD_CLOEXEC) ? O_CLOEXEC : 0) < 0) {
        rv = errno;
    }
    close(fd);
    return rv;
}

/* Master, root: release k's copy, whose workers are all gone, and say
 * so (PU00158, debug), or why not (PU00159). */
static void segments_release_log(segments_copy_t *k, unsigned long bytes)
{
    apr_status_t rv = segments_release(k);

    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_WARNING, rv, ap_server_conf,
                     PERUID_LOGNO(00159) "master: uid %ld gid %ld has no "
                     "worker left, and no empty memfd could be made to "
                     "take the place of its copy of the shared segments "
                     "(PHP's OPcache, mod_ssl's caches): its %lu bytes stay "
                     "held until the user's next workers leave again or the "
                     "next restart", (long)k->uid, (long)k->gid, bytes);
        return;
    }
    ap_log_error(APLOG_MARK, APLOG_DEBUG, 0, ap_server_conf,
                 PERUID_LOGNO(00158) "master: uid %ld gid %ld has no worker "
                 "left: its copy of the shared segments (PHP's OPcache, "
                 "mod_ssl's caches), %lu bytes, is released; its next "
                 "worker fills an empty one", (long)k->uid, (long)k->gid,
                 bytes);
}

/* Master, root: see segments.h. */
void peruid_segments_release_idle(const peruid_retained_t *rd)
{
    segments_gen_t *g = segments_now;
    unsigned long bytes = 0;
    int i;

    if (!g || !g->by_ids) {
        return;
    }
    segments_count_workers(g, rd);
    for (i = 0; i < g->ncopies; i++) {
        segments_copy_t *k = &g->copies[i];
        segpick_copy_t c;
        segpick_copy_e what;

        c.workers = g->workers[i];
        c.used = k->used && k->fd >= 0;
        c.filled = -1;
        if ((what = segpick_copy_release(&c)) == SEGPICK_COPY_LOOK) {
            c.filled = segments_filled(k, &bytes);
            what = segpick_copy_release(&c);
        }
        if (what == SEGPICK_COPY_RELEASE) {
            segments_release_log(k, bytes);
        }
        k->used = what == SEGPICK_COPY_USED
                  || (k->used && what == SEGPICK_COPY_KEEP);
    }
}

/* Worker, root: pool's copy: the master's memfds for its user/group
 * pair, or, for a pair the configuration no longer names (a pool kept
 * across a graceful restart for the connections queued in it), new
 * memfds of this worker's own, into *mine.  NULL with errno on failure. */
static segments_copy_t *segments_user_copy(segments_gen_t *g,
                                           const peruid_pool_t *pool,
                                           segments_copy_t *mine)
{
    apr_pool_t *p;
    int i;

    for (i = 0; i < g->ncopies; i++) {
        if (g->copies[i].uid == pool->uid && g->copies[i].gid == pool->gid
            && g->copies[i].fd >= 0) {
            return &g->copies[i];
        }
    }
    mine->fd = segments_new_copy();
    if (mine->fd < 0 || apr_pool_create(&p, NULL) != APR_SUCCESS) {
        return NULL;
    }
    errno = segments_make_locks(mine, g->nlocks, p);
    return errno == APR_SUCCESS ? mine : NULL;
}

/* Worker, root: take (F_WRLCK) or give back (F_UNLCK) the filler's
 * lock on fd: a POSIX lock, owned by this process (the workers share
 * the master's open file, so flock() would not tell them apart). */
static apr_status_t segments_fill_lock(int fd, short type)
{
    struct flock l;

    memset(&l, 0, sizeof(l));
    l.l_type = type;
    l.l_whence = SEEK_SET;
    l.l_start = SEGMENTS_FILL_LOCK;
    l.l_len = 1;
    while (fcntl(fd, F_SETLKW, &l) < 0) {
        if (errno != EINTR) {
            return errno;
        }
    }
    return APR_SUCCESS;
}

/* Worker, root: write seg's data runs, read from the segment as the
 * master left it (still mapped here), into the copy fd. */
static apr_status_t segments_write(const segments_seg_t *seg, int fd)
{
    const segments_range_t *r = (const segments_range_t *)seg->data->elts;
    int i;

    for (i = 0; i < seg->data->nelts; i++) {
        unsigned long done = 0;

        while (done < r[i].len) {
            ssize_t n = pwrite(fd, (const char *)seg->start + r[i].off + done,
                               r[i].len - done,
                               seg->copy_off + (off_t)(r[i].off + done));
            if (n <= 0) {
                return n < 0 ? errno : APR_EGENERAL;
            }
            done += (unsigned long)n;
        }
    }
    return APR_SUCCESS;
}

/* Worker, root, holding the filler's lock: fill the copy fd unless a
 * worker of the same user did (its size is then sealed), and seal it. */
static apr_status_t segments_fill_locked(segments_gen_t *g, int fd)
{
    int seals = fcntl(fd, F_GET_SEALS);
    apr_status_t rv = APR_SUCCESS;
    int i;

    if (seals < 0) {
        return errno;
    }
    if ((seals & SEGMENTS_COPY_SEALS) == SEGMENTS_COPY_SEALS) {
        return APR_SUCCESS;     /* filled by an earlier worker */
    }
    /* from scratch: an earlier filler may have died half way */
    if (ftruncate(fd, 0) < 0 || ftruncate(fd, g->size) < 0) {
        return errno;
    }
    for (i = 0; i < g->nsegs && rv == APR_SUCCESS; i++) {
        rv = segments_write(&g->segs[i], fd);
    }
    if (rv == APR_SUCCESS
        && fcntl(fd, F_ADD_SEALS, SEGMENTS_COPY_SEALS) < 0) {
        rv = errno;
    }
    return rv;
}

/* Worker, root: the copy fd filled once per user and generation. */
static apr_status_t segments_fill(segments_gen_t *g, int fd)
{
    apr_status_t rv = segments_fill_lock(fd, F_WRLCK);

    if (rv == APR_SUCCESS) {
        rv = segments_fill_locked(g, fd);
        segments_fill_lock(fd, F_UNLCK);
    }
    return rv;
}

/* Worker, root: the mmap() protections of a maps line's. */
static int segments_prot(const segpick_map_t *m)
{
    return (m->prot & SEGPICK_READ ? PROT_READ : 0)
           | (m->prot & SEGPICK_WRITE ? PROT_WRITE : 0)
           | (m->prot & SEGPICK_EXEC ? PROT_EXEC : 0);
}

/* Worker, root: map the copy fd over every segment, part by part with
 * its protections, and check that the first word came over. */
static apr_status_t segments_map(segments_gen_t *g, int fd)
{
    int i, j;

    for (i = 0; i < g->nsegs; i++) {
        const segments_seg_t *seg = &g->segs[i];

        for (j = 0; j < seg->nlines; j++) {
            const segpick_map_t *m = &seg->lines[j];
            void *at = mmap((void *)m->start, m->end - m->start,
                            segments_prot(m), MAP_SHARED | MAP_FIXED, fd,
                            seg->copy_off + (off_t)(m->start - seg->start));

            if (at == MAP_FAILED) {
                return errno;
            }
        }
        if ((seg->lines[0].prot & SEGPICK_READ)
            && *(const unsigned long *)seg->start != seg->first_word) {
            return APR_EGENERAL;
        }
    }
    return APR_SUCCESS;
}

/* Worker, root: fd in place of the lock file at number lock, which
 * must still be on (dev, ino), close-on-exec as OPcache and APR keep
 * their lock files. */
static apr_status_t segments_swap_lock(int fd, int lock, dev_t dev,
                                       ino_t ino)
{
    struct stat st;

    if (fstat(lock, &st) < 0 || st.st_dev != dev || st.st_ino != ino) {
        return APR_EBADF;       /* not the file the master found */
    }
    return dup3(fd, lock, O_CLOEXEC) < 0 ? errno : APR_SUCCESS;
}

/* Worker, root: the user's copies in place of the lock files: the
 * segment copy for OPcache's (its locks are on bytes 0 to 2, the
 * filler's far above), a memfd each for mod_ssl's (APR's fcntl mutex
 * locks the whole file, so no two may share one). */
static apr_status_t segments_take_locks(segments_gen_t *g,
                                        const segments_copy_t *k)
{
    apr_status_t rv = APR_SUCCESS;
    int j;

    if (g->lock_fd >= 0) {
        rv = segments_swap_lock(k->fd, g->lock_fd, g->lock_dev,
                                g->lock_ino);
    }
    for (j = 0; j < g->nlocks && rv == APR_SUCCESS; j++) {
        rv = segments_swap_lock(k->lock_fds[j], g->locks[j].fd,
                                g->locks[j].dev, g->locks[j].ino);
    }
    return rv;
}

/* Worker, root: see segments.h. */
apr_status_t peruid_segments_enter(const peruid_pool_t *pool)
{
    segments_gen_t *g = segments_now;
    const char *what = "opening the user's copy";
    segments_copy_t mine = { 0, 0, -1, NULL }, *k;
    apr_status_t rv = APR_SUCCESS;

    if (!g) {
        return APR_SUCCESS;     /* no segment this generation */
    }
    if ((k = segments_user_copy(g, pool, &mine)) == NULL) {
        rv = errno;
    }
    if (rv == APR_SUCCESS) {
        what = "filling the user's copy";
        rv = segments_fill(g, k->fd);
    }
    if (rv == APR_SUCCESS) {
        what = "mapping the user's copy";
        rv = segments_map(g, k->fd);
    }
    if (rv == APR_SUCCESS) {
        what = "replacing OPcache's and mod_ssl's lock files";
        rv = segments_take_locks(g, k);
    }
    /* the mappings and the lock files stay */
    segments_close_copy(&mine, g->nlocks);
    segments_close_copies(g);
    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_EMERG, rv, ap_server_conf,
                     PERUID_LOGNO(00078) "worker for uid %ld gid %ld (%s): "
                     "%s failed; refusing to serve this user rather than "
                     "with the shared memory (PHP's OPcache, mod_ssl's "
                     "caches) of every user",
                     (long)pool->uid, (long)pool->gid,
                     pool->user ? pool->user : "-", what);
    }
    return rv;
}

/* Router (PeruidRouterUser), drop_privileges: it keeps no user's copy. */
int peruid_segments_drop_privileges(apr_pool_t *pchild, server_rec *s)
{
    if (segments_now && peruid_self()->role == PERUID_ROLE_ROUTER) {
        segments_close_copies(segments_now);
    }
    return OK;
}
