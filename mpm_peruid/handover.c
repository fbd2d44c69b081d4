/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * handover.c -- the worker's side of the hand-over (see handover.h and
 * docs/architecture.md, "Hand-over").
 *
 * Recording: every plain-HTTP connection a worker serves gets a
 * connection input filter of ours just above httpd's core input filter
 * (AP_FTYPE_NETWORK - 1).  It keeps a copy of every byte it passes up
 * since the current request began (reset by pre_read_request), up to
 * PERUID_HANDOVER_BOUND; past it, the request cannot be handed over.
 *
 * Handing over: when the double-check finds the request needs another
 * user's pool, the worker sends what httpd still holds of earlier
 * pipelined responses, takes what httpd's core input filter buffered
 * beyond what it passed up (AP_MODE_EXHAUSTIVE: the buffered buckets,
 * then the socket bucket, which is not read), puts the recording, the
 * replay's unread rest and those bytes in a sealed memfd and sends it
 * with the client socket on its pool's back channel to the routers.
 * httpd then forgets the connection without shutting it down
 * (c->aborted: ap_start_lingering_close only closes our descriptor).
 * What the client has not sent yet stays in the socket for the next
 * worker.
 *
 * Replaying: a connection that comes with a replay memfd (CONN_REPLAY)
 * is served from those bytes first, in every read mode httpd's filters
 * use (replay.c decides), then from the socket.
 *
 * Runs in workers, as the vhost's user; the hooks and the filter are
 * registered by the master at module load and do nothing elsewhere.
 */

#ifndef _GNU_SOURCE
#define _GNU_SOURCE             /* memfd_create, F_ADD_SEALS */
#endif

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "httpd.h"
#include "apr_portable.h"
#include "apr_buckets.h"
#include "http_log.h"
#include "http_config.h"
#include "http_core.h"
#include "http_connection.h"
#include "http_protocol.h"
#include "http_request.h"
#include "http_ssl.h"
#include "util_filter.h"

#include "peruid.h"
#include "child.h"
#include "answer.h"
#include "channel.h"
#include "handover.h"
#include "replay.h"
#include "remoteip.h"

#define HANDOVER_FILTER     "PERUID_HANDOVER"
#define HANDOVER_FIRST_CAP  2048    /* the recording's first buffer      */
#define HANDOVER_SEALS      (F_SEAL_WRITE | F_SEAL_SHRINK | F_SEAL_GROW \
                             | F_SEAL_SEAL)
#define HANDOVER_DISCARD_READS 16   /* after a 503: what the client sent */
#define HANDOVER_ROOM_WAIT  apr_time_from_sec(1)   /* a full back channel:
                                     * the longest wait for room         */

/* One connection's recording and replay (c->conn_config, c->pool). */
typedef struct {
    ap_filter_t *f;         /* our filter                                */
    char *rec;              /* the bytes passed up since the request began */
    apr_size_t rec_len, rec_cap, bound;
    int overflow;           /* the request's bytes are not all in rec    */
    int tls;                /* -1: not known yet; 1: TLS, not recorded   */
    const char *replay;     /* a CONN_REPLAY's bytes (NULL: none)        */
    apr_size_t replay_len, replay_off;
    apr_uint32_t hops;      /* hand-overs of the current request so far  */
    int requests;           /* requests begun on the connection          */
    apr_size_t proxy_len;   /* the PROXY header the recording keeps at its
                             * start (remoteip.c), else 0                 */
    apr_bucket_brigade *tmp;
} handover_conn_t;

/* Worker (vhost user): the connection's state, NULL when none. */
static handover_conn_t *handover_of(conn_rec *c)
{
    return ap_get_module_config(c->conn_config, &mpm_peruid_module);
}

/* Worker (vhost user): append n bytes to the recording, growing it by
 * doubling up to its bound; past the bound the request is marked
 * overflow (it cannot be handed over any more). */
static void handover_append(handover_conn_t *hc, apr_pool_t *p,
                            const char *data, apr_size_t n)
{
    char *bigger;
    apr_size_t cap;

    if (hc->overflow || n == 0) {
        return;
    }
    if (n > hc->bound - hc->rec_len) {
        hc->overflow = 1;
        return;
    }
    if (hc->rec_len + n > hc->rec_cap) {
        for (cap = hc->rec_cap ? hc->rec_cap : HANDOVER_FIRST_CAP;
             cap < hc->rec_len + n; cap *= 2) {
        }
        bigger = apr_palloc(p, cap < hc->bound ? cap : hc->bound);
        if (hc->rec_len) {
            memcpy(bigger, hc->rec, hc->rec_len);
        }
        hc->rec = bigger;
        hc->rec_cap = cap < hc->bound ? cap : hc->bound;
    }
    memcpy(hc->rec + hc->rec_len, data, n);
    hc->rec_len += n;
}

