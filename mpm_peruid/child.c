/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * child.c -- what routers and workers do alike right after fork.
 *
 * Runs in a freshly forked child, first as root (closing what the role
 * must not hold, calling creds.c once), then as the child's own user.
 */

#include <errno.h>
#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "httpd.h"
#include "apr_signal.h"
#include "http_core.h"
#include "http_log.h"
#include "http_main.h"
#include "mpm_common.h"
#include "ap_listen.h"

#include "peruid.h"
#include "child.h"
#include "creds.h"
#include "handover.h"
#include "uidrange.h"

/* This process's identity: a child's role, slot, pool and ids, set right
 * after fork; the master writes only the signal mask it forks with. */
static peruid_self_t self;

/* Any process: see child.h. */
peruid_self_t *peruid_self(void)
{
    return &self;
}

/* Signal flag: the master asked this child to finish and exit: 1 for
 * AP_SIG_GRACEFUL (a graceful restart, or the master's request to leave),
 * 2 for AP_SIG_GRACEFUL_STOP (a graceful stop: serve what is queued
 * first). */
static volatile sig_atomic_t child_stop_requested;

/* Child, signal context: graceful stop, restart or a request to leave.
 * As under prefork, the MPM state turns to STOPPING, so httpd ends
 * kept-alive connections after the current request; a worker waiting
 * for a connection returns from recvmsg() with EINTR. */
static void child_graceful(int sig)
{
    if (child_stop_requested != 2) {
        child_stop_requested = sig == AP_SIG_GRACEFUL_STOP ? 2 : 1;
    }
    peruid_retained()->mpm->mpm_state = AP_MPMQ_STOPPING;
}

/* Child, signal context: SIGTERM/SIGHUP end the child now, as prefork's
 * children do, running the pool cleanups (child_exit). */
static void child_just_die(int sig)
{
    peruid_retained_t *rd = peruid_retained();

    peruid_child_exit(rd, peruid_self()->pchild, 0);
}

/* Child: has the master asked us to stop? */
int peruid_child_should_stop(void)
{
    return child_stop_requested != 0;
}

/* Child: was it a graceful stop, after which a worker serves what the
 * routers queued for its pool before they exited (worker_drain)? */
int peruid_child_stop_drains(void)
{
    return child_stop_requested == 2;
}

/* Child, root: our own signal handlers.  The master forks with every
 * signal blocked (peruid_child_block_signals), so a signal sent right
 * after the fork waits for these handlers instead of being lost. */
static void child_signals(const sigset_t *was)
{
    apr_signal(SIGHUP, child_just_die);
    apr_signal(SIGTERM, child_just_die);
    apr_signal(SIGINT, SIG_IGN);
    apr_signal(SIGPIPE, SIG_IGN);
    apr_signal(SIGCHLD, SIG_DFL);
    apr_signal(AP_SIG_GRACEFUL, child_graceful);
    apr_signal(AP_SIG_GRACEFUL_STOP, child_graceful);
    sigprocmask(SIG_SETMASK, was, NULL);
}

/* Master (root): block every signal around a fork; *was receives the mask
 * to restore (the master after fork, the child once its handlers are
 * installed). */
void peruid_child_block_signals(sigset_t *was)
{
    sigset_t all;

    sigfillset(&all);
    sigprocmask(SIG_BLOCK, &all, was);
}

/* Child, root: signals, the child pool, our identity in the context. */
apr_pool_t *peruid_child_init(peruid_retained_t *rd, apr_pool_t *pconf,
                              peruid_role_e role, int slot)
{
    apr_allocator_t *allocator;
    apr_pool_t *pchild;

    child_signals(&peruid_self()->sigmask);

    ap_fatal_signal_child_setup(ap_server_conf);
    apr_allocator_create(&allocator);
    apr_allocator_max_free_set(allocator, ap_max_mem_free);
    apr_pool_create_ex(&pchild, pconf, NULL, allocator);
    apr_allocator_owner_set(allocator, pchild);
    apr_pool_tag(pchild, "pchild");

    peruid_self()->role = role;
    peruid_self()->slot = slot;
    peruid_self()->pool = -1;
    peruid_self()->pchild = pchild;
    rd->mpm->mpm_state = AP_MPMQ_STARTING;
    return pchild;
}

/* Child, root: close the master's ends of the preforked workers' bind
 * sockets (inherited with the master's memory); only a preforked worker
 * keeps its own end, to wait for its pool. */
static void child_close_bind_sockets(peruid_retained_t *rd)
{
    int i;

    for (i = 0; i < rd->max_daemons_used; i++) {
        peruid_slot_t *sl = &rd->slots[i];

        if (sl->bind_send >= 0) {
            close(sl->bind_send);
            sl->bind_send = -1;
        }
        if (sl->bind_recv >= 0 && i != peruid_self()->slot) {
            close(sl->bind_recv);
            sl->bind_recv = -1;
        }
    }
}

/* Child, root: close every channel end the role must not hold.  Routers
 * keep all send ends and the control send end; a worker keeps only the
 * receive end of its own pool (a preforked one: none, and its own bind
 * socket); the back channels' ends as peruid_handover_close_fds says. */
