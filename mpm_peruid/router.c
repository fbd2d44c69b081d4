/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * router.c -- the router processes.
 *
 * Forked by the master; right after fork a router closes every worker
 * end of the channels and switches to PeruidRouterUser with no capabilities
 * (child.c -> creds.c).  Then it runs one epoll loop over non-blocking
 * sockets: accept; peek at the request head with MSG_PEEK (nothing is
 * consumed: the bytes stay in the kernel for the worker, so one scratch
 * buffer serves every connection); once the whole head has arrived (so a
 * client dripping it holds no worker), pick the vhost's pool (route.c)
 * and pass the connection to it (channel.c); close our copy.  A head the
 * router cannot route with confidence (peek.c) goes to the pool of its
 * address's default vhost, whose httpd answers it as under prefork; a
 * listener that does not speak HTTP is routed by its address alone.  The
 * router answers only at its own bounds: 414 / 431 past
 * PeruidPeekMaxBytes, 408 (or a silent close before any request line)
 * past PeruidPeekTimeout (answer.c).  A connection
 * no worker took by its deadline (accept plus PeruidPeekTimeout) gets 503:
 * from here while the pool's channel is full and the connection is parked
 * in the router (park.c decides which to try again), from the worker that
 * takes it too late once it is in the channel (the record carries the
 * deadline, worker.c).
 *
 * Per-connection state sits in a preallocated arena; nothing is
 * allocated per connection.
 */

#ifndef _GNU_SOURCE
#define _GNU_SOURCE             /* F_GET_SEALS */
#endif

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include "httpd.h"
#include "apr_atomic.h"
#include "apr_portable.h"
#include "apr_strings.h"
#include "http_log.h"
#include "http_main.h"
#include "mpm_common.h"
#include "ap_listen.h"

#include "peruid.h"
#include "child.h"
#include "answer.h"
#include "channel.h"
#include "gate.h"
#include "park.h"
#include "peek.h"
#include "hello.h"
#include "proxyhdr.h"
#include "remoteip.h"
#include "route.h"
#include "tls.h"
#include "vhostcap.h"
#include "replay.h"
#include "exprpool.h"
#include "peruid_seccomp.h"
#include "status.h"

#define ROUTER_LINGER      apr_time_from_sec(2)
#define ROUTER_RETRY_MS    10
#define ROUTER_HOLD_MS     1    /* held at MaxRequestWorkers: look again */
#define ROUTER_EVENTS      64
#define ROUTER_ACCEPT_BURST 32
#define ROUTER_PEEK_BUDGET 16   /* a head's looks may copy this many
                                 * times PeruidPeekMaxBytes; past it, the
                                 * client is treated as a slow one      */
#define ROUTER_MAX_TLS_PEEKS 1024   /* a ClientHello may come a byte at a
                                 * time (each look copies at most
                                 * PeruidPeekMaxBytes)                   */
#define ROUTER_DRAIN_READS 16
#define ROUTER_BACKOFF     apr_time_from_msec(100)
#define ROUTER_LOG_EVERY   apr_time_from_sec(10)
#define ROUTER_SPAWN_GAP   apr_time_from_msec(50)
#define ROUTER_TAG_LISTENER 0
#define ROUTER_TAG_BACK    0xffffffffu  /* a pool's back channel        */
#define ROUTER_BACK_BURST  16   /* hand-overs taken per event and pool  */
#define ROUTER_EXPR_ASK    apr_time_from_msec(100)  /* ask the master again */

typedef enum {
    RC_FREE = 0,
    RC_PEEK,                /* waiting for the request head              */
    RC_WAIT,                /* routed; the pool's queue was full         */
    RC_HOLD,                /* routed; held at MaxRequestWorkers (gate.c) */
    RC_LINGER,              /* answered with an error; draining          */
    RC_EXPR                 /* handed over for an Expr user whose pool
                             * the master is asked for (exprpool.c)      */
} router_conn_state_e;

/* One entry of the connection arena.  Its epoll cookie is its index and
 * its tag; the tag changes every time the entry is reused, so an event
 * left over from an earlier connection is recognised and ignored. */
typedef struct router_conn {
    apr_uint32_t tag;       /* never ROUTER_TAG_LISTENER                 */
    int fd;
    router_conn_state_e state;
    int pool;               /* RC_WAIT: the chosen pool                  */
    server_rec *server;     /* RC_WAIT: and vhost                        */
    int peeks;              /* RC_PEEK: times the head was looked at     */
    apr_size_t copied;      /* RC_PEEK: bytes those looks copied         */
    int line_done;          /* RC_PEEK: its request line has ended       */
    server_rec *base;       /* its address's default server              */
    peek_limits_t lim;      /* and that server's limits on a head        */
    int tls;                /* its address's default server has TLS: a
                             * ClientHello is looked at, and answers are
                             * TLS alerts (answer.c)                     */
    int watched;            /* fd is in the epoll set                    */
    int replay;             /* handed over: the replay memfd, else -1    */
    apr_uint32_t hops;      /* and the request's hand-overs              */
    int proxy;              /* RC_PEEK: a PROXY protocol header comes
                             * first (remoteip.c): 1 yes, 0 no, -1 not
                             * asked yet                                 */
    apr_uint32_t expr_uid, expr_gid;    /* RC_EXPR: the user it needs ... */
    apr_time_t expr_asked;  /* ... and when the master was last asked    */
    apr_time_t deadline;
    ap_listen_rec *lr;
    struct router_conn *prev, *next;
} router_conn_t;

/* A listener as the epoll loop sees it. */
typedef struct {
    int fd;
    ap_listen_rec *lr;
} router_listener_t;

/* A doubly linked list of arena entries, oldest first. */
typedef struct {
    router_conn_t *head, *tail;
} router_list_t;

/* The router's own context. */
typedef struct {
    peruid_retained_t *rd;
    apr_pool_t *pchild;
    apr_pool_t *scratch;    /* cleared after each routing decision       */
    int ep;
    char *buf;              /* the one peek buffer                       */
    apr_size_t bufsize;
    router_conn_t *arena;
    router_conn_t *free_list;
    int in_use;
    router_listener_t *listeners;
    int nlisteners;
    int listening;          /* listeners are in the epoll set            */
    int stopping;
    apr_time_t accept_resume;   /* out of descriptors: accept again then */
    apr_time_t last_fd_log;
    router_list_t peeking, waiting, held, lingering;
    router_list_t expr_wait;    /* RC_EXPR, oldest first                 */
    int gate_estimate;      /* requests in flight at the last count ...  */
    apr_uint32_t gate_sent; /* ... and the sends over every router then  */
    apr_time_t gate_counted;    /* when that count was made              */
    apr_time_t gate_asked;  /* when we last asked for a pass for held ones */
    apr_time_t hold_logged; /* when we last logged PU00057               */
    int hold_503s;          /* held connections answered 503 since then  */
    apr_time_t back_logged; /* when we last logged PU00099               */
    int back_refused;       /* hand-overs refused since then             */
    apr_time_t *spawn_asked;    /* per pool: when we last sent SPAWN     */
    apr_time_t *full_logged;    /* per pool: when we last logged PU00053 */
    int *full_503s;             /* per pool: 503s since then             */
    park_passes_t parked;       /* router_timers passes over the parked  */
    apr_time_t now;
    apr_time_t mono;            /* now on the channel's clock            */
    sigset_t stop_sigs;
} peruid_router_t;

