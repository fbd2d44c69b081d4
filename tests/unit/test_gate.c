/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * test_gate.c -- table-driven unit tests of mpm_peruid/gate.c, the
 * MaxRequestWorkers gate: a pool's requests in flight, the send-or-hold
 * verdict, the master's adjust; then scripted runs of routers, workers
 * and the master over a few pools, with the real requests in flight
 * counted beside, checking the bound and what a tenant forging its done
 * counter can and cannot do.  No clock, no sleep.
 */

#include <stdio.h>
#include <string.h>

#include "gate.h"
#include "unit.h"

/* --- peruid_gate_inflight ------------------------------------------- */

typedef struct {
    const char *name;
    apr_uint32_t sent, done, done_pass, adjust;
    int live, want;
} inflight_row_t;

static const inflight_row_t inflight_rows[] = {
    { "nothing sent", 0, 0, 0, 0, 3, 0 },
    { "two of five in flight", 5, 3, 3, 0, 3, 2 },
    { "two of five, one of them ended since the pass", 5, 3, 2, 0, 3, 2 },
    { "more than its workers: queued ones do not count", 9, 1, 1, 0, 3, 3 },
    { "no workers: none in flight", 9, 1, 1, 0, 0, 0 },
    { "done forged above sent: none, never negative", 5, 900, 3, 0, 3, 0 },
    { "done forged far below: no more than at the pass", 5, 0xfffff000u, 3,
      0, 4, 2 },
    { "done forged below, nothing at the pass: none", 5, 0, 5, 0, 4, 0 },
    { "done forged below after the pass: plus the sends since", 8, 0, 5, 0,
      4, 3 },
    { "sent wrapped past done", 2, 0xfffffffeu, 0xfffffffeu, 0, 8, 4 },
    { "the master's adjust takes lost ones out", 10, 4, 4, 5, 8, 1 },
    { "adjust wrapped (negative): adds", 3, 3, 3, 0xffffffffu, 8, 1 },
};

static void test_inflight(void)
{
    size_t i;

    for (i = 0; i < sizeof(inflight_rows) / sizeof(inflight_rows[0]); i++) {
        const inflight_row_t *r = &inflight_rows[i];
        int got = peruid_gate_inflight(r->sent, r->done, r->done_pass,
                                       r->adjust, r->live);

        CHECK(got == r->want);
        if (got != r->want) {
            fprintf(stderr, "    row \"%s\": %d, want %d\n", r->name, got,
                    r->want);
        }
    }
}

/* --- peruid_gate_estimate ------------------------------------------- */

typedef struct {
    const char *name;
    int counted;
    apr_uint32_t then, now;
    int max, want;
} estimate_row_t;

static const estimate_row_t estimate_rows[] = {
    { "a count plus the sends since", 10, 100, 120, 64, 30 },
    { "no send since", 10, 100, 100, 64, 10 },
    { "the sends since reach the bound", 10, 100, 164, 64, 64 },
    { "the total wrapped", 10, 0xfffffff0u, 0x10, 64, 42 },
    { "a new router (counted at the bound): count first", 64, 0, 5, 64, 64 },
    { "2^31 sends without a count: at the bound, never negative", 0, 0,
      0x80000010u, 64, 64 },
    { "2^32 - 1 sends since: at the bound", 3, 1, 0, 64, 64 },
};

static void test_estimate(void)
{
    size_t i;

    for (i = 0; i < sizeof(estimate_rows) / sizeof(estimate_rows[0]); i++) {
        const estimate_row_t *r = &estimate_rows[i];
        int got = peruid_gate_estimate(r->counted, r->then, r->now, r->max);

        CHECK(got == r->want);
        if (got != r->want) {
            fprintf(stderr, "    row \"%s\": %d, want %d\n", r->name, got,
                    r->want);
        }
    }
}

/* --- peruid_gate_decide --------------------------------------------- */

typedef struct {
    const char *name;
    gate_view_t v;
    gate_verdict_e want;
} decide_row_t;

