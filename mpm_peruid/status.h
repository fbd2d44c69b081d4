/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * status.h -- mod_status per user (status.c): each process's role, pid,
 * user and virtual hosts, and a table of the user pools, added to
 * server-status through mod_status's own hook (status_hook), from a
 * page only the master writes (statuspage.h).
 */

#ifndef PERUID_STATUS_H
#define PERUID_STATUS_H

#include "peruid.h"
#include "planner.h"

/* Master, root, at each start of a generation (first start: the page
 * made, sealed and mapped; PU00145 and no page when that fails). */
void peruid_status_init(peruid_retained_t *rd, server_rec *s);

/* Master, root, at the end of each once-a-second pass: the page
 * rewritten from its table, the pass's facts f and the routers'
 * counters. */
void peruid_status_publish(peruid_retained_t *rd, const plan_facts_t *f);

/* Master: a worker was forked for pool (a cold start). */
void peruid_status_forked(int pool);

/* Router (the routers' user): pool's workers handed a connection back
 * (a hand-over record taken from its back channel). */
void peruid_status_handover(int pool);

/* Router: a connection for pool was answered 503 at a cap: its channel
 * full (its workers at their share), MaxRequestWorkers, or a vhost's
 * MaxClientsVHost. */
void peruid_status_refused(int pool);

/* Worker, root, right after fork (with peruid_pools_keep_own_stats),
 * its pool known: the routers' counters unmapped, and the page too when
 * mod_status is not loaded or pool is not the main server's (a tenant's
 * worker: its server-status says where the tables are).  Returns an
 * errno on failure (the worker must not serve). */
apr_status_t peruid_status_worker_enter(int pool);

/* Master: pool's cold starts, hand-overs and 503s start again from 0 (an
 * AssignUserIDExpr slot given to another user). */
void peruid_status_pool_reset(int pool);

/* Master, root, module load: the status_hook (mod_status). */
void peruid_status_register_hooks(apr_pool_t *p);

#endif /* PERUID_STATUS_H */
