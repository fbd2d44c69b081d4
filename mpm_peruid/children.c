/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * children.c -- the master's table of the routers and workers it forked.
 *
 * Runs in the master only, as root.  Each child owns one scoreboard slot
 * (so mod_status shows every process), but the scoreboard is shared
 * memory every child can write; the pid, role, pool and generation the
 * master acts on are kept here, in master-private memory, and copied to
 * the scoreboard for display only.  Children are always signalled by
 * pid, never by process group, and reclaimed at a restart or a stop from
 * this table (peruid_children_reclaim), not by httpd's
 * ap_reclaim_child_processes, which takes its pids from the scoreboard.
 */

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "httpd.h"
#include "apr_atomic.h"
#include "apr_strings.h"
#include "http_log.h"
#include "http_main.h"
#include "mpm_common.h"

#include "peruid.h"
#include "child.h"
#include "master.h"
#include "channel.h"
#include "exprpool.h"
#include "planner.h"
#include "procsys.h"
#include "logs.h"
#include "status.h"

/* How long after its fork or bind a worker not yet seen waiting for a
 * connection counts as starting (children_observe_one). */
#define CHILDREN_STARTUP apr_time_from_sec(2)

#define CHILDREN_BACKOFF_MIN apr_time_from_msec(100)
#define CHILDREN_BACKOFF_MAX apr_time_from_sec(10)

/* Reclaim (restart, stop): children still there this long after they
 * were told to go are killed; those still there CHILDREN_RECLAIM_GIVEUP
 * after it are left behind.  The table is looked at every
 * CHILDREN_RECLAIM_POLL, doubling from its least to its most. */
#define CHILDREN_RECLAIM_KILL      apr_time_from_sec(3)
#define CHILDREN_RECLAIM_GIVEUP    apr_time_from_sec(2)
#define CHILDREN_RECLAIM_POLL_MIN  apr_time_from_msec(10)
#define CHILDREN_RECLAIM_POLL_MAX  apr_time_from_msec(200)
#define CHILDREN_RECLAIM_NAMED     8    /* pids named in the log line */

/* Master: the slot table, once per master life (ServerLimit is fixed). */
apr_status_t peruid_children_init(peruid_retained_t *rd)
{
    int i;

    if (rd->slots) {
        return APR_SUCCESS;
    }
    rd->slots = calloc(rd->first_server_limit, sizeof(*rd->slots));
    if (!rd->slots) {
        return APR_ENOMEM;
    }
    for (i = 0; i < rd->first_server_limit; i++) {
        rd->slots[i].pool = -1;
        rd->slots[i].bind_send = rd->slots[i].bind_recv = -1;
    }
    return APR_SUCCESS;
}

/* Master: a free slot (neither ours nor, by the scoreboard, in use). */
static int children_free_slot(peruid_retained_t *rd)
{
    int i;

    for (i = 0; i < peruid_settings()->server_limit; i++) {
        if (rd->slots[i].role == PERUID_ROLE_MASTER) {
            return i;
        }
    }
    return -1;
}

/* Master: children of role (and pool, when >= 0) still alive. */
int peruid_children_count(peruid_retained_t *rd, int role, int pool)
{
    int i, n = 0;

    for (i = 0; i < rd->max_daemons_used; i++) {
        n += rd->slots[i].role == role
             && (pool < 0 || rd->slots[i].pool == pool);
    }
    return n;
}

/* Master, root: send sig to the child in slot.  With kill(), not httpd's
 * ap_mpm_safe_kill: that one guards pids read from the scoreboard, which
 * every child can write, by refusing a pid outside the server's process
 * group -- and a tenant's worker can leave the group (setpgid), after
 * which it was never signalled, not even killed.  The pids here come
 * from fork() and leave the table when the master reaps them (nothing
 * else in the master waits for its children), so until then each names
 * our child, or its zombie, and nothing else. */
apr_status_t peruid_children_send(peruid_retained_t *rd, int slot, int sig)
{
    peruid_slot_t *sl = &rd->slots[slot];

    if (sl->role == PERUID_ROLE_MASTER || sl->pid <= 0) {
        return APR_EINVAL;
    }
    return kill(sl->pid, sig) == 0 ? APR_SUCCESS : errno;
}

