/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * test_hello.c -- unit tests of mpm_peruid/hello.c, the router's bounded
 * parser of a peeked TLS ClientHello: real ClientHellos captured from
 * openssl s_client and curl (TLS 1.2 and 1.3, with and without SNI; read
 * from corpus/hello/), every prefix of each (HELLO_MORE), the same hello
 * re-split over 1-byte, 5-byte and random-size records, hand-built hellos
 * for each rule hello.c mirrors from OpenSSL (one row per rule, valid and
 * broken), GREASE, a post-quantum-sized key share, the SSLv2-compatible
 * form, what is not TLS, and the byte bound.  Every input is copied into
 * an exactly-sized heap buffer so that the ASan build catches any read
 * past len.
 */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hello.h"
#include "unit.h"

#define BIG 65536

/* A string literal and its length, NUL bytes included. */
#define S(lit) (lit), (sizeof(lit) - 1)

/*
 * Real ClientHellos, each one record as sent, captured on loopback by a
 * python socket that read and never answered; the files are also the
 * fuzz target's seeds.  The tests run in tests/unit (the Makefile's
 * check), or in the directory given as the first argument.
 */
static struct {
    const char *file;           /* in corpus/hello/                       */
    const char *what;           /* the client that sent it                */
    hello_result_e want;
    const char *name;
    unsigned char *bytes;       /* read by load_captures()                */
    size_t len;
} captures[] = {
    { "s_client_tls13", "openssl s_client -servername a.test (3.0.19)",
      HELLO_SNI, "a.test", NULL, 0 },
    { "s_client_tls12", "openssl s_client -tls1_2 -servername b.test",
      HELLO_SNI, "b.test", NULL, 0 },
    { "s_client_nosni", "openssl s_client -noservername",
      HELLO_NO_SNI, "", NULL, 0 },
    { "curl_tls13", "curl 7.88.1 --resolve www.a.test:...:127.0.0.1",
      HELLO_SNI, "www.a.test", NULL, 0 },
    { "curl_tls12", "curl --tlsv1.2 --tls-max 1.2 --resolve b.test:...",
      HELLO_SNI, "b.test", NULL, 0 },
    { "s_client_ffdhe8192", "openssl s_client -groups ffdhe8192 "
      "-servername big.a.test", HELLO_SNI, "big.a.test", NULL, 0 },
};

enum { CAP_S_CLIENT_TLS13, CAP_S_CLIENT_TLS12, CAP_S_CLIENT_NOSNI,
       CAP_CURL_TLS13 };

#define NCAPTURES (sizeof(captures) / sizeof(captures[0]))

/* Read each capture from dir/NAME; a missing one ends the test. */
static void load_captures(const char *dir)
{
    size_t i;

    for (i = 0; i < NCAPTURES; i++) {
        char path[512];
        FILE *f;
        long n;

        snprintf(path, sizeof(path), "%s/%s", dir, captures[i].file);
        f = fopen(path, "rb");
        if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) <= 0
            || fseek(f, 0, SEEK_SET) != 0
            || (captures[i].bytes = malloc((size_t)n)) == NULL
            || fread(captures[i].bytes, 1, (size_t)n, f) != (size_t)n) {
            perror(path);
            exit(2);
        }
        captures[i].len = (size_t)n;
        fclose(f);
    }
}

static void free_captures(void)
{
    size_t i;

    for (i = 0; i < NCAPTURES; i++) {
        free(captures[i].bytes);
    }
}

/* ---- byte buffers and the builders of hand-made hellos ---- */

#define BYTES_CAP 200000

typedef struct {
    unsigned char *b;
    size_t n;
} bytes_t;

static void bytes_init(bytes_t *o)
{
    o->b = malloc(BYTES_CAP);
    o->n = 0;
    if (o->b == NULL) {
        perror("malloc");
        exit(2);
    }
}

static void bytes_free(bytes_t *o)
{
    free(o->b);
    o->b = NULL;
}

static void put(bytes_t *o, const void *p, size_t n)
{
    if (o->n + n > BYTES_CAP) {
        fprintf(stderr, "test_hello: a built input is too large\n");
        exit(2);
    }
    if (n > 0) {
        memcpy(o->b + o->n, p, n);
    }
    o->n += n;
}

static void put8(bytes_t *o, unsigned int v)
{
    unsigned char c = (unsigned char)v;

    put(o, &c, 1);
}

static void put16(bytes_t *o, unsigned int v)
{
    put8(o, v >> 8);
    put8(o, v);
}

static void put24(bytes_t *o, unsigned long v)
{
    put8(o, (unsigned int)(v >> 16));
    put16(o, (unsigned int)(v & 0xffff));
}

/* One extension: type, then its data with a 2-byte length. */
static void put_ext(bytes_t *o, unsigned int type, const void *p, size_t n)
{
    put16(o, type);
    put16(o, (unsigned int)n);
    put(o, p, n);
}

/* A well-formed server_name extension naming name[0..n). */
static void put_sni(bytes_t *o, const char *name, size_t n)
{
    put16(o, 0);
    put16(o, (unsigned int)(n + 5));
    put16(o, (unsigned int)(n + 3));
    put8(o, 0);
    put16(o, (unsigned int)n);
    put(o, name, n);
}

/* What a ClientHello is made of; spec_default() gives a sane one. */
typedef struct {
    unsigned int hs_type;
    long msg_delta;             /* added to the message length field    */
    unsigned long msg_len;      /* if not 0, the message length field   */
    unsigned int version;       /* legacy_version                       */
    size_t sid_len;
    const char *ciphers;
    size_t ciphers_len;
    const char *comp;
    size_t comp_len;
    int no_block;               /* no extensions block at all           */
    long block_delta;           /* added to the block's length field    */
    const bytes_t *exts;        /* the block's contents                 */
    const char *trailer;        /* bytes after the block, in the message */
    size_t trailer_len;
} spec_t;

/* GREASE (RFC 8701) first, as browsers send it. */
static const char default_ciphers[] = "\x5a\x5a\x13\x01\x13\x02\x13\x03"
                                      "\xc0\x2b\xc0\x2f\x00\xff";

static void spec_default(spec_t *s, const bytes_t *exts)
{
    memset(s, 0, sizeof(*s));
    s->hs_type = 1;
    s->version = 0x0303;
    s->sid_len = 32;
    s->ciphers = default_ciphers;
    s->ciphers_len = sizeof(default_ciphers) - 1;
    s->comp = "\x00";
    s->comp_len = 1;
    s->exts = exts;
}

