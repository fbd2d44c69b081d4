/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * remoteip.c -- which connections mod_remoteip expects a PROXY protocol
 * header on (see remoteip.h).
 *
 * mod_remoteip keeps what RemoteIPProxyProtocol and
 * RemoteIPProxyProtocolExceptions set in a private struct: lists of
 * local addresses turned on and off (in the order the directives come,
 * wildcards and ports matched its own way) and networks of peers left
 * out.  Rather than read that struct or parse the directives again,
 * the router asks mod_remoteip itself: it runs mod_remoteip's own
 * pre_connection hook (found by its module's name in httpd's public
 * list of that hook's functions, ap_hook_get_pre_connection) on a
 * scratch conn_rec holding the connection's local and peer addresses.
 * The hook answers OK exactly when it would add its PROXY input filter
 * to the connection in the worker, which then reads the header.  What it
 * does besides is done to the scratch conn_rec only (the filter and its
 * connection config, both in the scratch pool), plus a debug line
 * (AH03503) at LogLevel debug.  A mod_remoteip without the hook (before
 * 2.4.31, no PROXY protocol) or no mod_remoteip: no header.
 *
 * Runs in the routers, as PeruidRouterUser without capabilities: two
 * system calls per connection (getsockname, getpeername), and only while
 * mod_remoteip is loaded.
 *
 * In the workers, peruid_remoteip_header: a kept-alive connection whose
 * next request needs another user is handed over with a replay of that
 * request's bytes (handover.c); on such a connection mod_remoteip of the
 * next worker reads a PROXY header first, so the replay starts with the
 * one the connection began with.
 */

#include <string.h>
#include <sys/socket.h>

#include "httpd.h"
#include "apr_network_io.h"
#include "apr_portable.h"
#include "http_config.h"
#include "http_connection.h"
#include "http_main.h"

#include "util_filter.h"

#include "proxyhdr.h"
#include "remoteip.h"

#define REMOTEIP_MODULE "mod_remoteip.c"
#define REMOTEIP_FILTER "REMOTEIP_INPUT"    /* mod_remoteip's filter */

/* Router: mod_remoteip's pre_connection function, or NULL when it is not
 * loaded (or has none).  httpd names each hook function after the
 * module that registered it. */
static ap_HOOK_pre_connection_t *remoteip_hook(void)
{
    apr_array_header_t *hooks = ap_hook_get_pre_connection();
    ap_LINK_pre_connection_t *link;
    int i;

    if (hooks == NULL) {
        return NULL;
    }
    link = (ap_LINK_pre_connection_t *)hooks->elts;
    for (i = 0; i < hooks->nelts; i++) {
        if (link[i].szName && !strcmp(link[i].szName, REMOTEIP_MODULE)) {
            return link[i].pFunc;
        }
    }
    return NULL;
}

/* Router: native address ss as an APR address, without a name lookup:
 * the local address of a descriptor-less APR socket (apr_os_sock_make
 * sets the family's fields; given -1, the cleanup it registers in p
 * closes nothing).  Its peer address would not do: APR 1.7 still asks
 * getpeername for it. */
static apr_sockaddr_t *remoteip_sockaddr(apr_pool_t *p,
                                         struct sockaddr_storage *ss)
{
    apr_os_sock_t none = -1;
    apr_os_sock_info_t info;
    apr_socket_t *sock = NULL;
    apr_sockaddr_t *sa = NULL;

    memset(&info, 0, sizeof(info));
    info.os_sock = &none;
    info.local = (struct sockaddr *)ss;
    info.family = ss->ss_family;
    info.type = SOCK_STREAM;
    info.protocol = APR_PROTO_TCP;
    if (apr_os_sock_make(&sock, &info, p) != APR_SUCCESS
        || apr_socket_addr_get(&sa, APR_LOCAL, sock) != APR_SUCCESS) {
        return NULL;
    }
    return sa;
}

/* Router: the conn_rec mod_remoteip's pre_connection hook reads: fd's
 * local and peer addresses (as the worker's core will set them), the
 * main server, an empty connection config and filter chain.  NULL when
 * the peer is gone. */
static conn_rec *remoteip_conn(apr_pool_t *p, int fd)
{
    struct sockaddr_storage local, peer;
    socklen_t llen = sizeof(local), plen = sizeof(peer);
    conn_rec *c = apr_pcalloc(p, sizeof(*c));

    if (getsockname(fd, (struct sockaddr *)&local, &llen) < 0
        || getpeername(fd, (struct sockaddr *)&peer, &plen) < 0
        || (c->local_addr = remoteip_sockaddr(p, &local)) == NULL
        || (c->client_addr = remoteip_sockaddr(p, &peer)) == NULL
        || apr_sockaddr_ip_get(&c->local_ip, c->local_addr) != APR_SUCCESS
        || apr_sockaddr_ip_get(&c->client_ip, c->client_addr)
           != APR_SUCCESS) {
        return NULL;
    }
    c->pool = p;
    c->base_server = ap_server_conf;
    c->log_id = "router";
    c->conn_config = ap_create_conn_config(p);
    c->notes = apr_table_make(p, 1);
    return c;
}

/* Router: see remoteip.h. */
int peruid_remoteip_expects(apr_pool_t *scratch, int fd)
{
    ap_HOOK_pre_connection_t *hook = remoteip_hook();
    conn_rec *c;

    if (hook == NULL || (c = remoteip_conn(scratch, fd)) == NULL) {
        return 0;
    }
    return hook(c, NULL) == OK;
}

/* Worker: is mod_remoteip's PROXY protocol filter on connection c? */
static int remoteip_filter_on(conn_rec *c)
{
    ap_filter_rec_t *frec = ap_get_input_filter_handle(REMOTEIP_FILTER);
    ap_filter_t *f;

    for (f = c->input_filters; frec && f; f = f->next) {
        if (f->frec == frec) {
            return 1;
        }
    }
    return 0;
}

/* Worker (vhost user): see remoteip.h. */
apr_size_t peruid_remoteip_header(conn_rec *c, const char *rec,
                                  apr_size_t len)
{
    proxyhdr_t p;

    if (!rec || !remoteip_filter_on(c)
        || peruid_proxyhdr_parse(rec, len, len, &p) != PROXYHDR_DONE) {
        return 0;
    }
    return p.len;
}
