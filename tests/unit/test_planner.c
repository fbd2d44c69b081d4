/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * test_planner.c -- table-driven unit tests of mpm_peruid/planner.c, the
 * master's scheduling policy as a pure function: a snapshot of facts in,
 * a list of actions out.  No process, no sleep, no clock: every pass
 * runs at a made-up now.
 *
 * A row builds a snapshot (snap_t: up to MAXP pools, the limits'
 * defaults below), runs peruid_plan once and compares the actions,
 * rendered as a compact string ("fork:0 bind:3 leave:1 kill@5 fork:-1"),
 * with next_pass and unmet.  Sequences (seq_t) run several passes of one
 * pool and carry the planner's memory from one pass to the next, once
 * copied and once in place (out->memory == facts.memory).  Every array
 * the planner writes is allocated on the heap at its exact size, so that
 * the ASan build catches a write past it.  A failure prints the row's
 * name, what it got and what it wanted.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "planner.h"
#include "unit.h"

#define MAXP 64                 /* pools of a table row                  */
#define MAXL 4                  /* leavers of a table row                */
#define ROOM 64                 /* actions a table row has room for      */

#define MS(n)  ((apr_interval_time_t)(n) * 1000)
#define SEC(n) apr_time_from_sec(n)

/* Every pass of a table row runs at T0; expected times are offsets from
 * it, NOT_SET standing for 0 (next_pass: at the next tick; short_since:
 * not short). */
#define T0 apr_time_from_sec(1700000000)
#define NOT_SET ((apr_interval_time_t)-1)

/* A snapshot of facts, and the arrays they point to. */
typedef struct {
    plan_facts_t f;
    plan_pool_t pool[MAXP];
    plan_memory_t mem[MAXP];
    plan_leaver_t leaver[MAXL];
} snap_t;

/* What one run of peruid_plan gave. */
typedef struct {
    plan_t plan;
    char *str;                  /* the actions, rendered                 */
} run_t;

static void *xmalloc(size_t n)
{
    void *p = malloc(n);

    if (p == NULL && n > 0) {
        perror("malloc");
        exit(2);
    }
    return p;
}

/* The defaults: MaxRequestWorkers 150, PeruidWarmWorkers 0 (one bound
 * for all workers), MinSpareServers 0, MaxSpareServers
 * 10, no preforked worker, grow_delay 50 ms, refill_delay 100 ms,
 * leave_grace 60 s, 1000 free slots, workers counted by snap_run. */
static void snap_init(snap_t *s)
{
    int i;

    memset(s, 0, sizeof(*s));
    s->f.now = T0;
    s->f.periodic = 0;
    s->f.max_workers = 150;
    s->f.min_spare = 0;
    s->f.max_spare = 10;
    s->f.preforked = 0;
    s->f.grow_delay = MS(50);
    s->f.refill_delay = MS(100);
    s->f.leave_grace = SEC(60);
    s->f.pending_window = SEC(1);
    s->f.workers = -1;
    s->f.free_slots = 1000;
    s->f.pools = s->pool;
    s->f.memory = s->mem;
    s->f.leavers = s->leaver;
    for (i = 0; i < MAXP; i++) {
        s->pool[i].in_config = 1;
    }
}

/* Pool i: live workers, the idle ones among them (-1: not looked at),
 * connections queued.  Returns it for the other facts. */
static plan_pool_t *pool(snap_t *s, int i, int live, int idle, int queued)
{
    plan_pool_t *p = &s->pool[i];

    p->live = live;
    p->idle = idle;
    p->queued = queued;
    if (s->f.npools <= i) {
        s->f.npools = i + 1;
    }
    return p;
}

/* Pool i was first seen short grow_delay ago and its workers took
 * nothing since: this pass confirms its need. */
static void short_long(snap_t *s, int i)
{
    s->mem[i].short_since = s->f.now - s->f.grow_delay;
    s->mem[i].short_took = s->pool[i].took;
}

/* The worker in slot, of pool, was asked to leave ago before now. */
static void leaver(snap_t *s, int slot, int pool, apr_interval_time_t ago)
{
    plan_leaver_t *l = &s->leaver[s->f.nleavers++];

    l->slot = slot;
    l->pool = pool;
    l->asked_at = s->f.now - ago;
}

/* The live workers: the pools' and the preforked ones. */
static int count_workers(const plan_facts_t *f)
{
    int i, n = f->prefork_live;

    for (i = 0; i < f->npools; i++) {
        n += f->pools[i].live;
    }
    return n;
}

/* The actions as "fork:0 bind:3 leave:1 kill@5", into a new string. */
static char *render(const plan_t *p)
{
    char *s = xmalloc((size_t)p->nactions * 24 + 1);
    size_t n = 0;
    int i;

    s[0] = '\0';
    for (i = 0; i < p->nactions; i++) {
        const plan_action_t *a = &p->actions[i];
        const char *sep = i ? " " : "";

        switch (a->kind) {
        case PLAN_BIND:
            n += sprintf(s + n, "%sbind:%d", sep, a->pool);
            break;
        case PLAN_FORK:
            n += sprintf(s + n, "%sfork:%d", sep, a->pool);
            break;
        case PLAN_LEAVE:
            n += sprintf(s + n, "%sleave:%d", sep, a->pool);
            break;
        case PLAN_LEAVE_BUSY:
            n += sprintf(s + n, "%sleave-busy:%d", sep, a->pool);
            break;
        case PLAN_KILL:
            n += sprintf(s + n, "%skill@%d", sep, a->slot);
            break;
        default:
            n += sprintf(s + n, "%s?%d", sep, (int)a->kind);
            break;
        }
    }
    return s;
}

/* Run peruid_plan over f with room for max_actions; memory: where the
 * plan's memory goes (NULL: a new array).  The outputs start as garbage:
 * the planner must set them. */
static void plan_run(const plan_facts_t *f, run_t *r, int max_actions,
                     plan_memory_t *memory)
{
    size_t np = (size_t)f->npools;

    memset(&r->plan, 0xa5, sizeof(r->plan));
    r->plan.actions = xmalloc((size_t)max_actions * sizeof(plan_action_t));
    r->plan.max_actions = max_actions;
    r->plan.memory = memory ? memory : xmalloc(np * sizeof(plan_memory_t));
    r->plan.work = xmalloc(np * sizeof(plan_work_t));
    r->plan.held_by = xmalloc(np);
    if (!memory) {
        memset(r->plan.memory, 0xa5, np * sizeof(plan_memory_t));
    }
    memset(r->plan.work, 0xa5, np * sizeof(plan_work_t));
    memset(r->plan.held_by, 0xa5, np);
    peruid_plan(f, &r->plan);
    r->str = render(&r->plan);
}

static void run_free(run_t *r, const plan_facts_t *f)
{
    free(r->plan.actions);
    if (r->plan.memory != f->memory) {
        free(r->plan.memory);
    }
    free(r->plan.work);
    free(r->plan.held_by);
    free(r->str);
}

/* Count workers if the row left them to us, and run. */
static void snap_run(snap_t *s, run_t *r, int max_actions)
{
    if (s->f.workers < 0) {
        s->f.workers = count_workers(&s->f);
    }
    plan_run(&s->f, r, max_actions, NULL);
}

/* The checks: one per expectation, naming the row when it fails. */

static void check_str(const char *name, const char *what, const char *got,
                      const char *want)
{
    unit_checks++;
    if (strcmp(got, want) != 0) {
        unit_failures++;
        fprintf(stderr, "%s: [%s] CHECK failed: %s is \"%s\", want \"%s\"\n",
                __FILE__, name, what, got, want);
    }
}

static void check_int(const char *name, const char *what, long long got,
                      long long want)
{
    unit_checks++;
    if (got != want) {
        unit_failures++;
        fprintf(stderr, "%s: [%s] CHECK failed: %s is %lld, want %lld\n",
                __FILE__, name, what, got, want);
    }
}