/* The handshake message (header and body) that s describes. */
static void build_message(const spec_t *s, bytes_t *m)
{
    size_t body, i;

    body = 2 + 32 + 1 + s->sid_len + 2 + s->ciphers_len + 1 + s->comp_len
           + (s->no_block ? 0 : 2 + s->exts->n) + s->trailer_len;
    m->n = 0;
    put8(m, s->hs_type);
    put24(m, s->msg_len ? s->msg_len
                        : (unsigned long)((long)body + s->msg_delta));
    put16(m, s->version);
    for (i = 0; i < 32; i++) {
        put8(m, 0x40 + i);                      /* random */
    }
    put8(m, (unsigned int)s->sid_len);
    for (i = 0; i < s->sid_len; i++) {
        put8(m, 0x90 + i);
    }
    put16(m, (unsigned int)s->ciphers_len);
    put(m, s->ciphers, s->ciphers_len);
    put8(m, (unsigned int)s->comp_len);
    put(m, s->comp, s->comp_len);
    if (!s->no_block) {
        put16(m, (unsigned int)((long)s->exts->n + s->block_delta));
        put(m, s->exts->b, s->exts->n);
    }
    put(m, s->trailer, s->trailer_len);
}

/* Frame the handshake bytes m into handshake records whose payload sizes
 * are sizes[0], sizes[1], ... (cycled; 0 means as large as allowed);
 * the first record carries version v1, the others vrest. */
static void frame(const bytes_t *m, bytes_t *o, const size_t *sizes,
                  size_t nsizes, unsigned int v1, unsigned int vrest)
{
    size_t off = 0, k = 0;

    o->n = 0;
    while (off < m->n) {
        size_t n = sizes[k % nsizes] ? sizes[k % nsizes] : 16384;

        if (n > m->n - off) {
            n = m->n - off;
        }
        put8(o, 22);
        put16(o, k == 0 ? v1 : vrest);
        put16(o, (unsigned int)n);
        put(o, m->b + off, n);
        off += n;
        k++;
    }
}

static void frame_one(const bytes_t *m, bytes_t *o)
{
    static const size_t whole[] = { 0 };

    frame(m, o, whole, 1, 0x0301, 0x0303);
}

/* The handshake bytes carried by the records in r[0..n). */
static void unframe(const unsigned char *r, size_t n, bytes_t *m)
{
    size_t off = 0;

    m->n = 0;
    while (off + 5 <= n) {
        size_t len = ((size_t)r[off + 3] << 8) | r[off + 4];

        put(m, r + off + 5, len);
        off += 5 + len;
    }
}

/* A deterministic generator of record sizes (1 to 40 bytes). */
static void random_sizes(size_t *sizes, size_t n, unsigned long seed)
{
    size_t i;

    for (i = 0; i < n; i++) {
        seed = seed * 1103515245UL + 12345UL;
        sizes[i] = 1 + (size_t)((seed >> 16) % 40);
    }
}

/* ---- running the parser ---- */

static const char *result_name(hello_result_e r)
{
    switch (r) {
    case HELLO_MORE:    return "MORE";
    case HELLO_SNI:     return "SNI";
    case HELLO_NO_SNI:  return "NO_SNI";
    case HELLO_NOT_TLS: return "NOT_TLS";
    case HELLO_BAD:     return "BAD";
    }
    return "?";
}

/* Parse a copy of s[0..len) in an exactly-sized heap buffer; check what
 * holds for every answer. */
static hello_result_e parse_at(const char *file, int line, const void *s,
                               size_t len, size_t max, hello_t *h)
{
    unsigned char *buf = malloc(len ? len : 1);
    hello_result_e r;

    if (buf == NULL) {
        perror("malloc");
        exit(2);
    }
    if (len > 0) {
        memcpy(buf, s, len);
    }
    memset(h, 0xa5, sizeof(*h));        /* the parser must reset it */
    r = peruid_hello_parse(buf, len, max, h);
    free(buf);
    CHECK_AT(file, line, r >= HELLO_MORE && r <= HELLO_BAD);
    CHECK_AT(file, line, h->name_len < HELLO_NAME_SIZE
                         && h->name[h->name_len] == '\0'
                         && strlen(h->name) == h->name_len);
    CHECK_AT(file, line, (r == HELLO_SNI) == (h->name_len > 0));
    CHECK_AT(file, line, (r == HELLO_BAD || r == HELLO_NOT_TLS)
                         == (h->reason != NULL));
    if (r == HELLO_MORE) {
        CHECK_AT(file, line, len < max);
    }
    return r;
}

/* Expect answer want (and name, for HELLO_SNI). */
static void expect_at(const char *file, int line, const char *what,
                      const void *s, size_t len, size_t max,
                      hello_result_e want, const char *name)
{
    hello_t h;
    hello_result_e r = parse_at(file, line, s, len, max, &h);
    int ok = r == want && (want != HELLO_SNI || strcmp(h.name, name) == 0);

    CHECK_AT(file, line, ok);
    if (!ok) {
        fprintf(stderr, "    %s (len %zu, max %zu): got %s \"%s\" (%s), "
                "want %s \"%s\"\n", what, len, max, result_name(r), h.name,
                h.reason ? h.reason : "-", result_name(want),
                name ? name : "");
    }
}

static void expect_big(const char *file, int line, const char *what,
                       const void *s, size_t len, hello_result_e want,
                       const char *name)
{
    expect_at(file, line, what, s, len, BIG, want, name);
}

/* EXPECT(what, s, len, want, name); S(lit) may stand for s, len. */
#define EXPECT(what, ...) expect_big(__FILE__, __LINE__, (what), __VA_ARGS__)

/* Every proper prefix of a valid hello gives HELLO_MORE under a far
 * bound, and HELLO_BAD when the bound is its own length; the whole gives
 * the answer, also with the bound at its length, and bytes after it
 * change nothing. */
