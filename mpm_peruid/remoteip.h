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

#endif /* PERUID_REMOTEIP_H */
