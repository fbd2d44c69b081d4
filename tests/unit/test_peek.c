/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * test_peek.c -- unit tests of mpm_peruid/peek.c, the router's bounded
 * parser of a peeked HTTP request head.  A table of heads, each with the
 * limits of httpd it is read under and what the router must do: wait
 * (more), route by Host (route), hand over to the default vhost (default:
 * at once or once the head ended), or answer at its own byte bound
 * (414 / 431); then the fields of routable heads, every prefix of a few
 * heads, and the bounds.  Every input is copied into an exactly-sized
 * heap buffer so that the ASan build catches any read past len.
 */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "peek.h"
#include "unit.h"

#define BIG 65536

/* A string literal and its length, NUL bytes included. */
#define S(lit) (lit), (sizeof(lit) - 1)

/* httpd's default limits (LimitRequestLine 8190, LimitRequestFieldSize
 * 8190, LimitRequestFields 100) under HttpProtocolOptions Strict or
 * Unsafe; small ones; none. */
static const peek_limits_t strict = { 8190, 8190, 100, 1 };
static const peek_limits_t unsafe = { 8190, 8190, 100, 0 };
static const peek_limits_t small = { 32, 24, 3, 1 };

typedef struct {
    char *buf;              /* exactly len bytes on the heap             */
    size_t len;
    peek_state_e st;
    peek_head_t h;
} run_t;

/* Is [p, p+n) inside r's buffer? */
static int inside(const run_t *r, const char *p, size_t n)
{
    uintptr_t b = (uintptr_t)r->buf, q = (uintptr_t)p;

    return p != NULL && q >= b && n <= r->len && q - b <= r->len - n;
}

/* What holds for every answer, whatever the input. */
static void check_invariants(const char *file, int line, const run_t *r,
                             size_t max)
{
    const peek_head_t *h = &r->h;

    CHECK_AT(file, line, r->st == PEEK_MORE || r->st == PEEK_DONE);
    if (r->st == PEEK_MORE) {
        CHECK_AT(file, line, h->status == 0 && r->len < max);
        return;
    }
    if (h->status != 0) {
        CHECK_AT(file, line, h->status == 414 || h->status == 431);
        CHECK_AT(file, line, r->len >= max && h->reason != NULL);
        CHECK_AT(file, line, !h->routable);
        return;
    }
    CHECK_AT(file, line, h->routable == (h->reason == NULL));
    if (!h->routable) {
        return;
    }
    CHECK_AT(file, line, h->line_done == 1);
    CHECK_AT(file, line, h->head_ended == 1
                         || (r->len >= max && h->host != NULL));
    CHECK_AT(file, line, inside(r, h->method, h->method_len));
    CHECK_AT(file, line, inside(r, h->target, h->target_len));
    CHECK_AT(file, line, h->major == 1 && h->minor >= 0 && h->minor <= 9);
    if (h->host != NULL) {
        CHECK_AT(file, line, h->host_len == 0
                             || inside(r, h->host, h->host_len));
    }
}

/* Copy s[0..len) into an exactly-sized heap buffer and parse it. */
static void run_at(const char *file, int line, run_t *r, const char *s,
                   size_t len, size_t max, const peek_limits_t *lim)
{
    r->buf = malloc(len ? len : 1);
    if (r->buf == NULL) {
        perror("malloc");
        exit(2);
    }
    memcpy(r->buf, s, len);
    r->len = len;
    memset(&r->h, 0xa5, sizeof(r->h));     /* the parser must reset it */
    r->st = peruid_peek_parse(r->buf, len, max, lim, &r->h);
    check_invariants(file, line, r, max);
}

static void run_free(run_t *r)
{
    free(r->buf);
    r->buf = NULL;
}

/* What the router does with a head. */
typedef enum {
    MORE,                   /* waits for more bytes                      */
    ROUTE,                  /* routes it by target and Host              */
    DEF_END,                /* default vhost, the head having ended      */
    DEF_NOW,                /* default vhost before the head ended       */
    A414, A431              /* answers it itself at PeruidPeekMaxBytes   */
} want_e;

typedef struct {
    const char *s;
    size_t n;
    const peek_limits_t *lim;
    want_e want;
    const char *host;       /* ROUTE: the Host value, or NULL for none   */
} case_t;

#define C(lit, lim, want, host) { S(lit), (lim), (want), (host) }

