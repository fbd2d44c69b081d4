/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * park.h -- a router's decision for each connection it parked because
 * its pool's channel was full: answer 503 (deadline passed), try to send
 * it again, or leave it for the next pass (its pool's channel was already
 * found full in this one).
 */

#ifndef PERUID_PARK_H
#define PERUID_PARK_H

#include "apr.h"
#include "apr_time.h"

typedef enum {
    PARK_ANSWER = 0,    /* deadline passed: answer 503                   */
    PARK_RETRY,         /* try sendmsg() again                           */
    PARK_SKIP           /* its pool is full this pass: wait              */
} park_step_e;

/* One router's passes over its parked connections. */
typedef struct {
    apr_uint32_t round;         /* the current pass (never 0)            */
    apr_uint32_t *full_round;   /* per pool: the pass its channel was
                                 * last found full in (0: never)         */
    int npools;
} park_passes_t;

void peruid_park_begin(park_passes_t *p);
park_step_e peruid_park_step(const park_passes_t *p, int pool,
                             apr_time_t deadline, apr_time_t now);
void peruid_park_full(park_passes_t *p, int pool);

#endif /* PERUID_PARK_H */