/* max_workers, live_total, pool_inflight, pool_live, estimate, exact */
static const decide_row_t decide_rows[] = {
    { "workers no more than MaxRequestWorkers: send, even counted full",
      { 4, 4, 0, 2, 9, 1 }, GATE_SEND },
    { "one worker over: the count decides",
      { 4, 5, 0, 2, 4, 1 }, GATE_HOLD },
    { "pool's workers all busy: it queues, send",
      { 4, 9, 2, 2, 9, 1 }, GATE_SEND },
    { "pool has a free worker, room left: send",
      { 4, 9, 1, 2, 3, 0 }, GATE_SEND },
    { "estimate at the bound, not counted in this pass: count",
      { 4, 9, 1, 2, 4, 0 }, GATE_COUNT },
    { "estimate over the bound, not counted: count",
      { 4, 9, 0, 2, 7, 0 }, GATE_COUNT },
    { "counted at the bound: hold",
      { 4, 9, 0, 2, 4, 1 }, GATE_HOLD },
    { "counted below the bound: send",
      { 4, 9, 0, 2, 3, 1 }, GATE_SEND },
    { "a pool with no worker: queues, send",
      { 4, 9, 0, 0, 9, 1 }, GATE_SEND },
};

static void test_decide(void)
{
    size_t i;

    for (i = 0; i < sizeof(decide_rows) / sizeof(decide_rows[0]); i++) {
        const decide_row_t *r = &decide_rows[i];
        gate_verdict_e got = peruid_gate_decide(&r->v);

        CHECK(got == r->want);
        if (got != r->want) {
            fprintf(stderr, "    row \"%s\": %d, want %d\n", r->name,
                    (int)got, (int)r->want);
        }
    }
}

/* --- peruid_gate_adjust --------------------------------------------- */

typedef struct {
    const char *name;
    apr_uint32_t sent, done;
    int live, idle, queued, want;   /* want: in flight after the adjust */
} adjust_row_t;

static const adjust_row_t adjust_rows[] = {
    { "two lost with killed workers: back to the busy ones",
      20, 10, 4, 2, 0, 2 },
    { "done forged up by a tenant: back to the busy ones",
      20, 400, 4, 1, 0, 3 },
    { "done forged down: back to the busy ones", 20, 0, 4, 3, 0, 1 },
    { "all idle: none", 7, 2, 3, 3, 0, 0 },
    { "queued ones count, within its workers", 30, 20, 3, 0, 2, 3 },
    { "more idle than live (a worker gone since): none", 7, 2, 1, 3, 0, 0 },
    { "counters wrapped", 3, 0xfffffff0u, 5, 4, 0, 1 },
};

static void test_adjust(void)
{
    size_t i;

    for (i = 0; i < sizeof(adjust_rows) / sizeof(adjust_rows[0]); i++) {
        const adjust_row_t *r = &adjust_rows[i];
        apr_uint32_t adj = peruid_gate_adjust(r->sent, r->done, r->live,
                                              r->idle, r->queued);
        int got = peruid_gate_inflight(r->sent, r->done, r->done, adj,
                                       r->live);

        CHECK(got == r->want);
        if (got != r->want) {
            fprintf(stderr, "    row \"%s\": %d in flight, want %d\n",
                    r->name, got, r->want);
        }
        /* a connection sent after the adjust counts, one done does not */
        if (r->live - r->want > 0 && r->queued == 0) {
            CHECK(peruid_gate_inflight(r->sent + 1, r->done, r->done, adj,
                                       r->live) == r->want + 1);
        }
    }
}

/* --- scripted runs ----------------------------------------------------
 * Pools of warm workers, more of them than MaxRequestWorkers.  A script
 * of steps: a connection for a pool arrives at a router (it is sent or
 * held, as router.c's router_gate decides: the counted estimate, a count
 * when it says full), a request of a pool ends (its worker counts done,
 * then takes a queued connection if any), held connections are retried,
 * a worker dies mid-request (no done), the master adjusts, a tenant
 * forges its done counter.  Beside it, the
 * real requests in flight per pool.  Checked after every step: the real
 * requests in flight, less those of a pool whose done is forged, never
 * exceed MaxRequestWorkers. */

#define NPOOLS 3
#define MAXHELD 32

typedef enum { ARRIVE, END, KILL, RETRY, ADJUST, FORGE } step_e;

typedef struct {
    step_e kind;
    int pool;
    apr_int32_t forge;      /* FORGE: added to done                      */
} step_t;

typedef struct {
    const char *name;
    int max_workers;
    int live[NPOOLS];
    int nsteps;
    step_t steps[24];
    int want_busy[NPOOLS];  /* real requests in flight at the end        */
    int want_held;          /* connections still held at the end         */
    apr_uint32_t start_total;   /* the counters' start (0: a new server) */
} run_row_t;

