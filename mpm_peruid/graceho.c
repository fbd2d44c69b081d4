/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * graceho.c -- see graceho.h; the decision is gracepick.c's.
 *
 * Runs in workers, as the vhost's user, after ap_process_connection.
 */

#include <errno.h>
#include <poll.h>
#include <string.h>

#include "httpd.h"
#include "apr_portable.h"
#include "apr_buckets.h"
#include "http_core.h"
#include "http_connection.h"
#include "http_log.h"
#include "http_protocol.h"
#include "util_filter.h"

#include "peruid.h"
#include "child.h"
#include "handover.h"
#include "graceho.h"
#include "gracepick.h"

/* The longest a stopping worker waits for the next request of a
 * connection it cannot hand over (GRACE_WAIT_SERVE); a client waits a
 * round trip after an answer, and a slow one at worst sees the close
 * while idle, as after KeepAliveTimeout. */
#define GRACEHO_WAIT apr_time_from_sec(1)

/* Worker (vhost user): why we stop, in gracepick.c's names. */
static grace_stop_e graceho_stop(void)
{
    if (!peruid_child_should_stop()) {
        return GRACE_RUNNING;
    }
    return peruid_child_stop_drains() ? GRACE_STOP : GRACE_RESTART;
}

/* Worker (vhost user): does c hold bytes of a next request, in httpd's
 * filters or in the socket?  A non-blocking speculative read of one
 * byte, which consumes nothing (what it brings from the socket stays in
 * the core's buffer for the next read). */
static grace_next_e graceho_next(conn_rec *c)
{
    apr_bucket_brigade *bb = apr_brigade_create(c->pool, c->bucket_alloc);
    apr_off_t len = 0;
    apr_status_t rv;

    rv = ap_get_brigade(c->input_filters, bb, AP_MODE_SPECULATIVE,
                        APR_NONBLOCK_READ, 1);
    if (rv == APR_SUCCESS) {
        apr_brigade_length(bb, 0, &len);
    }
    apr_brigade_destroy(bb);
    if (rv == APR_SUCCESS || APR_STATUS_IS_EAGAIN(rv)) {
        return len > 0 ? GRACE_NEXT_THERE : GRACE_NEXT_NONE;
    }
    return GRACE_NEXT_CLOSED;
}

/* Worker (vhost user): what we know of c for gracepick.c; a worker not
 * asked to stop (every connection but at a restart or stop) looks no
 * further. */
static void graceho_facts(conn_rec *c, grace_facts_t *f)
{
    const char *proto;

    memset(f, 0, sizeof(*f));
    f->stop = graceho_stop();
    f->keepalive = c->keepalive == AP_CONN_KEEPALIVE;
    f->aborted = c->aborted;
    if (f->stop == GRACE_RUNNING || !f->keepalive || f->aborted) {
        return;
    }
    proto = ap_get_protocol(c);
    f->http1 = !c->master && (!proto || !strcmp(proto, AP_PROTOCOL_HTTP1));
    f->handable = peruid_handover_idle_possible(c);
    f->next = graceho_next(c);
}

/* Worker (vhost user): wait up to GRACEHO_WAIT for c's socket to become
 * readable (the next request, or the client's close).  Returns 1 when
 * it did. */
static int graceho_wait(conn_rec *c)
{
    apr_socket_t *sock = ap_get_conn_socket(c);
    apr_os_sock_t fd;
    struct pollfd pfd;
    apr_interval_time_t t = c->base_server->keep_alive_timeout;
    int n;

    if (!sock || apr_os_sock_get(&fd, sock) != APR_SUCCESS) {
        return 0;
    }
    if (t <= 0 || t > GRACEHO_WAIT) {
        t = GRACEHO_WAIT;
    }
    pfd.fd = fd;
    pfd.events = POLLIN;
    do {
        pfd.revents = 0;
        n = poll(&pfd, 1, (int)apr_time_as_msec(t));
    } while (n < 0 && errno == EINTR);
    return n == 1;
}

/* Worker (vhost user): serve c's next request here: httpd's loop runs
 * once more (c's filters are in place; pre_connection must not run
 * again), and as the MPM is STOPPING it answers "Connection: close". */
static void graceho_serve(conn_rec *c)
{
    ap_run_process_connection(c);
}

/* Worker (vhost user): the hand-over failed (rv): say so, at most once a
 * second per worker; the caller serves the next request itself. */
static void graceho_log_refused(conn_rec *c, apr_status_t rv)
{
    static apr_time_t logged;
    apr_time_t now = apr_time_now();

    if (logged && now - logged < apr_time_from_sec(1)) {
        return;
    }
    logged = now;
    ap_log_cerror(APLOG_MARK, APLOG_INFO, rv, c, PERUID_LOGNO(00136)
                  "worker uid %ld, asked to stop, cannot hand an idle "
                  "kept-alive connection to the routers (%s); it waits "
                  "for its next request itself and answers it with "
                  "Connection: close", (long)peruid_self()->uid,
                  APR_STATUS_IS_EAGAIN(rv) ? "its pool's back channel is "
                                             "full" : "sending failed");
}

/* Worker (vhost user): see graceho.h. */
void peruid_graceho_after(conn_rec *c)
{
    grace_facts_t f;
    apr_status_t rv;

    graceho_facts(c, &f);
    switch (peruid_grace_pick(&f)) {
    case GRACE_HANDOVER:
        if ((rv = peruid_handover_idle(c)) == APR_SUCCESS) {
            ap_log_cerror(APLOG_MARK, APLOG_DEBUG, 0, c, PERUID_LOGNO(00135)
                          "worker uid %ld, asked to stop, handed an idle "
                          "kept-alive connection to the routers",
                          (long)peruid_self()->uid);
            return;
        }
        graceho_log_refused(c, rv);
        if (!c->aborted && graceho_wait(c)) {
            graceho_serve(c);
        }
        return;
    case GRACE_WAIT_SERVE:
        if (graceho_wait(c)) {
            graceho_serve(c);
        }
        return;
    case GRACE_SERVE:
        graceho_serve(c);
        return;
    default:
        return;
    }
}
