/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * master.c -- the master process (root).
 *
 * Reads nothing from clients: it holds the listeners only to hand them to
 * the routers it forks, and the pool channels only to hand each worker its
 * own end.  What it reads is the control channel (fixed SPAWN records from
 * routers, checked against the allow-list) and its children's exit status.
 * It forks routers at start and workers on demand, reaps them, and runs
 * graceful and hard restarts and stops with httpd's MPM toolkit
 * (scoreboard, ap_reclaim_child_processes, ap_process_child_status).
 */

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include "httpd.h"
#include "apr_atomic.h"
#include "apr_signal.h"
#include "http_log.h"
#include "http_main.h"
#include "mpm_common.h"
#include "ap_listen.h"

#include "peruid.h"
#include "channel.h"

#define MASTER_TICK apr_time_from_sec(1)

/* The master's context for one generation. */
typedef struct {
    peruid_retained_t *rd;
    apr_pool_t *pconf;
    server_rec *s;
    apr_time_t next_tick;
    int stopping;           /* no router respawns any more               */
    int fatal;              /* a child of this generation failed fatally */
} peruid_master_t;

/* Master: SIGCHLD only interrupts poll(), so children are reaped and
 * replaced at once. */
static void master_sigchld(int sig)
{
}

/* Master: before pconf goes (restart or exit) the module's code may be
 * unloaded; no signal may find a handler of ours any more. */
static apr_status_t master_sigchld_reset(void *unused)
{
    apr_signal(SIGCHLD, SIG_DFL);
    return APR_SUCCESS;
}

/* Master: a free scoreboard slot, or -1. */
static int master_free_slot(peruid_retained_t *rd)
{
    int i;

    for (i = 0; i < rd->cfg.server_limit; i++) {
        if (rd->slots[i].role == PERUID_ROLE_MASTER
            && ap_scoreboard_image->parent[i].pid == 0) {
            return i;
        }
    }
    return -1;
}

/* Master: number of live workers (all pools). */
static int master_worker_count(peruid_retained_t *rd)
{
    int i, n = 0;

    for (i = 0; i < rd->max_daemons_used; i++) {
        n += rd->slots[i].role == PERUID_ROLE_WORKER;
    }
    return n;
}

/* Master: the child in slot is gone (reaped or reclaimed).  Fix the
 * pool's counters for a worker that died without leaving them itself. */
static void master_child_gone(int slot, pid_t pid, ap_generation_t gen)
{
    peruid_retained_t *rd = peruid_retained();
    peruid_slot_t *sl = &rd->slots[slot];
    int status = ap_scoreboard_image->servers[slot][0].status;

    ap_run_child_status(ap_server_conf, ap_scoreboard_image->parent[slot].pid,
                        ap_scoreboard_image->parent[slot].generation, slot,
                        MPM_CHILD_EXITED);
    if (sl->role == PERUID_ROLE_WORKER) {
        peruid_pool_stat_t *st = peruid_pool_stat(rd, sl->pool);

        if (status == SERVER_READY) {
            apr_atomic_dec32(&st->idle);
        }
        else if (status == SERVER_STARTING) {
            apr_atomic_dec32(&st->starting);
        }
    }
    ap_update_child_status_from_indexes(slot, 0, SERVER_DEAD, NULL);
    ap_scoreboard_image->parent[slot].pid = 0;
    sl->role = PERUID_ROLE_MASTER;
    sl->pool = -1;
}

/* Master: fork a router or a worker of pool into a free slot. */
static apr_status_t master_fork(peruid_master_t *m, peruid_role_e role,
                                int pool)
{
    peruid_retained_t *rd = m->rd;
    int slot = master_free_slot(rd);
    pid_t pid;

    if (slot < 0) {
        return APR_ENOSPC;
    }
    if (slot + 1 > rd->max_daemons_used) {
        rd->max_daemons_used = slot + 1;
    }
    ap_update_child_status_from_indexes(slot, 0, SERVER_STARTING, NULL);
    if (role == PERUID_ROLE_WORKER) {
        apr_atomic_inc32(&rd->stats[pool].starting);
    }
    rd->slots[slot].role = role;
    rd->slots[slot].pool = pool;
    if ((pid = fork()) < 0) {
        apr_status_t rv = errno;

        ap_log_error(APLOG_MARK, APLOG_ERR, rv, m->s, PERUID_LOGNO(00030)
                     "fork() of a %s failed",
                     role == PERUID_ROLE_ROUTER ? "router" : "worker");
        master_child_gone(slot, 0, 0);
        return rv;
    }
    if (pid == 0) {
#if AP_HAS_THREAD_LOCAL
        ap_thread_current_after_fork();
#endif
        if (role == PERUID_ROLE_ROUTER) {
            peruid_router_main(rd, m->pconf, slot);
        }
        peruid_worker_main(rd, m->pconf, slot, pool);
    }
    ap_scoreboard_image->parent[slot].pid = pid;
    ap_scoreboard_image->parent[slot].generation = rd->mpm->my_generation;
    ap_run_child_status(ap_server_conf, pid, rd->mpm->my_generation, slot,
                        MPM_CHILD_STARTED);
    return APR_SUCCESS;
}

