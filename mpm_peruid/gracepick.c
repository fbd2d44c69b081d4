/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * gracepick.c -- see gracepick.h.
 */

#include "gracepick.h"

/* Worker (vhost user), after ap_process_connection: the verdict for a
 * connection f describes.  Only a connection whose last answer promised
 * keep-alive is kept from the close: its client may already be sending
 * the next request, which a close would lose.  A request already there
 * is served here (at once, "Connection: close"); an idle plain-HTTP/1
 * connection goes back to the routers while there are any (a graceful
 * restart: the new generation serves it, as any connection of a client
 * that paused); TLS (its state lives in this worker), a PROXY-protocol
 * connection, h2 or a graceful stop wait briefly for it instead. */
grace_verdict_e peruid_grace_pick(const grace_facts_t *f)
{
    if (f->stop == GRACE_RUNNING || !f->keepalive || f->aborted
        || !f->http1 || f->next == GRACE_NEXT_CLOSED) {
        return GRACE_CLOSE;
    }
    if (f->next == GRACE_NEXT_THERE) {
        return GRACE_SERVE;
    }
    if (f->stop == GRACE_RESTART && f->handable) {
        return GRACE_HANDOVER;
    }
    return GRACE_WAIT_SERVE;
}