/* A time, wanted as an offset from base or NOT_SET for 0. */
static void check_time(const char *name, const char *what, apr_time_t got,
                       apr_time_t base, apr_interval_time_t want)
{
    apr_time_t abs = want == NOT_SET ? 0 : base + want;

    unit_checks++;
    if (got != abs) {
        unit_failures++;
        fprintf(stderr, "%s: [%s] CHECK failed: %s is ", __FILE__, name,
                what);
        if (got) {
            fprintf(stderr, "now%+lld us", (long long)(got - base));
        }
        else {
            fprintf(stderr, "0");
        }
        if (want == NOT_SET) {
            fprintf(stderr, ", want 0\n");
        }
        else {
            fprintf(stderr, ", want now%+lld us\n", (long long)want);
        }
    }
}

/* ---- one pass: the table ---------------------------------------------- */

/* Fewest first: p0 3 workers, p1 1, p2 none, p3 2, each 2 queued and
 * confirmed short; 3 slots left under MaxRequestWorkers 9. */
static void fewest_limit(snap_t *s)
{
    int i, live[4] = { 3, 1, 0, 2 };

    for (i = 0; i < 4; i++) {
        pool(s, i, live[i], 0, 2);
        if (live[i]) {
            short_long(s, i);
        }
    }
    s->f.max_workers = 9;
}

/* Fewest first: p0 2 workers, p1 none, p2 1, one queued each; the free
 * slots (2) are the limit, not MaxRequestWorkers. */
static void fewest_slots(snap_t *s)
{
    pool(s, 0, 2, 0, 1);
    short_long(s, 0);
    pool(s, 1, 0, 0, 1);
    pool(s, 2, 1, 0, 1);
    short_long(s, 2);
    s->f.free_slots = 2;
}

/* Fewest first: p0 cold with 3 queued, p1 1 worker with 3 queued and
 * confirmed; 4 slots left. */
static void fewest_level(snap_t *s)
{
    pool(s, 0, 0, 0, 3);
    pool(s, 1, 1, 0, 3);
    short_long(s, 1);
    s->f.max_workers = 5;
}

/* One free slot: p0's 2 workers both leave (cold), 1 queued; p1 1
 * worker, 1 queued, confirmed short. */
static void fewest_leaving(snap_t *s)
{
    pool(s, 0, 2, 0, 1)->leaving = 2;
    pool(s, 1, 1, 0, 1);
    short_long(s, 1);
    s->f.free_slots = 1;
}

/* Two cold pools (1 and 2 queued), one preforked worker ready. */
static void bind_then_fork(snap_t *s)
{
    pool(s, 0, 0, 0, 1);
    pool(s, 1, 0, 0, 2);
    s->f.unbound = 1;
    s->f.prefork_live = 1;
}

/* Cold: one queued connection, no worker. */
static void cold(snap_t *s)
{
    pool(s, 0, 0, 0, 1);
}

static void cold_unbound(snap_t *s)
{
    cold(s);
    s->f.unbound = 1;
    s->f.prefork_live = 1;
}

static void cold_three(snap_t *s)
{
    pool(s, 0, 0, 0, 3);
}

/* Its only worker is leaving: cold too. */
static void cold_leaving(snap_t *s)
{
    pool(s, 0, 1, 0, 1)->leaving = 1;
}

static void cold_unknown(snap_t *s)
{
    pool(s, 0, 0, -1, 1);
}

/* Warm, all busy, 1 queued, never seen short before. */
static void warm_first(snap_t *s)
{
    pool(s, 0, 2, 0, 1);
}

/* Confirmed short: 1 busy and 2 starting workers, 3 queued. */
static void need_starting(snap_t *s)
{
    pool(s, 0, 3, 0, 3)->starting = 2;
    short_long(s, 0);
}

/* Confirmed short: 1 idle, 1 starting, 1 busy, 3 queued. */
static void need_idle_starting(snap_t *s)
{
    pool(s, 0, 3, 1, 3)->starting = 1;
    short_long(s, 0);
}

/* Confirmed short: 2 workers, idle not looked at, 3 queued. */
static void need_idle_unknown(snap_t *s)
{
    pool(s, 0, 2, -1, 3);
    short_long(s, 0);
}

/* 2 starting workers for 2 queued (memory says short long ago). */
static void need_covered(snap_t *s)
{
    pool(s, 0, 3, 0, 2)->starting = 2;
    short_long(s, 0);
}

static void need_idle_cover(snap_t *s)
{
    pool(s, 0, 3, 3, 2);
}

static void backoff_cold(snap_t *s)
{
    pool(s, 0, 0, 0, 5)->backing_off = 1;
}

static void backoff_unbound(snap_t *s)
{
    backoff_cold(s);
    s->f.unbound = 1;
    s->f.prefork_live = 1;
}

static void backoff_warm(snap_t *s)
{
    pool(s, 0, 2, 0, 3)->backing_off = 1;
    short_long(s, 0);
}

/* At MaxRequestWorkers: cold p0 (queued); p1, p2, p3 idle, 2 workers
 * each, last used at 100, 50 and 80. */
static void lru_oldest(snap_t *s)
{
    pool(s, 0, 0, 0, 1);
    pool(s, 1, 2, 2, 0)->last_used = 100;
    pool(s, 2, 2, 2, 0)->last_used = 50;
    pool(s, 3, 2, 2, 0)->last_used = 80;
    s->f.max_workers = 6;
}

/* MinSpareServers 1, at MaxRequestWorkers: cold p0 with queued
 * connections; p1 (used at 100) and p2 (used at 50) with idle workers
 * only. */
static void lru_pair(snap_t *s, int queued, int live1, int live2)
{
    pool(s, 0, 0, 0, queued);
    pool(s, 1, live1, live1, 0)->last_used = 100;
    pool(s, 2, live2, live2, 0)->last_used = 50;
    s->f.min_spare = 1;
    s->f.max_workers = live1 + live2;
}

/* p1 (2) above MinSpareServers, p2 (1) at it. */
static void lru_above_min(snap_t *s)
{
    lru_pair(s, 1, 2, 1);
}

/* Both at MinSpareServers. */
static void lru_at_min(snap_t *s)
{
    lru_pair(s, 1, 1, 1);
}

/* p0 2 queued; p1 and p2 2 workers each. */
static void lru_rotate(snap_t *s)
{
    lru_pair(s, 2, 2, 2);
}

/* p1 is the least recently used but has a connection queued (and is
 * seen short for the first time); p2 is idle. */
static void lru_queued(snap_t *s)
{
    pool(s, 0, 0, 0, 1);
    pool(s, 1, 3, 0, 1)->last_used = 10;
    pool(s, 2, 1, 1, 0)->last_used = 50;
    s->f.min_spare = 1;
    s->f.max_workers = 4;
}

/* Nothing queued in p1, but its only worker is busy. */
static void lru_busy(snap_t *s)
{
    pool(s, 0, 0, 0, 1);
    pool(s, 1, 1, 0, 0)->last_used = 10;
    s->f.max_workers = 1;
}

/* PeruidWarmWorkers: MaxRequestWorkers 2 and 2 warm; p1 and p2 one
 * idle worker each; cold p0 has a connection queued. */
static void warm_beyond(snap_t *s)
{
    pool(s, 0, 0, 0, 1);
    pool(s, 1, 1, 1, 0)->last_used = 100;
    pool(s, 2, 1, 1, 0)->last_used = 50;
    s->f.max_workers = 2;
    s->f.max_warm = 2;
}

/* The same with no warm worker allowed: the old single bound. */
static void warm_none(snap_t *s)
{
    warm_beyond(s);
    s->f.max_warm = 0;
}

