/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * exprpool.c -- AssignUserIDExpr and AssignGroupIDExpr (itk.c reads
 * them): the user and group of each request from an expression, as
 * mpm-itk evaluates it, and pools on demand for the users it names.
 *
 * A router cannot evaluate the expression (SetEnvIf, RewriteRule [E=]
 * and the rest run once httpd has mapped the request): it sends an Expr
 * vhost's connection to the vhost's own pool (AssignUserID, or
 * User/Group), whose worker lets it in (perdecide.c), evaluates the
 * expression at the mapped check and, when the result is another user,
 * hands the connection over (handover.c) naming that user's ids, not a
 * pool: a user named nowhere else in the configuration has no pool the
 * worker could know.  The router finds the pool of those ids in its own
 * table and on the master's page; when there is none, it asks the
 * master (a USER record on the control channel) and keeps the
 * connection until the master has given the user a slot, or until its
 * deadline (503).  The receiving worker evaluates the expression again
 * and serves the request only if the result is its own user: a worker
 * that lied about the result cannot get the request served as anybody
 * else.
 *
 * Slots: with any Expr configured, the master keeps PeruidExprUsers
 * pools free at the start of every generation (uid and gid -1, channels
 * made as for any pool), so every router holds their channels from its
 * fork and nothing new is ever passed to it.  The master gives one to a
 * user only on a router's USER record, after its own checks
 * (exprdecide.c): the asking pool (the back channel the router read,
 * not the worker's word) serves an Expr vhost; the user exists, is not
 * uid or gid 0, lies inside LimitUIDRange/LimitGIDRange; the group is
 * the Expr vhosts' own unless AssignGroupIDExpr is set; each asking pool
 * gets at most its share of the slots per generation.  It writes the
 * user's ids on its page, which only it writes: routers map it
 * read-only, workers not at all.  A given slot is that user's pool for
 * the master's life (its channel is never given to anyone else: an old
 * worker may still hold it), like any pool a configuration once named.
 *
 * Runs in the master (root), routers and workers, as each comment says.
 */

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "httpd.h"
#include "apr_atomic.h"
#include "apr_strings.h"
#include "http_log.h"
#include "http_main.h"
#include "http_request.h"

#include "peruid.h"
#include "child.h"
#include "itk.h"
#include "perdir.h"
#include "exprdecide.h"
#include "exprpool.h"
#include "status.h"

/* One entry of the master's page per pool: given (0: no), uid, gid. */
#define EXPR_PAGE_WORDS 3
#define EXPR_PAGE_SIZE  (PERUID_MAX_POOLS * EXPR_PAGE_WORDS \
                         * sizeof(apr_uint32_t))
#define EXPR_LOG_EVERY  apr_time_from_sec(1)

/* Master, root: see exprpool.h.  Anonymous and shared, made once: every
 * child inherits it; a router makes its copy read-only, a worker unmaps
 * it. */
apr_status_t peruid_exprpool_init(peruid_retained_t *rd)
{
    void *m;

    if (rd->expr_page) {
        return APR_SUCCESS;
    }
    m = mmap(NULL, EXPR_PAGE_SIZE, PROT_READ | PROT_WRITE,
             MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED) {
        return errno;
    }
    rd->expr_page = m;
    return APR_SUCCESS;
}

/* Master, root: is some server's expression for the user (group: 1, the
 * group) set? */
static int expr_any(server_rec *main_s, int group)
{
    server_rec *s;

    for (s = main_s; s; s = s->next) {
        const peruid_itk_server_t *c = peruid_itk_expr(s);

        if (c && (group ? c->gid_expr != NULL : c->uid_expr != NULL)) {
            return 1;
        }
    }
    return 0;
}

/* Master, root: the pools that may ask (an Expr vhost's own), after
 * every pool's asks and claims of the last generation are forgotten;
 * returns how many distinct ones. */
static int expr_mark_askers(peruid_retained_t *rd, server_rec *main_s)
{
    server_rec *s;
    int i, n = 0;

    for (i = 0; i < rd->npools; i++) {
        rd->pools[i].expr_asks = 0;
        rd->pools[i].expr_claims = 0;
    }
    for (s = main_s; s; s = s->next) {
        int pool = peruid_server_pool(s);

        if (peruid_itk_expr(s) && pool >= 0 && !rd->pools[pool].expr_asks) {
            rd->pools[pool].expr_asks = 1;
            n++;
        }
    }
    return n;
}

/* Master, root: PeruidExprUsers slots free, adding what the last
 * generation gave away; the given ones serve again.  APR_ENOSPC when
 * the table is full (logged by pools.c). */