typedef struct {
    apr_uint32_t sent[NPOOLS], done[NPOOLS], done_pass[NPOOLS];
    apr_uint32_t adjust[NPOOLS];
    apr_uint32_t sent_total;
    int live[NPOOLS], busy[NPOOLS], queued[NPOOLS];
    int forged[NPOOLS];
    int estimate;           /* the router's count ...                    */
    apr_uint32_t counted_sent;  /* ... and sent_total then               */
    int counted_now;        /* counted in this pass                      */
    int held[MAXHELD], nheld;
} sim_t;

static int sim_count(const sim_t *s)
{
    int i, n = 0;

    for (i = 0; i < NPOOLS; i++) {
        n += peruid_gate_inflight(s->sent[i], s->done[i], s->done_pass[i],
                                  s->adjust[i], s->live[i]);
    }
    return n;
}

/* router_gate, over the simulation */
static gate_verdict_e sim_gate(sim_t *s, int max_workers, int pool)
{
    gate_view_t v;
    gate_verdict_e g;
    int i;

    v.max_workers = max_workers;
    v.live_total = 0;
    for (i = 0; i < NPOOLS; i++) {
        v.live_total += (apr_uint32_t)s->live[i];
    }
    v.pool_live = s->live[pool];
    v.pool_inflight = peruid_gate_inflight(s->sent[pool], s->done[pool],
                                           s->done_pass[pool],
                                           s->adjust[pool], s->live[pool]);
    for (;;) {
        v.exact = s->counted_now;
        v.estimate = peruid_gate_estimate(s->estimate, s->counted_sent,
                                          s->sent_total, max_workers);
        g = peruid_gate_decide(&v);
        if (g != GATE_COUNT) {
            return g;
        }
        s->estimate = sim_count(s);
        s->counted_sent = s->sent_total;
        s->counted_now = 1;
    }
}

static void sim_send(sim_t *s, int pool)
{
    s->sent[pool]++;
    s->sent_total++;
    if (s->busy[pool] < s->live[pool]) {
        s->busy[pool]++;
    }
    else {
        s->queued[pool]++;
    }
}

static void sim_step(sim_t *s, const run_row_t *r, const step_t *st)
{
    int i, k;

    s->counted_now = 0;     /* each step is a new pass of the loop */
    switch (st->kind) {
    case ARRIVE:
        if (s->nheld == 0 && sim_gate(s, r->max_workers, st->pool)
                             == GATE_SEND) {
            sim_send(s, st->pool);
        }
        else if (s->nheld < MAXHELD) {
            s->held[s->nheld++] = st->pool;
        }
        break;
    case END:
        if (s->busy[st->pool] > 0) {
            s->busy[st->pool]--;
            s->done[st->pool]++;
            if (s->queued[st->pool] > 0) {
                s->queued[st->pool]--;
                s->busy[st->pool]++;
            }
        }
        break;
    case KILL:              /* its worker dies mid-request: no done */
        if (s->busy[st->pool] > 0) {
            s->busy[st->pool]--;
        }
        break;
    case RETRY:
        for (i = k = 0; i < s->nheld; i++) {
            if (sim_gate(s, r->max_workers, s->held[i]) == GATE_SEND) {
                sim_send(s, s->held[i]);
            }
            else {
                s->held[k++] = s->held[i];
            }
        }
        s->nheld = k;
        break;
    case ADJUST:
        for (i = 0; i < NPOOLS; i++) {
            s->adjust[i] = peruid_gate_adjust(s->sent[i], s->done[i],
                                              s->live[i],
                                              s->live[i] - s->busy[i],
                                              s->queued[i]);
            s->done_pass[i] = s->done[i];
        }
        break;
    case FORGE:
        s->done[st->pool] += (apr_uint32_t)st->forge;
        s->forged[st->pool] = 1;
        break;
    }
}

#define A(p) { ARRIVE, (p), 0 }
#define E(p) { END, (p), 0 }
#define K(p) { KILL, (p), 0 }
#define R    { RETRY, 0, 0 }
#define ADJ  { ADJUST, 0, 0 }
#define F(p, n) { FORGE, (p), (n) }

