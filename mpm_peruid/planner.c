/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * planner.c -- which pool gets the next worker, whose workers leave to
 * make room, which spares to keep: the master's policy, as a pure
 * function of the facts of one pass (planner.h).  Runs in the master
 * (root) when schedule.c calls it, and in the unit tests; it makes no
 * system call and keeps no state: what it must remember between passes
 * it hands back in plan_t.memory.
 *
 * One pass:
 *   1. need     every pool: the workers it lacks for the connections in
 *               its channel (plan_need), confirmed (plan_confirm);
 *   2. grant    pools that lack workers get them, the pool with the
 *               fewest workers first: a preforked worker bound, else a
 *               fork, while fewer than MaxRequestWorkers are busy, the
 *               workers stay within MaxRequestWorkers plus
 *               PeruidWarmWorkers, and slots are free;
 *   3. room     at a bound: workers already leaving cover the rest first;
 *               then the least recently used pool that has nothing
 *               queued gives a worker up (pools with more than one
 *               first; when MaxRequestWorkers are busy, only a pool with
 *               a busy worker: an idle worker's exit frees no busy slot);
 *               else the pool with the most workers, above the needy
 *               pool's, gives one up after its current connection;
 *   4. spares   when nothing is queued anywhere, counted server-wide:
 *               each pool keeps its first idle worker until unused for
 *               PeruidIdleTimeout, at most MaxSpareServers more in all,
 *               at least MinSpareServers idle in all (for the users used
 *               last); PeruidPreforkedWorkers for no pool yet;
 *   5. grace    a worker asked to leave longer than leave_grace ago is
 *               killed: a tenant that ignores the request keeps nothing.
 *
 * Beside the actions, the plan says which bound held back each pool in
 * this pass (held_by: its share in step 1, MaxRequestWorkers in step 2),
 * for the master's rate-limited warnings (schedule.c).
 */

#include <limits.h>
#include <string.h>

#include "planner.h"

/* Planner: add an action, if there is room for it (there always is when
 * the caller sized the array as schedule.c does; a full array only
 * shortens this pass). */
static int plan_add(plan_t *out, plan_kind_e kind, int pool, int slot)
{
    if (out->nactions >= out->max_actions) {
        return 0;
    }
    out->actions[out->nactions].kind = kind;
    out->actions[out->nactions].pool = pool;
    out->actions[out->nactions].slot = slot;
    out->nactions++;
    return 1;
}

/* Planner: look again at when (the earliest wins). */
static void plan_look_at(plan_t *out, apr_time_t when)
{
    if (!out->next_pass || when < out->next_pass) {
        out->next_pass = when;
    }
}

/* Planner: a pool whose workers are all busy gets more only if it is
 * still short grow_delay after it was first seen short, and its workers
 * took fewer connections in that time than still lack a worker:
 * connections that wait a moment for a worker to finish (often one
 * closing its previous connection), or for a CPU on a saturated machine,
 * do not fork workers that would add no CPU and then sit idle;
 * connections that wait because the workers are slow or stuck do.  A
 * pool with no worker gets one at once.  Returns the need confirmed. */
static int plan_confirm(const plan_facts_t *f, int i, int need,
                        plan_t *out)
{
    const plan_pool_t *p = &f->pools[i];
    plan_memory_t *mem = &out->memory[i];

    if (need <= 0) {
        mem->short_since = 0;
        return 0;
    }
    if (p->live - p->leaving <= 0) {
        return need;                    /* cold: no worker at all */
    }
    if (!mem->short_since) {
        mem->short_since = f->now;
        mem->short_took = p->took;
    }
    else if (f->now >= mem->short_since + f->grow_delay) {
        mem->short_since = 0;
        /* unsigned: the count wraps */
        return p->took - mem->short_took < (apr_uint32_t)need ? need : 0;
    }
    plan_look_at(out, mem->short_since + f->grow_delay);
    return 0;
}

/* Planner: how many more workers pool i may have under its cap (a
 * large number when there is none). */
static int plan_headroom(const plan_facts_t *f, int i)
{
    const plan_pool_t *p = &f->pools[i];

    if (f->user_cap <= 0) {
        return INT_MAX;
    }
    /* leaving workers count until they are gone: one that ignores the
     * request to leave still holds its slot */
    return f->user_cap - p->live;
}

/* Planner: the workers pool i lacks: its queued connections less the
 * workers about to take them (starting, or idle and waking up), and at
 * least one while connections are queued and no worker is left; never
 * more than its cap leaves room for (user_cap: one user's connections,
 * however many or slow, leave the other users their share; the pool is
 * then marked PLAN_HELD_SHARE).  None while the pool backs off after
 * failed workers. */
static int plan_need(const plan_facts_t *f, int i, plan_t *out)
{
    const plan_pool_t *p = &f->pools[i];
    int need = p->queued - p->starting - (p->idle > 0 ? p->idle : 0);
    int room = plan_headroom(f, i);

    if (p->queued > 0 && p->live - p->leaving <= 0 && need < 1) {
        need = 1;
    }
    if (p->backing_off) {
        need = 0;
    }
    if (need > room) {
        out->held_by[i] |= need > 0 ? PLAN_HELD_SHARE : 0;
        need = room;
    }
    return p->backing_off ? 0 : plan_confirm(f, i, need, out);
}

/* Planner: the workers pool i has that are not leaving (granted ones
 * included). */
static int plan_staying(const plan_t *out, int i)
{
    return out->work[i].live - out->work[i].leaving;
}

/* Planner: the pool that lacks workers and has the fewest that stay (a
 * pool whose workers all leave is as cold as one with none); -1 if
 * none. */
static int plan_neediest(const plan_facts_t *f, const plan_t *out)
{
    int i, best = -1;

    for (i = 0; i < f->npools; i++) {
        if (out->work[i].need > 0
            && (best < 0 || plan_staying(out, i) < plan_staying(out, best))) {
            best = i;
        }
    }
    return best;
}

/* Planner: did this pass count every pool's idle workers?  Not on the
 * passes between the once-a-second ones, nor when the kernel would not
 * tell the master (children.c, children_unknown). */
static int plan_idle_known(const plan_facts_t *f)
{
    int i;

    for (i = 0; i < f->npools; i++) {
        if (f->pools[i].idle < 0) {
            return 0;
        }
    }
    return f->npools > 0;
}

/* Planner: the workers that may be serving a connection: all but the
 * idle ones and the preforked ones not bound yet.  When this pass did
 * not count the idle workers, every worker counts as busy: the planner
 * then forks nothing beyond MaxRequestWorkers. */
static int plan_busy(const plan_facts_t *f)
{
    int i, busy = f->workers - f->unbound;

    if (!plan_idle_known(f)) {
        return busy;
    }
    for (i = 0; i < f->npools; i++) {
        busy -= f->pools[i].idle;
    }
    return busy;
}

/* Planner: step 2.  Returns the live workers after the grants; *busy
 * becomes the busy ones. */
static int plan_grant(const plan_facts_t *f, plan_t *out, int *busy)
{
    int i, workers = f->workers, unbound = f->unbound;
    int free_slots = f->free_slots;

    while ((i = plan_neediest(f, out)) >= 0 && *busy < f->max_workers) {
        if (unbound > 0) {
            unbound--;                  /* already counted in workers */
            plan_add(out, PLAN_BIND, i, -1);
            plan_look_at(out, f->now + f->refill_delay);
        }
        else if (workers < f->max_workers + f->max_warm && free_slots > 0) {
            workers++;
            free_slots--;
            plan_add(out, PLAN_FORK, i, -1);
        }
        else {
            break;
        }
        ++*busy;
        out->work[i].need--;
        out->work[i].live++;
    }
    return workers;
}

/* Planner: with MaxRequestWorkers busy after step 2, the pools whose
 * need it left unmet are marked PLAN_HELD_MAX; so are the pools the
 * routers held a connection for (they hold only at MaxRequestWorkers
 * requests in flight, gate.h), whatever this pass counted. */
static void plan_held_max(const plan_facts_t *f, plan_t *out, int busy)
{
    int i;

    for (i = 0; i < f->npools; i++) {
        if (f->pools[i].held
            || (busy >= f->max_workers && out->work[i].need > 0)) {
            out->held_by[i] |= PLAN_HELD_MAX;
        }
    }
}

/* Planner: the pool other than except with nothing queued or held and
 * more than keep workers not leaving, used least recently; with
 * busy_only, one of
 * them busy (its connection ends soon, and nothing waits for it); -1 if
 * none. */
static int plan_lru(const plan_facts_t *f, const plan_t *out, int except,
                    int keep, int busy_only)
{
    int i, best = -1;

    for (i = 0; i < f->npools; i++) {
        const plan_work_t *w = &out->work[i];
        int idle = f->pools[i].idle > 0 ? f->pools[i].idle : 0;

        if (i == except || f->pools[i].queued > 0 || f->pools[i].held
            || w->live - w->leaving <= keep
            || (busy_only && w->live - w->leaving - idle <= 0)) {
            continue;
        }
        if (best < 0 || f->pools[i].last_used < f->pools[best].last_used) {
            best = i;
        }
    }
    return best;
}

/* Planner: the pool other than pool with the most workers not leaving,
 * if that is more than one above pool's own; -1 if none. */
static int plan_biggest(const plan_facts_t *f, const plan_t *out, int pool)
{
    int i, best = -1, best_n = out->work[pool].live + 1, n;

    for (i = 0; i < f->npools; i++) {
        n = out->work[i].live - out->work[i].leaving;
        if (i != pool && n > best_n) {
            best = i;
            best_n = n;
        }
    }
    return best;
}

/* Planner: at a bound, one worker of another pool leaves for pool (see
 * step 3); idle_helps: the process bound, not the busy one, stopped the
 * grant, so an idle worker's exit makes room; else only a busy one's
 * does.  Returns 1 if one was asked. */
static int plan_make_room(const plan_facts_t *f, plan_t *out, int pool,
                          int idle_helps)
{
    int victim = plan_lru(f, out, pool, 1, !idle_helps);

    if (victim < 0) {
        victim = plan_lru(f, out, pool, 0, !idle_helps);
    }
    if (victim < 0) {
        victim = plan_biggest(f, out, pool);
    }
    if (victim < 0 || !plan_add(out, idle_helps ? PLAN_LEAVE : PLAN_LEAVE_BUSY,
                                victim, -1)) {
        return 0;
    }
    out->work[victim].leaving++;
    return 1;
}

/* Planner: step 3, for the need step 2 left, with busy workers busy.
 * Returns the workers still lacking. */
static int plan_room(const plan_facts_t *f, plan_t *out, int busy)
{
    int i, unmet = 0, pending = 0;
    int idle_helps = busy < f->max_workers;

    for (i = 0; i < f->npools; i++) {
        unmet += out->work[i].need;
    }
    /* only recent requests to leave are counted on: a worker that was
     * idle leaves at once, and one that ignores the request (it runs its
     * user's code) must not hold the others' slots until its grace ends */
    for (i = 0; i < f->nleavers; i++) {
        pending += f->now < f->leavers[i].asked_at + f->pending_window;
    }
    if (!unmet) {
        return 0;
    }
    /* the slots of workers already leaving go to the neediest pools
     * first; only what they do not cover asks more workers to leave */
    while ((i = plan_neediest(f, out)) >= 0) {
        if (pending > 0) {
            pending--;
        }
        else if (!plan_make_room(f, out, i, idle_helps)) {
            break;
        }
        out->work[i].need--;
        out->work[i].live++;            /* the slot is promised to it */
    }
    return unmet;
}

/* Planner: the pool, among those not marked in this pass and accepted
 * by want, used least recently (oldest) or most recently (!oldest); -1
 * if none. */
static int plan_by_use(const plan_facts_t *f, const plan_t *out, int oldest,
                       int (*want)(const plan_facts_t *, int))
{
    int i, best = -1;

    for (i = 0; i < f->npools; i++) {
        if (out->work[i].marked || !want(f, i)) {
            continue;
        }
        if (best < 0
            || (oldest ? f->pools[i].last_used < f->pools[best].last_used
                       : f->pools[i].last_used > f->pools[best].last_used)) {
            best = i;
        }
    }
    return best;
}

/* Planner: pool i has idle workers beyond its first. */
static int plan_has_extra(const plan_facts_t *f, int i)
{
    return f->pools[i].idle > 1;
}

/* Planner: pool i's last idle worker is unused longer than
 * PeruidIdleTimeout (the others leave by themselves, one a second, as
 * their own timeouts run out: worker_retire_idle). */
static int plan_is_stale(const plan_facts_t *f, int i)
{
    apr_uint32_t used = f->pools[i].last_used;

    /* a router's clock may be a second ahead of the master's sample */
    return f->pools[i].idle == 1 && used < f->now_sec
           && f->now_sec - used > f->idle_timeout_sec;
}

/* Planner: pool i may get a spare worker. */
static int plan_may_spare(const plan_facts_t *f, int i)
{
    const plan_pool_t *p = &f->pools[i];

    return p->in_config && !p->backing_off && plan_headroom(f, i) > 0;
}

/* Planner: ask one worker of pool i to leave, once per pass. */
static void plan_leave_once(plan_t *out, int i)
{
    if (plan_add(out, PLAN_LEAVE, i, -1)) {
        out->work[i].marked = 1;
    }
}

/* Planner: the idle workers of a pass that looked (idle >= 0), counted
 * server-wide as prefork counts its spares: every pool keeps its first
 * idle worker until it is unused for PeruidIdleTimeout; the others are
 * spares, at most MaxSpareServers of them in all (the least recently used
 * pools' go first, one per pool and second); and the server keeps at
 * least MinSpareServers idle or starting workers, forked for the users
 * used most recently.  So Debian's 5/5/10 mean five and ten workers for
 * the whole server, not for every user.  Returns the forks made. */
static int plan_idle_budget(const plan_facts_t *f, plan_t *out, int room)
{
    int i, idle = 0, starting = 0, extra = 0, forks = 0;

    for (i = 0; i < f->npools; i++) {
        idle += f->pools[i].idle;
        starting += f->pools[i].starting;
        extra += f->pools[i].idle > 1 ? f->pools[i].idle - 1 : 0;
        out->work[i].marked = 0;
    }
    if (f->periodic) {
        for (; extra > f->max_spare
               && (i = plan_by_use(f, out, 1, plan_has_extra)) >= 0;
             extra--, idle--) {
            plan_leave_once(out, i);
        }
        for (; idle > f->min_spare
               && (i = plan_by_use(f, out, 1, plan_is_stale)) >= 0; idle--) {
            plan_leave_once(out, i);
        }
    }
    while (idle + starting + forks < f->min_spare && forks < room
           && (i = plan_by_use(f, out, 0, plan_may_spare)) >= 0
           && plan_add(out, PLAN_FORK, i, -1)) {
        out->work[i].marked = 1;
        forks++;
    }
    return forks;
}

/* Planner: step 4, when nothing is queued anywhere (a slot given up for
 * a waiting connection is not retaken for a spare): the idle budget
 * (plan_idle_budget) in a pass that looked at the idle workers, and
 * PeruidPreforkedWorkers workers for no pool yet. */
static void plan_spares(const plan_facts_t *f, plan_t *out, int workers)
{
    int i, n, free_slots = f->free_slots - (workers - f->workers);
    int room;

    for (i = 0; i < f->npools; i++) {
        if (f->pools[i].queued > 0) {
            return;
        }
    }
    room = f->max_workers + f->max_warm - workers;
    room = room < free_slots ? room : free_slots;
    if (plan_idle_known(f)) {
        n = plan_idle_budget(f, out, room > 0 ? room : 0);
        workers += n;
        free_slots -= n;
    }
    n = f->preforked - f->prefork_live;
    while (n-- > 0 && workers < f->max_workers + f->max_warm
           && free_slots > 0
           && plan_add(out, PLAN_FORK, -1, -1)) {
        workers++;
        free_slots--;
    }
}

/* Planner: step 5. */
static void plan_grace(const plan_facts_t *f, plan_t *out)
{
    int i;

    for (i = 0; i < f->nleavers; i++) {
        const plan_leaver_t *l = &f->leavers[i];

        if (f->now >= l->asked_at + f->leave_grace) {
            plan_add(out, PLAN_KILL, l->pool, l->slot);
        }
        else {
            plan_look_at(out, l->asked_at + f->leave_grace);
        }
    }
}

/* Master (or a unit test): see planner.h. */
void peruid_plan(const plan_facts_t *f, plan_t *out)
{
    int i, workers, busy;

    out->nactions = 0;
    out->next_pass = 0;
    if (out->memory != f->memory) {
        memcpy(out->memory, f->memory, f->npools * sizeof(*out->memory));
    }
    for (i = 0; i < f->npools; i++) {
        out->work[i].live = f->pools[i].live;
        out->work[i].leaving = f->pools[i].leaving;
        out->held_by[i] = 0;
        out->work[i].need = plan_need(f, i, out);
    }
    plan_grace(f, out);
    busy = plan_busy(f);
    workers = plan_grant(f, out, &busy);
    plan_held_max(f, out, busy);
    out->unmet = plan_room(f, out, busy);
    if (!out->unmet) {
        plan_spares(f, out, workers);
    }
}