static apr_status_t expr_keep_slots(peruid_retained_t *rd, server_rec *s)
{
    int i, nfree = 0, want = peruid_itk_expr_users();

    for (i = 0; i < rd->npools; i++) {
        if (rd->pools[i].expr == PERUID_EXPR_FREE) {
            nfree++;
        }
        else if (rd->pools[i].expr == PERUID_EXPR_GIVEN) {
            rd->pools[i].in_config = 1;
            rd->pools[i].ngroups = -1;  /* looked up again (pools.c) */
        }
    }
    for (; nfree < want; nfree++) {
        if (peruid_pools_add_free(rd, s) < 0) {
            return APR_ENOSPC;
        }
    }
    return APR_SUCCESS;
}

/* Master, root: see exprpool.h. */
apr_status_t peruid_exprpool_assign(peruid_retained_t *rd, apr_pool_t *p,
                                    server_rec *main_s)
{
    server_rec *s;
    apr_status_t rv;
    int i;

    expr_mark_askers(rd, main_s);   /* none without an Expr */
    if (!expr_any(main_s, 0) && !expr_any(main_s, 1)) {
        return APR_SUCCESS;
    }
    if ((rv = expr_keep_slots(rd, main_s)) != APR_SUCCESS) {
        return rv;
    }
    /* any pool may serve an Expr vhost's request: its logs are every
     * pool's (logs.c reads the list perdir.c keeps) */
    for (s = main_s; s; s = s->next) {
        for (i = 0; peruid_itk_expr(s) && i < rd->npools; i++) {
            peruid_perdir_note_pool(p, NULL, s, i);
        }
    }
    return APR_SUCCESS;
}

/* Master, root: is id the user (group: 1, gid) of a server with an
 * Expr, from its AssignUserID or User/Group? */
static int expr_configured_id(unsigned long id, int group)
{
    server_rec *s;

    for (s = ap_server_conf; s; s = s->next) {
        uid_t uid;
        gid_t gid;
        const char *user;

        if (peruid_itk_expr(s)) {
            peruid_server_ids(s, &uid, &gid, &user);
            if ((group ? (unsigned long)gid : (unsigned long)uid) == id) {
                return 1;
            }
        }
    }
    return 0;
}

/* Master, root: the facts of a USER record from pool from for
 * uid/gid. */
static void expr_claim_facts(peruid_retained_t *rd, int from,
                             apr_uint32_t uid, apr_uint32_t gid,
                             expr_claim_t *f)
{
    const peruid_settings_t *cfg = peruid_settings();
    int i, askers = 0;

    memset(f, 0, sizeof(*f));
    f->ids.uid = uid;
    f->ids.gid = gid;
    /* a user of the passwd database; a group an AssignGroupIDExpr may
     * choose, else the Expr vhosts' own (as itk: the group comes from
     * AssignUserID) */
    f->ids.user_known = expr_any(ap_server_conf, 0)
                        ? getpwuid((uid_t)uid) != NULL
                        : expr_configured_id(uid, 0);
    f->ids.group_known = expr_any(ap_server_conf, 1)
                         || expr_configured_id(gid, 1);
    f->ids.range_set = cfg->uid_range_set;
    f->ids.uid_min = cfg->uid_min;
    f->ids.uid_max = cfg->uid_max;
    f->ids.gid_min = cfg->gid_min;
    f->ids.gid_max = cfg->gid_max;
    f->asker_may = rd->pools[from].expr_asks;
    f->existing = f->free_slot = -1;
    for (i = 0; i < rd->npools; i++) {
        const peruid_pool_t *pl = &rd->pools[i];

        askers += pl->expr_asks;
        if (pl->expr == PERUID_EXPR_FREE) {
            f->free_slot = f->free_slot < 0 ? i : f->free_slot;
        }
        else if (pl->uid == (uid_t)uid && pl->gid == (gid_t)gid) {
            f->existing = i;
        }
    }
    f->claims = rd->pools[from].expr_claims;
    f->quota = peruid_expr_quota(peruid_itk_expr_users(), askers);
}

/* Master, root: write slot's user on the page: the ids, then (after a
 * barrier) the mark routers look at. */
static void expr_publish(peruid_retained_t *rd, int slot)
{
    volatile apr_uint32_t *e = rd->expr_page + slot * EXPR_PAGE_WORDS;

    e[1] = (apr_uint32_t)rd->pools[slot].uid;
    e[2] = (apr_uint32_t)rd->pools[slot].gid;
    apr_atomic_set32(&e[0], 1);
}

/* Master, root: give slot to uid/gid on pool from's asking (quota:
 * its share). */
