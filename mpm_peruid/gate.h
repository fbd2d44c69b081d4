/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * gate.h -- MaxRequestWorkers as a bound on requests served at once
 * (gate.c, pure decisions; router.c carries them out).
 *
 * The master forks a worker only while fewer than MaxRequestWorkers are
 * busy (planner.c), but warm idle workers (PeruidWarmWorkers) take their
 * user's next connection without asking anyone.  So a router, before it
 * hands a connection to a pool that has a worker free for it, weighs the
 * requests in flight over every pool and holds the connection while they
 * are at MaxRequestWorkers, until one ends or the connection's deadline
 * passes (503).
 *
 * A pool's requests in flight are the connections routers sent it less
 * those its workers finished, less the master's correction, and never
 * more than its live workers nor less than none:
 *
 *   sent      routers (the routers' page);
 *   done      the pool's workers, on their own pool page: a tenant can
 *             forge it, so it counts only within the next two;
 *   adjust    the master, from the kernel, every pass at
 *             MaxRequestWorkers: idle workers and queued connections
 *             (schedule.c, sched_gate_adjust);
 *   live      the master's child table: the pool's workers.
 *
 * A tenant that forges done can only make its own pool count as fewer
 * requests (the bound loosens, at most to the process bound) or as all
 * its workers busy (no more than slow requests do, within its share).
 */

#ifndef PERUID_GATE_H
#define PERUID_GATE_H

#include "apr.h"

/* The routers' page, beyond the per-pool arrays: written by the master
 * (live_total) and the routers (sent_total), read by routers.  Workers
 * never map it. */
typedef struct peruid_gate_page_s {
    volatile apr_uint32_t live_total;   /* master: workers bound to pools */
    volatile apr_uint32_t sent_total;   /* routers: connections sent to any
                                         * pool (wraps)                   */
} peruid_gate_page_t;

/* A router's view when it is about to send a connection to a pool. */
typedef struct {
    int max_workers;        /* MaxRequestWorkers                         */
    apr_uint32_t live_total;    /* master: workers bound to pools        */
    int pool_inflight;      /* peruid_gate_inflight of the pool           */
    int pool_live;          /* the pool's workers                        */
    int estimate;           /* requests in flight over every pool, at
                             * least (a count plus the sends since)      */
    int exact;              /* estimate was counted in this pass         */
} gate_view_t;

typedef enum {
    GATE_SEND = 0,          /* send it                                   */
    GATE_COUNT,             /* the estimate says full: count, then ask again */
    GATE_HOLD               /* at MaxRequestWorkers: hold it             */
} gate_verdict_e;

int peruid_gate_inflight(apr_uint32_t sent, apr_uint32_t done,
                         apr_uint32_t adjust, int live);
gate_verdict_e peruid_gate_decide(const gate_view_t *v);
apr_uint32_t peruid_gate_adjust(apr_uint32_t sent, apr_uint32_t done,
                                int live, int idle, int queued);

#endif /* PERUID_GATE_H */
