/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * schedule.c -- the master's scheduling pass: gather the facts, let the
 * planner decide (planner.c, a pure function), carry out its actions.
 *
 * Runs in the master only, as root, and reads no client byte.  One pass
 * (peruid_schedule) runs after a router asked for a worker, after a child
 * exited, and once a second.  The facts, and who produces them:
 *
 *   live, leaving, starting   the master's own child table (children.c);
 *                             starting ends when the kernel shows the
 *                             worker waiting for a connection;
 *   idle                      the kernel: workers blocked in recvmsg() on
 *                             their channel (once a second, and at
 *                             MaxRequestWorkers when a connection waits,
 *                             queued or held, at most every 100 ms);
 *   queued                    the kernel: records in the pool's channel
 *                             (FIONREAD on the master's copy of its
 *                             receive end, which it never reads);
 *   took                      the routers' count of connections sent to
 *                             the pool, less those still queued;
 *   last_used, held           the routers' page;
 *   backing_off               the master (children.c).
 *
 * After the plan is carried out, the pass writes the gate's facts on the
 * routers' page: each pool's live workers and, from the idle workers and
 * the queue, the adjust of its requests in flight (gate.h).  And when a
 * bound held a user back (the plan's held_by), it says so: its share
 * (PU00153), MaxRequestWorkers (PU00154), each at most once a minute
 * (capwarn.c).
 *
 * Workers write none of them: the pools' counter pages and the
 * scoreboard, which workers can write, only hint routers when to ask for
 * a pass, and show mod_status what happens.
 */

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/ioctl.h>

#include "httpd.h"
#include "apr_atomic.h"
#include "apr_strings.h"
#include "http_log.h"
#include "http_main.h"

#include "peruid.h"
#include "master.h"
#include "channel.h"
#include "planner.h"
#include "gate.h"
#include "vhostcap.h"
#include "exprpool.h"
#include "status.h"
#include "segments.h"

/* How long a pool whose workers are all busy must stay short of workers
 * before it gets more (planner.c, plan_confirm). */
#define SCHED_GROW_DELAY apr_time_from_msec(50)

/* How long after binding a preforked worker the master looks again, to
 * fork its replacement.  Not at once: the fork and the new worker's setup
 * would compete for the CPU with the first request the bound worker
 * serves (docs/benchmarks.md, 815eb3d). */
#define SCHED_REFILL_DELAY apr_time_from_msec(100)

/* At MaxRequestWorkers, how often a pass reads every worker's state
 * from the kernel (/proc/PID/syscall, some 40 us a worker); the passes
 * routers ask for in between wait for it.  Every pass did, and with 200
 * users and MaxRequestWorkers 64 that took a quarter of a CPU. */
#define SCHED_IDLE_GAP apr_time_from_msec(100)

/* How long a worker asked to leave counts as a slot about to come free
 * for another pool (planner.c, plan_room). */
#define SCHED_PENDING_WINDOW apr_time_from_sec(1)

/* At most one line per user (PU00153), and one for the server (PU00154),
 * in so long: a bound reached is a state that lasts, and prefork's
 * AH00161 says it once. */
#define SCHED_CAP_WARN_GAP apr_time_from_sec(60)

/* The users PU00154 names; the others are counted. */
#define SCHED_CAP_WARN_NAMES 3

/* Master, root, start of a generation: the planner's arrays. */
apr_status_t peruid_schedule_init(peruid_master_t *m)
{
    int n = m->rd->npools > 0 ? m->rd->npools : 1;
    int slots = m->rd->first_server_limit;

    m->plan_pools = apr_pcalloc(m->pconf, n * sizeof(*m->plan_pools));
    m->plan_memory = apr_pcalloc(m->pconf, n * sizeof(*m->plan_memory));
    m->plan_work = apr_pcalloc(m->pconf, n * sizeof(*m->plan_work));
    m->leavers = apr_pcalloc(m->pconf, slots * sizeof(*m->leavers));
    /* a pass asks at most one action per slot for each of grant, room,
     * spares and grace, and one leave per pool for MaxSpareServers */
    m->max_actions = 4 * slots + n + PERUID_MAX_PREFORKED;
    m->actions = apr_pcalloc(m->pconf, m->max_actions * sizeof(*m->actions));
    m->watch = apr_pcalloc(m->pconf, n);
    m->pfd = apr_pcalloc(m->pconf, n * sizeof(*m->pfd));
    m->gate_sent = apr_pcalloc(m->pconf, n * sizeof(*m->gate_sent));
    m->gate_done = apr_pcalloc(m->pconf, n * sizeof(*m->gate_done));
    m->plan_held = apr_pcalloc(m->pconf, n);
    m->cap_user = apr_pcalloc(m->pconf, n * sizeof(*m->cap_user));
    return APR_SUCCESS;
}

/* Master: a router asked for a worker of pool: look at its queue in the
 * passes to come, until it is empty. */
void peruid_schedule_watch(peruid_master_t *m, int pool)
{
    if (pool >= 0 && pool < m->rd->npools) {
        m->watch[pool] = 1;
    }
}

/* Master, once a second: which pools have connections queued, with one
 * poll() over our copy of every pool's receive end; those are watched.
 * The passes in between look only at watched pools: asking hundreds of
 * channels on every pass cost the master more than everything else it
 * does. */
static void sched_poll_queues(peruid_master_t *m)
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
        m->watch[i] |= (m->pfd[i].revents & POLLIN) != 0;
    }
}