static const case_t cases[] = {
    /* clean heads: routed, once the empty line is in */
    C("GET /i?q=1 HTTP/1.1\r\nHost: www.example\r\nAccept: */*\r\n\r\n",
      &strict, ROUTE, "www.example"),
    C("OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n", &strict, ROUTE, "a"),
    C("M-SEARCH! http://b.example:8080/x HTTP/1.1\r\nHost: a\r\n\r\n",
      &strict, ROUTE, "a"),
    C("GET /caf\xc3\xa9 HTTP/1.1\r\nHost: a\r\n\r\n", &strict, ROUTE, "a"),
    C("get / HTTP/1.1\r\nHost: a\r\n\r\n", &strict, ROUTE, "a"),
    C("GET / HTTP/1.0\r\n\r\n", &strict, ROUTE, NULL),
    C("GET / HTTP/1.1\r\nAccept: */*\r\n\r\n", &strict, ROUTE, NULL),
    C("GET / HTTP/1.1\r\nHost: \t ows.example \t \r\n\r\n", &strict, ROUTE,
      "ows.example"),
    C("GET / HTTP/1.1\r\nHost:tight\r\n\r\n", &strict, ROUTE, "tight"),
    C("GET / HTTP/1.1\r\nHost: a b\r\n\r\n", &strict, ROUTE, "a b"),
    C("GET / HTTP/1.1\r\nHost:\r\n\r\n", &strict, ROUTE, ""),
    C("GET / HTTP/1.1\r\nhOsT: case\r\n\r\n", &strict, ROUTE, "case"),
    C("GET / HTTP/1.1\r\nHost: [::1]:80\r\n\r\n", &strict, ROUTE,
      "[::1]:80"),
    C("GET / HTTP/1.1\r\nHost: b.test.\r\n\r\n", &strict, ROUTE, "b.test."),
    C("GET / HTTP/1.1\r\nHostile: x\r\nX-Host: y\r\nHosts: w\r\n"
      "Host: real\r\n\r\n", &strict, ROUTE, "real"),
    C("GET / HTTP/1.1\r\nX:\r\nX-Obs: caf\xe9\r\nHost: a\r\n\r\n", &strict,
      ROUTE, "a"),
    C("\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n", &strict, ROUTE, "a"),
    C("POST /f HTTP/1.1\r\nHost: a\r\n\r\n\x01\r\rbody\n", &strict, ROUTE,
      "a"),
    C("GET / HTTP/1.1\r\nHost: a\r\n\r\n", NULL, ROUTE, "a"),
    C("GET / HTTP/1.1\r\nHost: a\r\n\r\n", &unsafe, ROUTE, "a"),
    /* the whole head is waited for, Host or not */
    C("GET / HTTP/1.1\r\nHost: a\r\n", &strict, MORE, NULL),
    C("GET / HTTP/1.1\r\nHost: a\r\nX-Partial: ab", &strict, MORE, NULL),
    C("GET / HTTP/1.1\r\nHost: a\r\n\r", &strict, MORE, NULL),
    C("GET / HTTP/1.1\r\n", &strict, MORE, NULL),
    C("GET / HTTP/1.1", &strict, MORE, NULL),
    C("\r\n\r\n", &strict, MORE, NULL),
    C("", &strict, MORE, NULL),
    C("GET /", &strict, MORE, NULL),
    /* HTTP/0.9: no headers follow, httpd answers at once */
    C("GET /\r\n", &strict, DEF_NOW, NULL),
    C("GET /nine\n", &unsafe, DEF_NOW, NULL),
    C("GET /\r\nHost: a\r\n\r\n", &strict, DEF_NOW, NULL),
    /* request lines httpd refuses at once under Strict */
    C("GET / HTTP/1.1 junk\r\nHost: a\r\n", &strict, DEF_NOW, NULL),
    C("G@T / HTTP/1.1\r\n", &strict, DEF_NOW, NULL),
    C("GET / http/1.1\r\n", &strict, DEF_NOW, NULL),
    C("GET  / HTTP/1.1\r\n", &strict, DEF_NOW, NULL),
    C("GET /a\x01z HTTP/1.1\r\n", &strict, DEF_NOW, NULL),
    C("GET /\0 HTTP/1.1\r\n", &strict, DEF_NOW, NULL),
    C("GET / HTTP/0.9\r\nHost: a\r\n", &strict, DEF_NOW, NULL),
    C("GET / HTTP/1\r\n", &strict, DEF_NOW, NULL),
    C(" GET / HTTP/1.1\r\n", &strict, DEF_NOW, NULL),
    C("GET / HTTP/1.1\rHost: a\r\n", &strict, DEF_NOW, NULL),
    C("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n", &strict, DEF_NOW,
      NULL),
    C("SSH-2.0-OpenSSH_9.2\r\n", &strict, DEF_NOW, NULL),
    C("GET / HTTP/1.1\nHost: a\n\n", &strict, DEF_NOW, NULL),
    C("\nGET / HTTP/1.1\r\nHost: a\r\n\r\n", &strict, DEF_NOW, NULL),
    /* ... which Unsafe may accept: the whole head is waited for */
    C("GET  / HTTP/1.1\r\n", &unsafe, MORE, NULL),
    C("GET  / HTTP/1.1\r\nHost: a\r\n\r\n", &unsafe, DEF_END, NULL),
    C("GET / HTTP/1.1\nHost: a\n", &unsafe, MORE, NULL),
    C("GET / HTTP/1.1\nHost: a\n\n", &unsafe, DEF_END, NULL),
    C("GET / HTTP/1.1\r\nX: 1\nHost: mix\r\n\n", &unsafe, DEF_END, NULL),
    C("GET / HTTP/1.1\r\nX: a\0b\r\nHost: a\r\n\r\n", &unsafe, DEF_END,
      NULL),
    C("GET / HTTP/1.1\r\nHost : a\r\n\r\n", &unsafe, DEF_END, NULL),
    /* header lines httpd refuses at once under Strict */
    C("GET / HTTP/1.1\r\nHost: a\nX: y\r\n", &strict, DEF_NOW, NULL),
    C("GET / HTTP/1.1\r\nX: a\0b\r\n", &strict, DEF_NOW, NULL),
    C("GET / HTTP/1.1\r\nX: a\rb\r\n", &strict, DEF_NOW, NULL),
    C("GET / HTTP/1.1\r\nBad Name: x\r\n", &strict, DEF_NOW, NULL),
    C("GET / HTTP/1.1\r\nHost : a\r\n", &strict, DEF_NOW, NULL),
    C("GET / HTTP/1.1\r\n: empty-name\r\n", &strict, DEF_NOW, NULL),
    /* ... and in both modes */
    C("GET / HTTP/1.1\r\nNoColon\r\n", &unsafe, DEF_NOW, NULL),
    C("GET / HTTP/1.1\r\n folded-first\r\n", &unsafe, DEF_NOW, NULL),
    C("GET / HTTP/1.1\r\nX: 1\r\n \r\n", &unsafe, DEF_NOW, NULL),
    /* what httpd accepts but reads its own way: at the end of the head */
    C("GET / HTTP/1.1\r\nX-A: 1\r\n folded\r\nHost: a\r\n\r\n", &strict,
      DEF_END, NULL),
    C("GET / HTTP/1.1\r\nHost:\r\n a.test\r\n\r\n", &strict, DEF_END,
      NULL),
    C("GET / HTTP/1.1\r\nX-A: 1\r\n\tfolded\r\n", &strict, MORE, NULL),
    C("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", &strict, DEF_END,
      NULL),
    C("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n", &strict, MORE, NULL),
    C("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", &strict, DEF_END, NULL),
    C("GET / HTTP/1.1\r\nHost: a\r\n\n", &strict, DEF_END, NULL),
    /* httpd's limits (small: line 32, field 24, 3 fields) */
    C("GET /012345678901234567 HTTP/1.1\r\nHost: a\r\n\r\n", &small, ROUTE,
      "a"),
    C("GET /01234567890123456789 HTTP/1.1\r\n", &small, DEF_NOW, NULL),
    C("GET /01234567890123456789012345678", &small, DEF_NOW, NULL),
    C("GET /012345678901234567890123456", &small, MORE, NULL),
    C("GET / HTTP/1.1\r\nX-Long: 0123456789012345678\r\n", &small, DEF_NOW,
      NULL),
    C("GET / HTTP/1.1\r\nX-Long: 0123456789012", &small, MORE, NULL),
    C("GET / HTTP/1.1\r\nX-Long: 0123456789012345678", &small, DEF_NOW,
      NULL),
    C("GET / HTTP/1.1\r\nA: 1\r\nB: 2\r\nHost: a\r\n\r\n", &small, ROUTE,
      "a"),
    C("GET / HTTP/1.1\r\nA: 1\r\nB: 2\r\nC: 3\r\nHost: a\r\n", &small,
      DEF_NOW, NULL),
    C("GET / HTTP/1.1\r\nA: 1234567890\r\n  1234567890\r\n", &small,
      DEF_NOW, NULL),
    C("\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n"
      "\r\n", &strict, ROUTE, "a"),
    C("\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n", &strict, DEF_NOW,
      NULL),
};

