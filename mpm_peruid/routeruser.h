/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * routeruser.h -- the routers' identity: PeruidRouterUser, a user that
 * no tenant code runs as (routeruser.c).  Runs in the master (root) only:
 * while the configuration is read and checked, and at the start of each
 * generation.
 */

#ifndef PERUID_ROUTERUSER_H
#define PERUID_ROUTERUSER_H

#include <sys/types.h>

#include "apr_pools.h"
#include "httpd.h"
#include "http_config.h"

/* The default of PeruidRouterUser: a system user of its own, with a
 * group of the same name, created at start when missing. */
#define PERUID_ROUTER_USER_DEFAULT "peruid-router"

/* Master, root, pre_config: back to the default before each read. */
void peruid_router_user_defaults(void);

/* Master, root, config read: PeruidRouterUser user [group]. */
const char *peruid_router_user_cmd(cmd_parms *cmd, void *dummy,
                                   const char *user, const char *group);

/* Master, root, check_config (also "apache2 -t"): the routers' user is
 * known, or can be created at start; neither User nor any AssignUserID
 * is that uid.  Each refusal is logged; returns OK or !OK. */
int peruid_router_user_check(apr_pool_t *ptemp, server_rec *main_s);

/* Master, root, at the start of each generation (not with -X): the
 * routers' uid, gid and name; the default user is created first when it
 * does not exist (useradd), and checked again.  Logged on failure. */
apr_status_t peruid_router_user_ready(apr_pool_t *p, server_rec *main_s,
                                      uid_t *uid, gid_t *gid,
                                      const char **name);

#endif /* PERUID_ROUTERUSER_H */