/* Router: append c to list l. */
static void list_push(router_list_t *l, router_conn_t *c)
{
    c->next = NULL;
    c->prev = l->tail;
    if (l->tail) {
        l->tail->next = c;
    }
    else {
        l->head = c;
    }
    l->tail = c;
}

/* Router: remove c from list l. */
static void list_unlink(router_list_t *l, router_conn_t *c)
{
    if (c->prev) {
        c->prev->next = c->next;
    }
    else {
        l->head = c->next;
    }
    if (c->next) {
        c->next->prev = c->prev;
    }
    else {
        l->tail = c->prev;
    }
    c->prev = c->next = NULL;
}

/* Router: the list an entry in state s lives on. */
static router_list_t *router_list_of(peruid_router_t *r,
                                     router_conn_state_e s)
{
    switch (s) {
    case RC_PEEK:
        return &r->peeking;
    case RC_WAIT:
        return &r->waiting;
    case RC_HOLD:
        return &r->held;
    case RC_EXPR:
        return &r->expr_wait;
    default:
        return &r->lingering;
    }
}

/* Router: move c to state s with a new deadline. */
static void router_set_state(peruid_router_t *r, router_conn_t *c,
                             router_conn_state_e s, apr_time_t deadline)
{
    if (c->state != RC_FREE) {
        list_unlink(router_list_of(r, c->state), c);
    }
    c->state = s;
    c->deadline = deadline;
    list_push(router_list_of(r, s), c);
}

/* Router: the epoll cookie of an arena entry or a listener. */
static apr_uint64_t router_cookie(apr_uint32_t tag, apr_uint32_t index)
{
    return ((apr_uint64_t)tag << 32) | index;
}

/* Router: add or remove the listeners from the epoll set. */
static void router_listen(peruid_router_t *r, int on)
{
    int i;

    if (r->listening == on || (on && (r->stopping || r->accept_resume))) {
        return;
    }
    for (i = 0; i < r->nlisteners; i++) {
        struct epoll_event ev;

        memset(&ev, 0, sizeof(ev));
        ev.events = EPOLLIN | EPOLLEXCLUSIVE;
        ev.data.u64 = router_cookie(ROUTER_TAG_LISTENER, (apr_uint32_t)i);
        epoll_ctl(r->ep, on ? EPOLL_CTL_ADD : EPOLL_CTL_DEL,
                  r->listeners[i].fd, &ev);
    }
    r->listening = on;
}

/* Router: forget a connection.  The fd leaves the epoll set first: a
 * worker may hold the same socket, and closing our copy alone would not
 * stop its events. */
static void router_release(peruid_router_t *r, router_conn_t *c)
{
    list_unlink(router_list_of(r, c->state), c);
    if (c->watched) {
        epoll_ctl(r->ep, EPOLL_CTL_DEL, c->fd, NULL);
        c->watched = 0;
    }
    close(c->fd);
    c->fd = -1;
    if (c->replay >= 0) {
        close(c->replay);
        c->replay = -1;
    }
    c->state = RC_FREE;
    c->next = r->free_list;
    r->free_list = c;
    if (r->in_use-- == PERUID_ROUTER_CONNS) {
        router_listen(r, 1);
    }
}

/* Router: answer status, half-close, and drain until the client closes
 * (or ROUTER_LINGER passes), so the answer is not lost to a reset. */
static void router_answer(peruid_router_t *r, router_conn_t *c, int status)
{
    if (peruid_answer_send(c->fd, status, c->tls) != APR_SUCCESS) {
        router_release(r, c);
        return;
    }
    router_set_state(r, c, RC_LINGER, r->now + ROUTER_LINGER);
}

/* Router: tell the master the pool needs a worker, at most once per
 * ROUTER_SPAWN_GAP and pool: one record makes the master look at the
 * pool's counters, which count every connection that waits, and the
 * master looks again by itself while a shortage lasts (schedule.c).  A
 * full control queue is harmless: the master also finds the shortfall
 * once a second. */
static void router_ask_spawn(peruid_router_t *r, int pool)
{
    if (r->spawn_asked[pool] && r->now - r->spawn_asked[pool]
                                < ROUTER_SPAWN_GAP) {
        return;
    }
    r->spawn_asked[pool] = r->now;
    peruid_chan_send(r->rd->ctl_send, PERUID_MSG_SPAWN, (apr_uint32_t)pool,
                     (apr_uint32_t)r->rd->mpm->my_generation, -1);
}

/* Router: c's deadline on the channel's clock (never 0). */
static apr_time_t router_chan_deadline(peruid_router_t *r,
                                       const router_conn_t *c)
{
    apr_time_t d = r->mono + (c->deadline - r->now);

    return d > 0 ? d : 1;
}

/* Router: pass c to its pool, with its deadline.  One unit of the pool's
 * idle count is taken; when none was left, the master is asked for a
 * worker.  Returns APR_SUCCESS (c released), EAGAIN (queue full, c kept)
 * or an error. */
static apr_status_t router_dispatch(peruid_router_t *r, router_conn_t *c)
{
    peruid_pool_stat_t *st = peruid_pool_stat(r->rd, c->pool);
    apr_int32_t left;
    apr_status_t rv;

    /* take the unit first: dying between the two steps then costs one
     * worker too many, never a connection without a worker */
    left = (apr_int32_t)apr_atomic_add32(&st->idle, (apr_uint32_t)-1) - 1;
    rv = c->replay >= 0
         ? peruid_chan_send_pair(r->rd->pools[c->pool].chan_send,
                                 PERUID_MSG_CONN_REPLAY,
                                 (apr_uint32_t)c->pool,
                                 (apr_uint32_t)r->rd->mpm->my_generation,
                                 c->fd, c->replay,
                                 router_chan_deadline(r, c), c->hops)
         : peruid_chan_send_conn(r->rd->pools[c->pool].chan_send,
                                 (apr_uint32_t)c->pool,
                                 (apr_uint32_t)r->rd->mpm->my_generation,
                                 c->fd, router_chan_deadline(r, c));
    if (rv != APR_SUCCESS) {
        apr_atomic_inc32(&st->idle);
        return rv;
    }
    if (left + peruid_stat_get(&st->starting) < 0) {
        router_ask_spawn(r, c->pool);
    }
    peruid_pool_touch(r->rd, c->pool, r->now);
    router_release(r, c);
    return APR_SUCCESS;
}

/* Router: count the requests in flight over every pool with workers
 * (gate.h), and remember the count with the sends it includes. */
static void router_gate_count(peruid_router_t *r)
{
    peruid_retained_t *rd = r->rd;
    int i, n = 0;

    r->gate_sent = apr_atomic_read32(&rd->gate->sent_total);
    for (i = 0; i < rd->npools; i++) {
        int live = (int)apr_atomic_read32(&rd->live[i]);

        if (live > 0) {
            n += peruid_gate_inflight(
                apr_atomic_read32(&rd->sent[i]),
                apr_atomic_read32(&peruid_pool_stat(rd, i)->done),
                apr_atomic_read32(&rd->done_pass[i]),
                apr_atomic_read32(&rd->adjust[i]), live);
        }
    }
    r->gate_estimate = n;
    r->gate_counted = r->now;
}

