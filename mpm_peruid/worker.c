/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * worker.c -- the worker processes: one pool per user/group pair.
 *
 * Forked by the master (root) on demand, or bound to a pool later when
 * it was preforked (preforked.c).  Before it touches any connection a
 * worker closes every channel but its own pool's receive end, switches
 * for good to the pool's user (child.c -> creds.c) and runs the
 * child_init hooks.  From then on it runs as that user only: it receives
 * a client connection from a router, lets httpd parse and serve it
 * (ap_process_connection), closes it, and waits for the next; it leaves
 * when idle too long, when the master asks, or after
 * MaxConnectionsPerChild connections.
 *
 * Every request it serves is double-checked by its request hooks
 * (double_check.c): a request that needs another user is never served.
 *
 * A connection whose deadline (the router's: accept plus
 * PeruidPeekTimeout, carried in its channel record) passed while it
 * waited in the channel is answered 503 unread instead (worker_late):
 * no connection waits in the channel beyond its deadline to be served
 * by the next worker of the pool to come free.
 */

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <time.h>
#include <string.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include "httpd.h"
#include "apr_atomic.h"
#include "apr_portable.h"
#include "apr_strings.h"
#include "http_log.h"
#include "http_main.h"
#include "http_connection.h"
#include "mpm_common.h"
#include "ap_listen.h"
#include "unixd.h"

#include "peruid.h"
#include "child.h"
#include "answer.h"
#include "channel.h"
#include "segments.h"
#include "sbcopy.h"
#include "itk.h"
#include "logs.h"
#include "handover.h"
#include "graceho.h"
#include "replay.h"
#include "tlskeys.h"
#include "sandbox.h"
#include "overlimit.h"

/* Longest a waiting worker blocks in recvmsg() before it looks at its
 * stop flag again (worker_wait). */
#define WORKER_WAIT_SLICE apr_time_from_sec(2)

/* What a worker discards of a connection it answers 503 unread (the
 * request head the router peeked at), in reads of WORKER_DISCARD bytes:
 * PeruidPeekMaxBytes' default, 64 KiB. */
#define WORKER_DISCARD       4096
#define WORKER_DISCARD_READS 16

/* At most so many queued connections a worker over its user's
 * RLIMIT_NPROC answers 503 before it leaves (worker_over_nproc): the
 * channel holds about 20. */
#define WORKER_NPROC_DRAIN 64

/* A worker's own context. */
typedef struct {
    peruid_retained_t *rd;
    apr_pool_t *pchild;
    apr_pool_t *ptrans;
    apr_socket_t *sock4;    /* reused for every IPv4 connection and     */
    apr_socket_t *sock6;    /* every IPv6 one (worker_socket)           */
    apr_bucket_alloc_t *ba;
    ap_sb_handle_t *sbh;
    peruid_pool_stat_t *stat;
    int chan;               /* the pool's receive end                    */
    int slot;
    int served;             /* connections served so far                 */
    int counted_idle;       /* we hold one unit of stat->idle            */
    int counted_starting;   /* we hold one unit of stat->starting        */
    apr_interval_time_t idle_timeout;  /* ours (worker_idle_timeout)     */
    apr_time_t idle_until;  /* waiting past this: leave? (0: not waiting) */
    apr_time_t late_logged; /* when we last logged PU00062 (0: never)    */
    int late_503s;          /* late connections answered since then      */
    int replay;             /* the received connection's replay memfd
                             * (CONN_REPLAY, handover.c), else -1        */
    apr_uint32_t hops;      /* and its hand-overs                        */
    int spare;              /* the spare descriptor, closed right before
                             * a receive (overlimit.c), else -1          */
    int full;               /* the received connection left no room for
                             * the spare: answer it 503 and leave        */
} peruid_worker_t;

/* Worker (vhost user): leave the idle count (if we are in it) and exit. */
static void worker_exit(peruid_worker_t *w, int code)
    __attribute__((noreturn));
static void worker_exit(peruid_worker_t *w, int code)
{
    if (w->counted_idle) {
        apr_atomic_dec32(&w->stat->idle);
        w->counted_idle = 0;
    }
    if (w->counted_starting) {
        apr_atomic_dec32(&w->stat->starting);
        w->counted_starting = 0;
    }
    /* the master fixes the counters of a worker that dies otherwise */
    ap_update_child_status_from_indexes(w->slot, 0, SERVER_DEAD, NULL);
    apr_pool_clear(w->ptrans);
    peruid_child_exit(w->rd, w->pchild, code);
}

/* Worker (vhost user): a monotonic clock for the idle timeout, which a
 * change of the system time must not shorten or stretch. */
