/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * master.h -- the master's state of one generation and its functions
 * (master.c, schedule.c, children.c, watch.c).  Only the master (root)
 * runs them.
 */

#ifndef PERUID_MASTER_H
#define PERUID_MASTER_H

#include <poll.h>

#include "peruid.h"
#include "planner.h"
#include "capwarn.h"

/* The master's context for one generation (master.c, children.c). */
typedef struct {
    peruid_retained_t *rd;
    apr_pool_t *pconf;
    server_rec *s;
    apr_time_t next_tick;
    apr_time_t next_pass;   /* schedule.c: look again then (0: no need)  */
    apr_time_t idle_looked; /* schedule.c: the last pass that read every
                             * worker's state from the kernel
                             * (peruid_chan_clock, monotonic)            */
    apr_uint32_t *gate_sent;    /* schedule.c, per pool: sent, read before
                                 * the kernel was asked in this pass ... */
    apr_uint32_t *gate_done;    /* ... and done, read after it           */
    int gate_looked;        /* schedule.c: this pass asked the kernel    */
    int gate_off;           /* schedule.c: the kernel would not show idle
                             * workers: the routers' gate is off         */
    apr_time_t refill_at;   /* schedule.c: pass for preforked replacements
                             * then (0: none due)                        */
    int no_routers;         /* stopping: routers are not replaced        */
    int no_workers;         /* stopping: workers are not started         */
    int fatal;              /* a router of this generation failed fatally */
    /* schedule.c: the planner's facts, memory and plan (planner.h) */
    plan_pool_t *plan_pools;    /* one entry per pool                    */
    plan_memory_t *plan_memory; /* one entry per pool, kept across passes */
    plan_work_t *plan_work;     /* one entry per pool                    */
    plan_leaver_t *leavers;     /* one entry per slot                    */
    plan_action_t *actions;
    int max_actions;
    char *watch;                /* per pool: look at its queue in every
                                 * pass (a router asked, or it was short) */
    struct pollfd *pfd;         /* one entry per pool                    */
    /* schedule.c: the warnings of a bound reached (capwarn.h) */
    unsigned char *plan_held;   /* one entry per pool: the plan's held_by */
    capwarn_t *cap_user;        /* one entry per pool: PU00153's rate    */
    capwarn_t cap_server;       /* PU00154's rate                        */
    struct peruid_watch_s *rwatch;  /* watch.c: the routers' accepts and
                                 * deaths                                */
} peruid_master_t;

/* master.c */
int peruid_master_run(peruid_retained_t *rd, apr_pool_t *pconf,
                      apr_pool_t *plog, server_rec *s);
ssize_t peruid_master_read_small(const char *path, char *buf, size_t size);

/* schedule.c -- which pool gets the next worker */
apr_status_t peruid_schedule_init(peruid_master_t *m);
void peruid_schedule(peruid_master_t *m, int periodic);
void peruid_schedule_watch(peruid_master_t *m, int pool);

/* watch.c -- a router that stops accepting is replaced; router deaths
 * are logged */
apr_status_t peruid_watch_init(peruid_master_t *m);
void peruid_watch_routers(peruid_master_t *m);
void peruid_watch_router_died(peruid_master_t *m, pid_t pid,
                              apr_exit_why_e why, int status);
void peruid_watch_log_pending(peruid_master_t *m);

/* children.c -- the master's table of its children */
apr_status_t peruid_children_init(peruid_retained_t *rd);
apr_status_t peruid_children_fork(peruid_master_t *m, peruid_role_e role,
                                  int pool);
int peruid_children_count(peruid_retained_t *rd, int role, int pool);
apr_status_t peruid_children_send(peruid_retained_t *rd, int slot, int sig);
int peruid_children_signal(peruid_retained_t *rd, int role, int sig);
void peruid_children_reclaim(peruid_retained_t *rd, int sig);
int peruid_children_kill_strays(peruid_retained_t *rd);
int peruid_children_reap(peruid_master_t *m);
int peruid_children_ask_to_leave(peruid_retained_t *rd, int pool,
                                 int busy_only, apr_time_t now);
void peruid_children_kill(peruid_master_t *m, int slot, apr_time_t now);
void peruid_children_observe(peruid_retained_t *rd, plan_facts_t *f,
                             plan_pool_t *pools, plan_leaver_t *leavers,
                             int look_idle);
int peruid_children_have_slot(peruid_retained_t *rd);
int peruid_children_preforked(peruid_retained_t *rd);
int peruid_children_bind(peruid_master_t *m, int pool);

#endif /* PERUID_MASTER_H */
