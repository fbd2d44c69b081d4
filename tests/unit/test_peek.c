/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * test_peek.c -- unit tests of mpm_peruid/peek.c, the router's bounded
 * parser of a peeked HTTP request head: routable heads (fields and
 * lengths exact), line endings, Host detection, the 400 / 414 / 431
 * refusals, every prefix of a valid head, and the max bound.  Every input
 * is copied into an exactly-sized heap buffer so that the ASan build
 * catches any read past len.
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
static void check_invariants(const char *file, int line, const run_t *r)
{
    const peek_head_t *h = &r->h;

    CHECK_AT(file, line, r->st == PEEK_MORE || r->st == PEEK_DONE);
    if (r->st == PEEK_MORE) {
        CHECK_AT(file, line, h->status == 0);
        return;
    }
    if (h->status != 0) {
        CHECK_AT(file, line, h->status == 400 || h->status == 414
                             || h->status == 431);
        CHECK_AT(file, line, h->reason != NULL);
        return;
    }
    CHECK_AT(file, line, h->reason == NULL);
    CHECK_AT(file, line, h->method_len > 0);
    CHECK_AT(file, line, inside(r, h->method, h->method_len));
    CHECK_AT(file, line, h->target_len > 0);
    CHECK_AT(file, line, inside(r, h->target, h->target_len));
    CHECK_AT(file, line, h->major >= 0 && h->major <= 9);
    CHECK_AT(file, line, h->minor >= 0 && h->minor <= 9);
    CHECK_AT(file, line, h->head_ended == 0 || h->head_ended == 1);
    if (h->host != NULL) {
        CHECK_AT(file, line, inside(r, h->host, h->host_len));
    }
    else {
        CHECK_AT(file, line, h->head_ended == 1);
    }
}

/* Copy s[0..len) into an exactly-sized heap buffer and parse it. */
static void run_at(const char *file, int line, run_t *r, const char *s,
                   size_t len, size_t max)
{
    r->buf = malloc(len);
    if (r->buf == NULL && len > 0) {
        perror("malloc");
        exit(2);
    }
    if (len > 0) {
        memcpy(r->buf, s, len);
    }
    r->len = len;
    memset(&r->h, 0xa5, sizeof(r->h));     /* the parser must reset it */
    r->st = peruid_peek_parse(r->buf, len, max, &r->h);
    check_invariants(file, line, r);
}

/* RUN(&r, s, len, max); S(lit) may stand for s, len. */
#define RUN(r, ...) run_at(__FILE__, __LINE__, (r), __VA_ARGS__)

static void run_free(run_t *r)
{
    free(r->buf);
    r->buf = NULL;
}

/* Expect a refusal with this status. */
static void expect_status_at(const char *file, int line, const char *s,
                             size_t len, size_t max, int status)
{
    run_t r;

    run_at(file, line, &r, s, len, max);
    CHECK_AT(file, line, r.st == PEEK_DONE);
    CHECK_AT(file, line, r.h.status == status);
    if (r.st != PEEK_DONE || r.h.status != status) {
        fprintf(stderr, "    input: \"%.*s\" (len %zu, max %zu): "
                "state %d status %d\n", (int)len, s, len, max, (int)r.st,
                r.h.status);
    }
    run_free(&r);
}

#define EXPECT_STATUS(lit, status)                                      \
    expect_status_at(__FILE__, __LINE__, S(lit), BIG, (status))

static void expect_more_at(const char *file, int line, const char *s,
                           size_t len, size_t max)
{
    run_t r;

    run_at(file, line, &r, s, len, max);
    CHECK_AT(file, line, r.st == PEEK_MORE);
    run_free(&r);
}

#define EXPECT_MORE(lit) expect_more_at(__FILE__, __LINE__, S(lit), BIG)

