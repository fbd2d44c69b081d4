/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * sandbox.h -- PeruidNoNewPrivs: a worker's no_new_privs and its filter
 * on the setuid family (sandbox.c).
 */

#ifndef PERUID_SANDBOX_H
#define PERUID_SANDBOX_H

#include <sys/types.h>

#include "httpd.h"
#include "http_config.h"

/* Master, root, config read: PeruidNoNewPrivs On|Off (server config,
 * virtual host). */
const char *peruid_sandbox_nnp_cmd(cmd_parms *cmd, void *dummy, int on);

/* Any process, once the configuration pconf belongs to is read: do the
 * workers of pool get no_new_privs?  Off when one of the pool's
 * virtual hosts says Off (its own PeruidNoNewPrivs, else the main
 * server's); a pool no virtual host maps to (per-directory users) has
 * the main server's; On by default. */
int peruid_sandbox_nnp(apr_pool_t *pconf, server_rec *main_s, int pool);

/* Master, root, check_config: with PeruidNoNewPrivs On for any server
 * (s the main one), warn (PU00130) when a setuid or setgid mail helper
 * is installed, which workers' programs then cannot use. */
void peruid_sandbox_check(apr_pool_t *pconf, int startup, server_rec *s);

/* Worker (the vhost's user, right after its switch, before any module's
 * child_init): with PeruidNoNewPrivs On, set no_new_privs and install
 * the filter that refuses the setuid family any id but uid and gid,
 * setgroups, and other ABIs.  A failure is logged (PU00129) and
 * returned: the caller must not serve. */
apr_status_t peruid_sandbox_worker(apr_pool_t *pconf, uid_t uid, gid_t gid,
                                   server_rec *s);

#endif /* PERUID_SANDBOX_H */
