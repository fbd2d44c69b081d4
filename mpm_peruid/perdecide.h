/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * perdecide.h -- the double-check's decision (perdecide.c): from the
 * facts of one request at one hook, whether this worker serves it, hands
 * it over to another pool, or refuses it.  Pure: no httpd, no system
 * call; double_check.c gathers the facts and carries the answer out.
 */

#ifndef PERUID_PERDECIDE_H
#define PERUID_PERDECIDE_H

/* Where the double-check runs. */
typedef enum {
    PERDECIDE_EARLY,        /* post_read_request, translate_name: the vhost
                             * is known, the directory is not            */
    PERDECIDE_MAPPED,       /* header_parser of the client's request,
                             * after the per-directory merge             */
    PERDECIDE_INNER         /* post_perdir_config of a subrequest or an
                             * internal redirect                         */
} perdecide_stage_e;

typedef struct {
    perdecide_stage_e stage;
    int mine;               /* the worker's pool                         */
    int vhost_pool;         /* the pool of the request's vhost           */
    int dir_set;            /* a per-directory AssignUserID applies
                             * (MAPPED and INNER only)                   */
    int dir_pool;           /* its pool (-1: none assigned)              */
    int vhost_names_mine;   /* a section of the vhost names our pool     */
    int expr_set;           /* the vhost has AssignUserIDExpr or
                             * AssignGroupIDExpr (exprpool.c): it decides,
                             * over any AssignUserID                     */
    int expr_result;        /* MAPPED and INNER, with expr_set: 1 the
                             * expression named the worker's own user, 0
                             * another user, -1 none that may serve      */
} perdecide_facts_t;

typedef enum {
    PERDECIDE_SERVE,        /* go on: this worker serves it (or, EARLY,
                             * lets it in for the mapped check)          */
    PERDECIDE_HAND_OVER,    /* hand the connection over to *target (421
                             * on TLS)                                   */
    PERDECIDE_REFUSE,       /* 500: not served, not handed over          */
    PERDECIDE_HAND_OVER_USER    /* hand the connection over to the user
                             * the expression named (421 on TLS); the
                             * router finds or gets its pool             */
} perdecide_act_e;

/* Any process: the decision for f; *target is the pool the request
 * needs (-1 when unknown: always for an Expr vhost, whose user is the
 * caller's to name). */
perdecide_act_e peruid_perdecide(const perdecide_facts_t *f, int *target);

#endif /* PERUID_PERDECIDE_H */