/* Check one case's outcome. */
static void check_case(size_t i, const case_t *c)
{
    run_t r;
    int ok;

    run_at(__FILE__, __LINE__, &r, c->s, c->n, BIG, c->lim);
    switch (c->want) {
    case MORE:
        ok = r.st == PEEK_MORE;
        break;
    case ROUTE:
        ok = r.st == PEEK_DONE && r.h.status == 0 && r.h.routable
             && (c->host ? r.h.host && r.h.host_len == strlen(c->host)
                           && !memcmp(r.h.host, c->host, r.h.host_len)
                         : r.h.host == NULL);
        break;
    case DEF_END:
    case DEF_NOW:
        ok = r.st == PEEK_DONE && r.h.status == 0 && !r.h.routable
             && r.h.reason != NULL
             && r.h.head_ended == (c->want == DEF_END);
        break;
    default:
        ok = r.st == PEEK_DONE
             && r.h.status == (c->want == A414 ? 414 : 431);
        break;
    }
    CHECK(ok);
    if (!ok) {
        fprintf(stderr, "    case %zu \"%.*s\": state %d status %d routable "
                "%d ended %d reason %s\n", i, (int)c->n, c->s, (int)r.st,
                r.h.status, r.h.routable, r.h.head_ended,
                r.h.reason ? r.h.reason : "-");
    }
    run_free(&r);
}