/* Master: ask one idle worker of another pool to leave, so that pool can
 * have the slot (MaxRequestWorkers reached). */
static void master_make_room(peruid_master_t *m, int pool)
{
    peruid_retained_t *rd = m->rd;
    int i;

    for (i = 0; i < rd->max_daemons_used; i++) {
        peruid_slot_t *sl = &rd->slots[i];

        if (sl->role == PERUID_ROLE_WORKER && sl->pool != pool
            && ap_scoreboard_image->servers[i][0].status == SERVER_READY
            && peruid_stat_get(&rd->stats[sl->pool].idle) > 0) {
            ap_scoreboard_image->servers[i][0].status = SERVER_GRACEFUL;
            ap_mpm_safe_kill(ap_scoreboard_image->parent[i].pid,
                             AP_SIG_GRACEFUL);
            return;
        }
    }
}

/* Master: give pool the workers it lacks: connections waiting (idle
 * below zero) or fewer spares than MinSpareServers. */
static void master_pool_maintain(peruid_master_t *m, int pool)
{
    peruid_retained_t *rd = m->rd;
    peruid_pool_stat_t *st = &rd->stats[pool];
    int want = rd->pools[pool].in_config ? rd->cfg.min_spare : 0;
    int have = peruid_stat_get(&st->idle) + peruid_stat_get(&st->starting);

    while (have < want && !m->stopping) {
        if (master_worker_count(rd) >= rd->cfg.max_workers) {
            master_make_room(m, pool);
            return;
        }
        if (master_fork(m, PERUID_ROLE_WORKER, pool) != APR_SUCCESS) {
            return;
        }
        have++;
    }
}

/* Master: read the routers' SPAWN records; each names a pool that is
 * short of workers.  Anything else is logged and dropped. */
static void master_read_control(peruid_master_t *m)
{
    peruid_retained_t *rd = m->rd;
    peruid_msg_t msg;
    apr_status_t rv;
    int fd;

    while ((rv = peruid_chan_recv(rd->ctl_recv, &msg, &fd)) != EAGAIN) {
        if (rv == APR_SUCCESS && msg.pool < (apr_uint32_t)rd->npools
            && peruid_chan_check(&msg, PERUID_MSG_SPAWN, msg.pool, fd >= 0)
               == APR_SUCCESS) {
            master_pool_maintain(m, (int)msg.pool);
            continue;
        }
        if (fd >= 0) {
            close(fd);
        }
        ap_log_error(APLOG_MARK, APLOG_WARNING, rv, m->s, PERUID_LOGNO(00031)
                     "master: dropped a malformed control record");
        if (rv != APR_SUCCESS && rv != APR_EINVAL) {
            return;
        }
    }
}

/* Master: start the routers this generation lacks. */
static void master_start_routers(peruid_master_t *m)
{
    peruid_retained_t *rd = m->rd;
    int i, n = 0;

    for (i = 0; i < rd->max_daemons_used; i++) {
        n += rd->slots[i].role == PERUID_ROLE_ROUTER
             && ap_scoreboard_image->parent[i].generation
                == rd->mpm->my_generation;
    }
    for (; n < rd->cfg.routers && !m->stopping; n++) {
        if (master_fork(m, PERUID_ROLE_ROUTER, -1) != APR_SUCCESS) {
            return;
        }
    }
}

/* Master: StartServers workers, spread over the configured pools. */
static void master_start_workers(peruid_master_t *m)
{
    peruid_retained_t *rd = m->rd;
    int started = 0, i, progress = 1;

    while (started < rd->cfg.start_servers && progress) {
        progress = 0;
        for (i = 0; i < rd->npools && started < rd->cfg.start_servers; i++) {
            if (rd->pools[i].in_config
                && master_fork(m, PERUID_ROLE_WORKER, i) == APR_SUCCESS) {
                started++;
                progress = 1;
            }
        }
    }
}

