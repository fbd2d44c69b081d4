/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * planner.h -- the master's scheduling policy as a pure function: a
 * snapshot of facts in, a list of actions out (planner.c).  It forks,
 * signals and reads nothing itself; schedule.c gathers the facts and
 * carries the actions out.  tests/unit/test_planner.c drives it with
 * tables of cases.
 *
 * Every fact names who produces it.  None is written by a worker: a
 * worker runs its tenant's code, and whatever it can write it can forge
 * (docs/security.md).  The facts come from the master's own child table,
 * from the kernel (the length of a pool's channel queue, what a worker
 * process is blocked in) and from the routers' shared page, which
 * workers never map.
 */

#ifndef PERUID_PLANNER_H
#define PERUID_PLANNER_H

#include "apr.h"
#include "apr_time.h"

typedef enum {
    PLAN_BIND = 1,  /* bind an unbound preforked worker to pool          */
    PLAN_FORK,      /* fork a worker for pool; pool -1: a preforked one,
                     * for no pool yet                                  */
    PLAN_LEAVE,     /* one worker of pool leaves: an idle one at once,
                     * else the first to finish its connection          */
    PLAN_LEAVE_BUSY,    /* as PLAN_LEAVE, but a busy worker only: at
                         * MaxRequestWorkers busy, an idle one's exit
                         * frees no busy slot                           */
    PLAN_KILL       /* the worker in slot was asked to leave longer than
                     * the grace period ago: SIGKILL                    */
} plan_kind_e;

typedef struct {
    plan_kind_e kind;
    int pool;
    int slot;       /* PLAN_KILL only, else -1                           */
} plan_action_t;

/* The facts of one pool, and who produces each. */
typedef struct {
    int in_config;          /* master: the current generation names it   */
    int live;               /* master's child table: workers bound to it,
                             * leaving ones included                     */
    int leaving;            /* master's child table: asked to leave, not
                             * gone yet                                  */
    int starting;           /* master's table and kernel: forked or bound
                             * recently and not yet seen waiting for a
                             * connection                                */
    int idle;               /* kernel: workers blocked waiting for a
                             * connection, leaving ones excluded; -1 when
                             * not looked at in this pass                */
    int queued;             /* kernel: connections in the pool's channel
                             * that no worker took yet                   */
    apr_uint32_t took;      /* routers and kernel: connections the pool's
                             * workers took so far (sent minus queued;
                             * wraps)                                    */
    apr_uint32_t last_used; /* routers: the second of its last dispatch
                             * (0: never)                                */
    int held;               /* routers: a connection for it was held at
                             * MaxRequestWorkers within the last second
                             * (gate.h): it waits for a request to end,
                             * so none of its workers leaves for others  */
    int backing_off;        /* master: its workers kept dying; no fork
                             * for it now                                */
} plan_pool_t;

/* A worker asked to leave that is still alive (master's child table). */
typedef struct {
    int slot;
    int pool;
    apr_time_t asked_at;
} plan_leaver_t;

/* What the planner remembers of a pool from one pass to the next; the
 * master keeps it and never writes it itself. */
typedef struct {
    apr_time_t short_since; /* first seen short of workers (0: not)      */
    apr_uint32_t short_took;    /* its took then                         */
} plan_memory_t;

/* The limits (directives) and the server-wide facts of one pass. */
typedef struct {
    apr_time_t now;
    int periodic;           /* the once-a-second pass                    */
    int max_workers;        /* MaxRequestWorkers: workers busy at once   */
    int max_warm;           /* PeruidWarmWorkers: workers beyond those,
                             * idle (the process bound is the sum)       */
    int min_spare;          /* MinSpareServers (server-wide)             */
    int max_spare;          /* MaxSpareServers (server-wide, beyond each
                             * pool's first idle worker)                 */
    apr_uint32_t now_sec;   /* routers' clock: seconds since the master
                             * started, as last_used                     */
    apr_uint32_t idle_timeout_sec;  /* PeruidIdleTimeout                 */
    int preforked;          /* PeruidPreforkedWorkers                    */
    int user_cap;           /* workers one pool may have, leaving ones
                             * included (PeruidMaxUserShare); 0: no cap  */
    apr_interval_time_t grow_delay;     /* see planner.c, plan_confirm   */
    apr_interval_time_t refill_delay;   /* after a bind, look again then */
    apr_interval_time_t leave_grace;    /* asked to leave: killed after  */
    apr_interval_time_t pending_window; /* asked to leave: its slot is
                                         * counted on as coming for this
                                         * long                          */
    int workers;            /* master: live workers, preforked included  */
    int free_slots;         /* master: scoreboard slots free for a child */
    int unbound;            /* master: preforked workers ready to bind   */
    int prefork_live;       /* master: preforked workers not bound yet,
                             * starting ones included                    */
    int npools;
    const plan_pool_t *pools;           /* npools entries                */
    const plan_memory_t *memory;        /* npools entries                */
    int nleavers;
    const plan_leaver_t *leavers;
} plan_facts_t;

/* The bounds that held back a pool's need in one pass (plan_t.held_by,
 * a mask), for the master's warnings (schedule.c, PU00153, PU00154). */
#define PLAN_HELD_SHARE 1   /* at its cap (PeruidMaxUserShare): it lacks
                             * more workers than the cap leaves it       */
#define PLAN_HELD_MAX   2   /* MaxRequestWorkers busy: its need was not
                             * granted, or the routers hold a connection
                             * for it (held)                             */

/* Per-pool scratch of one pass (caller-provided, npools entries). */
typedef struct {
    int live;               /* live, plus the workers granted this pass  */
    int leaving;
    int need;               /* workers the pool lacks, confirmed         */
    int marked;             /* spares: already given or asked this pass  */
} plan_work_t;

/* The plan.  The caller provides the arrays; peruid_plan fills them. */
typedef struct {
    plan_action_t *actions; /* room for max_actions                      */
    int max_actions;
    int nactions;           /* out                                       */
    plan_memory_t *memory;  /* out: npools entries, the memory after this
                             * pass (may be the facts' memory array)     */
    plan_work_t *work;      /* scratch: npools entries                   */
    apr_time_t next_pass;   /* out: look again then (0: at the next tick) */
    int unmet;              /* out: workers still lacking                */
    unsigned char *held_by; /* out: npools entries, PLAN_HELD_* of each
                             * pool in this pass (0: none held it back)  */
} plan_t;

/* Master (or a unit test): plan one pass.  Pure: reads f, writes only
 * *out and the arrays it points to. */
void peruid_plan(const plan_facts_t *f, plan_t *out);

#endif /* PERUID_PLANNER_H */
