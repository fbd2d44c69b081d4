/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * keyscan.h -- find and clear copies of secrets in memory, as pure
 * functions: the master's sweep of its own memory (tlskeys.c) after it
 * has dropped every private key.
 *
 * A secret (a BIGNUM of a private key in either byte order, a key's DER,
 * a base64 line of its PEM, a session ticket key) is a "source"; it is
 * looked for as overlapping pieces of KEYSCAN_PIECE bytes, one every
 * KEYSCAN_STEP bytes and one ending at its last byte, so that every
 * byte of a whole copy lies in some piece and a copy cut short still
 * shows.  A source shorter than a piece is one piece, if it has at
 * least KEYSCAN_MIN bytes.  Pieces are indexed by their first 8 bytes
 * (a hash table and a bitmap in front of it), so a scan costs a few
 * instructions per byte whatever the number of pieces.
 *
 * A scan clears (zeroes) every byte of every piece it finds, after the
 * pieces that overlap it were looked for.
 *
 * No system call, no allocation: the caller gives the memory of the
 * index (keyscan_index_bytes); tests/unit/test_keyscan.c links it alone.
 */

#ifndef PERUID_KEYSCAN_H
#define PERUID_KEYSCAN_H

#include <stddef.h>
#include <stdint.h>

#define KEYSCAN_PIECE 24
#define KEYSCAN_STEP  8
#define KEYSCAN_MIN   16

/* A source: len bytes at off in the caller's data. */
typedef struct {
    size_t off;
    size_t len;
} keyscan_src_t;

/* A piece: len bytes at off in the data; next in its bucket. */
typedef struct {
    size_t off;
    uint32_t len;
    uint32_t next;              /* index + 1, 0: end of the bucket       */
} keyscan_piece_t;

/* The index over the pieces of a set of sources. */
typedef struct {
    const unsigned char *data;
    keyscan_piece_t *pieces;
    size_t npieces;
    uint32_t *buckets;          /* first piece + 1, 0: empty             */
    uint64_t *bitmap;           /* a bit per bucket: not empty           */
    uint32_t mask;              /* buckets - 1                           */
} keyscan_t;

/* What a scan found. */
typedef struct {
    size_t hits;                /* pieces found                          */
    size_t cleared;             /* bytes zeroed                          */
} keyscan_result_t;

/* The pieces of a source of len bytes. */
size_t keyscan_pieces(size_t len);

/* The bytes of memory an index of npieces pieces takes. */
size_t keyscan_index_bytes(size_t npieces);

/* Build the index of the sources src[0..n) of data in mem (mem_len
 * bytes, at least keyscan_index_bytes of their pieces, 8-byte aligned).
 * Returns 0 when mem is too small. */
int keyscan_build(keyscan_t *ks, const unsigned char *data,
                  const keyscan_src_t *src, size_t n, void *mem,
                  size_t mem_len);

/* Zero every piece of ks found in buf[0..len); add what was found to
 * *res.  buf must not hold the index's data. */
void keyscan_clear(const keyscan_t *ks, unsigned char *buf, size_t len,
                   keyscan_result_t *res);

/* Does the PEM text t[0..len) hold an encrypted private key (PKCS#8
 * "BEGIN ENCRYPTED PRIVATE KEY", or the traditional "Proc-Type:
 * 4,ENCRYPTED" header)? */
int keyscan_pem_encrypted(const char *t, size_t len);

#endif /* PERUID_KEYSCAN_H */
