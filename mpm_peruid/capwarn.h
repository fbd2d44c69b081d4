/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * capwarn.h -- how often the master says that a user, or the server,
 * reached a bound (PeruidMaxUserShare: PU00153, MaxRequestWorkers:
 * PU00154): at most one line per gap for each, with the count of passes
 * that found it so since the last line (capwarn.c, a pure decision;
 * schedule.c logs).  tests/unit/test_capwarn.c drives it with tables.
 */

#ifndef PERUID_CAPWARN_H
#define PERUID_CAPWARN_H

#include "apr.h"
#include "apr_time.h"

/* The rate limit of one line (one user's, or the server's), kept by the
 * master across the passes of a generation. */
typedef struct {
    int told;               /* a line was logged                         */
    apr_time_t logged;      /* when (the caller's clock)                 */
    apr_uint32_t reached;   /* passes that reached the bound and were not
                             * told yet                                  */
} capwarn_t;

/* Master (or a unit test): one pass; reached: the bound held the user
 * (the server) back in it.  Returns the passes to tell when a line is
 * due now -- the first, or the first gap or more after the last line --
 * and restarts the count; else 0.  now is a monotonic clock (a clock
 * that went back makes the line due). */
apr_uint32_t peruid_capwarn_pass(capwarn_t *w, int reached, apr_time_t now,
                                 apr_interval_time_t gap);

#endif /* PERUID_CAPWARN_H */