static apr_time_t worker_clock(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return apr_time_from_sec(ts.tv_sec) + ts.tv_nsec / 1000;
}

/* Worker, root before the switch: this worker's idle timeout,
 * PeruidIdleTimeout plus a share of up to half of it again drawn from the
 * pid, so that workers that fell idle at the same moment (the end of a
 * burst) do not all reach their timeout in the same second. */
static apr_interval_time_t worker_idle_timeout(apr_interval_time_t t)
{
    apr_uint32_t spread = ((apr_uint32_t)getpid() * 2654435761u) >> 24;

    return t + t * (apr_interval_time_t)spread / 512;
}

/* Worker (vhost user): may a worker of our pool leave for being idle in
 * this second?
 * One a second per pool, as prefork trims its children: each exit costs
 * CPU (mod_php frees its memory, page by page), and dozens at once held
 * up other users' requests for a quarter of a second.  The counter is on
 * our own pool's page: a tenant who stops it keeps only its own workers. */
static int worker_retire_turn(peruid_worker_t *w)
{
    apr_uint32_t now = (apr_uint32_t)apr_time_sec(apr_time_now());
    apr_uint32_t last = apr_atomic_read32(&w->stat->last_retire);

    return last != now
           && apr_atomic_cas32(&w->stat->last_retire, now, last) == last;
}

/* Worker (vhost user): after an idle timeout, leave if the pool keeps
 * another idle worker without us and it is our pool's turn this second;
 * otherwise look again after a second, at the end of the wait slice then
 * running (turn), or after another idle timeout.  The pool's last idle
 * worker stays: the master lets it go once the pool is unused for
 * PeruidIdleTimeout, unless the server needs it for MinSpareServers
 * (planner.c, plan_idle_budget), which only the master can count.
 * Returns 1 to exit. */
static int worker_retire_idle(peruid_worker_t *w)
{
    apr_uint32_t v;

    w->idle_until = worker_clock() + w->idle_timeout;
    if ((apr_int32_t)apr_atomic_read32(&w->stat->idle) <= 1) {
        return 0;
    }
    if (!worker_retire_turn(w)) {
        w->idle_until = worker_clock() + apr_time_from_sec(1);
        return 0;
    }
    for (;;) {
        v = apr_atomic_read32(&w->stat->idle);
        if ((apr_int32_t)v <= 1) {
            return 0;
        }
        if (apr_atomic_cas32(&w->stat->idle, v - 1, v) == v) {
            w->counted_idle = 0;
            return 1;
        }
    }
}

/* Worker (vhost user): join the pool's idle count, the routers' hint
 * (router_dispatch).  Too many spares are not judged here but by the
 * master, once a second, as prefork does: a pool whose load comes and
 * goes keeps its workers instead of forking them again; a worker the
 * master asks to leave gets AP_SIG_GRACEFUL (worker_wait sees it).
 * Returns 1: the worker goes on. */
static int worker_become_ready(peruid_worker_t *w)
{
    if (w->counted_idle) {
        return 1;
    }
    ap_update_child_status(w->sbh, SERVER_READY, NULL);
    apr_atomic_inc32(&w->stat->idle);
    w->counted_idle = 1;
    if (w->counted_starting) {      /* ready now: no longer "starting" */
        apr_atomic_dec32(&w->stat->starting);
        w->counted_starting = 0;
    }
    return 1;
}

/* Worker (vhost user): give the kernel the spare descriptor's slot for
 * the connection about to be received (overlimit.c). */
static void worker_spare_free(peruid_worker_t *w)
{
    if (w->spare >= 0) {
        close(w->spare);
        w->spare = -1;
    }
}

/* Worker (vhost user): take a spare descriptor again, after a connection
 * was received; w->full says whether the table had no room left for it
 * (then the connection is answered 503, worker_take). */
static void worker_spare_take(peruid_worker_t *w)
{
    w->spare = fcntl(w->chan, F_DUPFD_CLOEXEC, 0);
    w->full = peruid_overlimit_fd_verdict(w->spare >= 0, errno)
              == OVERLIMIT_503;
}

/* Worker (vhost user): is msg, received with fds, a connection for our
 * pool: CONN with one descriptor, or CONN_REPLAY with the client socket
 * and its replay memfd (handover.c)? */
static apr_status_t worker_check_record(const peruid_msg_t *msg,
                                        const int fds[2])
{
    apr_uint32_t pool = (apr_uint32_t)peruid_self()->pool;

    if (msg->type == PERUID_MSG_CONN_REPLAY) {
        return peruid_chan_check_pair(msg, PERUID_MSG_CONN_REPLAY, pool,
                                      (fds[0] >= 0) + (fds[1] >= 0),
                                      PERUID_HANDOVER_MAX_HOPS);
    }
    return fds[1] >= 0 ? APR_EINVAL
                       : peruid_chan_check(msg, PERUID_MSG_CONN, pool,
                                           fds[0] >= 0);
}