/* Master, root: the kernel would not say what a worker is doing
 * (PROCSYS_UNKNOWN: no CAP_SYS_PTRACE in a container, Yama ptrace_scope
 * 3, an LSM): log it once, with the errno err. */
static void children_unknown(int err)
{
    static int logged;

    if (!logged) {
        logged = 1;
        ap_log_error(APLOG_MARK, APLOG_WARNING, err, ap_server_conf,
                     PERUID_LOGNO(00056) "master: cannot read "
                     "/proc/PID/syscall of a worker (it needs ptrace "
                     "access for root); idle workers are not counted: "
                     "MinSpareServers and MaxSpareServers are not applied, "
                     "and a user's last idle worker stays until its slot is "
                     "needed");
    }
}

/* Master, root: is the worker in slot blocked waiting for a connection?
 * The kernel says (/proc/PID/syscall: the system call it sleeps in, and a
 * worker waits in recvmsg() on its pool's channel, nowhere else); the
 * scoreboard, which every worker can write, is never asked.  A tenant
 * can make its own worker look idle or busy, and so change only which of
 * its own pool's workers is asked to leave first. */
static int children_waiting(const peruid_slot_t *sl)
{
    char path[40], buf[24];
    ssize_t n;
    int fd, err = 0;
    procsys_state_e state;

    snprintf(path, sizeof(path), "/proc/%ld/syscall", (long)sl->pid);
    if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
        n = -1;
        err = errno;
    }
    else {
        n = read(fd, buf, sizeof(buf));
        err = errno;
        close(fd);
    }
    state = peruid_procsys_state(buf, n, err, SYS_recvmsg);
    if (state == PROCSYS_UNKNOWN) {
        children_unknown(err);
    }
    return (int)state;          /* -1 unknown, 0 busy or gone, 1 waiting */
}

/* Master: one bound worker into its pool's facts.  Starting: forked or
 * bound less than CHILDREN_STARTUP ago and not yet seen waiting (the
 * kernel is asked only for those, and for all when look_idle). */
static void children_observe_one(peruid_slot_t *sl, plan_pool_t *p,
                                 apr_time_t now, int look_idle)
{
    int starting = !sl->seen_waiting && now < sl->started + CHILDREN_STARTUP;
    int waiting = 0;

    p->live++;
    if (sl->leaving) {
        p->leaving++;
        return;
    }
    if (starting || look_idle) {
        waiting = children_waiting(sl);
    }
    if (waiting < 0) {          /* the kernel would not say */
        p->idle = -1;
        p->starting += starting;
        return;
    }
    sl->seen_waiting |= waiting;
    p->starting += starting && !waiting;
    if (look_idle && p->idle >= 0) {
        p->idle += waiting;
    }
}

/* Master: the facts of our table (and of the kernel, for the workers in
 * it) into f: every pool's live, leaving, starting and, with look_idle,
 * idle workers (else -1: not looked at); the workers asked to leave by
 * the planner (leavers, room for max_daemons_used); the live workers,
 * the free slots and the preforked workers. */
void peruid_children_observe(peruid_retained_t *rd, plan_facts_t *f,
                             plan_pool_t *pools, plan_leaver_t *leavers,
                             int look_idle)
{
    int i, n = 0;

    f->workers = f->free_slots = f->unbound = f->prefork_live = 0;
    for (i = 0; i < rd->npools; i++) {
        pools[i].live = pools[i].leaving = pools[i].starting = 0;
        pools[i].idle = look_idle ? 0 : -1;
    }
    for (i = 0; i < peruid_settings()->server_limit; i++) {
        peruid_slot_t *sl = &rd->slots[i];

        f->free_slots += sl->role == PERUID_ROLE_MASTER;
        if (sl->role != PERUID_ROLE_WORKER) {
            continue;
        }
        f->workers++;           /* preforked ones count, they hold a slot */
        if (sl->leave_asked && sl->pid > 0) {
            leavers[n].slot = i;
            leavers[n].pool = sl->pool;
            leavers[n++].asked_at = sl->leave_asked;
        }
        if (sl->pool >= 0 && sl->pool < rd->npools) {
            children_observe_one(sl, &pools[sl->pool], f->now, look_idle);
        }
    }
    f->nleavers = n;
    f->prefork_live = f->unbound = peruid_children_preforked(rd);
}

