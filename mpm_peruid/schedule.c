/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * schedule.c -- the master's scheduler: which user pool gets the next
 * worker, and whose workers leave to make room.
 *
 * Runs in the master only, as root, and reads no client byte: what it
 * looks at is its own table of children (children.c), their scoreboard
 * status, the pools' shared counters, the routers' last-use time of each
 * pool, and whether a pool's channel holds connections (poll(), never
 * read).  One pass (peruid_schedule) runs after a router asked for a
 * worker, after a child exited, and once a second:
 *
 *   1. observe     every pool: live, ready, starting, leaving workers,
 *                  and connections waiting in its channel;
 *   2. grant       pools whose connections lack a worker get one, the
 *                  pool with the fewest workers first (at once for a
 *                  pool with no worker; for a pool whose workers are all
 *                  busy, after 50 ms of shortage in which they did not
 *                  take as many connections as still wait);
 *   3. make room   at MaxRequestWorkers: the least recently used idle
 *                  worker of another user leaves; when none is idle, the
 *                  pool with the most workers gives one up after its
 *                  current connection, down to a fair share;
 *   4. spares      when nothing waits: MinSpareServers per pool, and
 *                  PeruidPreforkedWorkers workers forked ahead for no
 *                  pool yet (step 2 binds one to a pool instead of
 *                  forking); once a second, one per pool, as prefork
 *                  does, idle workers above MaxSpareServers leave.
 */

#include <errno.h>
#include <poll.h>
#include <string.h>

#include "httpd.h"
#include "apr_atomic.h"
#include "http_log.h"
#include "http_main.h"

#include "peruid.h"

/* How long a pool whose workers are all busy must stay short of workers
 * before it gets more (sched_confirm). */
#define SCHED_GROW_DELAY apr_time_from_msec(50)

/* How long after binding a preforked worker the master forks its
 * replacement (sched_look_again). */
#define SCHED_REFILL_DELAY apr_time_from_msec(100)

/* Master, root, start of a generation: the per-pool arrays. */
apr_status_t peruid_schedule_init(peruid_master_t *m)
{
    int n = m->rd->npools > 0 ? m->rd->npools : 1;

    m->ps = apr_pcalloc(m->pconf, n * sizeof(*m->ps));
    m->retire_asked = apr_pcalloc(m->pconf, n * sizeof(*m->retire_asked));
    m->pfd = apr_pcalloc(m->pconf, n * sizeof(*m->pfd));
    return APR_SUCCESS;
}

/* Master, once a second: which pools have connections queued: one poll()
 * over our copy of every pool's receive end, which we never read.  The
 * passes in between (after SPAWN records, after exits) go by the
 * counters alone: polling hundreds of channels on every SPAWN cost the
 * master more than everything else it does. */
static void sched_poll_waiting(peruid_master_t *m)
{
    peruid_retained_t *rd = m->rd;
    int i;

    for (i = 0; i < rd->npools; i++) {
        m->pfd[i].fd = rd->pools[i].chan_recv;
        m->pfd[i].events = POLLIN;
        m->pfd[i].revents = 0;
    }
    if (poll(m->pfd, (nfds_t)rd->npools, 0) <= 0) {
        return;
    }
    for (i = 0; i < rd->npools; i++) {
        m->ps[i].waiting = (m->pfd[i].revents & POLLIN) != 0;
    }
}

/* Master: set a shared counter to want unless it moved meanwhile. */
static void sched_counter_set(volatile apr_uint32_t *v, apr_int32_t want)
{
    apr_uint32_t cur = apr_atomic_read32(v);

    if ((apr_int32_t)cur != want) {
        apr_atomic_cas32(v, (apr_uint32_t)want, cur);
    }
}

/* Master, once a second: bring a pool's shared counters back to what its
 * workers do.  Routers and workers keep them with atomics, but a process
 * killed between two steps leaves them off; starting is exactly the
 * workers that show SERVER_STARTING, and with nothing queued idle is
 * exactly the ready workers.  A worker that took a connection a moment
 * ago may still show ready: that error of one is corrected a second
 * later. */