static void test_simple_get(void)
{
    run_t r;

    RUN(&r, S("GET /index.html?q=1 HTTP/1.1\r\nHost: www.example.com\r\n"
              "Accept: */*\r\n\r\n"), BIG);
    CHECK(r.st == PEEK_DONE);
    CHECK(r.h.status == 0);
    CHECK(r.h.reason == NULL);
    CHECK(r.h.method == r.buf);
    CHECK_SPAN(r.h.method, r.h.method_len, "GET");
    CHECK(r.h.target == r.buf + 4);
    CHECK_SPAN(r.h.target, r.h.target_len, "/index.html?q=1");
    CHECK(r.h.major == 1);
    CHECK(r.h.minor == 1);
    CHECK(r.h.host == r.buf + 36);
    CHECK_SPAN(r.h.host, r.h.host_len, "www.example.com");
    CHECK(r.h.head_ended == 0);     /* stopped at Host */
    run_free(&r);

    /* other methods, asterisk and absolute forms are passed on as sent */
    RUN(&r, S("OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n"), BIG);
    CHECK(r.st == PEEK_DONE && r.h.status == 0);
    CHECK_SPAN(r.h.method, r.h.method_len, "OPTIONS");
    CHECK_SPAN(r.h.target, r.h.target_len, "*");
    CHECK_SPAN(r.h.host, r.h.host_len, "a");
    run_free(&r);

    RUN(&r, S("M-SEARCH! http://b.example:8080/x HTTP/1.1\r\nHost: a\r\n"),
        BIG);
    CHECK(r.st == PEEK_DONE && r.h.status == 0);
    CHECK_SPAN(r.h.method, r.h.method_len, "M-SEARCH!");
    CHECK_SPAN(r.h.target, r.h.target_len, "http://b.example:8080/x");
    CHECK_SPAN(r.h.host, r.h.host_len, "a");
    run_free(&r);

    /* obs-text in the target is left to httpd, as httpd allows it */
    RUN(&r, S("GET /caf\xc3\xa9 HTTP/1.1\r\nHost: a\r\n\r\n"), BIG);
    CHECK(r.st == PEEK_DONE && r.h.status == 0);
    CHECK_SPAN(r.h.target, r.h.target_len, "/caf\xc3\xa9");
    run_free(&r);

    /* other versions: the router only reports them */
    RUN(&r, S("GET / HTTP/2.0\r\nHost: a\r\n\r\n"), BIG);
    CHECK(r.st == PEEK_DONE && r.h.status == 0);
    CHECK(r.h.major == 2 && r.h.minor == 0);
    run_free(&r);
}

static void test_lf_only(void)
{
    run_t r;

    RUN(&r, S("GET /a HTTP/1.1\nUser-Agent: t\nHost: lf.example\n\n"), BIG);
    CHECK(r.st == PEEK_DONE && r.h.status == 0);
    CHECK_SPAN(r.h.method, r.h.method_len, "GET");
    CHECK_SPAN(r.h.target, r.h.target_len, "/a");
    CHECK(r.h.major == 1 && r.h.minor == 1);
    CHECK_SPAN(r.h.host, r.h.host_len, "lf.example");
    CHECK(r.h.head_ended == 0);
    run_free(&r);

    RUN(&r, S("GET /a HTTP/1.0\nAccept: */*\n\n"), BIG);
    CHECK(r.st == PEEK_DONE && r.h.status == 0);
    CHECK(r.h.host == NULL);
    CHECK(r.h.head_ended == 1);
    run_free(&r);

    /* CRLF and LF mixed */
    RUN(&r, S("GET /a HTTP/1.1\r\nX: 1\nHost: mix\r\n\n"), BIG);
    CHECK(r.st == PEEK_DONE && r.h.status == 0);
    CHECK_SPAN(r.h.host, r.h.host_len, "mix");
    run_free(&r);
}

