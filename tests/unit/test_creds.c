/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * test_creds.c -- unit tests of mpm_peruid/creds.c's pure part: the
 * RLIMIT_NPROC a worker takes from the RLimitNPROC of its user's servers
 * (peruid_creds_nproc_fold): a table of server lists, each folded in
 * order and in reverse (the result must not depend on the order of the
 * vhosts in the configuration).
 */

#include <sys/resource.h>

#include "creds.h"
#include "unit.h"

#define INF RLIM_INFINITY
#define MAX_SERVERS 4

typedef struct {
    const char *name;
    int n;                          /* servers of the user            */
    struct rlimit set[MAX_SERVERS];
    int has[MAX_SERVERS];           /* 0: that server sets none       */
    int want_n;                     /* limits folded (0: none)        */
    struct rlimit want;
} row_t;

static const row_t rows[] = {
    { "no server sets one", 2, { { 0, 0 }, { 0, 0 } }, { 0, 0 }, 0,
      { 0, 0 } },
    { "one server: its pair", 1, { { 20, 96367 } }, { 1 }, 1,
      { 20, 96367 } },
    { "one of two sets one: it bounds the user", 2,
      { { 0, 0 }, { 20, 96367 } }, { 0, 1 }, 1, { 20, 96367 } },
    { "the lowest soft, the highest hard", 3,
      { { 300, 96367 }, { 20, 96367 }, { 50, 50 } }, { 1, 1, 1 }, 3,
      { 20, 96367 } },
    { "soft and hard equal everywhere", 2, { { 20, 20 }, { 30, 30 } },
      { 1, 1 }, 2, { 20, 30 } },
    { "unlimited hard limit", 2, { { 20, INF }, { 40, 100 } }, { 1, 1 }, 2,
      { 20, INF } },
    { "unlimited soft limit", 2, { { INF, INF }, { 40, 100 } }, { 1, 1 },
      2, { 40, INF } },
    { "a soft limit above its hard one counts as the hard one", 1,
      { { 100, 50 } }, { 1 }, 1, { 50, 50 } },
    { "... also among others", 2, { { 100, 50 }, { 60, 200 } }, { 1, 1 }, 2,
      { 50, 200 } },
    { "zero processes", 2, { { 0, 10 }, { 20, 20 } }, { 1, 1 }, 2,
      { 0, 20 } },
};

/* Fold the row's servers, forward or backward; check the result. */
static void fold_row(const row_t *r, int backward)
{
    struct rlimit acc = { 12345, 12345 };
    int i, n = 0;

    for (i = 0; i < r->n; i++) {
        int k = backward ? r->n - 1 - i : i;

        peruid_creds_nproc_fold(&acc, &n, r->has[k] ? &r->set[k] : NULL);
    }
    CHECK(n == r->want_n);
    if (n != r->want_n) {
        fprintf(stderr, "  row \"%s\" (%s): %d folded\n", r->name,
                backward ? "backward" : "forward", n);
    }
    if (r->want_n > 0 && (acc.rlim_cur != r->want.rlim_cur
                          || acc.rlim_max != r->want.rlim_max)) {
        CHECK(!"the folded limit differs");
        fprintf(stderr, "  row \"%s\" (%s): %llu/%llu, want %llu/%llu\n",
                r->name, backward ? "backward" : "forward",
                (unsigned long long)acc.rlim_cur,
                (unsigned long long)acc.rlim_max,
                (unsigned long long)r->want.rlim_cur,
                (unsigned long long)r->want.rlim_max);
    }
}

int main(void)
{
    size_t i;

    for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        fold_row(&rows[i], 0);
        fold_row(&rows[i], 1);
    }
    return unit_summary("test_creds");
}
