/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * watch.c -- the master's watch over its routers.
 *
 * Every site depends on the routers accepting.  A router can stop doing
 * so without dying: stopped, traced, limited to no file descriptors
 * (prlimit --nofile), stuck.  Whatever the cause, the kernel shows it:
 * connections wait in a listener's accept queue and none of them is
 * taken.  Once a second the master, which holds the listeners, asks the
 * kernel how many wait (TCP_INFO: a listener's tcpi_unacked is its
 * accept queue), and only when some do, which ones (/proc/net/tcp and
 * tcp6: established, no inode yet); when one of them has waited
 * WATCH_STALL while the routers ran (stall.c decides), it kills every
 * router of the generation, by the pids of its own table, and starts new
 * ones (PU00083).  The routers' own word is never asked.
 *
 * Router deaths that nobody asked for are logged, at most one line a
 * second with the count (PU00084): a router killed in a loop shows.
 *
 * Runs in the master only, as root.
 */

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include "httpd.h"
#include "apr_portable.h"
#include "apr_signal.h"
#include "apr_strings.h"
#include "http_log.h"
#include "http_main.h"
#include "ap_listen.h"

#include "peruid.h"
#include "master.h"
#include "stall.h"

/* A connection that waits this long in an accept queue while routers
 * run means they stopped accepting (healthy ones take it in
 * milliseconds, the queue is first in, first out). */
#define WATCH_STALL apr_time_from_sec(3)
#define WATCH_MAX_KEYS 1024     /* waiting connections read per look    */
#define WATCH_NAMED 8           /* router pids named in a log line      */

/* The watch's state for one generation. */
struct peruid_watch_s {
    int *fds;                   /* the listeners ...                     */
    stall_listener_t *ls;       /* ... as the kernel's tables show them  */
    int nls;
    stall_watch_t w;
    stall_key_t *keys;          /* WATCH_MAX_KEYS                        */
    stall_log_t deaths;
    pid_t last_pid;             /* the last death held back              */
    apr_exit_why_e last_why;
    int last_status;
};

/* Master: fd's address as stall.c compares it; -1 if it has none. */
static int watch_listener(int fd, stall_listener_t *l)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);

    memset(l, 0, sizeof(*l));
    if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0) {
        return -1;
    }
    if (ss.ss_family == AF_INET) {
        struct sockaddr_in *sin = (struct sockaddr_in *)&ss;

        memcpy(l->addr, &sin->sin_addr, 4);
        l->port = ntohs(sin->sin_port);
        return 0;
    }
    if (ss.ss_family == AF_INET6) {
        struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;

        l->v6 = 1;
        memcpy(l->addr, &sin6->sin6_addr, 16);
        l->port = ntohs(sin6->sin6_port);
        return 0;
    }
    return -1;
}

/* Master, at the start of each generation: the listeners to watch. */
apr_status_t peruid_watch_init(peruid_master_t *m)
{
    struct peruid_watch_s *w = apr_pcalloc(m->pconf, sizeof(*w));
    ap_listen_rec *lr;
    int n = 0;

    for (lr = ap_listeners; lr; lr = lr->next) {
        n++;
    }
    w->fds = apr_pcalloc(m->pconf, (n + 1) * sizeof(*w->fds));
    w->ls = apr_pcalloc(m->pconf, (n + 1) * sizeof(*w->ls));
    w->keys = apr_pcalloc(m->pconf, WATCH_MAX_KEYS * sizeof(*w->keys));
    for (lr = ap_listeners; lr; lr = lr->next) {
        apr_os_sock_t fd;

        if (apr_os_sock_get(&fd, lr->sd) == APR_SUCCESS
            && watch_listener(fd, &w->ls[w->nls]) == 0) {
            w->fds[w->nls++] = fd;
        }
    }
    m->rwatch = w;
    return APR_SUCCESS;
}

/* Master: connections waiting in the listeners' accept queues now. */
static int watch_queued(struct peruid_watch_s *w)
{
    int i, n = 0;

    for (i = 0; i < w->nls; i++) {
        struct tcp_info ti;
        socklen_t len = sizeof(ti);

        memset(&ti, 0, sizeof(ti));
        if (getsockopt(w->fds[i], IPPROTO_TCP, TCP_INFO, &ti, &len) == 0
            && ti.tcpi_state == TCP_LISTEN) {
            n += (int)ti.tcpi_unacked;
        }
    }
    return n;
}

/* Master: the waiting connections of one of the kernel's tables, added
 * to w->keys from *n. */
static void watch_read_table(struct peruid_watch_s *w, const char *path,
                             int v6, int *n)
{
    char line[512];
    FILE *f = fopen(path, "re");

    if (!f) {
        return;
    }
    while (*n < WATCH_MAX_KEYS && fgets(line, sizeof(line), f)) {
        *n += peruid_stall_parse(line, v6, w->ls, w->nls, &w->keys[*n]);
    }
    fclose(f);
}