static void sched_reconcile(peruid_master_t *m, int pool)
{
    peruid_pool_stat_t *st = peruid_pool_stat(m->rd, pool);
    peruid_pool_state_t *ps = &m->ps[pool];

    if (!ps->waiting) {
        sched_counter_set(&st->idle, ps->ready);
    }
    sched_counter_set(&st->starting, ps->starting);
}

/* Master: a pool that has workers, all busy, gets more only if it is
 * still short SCHED_GROW_DELAY after it was first seen short (and seen
 * again then), and its workers did not take as many connections in that
 * time as still wait: connections that wait a moment for one of its
 * workers to finish (often one closing its previous connection), or for
 * a CPU while the machine is saturated, do not fork workers that would
 * add no CPU and then sit idle; connections that wait because the
 * workers are slow or stuck do.  A pool with no worker gets one at once.
 * Returns need, or 0 while the shortage is not confirmed. */
static int sched_confirm(peruid_master_t *m, int pool, int need,
                         apr_time_t now)
{
    peruid_pool_t *pl = &m->rd->pools[pool];
    peruid_pool_state_t *ps = &m->ps[pool];
    apr_uint32_t taken = apr_atomic_read32(&peruid_pool_stat(m->rd,
                                                             pool)->taken);

    if (need <= 0) {
        pl->short_since = 0;
        return 0;
    }
    if (ps->live - ps->leaving <= 0) {
        return need;                    /* cold: no worker at all */
    }
    if (!pl->short_since) {
        pl->short_since = now;
        pl->short_taken = taken;
    }
    else if (now >= pl->short_since + SCHED_GROW_DELAY) {
        pl->short_since = 0;
        /* unsigned: the counter wraps, and a tenant may write it */
        return taken - pl->short_taken < (apr_uint32_t)need ? need : 0;
    }
    if (!m->next_pass || pl->short_since + SCHED_GROW_DELAY < m->next_pass) {
        m->next_pass = pl->short_since + SCHED_GROW_DELAY;
    }
    return 0;
}

/* Master: the workers pool lacks for its connections: as many as the
 * routers counted (idle + starting below zero), and at least one when
 * connections wait and no worker is ready or starting.  None while the
 * pool is backing off after failed workers, or while its shortage is not
 * confirmed (sched_confirm). */
static int sched_need(peruid_master_t *m, int pool, apr_time_t now)
{
    peruid_pool_stat_t *st = peruid_pool_stat(m->rd, pool);
    peruid_pool_state_t *ps = &m->ps[pool];
    int need = -(peruid_stat_get(&st->idle) + peruid_stat_get(&st->starting));

    if (ps->waiting && ps->ready + ps->starting == 0 && need < 1) {
        need = 1;
    }
    if (need > 0) {
        ps->waiting = 1;        /* the counters say so, polled or not */
    }
    if (now < m->rd->pools[pool].next_spawn) {
        return 0;
    }
    return sched_confirm(m, pool, need, now);
}

/* Master: step 1, observe every pool.  Returns the live workers. */
static int sched_observe(peruid_master_t *m, int periodic)
{
    peruid_retained_t *rd = m->rd;
    apr_time_t now = apr_time_now();
    int i, workers = peruid_children_observe(rd, m->ps);

    m->next_pass = 0;           /* passes in between keep a refill due */
    if (m->refill_at && now >= m->refill_at) {
        m->refill_at = 0;
    }
    else if (m->refill_at) {
        m->next_pass = m->refill_at;
    }
    if (periodic) {
        sched_poll_waiting(m);  /* else: waiting stays 0, see above */
    }
    for (i = 0; i < rd->npools; i++) {
        if (periodic) {
            sched_reconcile(m, i);
        }
        m->ps[i].need = sched_need(m, i, now);
    }
    return workers;
}

/* Master: the needy pool with the fewest workers; -1 if none. */
static int sched_pick_needy(peruid_master_t *m)
{
    int i, best = -1;

    for (i = 0; i < m->rd->npools; i++) {
        if (m->ps[i].need > 0
            && (best < 0 || m->ps[i].live < m->ps[best].live)) {
            best = i;
        }
    }
    return best;
}

/* Master: a worker of pool may start now: a preforked one if one waits
 * (no fork on the request's path), else a new one. */
