/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * pools.c -- the table of worker pools, one per distinct user/group pair.
 *
 * Built and extended by the master (root) after each configuration read;
 * it survives restarts, so that a connection a router queued just before
 * a graceful restart still finds its pool's channel.  The shared counters
 * (peruid_pool_stat_t) are read and written by every process with atomics.
 */

#include <errno.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/mman.h>

#include "httpd.h"
#include "apr_atomic.h"
#include "apr_strings.h"
#include "http_log.h"
#include "http_main.h"

#include "peruid.h"
#include "channel.h"
#include "creds.h"
#include "gate.h"
#include "routeruser.h"
#include "perdir.h"
#include "exprpool.h"
#include "status.h"

/* The routers' page: per pool, the second of its last dispatch, the
 * connections sent to it (peruid_pool_touch), its live workers, the
 * master's adjust and done_pass (gate.h), the second a router last held
 * a connection for it (peruid_pool_held); then the gate's totals. */
#define POOLS_LRU_SIZE (6 * PERUID_MAX_POOLS * sizeof(apr_uint32_t) \
                        + sizeof(peruid_gate_page_t))

/* Master, root, first start: the table, the shared counters, the pools'
 * last-use times and the control channel; all kept for the life of the
 * master.  Each pool's counters sit on a page of their own, so that a
 * worker can give up its mapping of every other pool's; the last-use
 * times, which decide whose idle workers make room for others, are
 * unmapped by every worker (peruid_pools_keep_own_stats). */
apr_status_t peruid_pools_init(peruid_retained_t *rd)
{
    int ctl[2];
    apr_status_t rv;
    void *m, *lru;

    if (rd->pools) {
        return APR_SUCCESS;
    }
    rd->stats_stride = (apr_size_t)sysconf(_SC_PAGESIZE);
    m = mmap(NULL, PERUID_MAX_POOLS * rd->stats_stride,
             PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED) {
        return errno;
    }
    lru = mmap(NULL, POOLS_LRU_SIZE, PROT_READ | PROT_WRITE,
               MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (lru == MAP_FAILED) {
        rv = errno;
        munmap(m, PERUID_MAX_POOLS * rd->stats_stride);
        return rv;
    }
    if ((rv = peruid_chan_pair(ctl)) != APR_SUCCESS) {
        munmap(m, PERUID_MAX_POOLS * rd->stats_stride);
        munmap(lru, POOLS_LRU_SIZE);
        return rv;
    }
    rd->stats = m;
    rd->last_used = lru;
    rd->sent = rd->last_used + PERUID_MAX_POOLS;
    rd->live = rd->sent + PERUID_MAX_POOLS;
    rd->adjust = rd->live + PERUID_MAX_POOLS;
    rd->done_pass = rd->adjust + PERUID_MAX_POOLS;
    rd->held_at = rd->done_pass + PERUID_MAX_POOLS;
    rd->gate = (peruid_gate_page_t *)(void *)(rd->held_at
                                              + PERUID_MAX_POOLS);
    rd->epoch = apr_time_now();
    rd->ctl_send = ctl[0];
    rd->ctl_recv = ctl[1];
    rd->pools = calloc(PERUID_MAX_POOLS, sizeof(peruid_pool_t));
    if (!rd->pools) {
        return APR_ENOMEM;
    }
    return peruid_exprpool_init(rd);
}

/* Master, root: bound the connections a pool's channel holds for its
 * workers (PERUID_POOL_QUEUE_BYTES of send buffer: about 20 of them).
 * When the pool's workers are all busy, at their share of
 * MaxRequestWorkers, routers keep the rest parked, and answer 503 for
 * those still waiting at their deadline (router.c), instead of letting
 * them wait in the kernel for as long as the pool stays busy.  A failure
 * leaves the kernel's default (some 280): logged, not fatal. */
static void pools_bound_queue(int send_end, uid_t uid)
{
    int bytes = PERUID_POOL_QUEUE_BYTES;

    if (setsockopt(send_end, SOL_SOCKET, SO_SNDBUF, &bytes, sizeof(bytes))
        < 0) {
        ap_log_error(APLOG_MARK, APLOG_WARNING, errno, ap_server_conf,
                     PERUID_LOGNO(00054) "setsockopt(SO_SNDBUF) on the "
                     "channel of uid %ld failed; its queue is not bounded",
                     (long)uid);
    }
}

/* Master, root: a new pool for uid/gid at the end of the table, with
 * its channel; -1 when the table is full or the channel failed (logged).
 * The channel carries the routers' CONN records one way and the workers'
 * HANDOVER records (handover.c) the other: its second direction is the
 * pool's back channel, each direction with a queue of its own, bounded
 * alike (a tenant that floods it fills only its own: its workers then
 * answer 503 instead of handing over).  No socket pair of its own: with
 * 2,000 users one more per pool cost the start some 30 ms (the pairs,
 * and every child's closes of their ends). */
static int pools_add(peruid_retained_t *rd, uid_t uid, gid_t gid,
                     server_rec *s)
{
    peruid_pool_t *pl;
    int ch[2];
    apr_status_t rv;

    if (rd->npools >= PERUID_MAX_POOLS) {
        ap_log_error(APLOG_MARK, APLOG_EMERG, 0, s, PERUID_LOGNO(00003)
                     "more than %d distinct AssignUserID user/group pairs",
                     PERUID_MAX_POOLS);
        return -1;
    }
    if ((rv = peruid_chan_pair(ch)) != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_EMERG, rv, s, PERUID_LOGNO(00004)
                     "socketpair() for the pool of uid %ld failed",
                     (long)uid);
        return -1;
    }
    pools_bound_queue(ch[0], uid);
    pools_bound_queue(ch[1], uid);      /* the back channel's queue */
    pl = &rd->pools[rd->npools];
    pl->uid = uid;
    pl->gid = gid;
    pl->chan_send = ch[0];
    pl->chan_recv = ch[1];
    pl->back_send = pl->back_recv = -1;     /* the channel's own ends */
    return rd->npools++;
}

