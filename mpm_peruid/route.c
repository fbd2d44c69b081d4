/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * route.c -- choose the vhost of a peeked request with httpd's own vhost
 * matching (ap_update_vhost_given_ip, ap_parse_uri,
 * ap_update_vhost_from_headers), then its worker pool.
 *
 * Runs in the routers as PeruidRouterUser, no capabilities.  It builds a
 * minimal conn_rec and request_rec in a scratch pool, so that the choice
 * is exactly the one httpd will make again in the worker; when the two
 * ever differ, the worker's double-check refuses the request.
 */

#include <string.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include "httpd.h"
#include "apr_strings.h"
#include "http_core.h"
#include "http_main.h"
#include "http_config.h"
#include "http_protocol.h"
#include "http_vhost.h"

#include "peruid.h"
#include "route.h"

/* The log level of the router's scratch requests and connections: none
 * (below APLOG_EMERG). */
static const struct ap_logconf route_quiet = { NULL, -1 };

/* Router: fill an APR address from a native one (no name lookup). */
static apr_sockaddr_t *route_sockaddr(apr_pool_t *p,
                                      const struct sockaddr_storage *ss,
                                      socklen_t len)
{
    apr_sockaddr_t *sa = apr_pcalloc(p, sizeof(*sa));

    sa->pool = p;
    memcpy(&sa->sa, ss, len < sizeof(sa->sa) ? len : sizeof(sa->sa));
    sa->salen = len;
    sa->family = ss->ss_family;
    if (ss->ss_family == AF_INET6) {
        sa->port = ntohs(sa->sa.sin6.sin6_port);
        sa->ipaddr_ptr = &sa->sa.sin6.sin6_addr;
        sa->ipaddr_len = sizeof(struct in6_addr);
        sa->addr_str_len = 46;
    }
    else {
        sa->port = ntohs(sa->sa.sin.sin_port);
        sa->ipaddr_ptr = &sa->sa.sin.sin_addr;
        sa->ipaddr_len = sizeof(struct in_addr);
        sa->addr_str_len = 16;
    }
    return sa;
}

/* Router: the local address of the connection.  A listener bound to one
 * address already knows it; a wildcard listener needs getsockname. */
static apr_sockaddr_t *route_local_addr(apr_pool_t *p, int fd,
                                        ap_listen_rec *lr)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);

    if (!apr_sockaddr_is_wildcard(lr->bind_addr)) {
        return lr->bind_addr;
    }
    if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0) {
        return lr->bind_addr;
    }
    return route_sockaddr(p, &ss, len);
}

/* Router: the smallest conn_rec httpd's vhost matching reads. */
static conn_rec *route_conn(apr_pool_t *p, int fd, ap_listen_rec *lr)
{
    conn_rec *c = apr_pcalloc(p, sizeof(*c));

    c->pool = p;
    c->base_server = ap_server_conf;
    c->local_addr = route_local_addr(p, fd, lr);
    c->local_ip = "-";
    c->client_ip = "-";
    c->log_id = "router";
    c->log = &route_quiet;
    c->conn_config = ap_create_conn_config(p);
    c->notes = apr_table_make(p, 1);
    ap_update_vhost_given_ip(c);
    return c;
}

/* Router: the smallest request_rec ap_parse_uri and the vhost matching
 * read, filled from the peeked head. */
static request_rec *route_request(apr_pool_t *p, conn_rec *c,
                                  const peek_head_t *h)
{
    request_rec *r = apr_pcalloc(p, sizeof(*r));

    r->pool = p;
    r->connection = c;
    r->server = c->base_server;
    r->status = HTTP_OK;
    r->method = apr_pstrmemdup(p, h->method, h->method_len);
    r->method_number = ap_method_number_of(r->method);
    r->proto_num = HTTP_VERSION(h->major, h->minor);
    r->headers_in = apr_table_make(p, 1);
    r->notes = apr_table_make(p, 1);
    /* httpd's vhost code logs a malformed Host through the request: not
     * here (the worker's httpd logs it, as under prefork's), and with
     * what the log hooks read (mod_unique_id's generate_log_id read
     * subprocess_env, and a router died of its absence) */
    r->log = &route_quiet;
    r->subprocess_env = apr_table_make(p, 1);
    r->headers_out = apr_table_make(p, 1);
    r->err_headers_out = apr_table_make(p, 1);
    r->log_id = "router";
    r->request_config = ap_create_request_config(p);
    r->per_dir_config = r->server->lookup_defaults;
    r->useragent_ip = c->client_ip;
    if (h->host) {
        apr_table_setn(r->headers_in, "Host",
                       apr_pstrmemdup(p, h->host, h->host_len));
    }
    ap_parse_uri(r, apr_pstrmemdup(p, h->target, h->target_len));
    return r;
}

