/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * double_check.c -- the worker's request hooks: which user serves this.
 *
 * A router chose the pool from a peeked head; the worker checks that
 * choice again once httpd itself has chosen the vhost.  A request whose
 * vhost needs another user than the worker's is never served here: the
 * connection is handed over to that user's pool (handover.c), or
 * answered 421 on TLS.  The optional functions of mpm_peruid.h answer the same
 * question for other modules: which user and group serve this
 * connection.
 *
 * The hooks are registered by the master at module load; they run in
 * workers only, as the vhost's user (and return at once elsewhere).
 */

#include "httpd.h"
#include "http_log.h"
#include "http_core.h"
#include "http_connection.h"
#include "http_request.h"
#include "http_protocol.h"
#include "http_ssl.h"

#include "peruid.h"
#include "child.h"
#include "mpm_peruid.h"
#include "handover.h"

/* Worker (vhost user), request hooks: the double-check.  Runs after httpd
 * chose r->server (post_read_request), before any file of the vhost is
 * looked at (translate_name, also for internal redirects), and after the
 * per-directory merge (header_parser).  A request whose vhost needs
 * another user than ours is never served here: on plain HTTP the
 * connection is handed over to that user's pool with the bytes it read
 * (handover.c), or answered 503 when it cannot be; on a TLS connection
 * (its SNI named a vhost of ours, its Host another user's) httpd answers
 * 421 Misdirected Request, as mod_ssl does for an SNI and a Host it
 * cannot serve together, and the connection closes. */
static int worker_check_request(request_rec *r)
{
    peruid_retained_t *rd = peruid_retained();
    int need;

    if (peruid_self()->role != PERUID_ROLE_WORKER) {
        return DECLINED;
    }
    need = peruid_server_pool(r->server);
    if (need == peruid_self()->pool) {
        return DECLINED;
    }
    if (!ap_ssl_conn_is_ssl(r->connection)) {
        return peruid_handover_request(r, need);
    }
    ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, PERUID_LOGNO(00013)
                  "worker uid %ld gid %ld refuses a request for vhost %s "
                  "(%s:%d), which runs as uid %ld gid %ld; answering 421 "
                  "on this TLS connection (its SNI named another user's "
                  "vhost) and closing it",
                  (long)peruid_self()->uid, (long)peruid_self()->gid,
                  r->server->server_hostname,
                  r->server->defn_name ? r->server->defn_name : "-",
                  r->server->defn_line_number,
                  need >= 0 ? (long)rd->pools[need].uid : -1L,
                  need >= 0 ? (long)rd->pools[need].gid : -1L);
    /* httpd's own 421 (no handler runs for it); the client asks again on
     * a new connection, whose SNI picks the right user */
    r->connection->keepalive = AP_CONN_CLOSE;
    return HTTP_MISDIRECTED_REQUEST;
}

/* Any process, optional function: see mpm_peruid.h. */
static apr_status_t peruid_conn_credentials(conn_rec *c, uid_t *uid,
                                            gid_t *gid)
{
    const peruid_self_t *me = peruid_self();

    if (me->role != PERUID_ROLE_WORKER) {
        return APR_ENOTIMPL;
    }
    *uid = me->uid;
    *gid = me->gid;
    return APR_SUCCESS;
}

/* Any process, optional function: see mpm_peruid.h. */
static const char *peruid_conn_user(conn_rec *c)
{
    const peruid_self_t *me = peruid_self();

    return me->role == PERUID_ROLE_WORKER ? me->user : NULL;
}

/* Master, root, module load: the worker's request hooks. */
void peruid_worker_register_hooks(apr_pool_t *p)
{
    ap_hook_post_read_request(worker_check_request, NULL, NULL,
                              APR_HOOK_REALLY_FIRST);
    ap_hook_translate_name(worker_check_request, NULL, NULL,
                           APR_HOOK_REALLY_FIRST);
    ap_hook_header_parser(worker_check_request, NULL, NULL,
                          APR_HOOK_REALLY_FIRST);
    peruid_handover_register_hooks(p);
    APR_REGISTER_OPTIONAL_FN(peruid_conn_credentials);
    APR_REGISTER_OPTIONAL_FN(peruid_conn_user);
}