/* At the process bound (2 + 1): three idle pools used at 100, 50, 80. */
static void warm_full(snap_t *s)
{
    pool(s, 0, 0, 0, 1);
    pool(s, 1, 1, 1, 0)->last_used = 100;
    pool(s, 2, 1, 1, 0)->last_used = 50;
    pool(s, 3, 1, 1, 0)->last_used = 80;
    s->f.max_workers = 2;
    s->f.max_warm = 1;
}

/* MaxRequestWorkers 2 busy in flooded p1, 5 warm allowed; p2's idle
 * worker is no room for cold p0. */
static void warm_busy(snap_t *s)
{
    pool(s, 0, 0, 0, 1);
    pool(s, 1, 2, 0, 1);
    pool(s, 2, 1, 1, 0)->last_used = 10;
    s->f.max_workers = 2;
    s->f.max_warm = 5;
}

/* The kernel would not tell the idle workers (-1): all count as busy;
 * the least recently used pool with nothing queued gives one up. */
static void warm_unknown(snap_t *s)
{
    pool(s, 0, 0, 0, 1);
    pool(s, 1, 1, -1, 0)->last_used = 100;
    pool(s, 2, 1, -1, 0)->last_used = 50;
    s->f.max_workers = 2;
    s->f.max_warm = 2;
}

/* MinSpareServers 3 in a periodic pass: spares fill the warm budget for
 * the users used last (p0 at 100 has one idle, p1 at 50 none). */
static void warm_spares(snap_t *s)
{
    pool(s, 0, 1, 1, 0)->last_used = 100;
    pool(s, 1, 0, 0, 0)->last_used = 50;
    s->f.periodic = 1;
    s->f.min_spare = 3;
    s->f.max_workers = 1;
    s->f.max_warm = 2;
}

/* MaxRequestWorkers 3, all busy: p1 2 workers (used at 100), p3 1 (at
 * 10); the routers hold a connection for p2, whose one worker is idle
 * (gate.h): it waits for a request to end, not for a worker. */
static void held_busy(snap_t *s)
{
    pool(s, 0, 0, 0, 0);
    pool(s, 1, 2, 0, 0)->last_used = 100;
    pool(s, 2, 1, 1, 0)->held = 1;
    pool(s, 3, 1, 0, 0)->last_used = 10;
    s->f.max_workers = 3;
    s->f.max_warm = 3;
}

/* MaxRequestWorkers 4, all busy; cold p0 waits; p1 (2 busy, used at 10,
 * the least recently) has a connection held, p2 (2 busy, at 100) not:
 * p2 gives a worker up, not the held p1. */
static void held_victim(snap_t *s)
{
    pool(s, 0, 0, 0, 1);
    pool(s, 1, 2, 0, 0)->last_used = 10;
    s->pool[1].held = 1;
    pool(s, 2, 2, 0, 0)->last_used = 100;
    s->f.max_workers = 4;
    s->f.max_warm = 4;
}

/* The same without the hold: p1, the least recently used, gives one up. */
static void held_none(snap_t *s)
{
    held_victim(s);
    s->pool[1].held = 0;
}

/* Every pool has queued connections: cold p0; p1 3 workers, p2 1. */
static void fair_biggest(snap_t *s)
{
    pool(s, 0, 0, 0, 1);
    pool(s, 1, 3, 0, 1);
    pool(s, 2, 1, 0, 1);
    s->f.max_workers = 4;
}

/* p1 3 workers, p2 4: p2 is the biggest. */
static void fair_most(snap_t *s)
{
    pool(s, 0, 0, 0, 1);
    pool(s, 1, 3, 0, 1);
    pool(s, 2, 4, 0, 1);
    s->f.max_workers = 7;
}

/* p0 1 worker, confirmed short; p1 2 workers, one queued. */
static void fair_one_above(snap_t *s)
{
    pool(s, 0, 1, 0, 1);
    short_long(s, 0);
    pool(s, 1, 2, 0, 1);
    s->f.max_workers = 3;
}

/* p0 1 worker, confirmed short; p1 3 workers, one queued. */
static void fair_two_above(snap_t *s)
{
    pool(s, 0, 1, 0, 1);
    short_long(s, 0);
    pool(s, 1, 3, 0, 1);
    s->f.max_workers = 4;
}

/* p0 1 worker, 3 queued, confirmed; p1 5 workers, one queued. */
static void fair_levels(snap_t *s)
{
    pool(s, 0, 1, 0, 3);
    short_long(s, 0);
    pool(s, 1, 5, 0, 1);
    s->f.max_workers = 6;
}

/* Cold p0 (queued given); p1 4 workers, one of them leaving. */
static void pending_with(snap_t *s, int queued)
{
    pool(s, 0, 0, 0, queued);
    pool(s, 1, 4, 3, 0)->leaving = 1;
    leaver(s, 7, 1, MS(100));           /* asked 100 ms ago */
    s->f.max_workers = 4;
}

/* The same leaver, asked 2 s ago and still there: no longer counted on,
 * another worker is asked. */
static void pending_old(snap_t *s)
{
    pending_with(s, 1);
    s->leaver[0].asked_at = s->f.now - SEC(2);
}

static void pending_one(snap_t *s)
{
    pending_with(s, 1);
}

static void pending_two(snap_t *s)
{
    pending_with(s, 2);
}

/* p0's only worker is leaving and it has a connection queued; p1 idle. */
static void pending_own(snap_t *s)
{
    pool(s, 0, 1, 0, 1)->leaving = 1;
    leaver(s, 3, 0, MS(100));
    pool(s, 1, 2, 2, 0);
    s->f.max_workers = 3;
}

/* Cold p0; p1 2 workers, confirmed short; p2 3 workers, 1 leaving. */
static void pending_fewest(snap_t *s)
{
    pool(s, 0, 0, 0, 1);
    pool(s, 1, 2, 0, 1);
    short_long(s, 1);
    pool(s, 2, 3, 2, 0)->leaving = 1;
    leaver(s, 4, 2, MS(100));
    s->f.max_workers = 5;
}

/* MinSpareServers 5, server-wide: p0 1 idle; p1 1 idle and 1 starting;
 * p2 none; p2 used last, then p0, then p1. */
static void spare_min(snap_t *s)
{
    pool(s, 0, 1, 1, 0)->last_used = 20;
    pool(s, 1, 3, 1, 0)->starting = 1;
    s->pool[1].last_used = 10;
    pool(s, 2, 0, 0, 0)->last_used = 30;
    s->f.min_spare = 5;
}

/* 50 users served once each (one idle worker each), Debian's 5/5/10:
 * the first idle workers already count for MinSpareServers. */
static void spare_fifty(snap_t *s)
{
    int i;

    for (i = 0; i < MAXP && i < 50; i++) {
        pool(s, i, 1, 1, 0)->last_used = 100 + i;
    }
    s->f.min_spare = 5;
    s->f.max_spare = 10;
    s->f.periodic = 1;
    s->f.now_sec = 150;
    s->f.idle_timeout_sec = 60;     /* all used within it */
}

/* A router's clock a second ahead of the master's sample: not stale. */
static void spare_ahead(snap_t *s)
{
    pool(s, 0, 1, 1, 0)->last_used = 101;
    s->f.periodic = 1;
    s->f.now_sec = 100;
    s->f.idle_timeout_sec = 30;
}

/* PeruidIdleTimeout 30: p0 unused for 40 s, p1 for 10 s, 1 idle each;
 * MinSpareServers 0, then 1, then 2. */
static void spare_stale(snap_t *s)
{
    pool(s, 0, 1, 1, 0)->last_used = 60;
    pool(s, 1, 1, 1, 0)->last_used = 90;
    s->f.periodic = 1;
    s->f.now_sec = 100;
    s->f.idle_timeout_sec = 30;
}