static void test_leading_empty_lines(void)
{
    run_t r;

    RUN(&r, S("\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n"), BIG);
    CHECK(r.st == PEEK_DONE && r.h.status == 0);
    CHECK(r.h.method == r.buf + 4);
    CHECK_SPAN(r.h.method, r.h.method_len, "GET");
    CHECK_SPAN(r.h.target, r.h.target_len, "/");
    CHECK_SPAN(r.h.host, r.h.host_len, "a");
    run_free(&r);

    RUN(&r, S("\n\n\nPUT /p HTTP/1.0\n\n"), BIG);
    CHECK(r.st == PEEK_DONE && r.h.status == 0);
    CHECK(r.h.method == r.buf + 3);
    CHECK_SPAN(r.h.method, r.h.method_len, "PUT");
    CHECK(r.h.head_ended == 1);
    run_free(&r);

    /* nothing but empty lines yet */
    EXPECT_MORE("\r\n\r\n");
    EXPECT_MORE("\n");
    EXPECT_MORE("\r\n\r\nGE");
}

static void test_host_before_end(void)
{
    run_t r;

    /* the buffer ends right after the Host line: enough to route */
    RUN(&r, S("GET / HTTP/1.1\r\nHost: early.example\r\n"), BIG);
    CHECK(r.st == PEEK_DONE && r.h.status == 0);
    CHECK_SPAN(r.h.host, r.h.host_len, "early.example");
    CHECK(r.h.head_ended == 0);
    run_free(&r);

    /* what follows the Host line is not looked at */
    RUN(&r, S("GET / HTTP/1.1\r\nHost: early.example\r\nX-Partial: abc"),
        BIG);
    CHECK(r.st == PEEK_DONE && r.h.status == 0);
    CHECK_SPAN(r.h.host, r.h.host_len, "early.example");
    CHECK(r.h.head_ended == 0);
    run_free(&r);

    /* Host line not yet ended */
    EXPECT_MORE("GET / HTTP/1.1\r\nHost: early.example");
    EXPECT_MORE("GET / HTTP/1.1\r\nHost: early.example\r");
}

static void test_no_host(void)
{
    run_t r;

    RUN(&r, S("GET /x HTTP/1.1\r\nAccept: */*\r\nUser-Agent: u\r\n\r\n"),
        BIG);
    CHECK(r.st == PEEK_DONE && r.h.status == 0);
    CHECK(r.h.host == NULL);
    CHECK(r.h.host_len == 0);
    CHECK(r.h.head_ended == 1);
    CHECK(r.h.major == 1 && r.h.minor == 1);
    CHECK_SPAN(r.h.target, r.h.target_len, "/x");
    run_free(&r);

    /* bytes after the empty line (a body) are not looked at */
    RUN(&r, S("POST /f HTTP/1.1\r\n\r\n\x01\r\rbody"), BIG);
    CHECK(r.st == PEEK_DONE && r.h.status == 0);
    CHECK(r.h.host == NULL);
    CHECK(r.h.head_ended == 1);
    run_free(&r);

    /* the request line ends but the head goes on */
    EXPECT_MORE("GET / HTTP/1.1\r\n");
    EXPECT_MORE("GET / HTTP/1.1\r\nAccept: */*\r\n");
    EXPECT_MORE("GET / HTTP/1.1\r\nAccept: */*\r\n\r");
}

static void test_http10(void)
{
    run_t r;

    RUN(&r, S("GET /old HTTP/1.0\r\n\r\n"), BIG);
    CHECK(r.st == PEEK_DONE && r.h.status == 0);
    CHECK(r.h.major == 1 && r.h.minor == 0);
    CHECK_SPAN(r.h.target, r.h.target_len, "/old");
    CHECK(r.h.host == NULL);
    CHECK(r.h.head_ended == 1);
    run_free(&r);

    RUN(&r, S("HEAD /old HTTP/1.0\r\nHost: ten.example\r\n\r\n"), BIG);
    CHECK(r.st == PEEK_DONE && r.h.status == 0);
    CHECK(r.h.major == 1 && r.h.minor == 0);
    CHECK_SPAN(r.h.method, r.h.method_len, "HEAD");
    CHECK_SPAN(r.h.host, r.h.host_len, "ten.example");
    CHECK(r.h.head_ended == 0);
    run_free(&r);
}

