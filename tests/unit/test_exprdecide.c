/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * test_exprdecide.c -- AssignUserIDExpr's pure decisions (exprdecide.c):
 * what a result names, which pairs may serve, the master's answer to a
 * worker's ask for an on-demand pool, and each asker's share of the
 * slots; tables, no system call.
 */

#include <string.h>

#include "unit.h"
#include "exprdecide.h"

typedef struct {
    const char *value;
    expr_id_kind_e kind;
    unsigned long id;
} id_row_t;

static const id_row_t id_rows[] = {
    { "alice", EXPR_ID_NAME, 0 },
    { "#1005", EXPR_ID_NUMBER, 1005 },
    { "#0", EXPR_ID_NUMBER, 0 },
    { "#2147483647", EXPR_ID_NUMBER, 2147483647UL },
    { "#2147483648", EXPR_ID_BAD, 0 },
    { "#99999999999999999999", EXPR_ID_BAD, 0 },
    { "#", EXPR_ID_BAD, 0 },
    { "#-1", EXPR_ID_BAD, 0 },
    { "#12a", EXPR_ID_BAD, 0 },
    { "# 1", EXPR_ID_BAD, 0 },
    { "", EXPR_ID_BAD, 0 },
    { "a#1", EXPR_ID_NAME, 0 },
};

static void test_parse(void)
{
    size_t i;

    CHECK(peruid_expr_parse_id(NULL, NULL) == EXPR_ID_BAD);
    for (i = 0; i < sizeof(id_rows) / sizeof(id_rows[0]); i++) {
        unsigned long id = 77;
        expr_id_kind_e k = peruid_expr_parse_id(id_rows[i].value, &id);

        if (k != id_rows[i].kind) {
            fprintf(stderr, "parse \"%s\": %d, want %d\n", id_rows[i].value,
                    k, id_rows[i].kind);
        }
        CHECK(k == id_rows[i].kind);
        CHECK(k != EXPR_ID_NUMBER || id == id_rows[i].id);
    }
}

typedef struct {
    const char *name;
    expr_ids_t f;
    int refused;
} ids_row_t;

/* { uid, gid, user_known, group_known, range_set, umin, umax, gmin,
 *   gmax } */
static const ids_row_t ids_rows[] = {
    { "a user", { 1005, 1005, 1, 1, 0, 0, 0, 0, 0 }, 0 },
    { "uid 0", { 0, 1005, 1, 1, 0, 0, 0, 0, 0 }, 1 },
    { "gid 0", { 1005, 0, 1, 1, 0, 0, 0, 0, 0 }, 1 },
    { "unknown user", { 1005, 1005, 0, 1, 0, 0, 0, 0, 0 }, 1 },
    { "unknown group", { 1005, 1005, 1, 0, 0, 0, 0, 0, 0 }, 1 },
    { "inside the ranges", { 1005, 1005, 1, 1, 1, 1000, 2000, 1000, 2000 },
      0 },
    { "at the ranges' ends", { 1000, 2000, 1, 1, 1, 1000, 2000, 1000, 2000 },
      0 },
    { "uid below", { 999, 1005, 1, 1, 1, 1000, 2000, 1000, 2000 }, 1 },
    { "gid above", { 1005, 2001, 1, 1, 1, 1000, 2000, 1000, 2000 }, 1 },
    { "uid 0 with a range holding it", { 0, 5, 1, 1, 1, 0, 10, 0, 10 }, 1 },
};

static void test_ids(void)
{
    size_t i;

    for (i = 0; i < sizeof(ids_rows) / sizeof(ids_rows[0]); i++) {
        const char *why = peruid_expr_ids_refuse(&ids_rows[i].f);

        if ((why != NULL) != ids_rows[i].refused) {
            fprintf(stderr, "ids \"%s\": %s\n", ids_rows[i].name,
                    why ? why : "serves");
        }
        CHECK((why != NULL) == ids_rows[i].refused);
    }
}

typedef struct {
    const char *name;
    expr_claim_t f;
    expr_claim_e want;
} claim_row_t;

