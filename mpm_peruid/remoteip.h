/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * remoteip.h -- does mod_remoteip expect a PROXY protocol header on a
 * connection (RemoteIPProxyProtocol, httpd 2.4.31 and later)?  The
 * router asks before it looks for the request head, which then comes
 * after the header (proxyhdr.c).
 */

#ifndef PERUID_REMOTEIP_H
#define PERUID_REMOTEIP_H

#include "httpd.h"

/* Router (PeruidRouterUser, no capabilities): 1 when mod_remoteip is
 * loaded and will read a PROXY header first on the client connection fd
 * (RemoteIPProxyProtocol On for its local address and not Off,
 * RemoteIPProxyProtocolExceptions not matching its peer), else 0.
 * Allocates only from scratch, which the caller clears. */
int peruid_remoteip_expects(apr_pool_t *scratch, int fd);

/* Worker (vhost user): the length of the PROXY protocol header that
 * connection c began with, found at the start of rec[0..len) (the bytes
 * its first request was read from), when mod_remoteip read one (its
 * input filter is on c); else 0.  A hand-over keeps it at the start of
 * the replay, so that the next worker's mod_remoteip reads it again. */
apr_size_t peruid_remoteip_header(conn_rec *c, const char *rec,
                                  apr_size_t len);

#endif /* PERUID_REMOTEIP_H */
