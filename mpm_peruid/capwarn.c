/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * capwarn.c -- the rate limit of the master's "bound reached" warnings
 * (capwarn.h).  Pure: the clock is passed in; no system call, no log.
 */

#include "capwarn.h"

/* Master (or a unit test): see capwarn.h. */
apr_uint32_t peruid_capwarn_pass(capwarn_t *w, int reached, apr_time_t now,
                                 apr_interval_time_t gap)
{
    apr_uint32_t n;

    if (!reached) {
        return 0;
    }
    if (w->reached < 0xffffffffU) {
        w->reached++;
    }
    if (w->told && now >= w->logged && now - w->logged < gap) {
        return 0;
    }
    n = w->reached;
    w->told = 1;
    w->logged = now;
    w->reached = 0;
    return n;
}