/* Worker (vhost user): close the replay of a connection not served. */
static void worker_forget_replay(peruid_worker_t *w)
{
    if (w->replay >= 0) {
        close(w->replay);
        w->replay = -1;
    }
}

/* Worker (vhost user): take the next connection off the channel; with
 * wait, block for one.  Returns APR_SUCCESS with *fd, and *late set when
 * its deadline has passed; APR_EAGAIN when none is queued (or the wait
 * slice ran out); APR_EINTR (a signal); APR_EINVAL for a malformed record
 * (refused, logged, its descriptor closed); APR_EOF when every router has
 * closed the channel; another error (logged) when the channel itself
 * failed. */
static apr_status_t worker_recv(peruid_worker_t *w, int *fd, int *late,
                                int wait)
{
    peruid_msg_t msg;
    apr_status_t rv;
    int fds[2];

    worker_spare_free(w);
    rv = peruid_chan_recv_pair(w->chan, &msg, fds, wait);
    *fd = fds[0];
    w->replay = fds[1];
    if (fds[0] >= 0) {
        worker_spare_take(w);
    }
    if (APR_STATUS_IS_EAGAIN(rv)) {
        return APR_EAGAIN;
    }
    if (APR_STATUS_IS_EINTR(rv)) {
        return APR_EINTR;
    }
    if (rv == APR_SUCCESS) {
        rv = worker_check_record(&msg, fds);
    }
    if (rv == APR_SUCCESS) {
        *late = peruid_chan_expired(&msg, peruid_chan_clock());
        w->hops = msg.hops;
        return APR_SUCCESS;
    }
    if (!APR_STATUS_IS_EINVAL(rv) && !APR_STATUS_IS_EOF(rv)) {
        ap_log_error(APLOG_MARK, APLOG_ERR, rv, ap_server_conf,
                     PERUID_LOGNO(00048) "worker uid %ld: cannot receive "
                     "from its pool's channel; exiting",
                     (long)peruid_self()->uid);
        return rv;
    }
    ap_log_error(APLOG_MARK, APLOG_ERR, rv, ap_server_conf,
                 PERUID_LOGNO(00010) "worker uid %ld: refused a "
                 "malformed channel record", (long)peruid_self()->uid);
    if (*fd >= 0) {
        close(*fd);
        *fd = -1;
    }
    worker_forget_replay(w);
    return APR_STATUS_IS_EOF(rv) ? APR_EOF : APR_EINVAL;
}

/* Worker (vhost user): take a connection if one is queued; if none is,
 * let the other runnable processes of this CPU go first.  A worker that
 * finishes a connection mostly finds the channel empty because the next
 * one waits for a router that is runnable but not running; without the
 * yield the worker sleeps at once, and the router's send wakes it (or
 * another worker) again: a sleep and a wake-up (docs/benchmarks.md).
 * After the yield, the blocking receive (worker_wait) finds such a
 * connection without sleeping.  When nothing else is runnable the yield
 * returns at once.  Returns as worker_recv (APR_EAGAIN: yielded). */
static apr_status_t worker_recv_soon(peruid_worker_t *w, int *fd,
                                     int *late)
{
    apr_status_t rv = worker_recv(w, fd, late, 0);

    if (APR_STATUS_IS_EAGAIN(rv)) {
        sched_yield();
    }
    return rv;
}

/* Worker (vhost user): wait for a connection on the channel, in a
 * blocking recvmsg() (after worker_recv_soon):
 * the kernel wakes one waiting worker per connection, and a worker that
 * was busy when it came is not woken for it later (epoll woke workers for
 * connections others had taken).  The stop signals stay unblocked
 * (programs that tenants' code starts inherit the signal mask) and end
 * the wait with APR_EINTR, as the channel has a receive timeout
 * (WORKER_WAIT_SLICE): a signal that comes between the test of the flag
 * and the wait is seen when the slice ends.  Returns APR_SUCCESS with
 * *fd and *late (worker_recv), APR_TIMEUP once idle_until has passed
 * (PeruidIdleTimeout and the worker's share, noticed at the end of a
 * slice), APR_EINTR when asked to stop. */
