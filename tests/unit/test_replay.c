/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * test_replay.c -- unit tests of mpm_peruid/replay.c: which bytes of a
 * replay each of httpd's read modes takes (a table of reads over one
 * replay), a whole request read as httpd reads it (lines, then the body
 * by bytes), and the router's checks of a handed-back connection (a
 * table of facts, each with its verdict).
 */

#define _GNU_SOURCE
#include <fcntl.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include "replay.h"
#include "unit.h"

#define HEAD "POST /echo.php HTTP/1.1\r\nHost: b.test\r\n" \
             "Content-Length: 5\r\n\r\nhello"

typedef struct {
    const char *buf;        /* the replay                               */
    size_t off;             /* served so far                            */
    replay_mode_e mode;
    size_t want;
    size_t line_max;
    const char *give;       /* what the read gets                       */
    size_t skip;
    int consume, below;
} step_case_t;

static const step_case_t step_cases[] = {
    /* a line at a time, up to and with its LF */
    { HEAD, 0, REPLAY_GETLINE, 0, 8192, "POST /echo.php HTTP/1.1\r\n", 0,
      1, 0 },
    { HEAD, 25, REPLAY_GETLINE, 0, 8192, "Host: b.test\r\n", 0, 1, 0 },
    /* the empty line ending the head */
    { HEAD, 58, REPLAY_GETLINE, 0, 8192, "\r\n", 0, 1, 0 },
    /* no LF left: the rest, a partial line (the socket has the end) */
    { HEAD, 60, REPLAY_GETLINE, 0, 8192, "hello", 0, 1, 0 },
    { "abc\r", 0, REPLAY_GETLINE, 0, 8192, "abc\r", 0, 1, 0 },
    /* a line longer than line_max: line_max bytes of it */
    { "abcdefgh\n", 0, REPLAY_GETLINE, 0, 4, "abcd", 0, 1, 0 },
    /* the body by bytes: at most want, at most what is left */
    { HEAD, 60, REPLAY_READBYTES, 3, 8192, "hel", 0, 1, 0 },
    { HEAD, 60, REPLAY_READBYTES, 8000, 8192, "hello", 0, 1, 0 },
    /* speculative: the same bytes, none consumed */
    { HEAD, 60, REPLAY_SPECULATIVE, 2, 8192, "he", 0, 0, 0 },
    { HEAD, 63, REPLAY_SPECULATIVE, 8000, 8192, "lo", 0, 0, 0 },
    /* exhaustive: all that is left, then the socket */
    { HEAD, 58, REPLAY_EXHAUSTIVE, 0, 8192, "\r\nhello", 0, 1, 1 },
    /* CRLFs between requests: dropped; all of it: the socket's too */
    { "\r\n\nGET", 0, REPLAY_EATCRLF, 0, 8192, "", 3, 1, 0 },
    { "\r\n\r\n", 0, REPLAY_EATCRLF, 0, 8192, "", 4, 1, 1 },
    { "GET", 0, REPLAY_EATCRLF, 0, 8192, "", 0, 1, 0 },
    { "\r", 0, REPLAY_EATCRLF, 0, 8192, "", 0, 1, 0 },
    /* used up: every mode goes to the socket */
    { HEAD, 65, REPLAY_GETLINE, 0, 8192, "", 0, 1, 1 },
    { HEAD, 65, REPLAY_READBYTES, 10, 8192, "", 0, 1, 1 },
    { HEAD, 65, REPLAY_SPECULATIVE, 10, 8192, "", 0, 0, 1 },
    { HEAD, 99, REPLAY_READBYTES, 10, 8192, "", 0, 1, 1 },
    /* INIT (mod_ssl's) is never served from the replay */
    { HEAD, 0, REPLAY_INIT, 0, 8192, "", 0, 1, 1 },
};

static void test_steps(void)
{
    size_t i;

    for (i = 0; i < sizeof(step_cases) / sizeof(step_cases[0]); i++) {
        const step_case_t *c = &step_cases[i];
        replay_step_t st;
        size_t len = strlen(c->buf), off = c->off < len ? c->off : len;

        peruid_replay_step(c->buf, len, c->off, c->mode, c->want,
                           c->line_max, &st);
        if (st.skip != c->skip || st.consume != c->consume
            || st.below != c->below) {
            fprintf(stderr, "step case %zu\n", i);
        }
        CHECK(st.skip == c->skip);
        CHECK(st.consume == c->consume);
        CHECK(st.below == c->below);
        CHECK_SPAN(c->buf + off + st.skip, st.give, c->give);
    }
}

/* A request read as httpd reads it: the head line by line, the body by
 * READBYTES after a speculative look; every byte exactly once. */
static void test_whole_request(void)
{
    const char *buf = HEAD "GET / HTTP/1.1\r\n";
    size_t len = strlen(buf), off = 0, lines = 0;
    char out[256];
    size_t outlen = 0;
    replay_step_t st;

    do {
        peruid_replay_step(buf, len, off, REPLAY_GETLINE, 0, 8192, &st);
        memcpy(out + outlen, buf + off, st.give);
        outlen += st.give;
        off += st.give;
        lines++;
    } while (st.give != 2);     /* the empty line */
    CHECK(lines == 4);
    peruid_replay_step(buf, len, off, REPLAY_SPECULATIVE, 1, 8192, &st);
    CHECK(st.give == 1 && !st.consume);
    peruid_replay_step(buf, len, off, REPLAY_READBYTES, 5, 8192, &st);
    memcpy(out + outlen, buf + off, st.give);
    outlen += st.give;
    off += st.give;
    CHECK_SPAN(out, outlen, HEAD);
    peruid_replay_step(buf, len, off, REPLAY_GETLINE, 0, 8192, &st);
    CHECK_SPAN(buf + off, st.give, "GET / HTTP/1.1\r\n");
    CHECK(!st.below);
    off += st.give;
    peruid_replay_step(buf, len, off, REPLAY_GETLINE, 0, 8192, &st);
    CHECK(st.give == 0 && st.below);
}

