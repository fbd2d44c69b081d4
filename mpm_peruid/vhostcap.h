/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * vhostcap.h -- MaxClientsVHost: a virtual host's requests served at
 * once, counted without the scoreboard (vhostcap.c).
 */

#ifndef PERUID_VHOSTCAP_H
#define PERUID_VHOSTCAP_H

#include "httpd.h"

#include "peruid.h"

/* Master, root, check_config: give each vhost with MaxClientsVHost a
 * counter on its user's pool page (at most PERUID_VHOST_CAPS per user:
 * more fails apache2 -t, PU00106). */
int peruid_vhostcap_check_config(apr_pool_t *ptemp, server_rec *main_s);

/* Router: is vhost s, served by pool, at its MaxClientsVHost?  Then it
 * logs (at most once a second per router, PU00104) and the caller
 * answers 503. */
int peruid_vhostcap_full(peruid_retained_t *rd, int pool, server_rec *s);

/* Master, root, module load: the workers' request hook that counts. */
void peruid_vhostcap_register_hooks(apr_pool_t *p);

/* Master: forget the counts of a pool that has no worker left (one
 * killed in a request cannot take its count back). */
void peruid_vhostcap_reset(peruid_pool_stat_t *st);

#endif /* PERUID_VHOSTCAP_H */