static apr_status_t worker_wait(peruid_worker_t *w, int *fd, int *late)
{
    apr_status_t rv;

    if (!w->idle_until) {
        w->idle_until = worker_clock() + w->idle_timeout;
    }
    if (!peruid_child_should_stop()
        && worker_recv_soon(w, fd, late) == APR_SUCCESS) {
        return APR_SUCCESS;     /* else the loop looks at the channel again */
    }
    for (;;) {
        if (peruid_child_should_stop()) {
            return APR_EINTR;
        }
        rv = worker_recv(w, fd, late, 1);
        if (rv == APR_SUCCESS) {
            return APR_SUCCESS;
        }
        if (!APR_STATUS_IS_EAGAIN(rv) && !APR_STATUS_IS_EINTR(rv)
            && !APR_STATUS_IS_EINVAL(rv)) {
            return APR_EINTR;   /* no channel any more (EOF or failed) */
        }
        /* a slice ended, a signal (the loop tests the flag) or a record
         * refused and logged */
        if (worker_clock() >= w->idle_until) {
            return APR_TIMEUP;
        }
    }
}

/* Worker (vhost user): serve one client connection, as prefork's children
 * do, then clear the transaction pool. */
static void worker_serve_socket(peruid_worker_t *w, apr_socket_t *sock)
{
    conn_rec *c;

    w->served++;
    c = ap_run_create_connection(w->ptrans, ap_server_conf, sock, w->slot,
                                 w->sbh, w->ba);
    if (c) {
        if (peruid_handover_conn(c, w->replay, w->hops) == APR_SUCCESS) {
            ap_process_connection(c, sock);
            peruid_graceho_after(c);    /* asked to stop: keep-alive */
        }
        w->replay = -1;         /* handover.c closed it */
        ap_lingering_close(c);
    }
    else {
        apr_socket_close(sock);
    }
    worker_forget_replay(w);
    apr_pool_clear(w->ptrans);
}

/* Options APR remembers per socket and sets only when its memory says
 * they are off (worker_socket). */
static const apr_int32_t worker_sock_off[] = {
    APR_SO_KEEPALIVE, APR_SO_DEBUG, APR_SO_BROADCAST, APR_SO_REUSEADDR,
    APR_SO_LINGER, APR_TCP_NOPUSH
};

/* Worker (vhost user): the reused APR socket for descriptor fd, of the
 * family of its local address *local, made the first time a connection
 * of that family comes (apr_os_sock_make: APR needs the family from the
 * start; apr_os_sock_put alone takes any descriptor for IPv4 and reads an
 * IPv6 address as 0.0.0.0).  That first time APR is also given the local
 * address, so it need not ask for it.  NULL for a family we do not serve
 * (listeners are TCP over IPv4 or IPv6: not expected). */
static apr_socket_t *worker_family_socket(peruid_worker_t *w, int fd,
                                          struct sockaddr_storage *local)
{
    apr_socket_t **sock;
    apr_os_sock_t osfd = fd;
    apr_os_sock_info_t info;

    if (local->ss_family == AF_INET) {
        sock = &w->sock4;
    }
    else if (local->ss_family == AF_INET6) {
        sock = &w->sock6;
    }
    else {
        return NULL;
    }
    if (*sock) {
        return apr_os_sock_put(sock, &osfd, w->pchild) == APR_SUCCESS
               ? *sock : NULL;
    }
    memset(&info, 0, sizeof(info));
    info.os_sock = &osfd;
    info.local = (struct sockaddr *)local;
    info.family = local->ss_family;
    info.type = SOCK_STREAM;
    info.protocol = APR_PROTO_TCP;
    return apr_os_sock_make(sock, &info, w->pchild) == APR_SUCCESS
           ? *sock : NULL;
}

/* Worker (vhost user): make what APR remembers of a reused socket match
 * the router's descriptor: non-blocking (accept4 with SOCK_NONBLOCK) with
 * TCP_NODELAY (inherited from the listener, router_setup); an option an
 * earlier connection turned on is turned off again (a system call only
 * then).  httpd's pre_connection then finds it as it wants it and makes
 * no fcntl() pair and no setsockopt() for it. */
static apr_status_t worker_socket_options(apr_socket_t *sock)
{
    apr_int32_t on;
    apr_size_t i;
    apr_status_t rv = APR_SUCCESS;

    for (i = 0; rv == APR_SUCCESS && i < sizeof(worker_sock_off)
                                         / sizeof(worker_sock_off[0]); i++) {
        if (apr_socket_opt_get(sock, worker_sock_off[i], &on)
            == APR_SUCCESS && on) {
            rv = apr_socket_opt_set(sock, worker_sock_off[i], 0);
        }
    }
    if (rv == APR_SUCCESS) {
        rv = apr_socket_opt_set(sock, APR_SO_NONBLOCK, 1);
    }
    if (rv == APR_SUCCESS) {
        rv = apr_socket_opt_set(sock, APR_TCP_NODELAY, 1);
    }
    if (rv == APR_SUCCESS) {
        rv = apr_socket_opt_set(sock, APR_INCOMPLETE_READ, 0);
    }
    return rv;
}

