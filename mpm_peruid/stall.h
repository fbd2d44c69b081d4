/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * stall.h -- have the routers stopped accepting?  Pure decisions of the
 * master's watch over its routers (watch.c), tested in tests/unit:
 *
 *  - which lines of /proc/net/tcp and /proc/net/tcp6 are connections
 *    waiting in the accept queue of one of our listeners (established or
 *    half-closed by the client, and no socket inode yet: accept() gives
 *    a connection its inode);
 *  - whether one of those connections has waited longer than a bound
 *    while routers were running: the queue is first in, first out, so
 *    routers that accept at all take every connection in it within
 *    milliseconds, however busy the server is;
 *  - when to log a router's death (at most once a second, with a count).
 *
 * No process writes any of these facts but the kernel: a router's own
 * word is never asked.
 */

#ifndef PERUID_STALL_H
#define PERUID_STALL_H

#include "apr.h"
#include "apr_time.h"

#define STALL_KEYS 64           /* waiting connections followed at once */

/* A listening socket as the kernel's tables show it. */
typedef struct {
    int v6;                     /* in /proc/net/tcp6 (AF_INET6)          */
    unsigned char addr[16];     /* network order; IPv4 in the first 4;
                                 * all zero: any address                 */
    unsigned int port;
} stall_listener_t;

/* One connection (its local and remote address and port), hashed. */
typedef apr_uint64_t stall_key_t;

/* The connections first seen waiting at since that are still waiting
 * (sorted keys). */
typedef struct {
    stall_key_t keys[STALL_KEYS];
    int nkeys;
    apr_time_t since;
} stall_watch_t;

typedef enum {
    STALL_NONE = 0,             /* nothing waits                         */
    STALL_WAITING,              /* connections wait, not for too long    */
    STALL_STUCK                 /* one has waited past the bound         */
} stall_verdict_e;

/* Rate limit of a log line: when it was last written, and the events
 * since then that it has not counted yet. */
typedef struct {
    apr_time_t logged;
    int pending;
} stall_log_t;

/* Pure: is line (one line of /proc/net/tcp, or of tcp6 when v6) a
 * connection waiting in the accept queue of one of the nls listeners ls?
 * Then *key identifies it and 1 is returned; else 0 (the header, other
 * states, accepted sockets, other ports and addresses, garbage). */
int peruid_stall_parse(const char *line, int v6, const stall_listener_t *ls,
                       int nls, stall_key_t *key);

/* Pure: one look at the accept queues at now: keys[0..n-1] are the
 * connections waiting now (sorted in place); routers_since is when the
 * newest of the running routers started (a router is given the bound
 * from its start).  STALL_STUCK when a connection w followed has waited
 * at least bound, counted from its first sighting or from routers_since,
 * whichever is later; the caller then resets w (nkeys 0). */
stall_verdict_e peruid_stall_step(stall_watch_t *w, stall_key_t *keys, int n,
                                  apr_time_t now, apr_time_t routers_since,
                                  apr_interval_time_t bound);

/* Pure: an event to log at now (event 1), or a look whether events held
 * back are due (event 0): returns how many the line written now counts
 * (0: write none now).  At most one line per second. */
int peruid_stall_log_due(stall_log_t *l, int event, apr_time_t now);

#endif /* PERUID_STALL_H */
