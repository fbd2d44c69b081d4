/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * fuzz_channel.c -- libFuzzer target for the checks of mpm_peruid/
 * channel.c that decide whether a record received on a channel is taken:
 * the master's on SPAWN records from routers, a worker's on CONN,
 * CONN_REPLAY and BIND records, a router's on HANDOVER records from
 * workers (a tenant's code may write any bytes there).
 *
 * The first 32 bytes of an input are a record (zero-padded); the next
 * ones choose what the receiver expects: the type, the pool, whether a
 * descriptor came (or how many), the hop bound.  Invariants: a record
 * taken has the magic, version, type and pool expected, a descriptor
 * exactly when its type carries one, a deadline exactly for a
 * connection, within APR's time, and hops and target only where they
 * belong.  fuzz_main.c runs the same entry point over files.
 */

#include <stdint.h>
#include <string.h>

#include "channel.h"
#include "fuzz.h"

/* The receiver's expectations, from the bytes after the record. */
typedef struct {
    peruid_msg_type_e type;
    apr_uint32_t pool;
    int nfds;
    apr_uint32_t max_hops;
} fuzz_expect_t;

static void fuzz_expect(const uint8_t *d, size_t n, fuzz_expect_t *e)
{
    uint8_t b[6] = { 0 };

    memcpy(b, d, n < sizeof(b) ? n : sizeof(b));
    e->type = (peruid_msg_type_e)(b[0] % 7);
    e->pool = (apr_uint32_t)b[1] | (apr_uint32_t)b[2] << 8;
    e->nfds = b[3] % 3;
    e->max_hops = b[4] % 8;
}

/* A record taken by peruid_chan_check. */
static void fuzz_check_one(const peruid_msg_t *m, const fuzz_expect_t *e)
{
    int has_fd = e->nfds > 0;

    if (peruid_chan_check(m, e->type, e->pool, has_fd) != APR_SUCCESS) {
        return;
    }
    FUZZ_ASSERT(m->magic == PERUID_MSG_MAGIC);
    FUZZ_ASSERT(m->version == PERUID_MSG_VERSION);
    FUZZ_ASSERT(m->type == (apr_uint16_t)e->type && m->pool == e->pool);
    FUZZ_ASSERT(has_fd == (e->type == PERUID_MSG_CONN
                           || e->type == PERUID_MSG_BIND));
    FUZZ_ASSERT(e->type == PERUID_MSG_USER
                || (m->deadline != 0) == (e->type == PERUID_MSG_CONN));
    FUZZ_ASSERT(e->type == PERUID_MSG_USER
                || m->deadline <= (apr_uint64_t)APR_INT64_MAX);
    FUZZ_ASSERT(m->hops == 0 && m->target == 0);
}

/* A record taken by peruid_chan_check_pair. */
static void fuzz_check_pair(const peruid_msg_t *m, const fuzz_expect_t *e)
{
    if (peruid_chan_check_pair(m, e->type, e->pool, e->nfds, e->max_hops)
        != APR_SUCCESS) {
        return;
    }
    FUZZ_ASSERT(m->magic == PERUID_MSG_MAGIC);
    FUZZ_ASSERT(m->version == PERUID_MSG_VERSION);
    FUZZ_ASSERT(m->type == (apr_uint16_t)e->type && m->pool == e->pool);
    FUZZ_ASSERT(e->nfds == 2);
    FUZZ_ASSERT(e->type == PERUID_MSG_BIND || e->type == PERUID_MSG_HANDOVER
                || e->type == PERUID_MSG_CONN_REPLAY);
    FUZZ_ASSERT(m->target == 0 || e->type == PERUID_MSG_HANDOVER);
    FUZZ_ASSERT((m->deadline != 0) == (e->type == PERUID_MSG_CONN_REPLAY)
                || (e->type == PERUID_MSG_HANDOVER
                    && m->target == PERUID_TARGET_USER));
    FUZZ_ASSERT(e->type == PERUID_MSG_HANDOVER
                || m->deadline <= (apr_uint64_t)APR_INT64_MAX);
    FUZZ_ASSERT((m->hops == 0) == (e->type == PERUID_MSG_BIND));
    FUZZ_ASSERT(e->type != PERUID_MSG_CONN_REPLAY || m->hops <= e->max_hops);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    peruid_msg_t m;
    fuzz_expect_t e;
    size_t n = size < sizeof(m) ? size : sizeof(m);

    memset(&m, 0, sizeof(m));
    memcpy(&m, data, n);
    fuzz_expect(data + n, size - n, &e);
    fuzz_check_one(&m, &e);
    fuzz_check_pair(&m, &e);
    /* the receivers ask for the pool the record names, too */
    e.pool = m.pool;
    fuzz_check_one(&m, &e);
    fuzz_check_pair(&m, &e);
    return 0;
}
