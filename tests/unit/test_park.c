/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * test_park.c -- table-driven unit tests of mpm_peruid/park.c, a
 * router's passes over the connections it parked because their pool's
 * channel was full (router.c, router_timers).
 *
 * A row is a list of parked connections (pool, deadline relative to now)
 * and, per pool, how many sends its channel still takes in each pass.
 * The simulation runs the passes as router_timers does: a connection
 * answered (deadline passed) or sent leaves the list, one whose send
 * finds the channel full stays and marks its pool full for the pass.
 * Compared: the send attempts per pool and pass, the connections
 * answered, sent and skipped.  The point of park.c: a full pool costs one
 * attempt per pass, not one per parked connection.  No clock, no sleep.
 */

#include <stdio.h>
#include <string.h>

#include "park.h"
#include "unit.h"

#define MAXC 16         /* parked connections of a row */
#define MAXP 3          /* pools of a row              */
#define MAXPASS 3

typedef struct {
    int pool;
    apr_interval_time_t left;   /* deadline - now; <= 0: passed      */
} conn_t;

typedef struct {
    const char *name;
    int nconns;
    conn_t conns[MAXC];
    int passes;
    int room[MAXPASS][MAXP];    /* sends each pool's channel takes    */
    int tries[MAXPASS][MAXP];   /* wanted: send attempts              */
    int answered, sent, skipped;    /* wanted, over all passes        */
} row_t;

#define C(pool, left) { (pool), (left) }
#define FUT 1000000     /* a deadline a second away */

static const row_t rows[] = {
    { "a full pool: one try for five parked", 5,
      { C(0, FUT), C(0, FUT), C(0, FUT), C(0, FUT), C(0, FUT) },
      1, { { 0 } }, { { 1 } }, 0, 0, 4 },
    { "room for two of five: three tries", 5,
      { C(0, FUT), C(0, FUT), C(0, FUT), C(0, FUT), C(0, FUT) },
      1, { { 2 } }, { { 3 } }, 0, 2, 2 },
    { "room for all", 3, { C(0, FUT), C(0, FUT), C(0, FUT) },
      1, { { 9 } }, { { 3 } }, 0, 3, 0 },
    { "interleaved: the full pool costs one try, the other is served", 6,
      { C(0, FUT), C(1, FUT), C(0, FUT), C(1, FUT), C(0, FUT), C(1, FUT) },
      1, { { 0, 9 } }, { { 1, 3 } }, 0, 3, 2 },
    { "three pools, each full after some", 9,
      { C(0, FUT), C(1, FUT), C(2, FUT), C(0, FUT), C(1, FUT), C(2, FUT),
        C(0, FUT), C(1, FUT), C(2, FUT) },
      1, { { 0, 1, 2 } }, { { 1, 2, 3 } }, 0, 3, 3 },
    { "passed deadlines are answered, full or not", 4,
      { C(0, -1), C(0, FUT), C(0, 0), C(0, FUT) },
      1, { { 0 } }, { { 1 } }, 2, 0, 1 },
    { "a deadline now is passed", 1, { C(1, 0) },
      1, { { 9, 9 } }, { { 0, 0 } }, 1, 0, 0 },
    { "each pass tries a full pool once again", 4,
      { C(0, FUT), C(0, FUT), C(0, FUT), C(0, FUT) },
      3, { { 0 }, { 0 }, { 0 } }, { { 1 }, { 1 }, { 1 } }, 0, 0, 9 },
    { "room comes back in the second pass", 4,
      { C(0, FUT), C(0, FUT), C(0, FUT), C(0, FUT) },
      3, { { 0 }, { 2 }, { 9 } }, { { 1 }, { 3 }, { 2 } }, 0, 4, 4 },
    { "out-of-range pool: answered, never tried", 2,
      { C(7, FUT), C(-1, FUT) },
      1, { { 9 } }, { { 0 } }, 2, 0, 0 },
    { "nothing parked", 0, { C(0, 0) }, 2, { { 0 } }, { { 0 } }, 0, 0, 0 },
};

/* Run row r and compare (a failure prints the row and what it got). */
static void run_row(const row_t *r)
{
    apr_uint32_t full[MAXP];
    park_passes_t p;
    conn_t list[MAXC];
    int n = r->nconns, pass, i, k, answered = 0, sent = 0, skipped = 0;
    const apr_time_t now = 5000000;

    memset(full, 0, sizeof(full));
    memset(&p, 0, sizeof(p));
    p.full_round = full;
    p.npools = MAXP;
    memcpy(list, r->conns, sizeof(list));
    for (pass = 0; pass < r->passes; pass++) {
        int room[MAXP], tries[MAXP] = { 0 };

        memcpy(room, r->room[pass], sizeof(room));
        peruid_park_begin(&p);
        for (i = k = 0; i < n; i++) {
            conn_t c = list[i];

            switch (peruid_park_step(&p, c.pool, now + c.left, now)) {
            case PARK_ANSWER:
                answered++;
                continue;               /* leaves the list */
            case PARK_RETRY:
                tries[c.pool]++;
                if (room[c.pool] > 0) {
                    room[c.pool]--;
                    sent++;
                    continue;
                }
                peruid_park_full(&p, c.pool);
                break;
            default:
                skipped++;
                break;
            }
            list[k++] = c;
        }
        n = k;
        for (i = 0; i < MAXP; i++) {
            CHECK(tries[i] == r->tries[pass][i]);
            if (tries[i] != r->tries[pass][i]) {
                fprintf(stderr, "    row \"%s\", pass %d, pool %d: %d tries,"
                        " want %d\n", r->name, pass, i, tries[i],
                        r->tries[pass][i]);
            }
        }
    }
    CHECK(answered == r->answered && sent == r->sent
          && skipped == r->skipped);
    if (answered != r->answered || sent != r->sent
        || skipped != r->skipped) {
        fprintf(stderr, "    row \"%s\": answered %d sent %d skipped %d, "
                "want %d %d %d\n", r->name, answered, sent, skipped,
                r->answered, r->sent, r->skipped);
    }
}

/* The pass number never becomes 0 (a pool never found full) when it
 * wraps: a pool untouched so far is tried, not skipped. */
static void test_wrap(void)
{
    apr_uint32_t full[2] = { 0, 0xffffffffu };
    park_passes_t p;

    p.full_round = full;
    p.npools = 2;
    p.round = 0xfffffffeu;
    peruid_park_begin(&p);
    CHECK(p.round == 0xffffffffu);
    CHECK(peruid_park_step(&p, 1, 10, 5) == PARK_SKIP);
    CHECK(peruid_park_step(&p, 0, 10, 5) == PARK_RETRY);
    peruid_park_begin(&p);
    CHECK(p.round == 1);
    CHECK(peruid_park_step(&p, 0, 10, 5) == PARK_RETRY);
    CHECK(peruid_park_step(&p, 1, 10, 5) == PARK_RETRY);
    peruid_park_full(&p, 0);
    CHECK(full[0] == 1);
    CHECK(peruid_park_step(&p, 0, 10, 5) == PARK_SKIP);
    peruid_park_full(&p, 2);            /* out of range: ignored */
    peruid_park_full(&p, -1);
    CHECK(full[0] == 1 && full[1] == 0xffffffffu);
}

int main(void)
{
    size_t i;

    for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        run_row(&rows[i]);
    }
    test_wrap();
    return unit_summary("test_park");
}