static void sweep_at(const char *file, int line, const char *what,
                     const unsigned char *s, size_t len,
                     hello_result_e want, const char *name)
{
    size_t k, fails = 0;
    hello_t h;
    bytes_t more;

    for (k = 0; k < len; k++) {
        hello_result_e r = parse_at(file, line, s, k, BIG, &h);
        hello_result_e rb = parse_at(file, line, s, k, k, &h);

        if (r != HELLO_MORE || rb != HELLO_BAD) {
            if (fails++ == 0) {
                fprintf(stderr, "    %s: prefix %zu of %zu gives %s, "
                        "bounded %s\n", what, k, len, result_name(r),
                        result_name(rb));
            }
        }
    }
    CHECK_AT(file, line, fails == 0);
    expect_at(file, line, what, s, len, BIG, want, name);
    expect_at(file, line, what, s, len, len, want, name);
    bytes_init(&more);
    put(&more, s, len);
    put(&more, S("\x14\x03\x03\x00\x01\x01\x17\x03\x03\x00\x05junk!"));
    expect_at(file, line, what, more.b, more.n, BIG, want, name);
    bytes_free(&more);
}

#define SWEEP(what, s, len, want, name) \
    sweep_at(__FILE__, __LINE__, (what), (s), (len), (want), (name))

/* The handshake bytes m, re-split over 1-byte, 5-byte, 1-then-rest and
 * random-size records (and with each record version real clients use),
 * give the same answer. */
static void resplit_at(const char *file, int line, const char *what,
                       const bytes_t *m, hello_result_e want,
                       const char *name, int sweep)
{
    static const size_t one[] = { 1 }, five[] = { 5 }, head[] = { 1, 0 };
    size_t rnd[64];
    bytes_t o;
    unsigned long seed;

    bytes_init(&o);
    frame(m, &o, one, 1, 0x0301, 0x0303);
    expect_at(file, line, what, o.b, o.n, BIG, want, name);
    if (sweep) {
        sweep_at(file, line, what, o.b, o.n, want, name);
    }
    frame(m, &o, five, 1, 0x0300, 0x0301);
    expect_at(file, line, what, o.b, o.n, BIG, want, name);
    if (sweep) {
        sweep_at(file, line, what, o.b, o.n, want, name);
    }
    frame(m, &o, head, 2, 0x0303, 0x0302);
    expect_at(file, line, what, o.b, o.n, BIG, want, name);
    for (seed = 1; seed <= 20; seed++) {
        random_sizes(rnd, 64, seed);
        frame(m, &o, rnd, 64, 0x0301, 0x0303);
        expect_at(file, line, what, o.b, o.n, BIG, want, name);
    }
    random_sizes(rnd, 64, 99);
    frame(m, &o, rnd, 64, 0x0301, 0x0303);
    if (sweep) {
        sweep_at(file, line, what, o.b, o.n, want, name);
    }
    bytes_free(&o);
}

#define RESPLIT(what, m, want, name, sweep) \
    resplit_at(__FILE__, __LINE__, (what), (m), (want), (name), (sweep))

/* ---- the tests ---- */

static void test_captures(void)
{
    size_t i;
    bytes_t m;

    bytes_init(&m);
    for (i = 0; i < NCAPTURES; i++) {
        /* each capture is exactly one record */
        CHECK(captures[i].len == 5 + (((size_t)captures[i].bytes[3] << 8)
                                      | captures[i].bytes[4]));
        SWEEP(captures[i].what, captures[i].bytes, captures[i].len,
              captures[i].want, captures[i].name);
        unframe(captures[i].bytes, captures[i].len, &m);
        RESPLIT(captures[i].what, &m, captures[i].want, captures[i].name,
                i < 2);
    }
    bytes_free(&m);
}

static void test_not_tls(void)
{
    static const struct {
        const char *s;
        size_t n;
        hello_result_e want;
    } rows[] = {
        { S(""), HELLO_MORE },
        { S("G"), HELLO_NOT_TLS },          /* decided on the first byte */
        { S("GET / HTTP/1.1\r\nHost: a.test\r\n\r\n"), HELLO_NOT_TLS },
        { S("POST /"), HELLO_NOT_TLS },
        { S("CONNECT a.test:443 HTTP/1.1\r\n"), HELLO_NOT_TLS },
        { S("PRI * HTTP/2.0\r\n"), HELLO_NOT_TLS },
        { S("\r\n"), HELLO_NOT_TLS },
        { S("\x00"), HELLO_NOT_TLS },
        { S("\x14\x03\x03\x00\x01\x01"), HELLO_NOT_TLS },  /* CCS    */
        { S("\x15\x03\x03\x00\x02\x02\x28"), HELLO_NOT_TLS }, /* alert */
        { S("\x17\x03\x03\x00\x01x"), HELLO_NOT_TLS },     /* data   */
        { S("\x16"), HELLO_MORE },
        { S("\x16\x02"), HELLO_NOT_TLS },   /* then on the second byte */
        { S("\x16\x04\x00"), HELLO_NOT_TLS },
        { S("\x16\x00"), HELLO_NOT_TLS },
        { S("\x16\x16\x03\x01"), HELLO_NOT_TLS },
        { S("\x16\x03"), HELLO_MORE },
        { S("\x16\x03\x01"), HELLO_MORE },
        { S("\x16\x03\x01\x00"), HELLO_MORE },
        { S("\x16\x03\x01\x00\x30"), HELLO_MORE },
        { S("\x16\x03\x01\x00\x30\x01"), HELLO_MORE },
        { S("\x80"), HELLO_MORE },          /* SSLv2 form: third byte */
        { S("\x80\x2e"), HELLO_MORE },
        { S("\x80\x2e\x02"), HELLO_NOT_TLS },
        { S("\xff\xff\x00"), HELLO_NOT_TLS },
        { S("\x81\x00\x16\x03\x01"), HELLO_NOT_TLS },
    };
    size_t i;

    for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        char what[32];

        snprintf(what, sizeof(what), "not_tls row %zu", i);
        EXPECT(what, rows[i].s, rows[i].n, rows[i].want, NULL);
    }
}

/* An SSLv2-compatible ClientHello: 2-byte header with the high bit, type
 * 1, version, the three lengths, then cipher specs, session id and
 * challenge. */
static void build_v2(bytes_t *o, unsigned int version, size_t ciphers,
                     size_t sid, size_t challenge, long len_delta)
{
    size_t i, rlen = 9 + ciphers + sid + challenge;

    o->n = 0;
    put16(o, (unsigned int)(0x8000 | (size_t)((long)rlen + len_delta)));
    put8(o, 1);
    put16(o, version);
    put16(o, (unsigned int)ciphers);
    put16(o, (unsigned int)sid);
    put16(o, (unsigned int)challenge);
    for (i = 0; i < ciphers + sid + challenge; i++) {
        put8(o, i % 3 == 0 ? 0 : 0x2f + i);
    }
}