/* Router: see route.h. */
server_rec *peruid_route_base(apr_pool_t *scratch, int fd, ap_listen_rec *lr)
{
    return route_conn(scratch, fd, lr)->base_server;
}

/* What route_sni_find looks for, and what it found. */
typedef struct {
    const char *name;
    server_rec *found;
} route_sni_t;

/* Router: does name match s, as mod_ssl's ssl_util_vhost_matches
 * decides: ServerName, then ServerAlias, then wildcard aliases, with no
 * regard to case. */
static int route_sni_matches(const char *name, server_rec *s)
{
    char **n;
    int i;

    if (s->server_hostname && !strcasecmp(name, s->server_hostname)) {
        return 1;
    }
    n = s->names ? (char **)s->names->elts : NULL;
    for (i = 0; n && i < s->names->nelts; i++) {
        if (n[i] && !strcasecmp(name, n[i])) {
            return 1;
        }
    }
    n = s->wild_names ? (char **)s->wild_names->elts : NULL;
    for (i = 0; n && i < s->wild_names->nelts; i++) {
        if (n[i] && !ap_strcasecmp_match(name, n[i])) {
            return 1;
        }
    }
    return 0;
}

/* Router, ap_vhost_iterate_given_conn's callback (httpd's order of the
 * address's name-based vhosts, as mod_ssl's ssl_find_vhost): stop at the
 * first that matches. */
static int route_sni_find(void *baton, conn_rec *c, server_rec *s)
{
    route_sni_t *b = baton;

    if (route_sni_matches(b->name, s)) {
        b->found = s;
        return 1;
    }
    return 0;
}

/* Router: see route.h. */
int peruid_route_tls(apr_pool_t *scratch, int fd, ap_listen_rec *lr,
                     const char *sni, server_rec **server)
{
    conn_rec *c = route_conn(scratch, fd, lr);
    route_sni_t b;

    b.name = sni;
    b.found = NULL;
    if (sni) {
        ap_vhost_iterate_given_conn(c, route_sni_find, &b);
    }
    *server = b.found ? b.found : c->base_server;
    return peruid_server_pool(*server);
}

/* Router: the vhost httpd picks for the clean head h, or NULL when
 * httpd would refuse the head (its target or Host): then httpd answers
 * from the address's default vhost. */
static server_rec *route_by_head(conn_rec *c, request_rec *r,
                                 const peek_head_t *h)
{
    if (r->status != HTTP_OK) {
        return NULL;                    /* unparsable request-target */
    }
    ap_update_vhost_from_headers(r);
    if (r->status != HTTP_OK) {
        return NULL;                    /* malformed Host */
    }
    /* as ap_read_request: HTTP/1.1 needs a host name */
    if ((!r->hostname && r->proto_num >= HTTP_VERSION(1, 1))
        || (r->proto_num == HTTP_VERSION(1, 1) && !h->host)) {
        return NULL;
    }
    return r->server;
}

/* Router: see route.h. */
int peruid_route(apr_pool_t *scratch, int fd, ap_listen_rec *lr,
                 const peek_head_t *h, server_rec **server)
{
    conn_rec *c = route_conn(scratch, fd, lr);
    server_rec *s = NULL;

    if (h->routable) {
        s = route_by_head(c, route_request(scratch, c, h), h);
    }
    *server = s ? s : c->base_server;
    return peruid_server_pool(*server);
}

/* Router: see route.h. */
void peruid_route_limits(server_rec *base, peek_limits_t *lim)
{
    core_server_config *conf =
        ap_get_core_module_config(base->module_config);

    lim->line_max = base->limit_req_line > 0
                    ? (size_t)base->limit_req_line : 0;
    lim->field_max = base->limit_req_fieldsize > 0
                     ? (size_t)base->limit_req_fieldsize : 0;
    lim->fields_max = base->limit_req_fields > 0 ? base->limit_req_fields
                                                 : 0;
    lim->strict = conf->http_conformance != AP_HTTP_CONFORMANCE_UNSAFE;
}

/* Router: is name a protocol of HTTP's ("http", "https", or unset)? */
static int route_is_http(const char *name)
{
    return !name || !*name || !strcasecmp(name, "http")
           || !strcasecmp(name, "https");
}

/* Router: mod_echo's ProtocolEcho on server s.  Its configuration is
 * private to mod_echo.c: a struct whose first and only member is the
 * int flag (httpd 2.4's EchoConfig, unchanged since 2.0). */
static int route_echo_on(server_rec *s)
{
    module *echo = ap_find_linked_module("mod_echo.c");
    const int *on;

    if (!echo) {
        return 0;
    }
    on = ap_get_module_config(s->module_config, echo);
    return on && *on;
}

/* Router: see route.h. */
int peruid_route_not_http(server_rec *base, ap_listen_rec *lr)
{
    return !route_is_http(lr ? lr->protocol : NULL)
           || !route_is_http(ap_get_server_protocol(base))
           || route_echo_on(base);
}