/* Router: may c go to its pool now, or must it wait for a request to
 * end (MaxRequestWorkers, gate.c)?  Counts the requests in flight at
 * most once per pass of the event loop. */
static gate_verdict_e router_gate(peruid_router_t *r, router_conn_t *c)
{
    peruid_retained_t *rd = r->rd;
    gate_view_t v;
    gate_verdict_e verdict;

    v.max_workers = peruid_settings()->max_workers;
    v.live_total = apr_atomic_read32(&rd->gate->live_total);
    v.pool_live = (int)apr_atomic_read32(&rd->live[c->pool]);
    v.pool_inflight = peruid_gate_inflight(
        apr_atomic_read32(&rd->sent[c->pool]),
        apr_atomic_read32(&peruid_pool_stat(rd, c->pool)->done),
        apr_atomic_read32(&rd->done_pass[c->pool]),
        apr_atomic_read32(&rd->adjust[c->pool]), v.pool_live);
    for (;;) {
        v.exact = r->gate_counted == r->now;
        v.estimate = peruid_gate_estimate(
            r->gate_estimate, r->gate_sent,
            apr_atomic_read32(&rd->gate->sent_total), v.max_workers);
        verdict = peruid_gate_decide(&v);
        if (verdict != GATE_COUNT) {
            return verdict;
        }
        router_gate_count(r);
    }
}

/* Router: c is held at MaxRequestWorkers (appended to the held list,
 * which is retried oldest first).  Note it on the routers' page, and ask
 * the master for a pass, at most once per ROUTER_SPAWN_GAP for all the
 * held ones: a pass where connections are held reads the kernel and
 * rewrites every pool's adjust, so a count that a tenant's forged done
 * or a worker killed mid-request made too high holds c no longer. */
static void router_hold(peruid_router_t *r, router_conn_t *c)
{
    if (c->state != RC_HOLD) {
        router_set_state(r, c, RC_HOLD, c->deadline);
    }
    peruid_pool_held(r->rd, c->pool, r->now);
    if (r->now - r->gate_asked >= ROUTER_SPAWN_GAP) {
        r->gate_asked = r->now;
        peruid_chan_send(r->rd->ctl_send, PERUID_MSG_SPAWN,
                         (apr_uint32_t)c->pool,
                         (apr_uint32_t)r->rd->mpm->my_generation, -1);
    }
}

/* Router: dispatch, or park c until its pool's queue has room. */
static void router_dispatch_or_wait(peruid_router_t *r, router_conn_t *c)
{
    apr_status_t rv = router_dispatch(r, c);

    if (rv == EAGAIN || rv == EWOULDBLOCK) {
        if (c->state != RC_WAIT) {
            router_set_state(r, c, RC_WAIT, c->deadline);
        }
        return;
    }
    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_ERR, rv, ap_server_conf,
                     PERUID_LOGNO(00020) "router: sendmsg() to the pool of "
                     "uid %ld failed", (long)r->rd->pools[c->pool].uid);
        router_answer(r, c, 503);
    }
}

/* Router: c goes to pool (minus an HTTP status: that answer instead), at
 * once, or held at MaxRequestWorkers; a vhost at its MaxClientsVHost is
 * answered 503 (vhostcap.c). */
static void router_send(peruid_router_t *r, router_conn_t *c, int pool)
{
    if (pool < 0 || pool >= r->rd->npools) {
        router_answer(r, c, pool < 0 ? -pool : 400);
        return;
    }
    if (c->server && peruid_vhostcap_full(r->rd, pool, c->server)) {
        peruid_status_refused(pool);    /* mod_status (status.c) */
        router_answer(r, c, 503);       /* MaxClientsVHost: logged */
        return;
    }
    c->pool = pool;
    /* behind the connections already held, which the timer retries
     * oldest first; else the gate decides */
    if (r->held.head || router_gate(r, c) == GATE_HOLD) {
        router_hold(r, c);
        return;
    }
    router_dispatch_or_wait(r, c);
}

/* Router: the head is complete; route it or answer the error. */
static void router_route(peruid_router_t *r, router_conn_t *c,
                         const peek_head_t *h)
{
    int pool;

    if (h->status) {
        ap_log_error(APLOG_MARK, APLOG_INFO, 0, ap_server_conf,
                     PERUID_LOGNO(00021) "router: answering %d: %s",
                     h->status, h->reason);
        router_answer(r, c, h->status);
        return;
    }
    pool = peruid_route(r->scratch, c->fd, c->lr, h, &c->server);
    apr_pool_clear(r->scratch);
    if (!h->routable) {
        ap_log_error(APLOG_MARK, APLOG_INFO, 0, ap_server_conf,
                     PERUID_LOGNO(00115) "router: a request head it does "
                     "not route by its Host (%s) goes to the default "
                     "virtual host of its address, %s (%s:%d), whose "
                     "httpd answers it", h->reason,
                     c->server->server_hostname
                     ? c->server->server_hostname : "-",
                     c->server->defn_name ? c->server->defn_name : "-",
                     c->server->defn_line_number);
    }
    router_send(r, c, pool);
}

/* Router: a TLS connection whose ClientHello named sni (NULL: none) goes
 * to the pool of the vhost mod_ssl will pick for that name; a client
 * that does not speak TLS on that address (h's result HELLO_NOT_TLS)
 * goes to the pool of the address's default vhost, whose mod_ssl
 * answers it as under prefork. */
static void router_route_tls(peruid_router_t *r, router_conn_t *c,
                             hello_result_e res, const hello_t *h)
{
    int pool;

    if (res == HELLO_BAD) {
        ap_log_error(APLOG_MARK, APLOG_INFO, 0, ap_server_conf,
                     PERUID_LOGNO(00061) "router: closing a connection "
                     "whose TLS ClientHello is malformed: %s", h->reason);
        router_answer(r, c, 400);
        return;
    }
    if (res == HELLO_NOT_TLS) {
        c->tls = 0;             /* any answer of ours is plain HTTP */
    }
    pool = peruid_route_tls(r->scratch, c->fd, c->lr,
                            res == HELLO_SNI ? h->name : NULL, &c->server);
    apr_pool_clear(r->scratch);
    router_send(r, c, pool);
}

/* Router: c's head did not come in time (why): as httpd at its
 * timeout, 408 once the request line has ended (and to a TLS client,
 * which gets no alert: answer.c), else a close without a word. */
static void router_slow(peruid_router_t *r, router_conn_t *c,
                        const char *why)
{
    if (c->line_done || c->tls) {
        ap_log_error(APLOG_MARK, APLOG_INFO, 0, ap_server_conf,
                     PERUID_LOGNO(00023) "router: request head not complete "
                     "%s; answering 408", why);
        router_answer(r, c, 408);
        return;
    }
    ap_log_error(APLOG_MARK, APLOG_INFO, 0, ap_server_conf,
                 PERUID_LOGNO(00116) "router: no request line %s; closing "
                 "the connection without an answer, as httpd does", why);
    router_release(r, c);
}