static void test_sslv2(void)
{
    static const struct {
        const char *what;
        unsigned int version;
        size_t ciphers, sid, challenge;
        long len_delta;
        hello_result_e want;
    } rows[] = {
        { "v2 hello, TLS 1.0", 0x0301, 3 * 12, 0, 16, 0, HELLO_NO_SNI },
        { "v2 hello, TLS 1.2", 0x0303, 3 * 2, 16, 32, 0, HELLO_NO_SNI },
        { "v2 hello, session id 32", 0x0301, 3, 32, 16, 0, HELLO_NO_SNI },
        { "v2 hello, no challenge", 0x0301, 3, 0, 0, 0, HELLO_NO_SNI },
        { "v2 hello, real SSLv2", 0x0002, 3, 0, 16, 0, HELLO_BAD },
        { "v2 hello, SSLv3", 0x0300, 3, 0, 16, 0, HELLO_BAD },
        { "v2 hello, version 4.1", 0x0401, 3, 0, 16, 0, HELLO_BAD },
        { "v2 hello, no cipher", 0x0301, 0, 0, 16, 0, HELLO_BAD },
        { "v2 hello, cipher of 4", 0x0301, 4, 0, 16, 0, HELLO_BAD },
        { "v2 hello, session id 33", 0x0301, 3, 33, 16, 0, HELLO_BAD },
        { "v2 hello, record 1 longer", 0x0301, 3, 0, 16, 1, HELLO_BAD },
        { "v2 hello, record 1 shorter", 0x0301, 3, 0, 16, -1, HELLO_BAD },
    };
    size_t i;
    bytes_t o;

    bytes_init(&o);
    for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        build_v2(&o, rows[i].version, rows[i].ciphers, rows[i].sid,
                 rows[i].challenge, rows[i].len_delta);
        if (rows[i].want == HELLO_NO_SNI) {
            SWEEP(rows[i].what, o.b, o.n, HELLO_NO_SNI, NULL);
        }
        else {
            EXPECT(rows[i].what, o.b, o.n, rows[i].want, NULL);
        }
    }
    /* a record shorter than the fixed fields (MIN_SSL2_RECORD_LEN) */
    EXPECT("v2 record of 8", S("\x80\x08\x01\x03\x01\x00\x03\x00"),
           HELLO_BAD, NULL);
    EXPECT("v2 record of 8, 3 bytes in", S("\x80\x08\x01"), HELLO_BAD,
           NULL);
    bytes_free(&o);
}

/* The extensions a TLS 1.3 browser sends around the SNI, GREASE included:
 * name NULL for none. */
static void default_exts(bytes_t *e, const char *name)
{
    e->n = 0;
    put_ext(e, 0x1a1a, S(""));                              /* GREASE */
    if (name) {
        put_sni(e, name, strlen(name));
    }
    put_ext(e, 23, S(""));                                  /* EMS */
    put_ext(e, 0xff01, S("\x00"));                          /* reneg */
    put_ext(e, 10, S("\x00\x06\x2a\x2a\x00\x1d\x00\x17"));  /* groups */
    put_ext(e, 11, S("\x01\x00"));                          /* points */
    put_ext(e, 16, S("\x00\x09\x08http/1.1"));             /* ALPN */
    put_ext(e, 13, S("\x00\x04\x04\x03\x08\x04"));          /* sigalgs */
    put_ext(e, 51, S("\x00\x24\x00\x1d\x00\x20"
                   "0123456789abcdef0123456789abcdef")); /* key_share */
    put_ext(e, 45, S("\x01\x01"));                          /* psk modes */
    put_ext(e, 43, S("\x04\x7a\x7a\x03\x04"));              /* versions */
    put_ext(e, 0x7777, S("unknown"));                       /* unknown */
    put_ext(e, 0xdada, S("\x00"));                          /* GREASE */
}

static void test_built(void)
{
    spec_t s;
    bytes_t e, m, o;

    bytes_init(&e);
    bytes_init(&m);
    bytes_init(&o);
    default_exts(&e, "built.a.test");
    spec_default(&s, &e);
    build_message(&s, &m);
    frame_one(&m, &o);
    SWEEP("built", o.b, o.n, HELLO_SNI, "built.a.test");
    RESPLIT("built", &m, HELLO_SNI, "built.a.test", 1);

    default_exts(&e, NULL);
    build_message(&s, &m);
    RESPLIT("built, no SNI", &m, HELLO_NO_SNI, NULL, 0);

    /* no extensions block at all (as SSLv3-era clients send) */
    s.no_block = 1;
    build_message(&s, &m);
    frame_one(&m, &o);
    SWEEP("no extensions block", o.b, o.n, HELLO_NO_SNI, NULL);
    RESPLIT("no extensions block", &m, HELLO_NO_SNI, NULL, 0);

    /* an empty extensions block */
    s.no_block = 0;
    e.n = 0;
    build_message(&s, &m);
    frame_one(&m, &o);
    SWEEP("empty extensions block", o.b, o.n, HELLO_NO_SNI, NULL);

    /* the SNI alone, first, and last */
    put_sni(&e, S("only.a.test"));
    build_message(&s, &m);
    RESPLIT("SNI alone", &m, HELLO_SNI, "only.a.test", 0);
    put_ext(&e, 0x0a0a, S(""));
    put_ext(&e, 0xfafa, S("\x00"));
    build_message(&s, &m);
    RESPLIT("SNI first", &m, HELLO_SNI, "only.a.test", 0);
    default_exts(&e, NULL);
    put_sni(&e, S("last.a.test"));
    build_message(&s, &m);
    RESPLIT("SNI last", &m, HELLO_SNI, "last.a.test", 0);
    bytes_free(&e);
    bytes_free(&m);
    bytes_free(&o);
}

/* A hello like a browser's with X25519MLKEM768: a 1216-byte share, and
 * a GREASE one, as two records from 1800 bytes on. */