#define OKIDS { 1005, 1005, 1, 1, 0, 0, 0, 0, 0 }

/* { ids, asker_may, existing, claims, quota, free_slot } */
static const claim_row_t claim_rows[] = {
    { "a new user", { OKIDS, 1, -1, 0, 4, 7 }, EXPR_CLAIM_GIVE },
    { "a user with a pool", { OKIDS, 1, 3, 4, 4, -1 }, EXPR_CLAIM_EXISTS },
    { "an asker that serves no Expr vhost", { OKIDS, 0, -1, 0, 4, 7 },
      EXPR_CLAIM_REFUSE },
    { "an asker that serves none, for an existing pool",
      { OKIDS, 0, 3, 0, 4, 7 }, EXPR_CLAIM_REFUSE },
    { "root", { { 0, 1005, 1, 1, 0, 0, 0, 0, 0 }, 1, -1, 0, 4, 7 },
      EXPR_CLAIM_REFUSE },
    { "root's existing pool (never)",
      { { 0, 0, 1, 1, 0, 0, 0, 0, 0 }, 1, 2, 0, 4, 7 }, EXPR_CLAIM_REFUSE },
    { "a user the master does not know",
      { { 1005, 1005, 0, 1, 0, 0, 0, 0, 0 }, 1, -1, 0, 4, 7 },
      EXPR_CLAIM_REFUSE },
    { "outside LimitUIDRange",
      { { 5, 1005, 1, 1, 1, 1000, 2000, 1000, 2000 }, 1, -1, 0, 4, 7 },
      EXPR_CLAIM_REFUSE },
    { "the asker's share used up", { OKIDS, 1, -1, 4, 4, 7 },
      EXPR_CLAIM_REFUSE },
    { "no free slot", { OKIDS, 1, -1, 0, 4, -1 }, EXPR_CLAIM_REFUSE },
    { "the last of its share", { OKIDS, 1, -1, 3, 4, 9 }, EXPR_CLAIM_GIVE },
};

static void test_claim(void)
{
    size_t i;

    for (i = 0; i < sizeof(claim_rows) / sizeof(claim_rows[0]); i++) {
        const char *why = NULL;
        expr_claim_e got = peruid_expr_claim(&claim_rows[i].f, &why);

        if (got != claim_rows[i].want) {
            fprintf(stderr, "claim \"%s\": %d, want %d (%s)\n",
                    claim_rows[i].name, got, claim_rows[i].want,
                    why ? why : "-");
        }
        CHECK(got == claim_rows[i].want);
        CHECK((got == EXPR_CLAIM_REFUSE) == (why != NULL));
    }
}

/* A lying asker takes its share, never another asker's: two askers,
 * eight slots; one asks for twenty users, then the honest one still gets
 * its four. */
static void test_share(void)
{
    int quota = peruid_expr_quota(8, 2), given = 0, honest = 0, i;
    expr_claim_t f;
    const char *why;

    memset(&f, 0, sizeof(f));
    f.ids.uid = f.ids.gid = 2000;
    f.ids.user_known = f.ids.group_known = 1;
    f.asker_may = 1;
    f.existing = -1;
    f.quota = quota;
    for (i = 0; i < 20; i++) {
        f.claims = given;
        f.free_slot = given + honest < 8 ? given + honest : -1;
        given += peruid_expr_claim(&f, &why) == EXPR_CLAIM_GIVE;
    }
    for (i = 0; i < 4; i++) {
        f.claims = honest;
        f.free_slot = given + honest < 8 ? given + honest : -1;
        honest += peruid_expr_claim(&f, &why) == EXPR_CLAIM_GIVE;
    }
    CHECK(quota == 4);
    CHECK(given == 4);
    CHECK(honest == 4);
    CHECK(peruid_expr_quota(0, 3) == 0);
    CHECK(peruid_expr_quota(16, 0) == 16);
    CHECK(peruid_expr_quota(2, 5) == 1);
    CHECK(peruid_expr_quota(16, 3) == 5);
}

int main(void)
{
    test_parse();
    test_ids();
    test_claim();
    test_share();
    return unit_summary("test_exprdecide");
}