void peruid_child_close_fds(peruid_retained_t *rd, peruid_role_e role,
                            int keep_pool)
{
    int i;

    for (i = 0; i < rd->npools; i++) {
        if (role != PERUID_ROLE_ROUTER) {
            close(rd->pools[i].chan_send);
            rd->pools[i].chan_send = -1;
        }
        if (i != keep_pool) {
            close(rd->pools[i].chan_recv);
            rd->pools[i].chan_recv = -1;
        }
        peruid_handover_close_fds(&rd->pools[i], role, i, keep_pool);
    }
    close(rd->ctl_recv);
    rd->ctl_recv = -1;
    if (role != PERUID_ROLE_ROUTER) {
        close(rd->ctl_send);
        rd->ctl_send = -1;
    }
    child_close_bind_sockets(rd);
}

/* Child, after the switch: die with the master (the switch cleared any
 * earlier parent-death signal), and keep routers out of reach of ptrace
 * and /proc/<pid>/mem even where CoreDumpDirectory made children dumpable:
 * they hold every request head.  Their uid (PeruidRouterUser) is one no
 * tenant runs as; this is the second guard. */
static apr_status_t child_bind_to_master(peruid_retained_t *rd, server_rec *s)
{
    if (!peruid_settings()->one_process
        && (prctl(PR_SET_PDEATHSIG, SIGTERM, 0, 0, 0) < 0
            || getppid() != rd->master_pid)) {
        return APR_EGENERAL;
    }
    if (peruid_self()->role == PERUID_ROLE_ROUTER
        && prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0) {
        ap_log_error(APLOG_MARK, APLOG_EMERG, errno, s, PERUID_LOGNO(00007)
                     "router: prctl(PR_SET_DUMPABLE, 0) failed");
        return APR_EGENERAL;
    }
    return APR_SUCCESS;
}

/* Worker, root: the RLIMIT_NPROC of the worker of pool, folded from the
 * RLimitNPROC of every server its pool serves (each vhost's own, or the
 * main server's, which core merges into the vhosts without one); returns
 * 0 if none sets one.  Only the servers' own settings count: an
 * RLimitNPROC in a <Directory> still applies to CGI programs there
 * (mod_cgi), not to the worker.  RLimitCPU and RLimitMEM are never set
 * on a worker (CPU time would add up over its requests); mod_cgi sets
 * them on CGI programs, as under prefork. */
static int child_nproc(server_rec *main_s, int pool, struct rlimit *acc)
{
    server_rec *s;
    int n = 0;

    for (s = main_s; s; s = s->next) {
        core_dir_config *dconf = ap_get_core_module_config(s->lookup_defaults);

        if (peruid_server_pool(s) == pool) {
            peruid_creds_nproc_fold(acc, &n, dconf->limit_nproc);
        }
    }
    return n;
}

/* Child, root: a worker's LimitUIDRange and LimitGIDRange into *r (NULL
 * when neither is set, and for routers, whose own filter refuses the
 * whole setuid family after their switch). */
static const peruid_uidrange_t *child_range(peruid_uidrange_t *r)
{
    const peruid_settings_t *cfg = peruid_settings();

    if (!cfg->uid_range_set || peruid_self()->role != PERUID_ROLE_WORKER) {
        return NULL;
    }
    r->uid_min = cfg->uid_min;
    r->uid_max = cfg->uid_max;
    r->gid_min = cfg->gid_min;
    r->gid_max = cfg->gid_max;
    return r;
}

/* Child, root until it returns: switch for good to who's ids (creds.c),
 * then let other modules' drop_privileges hooks run (they find us no
 * longer root).  Any failure is fatal to the child. */
apr_status_t peruid_child_become(peruid_retained_t *rd,
                                 const peruid_pool_t *who, server_rec *s)
{
    const char *call = "";
    struct rlimit nproc;
    peruid_uidrange_t range;
    peruid_ids_t ids;
    apr_status_t rv;

    ids.uid = who->uid;
    ids.gid = who->gid;
    ids.groups = who->groups;
    ids.ngroups = who->ngroups;
    ids.nproc = NULL;
    if (peruid_self()->role == PERUID_ROLE_WORKER
        && child_nproc(s, peruid_self()->pool, &nproc) > 0) {
        ids.nproc = &nproc;
    }
    rv = peruid_creds_switch_limited(&ids, child_range(&range), &call);
    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_EMERG, rv, s, PERUID_LOGNO(00006)
                     "%s: switching to uid %ld gid %ld (%s) failed at %s; "
                     "refusing to serve",
                     peruid_self()->role == PERUID_ROLE_ROUTER
                     ? "router" : "worker", (long)who->uid, (long)who->gid,
                     who->user ? who->user : "-", call);
        return rv;
    }
    peruid_self()->uid = who->uid;
    peruid_self()->gid = who->gid;
    peruid_self()->user = who->user;
    if (ap_run_drop_privileges(peruid_self()->pchild, s)) {
        return APR_EGENERAL;
    }
    return child_bind_to_master(rd, s);
}

/* Child: leave, running child_stopping and the pool cleanups; without a
 * pchild (a preforked worker never bound, still root) leave at once, so
 * that no module's exit code runs as root. */
void peruid_child_exit(peruid_retained_t *rd, apr_pool_t *pchild, int code)
{
    rd->mpm->mpm_state = AP_MPMQ_STOPPING;
    apr_signal(SIGHUP, SIG_IGN);
    apr_signal(SIGTERM, SIG_IGN);
    if (!pchild) {
        _exit(code);            /* a preforked worker not yet bound */
    }
    if (code == 0) {
        ap_run_child_stopping(pchild, 0);
    }
    apr_pool_destroy(pchild);
    exit(code);
}