static void spare_stale_min1(snap_t *s)
{
    spare_stale(s);
    s->f.min_spare = 1;
}

static void spare_stale_min2(snap_t *s)
{
    spare_stale(s);
    s->f.min_spare = 2;
}

/* ... and not on a pass that did not look (periodic only). */
static void spare_stale_not_periodic(snap_t *s)
{
    spare_stale(s);
    s->f.periodic = 0;
}

static void spare_unknown(snap_t *s)
{
    pool(s, 0, 0, -1, 0);
    s->f.min_spare = 2;
}

static void spare_out(snap_t *s)
{
    pool(s, 0, 0, 0, 0)->in_config = 0;
    pool(s, 1, 0, 0, 0)->backing_off = 1;
    s->f.min_spare = 2;
}

/* Two empty pools, MinSpareServers 2. */
static void spare_two(snap_t *s)
{
    pool(s, 0, 0, 0, 0);
    pool(s, 1, 0, 0, 0);
    s->f.min_spare = 2;
}

static void spare_max_workers(snap_t *s)
{
    spare_two(s);
    s->f.max_workers = 1;
}

static void spare_free_slots(snap_t *s)
{
    spare_two(s);
    s->f.free_slots = 3;
}

/* p0 12 idle, p1 10 idle: MaxSpareServers 10. */
static void spare_many(snap_t *s)
{
    pool(s, 0, 12, 12, 0);
    pool(s, 1, 10, 10, 0);
}

static void spare_many_periodic(snap_t *s)
{
    spare_many(s);
    s->f.periodic = 1;
}

static void spare_preforked(snap_t *s)
{
    s->f.preforked = 3;
    s->f.prefork_live = 1;
}

/* One empty pool wanting 1 spare, 2 preforked wanted, room for 2. */
static void spare_pools_first(snap_t *s)
{
    pool(s, 0, 0, 0, 0);
    s->f.min_spare = 1;
    s->f.preforked = 2;
    s->f.max_workers = 2;
}

/* Every kind of spare wanted, but p1 has a connection queued (first seen
 * short). */
static void spare_queued(snap_t *s)
{
    pool(s, 0, 0, 0, 0);
    pool(s, 1, 2, 0, 1);
    pool(s, 2, 12, 12, 0);
    s->f.min_spare = 2;
    s->f.preforked = 2;
    s->f.periodic = 1;
}

/* The same, but the queued connection is in a pool backing off. */
static void spare_queued_backoff(snap_t *s)
{
    spare_queued(s);
    s->pool[1].backing_off = 1;
}

/* p0 1 idle worker; p1 2 workers, 1 of them leaving (the rows add the
 * leavers, by slot). */
static void grace_pools(snap_t *s)
{
    pool(s, 0, 1, 1, 0);
    pool(s, 1, 2, 1, 0)->leaving = 1;
}

static void grace_old(snap_t *s)
{
    grace_pools(s);
    leaver(s, 5, 1, SEC(60));
}

static void grace_young(snap_t *s)
{
    grace_pools(s);
    leaver(s, 5, 1, SEC(10));
}

/* Four leavers: 61 s, 10 s, 30 s and exactly 60 s ago. */
static void grace_mixed(snap_t *s)
{
    grace_pools(s);
    s->pool[1].live = 5;
    s->pool[1].leaving = 4;
    leaver(s, 5, 1, SEC(61));
    leaver(s, 7, 1, SEC(10));
    leaver(s, 8, 1, SEC(30));
    leaver(s, 9, 1, SEC(60));
}

/* A young leaver and a pool seen short for the first time. */
static void grace_and_growth(snap_t *s)
{
    grace_young(s);
    pool(s, 2, 2, 0, 1);
}

/* An old leaver and a cold pool. */
static void grace_then_fork(snap_t *s)
{
    grace_old(s);
    pool(s, 2, 0, 0, 1);
}

/* At MaxRequestWorkers 10: p0 7 workers, 1000 queued, confirmed; p1, p2,
 * p3 1 worker each, busy, with a connection queued. */
static void flood_busy(snap_t *s)
{
    int i;

    pool(s, 0, 7, 0, 1000);
    short_long(s, 0);
    for (i = 1; i <= 3; i++) {
        pool(s, i, 1, 0, 1)->last_used = 40 - 10 * i;
    }
    s->f.max_workers = 10;
}

/* The same, but p1, p2, p3 have nothing queued. */
static void flood_idle(snap_t *s)
{
    int i;

    flood_busy(s);
    for (i = 1; i <= 3; i++) {
        s->pool[i].queued = 0;
        s->pool[i].idle = 1;
    }
}

/* p0 holds all 10 workers, 1000 queued, confirmed; p1 gets a
 * connection. */
static void flood_small(snap_t *s)
{
    pool(s, 0, 10, 0, 1000);
    short_long(s, 0);
    pool(s, 1, 0, 0, 1);
    s->f.max_workers = 10;
}

/* PeruidMaxUserShare: cap 4 of MaxRequestWorkers 8.  p0 has 3 workers,
 * all busy, 40 queued (slow clients), its need confirmed; p1 is cold
 * with 1 queued. */
static void cap_flood(snap_t *s)
{
    pool(s, 0, 3, 0, 40);
    short_long(s, 0);
    pool(s, 1, 0, 0, 1);
    s->f.max_workers = 8;
    s->f.user_cap = 4;
}

/* The same pool at its cap: 4 workers, 40 queued. */
static void cap_full(snap_t *s)
{
    pool(s, 0, 4, 0, 40);
    short_long(s, 0);
    s->f.max_workers = 8;
    s->f.user_cap = 4;
}

/* At its cap but one of its workers leaves: one more may come. */
static void cap_leaving(snap_t *s)
{
    pool(s, 0, 4, 0, 40)->leaving = 1;
    short_long(s, 0);
    s->f.max_workers = 8;
    s->f.user_cap = 4;
}

/* MinSpareServers 3 and a cap of 2: spares stop at the cap too. */
static void cap_spares(snap_t *s)
{
    pool(s, 0, 1, 1, 0);
    s->f.min_spare = 3;
    s->f.max_workers = 8;
    s->f.user_cap = 2;
}

typedef struct {
    const char *name;
    void (*setup)(snap_t *);
    const char *want;           /* the actions                           */
    apr_interval_time_t next;   /* next_pass - now, or NOT_SET           */
    int unmet;
} case_t;