/* Master: is there a scoreboard slot for one more child? */
int peruid_children_have_slot(peruid_retained_t *rd)
{
    return children_free_slot(rd) >= 0;
}

/* Master: the slot of a preforked worker of this generation that no
 * pool has yet, preferably one that shows SERVER_READY (done setting up,
 * waiting for its record: peruid_preforked_wait_bind) over one still starting,
 * whose bind would wait for the rest of its setup; -1 if none.  The
 * status only orders the choice, it decides nothing else. */
static int children_unbound(peruid_retained_t *rd)
{
    int i, found = -1;

    for (i = 0; i < rd->max_daemons_used; i++) {
        peruid_slot_t *sl = &rd->slots[i];

        if (sl->role == PERUID_ROLE_WORKER && sl->pool < 0 && !sl->leaving
            && sl->bind_send >= 0 && sl->pid > 0
            && sl->generation == rd->mpm->my_generation) {
            if (ap_scoreboard_image->servers[i][0].status == SERVER_READY) {
                return i;
            }
            if (found < 0) {
                found = i;
            }
        }
    }
    return found;
}

/* Master: preforked workers of this generation waiting for a pool. */
int peruid_children_preforked(peruid_retained_t *rd)
{
    int i, n = 0;

    for (i = 0; i < rd->max_daemons_used; i++) {
        peruid_slot_t *sl = &rd->slots[i];

        n += sl->role == PERUID_ROLE_WORKER && sl->pool < 0 && !sl->leaving
             && sl->bind_send >= 0
             && sl->generation == rd->mpm->my_generation;
    }
    return n;
}

/* Master: give pool a preforked worker, if one waits: send it BIND with
 * the pool's receive end, twice: the record's second descriptor is the
 * back channel's send end (handover.c), which is that same socket now
 * (pools.c; the worker closes the copy), over its own bind socket
 * (nobody else holds that
 * socket).  From then on it is one of the pool's starting workers.
 * Returns 1 if one was bound. */
int peruid_children_bind(peruid_master_t *m, int pool)
{
    peruid_retained_t *rd = m->rd;
    int slot = children_unbound(rd);
    peruid_slot_t *sl;
    apr_status_t rv;

    if (slot < 0 || rd->pools[pool].expr != PERUID_EXPR_NONE) {
        return 0;   /* an Expr slot's user may be newer than its table */
    }
    sl = &rd->slots[slot];
    apr_atomic_inc32(&peruid_pool_stat(rd, pool)->starting);
    /* before the record: the worker writes READY itself once it has its
     * pool, and that must be the last word */
    ap_update_child_status_from_indexes(slot, 0, SERVER_STARTING, NULL);
    rv = peruid_chan_send_pair(sl->bind_send, PERUID_MSG_BIND,
                               (apr_uint32_t)pool,
                               (apr_uint32_t)rd->mpm->my_generation,
                               rd->pools[pool].chan_recv,
                               rd->pools[pool].chan_recv, 0, 0);
    close(sl->bind_send);
    sl->bind_send = -1;
    if (rv != APR_SUCCESS) {
        apr_atomic_dec32(&peruid_pool_stat(rd, pool)->starting);
        ap_log_error(APLOG_MARK, APLOG_WARNING, rv, m->s, PERUID_LOGNO(00045)
                     "master: cannot bind preforked worker %ld; asking it "
                     "to leave", (long)sl->pid);
        sl->leaving = 1;
        peruid_children_send(rd, slot, SIGTERM);
        return 0;
    }
    sl->pool = pool;
    sl->started = apr_time_now();
    sl->seen_waiting = 0;
    return 1;
}

/* Master: the worker of pool to ask to leave: one the kernel shows
 * waiting for a connection (it leaves at once), else the one that has
 * served longest (it leaves after its connection); -1 if none. */
static int children_leave_choice(peruid_retained_t *rd, int pool,
                                 int busy_only)
{
    int i, busy = -1;

    for (i = 0; i < rd->max_daemons_used; i++) {
        peruid_slot_t *sl = &rd->slots[i];

        if (sl->role != PERUID_ROLE_WORKER || sl->pool != pool
            || sl->leaving || sl->pid <= 0) {
            continue;
        }
        if (children_waiting(sl) > 0) {
            if (busy_only) {
                continue;       /* its exit would free no busy slot */
            }
            return i;
        }
        if (busy < 0 || sl->started < rd->slots[busy].started) {
            busy = i;
        }
    }
    return busy;
}