/* Master: one child has exited; note it and replace a router. */
static void master_reaped(peruid_master_t *m, apr_proc_t *proc,
                          apr_exit_why_e why, int status)
{
    peruid_retained_t *rd = m->rd;
    int processed = ap_process_child_status(proc, why, status);
    int slot = ap_find_child_by_pid(proc);
    int current, role;

    if (slot < 0) {
#if APR_HAS_OTHER_CHILD
        apr_proc_other_child_alert(proc, APR_OC_REASON_DEATH, status);
#endif
        return;
    }
    current = ap_scoreboard_image->parent[slot].generation
              == rd->mpm->my_generation;
    role = rd->slots[slot].role;
    master_child_gone(slot, proc->pid, 0);
    if (processed == APEXIT_CHILDFATAL && current) {
        m->fatal = 1;
        return;
    }
    if (role == PERUID_ROLE_ROUTER) {
        master_start_routers(m);    /* an old one may have freed a slot */
    }
}

/* Master: give every pool the workers it lacks. */
static void master_maintain_all(peruid_master_t *m)
{
    int i;

    for (i = 0; i < m->rd->npools; i++) {
        master_pool_maintain(m, i);
    }
}

/* Master: reap every child that has exited; a worker that left may have
 * left its pool short (graceful restart, MaxRequestWorkers reached). */
static void master_reap(peruid_master_t *m)
{
    apr_exit_why_e why;
    apr_proc_t proc;
    int status, reaped = 0;

    while (apr_proc_wait_all_procs(&proc, &status, &why, APR_NOWAIT, m->pconf)
           == APR_CHILD_DONE) {
        master_reaped(m, &proc, why, status);
        reaped = 1;
    }
    ap_update_global_status();
    if (reaped) {
        master_maintain_all(m);
    }
}

/* Master: the once-a-second work: monitor hooks, pool maintenance. */
static void master_periodic(peruid_master_t *m)
{
    m->next_tick = apr_time_now() + MASTER_TICK;
    ap_run_monitor(m->pconf, m->s);
    master_start_routers(m);
#if APR_HAS_OTHER_CHILD
    apr_proc_other_child_refresh_all(APR_OC_REASON_RUNNING);
#endif
    master_maintain_all(m);
}

/* Master: wait for control records, children or the next tick. */
static void master_tick(peruid_master_t *m)
{
    struct pollfd pfd;
    apr_time_t now = apr_time_now();
    int ms = m->next_tick > now
             ? (int)apr_time_as_msec(m->next_tick - now) + 1 : 0;

    pfd.fd = m->rd->ctl_recv;
    pfd.events = POLLIN;
    if (poll(&pfd, 1, ms) > 0) {
        master_read_control(m);
    }
    master_reap(m);
    if (apr_time_now() >= m->next_tick) {
        master_periodic(m);
    }
}

/* Master: send sig to every child of ours (by pid, from the scoreboard)
 * whose role matches (-1: all). */
static int master_signal_children(peruid_master_t *m, int role, int sig)
{
    peruid_retained_t *rd = m->rd;
    int i, n = 0;

    for (i = 0; i < rd->max_daemons_used; i++) {
        if (rd->slots[i].role != PERUID_ROLE_MASTER
            && (role < 0 || rd->slots[i].role == role)
            && ap_scoreboard_image->parent[i].pid > 0) {
            if (sig == AP_SIG_GRACEFUL) {
                ap_scoreboard_image->servers[i][0].status = SERVER_GRACEFUL;
            }
            ap_mpm_safe_kill(ap_scoreboard_image->parent[i].pid, sig);
            n++;
        }
    }
    return n;
}

/* Master: how many children of a role are still alive. */
static int master_count(peruid_master_t *m, int role)
{
    peruid_retained_t *rd = m->rd;
    int i, n = 0;

    for (i = 0; i < rd->max_daemons_used; i++) {
        n += rd->slots[i].role == role
             && ap_scoreboard_image->parent[i].pid > 0;
    }
    return n;
}

/* Master: tick until no child of role is left or the cutoff passes. */
static void master_wait_for(peruid_master_t *m, int role, apr_time_t cutoff)
{
    while (master_count(m, role) > 0
           && (!cutoff || apr_time_now() < cutoff)
           && !(m->rd->mpm->shutdown_pending
                && m->rd->mpm->is_ungraceful)) {
        master_tick(m);
    }
}

/* Master: graceful-stop.  Routers first: they stop accepting and hand
 * over what they have; workers (spawned on demand meanwhile) then serve
 * what is queued, finish and exit.  GracefulShutdownTimeout bounds it. */
static void master_graceful_stop(peruid_master_t *m)
{
    apr_time_t cutoff = 0;

    if (ap_graceful_shutdown_timeout) {
        cutoff = apr_time_now()
                 + apr_time_from_sec(ap_graceful_shutdown_timeout);
    }
    ap_close_listeners();
    m->rd->mpm->shutdown_pending = 0;
    master_signal_children(m, PERUID_ROLE_ROUTER, AP_SIG_GRACEFUL_STOP);
    master_wait_for(m, PERUID_ROLE_ROUTER, cutoff);
    m->stopping = 1;
    master_signal_children(m, PERUID_ROLE_WORKER, AP_SIG_GRACEFUL_STOP);
    master_wait_for(m, PERUID_ROLE_WORKER, cutoff);
    master_signal_children(m, -1, SIGTERM);
    ap_reclaim_child_processes(1, master_child_gone);
}