static void expr_give(peruid_master_t *m, int slot, int from,
                      apr_uint32_t uid, apr_uint32_t gid, int quota)
{
    peruid_retained_t *rd = m->rd;
    peruid_pool_t *pl = &rd->pools[slot];

    pl->uid = (uid_t)uid;
    pl->gid = (gid_t)gid;
    free(pl->user);
    pl->user = NULL;            /* its name with its groups (pools.c) */
    free(pl->groups);
    pl->groups = NULL;
    pl->ngroups = -1;
    pl->expr = PERUID_EXPR_GIVEN;
    pl->in_config = 1;
    peruid_status_pool_reset(slot);     /* not the last user's figures */
    rd->pools[from].expr_claims++;
    expr_publish(rd, slot);
    ap_log_error(APLOG_MARK, APLOG_NOTICE, 0, m->s, PERUID_LOGNO(00112)
                 "master: pool %d is uid %lu gid %lu now, an Expr user "
                 "asked for by the workers of uid %ld (%d of its %d slots "
                 "of PeruidExprUsers this generation)", slot,
                 (unsigned long)uid, (unsigned long)gid,
                 (long)rd->pools[from].uid, rd->pools[from].expr_claims,
                 quota);
}

/* Master, root: a refused USER record, logged at most once a second
 * with the count since the last line (a tenant's worker can make its
 * routers send as many as it likes). */
static void expr_log_refused(peruid_master_t *m, int from, apr_uint32_t uid,
                             apr_uint32_t gid, const char *why)
{
    static apr_time_t logged;
    static int refused;
    apr_time_t now = apr_time_now();

    refused++;
    if (logged && now - logged < EXPR_LOG_EVERY) {
        return;
    }
    ap_log_error(APLOG_MARK, APLOG_WARNING, 0, m->s, PERUID_LOGNO(00113)
                 "master: no pool for uid %lu gid %lu, which the workers "
                 "of uid %ld asked for (AssignUserIDExpr, "
                 "AssignGroupIDExpr): %s (%d refused since the last such "
                 "line)", (unsigned long)uid,
                 (unsigned long)gid, (long)m->rd->pools[from].uid, why,
                 refused);
    logged = now;
    refused = 0;
}

/* Master, root: see exprpool.h. */
void peruid_exprpool_user(peruid_master_t *m, const peruid_msg_t *msg)
{
    peruid_retained_t *rd = m->rd;
    int from = (int)msg->pool;
    apr_uint32_t uid, gid;
    expr_claim_t f;
    const char *why = NULL;

    if (msg->pool >= (apr_uint32_t)rd->npools || !rd->expr_page) {
        return;
    }
    peruid_chan_user_ids(msg, &uid, &gid);
    expr_claim_facts(rd, from, uid, gid, &f);
    switch (peruid_expr_claim(&f, &why)) {
    case EXPR_CLAIM_GIVE:
        expr_give(m, f.free_slot, from, uid, gid, f.quota);
        peruid_schedule_watch(m, f.free_slot);
        break;
    case EXPR_CLAIM_EXISTS:
        if (!rd->pools[f.existing].in_config) {     /* an old user's */
            rd->pools[f.existing].in_config = 1;
            rd->pools[f.existing].ngroups = -1;     /* looked up again */
        }
        peruid_schedule_watch(m, f.existing);
        break;
    default:
        expr_log_refused(m, from, uid, gid, why);
    }
}

/* Router, root: see exprpool.h.  Routers run no tenant code; the page is
 * read-only all the same, so that only the master writes it. */
void peruid_exprpool_router_enter(peruid_retained_t *rd)
{
    if (rd->expr_page) {
        mprotect((void *)rd->expr_page, EXPR_PAGE_SIZE, PROT_READ);
    }
}

/* Worker, root: see exprpool.h. */
void peruid_exprpool_worker_enter(peruid_retained_t *rd)
{
    if (rd->expr_page) {
        munmap((void *)rd->expr_page, EXPR_PAGE_SIZE);
        rd->expr_page = NULL;
    }
}

/* Router: see exprpool.h.  A slot that was free when this router was
 * forked is looked up on the page; any other pool by the ids of the
 * table the router was forked with (the master never changes them). */
int peruid_exprpool_find(const peruid_retained_t *rd, apr_uint32_t uid,
                         apr_uint32_t gid)
{
    int i;

    for (i = 0; i < rd->npools; i++) {
        const peruid_pool_t *pl = &rd->pools[i];

        if (pl->expr == PERUID_EXPR_FREE) {
            volatile apr_uint32_t *e = rd->expr_page
                                       + i * EXPR_PAGE_WORDS;

            if (rd->expr_page && apr_atomic_read32(&e[0])
                && e[1] == uid && e[2] == gid) {
                return i;
            }
        }
        else if ((apr_uint32_t)pl->uid == uid
                 && (apr_uint32_t)pl->gid == gid) {
            return i;
        }
    }
    return -1;
}