static void test_http09(void)
{
    run_t r;

    RUN(&r, S("GET /\r\n"), BIG);
    CHECK(r.st == PEEK_DONE && r.h.status == 0);
    CHECK_SPAN(r.h.method, r.h.method_len, "GET");
    CHECK_SPAN(r.h.target, r.h.target_len, "/");
    CHECK(r.h.major == 0 && r.h.minor == 9);
    CHECK(r.h.host == NULL);
    CHECK(r.h.head_ended == 1);
    run_free(&r);

    RUN(&r, S("GET /nine\n"), BIG);
    CHECK(r.st == PEEK_DONE && r.h.status == 0);
    CHECK_SPAN(r.h.target, r.h.target_len, "/nine");
    CHECK(r.h.major == 0 && r.h.minor == 9);
    CHECK(r.h.head_ended == 1);
    run_free(&r);

    /* HTTP/0.9 has no headers: what follows is not a Host header */
    RUN(&r, S("GET /\r\nHost: a\r\n\r\n"), BIG);
    CHECK(r.st == PEEK_DONE && r.h.status == 0);
    CHECK(r.h.major == 0 && r.h.minor == 9);
    CHECK(r.h.host == NULL);
    run_free(&r);

    EXPECT_MORE("GET /");
    EXPECT_MORE("GET /\r");
}

static void test_host_ows(void)
{
    run_t r;

    RUN(&r, S("GET / HTTP/1.1\r\nHost: \t ows.example \t \r\n\r\n"), BIG);
    CHECK(r.st == PEEK_DONE && r.h.status == 0);
    CHECK(r.h.host == r.buf + 16 + 8);
    CHECK_SPAN(r.h.host, r.h.host_len, "ows.example");
    run_free(&r);

    RUN(&r, S("GET / HTTP/1.1\r\nHost:tight.example\r\n\r\n"), BIG);
    CHECK(r.st == PEEK_DONE && r.h.status == 0);
    CHECK_SPAN(r.h.host, r.h.host_len, "tight.example");
    run_free(&r);

    RUN(&r, S("GET / HTTP/1.1\nHost:\tlf.example:8080\t\n\n"), BIG);
    CHECK(r.st == PEEK_DONE && r.h.status == 0);
    CHECK_SPAN(r.h.host, r.h.host_len, "lf.example:8080");
    run_free(&r);

    /* inner whitespace is kept: httpd's vhost code judges the value */
    RUN(&r, S("GET / HTTP/1.1\r\nHost: a b\r\n\r\n"), BIG);
    CHECK(r.st == PEEK_DONE && r.h.status == 0);
    CHECK_SPAN(r.h.host, r.h.host_len, "a b");
    run_free(&r);

    /* an empty Host is present, with length 0 */
    RUN(&r, S("GET / HTTP/1.1\r\nHost:\r\n\r\n"), BIG);
    CHECK(r.st == PEEK_DONE && r.h.status == 0);
    CHECK(r.h.host != NULL);
    CHECK(r.h.host_len == 0);
    CHECK(r.h.head_ended == 0);
    run_free(&r);

    RUN(&r, S("GET / HTTP/1.1\r\nHost: \t  \r\n\r\n"), BIG);
    CHECK(r.st == PEEK_DONE && r.h.status == 0);
    CHECK(r.h.host != NULL);
    CHECK(r.h.host_len == 0);
    run_free(&r);
}