/* Worker (vhost user): record the data of buckets from first to the end
 * of bb.  A socket bucket (AP_MODE_EXHAUSTIVE handed the socket up)
 * cannot be recorded: the request is marked overflow. */
static void handover_record(handover_conn_t *hc, conn_rec *c,
                            apr_bucket_brigade *bb, apr_bucket *first)
{
    apr_bucket *e;
    const char *data;
    apr_size_t len;

    for (e = first; e != APR_BRIGADE_SENTINEL(bb) && !hc->overflow;
         e = APR_BUCKET_NEXT(e)) {
        if (APR_BUCKET_IS_METADATA(e)) {
            continue;
        }
        if (APR_BUCKET_IS_SOCKET(e)
            || apr_bucket_read(e, &data, &len, APR_NONBLOCK_READ)
               != APR_SUCCESS) {
            hc->overflow = 1;
            return;
        }
        handover_append(hc, c->pool, data, len);
    }
}

/* Worker: httpd's input mode in replay.c's names. */
static replay_mode_e handover_mode(ap_input_mode_t mode)
{
    switch (mode) {
    case AP_MODE_GETLINE:
        return REPLAY_GETLINE;
    case AP_MODE_EATCRLF:
        return REPLAY_EATCRLF;
    case AP_MODE_SPECULATIVE:
        return REPLAY_SPECULATIVE;
    case AP_MODE_EXHAUSTIVE:
        return REPLAY_EXHAUSTIVE;
    case AP_MODE_INIT:
        return REPLAY_INIT;
    default:
        return REPLAY_READBYTES;
    }
}

/* Worker (vhost user): serve what the replay has for this read into bb
 * (replay.c decides how much); returns 1 when the read goes on to the
 * filter below. */
static int handover_serve_replay(handover_conn_t *hc, ap_filter_t *f,
                                 apr_bucket_brigade *bb,
                                 ap_input_mode_t mode, apr_off_t readbytes)
{
    replay_step_t st;

    if (!hc->replay) {
        return 1;
    }
    peruid_replay_step(hc->replay, hc->replay_len, hc->replay_off,
                       handover_mode(mode),
                       readbytes > 0 ? (apr_size_t)readbytes : 0,
                       HUGE_STRING_LEN, &st);
    if (st.give > 0) {
        /* the replay lives in c->pool, as long as the connection */
        APR_BRIGADE_INSERT_TAIL(bb, apr_bucket_immortal_create(
            hc->replay + hc->replay_off + st.skip, st.give,
            f->c->bucket_alloc));
    }
    if (st.consume) {
        hc->replay_off += st.skip + st.give;
    }
    if (hc->replay_off >= hc->replay_len) {
        hc->replay = NULL;      /* used up: the socket from now on */
    }
    return st.below && (st.give == 0 || mode == AP_MODE_EXHAUSTIVE);
}

/* Worker (vhost user), connection input filter just above the core's:
 * the replay first, then the socket; a copy of every byte a consuming
 * read passes up goes to the recording.  On TLS (mod_ssl's filter is
 * above ours: we would see ciphertext) it takes itself out at once. */
static apr_status_t handover_filter(ap_filter_t *f, apr_bucket_brigade *bb,
                                    ap_input_mode_t mode,
                                    apr_read_type_e block,
                                    apr_off_t readbytes)
{
    handover_conn_t *hc = f->ctx;
    apr_bucket *last = APR_BRIGADE_LAST(bb);
    apr_status_t rv = APR_SUCCESS;

    if (hc->tls < 0) {
        hc->tls = ap_ssl_conn_is_ssl(f->c) ? 1 : 0;
    }
    if (hc->tls) {
        hc->overflow = 1;
        ap_remove_input_filter(f);
        return ap_get_brigade(f->next, bb, mode, block, readbytes);
    }
    if (handover_serve_replay(hc, f, bb, mode, readbytes)) {
        if (!hc->tmp) {
            hc->tmp = apr_brigade_create(f->c->pool, f->c->bucket_alloc);
        }
        rv = ap_get_brigade(f->next, hc->tmp, mode, block, readbytes);
        APR_BRIGADE_CONCAT(bb, hc->tmp);
    }
    if (mode != AP_MODE_SPECULATIVE && mode != AP_MODE_INIT
        && mode != AP_MODE_EATCRLF) {
        handover_record(hc, f->c, bb, last == APR_BRIGADE_SENTINEL(bb)
                                      ? APR_BRIGADE_FIRST(bb)
                                      : APR_BUCKET_NEXT(last));
    }
    return rv;
}

