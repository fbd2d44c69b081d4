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
#include <sys/mman.h>

#include "httpd.h"
#include "apr_atomic.h"
#include "apr_strings.h"
#include "http_log.h"
#include "http_main.h"

#include "peruid.h"
#include "channel.h"

/* Master, root, first start: the table, the shared counters and the
 * control channel; all kept for the life of the master. */
apr_status_t peruid_pools_init(peruid_retained_t *rd)
{
    int ctl[2];
    apr_status_t rv;
    void *m;

    if (rd->pools) {
        return APR_SUCCESS;
    }
    m = mmap(NULL, PERUID_MAX_POOLS * sizeof(peruid_pool_stat_t),
             PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED) {
        return errno;
    }
    if ((rv = peruid_chan_pair(ctl)) != APR_SUCCESS) {
        munmap(m, PERUID_MAX_POOLS * sizeof(peruid_pool_stat_t));
        return rv;
    }
    rd->stats = m;
    rd->ctl_send = ctl[0];
    rd->ctl_recv = ctl[1];
    rd->pools = calloc(PERUID_MAX_POOLS, sizeof(peruid_pool_t));
    return rd->pools ? APR_SUCCESS : APR_ENOMEM;
}

/* Master, root: the index of the pool for uid/gid, adding it (with its
 * channel) when new; -1 when the table is full or the channel failed. */
static int pools_find_or_add(peruid_retained_t *rd, uid_t uid, gid_t gid,
                             const char *user, server_rec *s)
{
    peruid_pool_t *pl;
    int i, ch[2];
    apr_status_t rv;

    for (i = 0; i < rd->npools; i++) {
        if (rd->pools[i].uid == uid && rd->pools[i].gid == gid) {
            return i;
        }
    }
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
    pl = &rd->pools[rd->npools];
    pl->uid = uid;
    pl->gid = gid;
    pl->user = user ? strdup(user) : NULL;
    pl->chan_send = ch[0];
    pl->chan_recv = ch[1];
    return rd->npools++;
}

/* Master, root: the uid, gid and user name that serve server s. */
static void pools_server_ids(server_rec *s, uid_t *uid, gid_t *gid,
                             const char **user)
{
    peruid_server_conf_t *c = peruid_server_conf(s);
    struct passwd *pw;

    if (c->set) {
        *uid = c->uid;
        *gid = c->gid;
        *user = c->user;
        return;
    }
    *uid = ap_unixd_config.user_id;
    *gid = ap_unixd_config.group_id;
    pw = getpwuid(*uid);
    *user = pw ? pw->pw_name : NULL;
}

/* Master, root, after each configuration read: give every server its
 * pool index; pools no server names any more stay (in_config 0). */
apr_status_t peruid_pools_assign(peruid_retained_t *rd, server_rec *main_s)
{
    server_rec *s;
    int i;

    for (i = 0; i < rd->npools; i++) {
        rd->pools[i].in_config = 0;
    }
    for (s = main_s; s; s = s->next) {
        uid_t uid;
        gid_t gid;
        const char *user;
        int idx;

        pools_server_ids(s, &uid, &gid, &user);
        if (uid == 0 || gid == 0) {
            ap_log_error(APLOG_MARK, APLOG_EMERG, 0, s, PERUID_LOGNO(00005)
                         "virtual host %s:%d would run as uid %ld gid %ld; "
                         "peruid never serves as root (check User, Group "
                         "and AssignUserID)", s->server_hostname,
                         s->defn_line_number, (long)uid, (long)gid);
            return APR_EINVAL;
        }
        if ((idx = pools_find_or_add(rd, uid, gid, user, main_s)) < 0) {
            return APR_ENOSPC;
        }
        rd->pools[idx].in_config = 1;
        peruid_server_conf(s)->pool = idx;
    }
    return APR_SUCCESS;
}

/* Any process: the pool that serves server s. */
int peruid_server_pool(server_rec *s)
{
    return peruid_server_conf(s)->pool;
}

/* Any process: the shared counters of a pool. */
peruid_pool_stat_t *peruid_pool_stat(peruid_retained_t *rd, int pool)
{
    return &rd->stats[pool];
}

/* Any process: a counter read as the signed value it holds. */
apr_int32_t peruid_stat_get(volatile apr_uint32_t *v)
{
    return (apr_int32_t)apr_atomic_read32(v);
}