/* Router: c's client is a proxy that sends a PROXY protocol header
 * first (c->proxy: remoteip.c asks mod_remoteip once): find the
 * header's end in the *n bytes peeked (proxyhdr.c), move what follows it
 * to the start of the buffer and take the header off *n.  The header
 * stays in the socket for the worker's mod_remoteip, which reads it.
 * Returns its length (0: mod_remoteip expects none), or -1 when there is
 * nothing to route by yet: the header is not all in, or mod_remoteip
 * would refuse it, and then the connection went to its address's
 * default vhost, whose mod_remoteip closes it as under prefork. */
static ssize_t router_proxy_skip(peruid_router_t *r, router_conn_t *c,
                                 ssize_t *n)
{
    proxyhdr_t p;

    if (c->proxy < 0) {
        c->proxy = peruid_remoteip_expects(r->scratch, c->fd);
        apr_pool_clear(r->scratch);
        if (!c->proxy) {
            return 0;
        }
    }
    switch (peruid_proxyhdr_parse(r->buf, (size_t)*n, r->bufsize, &p)) {
    case PROXYHDR_DONE:
        ap_log_error(APLOG_MARK, APLOG_DEBUG, 0, ap_server_conf,
                     PERUID_LOGNO(00121) "router: a PROXY protocol v%d "
                     "header of %" APR_SIZE_T_FMT " bytes; routing by what "
                     "follows it", p.version, p.len);
        memmove(r->buf, r->buf + p.len, (size_t)*n - p.len);
        *n -= (ssize_t)p.len;
        return (ssize_t)p.len;
    case PROXYHDR_BAD:
        ap_log_error(APLOG_MARK, APLOG_INFO, 0, ap_server_conf,
                     PERUID_LOGNO(00120) "router: the connection does not "
                     "start with a PROXY protocol header mod_remoteip "
                     "accepts (%s); it goes to the default virtual host of "
                     "its address, whose mod_remoteip closes it", p.reason);
        c->server = peruid_route_base(r->scratch, c->fd, c->lr);
        apr_pool_clear(r->scratch);
        router_send(r, c, peruid_server_pool(c->server));
        return -1;
    default:
        return -1;              /* more of the header to come */
    }
}

/* Router: look at what the client has sent so far, without taking it:
 * its request head, or its TLS ClientHello (c->tls).  A client that has
 * ended its side (rdhup) sends no more: what it sent goes to the default
 * vhost, whose httpd answers it as under prefork (400 for a head cut
 * short, nothing before a request line).  Each look copies
 * the whole head again, so a client whose looks copied more than
 * ROUTER_PEEK_BUDGET times PeruidPeekMaxBytes (one sending its head a
 * byte at a time; for a ClientHello, in more than ROUTER_MAX_TLS_PEEKS
 * pieces) is treated as a slow one (router_slow). */
static void router_peek(peruid_router_t *r, router_conn_t *c, int rdhup)
{
    peek_head_t h;
    hello_t hello;
    hello_result_e res;
    ssize_t n, skip = 0;

    if (c->tls ? ++c->peeks > ROUTER_MAX_TLS_PEEKS
               : c->copied > ROUTER_PEEK_BUDGET * r->bufsize) {
        router_slow(r, c, "its head came in too many pieces");
        return;
    }
    n = recv(c->fd, r->buf, r->bufsize, MSG_PEEK | MSG_DONTWAIT);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
        return;
    }
    if (n <= 0) {
        router_release(r, c);   /* closed or reset before a full head */
        return;
    }
    if (c->proxy && (skip = router_proxy_skip(r, c, &n)) < 0) {
        return;
    }
    if (c->tls) {
        res = peruid_hello_parse(r->buf, (size_t)n, r->bufsize - skip,
                                 &hello);
        if (res != HELLO_MORE) {
            router_route_tls(r, c, res, &hello);
        }
        return;
    }
    c->copied += (apr_size_t)n;
    if (peruid_peek_parse(r->buf, (apr_size_t)n, r->bufsize - skip, &c->lim,
                          &h) == PEEK_DONE) {
        router_route(r, c, &h);
        return;
    }
    if (rdhup) {
        h.routable = 0;
        h.reason = "the client ended its side before the end of its head";
        router_route(r, c, &h);
        return;
    }
    c->line_done = h.line_done;
}

/* Router: discard what a refused client still sends; close on EOF. */
static void router_drain(peruid_router_t *r, router_conn_t *c)
{
    ssize_t n;
    int i = 0;

    do {
        n = recv(c->fd, r->buf, r->bufsize, MSG_DONTWAIT);
    } while (n > 0 && ++i < ROUTER_DRAIN_READS);
    if (n > 0 || n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK)) {
        router_release(r, c);   /* closed, failed, or still flooding us */
    }
}

/* Router: does the default server of fd's local address have TLS (only
 * asked when some server has)? */
static int router_tls_address(peruid_router_t *r, int fd, ap_listen_rec *lr)
{
    int tls = peruid_tls_server(peruid_route_base(r->scratch, fd, lr));

    apr_pool_clear(r->scratch);
    return tls;
}

/* Router: what c's local address tells before any byte: its default
 * server (c->base), whose limits on a head (c->lim) and TLS setting
 * (c->tls) apply to it.  Returns whether c speaks another protocol than
 * HTTP (route.h). */
static int router_base(peruid_router_t *r, router_conn_t *c)
{
    int raw;

    c->base = peruid_route_base(r->scratch, c->fd, c->lr);
    apr_pool_clear(r->scratch);
    peruid_route_limits(c->base, &c->lim);
    raw = peruid_route_not_http(c->base, c->lr);
    c->tls = !raw && peruid_settings()->tls && peruid_tls_server(c->base);
    return raw;
}

/* Router: take a free arena entry for connection fd through listener
 * lr (the caller made sure one is free), with its head's deadline. */
static router_conn_t *router_adopt(peruid_router_t *r, int fd,
                                   ap_listen_rec *lr)
{
    router_conn_t *c = r->free_list;

    r->free_list = c->next;
    if (++c->tag == ROUTER_TAG_LISTENER || c->tag == ROUTER_TAG_BACK) {
        c->tag = 1;
    }
    c->fd = fd;
    c->lr = lr;
    c->peeks = 0;
    c->copied = 0;
    c->line_done = 0;
    c->base = NULL;
    c->tls = 0;
    c->replay = -1;
    c->hops = 0;
    c->proxy = -1;
    c->state = RC_FREE;
    c->watched = 0;
    router_set_state(r, c, RC_PEEK, r->now + peruid_settings()->peek_timeout);
    if (++r->in_use == PERUID_ROUTER_CONNS) {
        router_listen(r, 0);
    }
    return c;
}

/* Router: c (tagged tag when it was adopted) still waits for something
 * (more of its head, room in its pool's channel, the gate, a lingering
 * close): watch its socket, unless it is released or watched already. */
static void router_watch(peruid_router_t *r, router_conn_t *c,
                         apr_uint32_t tag)
{
    struct epoll_event ev;

    if (c->state == RC_FREE || c->tag != tag || c->watched) {
        return;
    }
    memset(&ev, 0, sizeof(ev));
    ev.events = EPOLLIN | EPOLLRDHUP | EPOLLET;
    ev.data.u64 = router_cookie(c->tag, (apr_uint32_t)(c - r->arena));
    if (epoll_ctl(r->ep, EPOLL_CTL_ADD, c->fd, &ev) < 0) {
        router_release(r, c);
        return;
    }
    c->watched = 1;
}

