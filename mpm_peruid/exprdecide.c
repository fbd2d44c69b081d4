/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * exprdecide.c -- the pure decisions of AssignUserIDExpr and
 * AssignGroupIDExpr (exprdecide.h).  Called by workers (the result of an
 * expression) and by the master (a pool on demand); tested by
 * tests/unit/test_exprdecide.c.
 */

#include <stdlib.h>
#include <errno.h>

#include "exprdecide.h"

#define EXPR_ID_MAX 0x7fffffffUL

/* Any process: see exprdecide.h. */
expr_id_kind_e peruid_expr_parse_id(const char *value, unsigned long *id)
{
    const char *p;
    unsigned long v = 0;

    if (!value || !*value) {
        return EXPR_ID_BAD;
    }
    if (value[0] != '#') {
        return EXPR_ID_NAME;
    }
    if (!value[1]) {
        return EXPR_ID_BAD;
    }
    for (p = value + 1; *p; p++) {
        if (*p < '0' || *p > '9') {
            return EXPR_ID_BAD;
        }
        v = v * 10 + (unsigned long)(*p - '0');
        if (v > EXPR_ID_MAX) {
            return EXPR_ID_BAD;
        }
    }
    *id = v;
    return EXPR_ID_NUMBER;
}

/* Any process: see exprdecide.h. */
const char *peruid_expr_ids_refuse(const expr_ids_t *f)
{
    if (!f->user_known) {
        return "no such user";
    }
    if (!f->group_known) {
        return "no such group";
    }
    if (f->uid == 0) {
        return "uid 0 (root) never serves";
    }
    if (f->gid == 0) {
        return "gid 0 never serves";
    }
    if (f->range_set && (f->uid < f->uid_min || f->uid > f->uid_max)) {
        return "the uid is outside LimitUIDRange";
    }
    if (f->range_set && (f->gid < f->gid_min || f->gid > f->gid_max)) {
        return "the gid is outside LimitGIDRange";
    }
    return NULL;
}

/* Any process: see exprdecide.h.  The asker first: a pool that serves no
 * Expr vhost has no business asking, whatever it names. */
expr_claim_e peruid_expr_claim(const expr_claim_t *f, const char **why)
{
    if (!f->asker_may) {
        *why = "the asking pool serves no vhost with AssignUserIDExpr or "
               "AssignGroupIDExpr";
        return EXPR_CLAIM_REFUSE;
    }
    if ((*why = peruid_expr_ids_refuse(&f->ids)) != NULL) {
        return EXPR_CLAIM_REFUSE;
    }
    if (f->existing >= 0) {
        return EXPR_CLAIM_EXISTS;
    }
    if (f->claims >= f->quota) {
        *why = "the asking pool had its share of PeruidExprUsers in this "
               "generation";
        return EXPR_CLAIM_REFUSE;
    }
    if (f->free_slot < 0) {
        *why = "no slot of PeruidExprUsers is left";
        return EXPR_CLAIM_REFUSE;
    }
    return EXPR_CLAIM_GIVE;
}

/* Any process: see exprdecide.h. */
int peruid_expr_quota(int slots, int askers)
{
    int q;

    if (slots <= 0) {
        return 0;
    }
    q = askers > 0 ? slots / askers : slots;
    return q > 0 ? q : 1;
}
