/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * keyscan.c -- find and clear copies of secrets in memory (keyscan.h).
 * Pure: no system call, no allocation.  Run by the master, root, in
 * post_config (tlskeys.c).
 */

#include <string.h>

#include "keyscan.h"

#define KEYSCAN_ALIGN(n) (((n) + 7) & ~(size_t)7)

/* The first 8 bytes at p, as a number (any alignment). */
static uint64_t keyscan_word(const unsigned char *p)
{
    uint64_t w;

    memcpy(&w, p, sizeof(w));
    return w;
}

/* The bucket of a first word (a multiplicative hash's top bits). */
static uint32_t keyscan_bucket(uint64_t w, uint32_t mask)
{
    return (uint32_t)((w * 0x9e3779b97f4a7c15ULL) >> 32) & mask;
}

/* The buckets for npieces pieces: a power of two, at least 2 per piece
 * and at least 64 (one bitmap word). */
static size_t keyscan_nbuckets(size_t npieces)
{
    size_t b = 64;

    while (b < 2 * npieces) {
        b *= 2;
    }
    return b;
}

/* Master, root: see keyscan.h. */
size_t keyscan_pieces(size_t len)
{
    if (len < KEYSCAN_MIN) {
        return 0;
    }
    if (len <= KEYSCAN_PIECE) {
        return 1;
    }
    /* every KEYSCAN_STEP bytes while a piece fits, and one at the end */
    return (len - KEYSCAN_PIECE) / KEYSCAN_STEP + 1
           + ((len - KEYSCAN_PIECE) % KEYSCAN_STEP != 0);
}

/* Master, root: see keyscan.h. */
size_t keyscan_index_bytes(size_t npieces)
{
    size_t b = keyscan_nbuckets(npieces);

    return KEYSCAN_ALIGN(npieces * sizeof(keyscan_piece_t))
           + KEYSCAN_ALIGN(b * sizeof(uint32_t)) + b / 8;
}

/* Master, root: add the piece at off (len bytes) to the index. */
static void keyscan_add(keyscan_t *ks, size_t off, size_t len)
{
    keyscan_piece_t *pc = &ks->pieces[ks->npieces];
    uint32_t b = keyscan_bucket(keyscan_word(ks->data + off), ks->mask);

    pc->off = off;
    pc->len = (uint32_t)len;
    pc->next = ks->buckets[b];
    ks->buckets[b] = (uint32_t)++ks->npieces;
    ks->bitmap[b / 64] |= (uint64_t)1 << (b % 64);
}

/* Master, root: add the pieces of one source. */
static void keyscan_add_source(keyscan_t *ks, const keyscan_src_t *s)
{
    size_t at;

    if (s->len < KEYSCAN_MIN) {
        return;
    }
    if (s->len <= KEYSCAN_PIECE) {
        keyscan_add(ks, s->off, s->len);
        return;
    }
    for (at = 0; at + KEYSCAN_PIECE <= s->len; at += KEYSCAN_STEP) {
        keyscan_add(ks, s->off + at, KEYSCAN_PIECE);
    }
    if ((s->len - KEYSCAN_PIECE) % KEYSCAN_STEP != 0) {
        keyscan_add(ks, s->off + s->len - KEYSCAN_PIECE, KEYSCAN_PIECE);
    }
}

/* Master, root: see keyscan.h. */
int keyscan_build(keyscan_t *ks, const unsigned char *data,
                  const keyscan_src_t *src, size_t n, void *mem,
                  size_t mem_len)
{
    size_t i, npieces = 0, nb;
    unsigned char *m = mem;

    for (i = 0; i < n; i++) {
        npieces += keyscan_pieces(src[i].len);
    }
    if (mem_len < keyscan_index_bytes(npieces)) {
        return 0;
    }
    nb = keyscan_nbuckets(npieces);
    memset(mem, 0, keyscan_index_bytes(npieces));
    ks->data = data;
    ks->pieces = (keyscan_piece_t *)m;
    m += KEYSCAN_ALIGN(npieces * sizeof(keyscan_piece_t));
    ks->buckets = (uint32_t *)m;
    m += KEYSCAN_ALIGN(nb * sizeof(uint32_t));
    ks->bitmap = (uint64_t *)m;
    ks->mask = (uint32_t)(nb - 1);
    ks->npieces = 0;
    for (i = 0; i < n; i++) {
        keyscan_add_source(ks, &src[i]);
    }
    return 1;
}

/* Master, root: the end of the longest piece found at buf + at (0:
 * none), len bytes left from there. */
static size_t keyscan_match(const keyscan_t *ks, const unsigned char *p,
                            size_t left, uint64_t w)
{
    uint32_t b = keyscan_bucket(w, ks->mask), i;
    size_t end = 0;

    if (!(ks->bitmap[b / 64] & ((uint64_t)1 << (b % 64)))) {
        return 0;
    }
    for (i = ks->buckets[b]; i; i = ks->pieces[i - 1].next) {
        const keyscan_piece_t *pc = &ks->pieces[i - 1];

        if (pc->len <= left && pc->len > end
            && memcmp(p, ks->data + pc->off, pc->len) == 0) {
            end = pc->len;
        }
    }
    return end;
}

/* Master, root: see keyscan.h.  The bytes of a piece found are zeroed
 * once the scan has passed them (a run [zs, ze) waits), so that the
 * pieces overlapping it are still found. */
void keyscan_clear(const keyscan_t *ks, unsigned char *buf, size_t len,
                   keyscan_result_t *res)
{
    size_t at, zs = 0, ze = 0, m;

    for (at = 0; at + 8 <= len; at++) {
        if (ze > zs && at >= ze) {
            memset(buf + zs, 0, ze - zs);
            res->cleared += ze - zs;
            zs = ze = 0;
        }
        if ((m = keyscan_match(ks, buf + at, len - at,
                               keyscan_word(buf + at))) == 0) {
            continue;
        }
        res->hits++;
        if (ze == zs) {
            zs = at;
        }
        ze = at + m > ze ? at + m : ze;
    }
    if (ze > zs) {
        memset(buf + zs, 0, ze - zs);
        res->cleared += ze - zs;
    }
}

/* Master, root: is the string s (n bytes) in t[0..len)? */
static int keyscan_has(const char *t, size_t len, const char *s)
{
    size_t n = strlen(s), i;

    for (i = 0; i + n <= len; i++) {
        if (t[i] == s[0] && memcmp(t + i, s, n) == 0) {
            return 1;
        }
    }
    return 0;
}

/* Master, root: see keyscan.h. */
int keyscan_pem_encrypted(const char *t, size_t len)
{
    return keyscan_has(t, len, "-----BEGIN ENCRYPTED PRIVATE KEY-----")
           || keyscan_has(t, len, "Proc-Type: 4,ENCRYPTED");
}