/* Router: the first look at c, new to us: accepted, or a kept-alive
 * connection handed back idle (router_idle). */
static void router_first_look(peruid_router_t *r, router_conn_t *c)
{
    if (router_base(r, c)) {
        /* not HTTP: by address and port alone, no peek */
        c->server = c->base;
        router_send(r, c, peruid_server_pool(c->base));
    }
    else {
        /* the head usually came with the connection (httpd's
         * AcceptFilter makes the kernel wait for it): then it is routed
         * at once, and the socket never enters the epoll set */
        router_peek(r, c, 0);
    }
}

/* Router: a new client connection on listener l. */
static void router_accept_one(peruid_router_t *r, router_listener_t *l,
                              int fd)
{
    router_conn_t *c = router_adopt(r, fd, l->lr);
    apr_uint32_t tag = c->tag;

    router_first_look(r, c);
    router_watch(r, c, tag);
}

/* Router: out of descriptors or memory: stop accepting for a moment
 * (the listeners stay readable, so trying again at once would spin), and
 * say so at most every ROUTER_LOG_EVERY. */
static void router_backoff(peruid_router_t *r, int err)
{
    router_listen(r, 0);
    r->accept_resume = r->now + ROUTER_BACKOFF;
    if (r->now - r->last_fd_log >= ROUTER_LOG_EVERY) {
        r->last_fd_log = r->now;
        ap_log_error(APLOG_MARK, APLOG_ERR, err, ap_server_conf,
                     PERUID_LOGNO(00022) "router: accept4() failed with %d "
                     "connections open; pausing accepts (raise the open "
                     "files limit, ulimit -n)", r->in_use);
    }
}

/* Router: accept what is pending on listener l. */
static void router_accept(peruid_router_t *r, router_listener_t *l)
{
    int i, fd;

    for (i = 0; i < ROUTER_ACCEPT_BURST && r->free_list; i++) {
        fd = accept4(l->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS
                || errno == ENOMEM) {
                router_backoff(r, errno);
            }
            return;
        }
        router_accept_one(r, l, fd);
    }
}

/* Router: the listener whose address is fd's local address (a wildcard
 * one of the same port, else NULL): the connection came through it. */
static ap_listen_rec *router_listener_of(int fd)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);
    apr_sockaddr_t *local;
    apr_port_t port;
    ap_listen_rec *lr;

    if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0
        || (ss.ss_family != AF_INET && ss.ss_family != AF_INET6)) {
        return NULL;
    }
    port = ntohs(ss.ss_family == AF_INET
                 ? ((struct sockaddr_in *)&ss)->sin_port
                 : ((struct sockaddr_in6 *)&ss)->sin6_port);
    for (lr = ap_listeners; lr; lr = lr->next) {
        local = lr->bind_addr;
        if (local->port != port) {
            continue;
        }
        if (apr_sockaddr_is_wildcard(local)
            || (local->family == ss.ss_family
                && !memcmp(local->ipaddr_ptr,
                           ss.ss_family == AF_INET
                           ? (void *)&((struct sockaddr_in *)&ss)->sin_addr
                           : (void *)&((struct sockaddr_in6 *)&ss)->sin6_addr,
                           local->ipaddr_len))) {
            return lr;
        }
    }
    return NULL;
}

/* Router: an int socket option of fd, -1 when it cannot be read. */
static int router_sockopt(int fd, int opt)
{
    int v = -1;
    socklen_t len = sizeof(v);

    return getsockopt(fd, SOL_SOCKET, opt, &v, &len) < 0 ? -1 : v;
}

/* Router: what we know of a handed-back connection fd with its replay
 * memfd and msg's hops, for peruid_replay_refuse; *lr its listener. */
static void router_back_facts(peruid_router_t *r, int fd, int memfd,
                              const peruid_msg_t *msg, replay_facts_t *f,
                              ap_listen_rec **lr)
{
    struct stat st;

    memset(f, 0, sizeof(*f));
    f->family = router_sockopt(fd, SO_DOMAIN);
    f->type = router_sockopt(fd, SO_TYPE);
    f->protocol = router_sockopt(fd, SO_PROTOCOL);
    *lr = f->type == SOCK_STREAM ? router_listener_of(fd) : NULL;
    f->listener = *lr != NULL;
    f->tls = *lr && peruid_settings()->tls && router_tls_address(r, fd, *lr);
    f->memfd_seals = fcntl(memfd, F_GET_SEALS);
    f->memfd_size = fstat(memfd, &st) < 0 ? -1 : (long long)st.st_size;
    f->hops = msg->hops;
    f->bound = PERUID_HANDOVER_BOUND(r->bufsize);
}

/* Router: a pool's hand-over was refused (why): say so at most once a
 * second, with the count since the last line (a tenant's worker can send
 * as many as it likes). */
static void router_log_back(peruid_router_t *r, int pool, const char *why)
{
    r->back_refused++;
    if (r->back_logged && r->now - r->back_logged < apr_time_from_sec(1)) {
        return;
    }
    ap_log_error(APLOG_MARK, APLOG_WARNING, 0, ap_server_conf,
                 PERUID_LOGNO(00099) "router: refused a connection the "
                 "workers of uid %ld handed back: %s (%d refused since the "
                 "last such line)", (long)r->rd->pools[pool].uid, why,
                 r->back_refused);
    r->back_logged = r->now;
    r->back_refused = 0;
}

/* Router: ask the master for the pool of c's Expr user, on behalf of
 * pool's workers (the back channel the record came on: the master
 * checks that pool, never the worker's word). */
static void router_expr_ask(peruid_router_t *r, router_conn_t *c)
{
    c->expr_asked = r->now;
    peruid_chan_send_user(r->rd->ctl_send, (apr_uint32_t)c->pool,
                          (apr_uint32_t)r->rd->mpm->my_generation,
                          c->expr_uid, c->expr_gid);
}

/* Router: c was handed back by pool's workers for the user in msg (an
 * AssignUserIDExpr's, target PERUID_TARGET_USER); head_pool is the pool
 * its head routes to.  Sent to the user's pool when it has one (the
 * receiving worker evaluates the expression again); else, when pool may
 * ask for Expr users, the master is asked and c waits (router_expr_wait)
 * until its deadline; else it goes to head_pool, the vhost's own, whose
 * workers may ask. */
static void router_expr(peruid_router_t *r, router_conn_t *c, int pool,
                        const peruid_msg_t *msg, int head_pool)
{
    int to;

    peruid_chan_user_ids(msg, &c->expr_uid, &c->expr_gid);
    to = peruid_exprpool_find(r->rd, c->expr_uid, c->expr_gid);
    if (to >= 0 || !r->rd->pools[pool].expr_asks) {
        router_send(r, c, to >= 0 ? to : head_pool);
        return;
    }
    c->pool = pool;             /* the asker, until its user has a pool */
    router_set_state(r, c, RC_EXPR, c->deadline);
    router_expr_ask(r, c);
}

