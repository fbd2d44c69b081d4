/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * gate.c -- pure decisions of the MaxRequestWorkers gate (gate.h): a
 * pool's requests in flight, send or hold, and the master's correction.
 * No side effects; tests/unit/test_gate.c drives them with tables.
 */

#include "gate.h"

/* Router (any privilege): a pool's requests in flight, sent less done
 * less adjust, within [0, live] and no more than sent less done_pass
 * less adjust: what the kernel showed at the master's last pass plus the
 * sends since (each counter wraps, so differences are taken as signed
 * counts). */
int peruid_gate_inflight(apr_uint32_t sent, apr_uint32_t done,
                         apr_uint32_t done_pass, apr_uint32_t adjust,
                         int live)
{
    apr_int32_t n = (apr_int32_t)(sent - done - adjust);
    apr_int32_t most = (apr_int32_t)(sent - done_pass - adjust);

    if (most > live) {
        most = live;
    }
    if (most <= 0 || n <= 0) {
        return 0;
    }
    return n > most ? (int)most : (int)n;
}

/* Router (any privilege): the requests in flight at least: the last
 * count plus every send since (sent_now - sent_then, unsigned: the total
 * wraps).  Never below the bound once the sends since reach it, however
 * many: a router that has not counted for 2^31 sends, or that never
 * counted (its first count is forced by starting with counted at the
 * bound), must count before it sends. */
int peruid_gate_estimate(int counted, apr_uint32_t sent_then,
                         apr_uint32_t sent_now, int max_workers)
{
    apr_uint32_t since = sent_now - sent_then;

    if (counted >= max_workers || since >= (apr_uint32_t)max_workers) {
        return max_workers;
    }
    return counted + (int)since;
}

/* Router (any privilege): may this connection go to its pool now?
 * - While the pools' workers are no more than MaxRequestWorkers, they
 *   cannot serve more requests at once: send.
 * - A pool whose workers all have a request already queues it behind
 *   them; a worker for it is the planner's to grant: send.
 * - Else it starts a request at once: send while the requests in flight
 *   are fewer than MaxRequestWorkers.  The estimate never counts fewer
 *   than there are (a count plus every send since), so below the bound
 *   it is enough; at the bound, count first (GATE_COUNT), unless this
 *   pass counted already: hold. */
gate_verdict_e peruid_gate_decide(const gate_view_t *v)
{
    if (v->live_total <= (apr_uint32_t)v->max_workers) {
        return GATE_SEND;
    }
    if (v->pool_inflight >= v->pool_live) {
        return GATE_SEND;
    }
    if (v->estimate < v->max_workers) {
        return GATE_SEND;
    }
    return v->exact ? GATE_HOLD : GATE_COUNT;
}

/* Master (root): the adjust that makes a pool's count what the kernel
 * shows: its workers not waiting for a connection, plus the connections
 * queued for them.  Written every pass that looked at the idle workers,
 * so a connection lost with a worker killed mid-request, or done forged
 * by a tenant, counts until that pass at most. */
apr_uint32_t peruid_gate_adjust(apr_uint32_t sent, apr_uint32_t done,
                                int live, int idle, int queued)
{
    int busy = live - idle;

    if (busy < 0) {
        busy = 0;
    }
    return sent - done - (apr_uint32_t)(busy + (queued > 0 ? queued : 0));
}
