/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * fuzz_maps.c -- libFuzzer target for mpm_peruid/maps.c.
 *
 * Each input is copied into an exactly-sized heap buffer (so ASan sees any
 * read past len) and read as /proc/self/maps.  Invariants: the position
 * only moves forward, stays within the input and ends each range's line
 * at its newline; every range is non-empty and comes from a line of the
 * kernel's shape that passes the filters (private, read-only, a file;
 * code of any size, data up to MAPS_RODATA_MAX); that line alone gives
 * the same range; and the input without its last byte gives the same
 * ranges, but for the last one when that byte was its newline.
 * fuzz_main.c runs the same entry point over files without libFuzzer.
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "maps.h"
#include "fuzz.h"

/* The line buf[from..to) (its newline last) gave r: check it. */
static void check_line(const char *buf, size_t from, size_t to,
                       const maps_range_t *r)
{
    const char *perms = memchr(buf + from, ' ', to - from);
    size_t pos = 0;
    maps_range_t again;

    FUZZ_ASSERT(r->start < r->end);
    FUZZ_ASSERT(buf[from] != ' ' && perms != NULL);
    FUZZ_ASSERT((size_t)(perms - buf) + 5 < to);
    perms++;
    FUZZ_ASSERT(perms[0] == 'r' && perms[1] == '-' && perms[3] == 'p');
    FUZZ_ASSERT(perms[4] == ' ');
    FUZZ_ASSERT(perms[2] == 'x' || r->end - r->start <= MAPS_RODATA_MAX);
    FUZZ_ASSERT(peruid_maps_next(buf + from, to - from, &pos, &again) == 1);
    FUZZ_ASSERT(pos == to - from);
    FUZZ_ASSERT(again.start == r->start && again.end == r->end);
}

/* Where the line whose newline is buf[end] starts: just after the
 * newline before it, and not before from. */
static size_t line_start(const char *buf, size_t from, size_t end)
{
    while (end > from && buf[end - 1] != '\n') {
        end--;
    }
    return end;
}

/* Every range of buf[0..len) into out (room for max); returns how many,
 * checking each. */
static size_t read_all(const char *buf, size_t len, maps_range_t *out,
                       size_t max)
{
    size_t pos = 0, prev = 0, n = 0;
    maps_range_t r;

    while (peruid_maps_next(buf, len, &pos, &r)) {
        FUZZ_ASSERT(pos > prev && pos <= len && buf[pos - 1] == '\n');
        check_line(buf, line_start(buf, prev, pos - 1), pos, &r);
        FUZZ_ASSERT(n < max);
        out[n++] = r;
        prev = pos;
    }
    FUZZ_ASSERT(pos <= len);
    return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *buf = malloc(size ? size : 1);
    maps_range_t *all, *cut;
    size_t max = size / 2 + 1, n, m, i;

    all = malloc(max * sizeof(*all));
    cut = malloc(max * sizeof(*cut));
    if (buf == NULL || all == NULL || cut == NULL) {
        free(buf);
        free(all);
        free(cut);
        return 0;
    }
    memcpy(buf, data, size);
    n = read_all(buf, size, all, max);
    if (size > 0) {
        m = read_all(buf, size - 1, cut, max);
        FUZZ_ASSERT(m == n || (m + 1 == n && buf[size - 1] == '\n'));
        for (i = 0; i < m; i++) {
            FUZZ_ASSERT(cut[i].start == all[i].start
                        && cut[i].end == all[i].end);
        }
    }
    free(buf);
    free(all);
    free(cut);
    return 0;
}