/* Worker (vhost user): the APR socket for descriptor fd, a connection a
 * router accepted; NULL when it cannot be set up, and then fd is closed.
 * The family comes from the kernel (getsockname), never from the router:
 * a dual-stack listener ("Listen 80") gives IPv6 sockets, with IPv4
 * clients as ::ffff:a.b.c.d, which APR shows as a.b.c.d, as under
 * prefork.  One apr_socket_t per family, from pchild, serves every
 * connection (worker_family_socket), so that what APR remembers of it
 * carries over (worker_socket_options).  The addresses are not carried
 * over: APR asks the kernel for each connection's, never the router. */
static apr_socket_t *worker_socket(peruid_worker_t *w, int fd)
{
    struct sockaddr_storage local;
    socklen_t len = sizeof(local);
    apr_socket_t *sock = NULL;

    if (getsockname(fd, (struct sockaddr *)&local, &len) == 0) {
        sock = worker_family_socket(w, fd, &local);
    }
    if (!sock) {
        close(fd);
        return NULL;
    }
    if (worker_socket_options(sock) != APR_SUCCESS) {
        apr_socket_close(sock);         /* closes fd, forgets it */
        return NULL;
    }
    return sock;
}

/* Worker (vhost user): serve a connection received from a router; one
 * whose socket cannot be set up is closed unanswered. */
static void worker_serve(peruid_worker_t *w, int fd)
{
    apr_socket_t *sock = worker_socket(w, fd);

    if (sock) {
        worker_serve_socket(w, sock);
    }
    worker_forget_replay(w);
}

/* Worker (vhost user): the virtual host of our pool to name in a log
 * line, and in *more how many others the pool serves. */
static server_rec *worker_pool_vhost(peruid_worker_t *w, int *more)
{
    server_rec *s, *first = NULL;

    *more = 0;
    for (s = ap_server_conf; s; s = s->next) {
        if (peruid_server_pool(s) != peruid_self()->pool) {
            continue;
        }
        if (first) {
            ++*more;
        }
        else {
            first = s;
        }
    }
    return first ? first : ap_server_conf;
}

/* Worker (vhost user): say that we answered late connections 503, at
 * most once a second (per worker) with the count since the last line,
 * naming the pool's user and a virtual host of it. */
static void worker_log_late(peruid_worker_t *w)
{
    apr_time_t now = worker_clock();
    server_rec *s;
    char others[64] = "";
    int more;

    w->late_503s++;
    if (w->late_logged && now - w->late_logged < apr_time_from_sec(1)) {
        return;
    }
    s = worker_pool_vhost(w, &more);
    if (more > 0) {
        apr_snprintf(others, sizeof(others), ", or one of %d more of this "
                     "user", more);
    }
    ap_log_error(APLOG_MARK, APLOG_WARNING, 0, ap_server_conf,
                 PERUID_LOGNO(00062) "worker uid %ld: a connection for "
                 "virtual host %s (%s:%d%s) waited in the pool's channel "
                 "past its deadline (PeruidPeekTimeout after accept) while "
                 "every worker of the user was busy; answering 503 (%d "
                 "since the last such line)", (long)peruid_self()->uid,
                 s->server_hostname ? s->server_hostname : "-",
                 s->defn_name ? s->defn_name : "-", s->defn_line_number,
                 others, w->late_503s);
    w->late_logged = now;
    w->late_503s = 0;
}

/* Worker (vhost user): discard what is readable on the non-blocking
 * socket fd, unread by anyone (at most WORKER_DISCARD_READS reads). */
static void worker_discard(int fd)
{
    char buf[WORKER_DISCARD];
    int i = 0;

    while (i++ < WORKER_DISCARD_READS
           && recv(fd, buf, sizeof(buf), MSG_DONTWAIT) > 0) {
    }
}

/* Worker (vhost user): answer the connection fd 503 with the router's
 * bytes (answer.c) without reading the request, and close it.  What the
 * client sent is discarded first: a socket closed with unread bytes
 * resets the connection, and the client would lose the answer. */
static void worker_refuse(peruid_worker_t *w, int fd)
{
    int tls = peruid_settings()->tls && peruid_answer_peek_tls(fd);

    worker_discard(fd);
    if (peruid_answer_send(fd, 503, tls) == APR_SUCCESS) {
        worker_discard(fd);
    }
    close(fd);
    worker_forget_replay(w);
}

