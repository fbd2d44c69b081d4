/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * hello.h -- the router's bounded parser of a peeked TLS ClientHello.
 *
 * On a listener with mod_ssl the router peeks at the ClientHello instead
 * of an HTTP head.  This parser reads only what MSG_PEEK left in a buffer:
 * TLS records of type handshake, their fragments of the ClientHello
 * reassembled in place (nothing is copied but the name), and the
 * server_name extension.  It answers once the whole ClientHello message
 * is in, so that what OpenSSL 3.0 would refuse in its framing is refused
 * here too; the contents of other extensions are left to the worker's
 * OpenSSL, which does the handshake.  Pure C, no allocation, no httpd
 * headers: the unit tests and the fuzz target link it alone.
 */

#ifndef PERUID_HELLO_H
#define PERUID_HELLO_H

#include <stddef.h>

/* Room for the longest host_name OpenSSL accepts (TLSEXT_MAXLEN_host_name,
 * 255) and its NUL. */
#define HELLO_NAME_SIZE 256

typedef enum {
    HELLO_MORE = 0,     /* a valid prefix: wait for more bytes (len < max) */
    HELLO_SNI,          /* a whole ClientHello; h->name is its host_name   */
    HELLO_NO_SNI,       /* a whole ClientHello without server_name, or an
                         * SSLv2-compatible ClientHello (it has none)      */
    HELLO_NOT_TLS,      /* the first bytes cannot start a TLS handshake
                         * record (plain HTTP to an HTTPS port...): httpd
                         * and mod_ssl answer it as under prefork          */
    HELLO_BAD           /* TLS, but malformed, refused by OpenSSL 3.0, or
                         * still incomplete at max bytes: close it         */
} hello_result_e;

typedef struct {
    char name[HELLO_NAME_SIZE]; /* HELLO_SNI: host_name as sent, NUL-ended;
                                 * otherwise "" */
    size_t name_len;            /* strlen(name) */
    const char *reason;         /* HELLO_NOT_TLS and HELLO_BAD: why, for
                                 * the log; otherwise NULL */
} hello_t;

/* Parse buf[0..len), the bytes peeked so far.  max is the router's byte
 * bound (PeruidPeekMaxBytes): an answer still missing when len reaches it
 * is HELLO_BAD.  h is always reset.  Work is O(len); buf is not written. */
hello_result_e peruid_hello_parse(const void *buf, size_t len, size_t max,
                                  hello_t *h);

#endif /* PERUID_HELLO_H */
