/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * tls.c -- which servers mod_ssl serves TLS for (see tls.h).
 *
 * Master, root, post_config: mod_ssl runs its init_server hook for each
 * server whose connections it encrypts, once their certificates are
 * loaded; the MPM notes those servers in its per-server configuration
 * (peruid_server_conf_t.tls) and that the generation has TLS at all
 * (peruid_settings()->tls).  Routers, forked later, read the notes to
 * peek at a ClientHello rather than a request head on connections whose
 * address's default server (httpd's ap_update_vhost_given_ip, which
 * mod_ssl's pre_connection hook also looks at) has TLS.
 */

#include "httpd.h"
#include "http_config.h"

#include "peruid.h"
#include "tls.h"

/* Master, root, mod_ssl's init_server hook: note that s has TLS (its
 * client side; is_proxy is the context of its backend connections). */
static int tls_init_server(server_rec *s, apr_pool_t *p, int is_proxy,
                           SSL_CTX *ctx)
{
    if (!is_proxy) {
        peruid_server_conf(s)->tls = 1;
        peruid_settings()->tls = 1;
    }
    return OK;
}

/* Master, root, module load: the hook (mod_ssl runs it if loaded). */
void peruid_tls_register_hooks(apr_pool_t *p)
{
    APR_OPTIONAL_HOOK(ssl, init_server, tls_init_server, NULL, NULL,
                      APR_HOOK_MIDDLE);
}

/* Any process: see tls.h. */
int peruid_tls_server(server_rec *s)
{
    return peruid_server_conf(s)->tls;
}
