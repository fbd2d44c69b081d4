/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * handover.h -- keep-alive across users: a worker whose double-check
 * finds that a plain-HTTP request needs another user's pool hands the
 * connection back to the routers, with every byte it read and did not
 * answer (its replay), instead of closing it; the worker of the right
 * user replays those bytes before it reads the socket.  The worker side
 * is handover.c; the pure decisions are replay.c; the router's side is
 * in router.c.
 */

#ifndef PERUID_HANDOVER_H
#define PERUID_HANDOVER_H

#include "httpd.h"
#include "peruid.h"

/* Child, root, right after fork (child.c): close the back-channel ends
 * role must not hold: routers keep every receive end and no send end; a
 * worker the send end of its own pool only (a preforked worker none: its
 * BIND record brings its pool's, preforked.c). */
void peruid_handover_close_fds(peruid_pool_t *pl, peruid_role_e role,
                               int index, int keep_pool);

/* Worker (vhost user), after ap_run_create_connection (worker.c): set up
 * the connection's recording, and its replay when replay >= 0 (a memfd
 * from a CONN_REPLAY record, hops its hand-overs; the memfd is closed
 * here).  Returns APR_SUCCESS; otherwise the client was answered 503, c
 * is aborted and must not be processed. */
apr_status_t peruid_handover_conn(conn_rec *c, int replay,
                                  apr_uint32_t hops);

/* Worker (vhost user), the double-check's request hooks (double_check.c,
 * and any later hook that decides a request needs another user, e.g. a
 * per-directory or Expr user): hand r's connection over to the routers
 * for the pool need, or, when that is impossible, answer 503 and close.
 * Plain HTTP only (the caller answers 421 on TLS).  Returns DONE: the
 * request is over for this worker either way. */
int peruid_handover_request(request_rec *r, int need);

/* Worker (vhost user), the double-check's mapped check of a vhost with
 * AssignUserIDExpr (double_check.c): as peruid_handover_request, naming
 * the user uid/gid the expression chose instead of a pool (the router
 * finds its pool, or asks the master for one, exprpool.c). */
int peruid_handover_request_user(request_rec *r, uid_t uid, gid_t gid);

/* Worker (vhost user), asked to stop (graceho.c): can c, a kept-alive
 * connection httpd's loop let go, be handed to the routers idle (plain
 * HTTP recorded here, no TLS, no PROXY header, a back channel)? */
int peruid_handover_idle_possible(conn_rec *c);

/* Worker (vhost user), asked to stop (graceho.c): hand c, idle between
 * two requests and holding no unread byte in httpd, to the routers with
 * an empty replay; they route its next request as a new connection's.
 * Returns APR_SUCCESS (c is aborted: httpd only closes our descriptor),
 * or why not (EAGAIN: the back channel is full); then c is untouched. */
apr_status_t peruid_handover_idle(conn_rec *c);

/* Master, root, module load: the filter and the hook that reset the
 * recording at each request. */
void peruid_handover_register_hooks(apr_pool_t *p);

#endif /* PERUID_HANDOVER_H */