/* Router, each turn: the connections waiting for an Expr user's pool:
 * sent once the master's page shows it, asked again every
 * ROUTER_EXPR_ASK (a full control channel drops a record), answered 503
 * at their deadline. */
static void router_expr_wait(peruid_router_t *r)
{
    router_conn_t *c, *next;
    int to;

    for (c = r->expr_wait.head; c; c = next) {
        next = c->next;
        to = peruid_exprpool_find(r->rd, c->expr_uid, c->expr_gid);
        if (to >= 0) {
            router_send(r, c, to);
        }
        else if (c->deadline <= r->now) {
            router_log_back(r, c->pool, "no pool for the user its "
                            "AssignUserIDExpr chose came in time (the "
                            "master refuses it, or PeruidExprUsers is used "
                            "up); answering 503");
            router_answer(r, c, 503);
        }
        else if (r->now - c->expr_asked >= ROUTER_EXPR_ASK) {
            router_expr_ask(r, c);
        }
    }
}

/* Router: route the handed-back connection c by its replay, exactly as a
 * new connection by its peeked head (route.c, the gate, the pool's
 * channel, 503 at the deadline), or answer the error.  The head is
 * parsed in the router's buffer from the replay's first bytes (never
 * the socket's: those come after the replay).  target (the record's) is
 * the pool the worker found the request needs, plus one: when it names
 * a pool of the table, it goes there, even if the head names another
 * (a per-directory or an Expr user: decisions the router cannot make; a
 * worker of that pool double-checks it again, as any). */
static void router_replay(peruid_router_t *r, router_conn_t *c, int pool,
                          const peruid_msg_t *msg)
{
    apr_uint32_t target = msg->target;
    peek_head_t h;
    int to;
    ssize_t n = pread(c->replay, r->buf, r->bufsize, 0), skip = 0;

    if (n <= 0) {
        router_log_back(r, pool, "the replay cannot be read");
        router_answer(r, c, 503);
        return;
    }
    /* a PROXY header first, as the connection began (handover.c) */
    if ((skip = router_proxy_skip(r, c, &n)) < 0) {
        return;
    }
    router_base(r, c);
    if (peruid_peek_parse(r->buf, (apr_size_t)n, r->bufsize - skip, &c->lim,
                          &h) != PEEK_DONE) {
        router_log_back(r, pool, "the replay holds no whole request head");
        router_answer(r, c, 400);
        return;
    }
    if (h.status) {
        router_route(r, c, &h);     /* answers it */
        return;
    }
    to = peruid_route(r->scratch, c->fd, c->lr, &h, &c->server);
    apr_pool_clear(r->scratch);
    if (to >= 0 && target == PERUID_TARGET_USER) {
        router_expr(r, c, pool, msg, to);
        return;
    }
    if (to >= 0 && target > 0 && target <= (apr_uint32_t)r->rd->npools) {
        to = (int)target - 1;
    }
    router_send(r, c, to);
}

/* Router: c was handed back by pool's workers with an empty replay: a
 * kept-alive connection between two requests that a worker asked to
 * stop let go (graceho.c).  Its next request is all in the socket, or
 * yet to come: c is looked at as a new connection, within
 * PeruidPeekTimeout from now (a silent close when no request line came
 * by then, as httpd's after KeepAliveTimeout). */
static void router_idle(peruid_router_t *r, router_conn_t *c, int pool)
{
    ap_log_error(APLOG_MARK, APLOG_DEBUG, 0, ap_server_conf,
                 PERUID_LOGNO(00137) "router: the workers of uid %ld handed "
                 "back an idle kept-alive connection; its next request is "
                 "routed as a new connection's",
                 (long)r->rd->pools[pool].uid);
    close(c->replay);
    c->replay = -1;
    c->hops = 0;
    router_first_look(r, c);
}

/* Router: one HANDOVER record from pool's back channel, with the client
 * socket fds[0] and the replay memfds[1]: checked (peruid_replay_refuse),
 * then routed like a new connection (router_replay). */
static void router_handover(peruid_router_t *r, int pool,
                            const peruid_msg_t *msg, int fds[2])
{
    replay_facts_t f;
    ap_listen_rec *lr;
    router_conn_t *c;
    apr_uint32_t tag;
    const char *why;
    int status;

    router_back_facts(r, fds[0], fds[1], msg, &f, &lr);
    why = peruid_replay_refuse(&f, &status);
    if ((why && !status) || !r->free_list) {
        router_log_back(r, pool, why ? why : "no room in the router");
        if (!why) {
            peruid_answer_send(fds[0], 503, 0);
        }
        close(fds[0]);
        close(fds[1]);
        return;
    }
    c = router_adopt(r, fds[0], lr);
    tag = c->tag;
    c->replay = fds[1];
    c->hops = msg->hops;
    if (why) {
        router_log_back(r, pool, why);
        router_answer(r, c, status);
    }
    else if (f.memfd_size == 0) {
        router_idle(r, c, pool);
    }
    else {
        router_replay(r, c, pool, msg);
    }
    router_watch(r, c, tag);
}

/* Router: take what pool's back channel holds (ROUTER_BACK_BURST records
 * at most per event: the set is level-triggered, the rest comes next
 * turn).  A malformed record is refused, its descriptors closed. */
static void router_back(peruid_router_t *r, int pool)
{
    peruid_msg_t msg;
    apr_status_t rv;
    int i, fds[2];

    for (i = 0; i < ROUTER_BACK_BURST; i++) {
        rv = peruid_chan_recv_pair(r->rd->pools[pool].chan_send, &msg, fds,
                                   0);
        if (rv == APR_SUCCESS
            && peruid_chan_check_pair(&msg, PERUID_MSG_HANDOVER,
                                      (apr_uint32_t)pool,
                                      (fds[0] >= 0) + (fds[1] >= 0),
                                      PERUID_HANDOVER_MAX_HOPS)
               != APR_SUCCESS) {
            rv = APR_EINVAL;
            if (fds[0] >= 0) {
                close(fds[0]);
            }
            if (fds[1] >= 0) {
                close(fds[1]);
            }
        }
        if (rv == APR_SUCCESS) {
            peruid_status_handover(pool);   /* mod_status (status.c) */
            router_handover(r, pool, &msg, fds);
        }
        else if (APR_STATUS_IS_EINVAL(rv)) {
            router_log_back(r, pool, "a malformed record");
        }
        else {
            return;             /* empty (EAGAIN), or no sender left */
        }
    }
}

/* Router, root, at setup: watch every pool's back channel, which is the
 * other direction of its channel (pools.c): our send end receives the
 * workers' HANDOVER records (shared by the routers: EPOLLEXCLUSIVE wakes
 * one of them per record, mostly). */
static void router_back_watch(peruid_router_t *r)
{
    struct epoll_event ev;
    int i;

    for (i = 0; i < r->rd->npools; i++) {
        if (r->rd->pools[i].chan_send < 0) {
            continue;
        }
        memset(&ev, 0, sizeof(ev));
        ev.events = EPOLLIN | EPOLLEXCLUSIVE;
        ev.data.u64 = router_cookie(ROUTER_TAG_BACK, (apr_uint32_t)i);
        epoll_ctl(r->ep, EPOLL_CTL_ADD, r->rd->pools[i].chan_send, &ev);
    }
}

