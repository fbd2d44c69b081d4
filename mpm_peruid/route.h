/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * route.h -- pick the worker pool for a peeked request with httpd's own
 * name-based and IP-based virtual host matching.
 */

#ifndef PERUID_ROUTE_H
#define PERUID_ROUTE_H

#include "httpd.h"
#include "ap_listen.h"
#include "peek.h"

/* Router (User, no capabilities): the pool index serving the request
 * head h that arrived on fd through listener lr, with the vhost chosen
 * in *server: httpd's choice for a routable head; the address's default
 * vhost for any other, and for one whose target or Host httpd refuses
 * (httpd answers it there, as under prefork).  Allocates only from
 * scratch, which the caller clears. */
int peruid_route(apr_pool_t *scratch, int fd, ap_listen_rec *lr,
                 const peek_head_t *h, server_rec **server);

/* Router: httpd's limits on a request head that the default server of
 * an address (base) applies (LimitRequestLine, LimitRequestFieldSize,
 * LimitRequestFields, HttpProtocolOptions): what httpd refuses at once,
 * the router hands over at once (peek.c). */
void peruid_route_limits(server_rec *base, peek_limits_t *lim);

/* Router: does a connection through listener lr, whose address's
 * default server is base, speak another protocol than HTTP (Listen's
 * protocol argument, or base's Protocol, is not http or https; or
 * mod_echo's ProtocolEcho is on for base)?  It is routed by address and
 * port alone, to base's pool, with no peek. */
int peruid_route_not_http(server_rec *base, ap_listen_rec *lr);

/* Router: the server the local address of fd (through listener lr)
 * picks, before any name: the one whose TLS setting mod_ssl applies to
 * the connection.  Allocates from scratch. */
server_rec *peruid_route_base(apr_pool_t *scratch, int fd,
                              ap_listen_rec *lr);

/* Router: the pool index serving a TLS connection on fd whose
 * ClientHello named sni (NULL: none), with the vhost in *server: the
 * vhost mod_ssl picks for that name among those of the connection's
 * address (ServerName, ServerAlias, wildcards), else the address's
 * default one.  Allocates from scratch. */
int peruid_route_tls(apr_pool_t *scratch, int fd, ap_listen_rec *lr,
                     const char *sni, server_rec **server);

#endif /* PERUID_ROUTE_H */
