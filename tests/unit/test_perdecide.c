/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * test_perdecide.c -- the double-check's decision (perdecide.c), a table
 * of requests at each hook: the worker's pool, its vhost's, the
 * per-directory AssignUserID's, whether a section of the vhost names the
 * worker's pool; what it does and which pool it names.
 */

#include "unit.h"
#include "perdecide.h"

typedef struct {
    const char *name;
    perdecide_facts_t f;
    perdecide_act_e act;
    int target;
} row_t;

#define E PERDECIDE_EARLY
#define M PERDECIDE_MAPPED
#define I PERDECIDE_INNER
#define SERVE PERDECIDE_SERVE
#define HAND PERDECIDE_HAND_OVER
#define REFUSE PERDECIDE_REFUSE
#define USER PERDECIDE_HAND_OVER_USER

static const row_t rows[] = {
    /* { stage, mine, vhost, dir_set, dir, names_mine, no Expr } */
    { "early: our vhost", { E, 1, 1, 0, -1, 0, 0, 0 }, SERVE, 1 },
    { "early: another user's vhost", { E, 1, 2, 0, -1, 0, 0, 0 }, HAND, 2 },
    { "early: another user's vhost whose section names us",
      { E, 1, 2, 0, -1, 1, 0, 0 }, SERVE, 2 },
    { "early: a directory is not known yet (dir ignored)",
      { E, 1, 1, 1, 2, 0, 0, 0 }, SERVE, 1 },
    { "mapped: our vhost, no section", { M, 1, 1, 0, -1, 0, 0, 0 }, SERVE, 1 },
    { "mapped: our vhost, a section of another user",
      { M, 1, 1, 1, 2, 0, 0, 0 }, HAND, 2 },
    { "mapped: another vhost, its section names us",
      { M, 2, 1, 1, 2, 1, 0, 0 }, SERVE, 2 },
    { "mapped: another vhost let in, mapped outside the section",
      { M, 2, 1, 0, -1, 1, 0, 0 }, HAND, 1 },
    { "mapped: another vhost let in, a section of a third user",
      { M, 2, 1, 1, 3, 1, 0, 0 }, HAND, 3 },
    { "mapped: a section naming the vhost's own user",
      { M, 1, 1, 1, 1, 0, 0, 0 }, SERVE, 1 },
    { "mapped: a section with no pool (not expected)",
      { M, 1, 1, 1, -1, 0, 0, 0 }, REFUSE, -1 },
    { "mapped: another user's vhost (no let-in)",
      { M, 1, 2, 0, -1, 0, 0, 0 }, HAND, 2 },
    { "inner: a subrequest of ours", { I, 1, 1, 0, -1, 0, 0, 0 }, SERVE, 1 },
    { "inner: a subrequest in our section", { I, 2, 1, 1, 2, 1, 0, 0 },
      SERVE, 2 },
    { "inner: a subrequest into another user's section",
      { I, 1, 1, 1, 2, 0, 0, 0 }, REFUSE, 2 },
    { "inner: a redirect out of our section into the vhost's",
      { I, 2, 1, 0, -1, 1, 0, 0 }, REFUSE, 1 },
    /* { stage, mine, vhost, dir_set, dir, names_mine, expr_set,
     *   expr_result }: an Expr vhost's request */
    { "expr early: let in by any pool", { E, 3, 1, 0, -1, 0, 1, 0 },
      SERVE, -1 },
    { "expr early: even where a section names another user",
      { E, 3, 1, 1, 2, 0, 1, 0 }, SERVE, -1 },
    { "expr mapped: our user", { M, 3, 1, 0, -1, 0, 1, 1 }, SERVE, -1 },
    { "expr mapped: another user", { M, 1, 1, 0, -1, 0, 1, 0 }, USER, -1 },
    { "expr mapped: it wins over a section naming us",
      { M, 2, 1, 1, 2, 1, 1, 0 }, USER, -1 },
    { "expr mapped: it wins over a section naming another user",
      { M, 3, 1, 1, 2, 0, 1, 1 }, SERVE, -1 },
    { "expr mapped: no user that may serve (500)",
      { M, 1, 1, 0, -1, 0, 1, -1 }, REFUSE, -1 },
    { "expr inner: our user", { I, 3, 1, 0, -1, 0, 1, 1 }, SERVE, -1 },
    { "expr inner: another user", { I, 3, 1, 0, -1, 0, 1, 0 }, REFUSE, -1 },
    { "expr inner: none that may serve", { I, 3, 1, 0, -1, 0, 1, -1 },
      REFUSE, -1 },
};

int main(void)
{
    size_t i;

    for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        int target = -7;
        perdecide_act_e act = peruid_perdecide(&rows[i].f, &target);

        if (act != rows[i].act || target != rows[i].target) {
            fprintf(stderr, "row \"%s\": act %d target %d, want %d %d\n",
                    rows[i].name, act, target, rows[i].act,
                    rows[i].target);
        }
        CHECK(act == rows[i].act);
        CHECK(target == rows[i].target);
    }
    return unit_summary("test_perdecide");
}