/* Router: one event from epoll; stale ones (an entry since released or
 * reused) are dropped. */
static void router_event(peruid_router_t *r, struct epoll_event *ev)
{
    apr_uint32_t tag = (apr_uint32_t)(ev->data.u64 >> 32);
    apr_uint32_t index = (apr_uint32_t)(ev->data.u64 & 0xffffffffu);
    router_conn_t *c;

    if (tag == ROUTER_TAG_LISTENER) {
        if (!r->stopping && r->listening
            && index < (apr_uint32_t)r->nlisteners) {
            router_accept(r, &r->listeners[index]);
        }
        return;
    }
    if (tag == ROUTER_TAG_BACK) {
        if (index < (apr_uint32_t)r->rd->npools) {
            router_back(r, (int)index);
        }
        return;
    }
    if (index >= PERUID_ROUTER_CONNS) {
        return;
    }
    c = &r->arena[index];
    if (c->tag != tag || c->state == RC_FREE) {
        return;
    }
    if (c->state == RC_PEEK) {
        router_peek(r, c, (ev->events & (EPOLLRDHUP | EPOLLHUP)) != 0);
    }
    else if (c->state == RC_LINGER) {
        router_drain(r, c);
    }
    else if ((c->state == RC_WAIT || c->state == RC_HOLD
              || c->state == RC_EXPR)
             && (ev->events & (EPOLLHUP | EPOLLERR))) {
        router_release(r, c);
    }
}

/* Router: a connection parked because its pool's channel was full
 * (its workers, at their share of MaxRequestWorkers, took none) reached
 * its deadline and is answered 503: say so, naming the vhost, at most
 * once a second per pool with the count since the last line. */
static void router_log_full(peruid_router_t *r, router_conn_t *c)
{
    server_rec *s = c->server ? c->server : ap_server_conf;

    peruid_status_refused(c->pool);     /* mod_status (status.c) */
    r->full_503s[c->pool]++;
    if (r->full_logged[c->pool]
        && r->now - r->full_logged[c->pool] < apr_time_from_sec(1)) {
        return;
    }
    ap_log_error(APLOG_MARK, APLOG_WARNING, 0, ap_server_conf,
                 PERUID_LOGNO(00053) "router: no worker of uid %ld took a "
                 "connection for virtual host %s (%s:%d) within "
                 "PeruidPeekTimeout; answering 503 (%d since the last such "
                 "line)", (long)r->rd->pools[c->pool].uid,
                 s->server_hostname ? s->server_hostname : "-",
                 s->defn_name ? s->defn_name : "-", s->defn_line_number,
                 r->full_503s[c->pool]);
    r->full_logged[c->pool] = r->now;
    r->full_503s[c->pool] = 0;
}

/* Router: a connection held at MaxRequestWorkers reached its deadline
 * and is answered 503: say so, at most once a second, with the count
 * since the last line (prefork's AH00161 in its own words). */
static void router_log_hold(peruid_router_t *r, router_conn_t *c)
{
    server_rec *s = c->server ? c->server : ap_server_conf;

    peruid_status_refused(c->pool);     /* mod_status (status.c) */
    r->hold_503s++;
    if (r->hold_logged && r->now - r->hold_logged < apr_time_from_sec(1)) {
        return;
    }
    ap_log_error(APLOG_MARK, APLOG_WARNING, 0, ap_server_conf,
                 PERUID_LOGNO(00057) "router: MaxRequestWorkers (%d) "
                 "requests in flight: no request ended within "
                 "PeruidPeekTimeout for a connection to virtual host %s "
                 "(%s:%d, uid %ld); answering 503 (%d since the last such "
                 "line), consider raising MaxRequestWorkers",
                 peruid_settings()->max_workers,
                 s->server_hostname ? s->server_hostname : "-",
                 s->defn_name ? s->defn_name : "-", s->defn_line_number,
                 (long)r->rd->pools[c->pool].uid, r->hold_503s);
    r->hold_logged = r->now;
    r->hold_503s = 0;
}

/* Router: the connections held at MaxRequestWorkers, oldest first: send
 * those the gate lets through now, until it holds one (the count is then
 * exact for this turn, and the younger ones wait behind it), and answer
 * 503 past the deadline, wherever it is in the list. */
static void router_held(peruid_router_t *r)
{
    router_conn_t *c, *next;
    int blocked = 0;

    for (c = r->held.head; c; c = next) {
        next = c->next;
        if (c->deadline <= r->now) {
            router_log_hold(r, c);
            router_answer(r, c, 503);
        }
        else if (blocked) {
            peruid_pool_held(r->rd, c->pool, r->now);
        }
        else if (router_gate(r, c) == GATE_SEND) {
            router_dispatch_or_wait(r, c);
        }
        else {
            blocked = 1;
            router_hold(r, c);
        }
    }
}

/* Router: expire slow heads (408), retry parked dispatches, end
 * lingering closes.  The lists are ordered by deadline. */
static void router_timers(peruid_router_t *r)
{
    router_conn_t *c, *next;

    while ((c = r->peeking.head) && c->deadline <= r->now) {
        router_slow(r, c, "within PeruidPeekTimeout");
    }
    while ((c = r->lingering.head) && c->deadline <= r->now) {
        router_release(r, c);
    }
    if (r->accept_resume && r->accept_resume <= r->now) {
        r->accept_resume = 0;
        if (r->free_list) {
            router_listen(r, 1);
        }
    }
    router_held(r);
    router_expr_wait(r);
    /* one pass over the parked connections, each pool's channel tried
     * once while full (park.c) */
    peruid_park_begin(&r->parked);
    for (c = r->waiting.head; c; c = next) {
        next = c->next;
        switch (peruid_park_step(&r->parked, c->pool, c->deadline, r->now)) {
        case PARK_ANSWER:
            router_log_full(r, c);
            router_answer(r, c, 503);
            break;
        case PARK_RETRY:
            router_dispatch_or_wait(r, c);
            if (c->state == RC_WAIT) {
                peruid_park_full(&r->parked, c->pool);
            }
            break;
        default:
            break;
        }
    }
}

/* Router: milliseconds until the next deadline (-1: none). */
static int router_timeout_ms(peruid_router_t *r)
{
    apr_time_t next = 0;

    if (r->held.head || r->expr_wait.head) {
        return ROUTER_HOLD_MS;
    }
    if (r->waiting.head) {
        return ROUTER_RETRY_MS;
    }
    if (r->peeking.head) {
        next = r->peeking.head->deadline;
    }
    if (r->lingering.head
        && (!next || r->lingering.head->deadline < next)) {
        next = r->lingering.head->deadline;
    }
    if (r->accept_resume && (!next || r->accept_resume < next)) {
        next = r->accept_resume;
    }
    if (!next) {
        return r->stopping ? 100 : 1000;
    }
    return next <= r->now ? 0 : (int)apr_time_as_msec(next - r->now) + 1;
}

/* Router: a graceful stop or restart: stop accepting, finish what was
 * accepted (each head is bounded by PeruidPeekTimeout), then exit. */
