/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * tls.h -- what the MPM takes from mod_ssl: its public optional hook
 * ssl_init_server, run by mod_ssl's post_config in the master for each
 * server with TLS, with the server's SSL_CTX; and which servers have
 * TLS (tls.c).
 *
 * The hook is declared in httpd's modules/ssl/mod_ssl_openssl.h, which
 * Debian's apache2-dev does not install; it is declared here again, with
 * the same name and arguments (APR finds optional hooks by name).
 */

#ifndef PERUID_TLS_H
#define PERUID_TLS_H

#include <openssl/ssl.h>

#include "httpd.h"
#include "apr_hooks.h"
#include "apr_optional_hooks.h"
#include "mod_ssl.h"

/* mod_ssl_openssl.h: "allow SSL_CTX-specific initialization to be
 * performed by a module for each SSL-enabled server (one at a time)";
 * is_proxy 1: the context of its backend connections. */
APR_DECLARE_EXTERNAL_HOOK(ssl, SSL, int, init_server,
                          (server_rec *s, apr_pool_t *p, int is_proxy,
                           SSL_CTX *ctx))

/* Master, root, module load (tls.c): note each server mod_ssl serves TLS
 * for (peruid_server_conf_t.tls, peruid_settings()->tls). */
void peruid_tls_register_hooks(apr_pool_t *p);

/* Any process: does mod_ssl serve TLS for server s? */
int peruid_tls_server(server_rec *s);

#endif /* PERUID_TLS_H */
