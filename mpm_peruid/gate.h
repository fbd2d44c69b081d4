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
 * those its workers finished, less the master's correction; never less
 * than none, never more than its live workers, nor more than the kernel
 * showed at the master's last pass plus what was sent since:
 *
 *   sent      routers (the routers' page);
 *   done      the pool's workers, on their own pool page: a tenant can
 *             forge it, so it counts only within the bounds below;
 *   done_pass the master: done as it read it at its last pass;
 *   adjust    the master, from the kernel, at every pass that looks at
 *             the idle workers (each second, and at MaxRequestWorkers
 *             when a connection waits or is held, at most every 100 ms):
 *             sent - done - adjust was then the pool's busy workers plus
 *             its queued connections, or more, never fewer (schedule.c,
 *             sched_facts and sched_gate_publish);
 *   live      the master's child table: the pool's workers.
 *
 * A tenant that forges done can make its own pool count as fewer
 * requests (the bound loosens, by at most its own workers), or as more
 * than it has, but never more than it had at the last pass plus those
 * sent to it since, nor more than its workers: what slow requests of its
 * own would hold, within its share.  When the kernel will not show the
 * idle workers (PU00056), the master cannot correct the counts and the
 * gate is off (live_total 0).
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

int peruid_gate_estimate(int counted, apr_uint32_t sent_then,
                         apr_uint32_t sent_now, int max_workers);
int peruid_gate_inflight(apr_uint32_t sent, apr_uint32_t done,
                         apr_uint32_t done_pass, apr_uint32_t adjust,
                         int live);
gate_verdict_e peruid_gate_decide(const gate_view_t *v);
apr_uint32_t peruid_gate_adjust(apr_uint32_t sent, apr_uint32_t done,
                                int live, int idle, int queued);

#endif /* PERUID_GATE_H */