/* Worker (vhost user), pre_read_request: a request begins; the recording
 * starts again.  The hand-overs counted so far were the previous
 * request's, except for the first request of a replayed connection,
 * which is the one they carried. */
static void handover_pre_read_request(request_rec *r, conn_rec *c)
{
    handover_conn_t *hc = handover_of(c);

    if (!hc) {
        return;
    }
    if (hc->requests == 1) {
        hc->proxy_len = peruid_remoteip_header(c, hc->rec, hc->rec_len);
    }
    hc->rec_len = hc->proxy_len;
    hc->overflow = hc->tls > 0;
    if (hc->requests++ > 0) {
        hc->hops = 0;
    }
}

/* Worker (vhost user): the bytes of the replay memfd fd (at most bound)
 * into c->pool; closes fd.  Returns APR_SUCCESS or the error. */
static apr_status_t handover_load(handover_conn_t *hc, conn_rec *c, int fd)
{
    struct stat st;
    char *buf;
    apr_size_t got = 0;
    ssize_t n;
    apr_status_t rv = APR_SUCCESS;

    if (fstat(fd, &st) < 0) {
        rv = errno;
    }
    else if (st.st_size <= 0 || (apr_size_t)st.st_size > hc->bound) {
        rv = APR_EINVAL;
    }
    else {
        buf = apr_palloc(c->pool, (apr_size_t)st.st_size);
        while (got < (apr_size_t)st.st_size
               && (n = pread(fd, buf + got, (apr_size_t)st.st_size - got,
                             (off_t)got)) > 0) {
            got += (apr_size_t)n;
        }
        hc->replay = buf;
        hc->replay_len = got;
        rv = got == (apr_size_t)st.st_size ? APR_SUCCESS : APR_EGENERAL;
    }
    close(fd);
    return rv;
}

/* Worker (vhost user): answer 503 on c's socket ourselves (answer.c),
 * after what httpd still holds of earlier responses, and make httpd
 * forget the connection (no shutdown: the close follows at once). */
static void handover_answer_503(conn_rec *c)
{
    apr_socket_t *sock = ap_get_conn_socket(c);
    apr_os_sock_t fd;
    char buf[4096];
    int i = 0;

    ap_flush_conn(c);
    c->keepalive = AP_CONN_CLOSE;
    c->aborted = 1;
    if (!sock || apr_os_sock_get(&fd, sock) != APR_SUCCESS) {
        return;
    }
    /* read what the client sent, so that the close does not reset the
     * connection and lose the answer */
    while (i++ < HANDOVER_DISCARD_READS
           && recv(fd, buf, sizeof(buf), MSG_DONTWAIT) > 0) {
    }
    peruid_answer_send(fd, 503, 0);
}

/* Worker (vhost user): see handover.h. */
apr_status_t peruid_handover_conn(conn_rec *c, int replay, apr_uint32_t hops)
{
    handover_conn_t *hc = apr_pcalloc(c->pool, sizeof(*hc));
    apr_status_t rv = APR_SUCCESS;

    hc->bound = PERUID_HANDOVER_BOUND(peruid_settings()->peek_max);
    hc->tls = -1;
    hc->hops = hops;
    ap_set_module_config(c->conn_config, &mpm_peruid_module, hc);
    hc->f = ap_add_input_filter(HANDOVER_FILTER, hc, NULL, c);
    if (replay >= 0) {
        rv = handover_load(hc, c, replay);
    }
    if (rv != APR_SUCCESS) {
        ap_log_cerror(APLOG_MARK, APLOG_ERR, rv, c, PERUID_LOGNO(00096)
                      "worker uid %ld: cannot read the replay of a "
                      "connection handed over (hop %lu); answering 503",
                      (long)peruid_self()->uid, (unsigned long)hops);
        handover_answer_503(c);
    }
    return rv;
}