/* Master: the connections queued in pool's channel, as the kernel counts
 * them (the bytes of whole records waiting in its receive queue). */
static int sched_queued(peruid_master_t *m, int pool)
{
    int bytes = 0;

    if (ioctl(m->rd->pools[pool].chan_recv, FIONREAD, &bytes) < 0
        || bytes < 0) {
        return 0;
    }
    return bytes / (int)sizeof(peruid_msg_t);
}

/* Master: the routers' and the kernel's facts of pool i.  The queue is
 * read before the routers' count: a connection sent in between counts as
 * taken for a moment, never as one no worker took. */
static void sched_pool_facts(peruid_master_t *m, int i, apr_time_t now)
{
    peruid_retained_t *rd = m->rd;
    plan_pool_t *p = &m->plan_pools[i];

    p->queued = 0;
    if (m->watch[i] || m->plan_memory[i].short_since) {
        p->queued = sched_queued(m, i);
        m->watch[i] = p->queued > 0;
    }
    p->took = peruid_pool_sent(rd, i) - (apr_uint32_t)p->queued;
    p->last_used = peruid_pool_last_used(rd, i);
    p->held = peruid_pool_was_held(rd, i, (apr_uint32_t)apr_time_sec(
                                              now - rd->epoch));
    p->in_config = rd->pools[i].in_config;
    p->backing_off = now < rd->pools[i].next_spawn;
}

/* Master: the workers one pool may have (PeruidMaxUserShare of
 * MaxRequestWorkers, at least one); 0, no cap, when the configuration
 * names a single user. */
static int sched_user_cap(peruid_retained_t *rd)
{
    int i, users = 0, cap;

    for (i = 0; i < rd->npools && users < 2; i++) {
        users += rd->pools[i].in_config;
    }
    if (users < 2) {
        return 0;
    }
    cap = peruid_settings()->max_workers * peruid_settings()->user_share
          / 100;
    return cap > 0 ? cap : 1;
}

/* Master: step 1, every fact of this pass into f.  Returns 0 when the
 * pass must wait for SCHED_IDLE_GAP (see there; m->next_pass is set). */