/* Worker (vhost user): the name of our pool's user, for a log line. */
static const char *worker_user_name(peruid_worker_t *w)
{
    const char *name = w->rd->pools[peruid_self()->pool].user;

    return name ? name : "-";
}

/* Worker (vhost user): the connection fd waited past its deadline: answer
 * it 503 unread (worker_refuse). */
static void worker_late(peruid_worker_t *w, int fd)
{
    worker_refuse(w, fd);
    worker_log_late(w);
}

/* Worker (vhost user): the connection fd came when the descriptor table
 * had no room left (worker_spare_take): answer it 503 unread, say so
 * naming the user (PU00134), and leave sick (overlimit.c: the next
 * worker has a fresh table; the master backs off if it does not). */
static void worker_full(peruid_worker_t *w, int fd) __attribute__((noreturn));
static void worker_full(peruid_worker_t *w, int fd)
{
    struct rlimit rl;

    worker_refuse(w, fd);
    apr_atomic_inc32(&w->stat->done);
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0) {
        rl.rlim_cur = RLIM_INFINITY;
    }
    ap_log_error(APLOG_MARK, APLOG_ERR, EMFILE, ap_server_conf,
                 PERUID_LOGNO(00134) "worker %ld of uid %ld (%s): its "
                 "descriptor table is full (RLIMIT_NOFILE %ld): answered a "
                 "connection 503 instead of serving it, and leaves",
                 (long)getpid(), (long)peruid_self()->uid,
                 worker_user_name(w), rl.rlim_cur == RLIM_INFINITY ? -1L
                 : (long)rl.rlim_cur);
    worker_exit(w, APEXIT_CHILDSICK);
}

/* Worker (vhost user): take the connection out of the idle count,
 * serve it, or answer it 503 if late, and count it done: the routers'
 * signal that a request slot is free again (gate.c). */
static void worker_take(peruid_worker_t *w, int fd, int late)
{
    w->counted_idle = 0;    /* the router that sent fd took our unit */
    w->idle_until = 0;
    if (w->full) {
        worker_full(w, fd);
    }
    else if (late) {
        worker_late(w, fd);
    }
    else {
        worker_serve(w, fd);
    }
    apr_atomic_inc32(&w->stat->done);
}

/* Worker, graceful stop (not a restart, nor the master's request to
 * leave): serve what routers queued before they exited, then leave.  On
 * a restart the new generation serves it; after a request to leave, the
 * pool's other workers do.  Every connection a router queued took one
 * unit of the idle count, so each one served here gives one back, as a
 * worker becoming ready for it would.  A connection past its deadline is
 * served too, not answered 503: the stop itself (no worker is forked any
 * more) made it wait, and GracefulShutdownTimeout bounds the drain. */
static void worker_drain(peruid_worker_t *w)
{
    apr_status_t rv;
    int fd, late;

    if (!peruid_child_stop_drains()) {
        return;
    }
    for (rv = worker_recv(w, &fd, &late, 0); !APR_STATUS_IS_EOF(rv);
         rv = worker_recv(w, &fd, &late, 0)) {
        if (APR_STATUS_IS_EINVAL(rv)) {
            continue;
        }
        if (rv != APR_SUCCESS) {
            break;              /* nothing left */
        }
        /* each connection takes one unit: ours, or one we add for it */
        if (!w->counted_idle) {
            apr_atomic_inc32(&w->stat->idle);
        }
        worker_take(w, fd, 0);  /* served even if late: see above */
    }
}

/* Worker (vhost user): the main loop. */
static void worker_loop(peruid_worker_t *w) __attribute__((noreturn));
static void worker_loop(peruid_worker_t *w)
{
    int fd, late = 0;
    apr_status_t rv;

    w->rd->mpm->mpm_state = AP_MPMQ_RUNNING;
    for (;;) {
        if (ap_max_requests_per_child > 0
            && w->served >= ap_max_requests_per_child) {
            break;
        }
        if (!worker_become_ready(w)) {
            break;
        }
        rv = worker_wait(w, &fd, &late);
        if (rv == APR_SUCCESS) {
            worker_take(w, fd, late);
        }
        else if (APR_STATUS_IS_EINTR(rv)) {
            worker_drain(w);
            break;
        }
        else if (APR_STATUS_IS_TIMEUP(rv) && worker_retire_idle(w)) {
            break;
        }
    }
    worker_exit(w, 0);
}

/* Worker, root before the switch (and in -X): the channel's receive
 * timeout, WORKER_WAIT_SLICE or the idle timeout if shorter.  The pool's
 * workers share the socket and set the same value. */