#define SEALS (F_SEAL_WRITE | F_SEAL_SHRINK | F_SEAL_GROW)
#define GOOD { AF_INET, SOCK_STREAM, IPPROTO_TCP, 1, 0, SEALS, 100, 1, \
               69632 }

typedef struct {
    const char *what;
    replay_facts_t f;
    int refused, status;
} refuse_case_t;

static const refuse_case_t refuse_cases[] = {
    { "a TCP socket, sealed replay, first hop", GOOD, 0, 0 },
    { "IPv6", { AF_INET6, SOCK_STREAM, IPPROTO_TCP, 1, 0, SEALS, 100, 1,
                69632 }, 0, 0 },
    { "every seal and F_SEAL_SEAL", { AF_INET, SOCK_STREAM, IPPROTO_TCP, 1,
      0, SEALS | F_SEAL_SEAL, 100, 4, 69632 }, 0, 0 },
    { "exactly the bound", { AF_INET, SOCK_STREAM, IPPROTO_TCP, 1, 0,
      SEALS, 69632, 1, 69632 }, 0, 0 },
    { "a unix socket", { AF_UNIX, SOCK_STREAM, 0, 1, 0, SEALS, 100, 1,
      69632 }, 1, 0 },
    { "UDP", { AF_INET, SOCK_DGRAM, IPPROTO_UDP, 1, 0, SEALS, 100, 1,
      69632 }, 1, 0 },
    { "not a socket (family unknown)", { -1, -1, -1, 1, 0, SEALS, 100, 1,
      69632 }, 1, 0 },
    { "an outgoing connection of the tenant", { AF_INET, SOCK_STREAM,
      IPPROTO_TCP, 0, 0, SEALS, 100, 1, 69632 }, 1, 0 },
    { "a TLS address", { AF_INET, SOCK_STREAM, IPPROTO_TCP, 1, 1, SEALS,
      100, 1, 69632 }, 1, 0 },
    { "not a memfd", { AF_INET, SOCK_STREAM, IPPROTO_TCP, 1, 0, -1, 100,
      1, 69632 }, 1, 503 },
    { "no write seal", { AF_INET, SOCK_STREAM, IPPROTO_TCP, 1, 0,
      F_SEAL_SHRINK | F_SEAL_GROW, 100, 1, 69632 }, 1, 503 },
    { "no grow seal", { AF_INET, SOCK_STREAM, IPPROTO_TCP, 1, 0,
      F_SEAL_SHRINK | F_SEAL_WRITE, 100, 1, 69632 }, 1, 503 },
    { "no shrink seal", { AF_INET, SOCK_STREAM, IPPROTO_TCP, 1, 0,
      F_SEAL_GROW | F_SEAL_WRITE, 100, 1, 69632 }, 1, 503 },
    { "empty: an idle kept-alive connection (graceho.c)", { AF_INET,
      SOCK_STREAM, IPPROTO_TCP, 1, 0, SEALS, 0, 1, 69632 }, 0, 0 },
    { "fstat failed", { AF_INET, SOCK_STREAM, IPPROTO_TCP, 1, 0, SEALS,
      -1, 1, 69632 }, 1, 503 },
    { "one byte past the bound", { AF_INET, SOCK_STREAM, IPPROTO_TCP, 1,
      0, SEALS, 69633, 1, 69632 }, 1, 503 },
    { "the last hop allowed", { AF_INET, SOCK_STREAM, IPPROTO_TCP, 1, 0,
      SEALS, 100, PERUID_HANDOVER_MAX_HOPS, 69632 }, 0, 0 },
    { "one hop past the bound", { AF_INET, SOCK_STREAM, IPPROTO_TCP, 1, 0,
      SEALS, 100, PERUID_HANDOVER_MAX_HOPS + 1, 69632 }, 1, 503 },
    { "a forged huge hop count", { AF_INET, SOCK_STREAM, IPPROTO_TCP, 1, 0,
      SEALS, 100, 0xffffffffu, 69632 }, 1, 503 },
};

static void test_refuse(void)
{
    size_t i;

    for (i = 0; i < sizeof(refuse_cases) / sizeof(refuse_cases[0]); i++) {
        const refuse_case_t *c = &refuse_cases[i];
        int status = -1;
        const char *why = peruid_replay_refuse(&c->f, &status);

        if ((why != NULL) != c->refused || status != c->status) {
            fprintf(stderr, "refuse case \"%s\": %s, status %d\n", c->what,
                    why ? why : "accepted", status);
        }
        CHECK((why != NULL) == c->refused);
        CHECK(status == c->status);
    }
}

int main(void)
{
    test_steps();
    test_whole_request();
    test_refuse();
    CHECK(PERUID_HANDOVER_BOUND(4096) == 4096 + 65536);
    return unit_summary("test_replay");
}
