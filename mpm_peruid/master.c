/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * master.c -- the master process (root): its loop, restarts and stops.
 * schedule.c decides which pool gets a worker; children.c keeps the
 * table of children.
 *
 * The master reads nothing from clients: it holds the listeners only to
 * hand them to the routers it forks, and the pool channels only to hand
 * each worker its own end.  What it reads is the control channel (fixed
 * SPAWN records from routers, checked against the allow-list) and its
 * children's exit status.
 */

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <signal.h>
#include <unistd.h>
#include <sys/resource.h>

#include "httpd.h"
#include "apr_atomic.h"
#include "apr_signal.h"
#include "apr_strings.h"
#include "http_log.h"
#include "http_main.h"
#include "mpm_common.h"
#include "ap_listen.h"

#include "peruid.h"
#include "child.h"
#include "master.h"
#include "channel.h"
#include "exprpool.h"
#include "logs.h"
#include "status.h"

#define MASTER_TICK apr_time_from_sec(1)
#define MASTER_FDS_PER_POOL 2
#define MASTER_FD_RESERVE 128

/* Signal flag: a child has exited since the master last reaped. */
static volatile sig_atomic_t master_child_exited;

/* Master, signal context: SIGCHLD interrupts poll(), so children are
 * reaped and replaced at once; the flag spares the master a wait4() over
 * hundreds of children on every other wake-up. */
static void master_sigchld(int sig)
{
    master_child_exited = 1;
}

/* Master: before pconf goes (restart or exit) the module's code may be
 * unloaded; no signal may find a handler of ours any more. */
static apr_status_t master_sigchld_reset(void *unused)
{
    apr_signal(SIGCHLD, SIG_DFL);
    return APR_SUCCESS;
}

/* Master: read the routers' SPAWN records; each names a pool that is
 * short of workers, and one scheduling pass serves them all.  Anything
 * else is logged and dropped. */
static void master_read_control(peruid_master_t *m)
{
    peruid_retained_t *rd = m->rd;
    peruid_msg_t msg;
    apr_status_t rv;
    int fd, asked = 0;

    while ((rv = peruid_chan_recv(rd->ctl_recv, &msg, &fd)) != EAGAIN) {
        if (rv == APR_SUCCESS && msg.pool < (apr_uint32_t)rd->npools
            && peruid_chan_check(&msg, PERUID_MSG_SPAWN, msg.pool, fd >= 0)
               == APR_SUCCESS) {
            peruid_schedule_watch(m, (int)msg.pool);
            asked = 1;
            continue;
        }
        if (rv == APR_SUCCESS && fd < 0
            && peruid_chan_check(&msg, PERUID_MSG_USER, msg.pool, 0)
               == APR_SUCCESS) {
            peruid_exprpool_user(m, &msg);  /* an Expr user's pool */
            asked = 1;
            continue;
        }
        if (fd >= 0) {
            close(fd);
        }
        ap_log_error(APLOG_MARK, APLOG_WARNING, rv, m->s, PERUID_LOGNO(00031)
                     "master: dropped a malformed control record");
        if (rv != APR_SUCCESS && rv != APR_EINVAL) {
            break;
        }
    }
    if (asked) {
        peruid_schedule(m, 0);
    }
}

/* Master: start the routers this generation lacks. */
static void master_start_routers(peruid_master_t *m)
{
    peruid_retained_t *rd = m->rd;
    int i, n = 0;

    for (i = 0; i < rd->max_daemons_used; i++) {
        n += rd->slots[i].role == PERUID_ROLE_ROUTER
             && rd->slots[i].generation == rd->mpm->my_generation;
    }
    for (; n < peruid_settings()->routers && !m->no_routers; n++) {
        if (peruid_children_fork(m, PERUID_ROLE_ROUTER, -1)
            != APR_SUCCESS) {
            return;
        }
    }
}

/* Master: StartServers workers, spread over the configured pools. */
static void master_start_workers(peruid_master_t *m)
{
    peruid_retained_t *rd = m->rd;
    int start = peruid_settings()->start_servers;
    int started = 0, i, progress = 1;

    while (started < start && progress) {
        progress = 0;
        for (i = 0; i < rd->npools && started < start; i++) {
            if (rd->pools[i].in_config
                && peruid_children_fork(m, PERUID_ROLE_WORKER, i)
                   == APR_SUCCESS) {
                started++;
                progress = 1;
            }
        }
    }
}

/* Master, root (and the log relay, root: logs.c): the first size - 1
 * bytes of a small file (/proc/PID/stat, /proc/self/status) into buf,
 * NUL-terminated; returns how many, 0 if none could be read. */
