/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * peek.c -- parse the peeked request head (see peek.h).
 *
 * Runs in the routers (PeruidRouterUser, no capabilities) on untrusted
 * bytes.  Every index is bounded by len; no byte is written.
 *
 * The router decides routing only; httpd, in a worker, decides the
 * answer.  So this parser never refuses a head: it tells a clean head
 * (CRLF line ends, "token SP target SP HTTP/1.x", token ":" value lines
 * with no control byte, no obsolete folding, one Host), which the router
 * routes by its target and Host, from any other, which goes to a worker
 * of the address's default vhost, whose httpd answers it exactly as under
 * prefork (its double-check hands the connection over when httpd, having
 * read the head its own way, picks another user's vhost).
 *
 * When to hand over: once the whole head has arrived (the empty line),
 * so that a client dripping its head holds no worker; or at the first
 * line httpd refuses at once, without waiting for the rest (a line over
 * LimitRequestLine or LimitRequestFieldSize, too many fields or empty
 * lines, an HTTP/0.9 request, and under HttpProtocolOptions Strict a
 * malformed request or header line), so that a client waiting for that
 * answer gets it as from prefork.  Folded lines, a second Host and
 * anything httpd may still accept (HttpProtocolOptions Unsafe) wait for
 * the empty line.  The router's own answers come only at its bounds:
 * PeruidPeekMaxBytes here (414 or 431, unless the request line and Host
 * are known by then: routed), PeruidPeekTimeout in router.c.
 */

#include <string.h>
#include <strings.h>

#include "peek.h"

#define PEEK_BLANK_LINES 10     /* httpd's DEFAULT_LIMIT_BLANK_LINES   */

/* One line of the head: content [p, p+n) without its CR LF or LF. */
typedef struct {
    const char *p;
    size_t n;
    size_t total;           /* bytes up to and including the LF          */
    int crlf;               /* ended by CR LF (else LF alone)            */
    int bare_cr;            /* a CR inside the content                   */
} peek_line_t;

/* The parse of one buffer. */
typedef struct {
    const char *buf;
    size_t len, max, pos;
    peek_limits_t lim;
    peek_head_t *h;
    int fields;             /* header fields so far                      */
    size_t folded;          /* length of the field being folded          */
} peek_ctx_t;

/* RFC 9110 tchar. */
static int peek_is_tchar(unsigned char c)
{
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
        || (c >= '0' && c <= '9')) {
        return 1;
    }
    return c != 0 && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

/* A control byte other than HTAB (NUL, CR, DEL included). */
static int peek_is_ctl(unsigned char c)
{
    return (c < 0x20 && c != '\t') || c == 0x7f;
}

/* The next line at x->pos into *l, and x->pos past it; 0 when its LF has
 * not arrived yet. */
static int peek_line(peek_ctx_t *x, peek_line_t *l)
{
    const char *s = x->buf + x->pos;
    const char *lf;

    if (x->pos >= x->len
        || (lf = memchr(s, '\n', x->len - x->pos)) == NULL) {
        return 0;
    }
    l->p = s;
    l->n = (size_t)(lf - s);
    l->total = l->n + 1;
    l->crlf = l->n > 0 && s[l->n - 1] == '\r';
    l->n -= l->crlf;
    l->bare_cr = memchr(s, '\r', l->n) != NULL;
    x->pos += l->total;
    return 1;
}

/* Routers: hand the connection over now, to the default vhost (why). */
static peek_state_e peek_default(peek_head_t *h, const char *why)
{
    h->routable = 0;
    h->reason = why;
    return PEEK_DONE;
}

/* Routers: when bad, the head is not clean (the first reason is kept):
 * it goes to the default vhost, now when httpd refuses it at once (now:
 * returns 1, *st set), else once it has ended. */
static int peek_unclean(peek_head_t *h, int bad, const char *why, int now,
                        peek_state_e *st)
{
    if (!bad) {
        return 0;
    }
    if (h->reason == NULL) {
        h->reason = why;
    }
    if (now) {
        *st = peek_default(h, h->reason);
    }
    return now;
}

/* Routers: no LF yet for the line at x->pos, whose limit is lim_max:
 * over it, httpd refuses it at once; at the router's byte bound, a head
 * clean so far whose Host is known is routed by it (httpd reads the rest
 * in the worker, as a large head of cookies needs), any other is
 * answered status by the router itself; else wait. */
static peek_state_e peek_incomplete(peek_ctx_t *x, size_t lim_max,
                                    int status, const char *why)
{
    if (lim_max && x->len - x->pos >= lim_max + 2) {
        return peek_default(x->h, why);
    }
    if (x->len >= x->max && status == 431 && x->h->host
        && x->h->reason == NULL) {
        x->h->routable = 1;     /* Host known, all clean so far */
        return PEEK_DONE;
    }
    if (x->len >= x->max) {
        x->h->status = status;
        x->h->reason = status == 414 ? "no request line within "
                       "PeruidPeekMaxBytes" : "request head larger than "
                       "PeruidPeekMaxBytes";
        return PEEK_DONE;
    }
    return PEEK_MORE;
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

/* Split "METHOD SP target [SP version]" of length n at p; -1 when it is
 * not of that form. */
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

/* Routers: the empty lines before the request line, and the request
 * line.  Sets *go_on when the header lines come next; else returns the
 * result. */
static peek_state_e peek_start(peek_ctx_t *x, int *go_on)
{
    peek_head_t *h = x->h;
    peek_line_t l;
    peek_state_e st = PEEK_DONE;
    int blanks = 0;

    *go_on = 0;
    for (;;) {
        if (!peek_line(x, &l)) {
            return peek_incomplete(x, x->lim.line_max, 414,
                                   "request line over LimitRequestLine");
        }
        if (x->lim.line_max && l.total > x->lim.line_max + 2) {
            return peek_default(h, "request line over LimitRequestLine");
        }
        if (l.n > 0) {
            break;
        }
        if (peek_unclean(h, !l.crlf, "a line ended by LF alone",
                         x->lim.strict, &st)) {
            return st;
        }
        if (++blanks > PEEK_BLANK_LINES) {
            return peek_default(h, "more than 10 empty lines before the "
                                "request line");
        }
    }
    h->line_done = 1;
    if (l.bare_cr || peek_request_line(l.p, l.n, h) < 0) {
        h->method = h->target = NULL;
        h->method_len = h->target_len = 0;
        h->major = h->minor = 0;
        if (peek_unclean(h, 1, "malformed request line", x->lim.strict,
                         &st)) {
            return st;
        }
    }
    else if (h->major == 0) {
        return peek_default(h, "HTTP/0.9 request");
    }
    else if (h->major != 1) {
        peek_unclean(h, 1, "HTTP version other than 1.x", 0, &st);
    }
    if (peek_unclean(h, !l.crlf, "a line ended by LF alone",
                     x->lim.strict, &st)) {
        return st;
    }
    *go_on = 1;
    return PEEK_MORE;
}

/* One header line [p, p+n) that does not start with white space: note
 * Host (a second one is not clean); -1 when there is no colon, -2 when
 * the name is not a token or the value holds a control byte. */
static int peek_header(const char *p, size_t n, peek_head_t *h)
{
    size_t i = 0, v, e;

    while (i < n && peek_is_tchar((unsigned char)p[i])) {
        i++;
    }
    if (i == n || memchr(p, ':', n) == NULL) {
        return -1;
    }
    if (i == 0 || p[i] != ':') {
        return -2;
    }
    for (v = i + 1; v < n; v++) {
        if (peek_is_ctl((unsigned char)p[v])) {
            return -2;
        }
    }
    if (i != 4 || strncasecmp(p, "host", 4) != 0) {
        return 0;
    }
    if (h->host != NULL) {
        return -3;
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

/* Routers: a folded (obsolete) continuation line l.  httpd joins it to
 * the field before; it refuses one with no field before, an empty one,
 * and a joined field over LimitRequestFieldSize, at once. */
static int peek_fold(peek_ctx_t *x, const peek_line_t *l, peek_state_e *st)
{
    size_t i = 0;

    while (i < l->n && (l->p[i] == ' ' || l->p[i] == '\t')) {
        i++;
    }
    x->folded += l->n - i + 1;
    return peek_unclean(x->h, 1, "obsolete line folding",
                        x->fields == 0 || i == l->n
                        || (x->lim.field_max
                            && x->folded >= x->lim.field_max), st);
}

/* Routers: one header line l (not empty, not folded). */
static int peek_field(peek_ctx_t *x, const peek_line_t *l, peek_state_e *st)
{
    int rc;

    if (x->lim.fields_max && x->fields >= x->lim.fields_max) {
        return peek_unclean(x->h, 1, "more fields than LimitRequestFields",
                            1, st);
    }
    x->fields++;
    x->folded = l->n;
    rc = peek_header(l->p, l->n, x->h);
    if (rc == -1) {
        return peek_unclean(x->h, 1, "a header line without a colon", 1,
                            st);
    }
    if (rc == -2) {
        return peek_unclean(x->h, 1, "malformed header line",
                            x->lim.strict, st);
    }
    return peek_unclean(x->h, rc == -3, "two Host headers", 0, st);
}

/* Routers: the header lines, up to the empty line. */
static peek_state_e peek_fields(peek_ctx_t *x)
{
    peek_head_t *h = x->h;
    peek_line_t l;
    peek_state_e st = PEEK_DONE;

    for (;;) {
        if (!peek_line(x, &l)) {
            return peek_incomplete(x, x->lim.field_max, 431, "a header "
                                   "line over LimitRequestFieldSize");
        }
        if (x->lim.field_max && l.total > x->lim.field_max + 2) {
            return peek_default(h, "a header line over "
                                "LimitRequestFieldSize");
        }
        if (l.n == 0) {
            break;
        }
        if (peek_unclean(h, !l.crlf, "a line ended by LF alone",
                         x->lim.strict, &st)
            || peek_unclean(h, l.bare_cr, "a CR inside a line",
                            x->lim.strict, &st)) {
            return st;
        }
        if (l.p[0] == ' ' || l.p[0] == '\t' ? peek_fold(x, &l, &st)
                                            : peek_field(x, &l, &st)) {
            return st;
        }
    }
    h->head_ended = 1;
    peek_unclean(h, !l.crlf, "a line ended by LF alone", 0, &st);
    h->routable = h->reason == NULL;
    return PEEK_DONE;
}

/* Routers: see peek.h. */
peek_state_e peruid_peek_parse(const char *buf, size_t len, size_t max,
                               const peek_limits_t *lim, peek_head_t *h)
{
    peek_ctx_t x;
    peek_state_e st;
    int go_on;

    memset(h, 0, sizeof(*h));
    memset(&x, 0, sizeof(x));
    x.buf = buf;
    x.len = len;
    x.max = max;
    x.h = h;
    if (lim) {
        x.lim = *lim;
    }
    st = peek_start(&x, &go_on);
    return go_on ? peek_fields(&x) : st;
}
