/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * test_keyscan.c -- unit tests of mpm_peruid/keyscan.c, the master's
 * sweep of its own memory for copies of the keys it dropped: how many
 * pieces a source makes, that a whole copy at any alignment is cleared
 * to its last byte and nothing around it, that a copy cut short is still
 * cleared where its pieces are, that overlapping copies and copies at
 * the buffer's edges are found, that other bytes are left alone, and
 * the encrypted-PEM markers.
 */

#include <stdint.h>
#include <string.h>

#include "keyscan.h"
#include "unit.h"

#define MEM_MAX 65536

static uint64_t mem[MEM_MAX / 8];

/* A deterministic byte stream (xorshift), never all equal bytes. */
static void fill(unsigned char *p, size_t n, uint32_t seed)
{
    uint32_t x = seed | 1;
    size_t i;

    for (i = 0; i < n; i++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        p[i] = (unsigned char)(x >> 11);
    }
}

/* Index the sources of data; 1 on success. */
static int build(keyscan_t *ks, const unsigned char *data,
                 const keyscan_src_t *src, size_t n)
{
    return keyscan_build(ks, data, src, n, mem, sizeof(mem));
}

/* Are the n bytes at p all zero? */
static int zeros(const unsigned char *p, size_t n)
{
    size_t i;

    for (i = 0; i < n && p[i] == 0; i++) {
    }
    return i == n;
}

typedef struct {
    size_t len, pieces;
} pieces_row_t;

static const pieces_row_t pieces_rows[] = {
    { 0, 0 }, { 8, 0 }, { 15, 0 }, { 16, 1 }, { 23, 1 }, { 24, 1 },
    { 25, 2 }, { 32, 2 }, { 33, 3 }, { 40, 3 }, { 256, 30 }, { 257, 31 },
    { 1190, 147 },
};

/* How many pieces a source of each length makes: one every 8 bytes while
 * 24 fit, and one more to reach the last byte. */
static void test_pieces(void)
{
    size_t i;

    for (i = 0; i < sizeof(pieces_rows) / sizeof(pieces_rows[0]); i++) {
        CHECK(keyscan_pieces(pieces_rows[i].len) == pieces_rows[i].pieces);
    }
    CHECK(keyscan_index_bytes(1000) > 1000 * sizeof(keyscan_piece_t));
}

/* A whole copy of a source at every alignment is cleared, exactly. */
static void test_whole_copy(void)
{
    static const size_t lens[] = { 16, 20, 24, 25, 31, 32, 33, 64, 128, 257 };
    unsigned char data[300], buf[1024], want[1024];
    keyscan_src_t src = { 0, 0 };
    keyscan_result_t res;
    keyscan_t ks;
    size_t i, at;

    fill(data, sizeof(data), 7);
    for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
        src.len = lens[i];
        CHECK(build(&ks, data, &src, 1));
        for (at = 0; at < 16; at++) {
            fill(buf, sizeof(buf), 99);
            memcpy(buf + 100 + at, data, lens[i]);
            memcpy(want, buf, sizeof(buf));
            memset(want + 100 + at, 0, lens[i]);
            memset(&res, 0, sizeof(res));
            keyscan_clear(&ks, buf, sizeof(buf), &res);
            CHECK(memcmp(buf, want, sizeof(buf)) == 0);
            CHECK(res.cleared == lens[i]);
            CHECK(res.hits == keyscan_pieces(lens[i]));
        }
    }
}

/* A copy at the very start and one ending at the very end of the
 * buffer; a copy cut short (its last 10 bytes missing) is cleared as
 * far as its pieces go; bytes of no source stay. */
