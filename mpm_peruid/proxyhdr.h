/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * proxyhdr.h -- the router's bounded parser of a peeked PROXY protocol
 * header (haproxy's PROXY protocol, versions 1 and 2).
 *
 * On an address where mod_remoteip's RemoteIPProxyProtocol applies, every
 * connection starts with such a header, and the request head (or the TLS
 * ClientHello) the router routes by comes after it.  This parser finds
 * where the header ends; it checks the header's framing only (signature,
 * version, command, length, the v1 family and line end), and leaves its
 * addresses to mod_remoteip in the worker, which consumes the header as
 * usual.  Pure C, no allocation, no httpd headers: the unit tests and
 * the fuzz target link it alone.
 */

#ifndef PERUID_PROXYHDR_H
#define PERUID_PROXYHDR_H

#include <stddef.h>

/* The longest v1 line, "PROXY" to CRLF included (the protocol's own
 * bound: "PROXY TCP6" and two full IPv6 addresses and ports). */
#define PROXYHDR_V1_MAX 107

/* A v2 header's fixed part: signature, version and command, family,
 * length. */
#define PROXYHDR_V2_FIXED 16

/* The largest v2 length field accepted: mod_remoteip's bound (its
 * proxy_v2 struct holds 16 + 216 bytes, the AF_UNIX addresses; it closes
 * a connection whose header claims more, AH10186). */
#define PROXYHDR_V2_MAX_LEN 216

typedef enum {
    PROXYHDR_MORE = 0,  /* a valid prefix: wait for more bytes (len < max) */
    PROXYHDR_DONE,      /* a whole header of p->len bytes                  */
    PROXYHDR_BAD        /* not a PROXY header, malformed, longer than its
                         * bound, or still incomplete at max bytes         */
} proxyhdr_result_e;

typedef struct {
    size_t len;         /* PROXYHDR_DONE: the header's length (what comes
                         * after it starts at buf + len); otherwise 0     */
    int version;        /* 1 or 2 once the first bytes tell; else 0       */
    const char *reason; /* PROXYHDR_BAD: why, for the log; otherwise NULL */
} proxyhdr_t;

/* Parse buf[0..len), the bytes peeked so far.  max is the router's byte
 * bound (PeruidPeekMaxBytes): a header still incomplete when len reaches
 * it is PROXYHDR_BAD.  p is always reset.  At most PROXYHDR_V1_MAX or
 * PROXYHDR_V2_FIXED + PROXYHDR_V2_MAX_LEN bytes are looked at, whatever
 * len is; buf is not written. */
proxyhdr_result_e peruid_proxyhdr_parse(const void *buf, size_t len,
                                        size_t max, proxyhdr_t *p);

#endif /* PERUID_PROXYHDR_H */