/* Worker (vhost user): append to the recording what the connection
 * holds unread: the replay's rest, then what httpd's core input filter
 * buffered (AP_MODE_EXHAUSTIVE hands up its buffered buckets and the
 * socket bucket; the socket bucket is not read: what the kernel holds
 * stays there for the next worker).  Afterwards the core filter holds
 * nothing, and the connection must not be read again. */
static void handover_take_buffered(handover_conn_t *hc, conn_rec *c)
{
    apr_bucket_brigade *bb = apr_brigade_create(c->pool, c->bucket_alloc);
    apr_bucket *e;
    const char *data;
    apr_size_t len;

    if (hc->replay) {
        handover_append(hc, c->pool, hc->replay + hc->replay_off,
                        hc->replay_len - hc->replay_off);
        hc->replay = NULL;
    }
    if (ap_get_brigade(hc->f->next, bb, AP_MODE_EXHAUSTIVE,
                       APR_NONBLOCK_READ, 0) == APR_SUCCESS) {
        for (e = APR_BRIGADE_FIRST(bb); e != APR_BRIGADE_SENTINEL(bb)
             && !APR_BUCKET_IS_SOCKET(e) && !hc->overflow;
             e = APR_BUCKET_NEXT(e)) {
            if (APR_BUCKET_IS_METADATA(e)) {
                continue;
            }
            if (apr_bucket_read(e, &data, &len, APR_NONBLOCK_READ)
                != APR_SUCCESS) {
                hc->overflow = 1;
                break;
            }
            handover_append(hc, c->pool, data, len);
        }
    }
    apr_brigade_destroy(bb);
}

/* Worker (vhost user): the recording in a new memfd, sealed against
 * writes, growth and shrinking (and further seals): the routers check
 * it, and the next worker reads the bytes they checked.  Returns the
 * descriptor, or -1 with errno. */
static int handover_memfd(const handover_conn_t *hc)
{
    apr_size_t done = 0;
    ssize_t n;
    int fd = memfd_create("peruid-replay", MFD_CLOEXEC | MFD_ALLOW_SEALING);

    if (fd < 0) {
        return -1;
    }
    while (done < hc->rec_len
           && (n = write(fd, hc->rec + done, hc->rec_len - done)) > 0) {
        done += (apr_size_t)n;
    }
    if (done != hc->rec_len || fcntl(fd, F_ADD_SEALS, HANDOVER_SEALS) < 0) {
        int err = errno ? errno : EIO;

        close(fd);
        errno = err;
        return -1;
    }
    return fd;
}

/* Worker (vhost user): why r's connection cannot be handed over (NULL:
 * it can). */
static const char *handover_impossible(request_rec *r, handover_conn_t *hc)
{
    peruid_retained_t *rd = peruid_retained();
    int pool = peruid_self()->pool;

    if (r->main || r->prev) {
        return "it is a subrequest or an internal redirect (the replay "
               "would be its main request)";
    }
    if (!hc || !hc->f || hc->tls > 0) {
        return "the connection is not recorded";
    }
    if (peruid_settings()->one_process || pool < 0
        || rd->pools[pool].chan_recv < 0) {
        return "there are no routers (one-process mode)";
    }
    if (hc->hops >= PERUID_HANDOVER_MAX_HOPS) {
        return "the request was handed over too many times already";
    }
    if (hc->overflow) {
        return "its bytes are past the bound (PeruidPeekMaxBytes + 64 "
               "KiB)";
    }
    return NULL;
}

/* Where a hand-over sends the connection: a pool of the table (pool >=
 * 0, or -1: the router goes by the replay's head), or the user an
 * AssignUserIDExpr chose (user: its ids; the router finds its pool). */
typedef struct {
    int pool;
    int user;
    uid_t uid;
    gid_t gid;
} handover_to_t;

/* Worker (vhost user): send r's connection and its replay on our pool's
 * back channel (our receive end of the pool's channel: the records go the
 * other way, to the routers' end; pools.c), naming to.  Returns
 * APR_SUCCESS, or why not (EAGAIN: the back channel is full). */