/* Master: ask one worker of pool to leave (PLAN_LEAVE): AP_SIG_GRACEFUL,
 * as a graceful restart does; a waiting worker exits at once, a busy one
 * after its connection (PLAN_LEAVE_BUSY, busy_only: a busy one only).
 * One that is still alive leave_grace later is killed (PLAN_KILL).
 * Returns 1 if one was asked. */
int peruid_children_ask_to_leave(peruid_retained_t *rd, int pool,
                                 int busy_only, apr_time_t now)
{
    int slot = children_leave_choice(rd, pool, busy_only);
    peruid_slot_t *sl;

    if (slot < 0) {
        return 0;
    }
    sl = &rd->slots[slot];
    sl->leaving = 1;
    sl->leave_asked = now;
    peruid_children_send(rd, slot, AP_SIG_GRACEFUL);
    return 1;
}

/* Master: PLAN_KILL: the worker in slot was asked to leave by the planner
 * at asked_at and is still there.  Only if the slot still holds that
 * request: a reaped and reused slot is left alone. */
void peruid_children_kill(peruid_master_t *m, int slot, apr_time_t now)
{
    peruid_slot_t *sl = &m->rd->slots[slot];

    if (sl->role != PERUID_ROLE_WORKER || !sl->leave_asked
        || sl->pid <= 0) {
        return;
    }
    ap_log_error(APLOG_MARK, APLOG_WARNING, 0, m->s, PERUID_LOGNO(00052)
                 "worker %ld (uid %ld) did not leave %ld s after it was "
                 "asked to (to make room, or for a restart); killing it",
                 (long)sl->pid,
                 sl->pool >= 0 ? (long)m->rd->pools[sl->pool].uid : -1L,
                 (long)apr_time_sec(now - sl->leave_asked));
    peruid_children_send(m->rd, slot, SIGKILL);
    sl->leave_asked = 0;            /* once: the reaper takes it from here */
}

/* Master: a worker that died without leaving its pool's counters itself
 * (killed) is taken out of them, by what the master saw of it: one not
 * yet seen waiting for a connection was counted as starting.  One seen
 * waiting may have been idle or busy by then; the master's next pass
 * that looks at the idle workers rewrites that count from the kernel.
 * (The worker's own status is on its private scoreboard, sbcopy.c, and
 * what it wrote there decided nothing in any case.) */
static void children_fix_counters(peruid_retained_t *rd, int slot)
{
    peruid_pool_stat_t *st = peruid_pool_stat(rd, rd->slots[slot].pool);

    if (!rd->slots[slot].seen_waiting) {
        apr_atomic_dec32(&st->starting);
    }
}

/* Master: the child in slot is gone (reaped, or never forked). */
static void children_gone(peruid_retained_t *rd, int slot)
{
    peruid_slot_t *sl = &rd->slots[slot];

    ap_run_child_status(ap_server_conf, sl->pid, sl->generation, slot,
                        MPM_CHILD_EXITED);
    if (sl->role == PERUID_ROLE_WORKER && sl->pool >= 0) {
        children_fix_counters(rd, slot);
    }
    if (sl->bind_send >= 0) {
        close(sl->bind_send);
        sl->bind_send = -1;
    }
    ap_update_child_status_from_indexes(slot, 0, SERVER_DEAD, NULL);
    ap_scoreboard_image->parent[slot].pid = 0;
    sl->role = PERUID_ROLE_MASTER;
    sl->pool = -1;
    sl->pid = 0;
    sl->leaving = 0;
    sl->leave_asked = 0;
}

/* Master: note a child started in slot. */
static void children_started(peruid_retained_t *rd, int slot, pid_t pid)
{
    peruid_slot_t *sl = &rd->slots[slot];

    sl->pid = pid;
    sl->generation = rd->mpm->my_generation;
    sl->started = apr_time_now();
    sl->seen_waiting = 0;
    sl->leave_asked = 0;
    ap_scoreboard_image->parent[slot].pid = pid;
    ap_scoreboard_image->parent[slot].generation = sl->generation;
    ap_run_child_status(ap_server_conf, pid, sl->generation, slot,
                        MPM_CHILD_STARTED);
}