/* Master, root: the index of the pool for uid/gid, adding it (with its
 * channel) when new; -1 when the table is full or the channel failed.
 * A slot kept free for an Expr user is nobody's (exprpool.c). */
static int pools_find_or_add(peruid_retained_t *rd, uid_t uid, gid_t gid,
                             server_rec *s)
{
    int i;

    for (i = 0; i < rd->npools; i++) {
        if (rd->pools[i].uid == uid && rd->pools[i].gid == gid
            && rd->pools[i].expr != PERUID_EXPR_FREE) {
            return i;
        }
    }
    return pools_add(rd, uid, gid, s);
}

/* Master, root: a slot kept free for an AssignUserIDExpr user
 * (exprpool.c): a pool of uid and gid -1, with its channels, that no
 * worker is forked for until the master gives it to a user. */
int peruid_pools_add_free(peruid_retained_t *rd, server_rec *s)
{
    int i = pools_add(rd, (uid_t)-1, (gid_t)-1, s);

    if (i >= 0) {
        rd->pools[i].expr = PERUID_EXPR_FREE;
        rd->pools[i].ngroups = 0;   /* nothing to look up */
    }
    return i;
}

/* Master, root: the uid, gid and user name that serve server s; the
 * name is NULL unless AssignUserID names the user (then the pool looks
 * it up by uid along with the groups, pools_look_up): no name service
 * here, which runs for every server on every configuration read. */
void peruid_server_ids(server_rec *s, uid_t *uid, gid_t *gid,
                       const char **user)
{
    peruid_server_conf_t *c = peruid_server_conf(s);

    if (c->set) {
        *uid = c->uid;
        *gid = c->gid;
        *user = c->user;
        return;
    }
    *uid = ap_unixd_config.user_id;
    *gid = ap_unixd_config.group_id;
    *user = NULL;
}

/* Master, root, while the pools are assigned: the pool's user name as
 * the configuration gives it (NULL for "#uid": looked up with its
 * groups), and its ids marked to be looked up again (ngroups -1) before
 * its next worker is forked (peruid_pools_lookup).  No name service
 * here: with thousands of users, one getgrouplist per user (a scan of
 * the whole group database each) made the start take seconds. */
static void pools_note_user(peruid_pool_t *pl, const char *user)
{
    if (!(pl->user && user && !strcmp(pl->user, user))) {
        free(pl->user);
        pl->user = user ? strdup(user) : NULL;
    }
    free(pl->groups);
    pl->groups = NULL;
    pl->ngroups = -1;           /* its workers refuse to switch until
                                 * looked up */
}

/* Master, root: the pool's user name ("#uid" without a name: from the
 * passwd database) and supplementary groups, as the passwd and group
 * databases say now, so that the children never look them up themselves
 * (creds.c).  On failure the pool keeps no list (ngroups 0): its
 * workers refuse to switch. */
static apr_status_t pools_look_up(peruid_pool_t *pl, server_rec *s)
{
    gid_t *groups;
    int n;
    apr_status_t rv;

    if (!pl->user) {
        struct passwd *pw = getpwuid(pl->uid);

        pl->user = pw ? strdup(pw->pw_name) : NULL;
    }
    rv = peruid_creds_groups(pl->user, pl->gid, &groups, &n);
    free(pl->groups);
    pl->groups = NULL;
    pl->ngroups = 0;
    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_ERR, rv, s, PERUID_LOGNO(00044)
                     "cannot look up the groups of user %s (uid %ld, "
                     "gid %ld); its virtual hosts are not served",
                     pl->user ? pl->user : "-", (long)pl->uid,
                     (long)pl->gid);
        return rv;
    }
    pl->groups = groups;
    pl->ngroups = n;
    return APR_SUCCESS;
}