static const case_t cases[] = {
    /* 0. one user's share (PeruidMaxUserShare) */
    /* p0 grows to its cap of 4 only (one fork), whatever it has queued;
     * the cold pool gets its worker from the slots left */
    { "cap: a flooded pool stops at its share", cap_flood,
      "fork:1 fork:0", NOT_SET, 0 },
    /* at the cap: nothing, and nothing counts as unmet */
    { "cap: at the cap, no fork", cap_full, "", NOT_SET, 0 },
    /* a leaving worker counts against the cap until it is gone (one
     * that ignores the request keeps its slot, not a new one too) */
    { "cap: a leaving worker still counts", cap_leaving, "",
      NOT_SET, 0 },
    /* spares never take a pool past its cap */
    { "cap: spares stop at the cap", cap_spares, "fork:0", NOT_SET, 0 },
    /* 1. fewest first */
    /* p2 (none) first, then p1 and p2 at 1 each (the lower index first),
     * until MaxRequestWorkers; nobody is more than one above p1 */
    { "fewest: cold, then ties by index, to MaxRequestWorkers",
      fewest_limit, "fork:2 fork:1 fork:2", NOT_SET, 5 },
    /* the free slots stop the grants as MaxRequestWorkers would */
    { "fewest: free slots as the limit",
      fewest_slots, "fork:1 fork:2", NOT_SET, 1 },
    /* the grants of this pass count: p0 and p1 take turns as they level */
    { "fewest: grants count as they are made",
      fewest_level, "fork:0 fork:0 fork:1 fork:0", NOT_SET, 2 },
    /* fewest counts the workers that stay: p0, whose 2 workers both
     * leave, is as cold as a pool with none and gets the free slot
     * before p1 (1 worker); p1's need, unmet by a grant, is then
     * covered by p0's leavers' slots (pending), with no new leave */
    { "fewest: a pool whose workers all leave",
      fewest_leaving, "fork:0", NOT_SET, 1 },
    /* the preforked worker goes to the first, forks after it */
    { "fewest: bind first, then fork",
      bind_then_fork, "bind:0 fork:1 fork:1", MS(100), 0 },

    /* 2. cold pools */
    /* no worker: a fork at once, no grow_delay */
    { "cold: fork at once", cold, "fork:0", NOT_SET, 0 },
    /* a preforked worker is bound instead; look again after refill */
    { "cold: bind, next pass after refill_delay",
      cold_unbound, "bind:0", MS(100), 0 },
    /* as many workers as queued connections */
    { "cold: three queued, three forks", cold_three,
      "fork:0 fork:0 fork:0", NOT_SET, 0 },
    /* a pool whose only worker leaves is cold */
    { "cold: only worker leaving", cold_leaving, "fork:0", NOT_SET, 0 },
    /* idle not looked at changes nothing for a cold pool */
    { "cold: idle unknown", cold_unknown, "fork:0", NOT_SET, 0 },
    /* a warm pool short for the first time waits grow_delay */
    { "growth: first seen short", warm_first, "", MS(50), 0 },

    /* 4. starting and idle workers reduce the need */
    /* 3 queued - 2 starting */
    { "need: queued 3, starting 2", need_starting, "fork:0", NOT_SET, 0 },
    /* 3 queued - 1 idle - 1 starting */
    { "need: queued 3, idle 1, starting 1", need_idle_starting,
      "fork:0", NOT_SET, 0 },
    /* idle -1 counts as none idle */
    { "need: idle unknown counts as 0", need_idle_unknown,
      "fork:0 fork:0 fork:0", NOT_SET, 0 },
    /* starting workers cover the queue: no fork even when confirmed */
    { "need: covered by starting", need_covered, "", NOT_SET, 0 },
    /* idle workers cover the queue: not even remembered */
    { "need: covered by idle", need_idle_cover, "", NOT_SET, 0 },

    /* 5. back-off */
    { "back-off: cold and queued, nothing", backoff_cold, "", NOT_SET, 0 },
    /* not even the ready preforked worker */
    { "back-off: no bind either", backoff_unbound, "", NOT_SET, 0 },
    { "back-off: warm, confirmed short, nothing", backoff_warm, "",
      NOT_SET, 0 },

    /* 6. LRU make-room at MaxRequestWorkers */
    /* the least recently used idle pool gives one up */
    { "lru: least recently used", lru_oldest, "leave:2", NOT_SET, 1 },
    /* above MinSpareServers first, though used more recently */
    { "lru: above MinSpareServers first", lru_above_min, "leave:1",
      NOT_SET, 1 },
    /* then at MinSpareServers, least recently used */
    { "lru: at MinSpareServers when none above", lru_at_min, "leave:2",
      NOT_SET, 1 },
    /* queued connections protect the oldest pool (p1 remembered short) */
    { "lru: a pool with queued connections is no victim", lru_queued,
      "leave:2", MS(50), 1 },
    /* p2 (oldest) gives one up, is then at MinSpareServers: p1 next */
    { "lru: victims rotate as their counts fall", lru_rotate,
      "leave:2 leave:1", NOT_SET, 2 },
    /* nothing queued: its busy worker leaves after its connection */
    { "lru: a busy pool with nothing queued", lru_busy, "leave-busy:1",
      NOT_SET, 1 },

    /* 7. fair share when every pool has queued connections */
    /* p1 (3) is more than one above p0 (0); p1 and p2 remembered */
    { "fair: the biggest gives one up", fair_biggest, "leave-busy:1", MS(50),
      1 },
    { "fair: the most workers", fair_most, "leave-busy:2", MS(50), 1 },
    /* p1 (2) is only one above p0 (1): left alone, unmet */
    { "fair: one above is left alone", fair_one_above, "", MS(50), 1 },
    { "fair: two above gives one", fair_two_above, "leave-busy:1", MS(50), 1 },
    /* p0 1 -> 2 -> 3 while p1 5 -> 4 -> 3: two leaves, then even */
    { "fair: until one apart", fair_levels, "leave-busy:1 leave-busy:1", MS(50), 3 },

    /* 8. workers already leaving cover need first */
    { "pending: a leaving worker covers it", pending_one, "",
      MS(59900), 1 },
    /* asked longer than pending_window ago: a worker ignoring the
     * request holds nobody's slot; another one is asked */
    { "pending: an old request covers nothing", pending_old, "leave:1",
      SEC(58), 1 },
    /* the second worker needed asks p1 for one more */
    { "pending: covers one, a leave for the other", pending_two,
      "leave:1", MS(59900), 2 },
    /* the pool's own leaving worker frees a slot for it too */
    { "pending: the pool's own leaver", pending_own, "",
      MS(59900), 1 },
    /* the leaver's slot goes to cold p0 (fewest), p1 gets a leave;
     * each row looks again when its leaver's grace ends */
    { "pending: to the fewest first", pending_fewest, "leave:2",
      MS(59900), 2 },

    /* 9. spares, when nothing is queued */
    /* server-wide: 2 idle + 1 starting, 2 more, one each for the users
     * used last (p2, then p0) */
    { "spares: MinSpareServers, server-wide", spare_min, "fork:2 fork:0",
      NOT_SET, 0 },
    /* 50 users with one idle worker each: no fork, no leave */
    { "spares: 50 users, Debian's 5/5/10", spare_fifty, "", NOT_SET, 0 },
    /* a pool's last idle worker leaves once unused for PeruidIdleTimeout,
     * unless MinSpareServers needs it */
    { "spares: stale first idle worker leaves", spare_stale, "leave:0",
      NOT_SET, 0 },
    { "spares: stale, kept for MinSpareServers 1 (2 idle)",
      spare_stale_min1, "leave:0", NOT_SET, 0 },
    { "spares: stale, kept for MinSpareServers 2", spare_stale_min2, "",
      NOT_SET, 0 },
    { "spares: last use ahead of the master's clock", spare_ahead, "",
      NOT_SET, 0 },
    { "spares: stale, not on a non-periodic pass",
      spare_stale_not_periodic, "", NOT_SET, 0 },
    /* only in a pass that looked at the idle workers */
    { "spares: idle unknown, none", spare_unknown, "", NOT_SET, 0 },
    { "spares: not in config or backing off", spare_out, "", NOT_SET, 0 },
    { "spares: within MaxRequestWorkers", spare_max_workers, "fork:0",
      NOT_SET, 0 },
    /* one spare per pool and pass (two pools: two) */
    { "spares: one per pool and pass", spare_free_slots,
      "fork:0 fork:1", NOT_SET, 0 },
    /* beyond each pool's first idle worker, 11 + 9 = 20 spares for
     * MaxSpareServers 10: one leaves from each pool this second */
    { "spares: periodic, above MaxSpareServers", spare_many_periodic,
      "leave:0 leave:1", NOT_SET, 0 },
    { "spares: not periodic, no leave", spare_many, "", NOT_SET, 0 },
    /* preforked - prefork_live forks for no pool */
    { "spares: preforked", spare_preforked, "fork:-1 fork:-1", NOT_SET,
      0 },
    { "spares: pools before preforked", spare_pools_first,
      "fork:0 fork:-1", NOT_SET, 0 },
    /* a queued connection anywhere: no spare, no MaxSpareServers leave */
    { "spares: none while queued", spare_queued, "", MS(50), 0 },
    { "spares: none while queued in a pool backing off",
      spare_queued_backoff, "", NOT_SET, 0 },

    /* 10. grace */
    { "grace: asked leave_grace ago, killed", grace_old, "kill@5",
      NOT_SET, 0 },
    { "grace: young, look again at the end of its grace", grace_young, "",
      SEC(50), 0 },
    /* 61 s and 60 s killed; 10 s and 30 s ago: the 30 s one ends first */
    { "grace: kills, and the earliest end wins", grace_mixed,
      "kill@5 kill@9", SEC(30), 0 },
    /* grow_delay ends before the grace */
    { "grace: growth deadline earlier", grace_and_growth, "", MS(50), 0 },
    { "grace: kills before grants", grace_then_fork, "kill@5 fork:2",
      NOT_SET, 0 },

    /* 13. PeruidWarmWorkers: MaxRequestWorkers bounds the busy workers;
     * idle ones are kept beyond it up to the warm budget */
    { "warm: a cold pool forks while the others idle", warm_beyond,
      "fork:0", NOT_SET, 0 },
    { "warm: none allowed, the least recently used leaves", warm_none,
      "leave:2", NOT_SET, 1 },
    { "warm: at the process bound, the oldest idle leaves", warm_full,
      "leave:2", NOT_SET, 1 },
    /* p2's idle worker leaving would free no busy slot: the biggest
     * (p1) gives one up; p1's own need waits for grow_delay */
    { "warm: all busy, an idle worker is no room", warm_busy, "leave-busy:1",
      MS(50), 1 },
    { "warm: idle unknown, every worker counts busy", warm_unknown,
      "leave-busy:2", NOT_SET, 1 },
    { "warm: spares up to MaxRequestWorkers plus warm", warm_spares,
      "fork:0 fork:1", NOT_SET, 0 },

    /* held by the routers at MaxRequestWorkers (gate.h): it needs no
     * worker (any request's end lets it through), and no worker of a
     * pool that waits so leaves for another */
    { "held: no worker is forked nor asked to leave for it", held_busy,
      "", NOT_SET, 0 },
    { "held: a held pool is no victim", held_victim, "leave-busy:2",
      NOT_SET, 1 },
    { "held: ... which it is when not held", held_none, "leave-busy:1",
      NOT_SET, 1 },

    /* 12. what a flooded pool at MaxRequestWorkers can take.  Guarantee:
     * a pool with connections queued loses a worker only to a pool with
     * at least two fewer (fair share).  Pools with nothing queued are
     * reclaimable by LRU, down to none, and a pool that then gets a
     * connection takes a worker back from the biggest. */
    /* busy pools with 1 worker: nothing taken from them */
    { "flood: busy one-worker pools keep theirs", flood_busy, "", MS(50),
      1000 },
    /* pools with nothing queued give theirs up, least recently used
     * first (p3 10, p2 20, p1 30) */
    { "flood: idle pools are reclaimed", flood_idle,
      "leave:3 leave:2 leave:1", NOT_SET, 1000 },
    /* a small pool with a connection goes first and takes from p0 */
    { "flood: a small pool takes one back", flood_small, "leave-busy:0",
      NOT_SET, 1001 },
};