/* Master: a preforked worker's bind socket, before the fork. */
static apr_status_t children_bind_socket(peruid_retained_t *rd, int slot)
{
    int fds[2];
    apr_status_t rv = peruid_chan_pair(fds);

    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_ERR, rv, ap_server_conf,
                     PERUID_LOGNO(00046) "socketpair() for a preforked "
                     "worker failed");
        return rv;
    }
    rd->slots[slot].bind_send = fds[0];
    rd->slots[slot].bind_recv = fds[1];
    return APR_SUCCESS;
}

/* Master: the child side of a fork; never returns. */
static void children_run(peruid_master_t *m, peruid_role_e role, int slot,
                         int pool)
{
#if AP_HAS_THREAD_LOCAL
    ap_thread_current_after_fork();
#endif
    peruid_logs_child(role, pool);
    if (role == PERUID_ROLE_ROUTER) {
        peruid_router_main(m->rd, m->pconf, slot);
    }
    peruid_worker_main(m->rd, m->pconf, slot, pool);
}

/* Master: fork a router, or a worker of pool, into a free slot.  All
 * signals stay blocked across fork(), so the child cannot lose one sent
 * before it installed its own handlers. */
apr_status_t peruid_children_fork(peruid_master_t *m, peruid_role_e role,
                                  int pool)
{
    peruid_retained_t *rd = m->rd;
    int slot = children_free_slot(rd);
    sigset_t was;
    pid_t pid;

    if (slot < 0) {
        return APR_ENOSPC;
    }
    if (slot + 1 > rd->max_daemons_used) {
        rd->max_daemons_used = slot + 1;
    }
    if (role == PERUID_ROLE_WORKER && pool < 0
        && children_bind_socket(rd, slot) != APR_SUCCESS) {
        return APR_EGENERAL;
    }
    if (role == PERUID_ROLE_WORKER) {
        peruid_pools_lookup(rd, pool, m->s);    /* its ids, first fork */
    }
    ap_update_child_status_from_indexes(slot, 0, SERVER_STARTING, NULL);
    if (role == PERUID_ROLE_WORKER && pool >= 0) {
        apr_atomic_inc32(&peruid_pool_stat(rd, pool)->starting);
    }
    rd->slots[slot].role = role;
    rd->slots[slot].pool = pool;
    peruid_child_block_signals(&was);
    peruid_self()->sigmask = was;
    pid = fork();
    if (pid == 0) {
        children_run(m, role, slot, pool);
    }
    sigprocmask(SIG_SETMASK, &was, NULL);
    if (rd->slots[slot].bind_recv >= 0) {
        close(rd->slots[slot].bind_recv);   /* the child's end */
        rd->slots[slot].bind_recv = -1;
    }
    if (pid < 0) {
        apr_status_t rv = errno;

        ap_log_error(APLOG_MARK, APLOG_ERR, rv, m->s, PERUID_LOGNO(00030)
                     "fork() of a %s failed",
                     role == PERUID_ROLE_ROUTER ? "router" : "worker");
        children_gone(rd, slot);
        return rv;
    }
    children_started(rd, slot, pid);
    if (role == PERUID_ROLE_WORKER) {
        peruid_status_forked(pool);     /* a cold start (status.c) */
    }
    return APR_SUCCESS;
}

/* Master: send sig to every child of role (-1: all), by pid. */
int peruid_children_signal(peruid_retained_t *rd, int role, int sig)
{
    int i, n = 0;

    for (i = 0; i < rd->max_daemons_used; i++) {
        peruid_slot_t *sl = &rd->slots[i];

        if (sl->role != PERUID_ROLE_MASTER && (role < 0 || sl->role == role)
            && sl->pid > 0) {
            if (sig == AP_SIG_GRACEFUL || sig == AP_SIG_GRACEFUL_STOP) {
                sl->leaving = 1;
            }
            if (sig == AP_SIG_GRACEFUL && sl->role == PERUID_ROLE_WORKER
                && !sl->leave_asked) {
                /* a restart: an old worker gets Timeout to finish, then
                 * PLAN_KILL, as one asked to make room (a worker that
                 * ignores the signal keeps nothing across restarts) */
                sl->leave_asked = apr_time_now();
            }
            peruid_children_send(rd, i, sig);
            n++;
        }
    }
    return n;
}