static void test_host_case(void)
{
    static const char *const heads[] = {
        "GET / HTTP/1.1\r\nhOsT: case.example\r\n\r\n",
        "GET / HTTP/1.1\r\nHOST: case.example\r\n\r\n",
        "GET / HTTP/1.1\r\nhost: case.example\r\n\r\n",
    };
    size_t i;
    run_t r;

    for (i = 0; i < sizeof(heads) / sizeof(heads[0]); i++) {
        RUN(&r, heads[i], strlen(heads[i]), BIG);
        CHECK(r.st == PEEK_DONE && r.h.status == 0);
        CHECK_SPAN(r.h.host, r.h.host_len, "case.example");
        run_free(&r);
    }
}

static void test_host_prefix_names(void)
{
    run_t r;

    RUN(&r, S("GET / HTTP/1.1\r\nHostile: x\r\nX-Host: y\r\nHos: z\r\n"
              "Hosts: w\r\nHost: real.example\r\n\r\n"), BIG);
    CHECK(r.st == PEEK_DONE && r.h.status == 0);
    CHECK_SPAN(r.h.host, r.h.host_len, "real.example");
    run_free(&r);

    RUN(&r, S("GET / HTTP/1.1\r\nHostile: x\r\n\r\n"), BIG);
    CHECK(r.st == PEEK_DONE && r.h.status == 0);
    CHECK(r.h.host == NULL);
    CHECK(r.h.head_ended == 1);
    run_free(&r);
}

static void test_two_hosts(void)
{
    run_t r;

    /* The router stops at the first Host header; a second one is left to
     * httpd, which refuses the merged value in the worker. */
    RUN(&r, S("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n"), BIG);
    CHECK(r.st == PEEK_DONE);
    CHECK(r.h.status == 0);
    CHECK(r.h.host_len == 1 && r.h.host[0] == 'a');
    CHECK(r.h.head_ended == 0);
    run_free(&r);
}

static void test_explicit_old_version(void)
{
    /* a version below 1.0 written out is not HTTP/0.9 (which has none) */
    EXPECT_STATUS("GET / HTTP/0.9\r\nHost: a\r\n\r\n", 400);
    EXPECT_STATUS("GET / HTTP/0.5\r\n\r\n", 400);
}

static void test_folding(void)
{
    EXPECT_STATUS("GET / HTTP/1.1\r\nX-A: 1\r\n folded\r\nHost: a\r\n\r\n",
                  400);
    EXPECT_STATUS("GET / HTTP/1.1\r\nX-A: 1\r\n\tfolded\r\nHost: a\r\n\r\n",
                  400);
    EXPECT_STATUS("GET / HTTP/1.1\r\n Host: a\r\n\r\n", 400);
    EXPECT_STATUS("GET / HTTP/1.1\n\tHost: a\n\n", 400);
}

static void test_bare_cr(void)
{
    EXPECT_STATUS("GET / HTTP/1.1\rHost: a\r\n\r\n", 400);
    EXPECT_STATUS("GET /a\rb HTTP/1.1\r\nHost: a\r\n\r\n", 400);
    EXPECT_STATUS("GET / HTTP/1.1\r\r\nHost: a\r\n\r\n", 400);
    EXPECT_STATUS("GET / HTTP/1.1\r\nX: a\rb\r\nHost: a\r\n\r\n", 400);
    EXPECT_STATUS("GET / HTTP/1.1\r\nX: a\r\r\nHost: a\r\n\r\n", 400);
    EXPECT_STATUS("GET / HTTP/1.1\r\n\rHost: a\r\n\r\n", 400);
    /* a CR as the last byte may be the start of a CRLF */
    EXPECT_MORE("GET / HTTP/1.1\r");
    EXPECT_MORE("GET / HTTP/1.1\r\nX: a\r");
}