static void test_table(void)
{
    size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const case_t *c = &cases[i];
        snap_t s;
        run_t r;

        snap_init(&s);
        c->setup(&s);
        snap_run(&s, &r, ROOM);
        check_str(c->name, "actions", r.str, c->want);
        check_time(c->name, "next_pass", r.plan.next_pass, s.f.now,
                   c->next);
        check_int(c->name, "unmet", r.plan.unmet, c->unmet);
        run_free(&r, &s.f);
    }
}

/* ---- held_by: which bound held a pool back ---------------------------- */

/* The pools a bound held back, as "0:share 2:max 3:share+max" (pools
 * held by none left out), into a new string. */
static char *render_held(const plan_t *p, int npools)
{
    static const char *const names[] = { "none", "share", "max",
                                         "share+max" };
    char *s = xmalloc((size_t)npools * 24 + 1);
    size_t n = 0;
    int i;

    s[0] = '\0';
    for (i = 0; i < npools; i++) {
        unsigned h = p->held_by[i];

        if (h) {
            n += sprintf(s + n, "%s%d:%s", n ? " " : "", i,
                         h < 4 ? names[h] : "?");
        }
    }
    return s;
}

/* Cap 4 of MaxRequestWorkers 8, all 8 busy: p0 3 workers, 40 queued,
 * confirmed (its cap leaves it one more, which MaxRequestWorkers does
 * not grant); p1 at its cap, nothing queued; p2 1 worker. */
static void held_share_and_max(snap_t *s)
{
    pool(s, 0, 3, 0, 40);
    short_long(s, 0);
    pool(s, 1, 4, 0, 0);
    pool(s, 2, 1, 0, 0);
    s->f.max_workers = 8;
    s->f.user_cap = 4;
}

/* At its cap with connections queued, but backing off: no fork would be
 * made anyway, so the cap held nothing back. */
static void held_cap_backoff(snap_t *s)
{
    cap_full(s);
    s->pool[0].backing_off = 1;
}

/* Cap 4, but p0 has 5 workers (the share was lowered by a restart),
 * all busy, nothing queued: no need, nothing held (though its cap
 * leaves it less than none). */
static void held_over_cap_idle(snap_t *s)
{
    pool(s, 0, 5, 0, 0);
    s->f.max_workers = 8;
    s->f.user_cap = 4;
}

/* A cap of 4, p0 1 worker, 2 queued, not confirmed yet: the need (1 more
 * for the queue) fits its cap: nothing held, whatever the growth rule
 * does. */
static void held_under_cap(snap_t *s)
{
    pool(s, 0, 1, 0, 2);
    s->f.max_workers = 8;
    s->f.user_cap = 4;
}

typedef struct {
    const char *name;
    void (*setup)(snap_t *);
    const char *want;           /* render_held                           */
} held_case_t;

static const held_case_t held_cases[] = {
    /* the share (step 1): a need beyond what the cap leaves */
    { "held: a flooded pool at its share", cap_flood, "0:share" },
    { "held: at the cap", cap_full, "0:share" },
    { "held: a leaving worker still counts", cap_leaving, "0:share" },
    { "held: spares never count", cap_spares, "" },
    { "held: backing off, no share", held_cap_backoff, "" },
    { "held: over the cap, nothing queued", held_over_cap_idle, "" },
    { "held: under the cap", held_under_cap, "" },
    /* MaxRequestWorkers (step 2): the needs it left unmet */
    { "held: cold pool, nothing busy", cold, "" },
    { "held: grants up to MaxRequestWorkers, the rest unmet",
      fewest_limit, "0:max 1:max 3:max" },
    /* free slots, not MaxRequestWorkers, stopped the grants */
    { "held: free slots are not MaxRequestWorkers", fewest_slots, "" },
    { "held: a flood at MaxRequestWorkers, and a cold pool", flood_small,
      "0:max 1:max" },
    /* the process bound (idle warm workers) is not MaxRequestWorkers */
    { "held: the process bound is not", warm_full, "" },
    /* a need not confirmed yet (p1) is none */
    { "held: all busy, cold pool unmet", warm_busy, "0:max" },
    /* the routers held a connection at MaxRequestWorkers */
    { "held: routers held one", held_busy, "2:max" },
    { "held: routers held one, and a cold pool", held_victim,
      "0:max 1:max" },
    { "held: both bounds", held_share_and_max, "0:share+max" },
};