static apr_status_t worker_wait_slice(int chan, apr_interval_time_t idle)
{
    apr_interval_time_t t = idle < WORKER_WAIT_SLICE ? idle
                                                     : WORKER_WAIT_SLICE;
    struct timeval tv;

    tv.tv_sec = (time_t)apr_time_sec(t);
    tv.tv_usec = (suseconds_t)apr_time_usec(t);
    if (tv.tv_sec == 0 && tv.tv_usec == 0) {
        tv.tv_usec = 1000;          /* 0 would mean: wait forever */
    }
    if (setsockopt(chan, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0) {
        return errno;
    }
    return APR_SUCCESS;
}

/* Worker, root until the switch: set up the worker context. */
static apr_status_t worker_setup(peruid_worker_t *w, peruid_retained_t *rd,
                                 apr_pool_t *pchild, int slot, int pool)
{
    memset(w, 0, sizeof(*w));
    w->replay = -1;
    w->spare = -1;
    w->rd = rd;
    w->pchild = pchild;
    w->slot = slot;
    w->stat = peruid_pool_stat(rd, pool);
    /* the master counted us as starting (not with -X) */
    w->counted_starting = peruid_settings()->one_process ? 0 : 1;
    w->chan = rd->pools[pool].chan_recv;
    apr_pool_create(&w->ptrans, pchild);
    apr_pool_tag(w->ptrans, "transaction");
    w->ba = apr_bucket_alloc_create(pchild);
    ap_create_sb_handle(&w->sbh, pchild, slot, 0);
    w->idle_timeout = worker_idle_timeout(peruid_settings()->idle_timeout);
    return worker_wait_slice(w->chan, peruid_settings()->idle_timeout);
}

/* Worker (vhost user), after the switch: CGI programs and SSI exec
 * commands are started by the worker itself, so they run as its user.
 * The suexec wrapper (setuid root, executable for User's group only)
 * cannot serve a worker, and is not needed: peruid_config_check_suexec
 * admits only a SuexecUserGroup that names the server's own user. */
static void worker_suexec_off(void)
{
    ap_unixd_config.suexec_enabled = 0;
}

/* Worker (vhost user), right after its switch: the kernel marked us
 * over our user's RLIMIT_NPROC (overlimit.c): serve nothing, answer 503
 * to the connections queued for the pool now, say so naming the user
 * (PU00133), and leave sick: the master forks the next worker after its
 * back-off, and that one serves once the user is back under its limit.
 * Each answered connection gives back the idle unit its router took, as
 * worker_drain does. */
static void worker_over_nproc(peruid_worker_t *w) __attribute__((noreturn));
static void worker_over_nproc(peruid_worker_t *w)
{
    struct rlimit rl;
    int fd, late, n = 0;
    apr_status_t rv;

    while (n < WORKER_NPROC_DRAIN
           && ((rv = worker_recv(w, &fd, &late, 0)) == APR_SUCCESS
               || APR_STATUS_IS_EINVAL(rv))) {
        if (rv == APR_SUCCESS) {
            worker_refuse(w, fd);
            apr_atomic_inc32(&w->stat->idle);
            apr_atomic_inc32(&w->stat->done);
            n++;
        }
    }
    if (getrlimit(RLIMIT_NPROC, &rl) != 0) {
        rl.rlim_cur = RLIM_INFINITY;
    }
    ap_log_error(APLOG_MARK, APLOG_ERR, EAGAIN, ap_server_conf,
                 PERUID_LOGNO(00133) "worker %ld of uid %ld (%s): the user "
                 "already has more processes than its RLimitNPROC (%ld); "
                 "this worker would exceed it: it serves nothing, answered "
                 "%d queued connection(s) 503, and leaves (the next one is "
                 "forked after the pool's back-off)", (long)getpid(),
                 (long)peruid_self()->uid, worker_user_name(w),
                 rl.rlim_cur == RLIM_INFINITY ? -1L : (long)rl.rlim_cur, n);
    worker_exit(w, APEXIT_CHILDSICK);
}

/* Worker: entry after fork (root until peruid_child_become).  pool < 0:
 * a preforked worker, which waits for the master to name its pool. */
void peruid_worker_main(peruid_retained_t *rd, apr_pool_t *pconf, int slot,
                        int pool)
{
    peruid_worker_t w;
    peruid_pool_t *pl;
    apr_pool_t *pchild;
    apr_status_t rv;

    pchild = peruid_child_init(rd, pconf, PERUID_ROLE_WORKER, slot);
    ap_close_listeners();
    peruid_child_close_fds(rd, PERUID_ROLE_WORKER, pool);
    ap_reopen_scoreboard(pchild, NULL, 0);
    if (pool < 0 && (pool = peruid_preforked_wait_bind(rd, slot)) < 0) {
        _exit(0);               /* never bound: no module ran, none cleans */
    }
    peruid_self()->pool = pool;
    pl = &rd->pools[pool];
    if (pl->back_send >= 0) {   /* BIND's copy of chan_recv (children.c) */
        close(pl->back_send);
        pl->back_send = -1;
    }
    if ((rv = peruid_pools_keep_own_stats(rd, pool)) != APR_SUCCESS
        || (rv = worker_setup(&w, rd, pchild, slot, pool)) != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_EMERG, rv, ap_server_conf,
                     PERUID_LOGNO(00011) "worker: setup failed");
        peruid_child_exit(rd, pchild, APEXIT_CHILDSICK);
    }
    if (peruid_logs_enter(pl, pool, pchild) != APR_SUCCESS) {
        /* logged; never serve holding other users' logs */
        peruid_child_exit(rd, pchild, APEXIT_CHILDSICK);
    }
    if (peruid_segments_enter(pl) != APR_SUCCESS) {
        /* logged; never serve with every user's shared memory */
        peruid_child_exit(rd, pchild, APEXIT_CHILDSICK);
    }
    if (peruid_itk_enter(pl, pool) != APR_SUCCESS) {
        /* logged; never serve at another priority than configured */
        peruid_child_exit(rd, pchild, APEXIT_CHILDSICK);
    }
    if (peruid_sbcopy_enter(slot) != APR_SUCCESS) {
        /* logged; never serve with every process's scoreboard slots */
        peruid_child_exit(rd, pchild, APEXIT_CHILDSICK);
    }
    if (peruid_tlskeys_enter(pl) != APR_SUCCESS) {
        /* logged; never serve without its keys or with others' */
        peruid_child_exit(rd, pchild, APEXIT_CHILDSICK);
    }
    if (peruid_child_become(rd, pl, ap_server_conf) != APR_SUCCESS) {
        /* this pool is not served; the master backs off (children.c) */
        peruid_child_exit(rd, pchild, APEXIT_CHILDSICK);
    }
    if (peruid_sandbox_worker(pconf, pl->uid, pl->gid, ap_server_conf)
        != APR_SUCCESS) {
        /* logged; never serve without the seal PeruidNoNewPrivs asks for */
        peruid_child_exit(rd, pchild, APEXIT_CHILDSICK);
    }
    if (peruid_overlimit_nproc_now() == 1) {
        worker_over_nproc(&w);
    }
    worker_suexec_off();
    ap_run_child_init(pchild, ap_server_conf);
    worker_spare_take(&w);
    worker_loop(&w);
}