/* Master, root, before it forks a worker: the ids of pool looked up if
 * this generation has not yet (pools_note_user); pool < 0, a preforked
 * worker that any pool may get (it keeps the table as it was at its
 * fork), looks up every pool still to do.  Failures are logged
 * (PU00044), once per pool and generation; that pool's workers then
 * refuse to switch. */
void peruid_pools_lookup(peruid_retained_t *rd, int pool, server_rec *s)
{
    int i;

    if (pool >= 0) {
        if (rd->pools[pool].ngroups < 0) {
            pools_look_up(&rd->pools[pool], s);
        }
        return;
    }
    for (i = 0; i < rd->npools; i++) {
        if (rd->pools[i].ngroups < 0
            && rd->pools[i].expr != PERUID_EXPR_FREE) {
            pools_look_up(&rd->pools[i], s);
        }
    }
}

/* Master, root: the routers' identity, PeruidRouterUser (created now if
 * it is the default and missing, routeruser.c), looked up now.  With -X
 * there is no router: nothing is created. */
static apr_status_t pools_set_router(peruid_retained_t *rd, apr_pool_t *p,
                                     server_rec *s)
{
    const char *name = NULL;
    apr_status_t rv;

    rd->router.chan_send = rd->router.chan_recv = -1;
    rd->router.back_send = rd->router.back_recv = -1;
    if (peruid_settings()->one_process) {
        return APR_SUCCESS;
    }
    rv = peruid_router_user_ready(p, s, &rd->router.uid, &rd->router.gid,
                                  &name);
    if (rv != APR_SUCCESS) {
        return rv;
    }
    pools_note_user(&rd->router, name);
    return pools_look_up(&rd->router, s);
}

/* Master, root; worker (status.c): the servers in configuration order
 * (httpd keeps the virtual hosts newest first after the main server),
 * NULL-terminated. */
server_rec **peruid_pools_servers_in_order(apr_pool_t *p, server_rec *main_s)
{
    server_rec *s, **v;
    int n = 0, i;

    for (s = main_s; s; s = s->next) {
        n++;
    }
    v = apr_palloc(p, (n + 1) * sizeof(*v));
    v[0] = main_s;
    for (s = main_s->next, i = n - 1; s; s = s->next, i--) {
        v[i] = s;
    }
    v[n] = NULL;
    return v;
}

/* Master, root, after each configuration read: a pool for the pair of
 * every per-directory AssignUserID (perdir.c), as for a vhost's; each
 * section's record learns its pool, and each server the pools its
 * sections name (the double-check lets such requests in). */
static apr_status_t pools_assign_perdir(peruid_retained_t *rd, apr_pool_t *p,
                                        server_rec *main_s)
{
    const apr_array_header_t *list = peruid_perdir_list();
    int i, idx;

    for (i = 0; i < list->nelts; i++) {
        peruid_perdir_entry_t *e = &APR_ARRAY_IDX(list, i,
                                                  peruid_perdir_entry_t);

        idx = pools_find_or_add(rd, e->d->uid, e->d->gid, main_s);
        if (idx < 0) {
            return APR_ENOSPC;
        }
        pools_note_user(&rd->pools[idx], e->d->user);
        rd->pools[idx].in_config = 1;
        e->d->pool = idx;
        peruid_perdir_note_pool(p, main_s, e->s, idx);
    }
    return APR_SUCCESS;
}

/* Master, root, after each configuration read: give every server its
 * pool index, pools numbered in configuration order (StartServers hands
 * out workers in that order); pools no server names any more stay
 * (in_config 0).  Each pool's user and groups are looked up again, but
 * only before its first worker of this generation is forked
 * (peruid_pools_lookup): the routers' and the main server's now. */
apr_status_t peruid_pools_assign(peruid_retained_t *rd, apr_pool_t *p,
                                 server_rec *main_s)
{
    server_rec *s, **v;
    int i;

    for (i = 0; i < rd->npools; i++) {
        rd->pools[i].in_config = 0;
    }
    v = peruid_pools_servers_in_order(p, main_s);
    for (i = 0; (s = v[i]) != NULL; i++) {
        uid_t uid;
        gid_t gid;
        const char *user;
        int idx;

        peruid_server_ids(s, &uid, &gid, &user);
        if (uid == 0 || gid == 0) {
            ap_log_error(APLOG_MARK, APLOG_EMERG, 0, s, PERUID_LOGNO(00005)
                         "virtual host %s:%d would run as uid %ld gid %ld; "
                         "peruid never serves as root (check User, Group "
                         "and AssignUserID)", s->server_hostname,
                         s->defn_line_number, (long)uid, (long)gid);
            return APR_EINVAL;
        }
        if ((idx = pools_find_or_add(rd, uid, gid, main_s)) < 0) {
            return APR_ENOSPC;
        }
        pools_note_user(&rd->pools[idx], user);
        rd->pools[idx].in_config = 1;
        peruid_server_conf(s)->pool = idx;
    }
    if (pools_assign_perdir(rd, p, main_s) != APR_SUCCESS
        || peruid_exprpool_assign(rd, p, main_s) != APR_SUCCESS) {
        return APR_ENOSPC;
    }
    /* the main server's now: the one-process mode (-X) serves it */
    peruid_pools_lookup(rd, peruid_server_pool(main_s), main_s);
    return pools_set_router(rd, p, main_s);
}

