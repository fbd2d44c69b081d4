/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * vhostcap.c -- MaxClientsVHost (itk's directive, read by itk.c): at most
 * n requests of the virtual host are served at once, across all its
 * user's workers, counted without mod_status or ExtendedStatus.
 *
 * Each such vhost has a counter on its user's pool page (its slot,
 * numbered per user by the master at check_config).  A worker, as the
 * vhost's user, adds one when it starts a request of the vhost and takes
 * it back when the request ends (a cleanup of the request's pool); above
 * the bound it answers 503 itself (a kept-alive connection's next
 * request, PU00105).  A router, before it sends a new connection to a
 * worker, answers 503 instead when the vhost is at its bound (PU00104):
 * no worker is spent on it.  The counts are hints of the same kind as
 * the idle counts: only the vhost's own workers write them, so a tenant
 * can change them for its own vhosts only; a worker killed during a
 * request leaves its count behind until its pool has no worker left,
 * when the master clears them (schedule.c).
 */

#include "httpd.h"
#include "apr_atomic.h"
#include "apr_hash.h"
#include "apr_strings.h"
#include "http_config.h"
#include "http_log.h"
#include "http_main.h"
#include "http_protocol.h"
#include "http_request.h"

#include "peruid.h"
#include "channel.h"
#include "child.h"
#include "vhostcap.h"

/* Master, root: see vhostcap.h. */
int peruid_vhostcap_check_config(apr_pool_t *ptemp, server_rec *main_s)
{
    apr_hash_t *next = apr_hash_make(ptemp);
    server_rec *s;

    for (s = main_s; s; s = s->next) {
        peruid_server_conf_t *c = peruid_server_conf(s);
        const char *user, *key;
        int *n;
        uid_t uid;
        gid_t gid;

        c->cap_slot = -1;
        if (c->max_clients <= 0) {
            continue;
        }
        peruid_server_ids(s, &uid, &gid, &user);
        key = apr_psprintf(ptemp, "%ld:%ld", (long)uid, (long)gid);
        if (!(n = apr_hash_get(next, key, APR_HASH_KEY_STRING))) {
            n = apr_pcalloc(ptemp, sizeof(*n));
            apr_hash_set(next, key, APR_HASH_KEY_STRING, n);
        }
        if (*n == PERUID_VHOST_CAPS) {
            ap_log_error(APLOG_MARK, APLOG_STARTUP | APLOG_EMERG, 0, NULL,
                         PERUID_LOGNO(00106) "MaxClientsVHost in virtual "
                         "host %s (%s:%d): more than %d virtual hosts of "
                         "uid %ld gid %ld set it", s->server_hostname,
                         s->defn_name, s->defn_line_number,
                         PERUID_VHOST_CAPS, (long)uid, (long)gid);
            return !OK;
        }
        c->cap_slot = (*n)++;
    }
    return OK;
}

/* Router or worker: may a "reached" line be logged now (at most one a
 * second per process)?  Returns -1 if not (counted in *quiet), else the
 * lines held back since the last one (*quiet starts again). */
static int vhostcap_may_log(apr_time_t *logged, int *quiet)
{
    apr_time_t now = peruid_chan_clock();      /* monotonic */
    int n = *quiet;

    if (*logged && now - *logged < apr_time_from_sec(1)) {
        ++*quiet;
        return -1;
    }
    *logged = now;
    *quiet = 0;
    return n;
}

/* Router: see vhostcap.h. */
int peruid_vhostcap_full(peruid_retained_t *rd, int pool, server_rec *s)
{
    static apr_time_t logged;
    static int quiet;
    peruid_server_conf_t *c = peruid_server_conf(s);
    apr_uint32_t busy;
    int held;

    if (c->max_clients <= 0 || c->cap_slot < 0) {
        return 0;
    }
    busy = apr_atomic_read32(&peruid_pool_stat(rd, pool)
                             ->vhost_busy[c->cap_slot]);
    if ((apr_int32_t)busy < c->max_clients) {
        return 0;
    }
    if ((held = vhostcap_may_log(&logged, &quiet)) < 0) {
        return 1;
    }
    ap_log_error(APLOG_MARK, APLOG_WARNING, 0, ap_server_conf,
                 PERUID_LOGNO(00104) "router: MaxClientsVHost %d of %s "
                 "reached (%u requests being served); answering 503 (%d "
                 "more since the last such line)", c->max_clients,
                 s->server_hostname, busy, held);
    return 1;
}

/* Worker: the request of a counted vhost has ended. */
static apr_status_t vhostcap_done(void *data)
{
    apr_atomic_dec32((volatile apr_uint32_t *)data);
    return APR_SUCCESS;
}

/* Worker (vhost user), post_read_request, after the double-check: count
 * the request of a vhost with MaxClientsVHost, or answer 503 above it
 * (a request on a kept-alive connection, which no router saw). */
static int vhostcap_request(request_rec *r)
{
    static apr_time_t logged;
    static int quiet;
    peruid_server_conf_t *c = peruid_server_conf(r->server);
    volatile apr_uint32_t *busy;
    int held;

    if (peruid_self()->role != PERUID_ROLE_WORKER || r->main || r->prev
        || c->max_clients <= 0 || c->cap_slot < 0
        || peruid_server_pool(r->server) != peruid_self()->pool) {
        return DECLINED;
    }
    busy = &peruid_pool_stat(peruid_retained(), peruid_self()->pool)
                ->vhost_busy[c->cap_slot];
    if ((apr_int32_t)apr_atomic_inc32(busy) >= c->max_clients) {
        apr_atomic_dec32(busy);
        if ((held = vhostcap_may_log(&logged, &quiet)) >= 0) {
            ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r,
                          PERUID_LOGNO(00105) "MaxClientsVHost %d of %s "
                          "reached; answering 503 (%d more by this worker "
                          "since its last such line)", c->max_clients,
                          r->server->server_hostname, held);
        }
        return HTTP_SERVICE_UNAVAILABLE;
    }
    apr_pool_cleanup_register(r->pool, (void *)busy, vhostcap_done,
                              apr_pool_cleanup_null);
    return DECLINED;
}

/* Master, root: see vhostcap.h. */
void peruid_vhostcap_register_hooks(apr_pool_t *p)
{
    ap_hook_post_read_request(vhostcap_request, NULL, NULL, APR_HOOK_FIRST);
}

/* Master: see vhostcap.h. */
void peruid_vhostcap_reset(peruid_pool_stat_t *st)
{
    int i;

    for (i = 0; i < PERUID_VHOST_CAPS; i++) {
        if (apr_atomic_read32(&st->vhost_busy[i])) {
            apr_atomic_set32(&st->vhost_busy[i], 0);
        }
    }
}
