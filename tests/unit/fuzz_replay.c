/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * fuzz_replay.c -- libFuzzer target for mpm_peruid/replay.c: which bytes
 * of a replay a read of httpd's input filters takes (a worker, on bytes
 * another worker -- another tenant -- wrote), and whether a router takes
 * a connection a worker handed back (facts the router read from what
 * the worker sent).
 *
 * The first 12 bytes choose the read (mode, want, line bound, offset)
 * and the facts; the rest is the replay.  Invariants: a read never takes
 * more than is left, skipped and given together; a line ends at its
 * first LF or at the bound; READBYTES and SPECULATIVE never give more
 * than asked; SPECULATIVE consumes nothing; EATCRLF skips only CRLFs and
 * LFs and gives nothing; INIT takes nothing.  A router takes a handed-
 * back connection only when it is a TCP socket of ours without TLS, with
 * a sealed memfd of 1 byte to its bound and at most the hop bound; it
 * answers 503 or nothing otherwise.  fuzz_main.c runs the same entry
 * point over files.
 */

#define _GNU_SOURCE             /* F_SEAL_* */
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include "replay.h"
#include "fuzz.h"

#define FUZZ_HEAD 12

/* One read of the replay d[0..n) as the parameters p say. */
static void fuzz_step(const uint8_t *p, const char *d, size_t n)
{
    replay_mode_e mode = (replay_mode_e)(p[0] % 6);
    size_t want = p[1] % 64, line_max = 1 + p[2] % 64;
    size_t off = p[3] % (n + 2), left = off < n ? n - off : 0, i;
    replay_step_t st;

    peruid_replay_step(d, n, off, mode, want, line_max, &st);
    FUZZ_ASSERT(st.skip + st.give <= left);
    FUZZ_ASSERT(st.consume == (mode != REPLAY_SPECULATIVE));
    if (mode == REPLAY_READBYTES || mode == REPLAY_SPECULATIVE) {
        FUZZ_ASSERT(st.skip == 0 && st.give <= (want ? want : left));
    }
    if (mode == REPLAY_GETLINE && st.give > 0) {
        const char *lf = memchr(d + off, '\n', st.give);

        FUZZ_ASSERT(st.give <= line_max);
        FUZZ_ASSERT(!lf || lf == d + off + st.give - 1);
    }
    if (mode == REPLAY_EATCRLF) {
        FUZZ_ASSERT(st.give == 0);
        for (i = 0; i < st.skip; i++) {
            FUZZ_ASSERT(d[off + i] == '\n' || d[off + i] == '\r');
        }
    }
    if (mode == REPLAY_INIT || left == 0) {
        FUZZ_ASSERT(st.skip == 0 && st.give == 0 && st.below);
    }
}

/* A router's decision on facts made from p. */
static void fuzz_refuse(const uint8_t *p)
{
    static const int families[] = { AF_INET, AF_INET6, AF_UNIX, 0 };
    static const int types[] = { SOCK_STREAM, SOCK_DGRAM, SOCK_SEQPACKET };
    static const int protos[] = { IPPROTO_TCP, IPPROTO_UDP, 0 };
    static const int seals[] = { F_SEAL_WRITE | F_SEAL_SHRINK | F_SEAL_GROW,
                                 F_SEAL_WRITE | F_SEAL_SHRINK, 0, -1,
                                 F_SEAL_WRITE | F_SEAL_SHRINK | F_SEAL_GROW
                                 | F_SEAL_SEAL };
    replay_facts_t f;
    const char *why;
    int status = -1;

    f.family = families[p[4] % 4];
    f.type = types[p[5] % 3];
    f.protocol = protos[p[6] % 3];
    f.listener = p[7] & 1;
    f.tls = (p[7] >> 1) & 1;
    f.memfd_seals = seals[p[8] % 5];
    f.memfd_size = (long long)(int8_t)p[9] * 1000;
    f.hops = p[10] % 8;
    f.bound = (size_t)p[11] * 500;
    why = peruid_replay_refuse(&f, &status);
    if (why) {
        FUZZ_ASSERT(status == 0 || status == 503);
        return;
    }
    FUZZ_ASSERT(status == 0);
    FUZZ_ASSERT(f.family == AF_INET || f.family == AF_INET6);
    FUZZ_ASSERT(f.type == SOCK_STREAM && f.protocol == IPPROTO_TCP);
    FUZZ_ASSERT(f.listener && !f.tls);
    FUZZ_ASSERT(f.memfd_seals >= 0 && (f.memfd_seals & F_SEAL_WRITE)
                && (f.memfd_seals & F_SEAL_SHRINK)
                && (f.memfd_seals & F_SEAL_GROW));
    /* an empty replay: a kept-alive connection handed back idle */
    FUZZ_ASSERT(f.memfd_size >= 0 && (size_t)f.memfd_size <= f.bound);
    FUZZ_ASSERT(f.hops <= PERUID_HANDOVER_MAX_HOPS);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t p[FUZZ_HEAD] = { 0 };
    size_t n = size < FUZZ_HEAD ? size : FUZZ_HEAD;
    char *d;

    memcpy(p, data, n);
    /* an exactly-sized copy, so that ASan sees a read past the end */
    d = malloc(size - n + 1);
    if (!d) {
        return 0;
    }
    memcpy(d, data + n, size - n);
    fuzz_step(p, d, size - n);
    fuzz_refuse(p);
    free(d);
    return 0;
}