static void test_post_quantum(void)
{
    spec_t s;
    bytes_t e, ks, m, o;
    size_t i;
    unsigned char ech[250];
    static const size_t two[] = { 1200, 0 };

    bytes_init(&e);
    bytes_init(&ks);
    bytes_init(&m);
    bytes_init(&o);
    put16(&ks, 5 + 4 + 1216 + 4 + 32);
    put16(&ks, 0x4a4a);                             /* GREASE share */
    put16(&ks, 1);
    put8(&ks, 0);
    put16(&ks, 0x11ec);                             /* X25519MLKEM768 */
    put16(&ks, 1216);
    for (i = 0; i < 1216; i++) {
        put8(&ks, (unsigned int)(i * 7));
    }
    put16(&ks, 0x001d);
    put16(&ks, 32);
    for (i = 0; i < 32; i++) {
        put8(&ks, (unsigned int)i);
    }
    put_ext(&e, 0x2a2a, S(""));
    put_ext(&e, 10, S("\x00\x08\x4a\x4a\x11\xec\x00\x1d\x00\x17"));
    put_ext(&e, 51, ks.b, ks.n);
    put_sni(&e, S("pq.a.test"));
    put_ext(&e, 43, S("\x04\x3a\x3a\x03\x04"));
    put_ext(&e, 0x44cd, S("\x00\x03\x02h2"));       /* ALPS, unknown */
    memset(ech, 0xec, sizeof(ech));                 /* GREASE ECH */
    put_ext(&e, 0xfe0d, ech, sizeof(ech));
    put_ext(&e, 0x3a3a, S("\x00"));
    spec_default(&s, &e);
    build_message(&s, &m);
    CHECK(m.n > 1500);
    frame_one(&m, &o);
    SWEEP("post-quantum", o.b, o.n, HELLO_SNI, "pq.a.test");
    frame(&m, &o, two, 2, 0x0301, 0x0303);
    SWEEP("post-quantum, 2 records", o.b, o.n, HELLO_SNI, "pq.a.test");
    RESPLIT("post-quantum", &m, HELLO_SNI, "pq.a.test", 1);

    /* a bound below its size: too large, at the bound */
    frame_one(&m, &o);
    expect_at(__FILE__, __LINE__, "pq, max 1024", o.b, 1023, 1024,
              HELLO_MORE, NULL);
    expect_at(__FILE__, __LINE__, "pq, max 1024", o.b, 1024, 1024,
              HELLO_BAD, NULL);
    expect_at(__FILE__, __LINE__, "pq, max 1024", o.b, o.n, 1024,
              HELLO_SNI, "pq.a.test");      /* an answer still wins */
    bytes_free(&e);
    bytes_free(&ks);
    bytes_free(&m);
    bytes_free(&o);
}

/* Build the default hello with s changed by the row, frame it as one
 * record and 7-byte records, and expect want of both. */
static void expect_spec_at(const char *file, int line, const char *what,
                           const spec_t *s, hello_result_e want,
                           const char *name)
{
    static const size_t seven[] = { 7 };
    bytes_t m, o;

    bytes_init(&m);
    bytes_init(&o);
    build_message(s, &m);
    frame_one(&m, &o);
    expect_at(file, line, what, o.b, o.n, BIG, want, name);
    frame(&m, &o, seven, 1, 0x0301, 0x0303);
    expect_at(file, line, what, o.b, o.n, BIG, want, name);
    bytes_free(&m);
    bytes_free(&o);
}

enum { F_NONE, F_HS_TYPE, F_MSG_DELTA, F_MSG_LEN, F_VERSION, F_SID, F_NO_BLOCK,
       F_BLOCK_DELTA, F_TRAILER };

static void test_body(void)
{
    static const struct {
        const char *what;
        int field;
        long value;
        const char *ciphers;        /* NULL: the default ones */
        size_t ciphers_len;
        const char *comp;           /* NULL: null only */
        size_t comp_len;
        hello_result_e want;
    } rows[] = {
        { "default", F_NONE, 0, NULL, 0, NULL, 0, HELLO_SNI },
        { "ServerHello type", F_HS_TYPE, 2, NULL, 0, NULL, 0, HELLO_BAD },
        { "HelloRequest type", F_HS_TYPE, 0, NULL, 0, NULL, 0, HELLO_BAD },
        { "message 1 short", F_MSG_DELTA, -1, NULL, 0, NULL, 0, HELLO_BAD },
        { "message 1 long", F_MSG_DELTA, 1, NULL, 0, NULL, 0, HELLO_BAD },
        { "message of 1", F_MSG_LEN, 1, NULL, 0, NULL, 0, HELLO_BAD },
        { "message within the random", F_MSG_LEN, 22, NULL, 0, NULL, 0,
          HELLO_BAD },
        { "message within the session id", F_MSG_LEN, 40, NULL, 0, NULL,
          0, HELLO_BAD },
        { "message within the ciphers", F_MSG_LEN, 70, NULL, 0, NULL, 0,
          HELLO_BAD },
        { "message ends before extensions", F_MSG_LEN, 2 + 32 + 33 + 2 + 14
          + 2, NULL, 0, NULL, 0, HELLO_NO_SNI },
        { "message ends inside the block's length", F_MSG_LEN, 2 + 32 + 33
          + 2 + 14 + 2 + 1, NULL, 0, NULL, 0, HELLO_BAD },
        { "version TLS 1.0", F_VERSION, 0x0301, NULL, 0, NULL, 0,
          HELLO_SNI },
        { "version TLS 1.1", F_VERSION, 0x0302, NULL, 0, NULL, 0,
          HELLO_SNI },
        { "version 3.4 (higher)", F_VERSION, 0x0304, NULL, 0, NULL, 0,
          HELLO_SNI },
        { "version SSLv3", F_VERSION, 0x0300, NULL, 0, NULL, 0, HELLO_BAD },
        { "version SSLv2", F_VERSION, 0x0002, NULL, 0, NULL, 0, HELLO_BAD },
        { "no session id", F_SID, 0, NULL, 0, NULL, 0, HELLO_SNI },
        { "session id 33", F_SID, 33, NULL, 0, NULL, 0, HELLO_BAD },
        { "block 1 short", F_BLOCK_DELTA, -1, NULL, 0, NULL, 0, HELLO_BAD },
        { "block 1 long", F_BLOCK_DELTA, 1, NULL, 0, NULL, 0, HELLO_BAD },
        { "block 3 short", F_BLOCK_DELTA, -3, NULL, 0, NULL, 0, HELLO_BAD },
        { "byte after block", F_TRAILER, 1, NULL, 0, NULL, 0, HELLO_BAD },
        { "one GREASE cipher", F_NONE, 0, S("\xda\xda"), NULL, 0,
          HELLO_SNI },
        { "no cipher", F_NONE, 0, S(""), NULL, 0, HELLO_BAD },
        { "odd cipher list", F_NONE, 0, S("\x13\x01\x13"), NULL, 0,
          HELLO_BAD },
        { "compression deflate, null", F_NONE, 0, NULL, 0, S("\x01\x00"),
          HELLO_SNI },
        { "compression deflate only", F_NONE, 0, NULL, 0, S("\x01"),
          HELLO_BAD },
        { "no compression method", F_NONE, 0, NULL, 0, S(""), HELLO_BAD },
    };
    size_t i;
    bytes_t e;
    spec_t s;

    bytes_init(&e);
    default_exts(&e, "body.a.test");
    for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        spec_default(&s, &e);
        switch (rows[i].field) {
        case F_HS_TYPE:     s.hs_type = (unsigned int)rows[i].value; break;
        case F_MSG_DELTA:   s.msg_delta = rows[i].value; break;
        case F_MSG_LEN:     s.msg_len = (unsigned long)rows[i].value; break;
        case F_VERSION:     s.version = (unsigned int)rows[i].value; break;
        case F_SID:         s.sid_len = (size_t)rows[i].value; break;
        case F_NO_BLOCK:    s.no_block = 1; break;
        case F_BLOCK_DELTA: s.block_delta = rows[i].value; break;
        case F_TRAILER:     s.trailer = "\0\0\0\0";
                            s.trailer_len = (size_t)rows[i].value; break;
        }
        if (rows[i].ciphers) {
            s.ciphers = rows[i].ciphers;
            s.ciphers_len = rows[i].ciphers_len;
        }
        if (rows[i].comp) {
            s.comp = rows[i].comp;
            s.comp_len = rows[i].comp_len;
        }
        expect_spec_at(__FILE__, __LINE__, rows[i].what, &s, rows[i].want,
                       "body.a.test");
    }
    bytes_free(&e);
}