/* -X / ONE_PROCESS (root until the switch): no master, no router.  One
 * process switches to User/Group and accepts on the first listener
 * itself, serving only the vhosts of that user: the double-check refuses
 * the others.  For debugging the request path under gdb. */
void peruid_worker_one_process(peruid_retained_t *rd, apr_pool_t *pconf)
{
    peruid_worker_t w;
    apr_pool_t *pchild;
    int pool = peruid_server_pool(ap_server_conf);
    peruid_pool_t *pl = &rd->pools[pool];

    pchild = peruid_child_init(rd, pconf, PERUID_ROLE_WORKER, 0);
    peruid_self()->pool = pool;
    ap_reopen_scoreboard(pchild, NULL, 0);
    if (worker_setup(&w, rd, pchild, 0, pool) != APR_SUCCESS
        || peruid_child_become(rd, pl, ap_server_conf) != APR_SUCCESS
        || peruid_sandbox_worker(pconf, pl->uid, pl->gid, ap_server_conf)
           != APR_SUCCESS) {
        peruid_child_exit(rd, pchild, APEXIT_CHILDFATAL);
    }
    worker_suexec_off();
    ap_run_child_init(pchild, ap_server_conf);
    ap_log_error(APLOG_MARK, APLOG_NOTICE, 0, ap_server_conf,
                 PERUID_LOGNO(00012) "one-process mode: serving as uid %ld "
                 "only; requests for other users' vhosts are refused",
                 (long)pl->uid);
    while (!peruid_child_should_stop()) {
        apr_socket_t *csd = NULL;

        if (ap_unixd_accept((void **)&csd, ap_listeners, w.ptrans)
            != APR_SUCCESS || !csd) {
            apr_pool_clear(w.ptrans);
            continue;
        }
        worker_serve_socket(&w, csd);
    }
    peruid_child_exit(rd, pchild, 0);
}
