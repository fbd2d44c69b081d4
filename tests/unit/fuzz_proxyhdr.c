/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * fuzz_proxyhdr.c -- libFuzzer target for mpm_peruid/proxyhdr.c.
 *
 * Each input is copied into an exactly-sized heap buffer (so ASan sees any
 * read past len) and parsed with several bounds.  Invariants: the answer
 * is one of the three; a length only with PROXYHDR_DONE, within the input
 * and the version's bound (107 bytes for v1 and ending in CRLF, 16 + 216
 * for v2 and equal to 16 plus its length field); a reason exactly with
 * PROXYHDR_BAD; PROXYHDR_MORE only below max, PROXYHDR_BAD in its place
 * at max; an answer never depends on max or on the bytes after the ones
 * it needed (a prefix's answer stands for the whole, and the header
 * alone gives DONE with the same length).  fuzz_main.c runs the same
 * entry point over files without libFuzzer.
 */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proxyhdr.h"
#include "fuzz.h"

static proxyhdr_result_e parse_copy(const uint8_t *data, size_t size,
                                    size_t max, proxyhdr_t *p)
{
    uint8_t *buf = malloc(size ? size : 1);
    proxyhdr_result_e r;

    if (buf == NULL) {
        abort();
    }
    if (size > 0) {
        memcpy(buf, data, size);
    }
    r = peruid_proxyhdr_parse(buf, size, max, p);
    free(buf);
    return r;
}

static void check_one(const uint8_t *data, size_t size, size_t max,
                      proxyhdr_result_e r, const proxyhdr_t *p)
{
    FUZZ_ASSERT(r >= PROXYHDR_MORE && r <= PROXYHDR_BAD);
    FUZZ_ASSERT((r == PROXYHDR_BAD) == (p->reason != NULL));
    FUZZ_ASSERT((r == PROXYHDR_DONE) == (p->len > 0));
    FUZZ_ASSERT(p->version >= 0 && p->version <= 2);
    if (r == PROXYHDR_MORE) {
        FUZZ_ASSERT(size < max);
    }
    if (r != PROXYHDR_DONE) {
        return;
    }
    FUZZ_ASSERT(p->len <= size);
    if (p->version == 1) {
        FUZZ_ASSERT(p->len <= PROXYHDR_V1_MAX);
        FUZZ_ASSERT(memcmp(data, "PROXY ", 6) == 0);
        FUZZ_ASSERT(data[p->len - 2] == '\r' && data[p->len - 1] == '\n');
        FUZZ_ASSERT(memchr(data, '\n', p->len - 1) == NULL);
    }
    else {
        FUZZ_ASSERT(p->version == 2);
        FUZZ_ASSERT(p->len >= PROXYHDR_V2_FIXED);
        FUZZ_ASSERT(p->len <= PROXYHDR_V2_FIXED + PROXYHDR_V2_MAX_LEN);
        FUZZ_ASSERT(p->len == PROXYHDR_V2_FIXED
                    + (((size_t)data[14] << 8) | data[15]));
        FUZZ_ASSERT((data[12] & 0xf0) == 0x20 && (data[12] & 0x0f) <= 1);
    }
}

static int same(proxyhdr_result_e ra, const proxyhdr_t *a,
                proxyhdr_result_e rb, const proxyhdr_t *b)
{
    return ra == rb && a->len == b->len && a->version == b->version;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const size_t maxes[] = { 0, 1, 6, 15, 16, 107, 232, 8192 };
    proxyhdr_t big, p;
    proxyhdr_result_e big_r, r;
    size_t i;

    /* a bound far away: only the bytes decide */
    big_r = parse_copy(data, size, (size_t)-1, &big);
    check_one(data, size, (size_t)-1, big_r, &big);

    /* any bound: the same answer when there is one, else too large */
    for (i = 0; i < sizeof(maxes) / sizeof(maxes[0]) + 1; i++) {
        size_t max = i < sizeof(maxes) / sizeof(maxes[0]) ? maxes[i] : size;

        r = parse_copy(data, size, max, &p);
        check_one(data, size, max, r, &p);
        if (big_r != PROXYHDR_MORE) {
            FUZZ_ASSERT(r == big_r && p.len == big.len);
        }
        else {
            FUZZ_ASSERT(r == (size >= max ? PROXYHDR_BAD : PROXYHDR_MORE));
        }
    }

    /* what a prefix decided, the whole input decides the same way */
    if (size > 0) {
        r = parse_copy(data, size - 1, (size_t)-1, &p);
        check_one(data, size - 1, (size_t)-1, r, &p);
        if (r != PROXYHDR_MORE) {
            FUZZ_ASSERT(same(r, &p, big_r, &big));
        }
    }

    /* the header alone is the same header, one byte less is not yet */
    if (big_r == PROXYHDR_DONE) {
        r = parse_copy(data, big.len, (size_t)-1, &p);
        FUZZ_ASSERT(same(r, &p, big_r, &big));
        r = parse_copy(data, big.len - 1, (size_t)-1, &p);
        FUZZ_ASSERT(r == PROXYHDR_MORE);
    }
    return 0;
}