static void router_stop_accepting(peruid_router_t *r)
{
    int i;

    router_listen(r, 0);
    r->stopping = 1;
    for (i = 0; i < r->nlisteners; i++) {
        close(r->listeners[i].fd);
    }
    r->nlisteners = 0;
}

/* Router: the event loop.  The stop signals stay blocked except inside
 * epoll_pwait, so one cannot slip in between the flag test and the wait
 * (a router runs no code of anyone else, nothing inherits the mask). */
static void router_loop(peruid_router_t *r)
{
    struct epoll_event evs[ROUTER_EVENTS];
    sigset_t old;
    int n, i;

    sigprocmask(SIG_BLOCK, &r->stop_sigs, &old);
    while (!r->stopping || r->in_use > 0) {
        if (peruid_child_should_stop() && !r->stopping) {
            router_stop_accepting(r);
        }
        n = epoll_pwait(r->ep, evs, ROUTER_EVENTS, router_timeout_ms(r),
                        &old);
        r->now = apr_time_now();
        r->mono = peruid_chan_clock();
        for (i = 0; i < n; i++) {
            router_event(r, &evs[i]);
        }
        router_timers(r);
    }
}

/* Router, root, at setup: can this router hold PERUID_ROUTER_CONNS
 * connections (each a descriptor; a client dripping its head holds one
 * until the head ends) besides the pools' channels and the listeners?
 * If the open files limit is too low, say so once: past it, accept4
 * fails and the router pauses (PU00022). */
static void router_check_nofile(peruid_router_t *r)
{
    struct rlimit rl;
    rlim_t need = (rlim_t)PERUID_ROUTER_CONNS + (rlim_t)r->nlisteners
                  + 2 * (rlim_t)r->rd->npools + 64;

    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < need) {
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, ap_server_conf,
                     PERUID_LOGNO(00117) "router: the open files limit (%ld) "
                     "lets it hold about %ld connections at once, fewer "
                     "than its %d (slow clients included); raise the limit "
                     "to %ld (ulimit -n, APACHE_ULIMIT_MAX_FILES)",
                     (long)rl.rlim_cur,
                     (long)rl.rlim_cur - (long)(need - PERUID_ROUTER_CONNS),
                     PERUID_ROUTER_CONNS, (long)need);
    }
}

/* Router, root: the arena, the buffer, the epoll set, the listeners
 * (non-blocking, with TCP_NODELAY). */
static apr_status_t router_setup(peruid_router_t *r, peruid_retained_t *rd,
                                 apr_pool_t *pchild)
{
    ap_listen_rec *lr;
    int i;

    memset(r, 0, sizeof(*r));
    r->gate_estimate = peruid_settings()->max_workers;  /* count first */
    r->rd = rd;
    r->pchild = pchild;
    apr_pool_create(&r->scratch, pchild);
    apr_pool_tag(r->scratch, "router-scratch");
    r->bufsize = peruid_settings()->peek_max;
    r->buf = apr_palloc(pchild, r->bufsize);
    r->arena = apr_pcalloc(pchild, PERUID_ROUTER_CONNS * sizeof(*r->arena));
    r->spawn_asked = apr_pcalloc(pchild,
                                 (rd->npools > 0 ? rd->npools : 1)
                                 * sizeof(*r->spawn_asked));
    r->full_logged = apr_pcalloc(pchild, (rd->npools > 0 ? rd->npools : 1)
                                         * sizeof(*r->full_logged));
    r->full_503s = apr_pcalloc(pchild, (rd->npools > 0 ? rd->npools : 1)
                                       * sizeof(*r->full_503s));
    r->parked.npools = rd->npools;
    r->parked.full_round = apr_pcalloc(pchild,
                                       (rd->npools > 0 ? rd->npools : 1)
                                       * sizeof(*r->parked.full_round));
    for (i = PERUID_ROUTER_CONNS - 1; i >= 0; i--) {
        r->arena[i].fd = -1;
        r->arena[i].next = r->free_list;
        r->free_list = &r->arena[i];
    }
    for (lr = ap_listeners; lr; lr = lr->next) {
        r->nlisteners++;
    }
    r->listeners = apr_pcalloc(pchild,
                               r->nlisteners * sizeof(*r->listeners));
    for (i = 0, lr = ap_listeners; lr; lr = lr->next, i++) {
        apr_os_sock_t fd;

        apr_os_sock_get(&fd, lr->sd);
        apr_socket_opt_set(lr->sd, APR_SO_NONBLOCK, 1);
        /* httpd's make_sock sets it already; accepted sockets inherit
         * it, and workers count on that (worker_socket) */
        apr_socket_opt_set(lr->sd, APR_TCP_NODELAY, 1);
        r->listeners[i].fd = fd;
        r->listeners[i].lr = lr;
    }
    sigemptyset(&r->stop_sigs);
    sigaddset(&r->stop_sigs, AP_SIG_GRACEFUL);
    sigaddset(&r->stop_sigs, AP_SIG_GRACEFUL_STOP);
    r->ep = epoll_create1(EPOLL_CLOEXEC);
    if (r->ep < 0) {
        return errno;
    }
    router_back_watch(r);
    router_check_nofile(r);
    peruid_exprpool_router_enter(rd);   /* the master's page, read-only */
    return APR_SUCCESS;
}

/* Router (the routers' user): install the system call filter, whose
 * trap writes to the error log (its descriptor, or stderr for syslog);
 * fatal if it fails. */
static void router_filter(peruid_retained_t *rd, apr_pool_t *pchild)
{
    const char *call = "";
    apr_os_file_t log_fd = STDERR_FILENO;
    apr_status_t rv;

    if (ap_server_conf->error_log) {
        apr_os_file_get(&log_fd, ap_server_conf->error_log);
    }
    rv = peruid_seccomp_router(log_fd, &call);

    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_EMERG, rv, ap_server_conf,
                     PERUID_LOGNO(00024) "router: %s failed; refusing to "
                     "route without the system call filter", call);
        peruid_child_exit(rd, pchild, APEXIT_CHILDFATAL);
    }
}

/* Router: entry after fork (root until peruid_child_become). */
void peruid_router_main(peruid_retained_t *rd, apr_pool_t *pconf, int slot)
{
    peruid_router_t r;
    apr_pool_t *pchild;

    pchild = peruid_child_init(rd, pconf, PERUID_ROLE_ROUTER, slot);
    peruid_child_close_fds(rd, PERUID_ROLE_ROUTER, -1);
    ap_reopen_scoreboard(pchild, NULL, 0);
    if (router_setup(&r, rd, pchild) != APR_SUCCESS) {
        peruid_child_exit(rd, pchild, APEXIT_CHILDSICK);
    }
    if (peruid_child_become(rd, &rd->router, ap_server_conf)
        != APR_SUCCESS) {
        peruid_child_exit(rd, pchild, APEXIT_CHILDFATAL);
    }
    router_filter(rd, pchild);
    ap_update_child_status_from_indexes(slot, 0, SERVER_READY, NULL);
    rd->mpm->mpm_state = AP_MPMQ_RUNNING;
    r.now = apr_time_now();
    r.mono = peruid_chan_clock();
    router_listen(&r, 1);
    router_loop(&r);
    peruid_child_exit(rd, pchild, 0);
}
