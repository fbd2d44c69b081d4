/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * peek.h -- the router's bounded parser of a peeked HTTP request head.
 *
 * It reads only what MSG_PEEK left in a buffer, up to the empty line
 * that ends the head.  It decides two things: whether the head is one
 * the router may route by its request-target and Host (a "clean" head,
 * which httpd reads the same way), and when the router has seen enough
 * to hand the connection over: the whole head, or the first line httpd
 * itself refuses at once (see peek.c).  It picks no vhost: route.c hands
 * what it found to httpd's own vhost matching, and a head that is not
 * clean goes to the address's default vhost, whose httpd answers it.
 * Pure C, no allocation, no httpd headers: the unit tests and the fuzz
 * target link it alone.
 */

#ifndef PERUID_PEEK_H
#define PERUID_PEEK_H

#include <stddef.h>

typedef enum {
    PEEK_MORE = 0,          /* head incomplete: wait for more bytes      */
    PEEK_DONE = 1           /* hand it over now (or answer status)       */
} peek_state_e;

/* httpd's limits on a head, as the address's default server has them:
 * what httpd refuses at once, the router hands over at once. */
typedef struct {
    size_t line_max;        /* LimitRequestLine (0: not checked)         */
    size_t field_max;       /* LimitRequestFieldSize (0: not checked)    */
    int fields_max;         /* LimitRequestFields (0: no limit)          */
    int strict;             /* HttpProtocolOptions Strict (the default)  */
} peek_limits_t;

typedef struct {
    int status;             /* 0, or the router's own answer at its byte
                             * bound: 414 (no request line yet) or 431
                             * (no Host yet, or not clean)               */
    int routable;           /* clean head: route by target and Host; else
                             * the address's default vhost              */
    const char *method;
    size_t method_len;
    const char *target;     /* request-target as sent                    */
    size_t target_len;
    int major, minor;       /* 0.9 when the request line has no version  */
    const char *host;       /* Host header value (OWS trimmed) or NULL   */
    size_t host_len;
    int line_done;          /* the request line has ended                */
    int head_ended;         /* the empty line was seen                   */
    const char *reason;     /* why not routable, or why status, for the
                             * log; NULL for a routable head             */
} peek_head_t;

/* Parse buf[0..len).  max is the router's byte bound
 * (PeruidPeekMaxBytes): when len reaches it with no decision, the head
 * is routed by its Host when that is known and all is clean so far,
 * else too large.  lim may be NULL (no limit of httpd's is checked).
 * Returns PEEK_MORE, or PEEK_DONE with h->status 0 (hand it over:
 * h->routable says to whom) or the router's own answer. */
peek_state_e peruid_peek_parse(const char *buf, size_t len, size_t max,
                               const peek_limits_t *lim, peek_head_t *h);

#endif /* PERUID_PEEK_H */