/* Master: has the child in slot exited?  Then it is reaped (by its pid
 * only: other children, such as piped loggers, are left to their own
 * maintenance) and its slot freed.  Returns 1 if the slot is free. */
static int children_reclaim_one(peruid_retained_t *rd, int slot)
{
    apr_proc_t proc;
    apr_exit_why_e why;
    apr_status_t rv;
    int status;

    proc.pid = rd->slots[slot].pid;
    rv = proc.pid > 0 ? apr_proc_wait(&proc, &status, &why, APR_NOWAIT)
                      : APR_EINVAL;
    if (rv == APR_CHILD_NOTDONE) {
        return 0;
    }
    if (rv == APR_CHILD_DONE) {
        ap_process_child_status(&proc, why, status);
    }
    children_gone(rd, slot);        /* exited, or not our child (any more) */
    return 1;
}

/* Master: reap whatever of our table has exited; returns how many
 * children are left. */
static int children_reclaim_pass(peruid_retained_t *rd)
{
    int i, left = 0;

    for (i = 0; i < rd->max_daemons_used; i++) {
        if (rd->slots[i].role != PERUID_ROLE_MASTER
            && !children_reclaim_one(rd, i)) {
            left++;
        }
    }
#if APR_HAS_OTHER_CHILD
    apr_proc_other_child_refresh_all(APR_OC_REASON_RESTART);
#endif
    return left;
}

/* Master: "worker 123 (uid 1001), router 456, ..." for the children left
 * in the table, the first CHILDREN_RECLAIM_NAMED of them. */
static const char *children_left(peruid_retained_t *rd, apr_pool_t *p)
{
    const char *list = "";
    int i, n = 0;

    for (i = 0; i < rd->max_daemons_used; i++) {
        peruid_slot_t *sl = &rd->slots[i];

        if (sl->role == PERUID_ROLE_MASTER) {
            continue;
        }
        if (n++ < CHILDREN_RECLAIM_NAMED) {
            list = apr_psprintf(p, "%s%s%s %ld", list, *list ? ", " : "",
                                sl->role == PERUID_ROLE_ROUTER ? "router"
                                : "worker", (long)sl->pid);
            if (sl->role == PERUID_ROLE_WORKER && sl->pool >= 0) {
                list = apr_psprintf(p, "%s (uid %ld)", list,
                                    (long)rd->pools[sl->pool].uid);
            }
        }
    }
    if (n > CHILDREN_RECLAIM_NAMED) {
        list = apr_psprintf(p, "%s and %d more", list,
                            n - CHILDREN_RECLAIM_NAMED);
    }
    return list;
}

/* Master: the children still there after the grace period are killed,
 * all of them in one log line (httpd's reclaim logs a line per child and
 * per attempt). */
static void children_reclaim_kill(peruid_retained_t *rd, int left, int sig)
{
    apr_pool_t *p;

    peruid_children_signal(rd, -1, SIGKILL);
    apr_pool_create(&p, NULL);
    ap_log_error(APLOG_MARK, APLOG_WARNING, 0, ap_server_conf,
                 PERUID_LOGNO(00070) "%d %s did not exit %ld s after %s; "
                 "killed %s: %s", left, left == 1 ? "child" : "children",
                 (long)apr_time_sec(CHILDREN_RECLAIM_KILL),
                 sig == SIGHUP ? "SIGHUP" : sig == SIGTERM ? "SIGTERM"
                 : "the signal", left == 1 ? "it" : "them",
                 children_left(rd, p));
    apr_pool_destroy(p);
}

/* Master: children that SIGKILL did not end yet (in the kernel, in an
 * uninterruptible wait) stay in the table, leaving: they hold their
 * slots until the master reaps them. */
static void children_reclaim_giveup(peruid_retained_t *rd, int left)
{
    apr_pool_t *p;
    int i;

    for (i = 0; i < rd->max_daemons_used; i++) {
        rd->slots[i].leaving |= rd->slots[i].role != PERUID_ROLE_MASTER;
    }
    apr_pool_create(&p, NULL);
    ap_log_error(APLOG_MARK, APLOG_ERR, 0, ap_server_conf,
                 PERUID_LOGNO(00071) "%d %s still there %ld s after SIGKILL, "
                 "going on without waiting: %s", left,
                 left == 1 ? "child is" : "children are",
                 (long)apr_time_sec(CHILDREN_RECLAIM_GIVEUP),
                 children_left(rd, p));
    apr_pool_destroy(p);
}