/* Worker (vhost user): the string expr gives for r (directive: its
 * name, where: its file:line), or NULL when it fails (logged). */
static const char *expr_value(request_rec *r, ap_expr_info_t *expr,
                              const char *directive, const char *where)
{
    const char *err = NULL;
    const char *v = ap_expr_str_exec(r, expr, &err);

    if (err || !v) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, PERUID_LOGNO(00110)
                      "%s (%s) of vhost %s failed: %s; answering 500",
                      directive, where, r->server->server_hostname,
                      err ? err : "no result");
        return NULL;
    }
    return v;
}

/* Worker (vhost user): the user value names into f (uid, user_known). */
static void expr_user(const char *value, expr_ids_t *f)
{
    unsigned long id;
    struct passwd *pw;

    switch (peruid_expr_parse_id(value, &id)) {
    case EXPR_ID_NUMBER:
        f->uid = id;
        f->user_known = getpwuid((uid_t)id) != NULL;
        break;
    case EXPR_ID_NAME:
        pw = getpwnam(value);
        f->user_known = pw != NULL;
        f->uid = pw ? (unsigned long)pw->pw_uid : 0;
        break;
    default:
        f->user_known = 0;
    }
}

/* Worker (vhost user): the group value names into f (gid,
 * group_known). */
static void expr_group(const char *value, expr_ids_t *f)
{
    unsigned long id;
    struct group *gr;

    switch (peruid_expr_parse_id(value, &id)) {
    case EXPR_ID_NUMBER:
        f->gid = id;
        f->group_known = 1;
        break;
    case EXPR_ID_NAME:
        gr = getgrnam(value);
        f->group_known = gr != NULL;
        f->gid = gr ? (unsigned long)gr->gr_gid : 0;
        break;
    default:
        f->group_known = 0;
    }
}

/* Worker (vhost user): say why the pair of f (from value, of directive
 * at where) does not serve r. */
static void expr_log_refused_pair(request_rec *r, const char *directive,
                                  const char *where, const char *value,
                                  const expr_ids_t *f, const char *why)
{
    char ids[64] = "";

    if (f->user_known && f->group_known) {
        apr_snprintf(ids, sizeof(ids), " (uid %lu gid %lu)", f->uid, f->gid);
    }
    ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, PERUID_LOGNO(00109)
                  "%s (%s) of vhost %s gave '%.128s'%s: %s; answering 500",
                  directive, where, r->server->server_hostname, value, ids,
                  why);
}

/* Worker (vhost user): see exprpool.h. */
expr_eval_e peruid_exprpool_eval(request_rec *r, uid_t *uid, gid_t *gid)
{
    const peruid_itk_server_t *c = peruid_itk_expr(r->server);
    const peruid_settings_t *cfg = peruid_settings();
    const char *uv = NULL, *gv = NULL, *user, *why;
    expr_ids_t f;
    uid_t su;
    gid_t sg;

    if (!c) {
        return EXPR_EVAL_NONE;
    }
    peruid_server_ids(r->server, &su, &sg, &user);
    memset(&f, 0, sizeof(f));
    f.uid = (unsigned long)su;
    f.gid = (unsigned long)sg;
    f.user_known = f.group_known = 1;
    if ((c->uid_expr && !(uv = expr_value(r, c->uid_expr,
                                          "AssignUserIDExpr", c->uid_where)))
        || (c->gid_expr && !(gv = expr_value(r, c->gid_expr,
                                             "AssignGroupIDExpr",
                                             c->gid_where)))) {
        return EXPR_EVAL_BAD;
    }
    if (uv) {
        expr_user(uv, &f);
    }
    if (gv) {
        expr_group(gv, &f);
    }
    f.range_set = cfg->uid_range_set;
    f.uid_min = cfg->uid_min;
    f.uid_max = cfg->uid_max;
    f.gid_min = cfg->gid_min;
    f.gid_max = cfg->gid_max;
    if ((why = peruid_expr_ids_refuse(&f)) != NULL) {
        int by_user = uv && (!gv || !f.user_known || f.uid == 0
                             || (f.range_set && (f.uid < f.uid_min
                                                 || f.uid > f.uid_max)));

        expr_log_refused_pair(r, by_user ? "AssignUserIDExpr"
                                         : "AssignGroupIDExpr",
                              by_user ? c->uid_where : c->gid_where,
                              by_user ? uv : gv, &f, why);
        return EXPR_EVAL_BAD;
    }
    *uid = (uid_t)f.uid;
    *gid = (gid_t)f.gid;
    return EXPR_EVAL_USER;
}
