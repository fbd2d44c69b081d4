/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * fuzz_hello.c -- libFuzzer target for mpm_peruid/hello.c.
 *
 * Each input is copied into an exactly-sized heap buffer (so ASan sees any
 * read past len) and parsed with several bounds.  Invariants: the answer
 * is one of the five; a name only with HELLO_SNI, NUL-terminated, of the
 * allowed bytes and found in the input, in order; a reason exactly with
 * HELLO_BAD and HELLO_NOT_TLS; HELLO_MORE only below max, HELLO_BAD in its
 * place at max; HELLO_NOT_TLS decided on the first three bytes; an answer
 * never depends on max or on bytes after the ones it needed (a prefix's
 * answer stands for the whole); and a ClientHello in TLS records gives
 * the same answer once re-split into records of another size.
 * fuzz_main.c runs the same entry point over files without libFuzzer.
 */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hello.h"
#include "fuzz.h"

static hello_result_e parse_copy(const uint8_t *data, size_t size,
                                 size_t max, hello_t *h)
{
    uint8_t *buf = malloc(size ? size : 1);
    hello_result_e r;

    if (buf == NULL) {
        abort();
    }
    if (size > 0) {
        memcpy(buf, data, size);
    }
    r = peruid_hello_parse(buf, size, max, h);
    free(buf);
    return r;
}

static int name_byte_ok(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
           || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.';
}

/* Are the n bytes of s found in data, in order (a name may be split
 * across records)? */
static int in_order(const uint8_t *data, size_t size, const char *s,
                    size_t n)
{
    size_t i, k = 0;

    for (i = 0; i < size && k < n; i++) {
        if (data[i] == (uint8_t)s[k]) {
            k++;
        }
    }
    return k == n;
}

static void check_one(const uint8_t *data, size_t size, size_t max,
                      hello_result_e r, const hello_t *h)
{
    size_t i;

    FUZZ_ASSERT(r >= HELLO_MORE && r <= HELLO_BAD);
    FUZZ_ASSERT(h->name_len < HELLO_NAME_SIZE);
    FUZZ_ASSERT(h->name[h->name_len] == '\0');
    FUZZ_ASSERT(strlen(h->name) == h->name_len);
    FUZZ_ASSERT((r == HELLO_SNI) == (h->name_len > 0));
    FUZZ_ASSERT((r == HELLO_BAD || r == HELLO_NOT_TLS)
                == (h->reason != NULL));
    if (r == HELLO_MORE) {
        FUZZ_ASSERT(size < max);
    }
    for (i = 0; i < h->name_len; i++) {
        FUZZ_ASSERT(name_byte_ok((unsigned char)h->name[i]));
    }
    if (r == HELLO_SNI) {
        FUZZ_ASSERT(h->name[0] != '.');
        FUZZ_ASSERT(strstr(h->name, "..") == NULL);
        FUZZ_ASSERT(in_order(data, size, h->name, h->name_len));
    }
}

static int same(hello_result_e ra, const hello_t *a, hello_result_e rb,
                const hello_t *b)
{
    return ra == rb && a->name_len == b->name_len
           && strcmp(a->name, b->name) == 0;
}

/* The handshake bytes of the records at the start of data, up to the
 * end of the first message, re-framed as records of chunk bytes; 0 when
 * data does not start that way. */
static size_t reframe(const uint8_t *data, size_t size, size_t chunk,
                      uint8_t **out)
{
    uint8_t *hs = malloc(size + 1), *o;
    size_t pos = 0, n = 0, need = 0, off, k = 0;

    if (hs == NULL) {
        abort();
    }
    while (pos + 5 <= size && data[pos] == 22) {
        size_t rl = ((size_t)data[pos + 3] << 8) | data[pos + 4];

        if (rl > size - pos - 5) {
            rl = size - pos - 5;        /* the input ends in the record */
        }
        memcpy(hs + n, data + pos + 5, rl);
        n += rl;
        pos += 5 + rl;
        if (n >= 4) {
            need = 4 + (((size_t)hs[1] << 16) | ((size_t)hs[2] << 8) | hs[3]);
            if (n >= need) {
                break;
            }
        }
    }
    if (need == 0 || n < need) {
        free(hs);
        return 0;
    }
    o = malloc(need + 5 * (need / chunk + 1));
    if (o == NULL) {
        abort();
    }
    for (off = 0; off < need; off += chunk) {
        size_t m = need - off < chunk ? need - off : chunk;

        o[k++] = 22;
        o[k++] = 3;
        o[k++] = off == 0 ? 1 : 3;
        o[k++] = (uint8_t)(m >> 8);
        o[k++] = (uint8_t)m;
        memcpy(o + k, hs + off, m);
        k += m;
    }
    free(hs);
    *out = o;
    return k;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const size_t maxes[] = { 0, 1, 5, 64, 512, 4096, 65536 };
    hello_t big, h;
    hello_result_e big_r, r;
    size_t i;

    /* a bound far away: only the bytes decide */
    big_r = parse_copy(data, size, (size_t)-1, &big);
    check_one(data, size, (size_t)-1, big_r, &big);

    /* any bound: the same answer when there is one, else too large */
    for (i = 0; i < sizeof(maxes) / sizeof(maxes[0]) + 1; i++) {
        size_t max = i < sizeof(maxes) / sizeof(maxes[0]) ? maxes[i] : size;

        r = parse_copy(data, size, max, &h);
        check_one(data, size, max, r, &h);
        if (big_r != HELLO_MORE) {
            FUZZ_ASSERT(same(r, &h, big_r, &big));
        }
        else {
            FUZZ_ASSERT(r == (size >= max ? HELLO_BAD : HELLO_MORE));
        }
    }

    /* what a prefix decided, the whole input decides the same way */
    if (size > 0) {
        r = parse_copy(data, size - 1, (size_t)-1, &h);
        check_one(data, size - 1, (size_t)-1, r, &h);
        if (r != HELLO_MORE) {
            FUZZ_ASSERT(same(r, &h, big_r, &big));
        }
    }

    /* not TLS is known from the first three bytes */
    if (big_r == HELLO_NOT_TLS) {
        r = parse_copy(data, size < 3 ? size : 3, (size_t)-1, &h);
        FUZZ_ASSERT(r == HELLO_NOT_TLS);
    }

    /* a ClientHello re-split into other records: the same answer */
    if ((big_r == HELLO_SNI || big_r == HELLO_NO_SNI) && data[0] == 22) {
        uint8_t *o = NULL;
        size_t chunk = 1 + (size > 0 ? data[size - 1] % 23 : 0);
        size_t n = reframe(data, size, chunk, &o);

        FUZZ_ASSERT(n > 0);
        r = parse_copy(o, n, (size_t)-1, &h);
        check_one(o, n, (size_t)-1, r, &h);
        FUZZ_ASSERT(same(r, &h, big_r, &big));
        free(o);
    }
    return 0;
}
