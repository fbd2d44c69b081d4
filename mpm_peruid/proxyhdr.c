/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * proxyhdr.c -- find the end of a peeked PROXY protocol header (see
 * proxyhdr.h).
 *
 * Runs in the routers (PeruidRouterUser, no capabilities) on bytes that
 * come from the proxy in front, or from anyone who can reach the address
 * (docs/security.md).  Every index is bounded by len and by the header's
 * own bound; buf is never written or copied.
 *
 * What is checked (haproxy's proxy-protocol.txt; mod_remoteip of httpd
 * 2.4.68, remoteip_input_filter and remoteip_determine_version):
 *
 *   v1   "PROXY " then a family of TCP4, TCP6 or UNKNOWN, then anything
 *        printable (0x20 to 0x7e) up to CRLF, the whole line at most
 *        PROXYHDR_V1_MAX bytes.  A CR not followed by LF, any other byte
 *        outside that range, an unknown family, or no CRLF within the
 *        bound is BAD.  The addresses and ports are left to mod_remoteip.
 *   v2   the 12-byte signature; the version nibble 2 (mod_remoteip's
 *        test); the command LOCAL (0) or PROXY (1), the only two the
 *        protocol defines (mod_remoteip itself refuses LOCAL, AH03507: the
 *        worker's answer, as under prefork); a length of at most
 *        PROXYHDR_V2_MAX_LEN.  The family, addresses and TLVs are left to
 *        mod_remoteip.
 *
 * Any other first byte is BAD at once, as it is for mod_remoteip once it
 * has 15 bytes.  Each rule is decided on the bytes it needs only, so an
 * answer other than MORE stands whatever follows: BAD never turns good
 * with more bytes, and DONE's length never changes.
 *
 * The check is of framing, and a little wider than mod_remoteip's: what
 * the router calls DONE may still be refused by the worker's
 * mod_remoteip, which closes the connection as under prefork.
 */

#include <string.h>

#include "proxyhdr.h"

static const unsigned char proxyhdr_v2_sig[12] = {
    0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a
};

#define PROXYHDR_V1_PREFIX "PROXY "
#define PROXYHDR_V1_PREFIX_LEN 6

/* Router: set p's BAD reason; the answer is PROXYHDR_BAD. */
static proxyhdr_result_e proxyhdr_bad(proxyhdr_t *p, const char *why)
{
    p->reason = why;
    return PROXYHDR_BAD;
}

/* Router: do the first n bytes of b match the first n of want? */
static int proxyhdr_prefix(const unsigned char *b, size_t n,
                           const void *want, size_t want_len)
{
    return memcmp(b, want, n < want_len ? n : want_len) == 0;
}

/* Router: is the v1 family word w[0..n) acceptable?  complete: the word
 * ended (a space or CR followed it); otherwise it must be the start of
 * one of the three. */
static int proxyhdr_v1_family(const unsigned char *w, size_t n, int complete)
{
    static const char *const families[] = { "TCP4", "TCP6", "UNKNOWN" };
    size_t i, fl;

    for (i = 0; i < sizeof(families) / sizeof(families[0]); i++) {
        fl = strlen(families[i]);
        if (complete ? n == fl && memcmp(w, families[i], fl) == 0
                     : n <= fl && memcmp(w, families[i], n) == 0) {
            return 1;
        }
    }
    return 0;
}

/* Router: a v1 line, b[0..len) starting with "PROXY ". */
static proxyhdr_result_e proxyhdr_v1(const unsigned char *b, size_t len,
                                     proxyhdr_t *p)
{
    size_t n = len < PROXYHDR_V1_MAX ? len : PROXYHDR_V1_MAX;
    size_t i, word_end = 0, end = 0;

    for (i = PROXYHDR_V1_PREFIX_LEN; i < n && !end; i++) {
        if (b[i] == '\r' && i + 2 <= PROXYHDR_V1_MAX) {
            if (i + 1 == len) {
                break;                  /* the LF may still come */
            }
            if (b[i + 1] != '\n') {
                return proxyhdr_bad(p, "a CR without LF in the v1 line");
            }
            end = i + 2;
        }
        else if (b[i] < 0x20 || b[i] > 0x7e) {
            return proxyhdr_bad(p, "a byte of the v1 line not printable, "
                                "or no CRLF within 107 bytes");
        }
        if ((b[i] == ' ' || b[i] == '\r') && !word_end) {
            word_end = i;
        }
    }
    if (!proxyhdr_v1_family(b + PROXYHDR_V1_PREFIX_LEN,
                            (word_end ? word_end : i)
                            - PROXYHDR_V1_PREFIX_LEN, word_end != 0)) {
        return proxyhdr_bad(p, "a v1 family other than TCP4, TCP6 and "
                            "UNKNOWN");
    }
    if (end) {
        p->len = end;
        return PROXYHDR_DONE;
    }
    if (len >= PROXYHDR_V1_MAX) {
        return proxyhdr_bad(p, "no CRLF within 107 bytes of a v1 line");
    }
    return PROXYHDR_MORE;
}

/* Router: a v2 header, b[0..len) starting with its 12-byte signature. */
static proxyhdr_result_e proxyhdr_v2(const unsigned char *b, size_t len,
                                     proxyhdr_t *p)
{
    size_t need;

    if (len > 12 && (b[12] & 0xf0) != 0x20) {
        return proxyhdr_bad(p, "a v2 signature with a version other than 2");
    }
    if (len > 12 && (b[12] & 0x0f) > 1) {
        return proxyhdr_bad(p, "a v2 command other than LOCAL and PROXY");
    }
    if (len < PROXYHDR_V2_FIXED) {
        return PROXYHDR_MORE;
    }
    need = ((size_t)b[14] << 8) | b[15];
    if (need > PROXYHDR_V2_MAX_LEN) {
        return proxyhdr_bad(p, "a v2 length over 216 bytes (mod_remoteip's "
                            "bound)");
    }
    need += PROXYHDR_V2_FIXED;
    if (len < need) {
        return PROXYHDR_MORE;
    }
    p->len = need;
    return PROXYHDR_DONE;
}

/* Router: which version the first bytes start (0: neither, or not yet
 * told), and whether they are still a prefix of one (*ok). */
static int proxyhdr_version(const unsigned char *b, size_t len, int *ok)
{
    if (b[0] == 'P') {
        *ok = proxyhdr_prefix(b, len, PROXYHDR_V1_PREFIX,
                              PROXYHDR_V1_PREFIX_LEN);
        return *ok && len >= PROXYHDR_V1_PREFIX_LEN ? 1 : 0;
    }
    *ok = proxyhdr_prefix(b, len, proxyhdr_v2_sig, sizeof(proxyhdr_v2_sig));
    return *ok && len >= sizeof(proxyhdr_v2_sig) ? 2 : 0;
}

/* Router: see proxyhdr.h. */
proxyhdr_result_e peruid_proxyhdr_parse(const void *buf, size_t len,
                                        size_t max, proxyhdr_t *p)
{
    const unsigned char *b = buf;
    proxyhdr_result_e r = PROXYHDR_MORE;
    int ok = 1;

    p->len = 0;
    p->version = 0;
    p->reason = NULL;
    if (len > 0) {
        p->version = proxyhdr_version(b, len, &ok);
    }
    if (!ok) {
        return proxyhdr_bad(p, "not a PROXY protocol header");
    }
    if (p->version == 1) {
        r = proxyhdr_v1(b, len, p);
    }
    else if (p->version == 2) {
        r = proxyhdr_v2(b, len, p);
    }
    if (r == PROXYHDR_MORE && len >= max) {
        return proxyhdr_bad(p, "header incomplete at PeruidPeekMaxBytes");
    }
    return r;
}
