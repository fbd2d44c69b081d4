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

#include "park.h"

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
