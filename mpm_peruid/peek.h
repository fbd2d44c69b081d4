/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * peek.h -- the router's bounded parser of a peeked HTTP request head.
 *
 * It reads only what MSG_PEEK left in a buffer; it stops as soon as the
 * request line and the Host header are known (or the head ends).  It
 * decides nothing about vhosts: route.c hands what it found to httpd's
 * own vhost matching.  Pure C, no allocation, no httpd headers: the unit
 * tests and the fuzz target link it alone.
 */

#ifndef PERUID_PEEK_H
#define PERUID_PEEK_H

#include <stddef.h>

typedef enum {
    PEEK_MORE = 0,          /* head incomplete: wait for more bytes      */
    PEEK_DONE = 1           /* enough is known to route                  */
} peek_state_e;

typedef struct {
    int status;             /* 0, or the HTTP status to answer (400/414/431) */
    const char *method;
    size_t method_len;
    const char *target;     /* request-target as sent                    */
    size_t target_len;
    int major, minor;       /* 0.9 when the request line has no version  */
    const char *host;       /* Host header value (OWS trimmed) or NULL   */
    size_t host_len;
    int head_ended;         /* the empty line was seen                   */
    const char *reason;     /* why status was set, for the log           */
} peek_head_t;

/* Parse buf[0..len).  max is the router's byte bound (PeruidPeekMaxBytes):
 * when len reaches it without an answer, the head is too large.  Returns
 * PEEK_DONE with h->status 0 (route it) or an error status, or PEEK_MORE. */
peek_state_e peruid_peek_parse(const char *buf, size_t len, size_t max,
                               peek_head_t *h);

#endif /* PERUID_PEEK_H */
