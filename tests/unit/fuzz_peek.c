/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * fuzz_peek.c -- libFuzzer target for mpm_peruid/peek.c.
 *
 * Each input is copied into an exactly-sized heap buffer (so ASan sees any
 * read past len) and parsed with several bounds, under several sets of
 * httpd's limits.  Invariants: the status is 0, 414 or 431, the last two
 * only once len reaches max; a routable head ended (or reached max with
 * its Host known) and points inside the buffer; a decision never depends
 * on max or on bytes after the ones it needed (a prefix's decision stands
 * for the whole).
 * fuzz_main.c runs the same entry point over files without libFuzzer.
 */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "peek.h"
#include "fuzz.h"

static int within(const char *buf, size_t len, const char *p, size_t n)
{
    uintptr_t b = (uintptr_t)buf, q = (uintptr_t)p;

    return p != NULL && q >= b && n <= len && q - b <= len - n;
}

static void check_one(const char *buf, size_t len, size_t max,
                      peek_state_e st, const peek_head_t *h)
{
    FUZZ_ASSERT(st == PEEK_MORE || st == PEEK_DONE);
    if (st == PEEK_MORE) {
        FUZZ_ASSERT(h->status == 0);
        FUZZ_ASSERT(len < max);
        return;
    }
    if (h->status != 0) {
        FUZZ_ASSERT(h->status == 414 || h->status == 431);
        FUZZ_ASSERT(h->reason != NULL && !h->routable);
        FUZZ_ASSERT(len >= max);
        return;
    }
    FUZZ_ASSERT(h->routable == (h->reason == NULL));
    if (!h->routable) {
        return;
    }
    FUZZ_ASSERT(h->line_done == 1);
    FUZZ_ASSERT(h->head_ended == 1 || (len >= max && h->host != NULL));
    FUZZ_ASSERT(h->method_len > 0 && within(buf, len, h->method,
                                            h->method_len));
    FUZZ_ASSERT(h->target_len > 0 && within(buf, len, h->target,
                                            h->target_len));
    FUZZ_ASSERT(h->method + h->method_len < h->target);
    FUZZ_ASSERT(h->major == 1);
    FUZZ_ASSERT(h->minor >= 0 && h->minor <= 9);
    if (h->host != NULL && h->host_len > 0) {
        FUZZ_ASSERT(within(buf, len, h->host, h->host_len));
        FUZZ_ASSERT(h->host > h->target + h->target_len);
    }
}

static int same_head(const peek_head_t *a, const peek_head_t *b)
{
    return a->status == b->status && a->routable == b->routable
           && a->method == b->method
           && a->method_len == b->method_len && a->target == b->target
           && a->target_len == b->target_len && a->major == b->major
           && a->minor == b->minor && a->host == b->host
           && a->host_len == b->host_len && a->head_ended == b->head_ended
           && a->line_done == b->line_done;
}

/* One input under one set of httpd's limits (NULL: none). */
static void check_limits(const char *buf, size_t size,
                         const peek_limits_t *lim)
{
    static const size_t maxes[] = { 0, 1, 16, 64, 4096, 65536 };
    peek_head_t big, h;
    peek_state_e big_st, st;
    size_t i;

    /* a bound far away: only the bytes decide */
    big_st = peruid_peek_parse(buf, size, (size_t)-1, lim, &big);
    check_one(buf, size, (size_t)-1, big_st, &big);

    /* any bound: the same answer when there is one, else too large */
    for (i = 0; i < sizeof(maxes) / sizeof(maxes[0]) + 1; i++) {
        size_t max = i < sizeof(maxes) / sizeof(maxes[0]) ? maxes[i] : size;

        st = peruid_peek_parse(buf, size, max, lim, &h);
        check_one(buf, size, max, st, &h);
        if (big_st == PEEK_DONE) {
            FUZZ_ASSERT(st == PEEK_DONE && same_head(&h, &big));
        }
        else if (size >= max) {
            FUZZ_ASSERT(st == PEEK_DONE
                        && (h.status == 414 || h.status == 431
                            || (h.routable && h.host != NULL)));
        }
        else {
            FUZZ_ASSERT(st == PEEK_MORE);
        }
    }

    /* what a prefix decided, the whole input decides the same way */
    if (size > 0) {
        st = peruid_peek_parse(buf, size - 1, (size_t)-1, lim, &h);
        check_one(buf, size - 1, (size_t)-1, st, &h);
        if (st == PEEK_DONE) {
            FUZZ_ASSERT(big_st == PEEK_DONE && same_head(&h, &big));
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const peek_limits_t lims[] = {
        { 8190, 8190, 100, 1 },     /* httpd's defaults, Strict          */
        { 8190, 8190, 100, 0 },     /* ... Unsafe                        */
        { 32, 24, 3, 1 },           /* small ones                        */
    };
    char *buf = malloc(size ? size : 1);
    size_t i;

    if (buf == NULL) {
        return 0;
    }
    memcpy(buf, data, size);
    check_limits(buf, size, NULL);
    for (i = 0; i < sizeof(lims) / sizeof(lims[0]); i++) {
        check_limits(buf, size, &lims[i]);
    }
    free(buf);
    return 0;
}