static int sched_fork(peruid_master_t *m, int pool)
{
    if (!peruid_children_bind(m, pool)
        && peruid_children_fork(m, PERUID_ROLE_WORKER, pool) != APR_SUCCESS) {
        return 0;
    }
    m->ps[pool].live++;
    m->ps[pool].starting++;
    return 1;
}

/* Master: the pool other than except with an idle worker not yet asked
 * to leave, more than keep of them, used least recently; -1 if none. */
static int sched_lru_idle(peruid_master_t *m, int except, int keep)
{
    int i, best = -1;
    apr_uint32_t best_t = 0, t;

    for (i = 0; i < m->rd->npools; i++) {
        peruid_pool_state_t *ps = &m->ps[i];

        if (i == except || ps->waiting || ps->ready - ps->leaving <= keep) {
            continue;
        }
        t = peruid_pool_last_used(m->rd, i);
        if (best < 0 || t < best_t) {
            best = i;
            best_t = t;
        }
    }
    return best;
}

/* Master: the busy workers of pool still asked to leave: what the
 * pool's shared counter says, but never more than the master asked for
 * (a worker runs its user's code, which could raise the counter to make
 * the master believe slots are coming) nor than the pool's workers. */
static int sched_retiring(peruid_master_t *m, int pool)
{
    int shared = peruid_stat_get(&peruid_pool_stat(m->rd, pool)->retire);
    int n = m->retire_asked[pool];

    if (shared < n) {
        n = shared > 0 ? shared : 0;
    }
    if (n > m->ps[pool].live - m->ps[pool].leaving) {
        n = m->ps[pool].live - m->ps[pool].leaving;
    }
    m->retire_asked[pool] = n;      /* units taken by workers are gone */
    return n > 0 ? n : 0;
}

/* Master: the pool other than pool with the most workers that are not
 * yet leaving, if it has more than one above pool's; -1 if none.  A
 * pool's fair share is an equal split among the users that wait. */
static int sched_biggest(peruid_master_t *m, int pool)
{
    int i, best = -1, best_n = m->ps[pool].live + 1, n;

    for (i = 0; i < m->rd->npools; i++) {
        if (i == pool) {
            continue;
        }
        n = m->ps[i].live - m->ps[i].leaving - sched_retiring(m, i);
        if (n > best_n) {
            best = i;
            best_n = n;
        }
    }
    return best;
}

/* Master: at MaxRequestWorkers, free a slot for pool: the least recently
 * used idle worker of another user leaves (pools above MinSpareServers
 * first); when every worker is busy, one worker of the biggest pool
 * leaves after its connection (the pool's retire counter, which the
 * first of its workers to finish takes).  Returns 1 if one was asked. */
static int sched_make_room(peruid_master_t *m, int pool)
{
    int victim = sched_lru_idle(m, pool, m->rd->cfg.min_spare);

    if (victim < 0) {
        victim = sched_lru_idle(m, pool, 0);
    }
    if (victim >= 0 && peruid_children_ask_idle_to_leave(m->rd, victim)) {
        m->ps[victim].leaving++;
        return 1;
    }
    victim = sched_biggest(m, pool);
    if (victim < 0) {
        return 0;
    }
    apr_atomic_inc32(&peruid_pool_stat(m->rd, victim)->retire);
    m->retire_asked[victim]++;
    return 1;
}

/* Master: workers asked to leave that have not left yet. */
static int sched_pending_leavers(peruid_master_t *m)
{
    int i, n = 0;

    for (i = 0; i < m->rd->npools; i++) {
        n += m->ps[i].leaving + sched_retiring(m, i);
    }
    return n;
}

/* Master: nobody waits any more; a request to retire that no worker took
 * yet is withdrawn. */
static void sched_withdraw_retire(peruid_master_t *m)
{
    int i;

    for (i = 0; i < m->rd->npools; i++) {
        peruid_pool_stat_t *st = peruid_pool_stat(m->rd, i);

        if (apr_atomic_read32(&st->retire)) {
            apr_atomic_set32(&st->retire, 0);
        }
        m->retire_asked[i] = 0;
    }
}

