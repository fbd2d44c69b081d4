/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * perdecide.c -- the double-check's decision: which pool a request
 * needs, and what the worker does about it (perdecide.h).  Pure; called
 * by workers (the vhost's user) from double_check.c, tested by
 * tests/unit/test_perdecide.c.
 */

#include "perdecide.h"

/* Any process: the decision for a vhost with an Expr: any worker lets
 * its request in early (the expression may name any user, and only the
 * mapped request can be evaluated); then the expression's user serves
 * it, and nobody else.  A subrequest or internal redirect that names
 * another user than the client's request is refused, as a per-directory
 * one. */
static perdecide_act_e perdecide_expr(const perdecide_facts_t *f,
                                      int *target)
{
    *target = -1;
    if (f->stage == PERDECIDE_EARLY || f->expr_result > 0) {
        return PERDECIDE_SERVE;
    }
    if (f->stage == PERDECIDE_MAPPED && f->expr_result == 0) {
        return PERDECIDE_HAND_OVER_USER;
    }
    return PERDECIDE_REFUSE;
}

/* Any process: see perdecide.h.  The pool a request needs is its
 * per-directory AssignUserID's, else its vhost's.  Early, the directory
 * is not known: a worker lets in a request of a vhost whose section
 * names its pool.  Only the client's request can be handed over: the
 * replay is its bytes; a subrequest or internal redirect that needs
 * another pool is refused. */
perdecide_act_e peruid_perdecide(const perdecide_facts_t *f, int *target)
{
    int need = f->vhost_pool;

    if (f->expr_set) {
        return perdecide_expr(f, target);
    }
    if (f->stage != PERDECIDE_EARLY && f->dir_set) {
        need = f->dir_pool;
    }
    *target = need;
    if (need == f->mine && need >= 0) {
        return PERDECIDE_SERVE;
    }
    switch (f->stage) {
    case PERDECIDE_EARLY:
        return f->vhost_names_mine ? PERDECIDE_SERVE : PERDECIDE_HAND_OVER;
    case PERDECIDE_MAPPED:
        return need >= 0 ? PERDECIDE_HAND_OVER : PERDECIDE_REFUSE;
    default:
        return PERDECIDE_REFUSE;
    }
}