static void test_bad_request_lines(void)
{
    static const struct {
        const char *s;
        size_t n;
    } bad[] = {
        { S("GET\r\n") },                       /* missing target   */
        { S("GET \r\n") },
        { S("GET  HTTP/1.1\r\n") },
        { S("GET  / HTTP/1.1\r\n") },           /* two spaces       */
        { S("GET /  HTTP/1.1\r\n") },
        { S("GET / HTTP/1\r\n") },              /* bad versions     */
        { S("GET / HTTP/1.10\r\n") },
        { S("GET / HTTP/11.1\r\n") },
        { S("GET / http/1.1\r\n") },
        { S("GET / Http/1.1\r\n") },
        { S("GET / HTTPS/1.1\r\n") },
        { S("GET / HTTP/a.1\r\n") },
        { S("GET / HTTP/1.b\r\n") },
        { S("GET / HTTP/1,1\r\n") },
        { S("GET / HTTP/1.1 \r\n") },
        { S("GET / HTTP/1.1 x\r\n") },
        { S("GET / HTTP/1.1\t\r\n") },
        { S("GET / \r\n") },
        { S("GET /a\x01z HTTP/1.1\r\n") },      /* controls in target */
        { S("GET /a\tb HTTP/1.1\r\n") },
        { S("GET /a\x7f HTTP/1.1\r\n") },
        { S("GET /\0 HTTP/1.1\r\n") },
        { S("GET /\x1b[0m HTTP/1.1\r\n") },
        { S(" / HTTP/1.1\r\n") },               /* empty method     */
        { S(" GET / HTTP/1.1\r\n") },
        { S("GET\t/ HTTP/1.1\r\n") },           /* not a SP         */
        { S("GET\v/ HTTP/1.1\r\n") },
        { S("GET\f/ HTTP/1.1\r\n") },
        { S("GET\xa0/ HTTP/1.1\r\n") },
        { S("G\0T / HTTP/1.1\r\n") },           /* not a token      */
        { S("G(T / HTTP/1.1\r\n") },
        { S("GE:T / HTTP/1.1\r\n") },
        { S("G\xc3\x89T / HTTP/1.1\r\n") },
        { S("\r\n\r\n\x01GET / HTTP/1.1\r\n") },
    };
    size_t i;

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        run_t r;

        RUN(&r, bad[i].s, bad[i].n, BIG);
        CHECK(r.st == PEEK_DONE);
        CHECK(r.h.status == 400);
        if (r.st != PEEK_DONE || r.h.status != 400) {
            fprintf(stderr, "    bad request line %zu: state %d status %d\n",
                    i, (int)r.st, r.h.status);
        }
        run_free(&r);
    }
}

static void test_bad_headers(void)
{
    EXPECT_STATUS("GET / HTTP/1.1\r\nNoColon\r\nHost: a\r\n\r\n", 400);
    EXPECT_STATUS("GET / HTTP/1.1\r\nHost\r\n\r\n", 400);
    EXPECT_STATUS("GET / HTTP/1.1\r\nBad Name: x\r\nHost: a\r\n\r\n", 400);
    EXPECT_STATUS("GET / HTTP/1.1\r\n: empty-name\r\nHost: a\r\n\r\n", 400);
    EXPECT_STATUS("GET / HTTP/1.1\r\nHost : a\r\n\r\n", 400);
    EXPECT_STATUS("GET / HTTP/1.1\r\nHost\t: a\r\n\r\n", 400);
    EXPECT_STATUS("GET / HTTP/1.1\r\nHo\x01st: a\r\n\r\n", 400);
    EXPECT_STATUS("GET / HTTP/1.1\r\n(x): y\r\nHost: a\r\n\r\n", 400);
    EXPECT_STATUS("GET / HTTP/1.1\r\nX\0Y: z\r\nHost: a\r\n\r\n", 400);

    /* an empty value is fine */
    {
        run_t r;

        RUN(&r, S("GET / HTTP/1.1\r\nX:\r\nHost: a\r\n\r\n"), BIG);
        CHECK(r.st == PEEK_DONE && r.h.status == 0);
        CHECK_SPAN(r.h.host, r.h.host_len, "a");
        run_free(&r);
    }
}

