/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * children.c -- the master's table of the routers and workers it forked.
 *
 * Runs in the master only, as root.  Each child owns one scoreboard slot
 * (so mod_status shows every process), but the scoreboard is shared
 * memory every child can write; the pid, role, pool and generation the
 * master acts on are kept here, in master-private memory, and copied to
 * the scoreboard for display and for httpd's ap_reclaim_child_processes.
 * Children are always signalled by pid, never by process group.
 */

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "httpd.h"
#include "apr_atomic.h"
#include "http_log.h"
#include "http_main.h"
#include "mpm_common.h"

#include "peruid.h"
#include "channel.h"

#define CHILDREN_BACKOFF_MIN apr_time_from_msec(100)
#define CHILDREN_BACKOFF_MAX apr_time_from_sec(10)

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

    for (i = 0; i < rd->cfg.server_limit; i++) {
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

/* Master: what every pool's workers are doing, from our table and their
 * scoreboard slots, into ps[0 .. npools-1]: alive, ready (idle; one asked
 * to leave still holds its unit of the idle count until it exits),
 * starting, asked to leave.  Returns the number of live workers. */
int peruid_children_observe(peruid_retained_t *rd, peruid_pool_state_t *ps)
{
    int i, n = 0;

    memset(ps, 0, rd->npools * sizeof(*ps));
    for (i = 0; i < rd->max_daemons_used; i++) {
        peruid_slot_t *sl = &rd->slots[i];
        peruid_pool_state_t *p;
        int status;

        if (sl->role != PERUID_ROLE_WORKER) {
            continue;
        }
        n++;                    /* preforked ones count, they hold a slot */
        if (sl->pool < 0 || sl->pool >= rd->npools) {
            continue;
        }
        p = &ps[sl->pool];
        status = ap_scoreboard_image->servers[i][0].status;
        p->live++;
        p->ready += status == SERVER_READY;
        p->starting += status == SERVER_STARTING;
        p->leaving += sl->leaving;
    }
    return n;
}

/* Master: is there a scoreboard slot for one more child? */
int peruid_children_have_slot(peruid_retained_t *rd)
{
    return children_free_slot(rd) >= 0;
}

/* Master: the slot of a preforked worker of this generation that no
 * pool has yet, preferably one that shows SERVER_READY (done setting up,
 * waiting for its record: worker_wait_bind) over one still starting,
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
 * the pool's receive end over its own bind socket (nobody else holds that
 * socket).  From then on it is one of the pool's starting workers.
 * Returns 1 if one was bound. */
int peruid_children_bind(peruid_master_t *m, int pool)
{
    peruid_retained_t *rd = m->rd;
    int slot = children_unbound(rd);
    peruid_slot_t *sl;
    apr_status_t rv;

    if (slot < 0) {
        return 0;
    }
    sl = &rd->slots[slot];
    apr_atomic_inc32(&peruid_pool_stat(rd, pool)->starting);
    /* before the record: the worker writes READY itself once it has its
     * pool, and that must be the last word */
    ap_update_child_status_from_indexes(slot, 0, SERVER_STARTING, NULL);
    rv = peruid_chan_send(sl->bind_send, PERUID_MSG_BIND, (apr_uint32_t)pool,
                          (apr_uint32_t)rd->mpm->my_generation,
                          rd->pools[pool].chan_recv);
    close(sl->bind_send);
    sl->bind_send = -1;
    if (rv != APR_SUCCESS) {
        apr_atomic_dec32(&peruid_pool_stat(rd, pool)->starting);
        ap_log_error(APLOG_MARK, APLOG_WARNING, rv, m->s, PERUID_LOGNO(00045)
                     "master: cannot bind preforked worker %ld; asking it "
                     "to leave", (long)sl->pid);
        sl->leaving = 1;
        ap_mpm_safe_kill(sl->pid, SIGTERM);
        return 0;
    }
    sl->pool = pool;
    return 1;
}

/* Master: ask an idle worker of pool to leave (graceful: it is waiting
 * for a connection, so it exits at once).  Returns 1 if one was found. */
int peruid_children_ask_idle_to_leave(peruid_retained_t *rd, int pool)
{
    int i;

    for (i = 0; i < rd->max_daemons_used; i++) {
        peruid_slot_t *sl = &rd->slots[i];

        if (sl->role == PERUID_ROLE_WORKER && sl->pool == pool
            && !sl->leaving && sl->pid > 0
            && ap_scoreboard_image->servers[i][0].status == SERVER_READY) {
            sl->leaving = 1;
            ap_mpm_safe_kill(sl->pid, AP_SIG_GRACEFUL);
            return 1;
        }
    }
    return 0;
}

/* Master: a worker that died without leaving its pool's counters itself
 * (killed) is taken out of them, by the status it last showed. */
static void children_fix_counters(peruid_retained_t *rd, int slot)
{
    peruid_pool_stat_t *st = peruid_pool_stat(rd, rd->slots[slot].pool);
    int status = ap_scoreboard_image->servers[slot][0].status;

    if (status == SERVER_READY) {
        apr_atomic_dec32(&st->idle);
    }
    else if (status == SERVER_STARTING) {
        apr_atomic_dec32(&st->starting);
    }
}

/* Master: the child in slot is gone (reaped by us, or reclaimed by
 * httpd's ap_reclaim_child_processes, which calls this back). */
static void children_gone(int slot, pid_t pid, ap_generation_t gen)
{
    peruid_retained_t *rd = peruid_retained();
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
}

/* Master: note a child started in slot. */
static void children_started(peruid_retained_t *rd, int slot, pid_t pid)
{
    peruid_slot_t *sl = &rd->slots[slot];

    sl->pid = pid;
    sl->generation = rd->mpm->my_generation;
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
    ap_update_child_status_from_indexes(slot, 0, SERVER_STARTING, NULL);
    if (role == PERUID_ROLE_WORKER && pool >= 0) {
        apr_atomic_inc32(&peruid_pool_stat(rd, pool)->starting);
    }
    rd->slots[slot].role = role;
    rd->slots[slot].pool = pool;
    peruid_child_block_signals(&was);
    rd->self.sigmask = was;
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
        children_gone(slot, 0, 0);
        return rv;
    }
    children_started(rd, slot, pid);
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
            ap_mpm_safe_kill(sl->pid, sig);
            n++;
        }
    }
    return n;
}

/* Master: httpd's reclaim (SIGTERM, then SIGKILL, with waits) over our
 * children, after putting our pids back into the scoreboard it reads. */
void peruid_children_reclaim(peruid_retained_t *rd, int terminate)
{
    int i;

    for (i = 0; i < rd->max_daemons_used; i++) {
        ap_scoreboard_image->parent[i].pid = rd->slots[i].pid;
    }
    ap_reclaim_child_processes(terminate, children_gone);
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
    if (sl->role == PERUID_ROLE_WORKER && sl->pool >= 0) {
        children_pool_backoff(rd, sl->pool,
                              why == APR_PROC_EXIT && status == 0);
    }
    children_gone(slot, proc->pid, sl->generation);
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