/* An extension of a row: EXT_SNI builds a good server_name of data. */
#define EXT_SNI 0x10000u

typedef struct {
    unsigned int type;
    const char *data;           /* NULL ends the list */
    size_t len;
} ext_t;

static void test_extensions(void)
{
    static const struct {
        const char *what;
        ext_t ext[6];
        hello_result_e want;
        const char *name;
    } rows[] = {
        { "GREASE around SNI", { { 0x0a0a, S("") }, { EXT_SNI, S("g.test") },
          { 0xfafa, S("\x00") } }, HELLO_SNI, "g.test" },
        { "GREASE twice (unknown may repeat)", { { 0x0a0a, S("") },
          { 0x0a0a, S("") }, { EXT_SNI, S("g.test") } }, HELLO_SNI,
          "g.test" },
        { "unknown twice", { { 0x7777, S("x") }, { EXT_SNI, S("u.test") },
          { 0x7777, S("y") } }, HELLO_SNI, "u.test" },
        { "unknown only", { { 0x7777, S("x") }, { 0xfe0d, S("ech") } },
          HELLO_NO_SNI, NULL },
        { "server_name twice", { { EXT_SNI, S("a.test") },
          { EXT_SNI, S("a.test") } }, HELLO_BAD, NULL },
        { "server_name twice, far apart", { { EXT_SNI, S("a.test") },
          { 10, S("\x00\x02\x00\x1d") }, { EXT_SNI, S("b.test") } },
          HELLO_BAD, NULL },
        { "supported_groups twice", { { 10, S("\x00\x02\x00\x1d") },
          { EXT_SNI, S("a.test") }, { 10, S("\x00\x02\x00\x17") } },
          HELLO_BAD, NULL },
        { "key_share twice, no SNI", { { 51, S("\x00\x00") },
          { 51, S("\x00\x00") } }, HELLO_BAD, NULL },
        { "renegotiate twice", { { 0xff01, S("\x00") },
          { 0xff01, S("\x00") } }, HELLO_BAD, NULL },
        { "padding twice", { { 21, S("\0\0") }, { 21, S("") } }, HELLO_BAD,
          NULL },
        { "use_srtp (DTLS only)", { { EXT_SNI, S("a.test") },
          { 14, S("\x00\x02\x00\x01\x00") } }, HELLO_BAD, NULL },
        { "psk last", { { EXT_SNI, S("p.test") }, { 41, S("psk") } },
          HELLO_SNI, "p.test" },
        { "psk not last", { { 41, S("psk") }, { EXT_SNI, S("p.test") } },
          HELLO_BAD, NULL },
        { "psk, then GREASE", { { EXT_SNI, S("p.test") }, { 41, S("psk") },
          { 0x0a0a, S("") } }, HELLO_BAD, NULL },
        { "server_name empty", { { 0, S("") } }, HELLO_BAD, NULL },
        { "server_name list of 1", { { 0, S("\x00") } }, HELLO_BAD, NULL },
        { "server_name empty list", { { 0, S("\x00\x00") } }, HELLO_BAD,
          NULL },
        { "server_name list short", { { 0, S("\x00\x08\x00\x00\x06"
          "a.test") } }, HELLO_BAD, NULL },
        { "server_name list long", { { 0, S("\x00\x0a\x00\x00\x06"
          "a.test") } }, HELLO_BAD, NULL },
        { "server_name list past ext", { { 0, S("\x00\x10\x00\x00\x06"
          "a.test") }, { 0x7777, S("1234567") } }, HELLO_BAD, NULL },
        { "server_name right", { { 0, S("\x00\x09\x00\x00\x06"
          "a.test") } }, HELLO_SNI, "a.test" },
        { "name type 1 first", { { 0, S("\x00\x09\x01\x00\x06"
          "a.test") } }, HELLO_BAD, NULL },
        { "host_name, then type 1", { { 0, S("\x00\x12\x00\x00\x06"
          "a.test\x01\x00\x06" "b.test") } }, HELLO_BAD, NULL },
        { "host_name twice in the list", { { 0, S("\x00\x12\x00\x00\x06"
          "a.test\x00\x00\x06" "b.test") } }, HELLO_BAD, NULL },
        { "server_name, then an extension's worth", { { 0, S("\x00\x09"
          "\x00\x00\x06" "a.test\x7a\x7a\x00\x00") } }, HELLO_BAD, NULL },
        { "host_name, then an extension's worth in the list", { { 0,
          S("\x00\x0d\x00\x00\x06" "a.test\x7a\x7a\x00\x00") } },
          HELLO_BAD, NULL },
        { "host_name, then a byte", { { 0, S("\x00\x0a\x00\x00\x06"
          "a.test\x00") } }, HELLO_BAD, NULL },
        { "host_name length short", { { 0, S("\x00\x09\x00\x00\x05"
          "a.test") } }, HELLO_BAD, NULL },
        { "host_name length long", { { 0, S("\x00\x09\x00\x00\x07"
          "a.test") } }, HELLO_BAD, NULL },
        { "host_name length cut", { { 0, S("\x00\x02\x00\x00") } },
          HELLO_BAD, NULL },
        { "server_name type cut", { { 0, S("\x00\x01\x00") } },
          HELLO_BAD, NULL },
        { "extension header cut", { { EXT_SNI, S("a.test") },
          { 0x0001, NULL, 0 } }, HELLO_SNI, "a.test" },
    };
    size_t i, j;
    bytes_t e;
    spec_t s;

    bytes_init(&e);
    for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        e.n = 0;
        for (j = 0; j < 6 && rows[i].ext[j].data != NULL; j++) {
            if (rows[i].ext[j].type == EXT_SNI) {
                put_sni(&e, rows[i].ext[j].data, rows[i].ext[j].len);
            }
            else {
                put_ext(&e, rows[i].ext[j].type, rows[i].ext[j].data,
                        rows[i].ext[j].len);
            }
        }
        spec_default(&s, &e);
        expect_spec_at(__FILE__, __LINE__, rows[i].what, &s, rows[i].want,
                       rows[i].name);
    }

    /* 1 to 3 bytes left in the block: not an extension header */
    for (i = 1; i <= 3; i++) {
        e.n = 0;
        put_sni(&e, S("a.test"));
        put(&e, "\x7f\x7f\x7f", i);
        spec_default(&s, &e);
        expect_spec_at(__FILE__, __LINE__, "extension header cut", &s,
                       HELLO_BAD, NULL);
    }
    /* an extension longer than the block */
    e.n = 0;
    put_sni(&e, S("a.test"));
    put(&e, S("\x7f\x7f\x00\x05" "abcd"));
    spec_default(&s, &e);
    expect_spec_at(__FILE__, __LINE__, "extension past the block", &s,
                   HELLO_BAD, NULL);
    bytes_free(&e);
}

