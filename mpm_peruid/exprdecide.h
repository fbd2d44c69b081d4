/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * exprdecide.h -- the pure decisions of AssignUserIDExpr and
 * AssignGroupIDExpr (exprdecide.c): what an expression's result names,
 * whether a user may serve, and whether the master gives an on-demand
 * pool to the user a worker asks for.  No httpd, no system call:
 * exprpool.c gathers the facts and carries the answers out;
 * tests/unit/test_exprdecide.c runs them through tables.
 */

#ifndef PERUID_EXPRDECIDE_H
#define PERUID_EXPRDECIDE_H

typedef enum {
    EXPR_ID_NAME,           /* a user or group name, to look up          */
    EXPR_ID_NUMBER,         /* "#123": the id itself                     */
    EXPR_ID_BAD             /* empty, "#" alone, "#" and not a number    */
} expr_id_kind_e;

/* Any process: what an expression's result names; *id for a number
 * (0 to 2^31 - 1, as AssignUserID's "#uid"). */
expr_id_kind_e peruid_expr_parse_id(const char *value, unsigned long *id);

/* The facts of one user/group pair an expression chose. */
typedef struct {
    unsigned long uid, gid;
    int user_known;         /* the passwd database has the user          */
    int group_known;        /* the group database has the group (or the
                             * gid came from the configuration)          */
    int range_set;          /* LimitUIDRange or LimitGIDRange            */
    unsigned long uid_min, uid_max, gid_min, gid_max;
} expr_ids_t;

/* Any process: why the pair f may not serve a request (uid or gid 0, an
 * unknown user or group, outside LimitUIDRange/LimitGIDRange), or NULL
 * when it may. */
const char *peruid_expr_ids_refuse(const expr_ids_t *f);

/* What the master knows when a router passes on a worker's ask for the
 * pool of a pair (a USER record). */
typedef struct {
    expr_ids_t ids;         /* user_known: the master's own lookup       */
    int asker_may;          /* the asking pool serves a vhost with an
                             * Expr (its workers evaluate them)          */
    int existing;           /* the pool of the pair already, -1: none    */
    int claims;             /* slots given on the asking pool's word in
                             * this generation                           */
    int quota;              /* how many it may have (peruid_expr_quota)  */
    int free_slot;          /* a slot kept free, -1: none left           */
} expr_claim_t;

typedef enum {
    EXPR_CLAIM_EXISTS,      /* the pair has a pool: nothing to give      */
    EXPR_CLAIM_GIVE,        /* give it free_slot                         */
    EXPR_CLAIM_REFUSE       /* no pool; *why says why                    */
} expr_claim_e;

/* Any process: the master's answer to f; *why set on a refusal. */
expr_claim_e peruid_expr_claim(const expr_claim_t *f, const char **why);

/* Any process: the slots each asking pool may have in a generation:
 * slots shared evenly among askers, at least one each (0 without
 * slots). */
int peruid_expr_quota(int slots, int askers);

#endif /* PERUID_EXPRDECIDE_H */