/* Every prefix of head, each in its own exactly-sized buffer.  rl_end is
 * the length of the request line with its LF; done_at the length at which
 * the parser has enough to route (host, or NULL when it routes on the end
 * of the head). */
static void prefix_sweep(const char *file, int line, const char *head,
                         size_t n, size_t rl_end, size_t done_at,
                         const char *host)
{
    size_t k;

    for (k = 0; k <= n; k++) {
        run_t r;

        /* a generous bound: only completeness decides */
        run_at(file, line, &r, head, k, BIG);
        if (k < done_at) {
            CHECK_AT(file, line, r.st == PEEK_MORE);
        }
        else {
            CHECK_AT(file, line, r.st == PEEK_DONE && r.h.status == 0);
            if (host) {
                CHECK_AT(file, line, r.h.host != NULL
                                     && r.h.host_len == strlen(host)
                                     && memcmp(r.h.host, host,
                                               r.h.host_len) == 0);
                CHECK_AT(file, line, r.h.head_ended == 0);
            }
            else {
                CHECK_AT(file, line, r.h.host == NULL);
                CHECK_AT(file, line, r.h.head_ended == 1);
            }
        }
        if (r.st != (k < done_at ? PEEK_MORE : PEEK_DONE)) {
            fprintf(stderr, "    prefix of length %zu: state %d status %d\n",
                    k, (int)r.st, r.h.status);
        }
        run_free(&r);

        /* the bound reached by the same prefix: too large, unless done */
        run_at(file, line, &r, head, k, k);
        CHECK_AT(file, line, r.st == PEEK_DONE);
        if (k >= done_at) {
            CHECK_AT(file, line, r.h.status == 0);
        }
        else if (k < rl_end) {
            CHECK_AT(file, line, r.h.status == 414);
        }
        else {
            CHECK_AT(file, line, r.h.status == 431);
        }
        run_free(&r);
    }
}

#define PREFIX_SWEEP(head, rl_end, done_at, host)                       \
    prefix_sweep(__FILE__, __LINE__, (head), sizeof(head) - 1, (rl_end), \
                 (done_at), (host))

static void test_prefixes(void)
{
    static const char a[] = "GET /p?x=1 HTTP/1.1\r\nUser-Agent: sweep\r\n"
                            "Host: h.example\r\n\r\n";
    static const char b[] = "\r\nPOST /form HTTP/1.0\r\nContent-Length: 3\r\n"
                            "Accept: */*\r\n\r\n";
    static const char c[] = "GET /lf HTTP/1.1\nX: y\nHost: lf.example\n\n";
    static const char d[] = "GET /zero\r\n";

    /* a: routable once the Host line's LF is in */
    PREFIX_SWEEP(a, strlen("GET /p?x=1 HTTP/1.1\r\n"), sizeof(a) - 1 - 2,
                 "h.example");
    /* b: no Host, routable only at the end of the head */
    PREFIX_SWEEP(b, strlen("\r\nPOST /form HTTP/1.0\r\n"), sizeof(b) - 1,
                 NULL);
    /* c: LF only */
    PREFIX_SWEEP(c, strlen("GET /lf HTTP/1.1\n"), sizeof(c) - 1 - 1,
                 "lf.example");
    /* d: HTTP/0.9, routable at the end of its only line */
    PREFIX_SWEEP(d, sizeof(d) - 1, sizeof(d) - 1, NULL);
}

