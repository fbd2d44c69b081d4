/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * test_stall.c -- unit tests of mpm_peruid/stall.c, the master's watch
 * over its routers: which lines of /proc/net/tcp and tcp6 are
 * connections waiting in one of our listeners' accept queues (a table of
 * lines in the kernel's format, written here the way the kernel writes
 * them, so that the byte order is the machine's), scripts of looks at
 * the queues with the verdict after each, and the death log's rate
 * limit.  No sleeps: every time is given.
 */

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "stall.h"
#include "unit.h"

#define S(n) apr_time_from_sec(n)
#define MS(n) apr_time_from_msec(n)
#define BOUND S(3)

/* ------------------------------------------------------------- parsing */

/* The kernel's hex of an address: each 32-bit word as the number it
 * holds in memory (tcp4_seq_show, tcp6_seq_show). */
static void hex_of(const char *ip, int v6, char *out)
{
    unsigned char a[16];
    apr_uint32_t w;
    int i;

    memset(a, 0, sizeof(a));
    inet_pton(v6 ? AF_INET6 : AF_INET, ip, a);
    out[0] = '\0';
    for (i = 0; i < (v6 ? 4 : 1); i++) {
        memcpy(&w, a + 4 * i, 4);
        sprintf(out + 8 * i, "%08X", (unsigned)w);
    }
}

/* One line of /proc/net/tcp(6): local ip:port, remote ip:port, state,
 * inode. */
static void line_of(char *out, int v6, const char *lip, unsigned lport,
                    const char *rip, unsigned rport, unsigned st,
                    unsigned long inode)
{
    char l[33], r[33];

    hex_of(lip, v6, l);
    hex_of(rip, v6, r);
    sprintf(out, "  12: %s:%04X %s:%04X %02X 00000000:00000000 "
            "00:00000000 00000000   104        0 %lu 1 0000000000000000 "
            "20 4 30 10 -1", l, lport, r, rport, st, inode);
}

static stall_listener_t listener(const char *ip, int v6, unsigned port)
{
    stall_listener_t l;

    memset(&l, 0, sizeof(l));
    l.v6 = v6;
    l.port = port;
    inet_pton(v6 ? AF_INET6 : AF_INET, ip, l.addr);
    return l;
}

typedef struct {
    const char *name;
    int v6;
    const char *lip;
    unsigned lport;
    const char *rip;
    unsigned st;
    unsigned long inode;
    int want;
} parse_row_t;

static const parse_row_t parse_rows[] = {
    { "queued on 127.0.0.1:8080", 0, "127.0.0.1", 8080, "127.0.0.1",
      0x01, 0, 1 },
    { "queued, the client closed (CLOSE_WAIT)", 0, "127.0.0.1", 8080,
      "127.0.0.1", 0x08, 0, 1 },
    { "accepted (an inode)", 0, "127.0.0.1", 8080, "127.0.0.1", 0x01,
      4242, 0 },
    { "the listener itself", 0, "127.0.0.1", 8080, "0.0.0.0", 0x0A, 0, 0 },
    { "not yet established (SYN_RECV)", 0, "127.0.0.1", 8080,
      "127.0.0.1", 0x03, 0, 0 },
    { "closed by us (FIN_WAIT1)", 0, "127.0.0.1", 8080, "127.0.0.1",
      0x04, 0, 0 },
    { "TIME_WAIT", 0, "127.0.0.1", 8080, "127.0.0.1", 0x06, 0, 0 },
    { "another port", 0, "127.0.0.1", 8081, "127.0.0.1", 0x01, 0, 0 },
    { "another address of a specific listener", 0, "127.0.0.2", 8080,
      "127.0.0.1", 0x01, 0, 0 },
    { "any address (0.0.0.0:9090)", 0, "192.0.2.7", 9090, "198.51.100.1",
      0x01, 0, 1 },
    { "IPv6 on [::1]:8080", 1, "::1", 8080, "::1", 0x01, 0, 1 },
    { "IPv4-mapped on a dual-stack [::]:9090", 1, "::ffff:192.0.2.7",
      9090, "::ffff:198.51.100.1", 0x01, 0, 1 },
    { "IPv6, another address of a specific listener", 1, "::2", 8080,
      "::1", 0x01, 0, 0 },
    { "IPv6 port of an IPv4-only listener", 1, "2001:db8::1", 7070,
      "2001:db8::2", 0x01, 0, 0 },
    { "IPv4 port of an IPv6-only listener", 0, "127.0.0.1", 6060,
      "127.0.0.1", 0x01, 0, 0 },
};