static int sched_facts(peruid_master_t *m, plan_facts_t *f, int periodic)
{
    peruid_retained_t *rd = m->rd;
    const peruid_settings_t *cfg = peruid_settings();
    int i, look_idle, waiting;
    apr_time_t mono;

    memset(f, 0, sizeof(*f));
    f->now = apr_time_now();
    f->periodic = periodic;
    f->max_workers = cfg->max_workers;
    f->max_warm = cfg->warm;
    f->min_spare = cfg->min_spare;
    f->max_spare = cfg->max_spare;
    f->preforked = cfg->preforked;
    f->user_cap = sched_user_cap(rd);
    f->now_sec = (apr_uint32_t)apr_time_sec(f->now - rd->epoch);
    f->idle_timeout_sec = (apr_uint32_t)apr_time_sec(cfg->idle_timeout);
    f->grow_delay = SCHED_GROW_DELAY;
    f->refill_delay = SCHED_REFILL_DELAY;
    f->leave_grace = m->s->timeout;     /* Timeout: one request's worth */
    f->pending_window = SCHED_PENDING_WINDOW;
    f->npools = rd->npools;
    f->pools = m->plan_pools;
    f->memory = m->plan_memory;
    f->leavers = m->leavers;
    if (periodic) {
        sched_poll_queues(m);
    }
    /* the gate's counts (sched_gate_publish): sent before the queues and
     * the workers are read, done after, so that a connection sent or
     * finished meanwhile is counted as in flight, never as not */
    for (i = 0; i < rd->npools; i++) {
        m->gate_sent[i] = peruid_pool_sent(rd, i);
    }
    waiting = 0;
    for (i = 0; i < rd->npools; i++) {
        sched_pool_facts(m, i, f->now);
        waiting |= m->plan_pools[i].queued > 0 || m->plan_pools[i].held;
    }
    /* at MaxRequestWorkers, only the idle workers tell whether another
     * may be forked (planner.c, plan_busy), or a busy slot made: look at
     * them when a connection waits, at most every SCHED_IDLE_GAP; a pass
     * before then would decide without them, so it waits */
    look_idle = periodic
                || (waiting && peruid_children_count(rd, PERUID_ROLE_WORKER,
                                                     -1)
                               >= cfg->max_workers);
    mono = peruid_chan_clock();
    if (look_idle && !periodic && mono < m->idle_looked + SCHED_IDLE_GAP) {
        m->next_pass = f->now + (m->idle_looked + SCHED_IDLE_GAP - mono);
        return 0;
    }
    if (look_idle) {
        m->idle_looked = mono;
    }
    m->gate_looked = look_idle;
    peruid_children_observe(rd, f, m->plan_pools, m->leavers, look_idle);
    for (i = 0; look_idle && i < rd->npools; i++) {
        m->gate_done[i] = apr_atomic_read32(&peruid_pool_stat(rd, i)->done);
    }
    return 1;
}

/* Master, once a second: bring a pool's shared counters, the routers'
 * hints (router_dispatch), back to what the kernel showed: idle is the
 * waiting workers when nothing is queued, starting what our table says;
 * a pool without workers serves no request of a MaxClientsVHost vhost.
 * A process killed between two steps leaves them off otherwise. */
static void sched_reconcile(peruid_master_t *m, const plan_facts_t *f)
{
    int i;

    for (i = 0; i < f->npools; i++) {
        peruid_pool_stat_t *st = peruid_pool_stat(m->rd, i);
        const plan_pool_t *p = &f->pools[i];

        if (p->idle >= 0 && p->queued == 0) {
            apr_atomic_set32(&st->idle, (apr_uint32_t)p->idle);
        }
        apr_atomic_set32(&st->starting, (apr_uint32_t)p->starting);
        if (p->live == 0) {
            peruid_vhostcap_reset(st);  /* no request of it is served */
        }
    }
}

/* Master: the gate's facts on the routers' page (gate.h).  Each pool's
 * adjust is rewritten from the kernel when this pass looked at its idle
 * workers; then every pool's live workers, counted after the plan was
 * carried out, and their total. */