static void test_limits(void)
{
    char line[300];
    run_t r;

    /* a request line longer than max, no LF */
    memset(line, 'a', sizeof(line));
    memcpy(line, "GET /", 5);
    expect_status_at(__FILE__, __LINE__, line, sizeof(line), 64, 414);
    expect_status_at(__FILE__, __LINE__, line, 64, 64, 414);
    expect_more_at(__FILE__, __LINE__, line, 63, 64);
    /* a preamble of empty lines as long as max */
    expect_status_at(__FILE__, __LINE__, S("\r\n\r\n\r\n\r\n"), 8, 414);

    /* a request line, then headers past max without the end */
    {
        static const char h[] = "GET / HTTP/1.1\r\nA: 1\r\nB: 2\r\n";
        char big[300];

        expect_status_at(__FILE__, __LINE__, S(h), sizeof(h) - 1, 431);
        expect_status_at(__FILE__, __LINE__, S(h), sizeof(h) - 2, 431);
        expect_more_at(__FILE__, __LINE__, S(h), sizeof(h));

        memset(big, 'b', sizeof(big));
        memcpy(big, "GET / HTTP/1.1\r\nX-Long: ", 24);
        expect_status_at(__FILE__, __LINE__, big, sizeof(big), 128, 431);
        expect_status_at(__FILE__, __LINE__, big, 128, 128, 431);
        expect_more_at(__FILE__, __LINE__, big, 127, 128);
    }

    /* exactly at the limit, but complete: routable */
    RUN(&r, S("GET / HTTP/1.0\r\nA: 1\r\n\r\n"),
        sizeof("GET / HTTP/1.0\r\nA: 1\r\n\r\n") - 1);
    CHECK(r.st == PEEK_DONE && r.h.status == 0);
    CHECK(r.h.head_ended == 1);
    run_free(&r);

    RUN(&r, S("GET / HTTP/1.1\r\nHost: limit.example\r\n"),
        sizeof("GET / HTTP/1.1\r\nHost: limit.example\r\n") - 1);
    CHECK(r.st == PEEK_DONE && r.h.status == 0);
    CHECK_SPAN(r.h.host, r.h.host_len, "limit.example");
    run_free(&r);

    RUN(&r, S("GET /\r\n"), 7);
    CHECK(r.st == PEEK_DONE && r.h.status == 0);
    CHECK(r.h.major == 0 && r.h.minor == 9);
    run_free(&r);

    /* len past max (the router never does it): an answer still wins */
    RUN(&r, S("GET / HTTP/1.1\r\nHost: a\r\n\r\n"), 10);
    CHECK(r.st == PEEK_DONE && r.h.status == 0);
    CHECK_SPAN(r.h.host, r.h.host_len, "a");
    run_free(&r);

    /* one byte under the limit: still waiting */
    expect_more_at(__FILE__, __LINE__, S("GET / HTTP/1.1\r\nA: 1\r\n"), 23);
}

static void test_more(void)
{
    run_t r;

    RUN(&r, "", 0, BIG);
    CHECK(r.st == PEEK_MORE);
    run_free(&r);
    EXPECT_MORE("G");
    EXPECT_MORE("GET");
    EXPECT_MORE("GET ");
    EXPECT_MORE("GET / HTTP/1.1");
}

static void test_reset(void)
{
    peek_head_t h;
    static const char bad[] = "GET / HTTP/1.1\rX";
    static const char good[] = "GET / HTTP/1.0\r\n\r\n";

    CHECK(peruid_peek_parse(bad, sizeof(bad) - 1, BIG, &h) == PEEK_DONE);
    CHECK(h.status == 400);
    CHECK(h.reason != NULL);
    CHECK(peruid_peek_parse(good, sizeof(good) - 1, BIG, &h) == PEEK_DONE);
    CHECK(h.status == 0);
    CHECK(h.reason == NULL);
    CHECK(h.host == NULL);
}

int main(void)
{
    test_simple_get();
    test_lf_only();
    test_leading_empty_lines();
    test_host_before_end();
    test_no_host();
    test_http10();
    test_http09();
    test_host_ows();
    test_host_case();
    test_host_prefix_names();
    test_two_hosts();
    test_explicit_old_version();
    test_folding();
    test_bare_cr();
    test_bad_request_lines();
    test_bad_headers();
    test_prefixes();
    test_limits();
    test_more();
    test_reset();
    return unit_summary("test_peek");
}