static apr_status_t handover_send(handover_conn_t *hc, conn_rec *c,
                                  const handover_to_t *to)
{
    peruid_retained_t *rd = peruid_retained();
    apr_socket_t *sock = ap_get_conn_socket(c);
    int back = rd->pools[peruid_self()->pool].chan_recv;
    apr_uint32_t me = (apr_uint32_t)peruid_self()->pool;
    apr_uint32_t gen = (apr_uint32_t)rd->mpm->my_generation;
    apr_os_sock_t fd;
    apr_status_t rv;
    int memfd;

    if (!sock || apr_os_sock_get(&fd, sock) != APR_SUCCESS) {
        return APR_ENOTSOCK;
    }
    if ((memfd = handover_memfd(hc)) < 0) {
        return errno;
    }
    rv = to->user
         ? peruid_chan_send_handover_user(back, me, gen, fd, memfd,
                                          hc->hops + 1,
                                          (apr_uint32_t)to->uid,
                                          (apr_uint32_t)to->gid)
         : peruid_chan_send_handover(back, me, gen, fd, memfd, hc->hops + 1,
                                     to->pool >= 0
                                     ? (apr_uint32_t)to->pool + 1 : 0);
    close(memfd);
    return rv;
}

/* Worker (vhost user): handover_send, and while the back channel is
 * full, wait for room (POLLOUT: a router took records) and send again,
 * up to HANDOVER_ROOM_WAIT.  The back channel holds about 20 records:
 * with every request of 256 kept-alive connections naming another user,
 * the routers, sharing two CPUs with hundreds of workers, were not
 * always run within the few milliseconds 20 hand-overs take, and the
 * workers answered 503 at once; waiting paces them to the routers.  A
 * tenant that floods its own back channel makes only its own workers
 * wait.  Returns as handover_send. */
static apr_status_t handover_send_paced(handover_conn_t *hc, conn_rec *c,
                                        const handover_to_t *to)
{
    int back = peruid_retained()->pools[peruid_self()->pool].chan_recv;
    apr_time_t end = apr_time_now() + HANDOVER_ROOM_WAIT;
    apr_time_t left;
    struct pollfd pfd;
    apr_status_t rv;

    while (APR_STATUS_IS_EAGAIN(rv = handover_send(hc, c, to))
           && (left = end - apr_time_now()) > 0) {
        pfd.fd = back;
        pfd.events = POLLOUT;
        pfd.revents = 0;
        if (poll(&pfd, 1, (int)apr_time_as_msec(left) + 1) < 0
            && errno != EINTR) {
            break;
        }
    }
    return rv;
}

/* Worker (vhost user): the log line of a hand-over, or of its refusal
 * (why; rv the error; status the answer then). */
static void handover_log(request_rec *r, const handover_to_t *to,
                         const char *why, apr_status_t rv,
                         const handover_conn_t *hc, int status)
{
    peruid_retained_t *rd = peruid_retained();
    long uid = to->user ? (long)to->uid
               : to->pool >= 0 ? (long)rd->pools[to->pool].uid : -1L;

    if (!why) {
        ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r, PERUID_LOGNO(00097)
                      "worker uid %ld handed a request for vhost %s (uid "
                      "%ld) back to the routers with %lu bytes to replay "
                      "(hop %lu)", (long)peruid_self()->uid,
                      r->server->server_hostname, uid,
                      (unsigned long)hc->rec_len,
                      (unsigned long)hc->hops + 1);
        return;
    }
    ap_log_rerror(APLOG_MARK, APLOG_WARNING, rv, r, PERUID_LOGNO(00098)
                  "worker uid %ld cannot hand a request for vhost %s (uid "
                  "%ld) over: %s; answering %d",
                  (long)peruid_self()->uid, r->server->server_hostname, uid,
                  why, status);
}

/* Worker (vhost user): see handover.h.  Ordering: the responses httpd
 * still holds for earlier pipelined requests go out first (ap_flush_conn),
 * so the next worker's answers come after them. */
