/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * test_proxyhdr.c -- unit tests of mpm_peruid/proxyhdr.c, the router's
 * bounded parser of a peeked PROXY protocol header: one table row per
 * rule (v1 and v2, valid and broken, at and past each bound), the
 * headers haproxy 2.6 sent with send-proxy and send-proxy-v2 (captured on
 * loopback; also the fuzz target's seeds in corpus/proxyhdr/), and for
 * every row that is DONE: each shorter prefix is MORE, and what follows
 * the header changes nothing.  Every input is copied into an
 * exactly-sized heap buffer so that the ASan build catches any read past
 * len.
 */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proxyhdr.h"
#include "unit.h"

#define BIG 65536

/* A string literal and its length, NUL bytes included. */
#define S(lit) (lit), (sizeof(lit) - 1)

/* The v2 signature as a string literal piece. */
#define SIG "\r\n\r\n\0\r\nQUIT\n"

static proxyhdr_result_e parse(const char *bytes, size_t len, size_t max,
                               proxyhdr_t *p)
{
    char *buf = malloc(len ? len : 1);
    proxyhdr_result_e r;

    if (buf == NULL) {
        abort();
    }
    memcpy(buf, bytes, len);
    r = peruid_proxyhdr_parse(buf, len, max, p);
    free(buf);
    return r;
}

typedef struct {
    const char *what;
    const char *bytes;
    size_t len;
    size_t max;
    proxyhdr_result_e want;
    size_t want_len;            /* PROXYHDR_DONE: the header's length */
    int want_version;
} row_t;

static const row_t rows[] = {
    /* v1 */
    { "v1 TCP4 then a request", S("PROXY TCP4 192.0.2.1 198.51.100.2 "
      "56324 443\r\nGET / HTTP/1.1\r\n"), BIG, PROXYHDR_DONE, 45, 1 },
    { "v1 TCP6", S("PROXY TCP6 2001:db8::1 2001:db8::2 1 2\r\n"), BIG,
      PROXYHDR_DONE, 40, 1 },
    { "v1 UNKNOWN alone", S("PROXY UNKNOWN\r\n"), BIG, PROXYHDR_DONE, 15,
      1 },
    { "v1 UNKNOWN with addresses (ignored)", S("PROXY UNKNOWN a b c d\r\n"),
      BIG, PROXYHDR_DONE, 23, 1 },
    { "v1 without its LF yet", S("PROXY TCP4 1.2.3.4 5.6.7.8 1 2\r"), BIG,
      PROXYHDR_MORE, 0, 1 },
    { "v1 half a family", S("PROXY TC"), BIG, PROXYHDR_MORE, 0, 1 },
    { "v1 half the prefix", S("PROX"), BIG, PROXYHDR_MORE, 0, 0 },
    { "v1 a family not in the three", S("PROXY TCP5 1.2.3.4"), BIG,
      PROXYHDR_BAD, 0, 1 },
    { "v1 a family prefix of none", S("PROXY UDP"), BIG, PROXYHDR_BAD, 0,
      1 },
    { "v1 a family that goes on", S("PROXY TCP44 "), BIG, PROXYHDR_BAD, 0,
      1 },
    { "v1 lower-case family", S("PROXY tcp4 "), BIG, PROXYHDR_BAD, 0, 1 },
    { "v1 no family", S("PROXY \r\n"), BIG, PROXYHDR_BAD, 0, 1 },
    { "v1 a family ended by CRLF", S("PROXY TCP4\r\n"), BIG, PROXYHDR_DONE,
      12, 1 },
    { "v1 lower-case prefix", S("proxy TCP4 "), BIG, PROXYHDR_BAD, 0, 0 },
    { "v1 CR without LF", S("PROXY UNKNOWN\rX"), BIG, PROXYHDR_BAD, 0, 1 },
    { "v1 a bare LF", S("PROXY UNKNOWN\n"), BIG, PROXYHDR_BAD, 0, 1 },
    { "v1 a NUL byte", S("PROXY TCP4 1.2\0.3.4"), BIG, PROXYHDR_BAD, 0, 1 },
    { "v1 a byte over 0x7e", S("PROXY TCP4 1.2\x80"), BIG, PROXYHDR_BAD, 0,
      1 },
    { "v1 a tab", S("PROXY TCP4\t1.2.3.4"), BIG, PROXYHDR_BAD, 0, 1 },
    { "v1 exactly 107 bytes", S("PROXY UNKNOWN "
      "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
      "xxxxxxxxxxxxxxxxxxxxxxxx\r\n"), BIG, PROXYHDR_DONE, 107, 1 },
    { "v1 108 bytes", S("PROXY UNKNOWN "
      "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
      "xxxxxxxxxxxxxxxxxxxxxxxxx\r\n"), BIG, PROXYHDR_BAD, 0, 1 },
    { "v1 107 bytes and no CR", S("PROXY UNKNOWN "
      "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
      "xxxxxxxxxxxxxxxxxxxxxxxxxx"), BIG, PROXYHDR_BAD, 0, 1 },
    { "v1 106 bytes and no CR yet", S("PROXY UNKNOWN "
      "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
      "xxxxxxxxxxxxxxxxxxxxxxxxx"), BIG, PROXYHDR_MORE, 0, 1 },
    /* v2 */
    { "v2 PROXY TCP4", S(SIG "\x21\x11\x00\x0c" "\x7f\x00\x00\x05"
      "\x7f\x00\x00\x01" "\x30\x39\x00\x50" "GET"), BIG, PROXYHDR_DONE, 28,
      2 },
    { "v2 PROXY TCP6", S(SIG "\x21\x21\x00\x24"
      "0123456789abcdef" "0123456789abcdef" "\x30\x39\x00\x50"), BIG,
      PROXYHDR_DONE, 52, 2 },
    { "v2 LOCAL, no address", S(SIG "\x20\x00\x00\x00" "GET"), BIG,
      PROXYHDR_DONE, 16, 2 },
    { "v2 with a TLV", S(SIG "\x21\x11\x00\x14" "\x7f\x00\x00\x05"
      "\x7f\x00\x00\x01" "\x30\x39\x00\x50" "\x04\x00\x05hello"), BIG,
      PROXYHDR_DONE, 36, 2 },
    { "v2 length at the bound (216)", S(SIG "\x21\x31\x00\xd8"), BIG,
      PROXYHDR_MORE, 0, 2 },
    { "v2 length over the bound (217)", S(SIG "\x21\x31\x00\xd9"), BIG,
      PROXYHDR_BAD, 0, 2 },
    { "v2 length 65535", S(SIG "\x21\x11\xff\xff"), BIG, PROXYHDR_BAD, 0,
      2 },
    { "v2 version 1", S(SIG "\x11\x11\x00\x0c"), BIG, PROXYHDR_BAD, 0, 2 },
    { "v2 version 3", S(SIG "\x31"), BIG, PROXYHDR_BAD, 0, 2 },
    { "v2 command 2", S(SIG "\x22"), BIG, PROXYHDR_BAD, 0, 2 },
    { "v2 command 15", S(SIG "\x2f\x11\x00\x0c"), BIG, PROXYHDR_BAD, 0, 2 },
    { "v2 signature only", S(SIG), BIG, PROXYHDR_MORE, 0, 2 },
    { "v2 half the signature", S("\r\n\r\n\0\r"), BIG, PROXYHDR_MORE, 0, 0 },
    { "v2 a broken signature", S("\r\n\r\n\0\r\nQUIX\n"), BIG, PROXYHDR_BAD,
      0, 0 },
    { "v2 address half in", S(SIG "\x21\x11\x00\x0c" "\x7f\x00"), BIG,
      PROXYHDR_MORE, 0, 2 },
    /* neither */
    { "a request head", S("GET / HTTP/1.1\r\nHost: a.test\r\n\r\n"), BIG,
      PROXYHDR_BAD, 0, 0 },
    { "a TLS ClientHello", S("\x16\x03\x01\x00\x05"), BIG, PROXYHDR_BAD, 0,
      0 },
    { "a CRLF then a request", S("\r\nGET / HTTP/1.1\r\n"), BIG,
      PROXYHDR_BAD, 0, 0 },
    { "nothing yet", S(""), BIG, PROXYHDR_MORE, 0, 0 },
    /* the byte bound */
    { "nothing, max 0", S(""), 0, PROXYHDR_BAD, 0, 0 },
    { "a v1 prefix at max", S("PROXY TCP4 1.2"), 14, PROXYHDR_BAD, 0, 1 },
    { "a v1 prefix below max", S("PROXY TCP4 1.2"), 15, PROXYHDR_MORE, 0,
      1 },
    { "a whole v1 past max", S("PROXY UNKNOWN\r\nGET"), 4, PROXYHDR_DONE,
      15, 1 },
    { "a v2 header at max", S(SIG "\x21\x11\x00\x0c"), 16, PROXYHDR_BAD, 0,
      2 },
};

#define NROWS (sizeof(rows) / sizeof(rows[0]))

/* A row's answer, with max and with a bound far away. */
static void check_row(const row_t *t)
{
    proxyhdr_t p;
    proxyhdr_result_e r = parse(t->bytes, t->len, t->max, &p);

    if (r != t->want || p.len != t->want_len
        || p.version != t->want_version) {
        fprintf(stderr, "row \"%s\": got %d len %zu version %d (%s), want "
                "%d len %zu version %d\n", t->what, (int)r, p.len,
                p.version, p.reason ? p.reason : "-", (int)t->want,
                t->want_len, t->want_version);
    }
    CHECK(r == t->want);
    CHECK(p.len == t->want_len);
    CHECK(p.version == t->want_version);
    CHECK((r == PROXYHDR_BAD) == (p.reason != NULL));
}

/* A DONE row: every shorter prefix is MORE, and bytes after the header
 * change nothing. */
static void check_prefixes(const row_t *t)
{
    char *more;
    proxyhdr_t p;
    size_t i;

    for (i = 0; i < t->want_len; i++) {
        CHECK(parse(t->bytes, i, BIG, &p) == PROXYHDR_MORE);
    }
    more = malloc(t->want_len + 64);
    if (more == NULL) {
        abort();
    }
    memcpy(more, t->bytes, t->want_len);
    for (i = 0; i < 64; i++) {
        more[t->want_len + i] = (char)(i * 37);
    }
    CHECK(parse(more, t->want_len + 64, BIG, &p) == PROXYHDR_DONE);
    CHECK(p.len == t->want_len);
    free(more);
}

/* The headers haproxy 2.6.12 sent (corpus/proxyhdr/haproxy_*: a curl
 * request behind each), and their lengths. */
static void check_haproxy(const char *dir)
{
    static const struct {
        const char *file;
        size_t len;
        int version;
    } caps[] = {
        { "haproxy_v1_tcp4_get", 44, 1 },
        { "haproxy_v1_tcp6_get", 32, 1 },
        { "haproxy_v2_tcp4_get", 28, 2 },
    };
    char path[512], buf[4096];
    proxyhdr_t p;
    size_t i, n;
    FILE *f;

    for (i = 0; i < sizeof(caps) / sizeof(caps[0]); i++) {
        snprintf(path, sizeof(path), "%s/corpus/proxyhdr/%s", dir,
                 caps[i].file);
        f = fopen(path, "rb");
        CHECK(f != NULL);
        if (f == NULL) {
            continue;
        }
        n = fread(buf, 1, sizeof(buf), f);
        fclose(f);
        CHECK(parse(buf, n, BIG, &p) == PROXYHDR_DONE);
        CHECK(p.len == caps[i].len);
        CHECK(p.version == caps[i].version);
        /* behind it, the request curl sent */
        CHECK(p.len + 4 <= n && memcmp(buf + p.len, "GET ", 4) == 0);
    }
}

int main(int argc, char **argv)
{
    size_t i;

    for (i = 0; i < NROWS; i++) {
        check_row(&rows[i]);
        if (rows[i].want == PROXYHDR_DONE) {
            check_prefixes(&rows[i]);
        }
    }
    check_haproxy(argc > 1 ? argv[1] : ".");
    return unit_summary("test_proxyhdr");
}