static const run_row_t run_rows[] = {
    { "warm workers of three users, MaxRequestWorkers 4: the fifth waits",
      4, { 3, 3, 3 }, 6, { A(0), A(1), A(2), A(0), A(1), A(2) },
      { 2, 1, 1 }, 2, 0 },
    { "a request ends: the oldest held one goes at the next retry",
      4, { 3, 3, 3 }, 9, { A(0), A(1), A(2), A(0), A(2), A(1), E(0), R, R },
      { 1, 1, 2 }, 1, 0 },
    { "a new arrival waits behind held ones",
      4, { 3, 3, 3 }, 8, { A(0), A(0), A(0), A(1), A(2), E(1), A(1), R },
      { 3, 0, 1 }, 1, 0 },
    { "a pool with every worker busy queues, it starts nothing",
      4, { 2, 3, 3 }, 6, { A(0), A(0), A(1), A(1), A(0), A(0) },
      { 2, 2, 0 }, 0, 0 },
    { "queued ones start as their pool's requests end; still 4",
      4, { 2, 3, 3 }, 8, { A(0), A(0), A(0), A(1), A(1), E(0), A(2), R },
      { 2, 2, 0 }, 1, 0 },
    { "tenant 0 forges done up: only its own requests go uncounted",
      4, { 3, 3, 3 }, 9, { A(0), A(0), A(0), F(0, 1000), A(1), A(1), A(1),
                           A(1), A(2) },
      { 3, 3, 1 }, 0, 0 },
    { "the master's adjust undoes the forgery",
      4, { 3, 3, 3 }, 10, { A(0), A(0), A(0), F(0, 1000), A(1), ADJ, A(1),
                            A(2), A(2), R },
      { 3, 1, 0 }, 3, 0 },
    { "tenant 0 forges done down: its idle workers do not count as busy",
      5, { 2, 3, 3 }, 6, { F(0, -50), A(1), A(1), A(2), A(2), A(2) },
      { 0, 2, 3 }, 0, 0 },
    { "... nor after requests that ended and a pass",
      4, { 2, 3, 3 }, 11, { A(0), A(0), E(0), E(0), ADJ, F(0, -2), A(1),
                            A(1), A(2), A(2), A(2) },
      { 0, 2, 2 }, 1, 0 },
    { "... only the requests sent to it since the pass count",
      4, { 2, 3, 3 }, 8, { ADJ, F(0, -9), A(0), E(0), A(1), A(1), A(2),
                           A(2) },
      { 0, 2, 1 }, 1, 0 },
    { "a worker killed mid-request: its lost done is adjusted away",
      4, { 3, 3, 3 }, 9, { A(0), A(1), A(1), A(1), A(2), K(1), R, ADJ, R },
      { 1, 2, 1 }, 0, 0 },
    { "a router new after 2^31 connections still counts",
      4, { 3, 3, 3 }, 6, { A(0), A(1), A(2), A(0), A(1), A(2) },
      { 2, 1, 1 }, 2, 0x80000010u },
    { "no more workers than MaxRequestWorkers: no gate",
      9, { 3, 3, 3 }, 9, { A(0), A(0), A(0), A(1), A(1), A(1), A(2), A(2),
                           A(2) },
      { 3, 3, 3 }, 0, 0 },
};

static void run_one(const run_row_t *r)
{
    sim_t s;
    int i, p, real, ok = 1;

    memset(&s, 0, sizeof(s));
    memcpy(s.live, r->live, sizeof(s.live));
    s.estimate = r->max_workers;    /* a new router counts first */
    if (r->start_total) {           /* the server ran long before */
        for (i = 0; i < NPOOLS; i++) {
            s.sent[i] = s.done[i] = s.done_pass[i] = r->start_total;
        }
        s.sent_total = r->start_total;
    }
    for (i = 0; i < r->nsteps; i++) {
        sim_step(&s, r, &r->steps[i]);
        for (p = real = 0; p < NPOOLS; p++) {
            real += s.forged[p] ? 0 : s.busy[p];
        }
        if (r->live[0] + r->live[1] + r->live[2] > r->max_workers
            && real > r->max_workers) {
            ok = 0;
            fprintf(stderr, "    row \"%s\", step %d: %d requests in "
                    "flight, bound %d\n", r->name, i, real, r->max_workers);
        }
    }
    CHECK(ok);
    for (p = 0; p < NPOOLS; p++) {
        CHECK(s.busy[p] == r->want_busy[p]);
        if (s.busy[p] != r->want_busy[p]) {
            fprintf(stderr, "    row \"%s\": pool %d has %d in flight, "
                    "want %d\n", r->name, p, s.busy[p], r->want_busy[p]);
        }
    }
    CHECK(s.nheld == r->want_held);
    if (s.nheld != r->want_held) {
        fprintf(stderr, "    row \"%s\": %d held, want %d\n", r->name,
                s.nheld, r->want_held);
    }
}

int main(void)
{
    size_t i;

    test_inflight();
    test_estimate();
    test_decide();
    test_adjust();
    for (i = 0; i < sizeof(run_rows) / sizeof(run_rows[0]); i++) {
        run_one(&run_rows[i]);
    }
    return unit_summary("test_gate");
}