static void test_held(void)
{
    size_t i;

    for (i = 0; i < sizeof(held_cases) / sizeof(held_cases[0]); i++) {
        const held_case_t *c = &held_cases[i];
        snap_t s;
        run_t r;
        char *got;

        snap_init(&s);
        c->setup(&s);
        snap_run(&s, &r, ROOM);
        got = render_held(&r.plan, s.f.npools);
        check_str(c->name, "held_by", got, c->want);
        free(got);
        run_free(&r, &s.f);
    }
}

/* ---- memory: sequences of passes over one pool ------------------------ */

typedef struct {
    apr_interval_time_t at;     /* now - T0                              */
    int live;
    int queued;
    apr_uint32_t took;
    const char *want;           /* the actions; NULL ends the sequence   */
    apr_interval_time_t next;   /* next_pass - T0, or NOT_SET            */
    apr_interval_time_t since;  /* memory.short_since - T0, or NOT_SET   */
    apr_uint32_t short_took;    /* memory.short_took, if since is set    */
} step_t;

typedef struct {
    const char *name;
    int idle;
    int starting;
    step_t steps[8];
} seq_t;

#define WRAP 0xfffffffeU        /* took 2 before it wraps to 0           */

static const seq_t seqs[] = {
    /* 3. the growth rule: 2 busy workers, 3 queued; 1 taken in 50 ms */
    { "growth: still short, little progress: forks", 0, 0, {
        /* first seen short: remembered, look again in grow_delay */
        { 0, 2, 3, 100, "", MS(50), 0, 100 },
        /* before the deadline: nothing, memory kept */
        { MS(30), 2, 3, 101, "", MS(50), 0, 100 },
        /* at the deadline, 1 taken < 3 lacking: 3 forks, memory reset */
        { MS(50), 2, 3, 101, "fork:0 fork:0 fork:0", NOT_SET, NOT_SET, 0 },
        /* the new workers took the queue: nothing remembered */
        { MS(60), 5, 0, 104, "", NOT_SET, NOT_SET, 0 },
        { 0, 0, 0, 0, NULL, 0, 0, 0 } } },
    /* the workers drain the queue (3 taken in 50 ms): no fork, reset */
    { "growth: drained, no fork", 0, 0, {
        { 0, 2, 3, 100, "", MS(50), 0, 100 },
        { MS(50), 2, 3, 103, "", NOT_SET, NOT_SET, 0 },
        /* short again: a new window starts */
        { MS(70), 2, 3, 104, "", MS(120), MS(70), 104 },
        { 0, 0, 0, 0, NULL, 0, 0, 0 } } },
    /* a pass long after the deadline confirms as well */
    { "growth: late pass confirms", 0, 0, {
        { 0, 2, 3, 7, "", MS(50), 0, 7 },
        { MS(900), 2, 3, 7, "fork:0 fork:0 fork:0", NOT_SET, NOT_SET, 0 },
        { 0, 0, 0, 0, NULL, 0, 0, 0 } } },
    /* the need goes away before the deadline: memory reset */
    { "growth: need gone, memory reset", 0, 0, {
        { 0, 2, 3, 7, "", MS(50), 0, 7 },
        { MS(20), 2, 0, 10, "", NOT_SET, NOT_SET, 0 },
        { 0, 0, 0, 0, NULL, 0, 0, 0 } } },
    /* took wraps: 0xfffffffe -> 1 is 3 taken: drained */
    { "growth: took wraps, drained", 0, 0, {
        { 0, 2, 3, WRAP, "", MS(50), 0, WRAP },
        { MS(50), 2, 3, 1, "", NOT_SET, NOT_SET, 0 },
        { 0, 0, 0, 0, NULL, 0, 0, 0 } } },
    /* took wraps: 0xfffffffe -> 0 is 2 taken, < 3: forks */
    { "growth: took wraps, short", 0, 0, {
        { 0, 2, 3, WRAP, "", MS(50), 0, WRAP },
        { MS(50), 2, 3, 0, "fork:0 fork:0 fork:0", NOT_SET, NOT_SET, 0 },
        { 0, 0, 0, 0, NULL, 0, 0, 0 } } },
    /* 4. 1 busy, 2 starting, 3 queued: need 1 once confirmed */
    { "need: queued 3, starting 2, after grow_delay", 0, 2, {
        { 0, 3, 3, 0, "", MS(50), 0, 0 },
        { MS(50), 3, 3, 0, "fork:0", NOT_SET, NOT_SET, 0 },
        { 0, 0, 0, 0, NULL, 0, 0, 0 } } },
    /* idle -1: not looked at, counts as 0 */
    { "need: idle unknown, after grow_delay", -1, 0, {
        { 0, 2, 3, 0, "", MS(50), 0, 0 },
        { MS(50), 2, 3, 0, "fork:0 fork:0 fork:0", NOT_SET, NOT_SET, 0 },
        { 0, 0, 0, 0, NULL, 0, 0, 0 } } },
    /* 11. a saturated CPU: 10 queued all along, the 2 workers take 10
     * per 50 ms: every window is confirmed drained, no fork, ever */
    { "saturated: passes every 50 ms", 0, 0, {
        { 0, 2, 10, 0, "", MS(50), 0, 0 },
        { MS(50), 2, 10, 10, "", NOT_SET, NOT_SET, 0 },
        { MS(100), 2, 10, 20, "", MS(150), MS(100), 20 },
        { MS(150), 2, 10, 30, "", NOT_SET, NOT_SET, 0 },
        { MS(200), 2, 10, 40, "", MS(250), MS(200), 40 },
        { MS(250), 2, 10, 50, "", NOT_SET, NOT_SET, 0 },
        { 0, 0, 0, 0, NULL, 0, 0, 0 } } },
    /* the same every 25 ms: half-way passes wait, windows still drain */
    { "saturated: passes every 25 ms", 0, 0, {
        { 0, 2, 10, 0, "", MS(50), 0, 0 },
        { MS(25), 2, 10, 5, "", MS(50), 0, 0 },
        { MS(50), 2, 10, 10, "", NOT_SET, NOT_SET, 0 },
        { MS(75), 2, 10, 15, "", MS(125), MS(75), 15 },
        { MS(100), 2, 10, 20, "", MS(125), MS(75), 15 },
        { MS(125), 2, 10, 25, "", NOT_SET, NOT_SET, 0 },
        { 0, 0, 0, 0, NULL, 0, 0, 0 } } },
};

/* Run seq's passes, its memory carried copied (alias 0) or in place. */
static void run_seq(const seq_t *q, int alias)
{
    char name[160];
    int k;
    snap_t s;

    snap_init(&s);
    pool(&s, 0, 0, q->idle, 0)->starting = q->starting;
    for (k = 0; q->steps[k].want != NULL; k++) {
        const step_t *st = &q->steps[k];
        run_t r;

        snprintf(name, sizeof(name), "%s, pass %d%s", q->name, k + 1,
                 alias ? ", in place" : "");
        s.f.now = T0 + st->at;
        s.pool[0].live = st->live;
        s.pool[0].queued = st->queued;
        s.pool[0].took = st->took;
        s.f.workers = count_workers(&s.f);
        plan_run(&s.f, &r, ROOM, alias ? s.mem : NULL);
        check_str(name, "actions", r.str, st->want);
        check_time(name, "next_pass", r.plan.next_pass, T0, st->next);
        check_time(name, "short_since", r.plan.memory[0].short_since, T0,
                   st->since);
        if (st->since != NOT_SET) {
            check_int(name, "short_took", r.plan.memory[0].short_took,
                      st->short_took);
        }
        if (!alias) {
            s.mem[0] = r.plan.memory[0];
        }
        run_free(&r, &s.f);
    }
}

static void test_seqs(void)
{
    size_t i;

    for (i = 0; i < sizeof(seqs) / sizeof(seqs[0]); i++) {
        run_seq(&seqs[i], 0);
        run_seq(&seqs[i], 1);
    }
}

