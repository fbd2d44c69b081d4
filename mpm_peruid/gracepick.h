/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * gracepick.h -- what a worker asked to stop does with a kept-alive
 * connection httpd's loop has just let go (graceho.c decides with it).
 * Pure: no httpd headers, no system calls; tests/unit/test_gracepick.c
 * links it alone.
 */

#ifndef PERUID_GRACEPICK_H
#define PERUID_GRACEPICK_H

/* Why the worker stops (child.c's flag). */
typedef enum {
    GRACE_RUNNING = 0,      /* not asked to stop                         */
    GRACE_RESTART,          /* a graceful restart, or the master's
                             * request to leave: routers are there       */
    GRACE_STOP              /* a graceful stop: the routers are gone     */
} grace_stop_e;

/* What the connection holds right now (a non-blocking look). */
typedef enum {
    GRACE_NEXT_NONE = 0,    /* nothing yet: the client is idle           */
    GRACE_NEXT_THERE,       /* bytes of the next request are readable    */
    GRACE_NEXT_CLOSED       /* the client closed, or the read failed     */
} grace_next_e;

/* What the worker knows of the connection. */
typedef struct {
    grace_stop_e stop;
    int keepalive;          /* the last answer promised keep-alive
                             * (c->keepalive == AP_CONN_KEEPALIVE)       */
    int aborted;            /* c->aborted                                */
    int http1;              /* the connection speaks HTTP/1.x (not h2)   */
    int handable;           /* handover.c can give it to the routers
                             * idle: recorded plain HTTP, no TLS, no
                             * PROXY header to give again, a back
                             * channel (not -X)                          */
    grace_next_e next;
} grace_facts_t;

typedef enum {
    GRACE_CLOSE = 0,        /* as httpd: close (nothing was promised, or
                             * the client is gone)                       */
    GRACE_SERVE,            /* serve the next request here, now: httpd
                             * answers it "Connection: close"            */
    GRACE_WAIT_SERVE,       /* wait briefly for it, then GRACE_SERVE     */
    GRACE_HANDOVER          /* hand the idle connection to the routers:
                             * a worker of the new generation serves it  */
} grace_verdict_e;

grace_verdict_e peruid_grace_pick(const grace_facts_t *f);

#endif /* PERUID_GRACEPICK_H */
