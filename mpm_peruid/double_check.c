/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * double_check.c -- the worker's request hooks: which user serves this.
 *
 * A router chose the pool from a peeked head; the worker checks that
 * choice again once httpd itself has chosen the vhost, and once it has
 * mapped the request (a per-directory AssignUserID, perdir.c).  A
 * request that needs another user than the worker's is never served
 * here: the connection is handed over to that user's pool (handover.c),
 * or answered 421 on TLS; what to do is decided by perdecide.c.  The optional functions of mpm_peruid.h answer the same
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
#include "itk.h"
#include "perdir.h"
#include "perdecide.h"
#include "exprpool.h"

/* Worker (vhost user), request hooks: a request that needs pool need,
 * not ours, is never served here: on plain HTTP the connection is handed
 * over to that pool with the bytes it read (handover.c), or answered 503
 * when it cannot be; on a TLS connection httpd answers 421 Misdirected
 * Request, as mod_ssl does for an SNI and a Host it cannot serve
 * together, and the connection closes. */
static int worker_misdirected(request_rec *r, int need)
{
    peruid_retained_t *rd = peruid_retained();
    const char *where = peruid_perdir_where(r);

    if (!ap_ssl_conn_is_ssl(r->connection)) {
        return peruid_handover_request(r, need);
    }
    if (where) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, PERUID_LOGNO(00107)
                      "worker uid %ld gid %ld refuses %s of vhost %s: the "
                      "AssignUserID at %s gives it to uid %ld gid %ld; "
                      "answering 421 on this TLS connection (it cannot be "
                      "handed over) and closing it",
                      (long)peruid_self()->uid, (long)peruid_self()->gid,
                      r->uri, r->server->server_hostname, where,
                      (long)rd->pools[need].uid, (long)rd->pools[need].gid);
    }
    else {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, PERUID_LOGNO(00013)
                      "worker uid %ld gid %ld refuses a request for vhost "
                      "%s (%s:%d), which runs as uid %ld gid %ld; answering "
                      "421 on this TLS connection (its SNI named another "
                      "user's vhost) and closing it",
                      (long)peruid_self()->uid, (long)peruid_self()->gid,
                      r->server->server_hostname,
                      r->server->defn_name ? r->server->defn_name : "-",
                      r->server->defn_line_number,
                      need >= 0 ? (long)rd->pools[need].uid : -1L,
                      need >= 0 ? (long)rd->pools[need].gid : -1L);
    }
    /* httpd's own 421 (no handler runs for it); the client asks again on
     * a new connection, whose SNI picks the right user */
    r->connection->keepalive = AP_CONN_CLOSE;
    return HTTP_MISDIRECTED_REQUEST;
}

/* Worker (vhost user), post_perdir_config of a subrequest or an internal
 * redirect that needs pool need: refused (perdecide.c says why). */
static int worker_refuse_inner(request_rec *r, int need)
{
    peruid_retained_t *rd = peruid_retained();
    const char *where = peruid_perdir_where(r);

    ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, PERUID_LOGNO(00108)
                  "worker uid %ld gid %ld refuses the %s %s of vhost %s: "
                  "%s%s names another user (uid %ld gid %ld) than the "
                  "request the client sent (%s); a subrequest or internal "
                  "redirect runs as that request's user",
                  (long)peruid_self()->uid, (long)peruid_self()->gid,
                  r->main ? "subrequest" : "internal redirect to", r->uri,
                  r->server->server_hostname,
                  where ? "the AssignUserID at " : "the vhost's AssignUserID",
                  where ? where : "",
                  need >= 0 ? (long)rd->pools[need].uid : -1L,
                  need >= 0 ? (long)rd->pools[need].gid : -1L,
                  r->main ? r->main->uri : r->prev ? r->prev->uri : "-");
    return HTTP_INTERNAL_SERVER_ERROR;
}

/* Worker (vhost user): a request whose Expr names uid/gid, another user
 * than ours: handed over naming that user (handover.c; the router finds
 * or gets its pool), or 421 on TLS. */
static int worker_expr_other(request_rec *r, uid_t uid, gid_t gid)
{
    if (!ap_ssl_conn_is_ssl(r->connection)) {
        return peruid_handover_request_user(r, uid, gid);
    }
    ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, PERUID_LOGNO(00114)
                  "worker uid %ld gid %ld refuses %s of vhost %s: its "
                  "AssignUserIDExpr or AssignGroupIDExpr gives it to uid %ld "
                  "gid %ld; answering 421 on this TLS connection (it cannot "
                  "be handed over) and closing it",
                  (long)peruid_self()->uid, (long)peruid_self()->gid,
                  r->uri, r->server->server_hostname, (long)uid, (long)gid);
    r->connection->keepalive = AP_CONN_CLOSE;
    return HTTP_MISDIRECTED_REQUEST;
}

/* Worker (vhost user), post_perdir_config of a subrequest or internal
 * redirect of an Expr vhost whose expression names another user than
 * ours (uid/gid), or none: refused. */