static int handover_request(request_rec *r, const handover_to_t *to)
{
    conn_rec *c = r->connection;
    handover_conn_t *hc = handover_of(c);
    const char *why;
    apr_status_t rv = APR_SUCCESS;

    if (c->master) {
        /* a stream of an HTTP/2 connection (h2c): the stream is answered
         * 421, and the client asks again on a connection of its own */
        handover_log(r, to, "it is an HTTP/2 stream", 0, hc,
                     HTTP_MISDIRECTED_REQUEST);
        return HTTP_MISDIRECTED_REQUEST;
    }
    why = handover_impossible(r, hc);
    c->keepalive = AP_CONN_CLOSE;   /* no body discarded: it is theirs */
    if (!why) {
        ap_flush_conn(c);
        handover_take_buffered(hc, c);
        why = hc->overflow ? "its bytes are past the bound "
                             "(PeruidPeekMaxBytes + 64 KiB)" : NULL;
    }
    if (!why && (rv = handover_send_paced(hc, c, to)) != APR_SUCCESS) {
        why = APR_STATUS_IS_EAGAIN(rv) ? "its pool's back channel is full"
                                       : "sending it to the routers failed";
    }
    handover_log(r, to, why, rv, hc, HTTP_SERVICE_UNAVAILABLE);
    if (why) {
        handover_answer_503(c);
        r->status = HTTP_SERVICE_UNAVAILABLE;   /* the access log's */
        return DONE;
    }
    /* the connection is the routers' now: httpd closes our descriptor
     * only (ap_start_lingering_close neither flushes nor shuts down an
     * aborted connection) */
    c->aborted = 1;
    r->status = HTTP_MISDIRECTED_REQUEST;       /* the access log's */
    return DONE;
}

/* Worker (vhost user): see handover.h. */
int peruid_handover_request(request_rec *r, int need)
{
    handover_to_t to = { need, 0, 0, 0 };

    return handover_request(r, &to);
}

/* Worker (vhost user): see handover.h. */
int peruid_handover_request_user(request_rec *r, uid_t uid, gid_t gid)
{
    handover_to_t to = { -1, 1, uid, gid };

    return handover_request(r, &to);
}

/* Worker (vhost user): does c's connection begin with a PROXY protocol
 * header mod_remoteip read (the recording keeps it from the second
 * request on; during the first, the recording starts with it)? */
static int handover_has_proxy(handover_conn_t *hc, conn_rec *c)
{
    return hc->proxy_len > 0
           || (hc->requests <= 1
               && peruid_remoteip_header(c, hc->rec, hc->rec_len) > 0);
}

/* Worker (vhost user): see handover.h. */
int peruid_handover_idle_possible(conn_rec *c)
{
    handover_conn_t *hc = handover_of(c);
    peruid_retained_t *rd = peruid_retained();
    int pool = peruid_self()->pool;

    return hc && hc->f && hc->tls == 0 && !c->master
           && !ap_ssl_conn_is_ssl(c) && !handover_has_proxy(hc, c)
           && !peruid_settings()->one_process && pool >= 0
           && rd->pools[pool].chan_recv >= 0;
}

/* Worker (vhost user): see handover.h.  The replay is empty: the next
 * request is all in the socket (the caller looked: httpd holds none of
 * it), and a router peeks at it there as at a new connection's.  The
 * record counts one hop, the next request's first. */
apr_status_t peruid_handover_idle(conn_rec *c)
{
    handover_conn_t *hc = handover_of(c);
    handover_to_t to = { -1, 0, 0, 0 };
    apr_status_t rv;

    if (!peruid_handover_idle_possible(c)) {
        return APR_ENOTIMPL;
    }
    ap_flush_conn(c);
    if (c->aborted) {
        return APR_ECONNABORTED;
    }
    hc->rec_len = 0;
    hc->hops = 0;
    if ((rv = handover_send(hc, c, &to)) != APR_SUCCESS) {
        return rv;
    }
    /* the routers' now: httpd closes our descriptor only */
    c->keepalive = AP_CONN_CLOSE;
    c->aborted = 1;
    return APR_SUCCESS;
}

/* Child, root, right after fork: see handover.h. */
void peruid_handover_close_fds(peruid_pool_t *pl, peruid_role_e role,
                               int index, int keep_pool)
{
    int keep_send = role == PERUID_ROLE_WORKER && index == keep_pool;

    if (!keep_send && pl->back_send >= 0) {
        close(pl->back_send);
        pl->back_send = -1;
    }
    if (role != PERUID_ROLE_ROUTER && pl->back_recv >= 0) {
        close(pl->back_recv);
        pl->back_recv = -1;
    }
}

/* Master, root, module load: see handover.h. */
void peruid_handover_register_hooks(apr_pool_t *p)
{
    ap_register_input_filter(HANDOVER_FILTER, handover_filter, NULL,
                             AP_FTYPE_NETWORK - 1);
    ap_hook_pre_read_request(handover_pre_read_request, NULL, NULL,
                             APR_HOOK_REALLY_FIRST);
}