static void test_table(void)
{
    size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        check_case(i, &cases[i]);
    }
}

/* The spans of a routable head point into the buffer, exactly. */
static void test_fields(void)
{
    run_t r;

    run_at(__FILE__, __LINE__, &r,
           S("GET /index.html?q=1 HTTP/1.1\r\nHost: www.example.com\r\n"
             "Accept: */*\r\n\r\n"), BIG, &strict);
    CHECK(r.st == PEEK_DONE && r.h.routable && r.h.reason == NULL);
    CHECK(r.h.method == r.buf);
    CHECK_SPAN(r.h.method, r.h.method_len, "GET");
    CHECK(r.h.target == r.buf + 4);
    CHECK_SPAN(r.h.target, r.h.target_len, "/index.html?q=1");
    CHECK(r.h.major == 1 && r.h.minor == 1);
    CHECK(r.h.host == r.buf + 36);
    CHECK_SPAN(r.h.host, r.h.host_len, "www.example.com");
    CHECK(r.h.head_ended == 1 && r.h.line_done == 1);
    run_free(&r);

    run_at(__FILE__, __LINE__, &r, S("\r\n\r\nHEAD /old HTTP/1.0\r\n\r\n"),
           BIG, &strict);
    CHECK(r.st == PEEK_DONE && r.h.routable);
    CHECK(r.h.method == r.buf + 4);
    CHECK_SPAN(r.h.method, r.h.method_len, "HEAD");
    CHECK(r.h.major == 1 && r.h.minor == 0 && r.h.host == NULL);
    run_free(&r);

    /* the request line has ended, the head has not: line_done */
    run_at(__FILE__, __LINE__, &r, S("GET / HTTP/1.1\r\nX: y"), BIG,
           &strict);
    CHECK(r.st == PEEK_MORE && r.h.line_done == 1);
    run_free(&r);
    run_at(__FILE__, __LINE__, &r, S("GET / HTTP/1.1\r"), BIG, &strict);
    CHECK(r.st == PEEK_MORE && r.h.line_done == 0);
    run_free(&r);
}

/* Every prefix of a clean head waits, the whole routes; at a bound equal
 * to the prefix's length the router answers 414 before the request line
 * ended, 431 after, and routes by Host once the Host line ended (at
 * host_end; 0: no Host). */