static int worker_expr_refuse_inner(request_rec *r, int result, uid_t uid,
                                    gid_t gid)
{
    if (result == 0) {          /* none: logged by exprpool.c */
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, PERUID_LOGNO(00111)
                      "worker uid %ld gid %ld refuses the %s %s of vhost "
                      "%s: its AssignUserIDExpr or AssignGroupIDExpr names uid "
                      "%ld gid %ld, not the user of the request the client "
                      "sent (%s)", (long)peruid_self()->uid,
                      (long)peruid_self()->gid,
                      r->main ? "subrequest" : "internal redirect to",
                      r->uri, r->server->server_hostname, (long)uid,
                      (long)gid,
                      r->main ? r->main->uri : r->prev ? r->prev->uri : "-");
    }
    return HTTP_INTERNAL_SERVER_ERROR;
}

/* Worker (vhost user): the Expr facts of r at stage (past the early
 * checks: the expression is evaluated), its user in *uid and *gid. */
static void worker_expr_facts(request_rec *r, perdecide_facts_t *f,
                              uid_t *uid, gid_t *gid)
{
    const peruid_self_t *me = peruid_self();

    f->expr_set = peruid_itk_expr(r->server) != NULL;
    f->expr_result = -1;
    if (!f->expr_set || f->stage == PERDECIDE_EARLY) {
        return;
    }
    if (peruid_exprpool_eval(r, uid, gid) == EXPR_EVAL_USER) {
        f->expr_result = *uid == me->uid && *gid == me->gid;
    }
}

/* Worker (vhost user): the double-check at stage: gather the facts of r
 * and carry out what perdecide.c decides. */
static int worker_check(request_rec *r, perdecide_stage_e stage)
{
    perdecide_facts_t f;
    int target;
    uid_t uid = 0;
    gid_t gid = 0;

    if (peruid_self()->role != PERUID_ROLE_WORKER) {
        return DECLINED;
    }
    f.stage = stage;
    f.mine = peruid_self()->pool;
    f.vhost_pool = peruid_server_pool(r->server);
    f.dir_set = stage != PERDECIDE_EARLY
                && peruid_perdir_pool(r, &f.dir_pool);
    f.vhost_names_mine = peruid_perdir_names_pool(r->server, f.mine);
    worker_expr_facts(r, &f, &uid, &gid);
    switch (peruid_perdecide(&f, &target)) {
    case PERDECIDE_SERVE:
        return DECLINED;
    case PERDECIDE_HAND_OVER:
        return worker_misdirected(r, target);
    case PERDECIDE_HAND_OVER_USER:
        return worker_expr_other(r, uid, gid);
    default:
        if (f.expr_set) {
            return stage == PERDECIDE_INNER
                   ? worker_expr_refuse_inner(r, f.expr_result, uid, gid)
                   : HTTP_INTERNAL_SERVER_ERROR;
        }
        return stage == PERDECIDE_INNER ? worker_refuse_inner(r, target)
                                        : HTTP_INTERNAL_SERVER_ERROR;
    }
}

/* Worker (vhost user), post_read_request and translate_name: the early
 * double-check, after httpd chose r->server and before any file of the
 * vhost is looked at (translate_name runs before the directory walk,
 * also for internal redirects and subrequests).  The vhost's pool must
 * be ours, or one that a per-directory AssignUserID of the vhost names
 * (perdir.c): such a request is let in, and the mapped check decides. */
static int worker_check_vhost(request_rec *r)
{
    return worker_check(r, PERDECIDE_EARLY);
}

/* Worker (vhost user), header_parser: the authoritative check of the
 * request the client sent, after the per-directory merge: the pool it
 * needs is its per-directory AssignUserID's, else its vhost's.
 * header_parser runs for main requests only; internal redirects are
 * checked at post_perdir_config, below. */
static int worker_check_mapped(request_rec *r)
{
    return r->prev ? DECLINED : worker_check(r, PERDECIDE_MAPPED);
}

/* Worker (vhost user), post_perdir_config of subrequests and internal
 * redirects, after their own merge: they run as the user the client's
 * request was given; one whose per-directory AssignUserID names another
 * user cannot be handed over (the replay is the client's request, which
 * maps elsewhere) and is answered 500, never served as the wrong user. */
static int worker_check_inner(request_rec *r)
{
    return r->main || r->prev ? worker_check(r, PERDECIDE_INNER) : DECLINED;
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
    ap_hook_post_read_request(worker_check_vhost, NULL, NULL,
                              APR_HOOK_REALLY_FIRST);
    ap_hook_translate_name(worker_check_vhost, NULL, NULL,
                           APR_HOOK_REALLY_FIRST);
    ap_hook_post_perdir_config(worker_check_inner, NULL, NULL,
                               APR_HOOK_REALLY_FIRST);
    ap_hook_header_parser(worker_check_mapped, NULL, NULL,
                          APR_HOOK_REALLY_FIRST);
    peruid_handover_register_hooks(p);
    APR_REGISTER_OPTIONAL_FN(peruid_conn_credentials);
    APR_REGISTER_OPTIONAL_FN(peruid_conn_user);
}
