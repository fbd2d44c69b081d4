/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * test_capwarn.c -- table-driven unit tests of mpm_peruid/capwarn.c, the
 * rate limit of the master's "bound reached" warnings (PU00153,
 * PU00154).  No clock, no sleep: each step of a script is a pass at a
 * made-up time, and what peruid_capwarn_pass returns (the passes to
 * tell, 0: no line) is compared with the script.
 */

#include <stdio.h>

#include "capwarn.h"
#include "unit.h"

#define GAP apr_time_from_sec(60)
#define SEC(n) ((apr_time_t)apr_time_from_sec(n))

typedef struct {
    apr_time_t at;              /* the pass's clock                       */
    int reached;                /* the bound held it back in this pass    */
    apr_uint32_t want;          /* the passes to tell (0: no line)        */
} step_t;

typedef struct {
    const char *name;
    step_t steps[10];
    int n;
} script_t;

static const script_t scripts[] = {
    { "never reached: no line",
      { { SEC(1), 0, 0 }, { SEC(100), 0, 0 } }, 2 },
    /* the first pass that reaches it logs at once, whatever the clock */
    { "first reach: a line at once",
      { { SEC(5), 0, 0 }, { SEC(6), 1, 1 } }, 2 },
    { "first reach at clock 0 (a made-up start)",
      { { 0, 1, 1 }, { SEC(1), 1, 0 } }, 2 },
    /* within the gap: counted, told with the next line */
    { "within the gap: counted, then told",
      { { SEC(10), 1, 1 }, { SEC(11), 1, 0 }, { SEC(30), 1, 0 },
        { SEC(69), 1, 0 }, { SEC(70), 1, 4 } }, 5 },
    /* the line after exactly a gap, not a microsecond before */
    { "the gap's edge",
      { { SEC(10), 1, 1 }, { SEC(70) - 1, 1, 0 }, { SEC(70), 1, 2 } }, 3 },
    /* passes that do not reach it neither count nor log */
    { "passes without reach count for nothing",
      { { SEC(10), 1, 1 }, { SEC(20), 0, 0 }, { SEC(80), 0, 0 },
        { SEC(200), 0, 0 } }, 4 },
    /* reached again long after: a line at once, counting only that
     * pass */
    { "reached again after a quiet spell",
      { { SEC(10), 1, 1 }, { SEC(500), 1, 1 }, { SEC(501), 1, 0 } }, 3 },
    /* a burst within the gap and one after it: the second line tells
     * the burst's passes and its own */
    { "a burst, quiet, then reached after the gap",
      { { SEC(10), 1, 1 }, { SEC(12), 1, 0 }, { SEC(13), 1, 0 },
        { SEC(40), 0, 0 }, { SEC(90), 1, 3 }, { SEC(95), 1, 0 } }, 6 },
    /* a clock that went back (not the monotonic one, but a test of it)
     * does not silence the warning for the time it went back */
    { "clock went back: due",
      { { SEC(1000), 1, 1 }, { SEC(10), 1, 1 }, { SEC(11), 1, 0 } }, 3 },
};

/* One script, on a fresh rate (as the master's at a generation's
 * start). */
static void run_script(const script_t *sc)
{
    capwarn_t w = { 0, 0, 0 };
    int i;

    for (i = 0; i < sc->n; i++) {
        const step_t *st = &sc->steps[i];
        apr_uint32_t got = peruid_capwarn_pass(&w, st->reached, st->at,
                                               GAP);

        unit_checks++;
        if (got != st->want) {
            unit_failures++;
            fprintf(stderr, "%s: [%s] step %d: told %lu passes, want %lu\n",
                    __FILE__, sc->name, i, (unsigned long)got,
                    (unsigned long)st->want);
        }
    }
}

/* Two rates (two users) apart: one's line does not stop the other's. */
static void test_apart(void)
{
    capwarn_t a = { 0, 0, 0 }, b = { 0, 0, 0 };

    CHECK(peruid_capwarn_pass(&a, 1, SEC(10), GAP) == 1);
    CHECK(peruid_capwarn_pass(&b, 1, SEC(11), GAP) == 1);
    CHECK(peruid_capwarn_pass(&a, 1, SEC(12), GAP) == 0);
    CHECK(peruid_capwarn_pass(&b, 1, SEC(71), GAP) == 1);
    CHECK(peruid_capwarn_pass(&a, 1, SEC(71), GAP) == 2);
}

/* The count stops at its largest value instead of wrapping to 0 (which
 * would read as "no line"). */
static void test_saturates(void)
{
    capwarn_t w = { 1, SEC(10), 0xfffffffeU };

    CHECK(peruid_capwarn_pass(&w, 1, SEC(11), GAP) == 0);
    CHECK(w.reached == 0xffffffffU);
    CHECK(peruid_capwarn_pass(&w, 1, SEC(12), GAP) == 0);
    CHECK(peruid_capwarn_pass(&w, 1, SEC(70), GAP) == 0xffffffffU);
    CHECK(w.reached == 0);
}

int main(void)
{
    size_t i;

    for (i = 0; i < sizeof(scripts) / sizeof(scripts[0]); i++) {
        run_script(&scripts[i]);
    }
    test_apart();
    test_saturates();
    return unit_summary("test_capwarn");
}
