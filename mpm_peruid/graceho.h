/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * graceho.h -- a kept-alive connection at a worker's graceful exit.
 *
 * An answer made before the worker was asked to stop promised
 * keep-alive; its client sends the next request as soon as it has read
 * it, but httpd's loop (ap_process_http_sync_connection) ends the
 * connection once the MPM is STOPPING, and a close would lose that
 * request.  Instead the worker hands the idle connection to the routers
 * (a graceful restart: a worker of the new generation serves the next
 * request), or serves the next request itself with "Connection: close"
 * when it is already there, or comes within a short wait (TLS, a PROXY
 * header, a graceful stop).  gracepick.c decides.
 */

#ifndef PERUID_GRACEHO_H
#define PERUID_GRACEHO_H

#include "httpd.h"

/* Worker (vhost user), right after ap_process_connection(c): see
 * above.  Does nothing unless the worker is asked to stop. */
void peruid_graceho_after(conn_rec *c);

#endif /* PERUID_GRACEHO_H */