/* Master, root: end every child of our table, for a hard restart or a
 * stop: sig (SIGHUP, SIGTERM) to each, by pid; then reap them, looking
 * every CHILDREN_RECLAIM_POLL; those still there CHILDREN_RECLAIM_KILL
 * later get SIGKILL.  The pids are the master's own (never the
 * scoreboard's, which a tenant's worker can change), so a worker that
 * ignores signals, leaves the process group or rewrites its scoreboard
 * entry is killed all the same. */
void peruid_children_reclaim(peruid_retained_t *rd, int sig)
{
    apr_time_t start = apr_time_now(), killed = 0;
    apr_interval_time_t poll = CHILDREN_RECLAIM_POLL_MIN;
    int left;

    peruid_children_signal(rd, -1, sig);
    while ((left = children_reclaim_pass(rd)) > 0) {
        apr_time_t now = apr_time_now();

        if (!killed && now - start >= CHILDREN_RECLAIM_KILL) {
            children_reclaim_kill(rd, left, sig);
            killed = now;
            poll = CHILDREN_RECLAIM_POLL_MIN;
        }
        else if (killed && now - killed >= CHILDREN_RECLAIM_GIVEUP) {
            children_reclaim_giveup(rd, left);
            return;
        }
        apr_sleep(poll);
        poll = poll * 2 < CHILDREN_RECLAIM_POLL_MAX
               ? poll * 2 : CHILDREN_RECLAIM_POLL_MAX;
    }
}

/* Master: the slot of pid, from our own table. */
static int children_find(peruid_retained_t *rd, pid_t pid)
{
    int i;

    for (i = 0; i < rd->max_daemons_used; i++) {
        if (rd->slots[i].role != PERUID_ROLE_MASTER
            && rd->slots[i].pid == pid) {
            return i;
        }
    }
    return -1;
}

/* Master: a worker of pool ended with status: a clean exit ends the
 * pool's back-off, anything else (failed switch, crash, kill) lengthens
 * it, so a pool whose workers keep dying is not forked in a tight loop. */
static void children_pool_backoff(peruid_retained_t *rd, int pool, int ok)
{
    peruid_pool_t *pl = &rd->pools[pool];
    apr_interval_time_t delay = CHILDREN_BACKOFF_MIN;
    int i;

    if (ok) {
        pl->fails = 0;
        pl->next_spawn = 0;
        return;
    }
    for (i = 0; i < pl->fails && delay < CHILDREN_BACKOFF_MAX; i++) {
        delay *= 2;
    }
    pl->fails++;
    pl->next_spawn = apr_time_now()
                     + (delay < CHILDREN_BACKOFF_MAX ? delay
                                                     : CHILDREN_BACKOFF_MAX);
}

/* Master: one child has exited.  Only a router of this generation that
 * exits with APEXIT_CHILDFATAL stops the server: a worker runs its
 * vhost's code, which must not be able to do that. */
static void children_reaped(peruid_master_t *m, apr_proc_t *proc,
                            apr_exit_why_e why, int status)
{
    peruid_retained_t *rd = m->rd;
    int processed = ap_process_child_status(proc, why, status);
    int slot = children_find(rd, proc->pid);
    peruid_slot_t *sl;

    if (slot < 0 && peruid_logs_reaped(proc->pid, why, status)) {
        return;                 /* a log relay */
    }
    if (slot < 0) {
#if APR_HAS_OTHER_CHILD
        apr_proc_other_child_alert(proc, APR_OC_REASON_DEATH, status);
#endif
        return;
    }
    sl = &rd->slots[slot];
    if (sl->role == PERUID_ROLE_ROUTER && processed == APEXIT_CHILDFATAL
        && sl->generation == rd->mpm->my_generation) {
        m->fatal = 1;
    }
    if (sl->role == PERUID_ROLE_ROUTER && !sl->leaving) {
        peruid_watch_router_died(m, proc->pid, why, status);
    }
    if (sl->role == PERUID_ROLE_WORKER && sl->pool >= 0) {
        children_pool_backoff(rd, sl->pool,
                              why == APR_PROC_EXIT && status == 0);
    }
    children_gone(rd, slot);
}

