/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * park.c -- which parked connections a router tries again (router.c,
 * router_timers).
 *
 * Runs in the routers (User, no capabilities); a pure decision, no
 * system call: router.c carries it out.  Once a pass finds a pool's
 * channel still full, the pool's other parked connections wait for the
 * next pass instead of each trying sendmsg() again: a flood for one user
 * would otherwise cost the routers, which serve every user, a system
 * call per parked connection every pass.  A connection whose deadline
 * passed is answered whatever its pool's state.  Kept free of httpd
 * headers so that the unit tests (tests/unit) link it alone.
 */

#include <stdlib.h>

#include "park.h"

/* Router: items by key, then by their place in the list. */
static int park_cmp(const void *a, const void *b)
{
    const park_item_t *x = a, *y = b;

    if (x->key != y->key) {
        return x->key < y->key ? -1 : 1;
    }
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Router: the order in which the connections to try again take the room
 * under MaxRequestWorkers when it is short: fewest first, as the master
 * grants workers.  A connection's key is the busy workers of its pool
 * (the master's count, busy[pool]; routers' page) plus the connections of
 * its pool ahead of it in this pass; ties go by the list's order, oldest
 * first.  So when one user's flood and another's single request wait
 * together, the single request takes the next free worker, not the
 * flood's next.  rank: npools counters of the caller, zeroed here.  An
 * item with a pool out of range sorts last. */
void peruid_park_order(park_item_t *items, int n, const apr_uint32_t *busy,
                       int npools, apr_uint32_t *rank)
{
    int i;

    for (i = 0; i < npools; i++) {
        rank[i] = 0;
    }
    for (i = 0; i < n; i++) {
        int pool = items[i].pool;

        if (pool < 0 || pool >= npools) {
            items[i].key = 0xffffffffU;
            continue;
        }
        items[i].key = busy[pool] + rank[pool]++;
    }
    qsort(items, (size_t)n, sizeof(*items), park_cmp);
}

/* Router: a new pass over the parked connections.  The pass number
 * skips 0, which marks a pool never found full, when it wraps. */
void peruid_park_begin(park_passes_t *p)
{
    if (++p->round == 0) {
        p->round = 1;
    }
}

/* Router: what to do in this pass with a connection parked for pool
 * (0 <= pool < npools, else it is answered) with deadline, at now. */
park_step_e peruid_park_step(const park_passes_t *p, int pool,
                             apr_time_t deadline, apr_time_t now)
{
    if (deadline <= now || pool < 0 || pool >= p->npools) {
        return PARK_ANSWER;
    }
    return p->full_round[pool] == p->round ? PARK_SKIP : PARK_RETRY;
}

/* Router: a retry in this pass found pool's channel still full. */
void peruid_park_full(park_passes_t *p, int pool)
{
    if (pool >= 0 && pool < p->npools) {
        p->full_round[pool] = p->round;
    }
}