/* Master: is a router of this generation running?  *newest: when the
 * youngest of them was forked. */
static int watch_routers_running(peruid_retained_t *rd, apr_time_t *newest)
{
    int i, n = 0;

    *newest = 0;
    for (i = 0; i < rd->max_daemons_used; i++) {
        peruid_slot_t *sl = &rd->slots[i];

        if (sl->role == PERUID_ROLE_ROUTER && sl->pid > 0 && !sl->leaving
            && sl->generation == rd->mpm->my_generation) {
            n++;
            *newest = sl->started > *newest ? sl->started : *newest;
        }
    }
    return n;
}

/* Master, root: the routers of this generation accept nothing: kill
 * them all (which one stopped, the kernel does not say); the reaper
 * starts new ones. */
static void watch_kill_routers(peruid_master_t *m, int waiting,
                               apr_interval_time_t waited)
{
    peruid_retained_t *rd = m->rd;
    const char *list = "";
    apr_pool_t *p;
    int i, n = 0;

    apr_pool_create(&p, m->pconf);
    for (i = 0; i < rd->max_daemons_used; i++) {
        peruid_slot_t *sl = &rd->slots[i];

        if (sl->role != PERUID_ROLE_ROUTER || sl->pid <= 0 || sl->leaving
            || sl->generation != rd->mpm->my_generation
            || peruid_children_send(rd, i, SIGKILL) != APR_SUCCESS) {
            continue;
        }
        if (n++ < WATCH_NAMED) {
            list = apr_psprintf(p, "%s%s%ld", list, *list ? ", " : "",
                                (long)sl->pid);
        }
    }
    ap_log_error(APLOG_MARK, APLOG_ERR, 0, m->s, PERUID_LOGNO(00083)
                 "master: %d connection%s waited over %ld s in the "
                 "listeners' accept queues while no router took %s; "
                 "killed the %d router%s (%s%s) and starting new ones",
                 waiting, waiting == 1 ? "" : "s",
                 (long)apr_time_sec(waited), waiting == 1 ? "it" : "them",
                 n, n == 1 ? "" : "s", list, n > WATCH_NAMED ? ", ..." : "");
    apr_pool_destroy(p);
}

/* Master, root, once a second: see the file's comment. */
void peruid_watch_routers(peruid_master_t *m)
{
    struct peruid_watch_s *w = m->rwatch;
    apr_time_t now = apr_time_now(), newest;
    int n = 0;

    if (!w) {
        return;
    }
    if (m->no_routers || !watch_routers_running(m->rd, &newest)
        || watch_queued(w) == 0) {
        peruid_stall_step(&w->w, w->keys, 0, now, 0, WATCH_STALL);
        return;
    }
    watch_read_table(w, "/proc/net/tcp", 0, &n);
    watch_read_table(w, "/proc/net/tcp6", 1, &n);
    if (peruid_stall_step(&w->w, w->keys, n, now, newest, WATCH_STALL)
        == STALL_STUCK) {
        watch_kill_routers(m, n, now - w->w.since);
        w->w.nkeys = 0;         /* the new routers get the whole bound */
    }
}

/* Master: one line for the router deaths held back (event 0: the tick
 * asks) or for this one (event 1), if one is due (stall.c). */
static void watch_log_deaths(peruid_master_t *m, int event)
{
    struct peruid_watch_s *w = m->rwatch;
    int n = peruid_stall_log_due(&w->deaths, event, apr_time_now());
    char how[96];

    if (n == 0) {
        return;
    }
    if (w->last_why == APR_PROC_EXIT) {
        apr_snprintf(how, sizeof(how), "exited with status %d",
                     w->last_status);
    }
    else {
        apr_snprintf(how, sizeof(how), "was killed by signal %d (%s)",
                     w->last_status,
                     apr_signal_description_get(w->last_status));
    }
    ap_log_error(APLOG_MARK, APLOG_WARNING, 0, m->s, PERUID_LOGNO(00084)
                 "master: router %ld %s; %d router death%s nobody asked "
                 "for since the last such line (routers are replaced at "
                 "once)", (long)w->last_pid, how, n, n == 1 ? "" : "s");
}

/* Master: a router that was not asked to leave has died (reaper). */
void peruid_watch_router_died(peruid_master_t *m, pid_t pid,
                              apr_exit_why_e why, int status)
{
    struct peruid_watch_s *w = m->rwatch;

    if (!w) {
        return;
    }
    w->last_pid = pid;
    w->last_why = why;
    w->last_status = status;
    watch_log_deaths(m, 1);
}

/* Master, once a second: the deaths held back, when due. */
void peruid_watch_log_pending(peruid_master_t *m)
{
    if (m->rwatch) {
        watch_log_deaths(m, 0);
    }
}