/* Master, root: pass again SCHED_REFILL_DELAY after a preforked worker was
 * bound.  Its pool still counts as waiting in this pass, which holds back
 * every spare (step 4); that later pass finds the connection covered and
 * forks the replacement, instead of a second later.  Not at once: the
 * fork and the new worker's setup would compete for the CPU with the
 * first request the bound worker serves (they made it 5 ms slower on a
 * 2-core machine). */
static void sched_look_again(peruid_master_t *m)
{
    apr_time_t when = apr_time_now() + SCHED_REFILL_DELAY;

    if (!m->refill_at || when < m->refill_at) {
        m->refill_at = when;
    }
    if (!m->next_pass || m->refill_at < m->next_pass) {
        m->next_pass = m->refill_at;
    }
}

/* Master: steps 2 and 3; *workers counts the live workers.  Returns the
 * workers still lacking. */
static int sched_grant(peruid_master_t *m, int *workers)
{
    int pool, unmet = 0, i, pending;

    while ((pool = sched_pick_needy(m)) >= 0) {
        if (peruid_children_bind(m, pool)) {
            m->ps[pool].need--;         /* a preforked worker: it already */
            m->ps[pool].live++;         /* counts among the workers      */
            m->ps[pool].starting++;
            sched_look_again(m);
            continue;
        }
        if (*workers >= m->rd->cfg.max_workers
            || !peruid_children_have_slot(m->rd)) {
            break;
        }
        if (peruid_children_fork(m, PERUID_ROLE_WORKER, pool)
            != APR_SUCCESS) {
            m->ps[pool].need = 0;
            continue;
        }
        m->ps[pool].live++;
        m->ps[pool].starting++;
        m->ps[pool].need--;
        (*workers)++;
    }
    for (i = 0; i < m->rd->npools; i++) {
        unmet += m->ps[i].need;
    }
    if (!unmet) {
        return 0;
    }
    /* the slots of workers already leaving go to the neediest pools
     * first; only what they do not cover asks more workers to leave */
    pending = sched_pending_leavers(m);
    while ((pool = sched_pick_needy(m)) >= 0) {
        if (pending > 0) {
            pending--;
        }
        else if (!sched_make_room(m, pool)) {
            break;
        }
        m->ps[pool].need--;
        m->ps[pool].live++;     /* the slot is promised to it */
    }
    return unmet;
}

/* Master: step 4.  When no connection waits anywhere (a slot one pool
 * gave up for another is not taken back for a spare): MinSpareServers in
 * every configured pool, within MaxRequestWorkers.  Once a second, one
 * idle worker of each pool above MaxSpareServers leaves. */
static void sched_spares(peruid_master_t *m, int workers, int periodic)
{
    peruid_retained_t *rd = m->rd;
    apr_time_t now = apr_time_now();
    int i, n, waiting = 0;

    for (i = 0; i < rd->npools; i++) {
        waiting |= m->ps[i].waiting;
    }
    for (i = 0; i < rd->npools; i++) {
        peruid_pool_state_t *ps = &m->ps[i];

        n = rd->cfg.min_spare - (ps->ready - ps->leaving) - ps->starting;
        while (!waiting && rd->pools[i].in_config && n-- > 0
               && workers < rd->cfg.max_workers
               && now >= rd->pools[i].next_spawn && sched_fork(m, i)) {
            workers++;
        }
        if (periodic && !ps->waiting
            && ps->ready - ps->leaving > rd->cfg.max_spare) {
            peruid_children_ask_idle_to_leave(rd, i);
        }
    }
    n = rd->cfg.preforked - peruid_children_preforked(rd);
    while (!waiting && n-- > 0 && workers < rd->cfg.max_workers
           && peruid_children_fork(m, PERUID_ROLE_WORKER, -1) == APR_SUCCESS) {
        workers++;
    }
}

/* Master: one scheduling pass (see the top of this file). */
void peruid_schedule(peruid_master_t *m, int periodic)
{
    int workers;

    if (m->no_workers) {
        m->next_pass = 0;
        return;
    }
    workers = sched_observe(m, periodic);
    if (sched_grant(m, &workers) == 0) {
        sched_withdraw_retire(m);
        sched_spares(m, workers, periodic);
    }
}