static void test_parse(void)
{
    stall_listener_t ls[5];
    char line[512];
    stall_key_t k1, k2;
    size_t i;

    ls[0] = listener("127.0.0.1", 0, 8080);
    ls[1] = listener("0.0.0.0", 0, 9090);
    ls[2] = listener("::1", 1, 8080);
    ls[3] = listener("::", 1, 9090);
    ls[4] = listener("0.0.0.0", 0, 7070);
    for (i = 0; i < sizeof(parse_rows) / sizeof(parse_rows[0]); i++) {
        const parse_row_t *r = &parse_rows[i];
        stall_key_t key = 0;
        int got;

        line_of(line, r->v6, r->lip, r->lport, r->rip, 40000 + i, r->st,
                r->inode);
        got = peruid_stall_parse(line, r->v6, ls, 5, &key);
        CHECK(got == r->want);
        if (got != r->want) {
            fprintf(stderr, "  row \"%s\": got %d\n  %s\n", r->name, got,
                    line);
        }
    }
    line_of(line, 0, "127.0.0.1", 8080, "127.0.0.1", 50000, 0x01, 0);
    CHECK(peruid_stall_parse(line, 1, ls, 5, &k1) == 0);   /* wrong file */
    CHECK(peruid_stall_parse(line, 0, ls, 0, &k1) == 0);   /* none */
    CHECK(peruid_stall_parse(line, 0, ls, 5, &k1) == 1);
    CHECK(peruid_stall_parse(line, 0, ls, 5, &k2) == 1 && k1 == k2);
    line_of(line, 0, "127.0.0.1", 8080, "127.0.0.1", 50001, 0x01, 0);
    CHECK(peruid_stall_parse(line, 0, ls, 5, &k2) == 1 && k1 != k2);
    /* the header and garbage */
    CHECK(!peruid_stall_parse("  sl  local_address rem_address   st "
                              "tx_queue rx_queue tr tm->when retrnsmt   "
                              "uid  timeout inode", 0, ls, 5, &k1));
    CHECK(!peruid_stall_parse("", 0, ls, 5, &k1));
    CHECK(!peruid_stall_parse("  1: 0100007F:1F90", 0, ls, 5, &k1));
    CHECK(!peruid_stall_parse("  1: 0100007G:1F90 0100007F:1F91 01 "
                              "00000000:00000000 00:00000000 00000000 0 "
                              "0 0", 0, ls, 5, &k1));
    /* an IPv6-length address in the IPv4 file */
    line_of(line, 1, "::1", 8080, "::1", 50002, 0x01, 0);
    CHECK(!peruid_stall_parse(line, 0, ls, 5, &k1));
}

/* -------------------------------------------------------------- steps */

/* One look: the connections waiting then (keys, 0-terminated), when, and
 * the verdict wanted. */
typedef struct {
    apr_time_t now;
    stall_key_t waiting[6];
    apr_time_t routers_since;
    stall_verdict_e want;
} step_t;

typedef struct {
    const char *name;
    step_t steps[8];
} script_t;

static const script_t scripts[] = {
    { "nothing waits", {
        { S(1), { 0 }, 0, STALL_NONE },
        { S(2), { 0 }, 0, STALL_NONE },
        { 0, { 0 }, 0, STALL_NONE } } },
    { "one connection never taken: stuck after the bound", {
        { S(10), { 7 }, 0, STALL_WAITING },
        { S(11), { 7 }, 0, STALL_WAITING },
        { S(12), { 7 }, 0, STALL_WAITING },
        { S(13), { 7 }, 0, STALL_STUCK },
        { 0, { 0 }, 0, STALL_NONE } } },
    { "busy but accepting: every look new ones, never stuck", {
        { S(10), { 1, 2, 3 }, 0, STALL_WAITING },
        { S(11), { 4, 5, 6 }, 0, STALL_WAITING },
        { S(12), { 7, 8 }, 0, STALL_WAITING },
        { S(13), { 9, 10, 11 }, 0, STALL_WAITING },
        { S(14), { 12 }, 0, STALL_WAITING },
        { 0, { 0 }, 0, STALL_NONE } } },
    { "the queue empties now and then", {
        { S(10), { 1 }, 0, STALL_WAITING },
        { S(12), { 1 }, 0, STALL_WAITING },
        { S(12) + MS(500), { 0 }, 0, STALL_NONE },
        { S(13), { 1 }, 0, STALL_WAITING },   /* the same key again: a
                                                * new wait from here */
        { S(15), { 1 }, 0, STALL_WAITING },
        { S(16), { 1 }, 0, STALL_STUCK },
        { 0, { 0 }, 0, STALL_NONE } } },
    { "old ones go, one stays: stuck from its first sighting", {
        { S(10), { 5, 3, 9 }, 0, STALL_WAITING },
        { S(11), { 3, 20, 21 }, 0, STALL_WAITING },
        { S(12), { 3, 22 }, 0, STALL_WAITING },
        { S(13), { 3, 23, 24, 25 }, 0, STALL_STUCK },
        { 0, { 0 }, 0, STALL_NONE } } },
    { "a router started since: the bound counts from its start", {
        { S(10), { 7 }, 0, STALL_WAITING },
        { S(13), { 7 }, S(12), STALL_WAITING },
        { S(14), { 7 }, S(12), STALL_WAITING },
        { S(15), { 7 }, S(12), STALL_STUCK },
        { 0, { 0 }, 0, STALL_NONE } } },
    { "routers older than the wait change nothing", {
        { S(10), { 7 }, S(2), STALL_WAITING },
        { S(13), { 7 }, S(2), STALL_STUCK },
        { 0, { 0 }, 0, STALL_NONE } } },
    { "just under the bound", {
        { S(10), { 7 }, 0, STALL_WAITING },
        { S(13) - 1, { 7 }, 0, STALL_WAITING },
        { S(13), { 7 }, 0, STALL_STUCK },
        { 0, { 0 }, 0, STALL_NONE } } },
};