ssize_t peruid_master_read_small(const char *path, char *buf, size_t size)
{
    ssize_t n;
    int fd;

    if (size == 0 || (fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
        return 0;
    }
    n = read(fd, buf, size - 1);
    close(fd);
    n = n > 0 ? n : 0;
    buf[n] = '\0';
    return n;
}

/* Master: is process pid stopped (SIGSTOP, or under a tracer)? */
static int master_is_stopped(pid_t pid)
{
    char path[64], buf[512], *p;

    apr_snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
    if (peruid_master_read_small(path, buf, sizeof(buf)) == 0) {
        return 0;
    }
    p = strrchr(buf, ')');
    return p && strlen(p) >= 3 && (p[2] == 'T' || p[2] == 't');
}

/* Master: a router that a process of the same user (a vhost without
 * AssignUserID) stopped with SIGSTOP is killed and replaced. */
static void master_check_routers(peruid_master_t *m)
{
    peruid_retained_t *rd = m->rd;
    int i;

    for (i = 0; i < rd->max_daemons_used; i++) {
        if (rd->slots[i].role == PERUID_ROLE_ROUTER
            && master_is_stopped(rd->slots[i].pid)) {
            ap_log_error(APLOG_MARK, APLOG_WARNING, 0, m->s,
                         PERUID_LOGNO(00037) "router pid %ld was stopped; "
                         "replacing it", (long)rd->slots[i].pid);
            peruid_children_send(rd, i, SIGKILL);
        }
    }
}

/* Master: the once-a-second work: monitor hooks, routers, pools. */
static void master_periodic(peruid_master_t *m)
{
    m->next_tick = apr_time_now() + MASTER_TICK;
    ap_run_monitor(m->pconf, m->s);
#if APR_HAS_OTHER_CHILD
    apr_proc_other_child_refresh_all(APR_OC_REASON_RUNNING);
#endif
    master_check_routers(m);
    peruid_watch_routers(m);
    peruid_watch_log_pending(m);
    peruid_logs_tick();
    master_start_routers(m);
    peruid_schedule(m, 1);
}

/* Master: wait for control records, children or the next tick.  A child
 * that left may have left its pool short (graceful restart, make room)
 * or freed a slot a router was waiting for. */
static void master_tick(peruid_master_t *m)
{
    struct pollfd pfd;
    apr_time_t now = apr_time_now();
    apr_time_t wake = m->next_pass && m->next_pass < m->next_tick
                      ? m->next_pass : m->next_tick;
    int ms = wake > now ? (int)apr_time_as_msec(wake - now) + 1 : 0;

    if (master_child_exited) {
        ms = 0;     /* a SIGCHLD came before the wait (e.g. a router the
                     * once-a-second work killed): reap it now */
    }

    pfd.fd = m->rd->ctl_recv;
    pfd.events = POLLIN;
    if (poll(&pfd, 1, ms) > 0) {
        master_read_control(m);
    }
    if (master_child_exited || apr_time_now() >= m->next_tick) {
        master_child_exited = 0;
        if (peruid_children_reap(m) > 0) {
            master_start_routers(m);
            peruid_schedule(m, 0);
        }
    }
    if (apr_time_now() >= m->next_tick) {
        master_periodic(m);
    }
    else if (m->next_pass && apr_time_now() >= m->next_pass) {
        peruid_schedule(m, 0);
    }
}

/* Master: tick until no child of role is left or the cutoff passes. */
static void master_wait_for(peruid_master_t *m, int role, apr_time_t cutoff)
{
    while (peruid_children_count(m->rd, role, -1) > 0
           && (!cutoff || apr_time_now() < cutoff)
           && !(m->rd->mpm->shutdown_pending
                && m->rd->mpm->is_ungraceful)) {
        master_tick(m);
    }
}

/* Master: graceful-stop.  Routers first: they stop accepting and hand
 * over what they hold, while workers are still started for it; then the
 * workers serve what is queued, finish and exit.  GracefulShutdownTimeout
 * bounds the whole. */
static void master_graceful_stop(peruid_master_t *m)
{
    apr_time_t cutoff = 0;

    if (ap_graceful_shutdown_timeout) {
        cutoff = apr_time_now()
                 + apr_time_from_sec(ap_graceful_shutdown_timeout);
    }
    ap_close_listeners();
    m->rd->mpm->shutdown_pending = 0;
    m->no_routers = 1;
    peruid_children_signal(m->rd, PERUID_ROLE_ROUTER, AP_SIG_GRACEFUL_STOP);
    master_wait_for(m, PERUID_ROLE_ROUTER, cutoff);
    m->no_workers = 1;
    peruid_children_signal(m->rd, PERUID_ROLE_WORKER, AP_SIG_GRACEFUL_STOP);
    master_wait_for(m, PERUID_ROLE_WORKER, cutoff);
    peruid_children_reclaim(m->rd, SIGTERM);
}

/* Master: stop now: SIGTERM to every child, then SIGKILL to those still
 * there a few seconds later (children.c). */
static void master_hard_stop(peruid_master_t *m)
{
    m->no_routers = m->no_workers = 1;
    peruid_children_reclaim(m->rd, SIGTERM);
}

/* Master: the generation is over; stop or restart as asked. */
static int master_finish(peruid_master_t *m)
{
    ap_unixd_mpm_retained_data *mpm = m->rd->mpm;

    mpm->mpm_state = AP_MPMQ_STOPPING;
    if (mpm->shutdown_pending || m->fatal) {
        if (!mpm->is_ungraceful && !m->fatal) {
            master_graceful_stop(m);
        }
        else {
            master_hard_stop(m);
        }
        peruid_children_kill_strays(m->rd);
        peruid_logs_end(1);     /* the workers' last lines written */
        ap_remove_pid(m->pconf, ap_pid_fname);
        ap_log_error(APLOG_MARK, APLOG_NOTICE, 0, m->s, PERUID_LOGNO(00032)
                     "%s, shutting down", m->fatal ? "a router failed fatally"
                     : "caught SIGTERM or " AP_SIG_GRACEFUL_STOP_STRING);
        return m->fatal ? !OK : DONE;
    }
    ++mpm->my_generation;
    ap_scoreboard_image->global->running_generation = mpm->my_generation;
    if (!mpm->is_ungraceful) {
        ap_log_error(APLOG_MARK, APLOG_NOTICE, 0, m->s, PERUID_LOGNO(00033)
                     "graceful restart requested, doing restart");
        peruid_children_signal(m->rd, -1, AP_SIG_GRACEFUL);
    }
    else {
        peruid_children_reclaim(m->rd, SIGHUP);
        ap_log_error(APLOG_MARK, APLOG_NOTICE, 0, m->s, PERUID_LOGNO(00034)
                     "SIGHUP received, attempting to restart");
    }
    /* the pool channels outlive the generation: no process the master
     * did not fork may keep taking connections from them */
    peruid_children_kill_strays(m->rd);
    peruid_logs_end(mpm->is_ungraceful);    /* old relay: see logs.c */
    return OK;
}

/* Master: every pool costs descriptors in the master (both channel ends)
 * and in every router; raise the soft limit to the hard one. */
static void master_raise_nofile(peruid_retained_t *rd, server_rec *s)
{
    struct rlimit rl;
    rlim_t need = (rlim_t)rd->npools * MASTER_FDS_PER_POOL
                  + MASTER_FD_RESERVE;

    if (getrlimit(RLIMIT_NOFILE, &rl) < 0) {
        return;
    }
    if (rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    if (rl.rlim_cur < need) {
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s, PERUID_LOGNO(00038)
                     "%d user pools need about %ld open files, the limit is "
                     "%ld: raise it (ulimit -n, APACHE_ULIMIT_MAX_FILES)",
                     rd->npools, (long)need, (long)rl.rlim_cur);
    }
}

/* Master: pre_mpm hooks and the tables, first start only; the pools on
 * every configuration read. */
static apr_status_t master_setup(peruid_retained_t *rd, apr_pool_t *pconf,
                                 server_rec *s)
{
    apr_status_t rv;

    if (!rd->mpm->was_graceful) {
        if (ap_run_pre_mpm(s->process->pool, SB_SHARED) != OK) {
            return APR_EGENERAL;
        }
        ap_scoreboard_image->global->running_generation =
            rd->mpm->my_generation;
    }
    if ((rv = peruid_children_init(rd)) != APR_SUCCESS
        || (rv = peruid_pools_init(rd)) != APR_SUCCESS
        || (rv = peruid_pools_assign(rd, pconf, s)) != APR_SUCCESS) {
        return rv;
    }
    peruid_status_init(rd, s);      /* mod_status's page (status.c) */
    master_raise_nofile(rd, s);
    return APR_SUCCESS;
}

/* Master: the new generation cannot start; the old one (graceful
 * restart) must not go on unsupervised. */
static int master_abort(peruid_master_t *m, apr_status_t rv)
{
    ap_log_error(APLOG_MARK, APLOG_EMERG, rv, m->s, PERUID_LOGNO(00035)
                 "cannot set up the worker pools; stopping");
    m->rd->mpm->mpm_state = AP_MPMQ_STOPPING;
    if (m->rd->slots) {
        master_hard_stop(m);
    }
    return !OK;
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
    rd->master_pid = getpid();
    ap_log_pid(pconf, ap_pid_fname);
    if ((rv = master_setup(rd, pconf, s)) != APR_SUCCESS
        || (rv = peruid_schedule_init(&m)) != APR_SUCCESS
        || (rv = peruid_watch_init(&m)) != APR_SUCCESS
        || (rv = peruid_logs_start(rd, pconf)) != APR_SUCCESS) {
        return master_abort(&m, rv);
    }
    ap_unixd_mpm_set_signals(pconf, peruid_settings()->one_process);
    if (peruid_settings()->one_process) {
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
                 peruid_settings()->routers, rd->npools);
    ap_log_command_line(plog, s);
    ap_log_mpm_common(s);
    rd->mpm->mpm_state = AP_MPMQ_RUNNING;
    while (!rd->mpm->restart_pending && !rd->mpm->shutdown_pending
           && !m.fatal) {
        master_tick(&m);
    }
    return master_finish(&m);
}