static void test_edges_and_cut(void)
{
    unsigned char data[128], buf[512];
    keyscan_src_t src = { 0, 128 };
    keyscan_result_t res = { 0, 0 };
    keyscan_t ks;

    fill(data, sizeof(data), 3);
    CHECK(build(&ks, data, &src, 1));
    fill(buf, sizeof(buf), 5);
    memcpy(buf, data, 128);
    memcpy(buf + sizeof(buf) - 128, data, 128);
    memcpy(buf + 200, data, 118);               /* cut short */
    buf[318] = (unsigned char)~data[118];       /* and differing after */
    keyscan_clear(&ks, buf, sizeof(buf), &res);
    CHECK(zeros(buf, 128));
    CHECK(zeros(buf + sizeof(buf) - 128, 128));
    CHECK(zeros(buf + 200, 112));               /* 13 pieces: 0..111 */
    CHECK(buf[318] != 0);
    CHECK(!zeros(buf + 128, 8));
    CHECK(res.cleared == 128 + 128 + 112);
}

/* Two sources; copies that overlap each other; a source shorter than
 * KEYSCAN_MIN is not looked for. */
static void test_two_sources(void)
{
    unsigned char data[96], buf[256];
    keyscan_src_t src[3] = { { 0, 40 }, { 40, 48 }, { 88, 8 } };
    keyscan_result_t res = { 0, 0 };
    keyscan_t ks;

    fill(data, sizeof(data), 11);
    CHECK(build(&ks, data, src, 3));
    CHECK(ks.npieces == keyscan_pieces(40) + keyscan_pieces(48));
    fill(buf, sizeof(buf), 13);
    memcpy(buf + 10, data, 40);
    memcpy(buf + 50, data + 40, 48);            /* right after the first */
    memcpy(buf + 150, data + 88, 8);            /* too short to look for */
    keyscan_clear(&ks, buf, sizeof(buf), &res);
    CHECK(zeros(buf + 10, 88));
    CHECK(buf[9] != 0 || buf[98] != 0);
    CHECK(memcmp(buf + 150, data + 88, 8) == 0);
    CHECK(res.cleared == 88);
}

/* Many sources: every one found, none of a buffer without them. */
static void test_many(void)
{
    static unsigned char data[200 * 64], buf[8192];
    keyscan_src_t src[200];
    keyscan_result_t res = { 0, 0 };
    keyscan_t ks;
    size_t i;

    fill(data, sizeof(data), 17);
    for (i = 0; i < 200; i++) {
        src[i].off = i * 64;
        src[i].len = 64;
    }
    CHECK(build(&ks, data, src, 200));
    fill(buf, sizeof(buf), 19);
    keyscan_clear(&ks, buf, sizeof(buf), &res);
    CHECK(res.hits == 0 && res.cleared == 0);
    for (i = 0; i < 100; i++) {
        memcpy(buf + i * 80 + 3, data + (199 - i) * 64, 64);
    }
    keyscan_clear(&ks, buf, sizeof(buf), &res);
    CHECK(res.cleared == 100 * 64);
    CHECK(zeros(buf + 99 * 80 + 3, 64));
}

/* The index does not fit: refused. */
static void test_too_small(void)
{
    unsigned char data[64] = { 1 };
    keyscan_src_t src = { 0, 64 };
    keyscan_t ks;

    CHECK(!keyscan_build(&ks, data, &src, 1, mem, 16));
}

typedef struct {
    const char *text;
    int encrypted;
} pem_row_t;

static const pem_row_t pem_rows[] = {
    { "-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n", 0 },
    { "-----BEGIN RSA PRIVATE KEY-----\nMIIE\n", 0 },
    { "-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIF\n", 1 },
    { "-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\n"
      "DEK-Info: AES-128-CBC,00\n\nabc\n", 1 },
    { "-----BEGIN CERTIFICATE-----\nMIID\n", 0 },
    { "", 0 },
};

static void test_pem(void)
{
    size_t i;

    for (i = 0; i < sizeof(pem_rows) / sizeof(pem_rows[0]); i++) {
        CHECK(keyscan_pem_encrypted(pem_rows[i].text,
                                    strlen(pem_rows[i].text))
              == pem_rows[i].encrypted);
    }
}

int main(void)
{
    test_pieces();
    test_whole_copy();
    test_edges_and_cut();
    test_two_sources();
    test_many();
    test_too_small();
    test_pem();
    return unit_summary("test_keyscan");
}