static void sched_gate_publish(peruid_master_t *m, const plan_facts_t *f)
{
    peruid_retained_t *rd = m->rd;
    apr_uint32_t total = 0;
    int i;

    int known = 1;

    /* a pass that asked the kernel and was refused (PU00056) leaves the
     * adjusts as they are, and a count it cannot correct must not hold
     * connections: the gate is off until the kernel answers again */
    if (m->gate_looked) {
        for (i = 0; i < f->npools; i++) {
            known &= f->pools[i].idle >= 0;
        }
        m->gate_off = !known;
    }
    for (i = 0; i < f->npools; i++) {
        const plan_pool_t *p = &f->pools[i];

        if (p->idle >= 0) {
            /* a router may see the old adjust with the new done_pass for
             * a moment: a count too high, never too low */
            apr_atomic_set32(&rd->adjust[i], peruid_gate_adjust(
                m->gate_sent[i], m->gate_done[i], p->live, p->idle,
                p->queued));
            apr_atomic_set32(&rd->done_pass[i], m->gate_done[i]);
        }
        m->plan_work[i].live = 0;
    }
    for (i = 0; i < peruid_settings()->server_limit; i++) {
        const peruid_slot_t *sl = &rd->slots[i];

        if (sl->role == PERUID_ROLE_WORKER && sl->pool >= 0
            && sl->pool < f->npools) {
            m->plan_work[sl->pool].live++;
        }
    }
    for (i = 0; i < f->npools; i++) {
        apr_atomic_set32(&rd->live[i], (apr_uint32_t)m->plan_work[i].live);
        total += (apr_uint32_t)m->plan_work[i].live;
    }
    apr_atomic_set32(&rd->gate->live_total, m->gate_off ? 0 : total);
}

/* Master: carry out one action of the plan. */
static void sched_do(peruid_master_t *m, const plan_action_t *a,
                     apr_time_t now)
{
    switch (a->kind) {
    case PLAN_BIND:
        /* a failed bind still holds its slot: the next pass decides */
        if (m->rd->pools[a->pool].expr == PERUID_EXPR_NONE) {
            peruid_children_bind(m, a->pool);
            m->watch[a->pool] = 1;
            break;
        }
        /* an Expr user's slot: a preforked worker's table may be older
         * than its user (exprpool.c), so a worker is forked for it */
        /* fall through */
    case PLAN_FORK:
        if (peruid_children_fork(m, PERUID_ROLE_WORKER, a->pool)
            == APR_SUCCESS && a->pool >= 0) {
            m->watch[a->pool] = 1;
        }
        break;
    case PLAN_LEAVE:
    case PLAN_LEAVE_BUSY:
        peruid_children_ask_to_leave(m->rd, a->pool,
                                     a->kind == PLAN_LEAVE_BUSY, now);
        break;
    case PLAN_KILL:
        peruid_children_kill(m, a->slot, now);
        break;
    }
}

/* Master: pool's user for a log line: its name, or #UID. */
static const char *sched_user(const peruid_pool_t *pl, char *buf,
                              size_t size)
{
    if (pl->user) {
        return pl->user;
    }
    apr_snprintf(buf, size, "#%ld", (long)pl->uid);
    return buf;
}

/* Master: PU00153 for each user its share held back in this pass, at
 * most once per SCHED_CAP_WARN_GAP per user (capwarn.c decides). */
