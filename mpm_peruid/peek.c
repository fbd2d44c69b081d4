/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * peek.c -- parse the peeked request head (see peek.h).
 *
 * Runs in the routers (PeruidRouterUser, no capabilities) on untrusted bytes.
 * Every index is bounded by len; no byte is written.  The rules follow
 * httpd's strict mode (HttpProtocolOptions Strict), so that what the
 * router refuses httpd would refuse too: a token method, a target free of
 * controls and spaces, "HTTP/d.d" with a major version of at least 1,
 * header names made of token characters, no obsolete line folding.  It
 * stops at the first Host header: a second one further down is left to
 * httpd, which refuses the merged value with 400 in the worker.  The
 * worker parses the head again, for real; the router only needs the
 * routing facts.
 */

#include <string.h>
#include <strings.h>

#include "peek.h"

/* RFC 9110 tchar. */
static int peek_is_tchar(unsigned char c)
{
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
        || (c >= '0' && c <= '9')) {
        return 1;
    }
    return c != 0 && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

/* Find the end of the line starting at pos: the index of its LF, or -1.
 * A CR anywhere but right before the LF is malformed (*bad set). */
static long peek_line_end(const char *buf, size_t len, size_t pos, int *bad)
{
    size_t i;

    for (i = pos; i < len; i++) {
        if (buf[i] == '\n') {
            return (long)i;
        }
        if (buf[i] == '\r' && i + 1 < len && buf[i + 1] != '\n') {
            *bad = 1;
            return -1;
        }
    }
    return -1;
}

/* Length of a line [pos, lf) without its trailing CR. */
static size_t peek_line_len(const char *buf, size_t pos, size_t lf)
{
    size_t n = lf - pos;

    if (n > 0 && buf[lf - 1] == '\r') {
        n--;
    }
    return n;
}

/* Routers: the head is refused with status, for the reason why. */
static peek_state_e peek_fail(peek_head_t *h, int status, const char *why)
{
    h->status = status;
    h->reason = why;
    return PEEK_DONE;
}

/* "HTTP/d.d" -> major, minor; 0 on success. */
static int peek_version(const char *p, size_t n, peek_head_t *h)
{
    if (n != 8 || memcmp(p, "HTTP/", 5) != 0 || p[6] != '.'
        || p[5] < '0' || p[5] > '9' || p[7] < '0' || p[7] > '9') {
        return -1;
    }
    h->major = p[5] - '0';
    h->minor = p[7] - '0';
    return h->major >= 1 ? 0 : -1;  /* HTTP/0.9 is sent without a version */
}

/* Split "METHOD SP target [SP version]" of length n at p. */
static int peek_request_line(const char *p, size_t n, peek_head_t *h)
{
    size_t i = 0, t;

    while (i < n && peek_is_tchar((unsigned char)p[i])) {
        i++;
    }
    if (i == 0 || i >= n || p[i] != ' ') {
        return -1;
    }
    h->method = p;
    h->method_len = i;
    t = ++i;
    while (i < n && p[i] != ' ') {
        if ((unsigned char)p[i] <= 0x20 || (unsigned char)p[i] == 0x7f) {
            return -1;
        }
        i++;
    }
    if (i == t) {
        return -1;
    }
    h->target = p + t;
    h->target_len = i - t;
    if (i == n) {               /* HTTP/0.9: no version, no headers */
        h->major = 0;
        h->minor = 9;
        return 0;
    }
    return peek_version(p + i + 1, n - i - 1, h);
}

/* One header line [p, p+n): note Host; -1 when malformed. */
static int peek_header(const char *p, size_t n, peek_head_t *h)
{
    size_t i = 0, v, e;

    if (n > 0 && (p[0] == ' ' || p[0] == '\t')) {
        return -1;              /* obsolete line folding */
    }
    while (i < n && peek_is_tchar((unsigned char)p[i])) {
        i++;
    }
    if (i == 0 || i >= n || p[i] != ':') {
        return -1;
    }
    if (i != 4 || strncasecmp(p, "host", 4) != 0) {
        return 0;
    }
    v = i + 1;
    while (v < n && (p[v] == ' ' || p[v] == '\t')) {
        v++;
    }
    e = n;
    while (e > v && (p[e - 1] == ' ' || p[e - 1] == '\t')) {
        e--;
    }
    h->host = p + v;
    h->host_len = e - v;
    return 0;
}

/* Routers: see peek.h. */
peek_state_e peruid_peek_parse(const char *buf, size_t len, size_t max,
                               peek_head_t *h)
{
    size_t pos = 0;
    long lf;
    int bad = 0;

    memset(h, 0, sizeof(*h));
    /* httpd ignores empty lines before the request line */
    while (pos < len && (buf[pos] == '\r' || buf[pos] == '\n')) {
        pos++;
    }
    lf = peek_line_end(buf, len, pos, &bad);
    if (bad) {
        return peek_fail(h, 400, "bare CR in the request line");
    }
    if (lf < 0) {
        return len >= max ? peek_fail(h, 414, "request line too long")
                          : PEEK_MORE;
    }
    if (peek_request_line(buf + pos, peek_line_len(buf, pos, lf), h) < 0) {
        return peek_fail(h, 400, "malformed request line");
    }
    if (h->major == 0) {
        h->head_ended = 1;
        return PEEK_DONE;
    }
    for (pos = (size_t)lf + 1;; pos = (size_t)lf + 1) {
        size_t n;

        lf = peek_line_end(buf, len, pos, &bad);
        if (bad) {
            return peek_fail(h, 400, "bare CR in a header line");
        }
        if (lf < 0) {
            return len >= max ? peek_fail(h, 431, "request head too large")
                              : PEEK_MORE;
        }
        n = peek_line_len(buf, pos, lf);
        if (n == 0) {
            h->head_ended = 1;
            return PEEK_DONE;
        }
        if (peek_header(buf + pos, n, h) < 0) {
            return peek_fail(h, 400, "malformed header line");
        }
        if (h->host) {
            return PEEK_DONE;   /* request line and Host known */
        }
    }
}