/* Master: reap every child that has exited; returns how many. */
int peruid_children_reap(peruid_master_t *m)
{
    apr_exit_why_e why;
    apr_proc_t proc;
    int status, n = 0;

    while (apr_proc_wait_all_procs(&proc, &status, &why, APR_NOWAIT, m->pconf)
           == APR_CHILD_DONE) {
        children_reaped(m, &proc, why, status);
        n++;
    }
    ap_update_global_status();
    return n;
}

/* Master: qsort and bsearch order of socket inodes. */
static int children_ino_cmp(const void *a, const void *b)
{
    ino_t x = *(const ino_t *)a, y = *(const ino_t *)b;

    return x < y ? -1 : x > y;
}

/* Master, root: the sorted inodes of every pool channel's receive end,
 * malloc'd; *n of them. */
static ino_t *children_channel_inodes(peruid_retained_t *rd, int *n)
{
    ino_t *ino = malloc(((size_t)rd->npools + 1) * sizeof(*ino));
    struct stat st;
    int i;

    *n = 0;
    for (i = 0; ino && i < rd->npools; i++) {
        if (rd->pools[i].chan_recv >= 0
            && fstat(rd->pools[i].chan_recv, &st) == 0) {
            ino[(*n)++] = st.st_ino;
        }
    }
    if (ino) {
        qsort(ino, *n, sizeof(*ino), children_ino_cmp);
    }
    return ino;
}

/* Master, root: does process pid hold one of the sockets ino[0..n-1]?
 * (its /proc/PID/fd entries read "socket:[INODE]"; a process whose
 * descriptors root may not read, without CAP_SYS_PTRACE, holds none) */
static int children_holds(pid_t pid, const ino_t *ino, int n)
{
    char path[64], link[64];
    struct dirent *e;
    DIR *d;
    int found = 0;

    snprintf(path, sizeof(path), "/proc/%ld/fd", (long)pid);
    if (!(d = opendir(path))) {
        return 0;
    }
    while (!found && (e = readdir(d)) != NULL) {
        unsigned long long v;
        ssize_t len = readlinkat(dirfd(d), e->d_name, link, sizeof(link) - 1);
        ino_t key;

        if (len <= 0) {
            continue;
        }
        link[len] = '\0';
        if (sscanf(link, "socket:[%llu]", &v) == 1) {
            key = (ino_t)v;
            found = bsearch(&key, ino, n, sizeof(*ino),
                            children_ino_cmp) != NULL;
        }
    }
    closedir(d);
    return found;
}

/* Master, root: kill every process that holds the receive end of a
 * user pool's channel and is neither the master nor a child of its
 * table: a copy of a worker that the worker forked (its user's native
 * code can), which the master never signals, and which otherwise went on
 * taking its user's connections after a restart, with the old
 * configuration (the pool channels outlive generations).  Returns how
 * many were killed; one log line names them (PU00072). */
int peruid_children_kill_strays(peruid_retained_t *rd)
{
    const char *list = "";
    struct dirent *e;
    apr_pool_t *p;
    ino_t *ino;
    DIR *d;
    int n, killed = 0;

    if (!(ino = children_channel_inodes(rd, &n)) || n == 0
        || !(d = opendir("/proc"))) {
        free(ino);
        return 0;
    }
    apr_pool_create(&p, NULL);
    while ((e = readdir(d)) != NULL) {
        pid_t pid = (pid_t)atol(e->d_name);

        if (pid <= 0 || pid == getpid() || children_find(rd, pid) >= 0
            || !children_holds(pid, ino, n)
            || kill(pid, SIGKILL) != 0) {
            continue;
        }
        if (killed++ < CHILDREN_RECLAIM_NAMED) {
            list = apr_psprintf(p, "%s%s%ld", list, *list ? ", " : "",
                                (long)pid);
        }
    }
    closedir(d);
    free(ino);
    if (killed) {
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, ap_server_conf,
                     PERUID_LOGNO(00072) "killed %d %s that held a user "
                     "pool's channel and that the master did not fork (a "
                     "worker's copy of itself): %s%s", killed,
                     killed == 1 ? "process" : "processes", list,
                     killed > CHILDREN_RECLAIM_NAMED ? ", ..." : "");
    }
    apr_pool_destroy(p);
    return killed;
}