static void sched_warn_share(peruid_master_t *m, const plan_facts_t *f,
                             apr_time_t mono)
{
    const peruid_settings_t *cfg = peruid_settings();
    char num[24];
    apr_uint32_t n;
    int i;

    for (i = 0; i < f->npools; i++) {
        const peruid_pool_t *pl = &m->rd->pools[i];

        if (!(m->plan_held[i] & PLAN_HELD_SHARE)
            || !(n = peruid_capwarn_pass(&m->cap_user[i], 1, mono,
                                         SCHED_CAP_WARN_GAP))) {
            continue;
        }
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, ap_server_conf,
                     PERUID_LOGNO(00153) "user %.64s (uid %ld) reached its "
                     "PeruidMaxUserShare (%d%% of MaxRequestWorkers %d: %d "
                     "workers): %d of its connections wait for one of its "
                     "workers (%lu pass%s found it so since the last such "
                     "line), consider raising PeruidMaxUserShare",
                     sched_user(pl, num, sizeof(num)), (long)pl->uid,
                     cfg->user_share, cfg->max_workers, f->user_cap,
                     f->pools[i].queued, (unsigned long)n,
                     n == 1 ? "" : "es");
    }
}

/* Master: PU00154 when MaxRequestWorkers held a user back in this pass,
 * at most once per SCHED_CAP_WARN_GAP for the server, naming the first
 * SCHED_CAP_WARN_NAMES users it held back (prefork's AH00161 names
 * none: it has one user). */
static void sched_warn_max(peruid_master_t *m, const plan_facts_t *f,
                           apr_time_t mono)
{
    char who[SCHED_CAP_WARN_NAMES * 100 + 32], num[24];
    apr_size_t len = 0;
    apr_uint32_t n;
    int i, named = 0, held = 0;

    for (i = 0; i < f->npools; i++) {
        held += (m->plan_held[i] & PLAN_HELD_MAX) != 0;
    }
    if (!(n = peruid_capwarn_pass(&m->cap_server, held > 0, mono,
                                  SCHED_CAP_WARN_GAP))) {
        return;
    }
    who[0] = '\0';
    for (i = 0; i < f->npools && named < SCHED_CAP_WARN_NAMES; i++) {
        const peruid_pool_t *pl = &m->rd->pools[i];

        if (m->plan_held[i] & PLAN_HELD_MAX) {
            len += apr_snprintf(who + len, sizeof(who) - len,
                                "%s%.64s (uid %ld)", named++ ? ", " : "",
                                sched_user(pl, num, sizeof(num)),
                                (long)pl->uid);
        }
    }
    if (held > named) {
        apr_snprintf(who + len, sizeof(who) - len, " and %d more",
                     held - named);
    }
    ap_log_error(APLOG_MARK, APLOG_WARNING, 0, ap_server_conf,
                 PERUID_LOGNO(00154) "server reached MaxRequestWorkers "
                 "setting (%d), consider raising the MaxRequestWorkers "
                 "setting; users waiting for a worker: %s (%lu pass%s "
                 "found it so since the last such line)",
                 peruid_settings()->max_workers, who, (unsigned long)n,
                 n == 1 ? "" : "es");
}

/* Master: one scheduling pass (see the top of this file). */
void peruid_schedule(peruid_master_t *m, int periodic)
{
    plan_facts_t f;
    plan_t plan;
    int i;

    if (m->no_workers) {
        m->next_pass = 0;
        return;
    }
    if (!sched_facts(m, &f, periodic)) {
        return;
    }
    plan.actions = m->actions;
    plan.max_actions = m->max_actions;
    plan.memory = m->plan_memory;
    plan.work = m->plan_work;
    plan.held_by = m->plan_held;
    peruid_plan(&f, &plan);
    for (i = 0; i < plan.nactions; i++) {
        sched_do(m, &plan.actions[i], f.now);
    }
    /* after the forks: the copies of the users none of whose workers is
     * left are released (segments.c) */
    peruid_segments_release_idle(m->rd);
    sched_warn_share(m, &f, peruid_chan_clock());
    sched_warn_max(m, &f, peruid_chan_clock());
    sched_gate_publish(m, &f);
    if (periodic) {
        sched_reconcile(m, &f);
        peruid_status_publish(m->rd, &f);   /* mod_status (status.c) */
    }
    m->next_pass = plan.next_pass;
}