static int count_keys(const stall_key_t *k)
{
    int n = 0;

    while (n < 6 && k[n]) {
        n++;
    }
    return n;
}

static void run_script(const script_t *sc)
{
    stall_watch_t w;
    int i;

    memset(&w, 0, sizeof(w));
    for (i = 0; i < 8 && sc->steps[i].now; i++) {
        const step_t *st = &sc->steps[i];
        stall_key_t keys[6];
        int n = count_keys(st->waiting);
        stall_verdict_e got;

        memcpy(keys, st->waiting, sizeof(keys));
        got = peruid_stall_step(&w, keys, n, st->now, st->routers_since,
                                BOUND);
        CHECK(got == st->want);
        if (got != st->want) {
            fprintf(stderr, "  script \"%s\", step %d: got %d, want %d\n",
                    sc->name, i, (int)got, (int)st->want);
        }
        if (got == STALL_STUCK) {
            w.nkeys = 0;        /* what the master does after its kill */
        }
    }
}

/* More connections wait than are followed: the first STALL_KEYS by key
 * are, and one of them left waiting is enough. */
static void test_many(void)
{
    stall_key_t keys[200];
    stall_watch_t w;
    int i;

    memset(&w, 0, sizeof(w));
    for (i = 0; i < 200; i++) {
        keys[i] = (stall_key_t)(1000 - i);
    }
    CHECK(peruid_stall_step(&w, keys, 200, S(10), 0, BOUND)
          == STALL_WAITING);
    CHECK(w.nkeys == STALL_KEYS);
    for (i = 1; i < STALL_KEYS; i++) {
        CHECK(w.keys[i - 1] < w.keys[i]);
    }
    CHECK(w.keys[0] == 801);
    /* only the largest key stays: not followed, a new wait */
    keys[0] = 1000;
    CHECK(peruid_stall_step(&w, keys, 1, S(11), 0, BOUND)
          == STALL_WAITING);
    CHECK(w.nkeys == 1 && w.since == S(11));
    keys[0] = 1000;
    CHECK(peruid_stall_step(&w, keys, 1, S(14), 0, BOUND) == STALL_STUCK);
}

/* ---------------------------------------------------------- the log */

typedef struct {
    apr_time_t now;
    int event;
    int want;
} log_row_t;

static const log_row_t log_rows[] = {
    { S(100), 0, 0 },               /* nothing happened */
    { S(100), 1, 1 },               /* the first death: at once */
    { S(100) + MS(200), 1, 0 },     /* held back */
    { S(100) + MS(400), 1, 0 },
    { S(100) + MS(900), 0, 0 },     /* not due yet */
    { S(101), 0, 2 },               /* the tick writes the two */
    { S(101) + MS(10), 0, 0 },
    { S(101) + MS(500), 1, 0 },
    { S(102) + MS(500), 1, 2 },     /* due: counts itself and the one */
    { S(110), 1, 1 },               /* a lone one later: at once */
    { S(110), 0, 0 },
};

static void test_log(void)
{
    stall_log_t l;
    size_t i;

    memset(&l, 0, sizeof(l));
    for (i = 0; i < sizeof(log_rows) / sizeof(log_rows[0]); i++) {
        int got = peruid_stall_log_due(&l, log_rows[i].event,
                                       log_rows[i].now);

        CHECK(got == log_rows[i].want);
        if (got != log_rows[i].want) {
            fprintf(stderr, "  log row %zu: got %d, want %d\n", i, got,
                    log_rows[i].want);
        }
    }
}

int main(void)
{
    size_t i;

    test_parse();
    for (i = 0; i < sizeof(scripts) / sizeof(scripts[0]); i++) {
        run_script(&scripts[i]);
    }
    test_many();
    test_log();
    return unit_summary("test_stall");
}