static void test_names(void)
{
    static const struct {
        const char *s;
        size_t n;
        hello_result_e want;
    } rows[] = {
        { S("a"), HELLO_SNI },
        { S("WwW.ExAmPle.TEST"), HELLO_SNI },   /* as sent, no folding */
        { S("xn--bcher-kva.example"), HELLO_SNI },
        { S("under_score.a-b.test"), HELLO_SNI },
        { S("fqdn.a.test."), HELLO_SNI },
        { S("127.0.0.1"), HELLO_SNI },
        { S("0123456789-_."), HELLO_SNI },
        { S(""), HELLO_BAD },
        { S("a\0b"), HELLO_BAD },               /* OpenSSL refuses NUL */
        { S("a.test\0"), HELLO_BAD },
        { S("\0"), HELLO_BAD },
        { S("a b"), HELLO_BAD },
        { S("a/b"), HELLO_BAD },
        { S("a\\b"), HELLO_BAD },
        { S("a:443"), HELLO_BAD },
        { S("::1"), HELLO_BAD },
        { S("a%0a"), HELLO_BAD },
        { S("a\"b"), HELLO_BAD },
        { S("a'b"), HELLO_BAD },
        { S("a*b"), HELLO_BAD },
        { S("*.a.test"), HELLO_BAD },
        { S("a@b"), HELLO_BAD },
        { S("a\tb"), HELLO_BAD },
        { S("a\r\nb"), HELLO_BAD },
        { S("a\nb"), HELLO_BAD },
        { S("\x1b[31ma"), HELLO_BAD },
        { S("a\x7f"), HELLO_BAD },
        { S("a\x80"), HELLO_BAD },
        { S("caf\xc3\xa9.test"), HELLO_BAD },
        { S("a\xff"), HELLO_BAD },
        { S("."), HELLO_BAD },
        { S(".."), HELLO_BAD },
        { S(".a.test"), HELLO_BAD },
        { S("a..test"), HELLO_BAD },
        { S("a.test.."), HELLO_BAD },
        { S("../etc"), HELLO_BAD },
    };
    size_t i;
    char name[300];
    bytes_t e;
    spec_t s;

    bytes_init(&e);
    for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        char what[64];

        default_exts(&e, NULL);
        put_sni(&e, rows[i].s, rows[i].n);
        spec_default(&s, &e);
        snprintf(what, sizeof(what), "name row %zu", i);
        expect_spec_at(__FILE__, __LINE__, what, &s, rows[i].want,
                       rows[i].s);
    }
    /* 255 bytes is the longest; 256 is refused */
    memset(name, 'n', sizeof(name));
    name[255] = '\0';
    e.n = 0;
    put_sni(&e, name, 255);
    spec_default(&s, &e);
    expect_spec_at(__FILE__, __LINE__, "name of 255", &s, HELLO_SNI, name);
    e.n = 0;
    put_sni(&e, name, 256);
    spec_default(&s, &e);
    expect_spec_at(__FILE__, __LINE__, "name of 256", &s, HELLO_BAD, NULL);
    e.n = 0;
    put_sni(&e, name, sizeof(name));
    spec_default(&s, &e);
    expect_spec_at(__FILE__, __LINE__, "name of 300", &s, HELLO_BAD, NULL);
    bytes_free(&e);
}

/* The default hello as 10-byte records, the first with version v1 and
 * the others vrest. */
static void expect_versions_at(int line, unsigned int v1,
                               unsigned int vrest, hello_result_e want)
{
    static const size_t ten[] = { 10 };
    bytes_t e, m, o;
    spec_t s;
    char what[64];

    bytes_init(&e);
    bytes_init(&m);
    bytes_init(&o);
    default_exts(&e, "v.test");
    spec_default(&s, &e);
    build_message(&s, &m);
    frame(&m, &o, ten, 1, v1, vrest);
    snprintf(what, sizeof(what), "record versions %04x, %04x", v1, vrest);
    expect_at(__FILE__, line, what, o.b, o.n, BIG, want, "v.test");
    bytes_free(&e);
    bytes_free(&m);
    bytes_free(&o);
}