/* Any process: the pool that serves server s. */
int peruid_server_pool(server_rec *s)
{
    return peruid_server_conf(s)->pool;
}

/* Any process: the shared counters of a pool. */
peruid_pool_stat_t *peruid_pool_stat(peruid_retained_t *rd, int pool)
{
    return (peruid_pool_stat_t *)(void *)
           ((char *)rd->stats + (apr_size_t)pool * rd->stats_stride);
}

/* Worker, root, right after fork: unmap every pool's counters but ours,
 * and every pool's last-use time, so the code a worker runs cannot alter
 * another user's pool, nor make its own pool look busier than it is. */
apr_status_t peruid_pools_keep_own_stats(peruid_retained_t *rd, int pool)
{
    char *base = (char *)rd->stats;
    apr_size_t own = (apr_size_t)pool * rd->stats_stride;
    apr_size_t total = PERUID_MAX_POOLS * rd->stats_stride;
    apr_status_t rv;

    if (munmap((void *)rd->last_used, POOLS_LRU_SIZE) < 0) {
        return errno;
    }
    peruid_exprpool_worker_enter(rd);   /* the master's Expr page */
    if ((rv = peruid_status_worker_enter(pool)) != APR_SUCCESS) {
        return rv;                      /* the routers' status counters */
    }
    rd->last_used = rd->sent = rd->live = rd->adjust = rd->done_pass = NULL;
    rd->held_at = NULL;
    rd->gate = NULL;
    if (own > 0 && munmap(base, own) < 0) {
        return errno;
    }
    if (own + rd->stats_stride < total
        && munmap(base + own + rd->stats_stride,
                  total - own - rd->stats_stride) < 0) {
        return errno;
    }
    return APR_SUCCESS;
}

/* Any process: a counter read as the signed value it holds. */
apr_int32_t peruid_stat_get(volatile apr_uint32_t *v)
{
    return (apr_int32_t)apr_atomic_read32(v);
}

/* Router (the routers' user): note that pool was just given a
 * connection: one more sent (the master's measure of how fast the pool's
 * workers take them, against the kernel's count of those still queued,
 * and the gate's), and the time, in whole seconds, by which the master
 * orders pools (a plain store). */
void peruid_pool_touch(peruid_retained_t *rd, int pool, apr_time_t now)
{
    apr_uint32_t sec = (apr_uint32_t)apr_time_sec(now - rd->epoch);

    apr_atomic_inc32(&rd->sent[pool]);
    apr_atomic_inc32(&rd->gate->sent_total);
    if (rd->last_used[pool] != sec) {
        rd->last_used[pool] = sec;
    }
}

/* Router (the routers' user): a connection for pool is held at
 * MaxRequestWorkers (router.c, router_hold): note the second, for the
 * master, which then reads the kernel in its pass and lets no worker of
 * a pool held within the last second leave for another (a plain store,
 * as last_used; a router that dies leaves nothing that lasts). */
void peruid_pool_held(peruid_retained_t *rd, int pool, apr_time_t now)
{
    apr_uint32_t sec = (apr_uint32_t)apr_time_sec(now - rd->epoch);

    if (rd->held_at[pool] != sec) {
        rd->held_at[pool] = sec;
    }
}

/* Master: was a connection for pool held at MaxRequestWorkers within the
 * second before now_sec? */
int peruid_pool_was_held(peruid_retained_t *rd, int pool,
                         apr_uint32_t now_sec)
{
    apr_uint32_t at = rd->held_at[pool];

    return at != 0 && now_sec - at <= 1;
}

/* Master: the connections routers have sent to pool so far (wraps). */
apr_uint32_t peruid_pool_sent(peruid_retained_t *rd, int pool)
{
    return apr_atomic_read32(&rd->sent[pool]);
}

/* Master: the second (since the master started) pool last had a
 * connection; 0 if never. */
apr_uint32_t peruid_pool_last_used(peruid_retained_t *rd, int pool)
{
    return rd->last_used[pool];
}