/* Master: the generation is over; stop or restart as asked. */
static int master_finish(peruid_master_t *m)
{
    ap_unixd_mpm_retained_data *mpm = m->rd->mpm;

    mpm->mpm_state = AP_MPMQ_STOPPING;
    if (mpm->shutdown_pending || m->fatal) {
        m->stopping = 1;
        if (!mpm->is_ungraceful && !m->fatal) {
            master_graceful_stop(m);
        }
        else {
            master_signal_children(m, -1, SIGTERM);
            ap_reclaim_child_processes(1, master_child_gone);
        }
        ap_remove_pid(m->pconf, ap_pid_fname);
        ap_log_error(APLOG_MARK, APLOG_NOTICE, 0, m->s, PERUID_LOGNO(00032)
                     "%s, shutting down", m->fatal ? "a child failed fatally"
                     : "caught SIGTERM or " AP_SIG_GRACEFUL_STOP_STRING);
        return m->fatal ? !OK : DONE;
    }
    ++mpm->my_generation;
    ap_scoreboard_image->global->running_generation = mpm->my_generation;
    if (!mpm->is_ungraceful) {
        ap_log_error(APLOG_MARK, APLOG_NOTICE, 0, m->s, PERUID_LOGNO(00033)
                     "graceful restart requested, doing restart");
        master_signal_children(m, -1, AP_SIG_GRACEFUL);
    }
    else {
        master_signal_children(m, -1, SIGHUP);
        ap_reclaim_child_processes(0, master_child_gone);
        ap_log_error(APLOG_MARK, APLOG_NOTICE, 0, m->s, PERUID_LOGNO(00034)
                     "SIGHUP received, attempting to restart");
    }
    return OK;
}

/* Master: first start only: scoreboard slots table, pre_mpm hooks. */
static apr_status_t master_first_start(peruid_retained_t *rd, server_rec *s)
{
    if (rd->mpm->was_graceful) {
        return APR_SUCCESS;
    }
    if (ap_run_pre_mpm(s->process->pool, SB_SHARED) != OK) {
        return APR_EGENERAL;
    }
    ap_scoreboard_image->global->running_generation = rd->mpm->my_generation;
    if (!rd->slots) {
        int i;

        rd->slots = calloc(rd->first_server_limit, sizeof(*rd->slots));
        if (!rd->slots) {
            return APR_ENOMEM;
        }
        for (i = 0; i < rd->first_server_limit; i++) {
            rd->slots[i].pool = -1;
        }
    }
    return APR_SUCCESS;
}

/* Master, root: the mpm hook's body; one call per generation. */
int peruid_master_run(peruid_retained_t *rd, apr_pool_t *pconf,
                      apr_pool_t *plog, server_rec *s)
{
    peruid_master_t m;
    apr_status_t rv;

    memset(&m, 0, sizeof(m));
    m.rd = rd;
    m.pconf = pconf;
    m.s = s;
    ap_log_pid(pconf, ap_pid_fname);
    if ((rv = master_first_start(rd, s)) != APR_SUCCESS
        || (rv = peruid_pools_init(rd)) != APR_SUCCESS
        || (rv = peruid_pools_assign(rd, s)) != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_EMERG, rv, s, PERUID_LOGNO(00035)
                     "cannot set up the worker pools; not starting");
        rd->mpm->mpm_state = AP_MPMQ_STOPPING;
        return !OK;
    }
    ap_unixd_mpm_set_signals(pconf, rd->one_process);
    if (rd->one_process) {
        peruid_worker_one_process(rd, pconf);
    }
    apr_signal(SIGCHLD, master_sigchld);
    apr_pool_cleanup_register(pconf, NULL, master_sigchld_reset,
                              apr_pool_cleanup_null);
    master_start_routers(&m);
    if (!rd->mpm->was_graceful) {
        master_start_workers(&m);
    }
    ap_log_error(APLOG_MARK, APLOG_NOTICE, 0, s, PERUID_LOGNO(00036)
                 "%s configured -- resuming normal operations "
                 "(%d routers, %d user pools)", ap_get_server_description(),
                 rd->cfg.routers, rd->npools);
    ap_log_command_line(plog, s);
    ap_log_mpm_common(s);
    rd->mpm->mpm_state = AP_MPMQ_RUNNING;
    while (!rd->mpm->restart_pending && !rd->mpm->shutdown_pending
           && !m.fatal) {
        master_tick(&m);
    }
    return master_finish(&m);
}