static void test_records(void)
{
    static const size_t whole[] = { 0 }, ten[] = { 10 };
    bytes_t e, m, o, x;
    spec_t s;
    size_t at;

    expect_versions_at(__LINE__, 0x0300, 0x0301, HELLO_SNI);
    expect_versions_at(__LINE__, 0x0301, 0x0301, HELLO_SNI);
    expect_versions_at(__LINE__, 0x0302, 0x0302, HELLO_SNI);
    expect_versions_at(__LINE__, 0x0303, 0x0303, HELLO_SNI);
    expect_versions_at(__LINE__, 0x0304, 0x0303, HELLO_BAD);
    expect_versions_at(__LINE__, 0x03ff, 0x0303, HELLO_BAD);
    expect_versions_at(__LINE__, 0x0301, 0x0300, HELLO_BAD);
    expect_versions_at(__LINE__, 0x0301, 0x0304, HELLO_BAD);
    expect_versions_at(__LINE__, 0x0301, 0x0203, HELLO_BAD);
    expect_versions_at(__LINE__, 0x0301, 0x0103, HELLO_BAD);

    bytes_init(&e);
    bytes_init(&m);
    bytes_init(&o);
    bytes_init(&x);
    default_exts(&e, "r.test");
    spec_default(&s, &e);
    build_message(&s, &m);
    frame(&m, &o, ten, 1, 0x0301, 0x0303);

    /* a record of another type, or an empty one, between fragments */
    {
        static const struct {
            const char *what;
            const char *rec;
            size_t n;
        } rows[] = {
            { "CCS inside", S("\x14\x03\x03\x00\x01\x01") },
            { "alert inside", S("\x15\x03\x03\x00\x02\x01\x00") },
            { "data inside", S("\x17\x03\x03\x00\x01x") },
            { "heartbeat inside", S("\x18\x03\x03\x00\x01x") },
            { "empty handshake record inside", S("\x16\x03\x03\x00\x00") },
        };
        size_t i;

        for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
            for (at = 15; at <= 45; at += 15) {     /* after records 1-3 */
                x.n = 0;
                put(&x, o.b, at);
                put(&x, rows[i].rec, rows[i].n);
                put(&x, o.b + at, o.n - at);
                EXPECT(rows[i].what, x.b, x.n, HELLO_BAD, NULL);
                /* decided as soon as the record's header is in */
                EXPECT(rows[i].what, x.b, at + 5, HELLO_BAD, NULL);
            }
        }
    }
    EXPECT("empty first record", S("\x16\x03\x01\x00\x00\x16\x03\x01"),
           HELLO_BAD, NULL);
    EXPECT("record of 16385", S("\x16\x03\x01\x40\x01"), HELLO_BAD, NULL);
    EXPECT("record of 65535", S("\x16\x03\x01\xff\xff\x01"), HELLO_BAD,
           NULL);
    EXPECT("record of 16384", S("\x16\x03\x01\x40\x00\x01"), HELLO_MORE,
           NULL);
    EXPECT("ClientHello of 131397", S("\x16\x03\x01\x00\x04\x01\x02\x01"
           "\x45"), HELLO_BAD, NULL);
    EXPECT("ClientHello of 131396", S("\x16\x03\x01\x00\x04\x01\x02\x01"
           "\x44"), HELLO_MORE, NULL);
    EXPECT("ServerHello", S("\x16\x03\x01\x00\x04\x02\x00\x00\x26"),
           HELLO_BAD, NULL);

    /* a hello of more than 16384 bytes: a full record, then the rest */
    {
        static char pad[20000];

        e.n = 0;
        put_ext(&e, 21, pad, sizeof(pad));
        put_sni(&e, S("huge.a.test"));
        build_message(&s, &m);
        frame(&m, &o, whole, 1, 0x0301, 0x0303);
        CHECK(o.b[3] == 0x40 && o.b[4] == 0x00);
        EXPECT("20 KB hello", o.b, o.n, HELLO_SNI, "huge.a.test");
        EXPECT("20 KB hello", o.b, o.n - 1, HELLO_MORE, NULL);
        expect_at(__FILE__, __LINE__, "20 KB hello, max 16 KB", o.b,
                  16384, 16384, HELLO_BAD, NULL);
        RESPLIT("20 KB hello", &m, HELLO_SNI, "huge.a.test", 0);
    }
    bytes_free(&e);
    bytes_free(&m);
    bytes_free(&o);
    bytes_free(&x);
}

static void test_bound(void)
{
    hello_t h;

    expect_at(__FILE__, __LINE__, "empty, max 0", "", 0, 0, HELLO_BAD,
              NULL);
    expect_at(__FILE__, __LINE__, "G, max 1", "G", 1, 1, HELLO_NOT_TLS,
              NULL);
    expect_at(__FILE__, __LINE__, "0x16, max 1", "\x16", 1, 1, HELLO_BAD,
              NULL);
    expect_at(__FILE__, __LINE__, "0x16, max 2", "\x16", 1, 2, HELLO_MORE,
              NULL);
    /* the whole hello past a lower bound (the router never does it) */
    expect_at(__FILE__, __LINE__, "s_client, max 100",
              captures[CAP_S_CLIENT_TLS13].bytes,
              captures[CAP_S_CLIENT_TLS13].len, 100, HELLO_SNI, "a.test");
    CHECK(peruid_hello_parse(captures[CAP_S_CLIENT_TLS13].bytes, 100, 100,
                             &h) == HELLO_BAD);
    CHECK(h.reason != NULL && h.name[0] == '\0' && h.name_len == 0);
}

static void test_reset(void)
{
    hello_t h;

    CHECK(peruid_hello_parse(captures[CAP_CURL_TLS13].bytes,
                             captures[CAP_CURL_TLS13].len, BIG, &h)
          == HELLO_SNI);
    CHECK(strcmp(h.name, "www.a.test") == 0 && h.name_len == 10);
    CHECK(h.reason == NULL);
    CHECK(peruid_hello_parse(captures[CAP_S_CLIENT_NOSNI].bytes,
                             captures[CAP_S_CLIENT_NOSNI].len, BIG, &h)
          == HELLO_NO_SNI);
    CHECK(h.name[0] == '\0' && h.name_len == 0 && h.reason == NULL);
    CHECK(peruid_hello_parse("GET", 3, BIG, &h) == HELLO_NOT_TLS);
    CHECK(h.reason != NULL && h.name[0] == '\0');
    CHECK(peruid_hello_parse(captures[CAP_CURL_TLS13].bytes, 100, BIG, &h)
          == HELLO_MORE);
    CHECK(h.reason == NULL && h.name[0] == '\0');
}

int main(int argc, char **argv)
{
    load_captures(argc > 1 ? argv[1] : "corpus/hello");
    test_captures();
    test_not_tls();
    test_sslv2();
    test_built();
    test_post_quantum();
    test_body();
    test_extensions();
    test_names();
    test_records();
    test_bound();
    test_reset();
    free_captures();
    return unit_summary("test_hello");
}
