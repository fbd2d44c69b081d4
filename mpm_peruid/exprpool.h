/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * exprpool.h -- AssignUserIDExpr and AssignGroupIDExpr (exprpool.c): the
 * user of each request from an expression, evaluated by workers once
 * httpd has mapped the request; pools on demand for users the
 * configuration names nowhere else, given by the master only.
 */

#ifndef PERUID_EXPRPOOL_H
#define PERUID_EXPRPOOL_H

#include "httpd.h"
#include "peruid.h"
#include "channel.h"
#include "master.h"

/* peruid_pool_t.expr */
#define PERUID_EXPR_NONE  0     /* an ordinary pool                      */
#define PERUID_EXPR_FREE  1     /* a slot kept free (uid/gid -1): nothing
                                 * is forked for it, nothing sent to it  */
#define PERUID_EXPR_GIVEN 2     /* given to an Expr user by the master    */

/* Master, root, first start: the page on which the master tells routers
 * which user each slot was given to (only the master writes it). */
apr_status_t peruid_exprpool_init(peruid_retained_t *rd);

/* Master, root, after the pools of each configuration read are assigned
 * (pools.c): which pools may ask for Expr users (those of vhosts with
 * an Expr), PeruidExprUsers free slots made, given slots kept, and every
 * pool noted as one that serves the Expr vhosts (their logs, perdir.c).
 * Without any Expr nothing is done. */
apr_status_t peruid_exprpool_assign(peruid_retained_t *rd, apr_pool_t *p,
                                    server_rec *main_s);

/* Master, root: a USER record a router sent (the type checked): give
 * the user a slot, or refuse (logged, at most once a second). */
void peruid_exprpool_user(peruid_master_t *m, const peruid_msg_t *msg);

/* Router, root, at setup: the master's page, read-only from now on. */
void peruid_exprpool_router_enter(peruid_retained_t *rd);

/* Worker, root, right after fork: the master's page unmapped. */
void peruid_exprpool_worker_enter(peruid_retained_t *rd);

/* Router: the pool of uid/gid, from the table as this router was forked
 * with and the master's page; -1 when it has none (yet). */
int peruid_exprpool_find(const peruid_retained_t *rd, apr_uint32_t uid,
                         apr_uint32_t gid);

typedef enum {
    EXPR_EVAL_NONE,         /* the vhost has no Expr                     */
    EXPR_EVAL_USER,         /* *uid and *gid: the pair to serve it           */
    EXPR_EVAL_BAD           /* refused (logged, PU00109): answer 500     */
} expr_eval_e;

/* Worker (a vhost's user), request hooks: the user/group pair r needs by
 * its vhost's AssignUserIDExpr / AssignGroupIDExpr (the other one from
 * its AssignUserID or User/Group). */
expr_eval_e peruid_exprpool_eval(request_rec *r, uid_t *uid, gid_t *gid);

#endif /* PERUID_EXPRPOOL_H */