static void prefix_sweep(const char *file, int line, const char *head,
                         size_t n, size_t rl_end, size_t host_end)
{
    size_t k;

    for (k = 0; k <= n; k++) {
        run_t r;

        run_at(file, line, &r, head, k, BIG, &strict);
        CHECK_AT(file, line, k < n ? r.st == PEEK_MORE
                                   : r.st == PEEK_DONE && r.h.routable);
        run_free(&r);
        run_at(file, line, &r, head, k, k, &strict);
        CHECK_AT(file, line, r.st == PEEK_DONE);
        CHECK_AT(file, line, k == n || (host_end && k >= host_end)
                             ? r.h.routable && r.h.status == 0
                             : r.h.status == (k < rl_end ? 414 : 431));
        run_free(&r);
    }
}

#define PREFIX_SWEEP(head, rl_end, host_end)                             \
    prefix_sweep(__FILE__, __LINE__, (head), sizeof(head) - 1, (rl_end), \
                 (host_end))

static void test_prefixes(void)
{
    static const char a[] = "GET /p?x=1 HTTP/1.1\r\nHost: h.example\r\n"
                            "User-Agent: sweep\r\n\r\n";
    static const char b[] = "\r\nPOST /form HTTP/1.0\r\nContent-Length: 3\r\n"
                            "\r\n";

    PREFIX_SWEEP(a, strlen("GET /p?x=1 HTTP/1.1\r\n"),
                 strlen("GET /p?x=1 HTTP/1.1\r\nHost: h.example\r\n"));
    PREFIX_SWEEP(b, strlen("\r\nPOST /form HTTP/1.0\r\n"), 0);
}

/* PeruidPeekMaxBytes: 414 before the request line ended, 431 after; a
 * decision made before the bound stands (len past max). */
static void test_bound(void)
{
    char line[300];
    run_t r;

    memset(line, 'a', sizeof(line));
    memcpy(line, "GET /", 5);
    run_at(__FILE__, __LINE__, &r, line, sizeof(line), 64, &strict);
    CHECK(r.st == PEEK_DONE && r.h.status == 414);
    run_free(&r);
    run_at(__FILE__, __LINE__, &r, line, 63, 64, &strict);
    CHECK(r.st == PEEK_MORE);
    run_free(&r);
    /* httpd's LimitRequestLine comes first when it is lower */
    run_at(__FILE__, __LINE__, &r, line, sizeof(line), 64, &small);
    CHECK(r.st == PEEK_DONE && r.h.status == 0 && !r.h.routable);
    run_free(&r);

    run_at(__FILE__, __LINE__, &r, S("GET / HTTP/1.1\r\nA: 1\r\nB: 2\r\n"),
           28, &strict);
    CHECK(r.st == PEEK_DONE && r.h.status == 431);
    run_free(&r);
    run_at(__FILE__, __LINE__, &r, S("GET / HTTP/1.1\r\nHost: a\r\n\r\n"),
           10, &strict);
    CHECK(r.st == PEEK_DONE && r.h.status == 0 && r.h.routable);
    run_free(&r);

    /* at the bound with Host known: routed by it, the rest unseen */
    run_at(__FILE__, __LINE__, &r,
           S("GET / HTTP/1.1\r\nHost: big\r\nCookie: xxxxxxxx"), 40, &strict);
    CHECK(r.st == PEEK_DONE && r.h.status == 0 && r.h.routable);
    CHECK(r.h.head_ended == 0);
    CHECK_SPAN(r.h.host, r.h.host_len, "big");
    run_free(&r);
    /* ... unless something was not clean */
    run_at(__FILE__, __LINE__, &r,
           S("GET / HTTP/1.1\r\nHost: big\r\nX: 1\r\n y\r\nCookie: xx"), 40,
           &strict);
    CHECK(r.st == PEEK_DONE && r.h.status == 431 && !r.h.routable);
    run_free(&r);
}

/* The parser resets everything it answers. */
static void test_reset(void)
{
    peek_head_t h;
    static const char bad[] = "GET / HTTP/1.1\rX\r\n";
    static const char good[] = "GET / HTTP/1.0\r\n\r\n";

    CHECK(peruid_peek_parse(bad, sizeof(bad) - 1, BIG, &strict, &h)
          == PEEK_DONE);
    CHECK(!h.routable && h.reason != NULL);
    CHECK(peruid_peek_parse(good, sizeof(good) - 1, BIG, &strict, &h)
          == PEEK_DONE);
    CHECK(h.routable && h.status == 0 && h.reason == NULL && !h.host);
}

int main(void)
{
    test_table();
    test_fields();
    test_prefixes();
    test_bound();
    test_reset();
    return unit_summary("test_peek");
}