/* ---- 15. memory in place: the same plan, pool by pool ----------------- */

/* Pools in every memory state: not short; short just now; confirmed and
 * drained; confirmed and short; need gone with memory set; cold with
 * memory set. */
static void mixed_memory(snap_t *s)
{
    pool(s, 0, 2, 2, 0);
    pool(s, 1, 2, 0, 2);
    pool(s, 2, 2, 0, 2)->took = 50;
    short_long(s, 2);
    s->pool[2].took = 52;
    pool(s, 3, 2, 0, 2)->took = 9;
    short_long(s, 3);
    pool(s, 4, 2, 2, 0);
    short_long(s, 4);
    pool(s, 5, 0, 0, 1);
    s->mem[5].short_since = T0 - SEC(5);
    s->mem[5].short_took = 77;
}

static void test_alias(void)
{
    const char *name = "memory in place";
    snap_t a, b;
    run_t ra, rb;
    int i;

    snap_init(&a);
    mixed_memory(&a);
    b = a;
    b.f.pools = b.pool;
    b.f.memory = b.mem;
    b.f.leavers = b.leaver;
    snap_run(&a, &ra, ROOM);
    b.f.workers = a.f.workers;
    plan_run(&b.f, &rb, ROOM, b.mem);
    check_str(name, "actions", rb.str, ra.str);
    check_time(name, "next_pass", rb.plan.next_pass, T0,
               ra.plan.next_pass - T0);
    check_int(name, "unmet", rb.plan.unmet, ra.plan.unmet);
    for (i = 0; i < a.f.npools; i++) {
        check_int(name, "short_since", b.mem[i].short_since,
                  ra.plan.memory[i].short_since);
        check_int(name, "short_took", b.mem[i].short_took,
                  ra.plan.memory[i].short_took);
    }
    /* and what that plan is: p5 (cold) forks 1 at once, p3 (nothing
     * taken in grow_delay) 2; p1 remembered now; p2 (2 taken for 2
     * lacking) and p4 (no need) reset */
    check_str(name, "plan", ra.str, "fork:5 fork:3 fork:3");
    check_time(name, "next_pass", ra.plan.next_pass, T0, MS(50));
    check_time(name, "p1 short_since", ra.plan.memory[1].short_since, T0,
               0);
    check_time(name, "p2 short_since", ra.plan.memory[2].short_since, T0,
               NOT_SET);
    check_time(name, "p4 short_since", ra.plan.memory[4].short_since, T0,
               NOT_SET);
    run_free(&ra, &a.f);
    run_free(&rb, &b.f);
}

/* ---- 14. a plan cut short by max_actions ------------------------------ */

typedef struct {
    const char *name;
    void (*setup)(snap_t *);
    int max_actions;
    const char *want;
} cut_t;

/* Five queued, no worker. */
static void cut_cold(snap_t *s)
{
    pool(s, 0, 0, 0, 5);
}

/* Five spares wanted, and two preforked. */
static void cut_spares(snap_t *s)
{
    pool(s, 0, 0, 0, 0);
    s->f.min_spare = 5;
    s->f.preforked = 2;
}

/* Two old leavers, then forks. */
static void cut_kills(snap_t *s)
{
    grace_pools(s);
    s->pool[1].live = 3;
    s->pool[1].leaving = 2;
    leaver(s, 5, 1, SEC(70));
    leaver(s, 6, 1, SEC(80));
    pool(s, 2, 0, 0, 3);
}

static const cut_t cuts[] = {
    /* exactly as many actions as room, the array sized to it */
    { "cut: cold forks", cut_cold, 2, "fork:0 fork:0" },
    { "cut: no room at all", cut_cold, 0, "" },
    /* one spare per pool and pass, then the preforked ones */
    { "cut: spares", cut_spares, 3, "fork:0 fork:-1 fork:-1" },
    { "cut: room-making leaves", lru_rotate, 1, "leave:2" },
    { "cut: kills first", cut_kills, 3, "kill@5 kill@6 fork:2" },
    { "cut: room for one kill only", cut_kills, 1, "kill@5" },
    { "cut: fair share", fair_levels, 1, "leave-busy:1" },
};

static void test_cuts(void)
{
    size_t i;

    for (i = 0; i < sizeof(cuts) / sizeof(cuts[0]); i++) {
        const cut_t *c = &cuts[i];
        snap_t s;
        run_t r;

        snap_init(&s);
        c->setup(&s);
        snap_run(&s, &r, c->max_actions);
        check_str(c->name, "actions", r.str, c->want);
        check_int(c->name, "nactions <= max_actions",
                  r.plan.nactions <= c->max_actions, 1);
        run_free(&r, &s.f);
    }
}

/* ---- 13. scale: 2,000 pools ------------------------------------------- */

#define NPOOLS 2000

/* 2,000 pools with a connection queued each and no worker, unbound of
 * them preforked and ready, MaxRequestWorkers 150: 150 grants, one per
 * pool, the lowest indexes first (all at 0 workers), 1,850 unmet. */
static void scale(int unbound)
{
    char name[64];
    plan_facts_t f;
    plan_pool_t *pools = xmalloc(NPOOLS * sizeof(*pools));
    plan_memory_t *mem = xmalloc(NPOOLS * sizeof(*mem));
    run_t r;
    int i, bad = -1;

    snprintf(name, sizeof(name), "scale, %d unbound", unbound);
    memset(pools, 0, NPOOLS * sizeof(*pools));
    memset(mem, 0, NPOOLS * sizeof(*mem));
    for (i = 0; i < NPOOLS; i++) {
        pools[i].in_config = 1;
        pools[i].queued = 1;
        pools[i].last_used = (apr_uint32_t)i;
    }
    memset(&f, 0, sizeof(f));
    f.now = T0;
    f.max_workers = 150;
    f.max_spare = 10;
    f.grow_delay = MS(50);
    f.refill_delay = MS(100);
    f.leave_grace = SEC(60);
    f.workers = unbound;
    f.free_slots = 4 * NPOOLS;
    f.unbound = unbound;
    f.prefork_live = unbound;
    f.npools = NPOOLS;
    f.pools = pools;
    f.memory = mem;
    plan_run(&f, &r, 4 * NPOOLS, NULL);

    check_int(name, "nactions", r.plan.nactions, 150);
    check_int(name, "unmet", r.plan.unmet, NPOOLS - 150);
    check_time(name, "next_pass", r.plan.next_pass, T0,
               unbound ? MS(100) : NOT_SET);
    /* action i: a bind (the first unbound ones) or a fork, for pool i */
    for (i = 0; i < r.plan.nactions && bad < 0; i++) {
        plan_kind_e want = i < unbound ? PLAN_BIND : PLAN_FORK;

        if (r.plan.actions[i].kind != want || r.plan.actions[i].pool != i) {
            bad = i;
        }
    }
    check_int(name, "first action out of order", bad, -1);
    /* a cold pool is not remembered short */
    for (i = 0, bad = -1; i < NPOOLS && bad < 0; i++) {
        if (r.plan.memory[i].short_since != 0) {
            bad = i;
        }
    }
    check_int(name, "first pool remembered", bad, -1);
    /* the 1,850 pools left waiting, and only they, were held back by
     * MaxRequestWorkers */
    for (i = 0, bad = 0; i < NPOOLS; i++) {
        bad += r.plan.held_by[i] == (i < 150 ? 0 : PLAN_HELD_MAX);
    }
    check_int(name, "pools held as they should be", bad, NPOOLS);
    run_free(&r, &f);
    free(pools);
    free(mem);
}

static void test_scale(void)
{
    scale(0);
    scale(10);
}

int main(void)
{
    test_table();
    test_held();
    test_seqs();
    test_alias();
    test_cuts();
    test_scale();
    return unit_summary("test_planner");
}
