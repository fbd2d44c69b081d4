/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * channel.h -- fixed-size records between peruid processes, optionally
 * carrying one file descriptor (SCM_RIGHTS).
 *
 * Channels are AF_UNIX SOCK_SEQPACKET socket pairs created by the master:
 *   pool channel:    routers --(CONN + client fd)--> the pool's workers
 *   control channel: routers --(SPAWN)-----------> master
 *   bind socket:     master  --(BIND + pool fd)---> one preforked worker
 * Records never hold pointers.  Every receive checks the record size, the
 * control message level, type and length, and truncation before it trusts
 * a descriptor; a bad record is refused and any descriptor in it closed.
 *
 * A CONN record carries its connection's deadline for a worker to take
 * it: the router's (its accept time plus PeruidPeekTimeout), on the
 * CLOCK_MONOTONIC clock, which every process of the machine shares.  A
 * worker that takes the record later answers 503 instead (worker.c).
 */

#ifndef PERUID_CHANNEL_H
#define PERUID_CHANNEL_H

#include "apr.h"
#include "apr_errno.h"
#include "apr_time.h"

#define PERUID_MSG_MAGIC   0x50525544u  /* "PRUD" */
#define PERUID_MSG_VERSION 2     /* 2: the deadline                     */
#define PERUID_MSG_SIZE    24

typedef enum {
    PERUID_MSG_CONN  = 1,   /* a client connection for a pool's worker   */
    PERUID_MSG_SPAWN = 2,   /* a router asks the master for a worker     */
    PERUID_MSG_BIND  = 3    /* the master gives a preforked worker a pool
                             * (with the pool's receive end)            */
} peruid_msg_type_e;

typedef struct {
    apr_uint32_t magic;
    apr_uint16_t version;
    apr_uint16_t type;
    apr_uint32_t pool;      /* index of the target pool                  */
    apr_uint32_t generation;
    apr_uint64_t deadline;  /* CONN: take it before this (peruid_chan_clock),
                             * never 0; other types: 0                   */
} peruid_msg_t;

/* The record's layout is fixed: no padding, same size in every process. */
typedef char peruid_msg_size_check[sizeof(peruid_msg_t) == PERUID_MSG_SIZE
                                   ? 1 : -1];

apr_status_t peruid_chan_pair(int fds[2]);
apr_status_t peruid_chan_send(int chan, peruid_msg_type_e type,
                              apr_uint32_t pool, apr_uint32_t generation,
                              int fd);
apr_status_t peruid_chan_send_conn(int chan, apr_uint32_t pool,
                                   apr_uint32_t generation, int fd,
                                   apr_time_t deadline);
apr_status_t peruid_chan_recv(int chan, peruid_msg_t *msg, int *fd);
apr_status_t peruid_chan_recv_wait(int chan, peruid_msg_t *msg, int *fd);
apr_status_t peruid_chan_check(const peruid_msg_t *msg,
                               peruid_msg_type_e type, apr_uint32_t pool,
                               int has_fd);
apr_time_t peruid_chan_clock(void);
int peruid_chan_expired(const peruid_msg_t *msg, apr_time_t now);

#endif /* PERUID_CHANNEL_H */
