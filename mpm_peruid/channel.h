/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * channel.h -- fixed-size records between peruid processes, optionally
 * carrying one file descriptor (SCM_RIGHTS).
 *
 * Channels are AF_UNIX SOCK_SEQPACKET socket pairs created by the master:
 *   pool channel:    routers --(CONN + client fd)--> the pool's workers
 *   control channel: routers --(SPAWN)-----------> master
 *   bind socket:     master  --(BIND + pool fd, twice)--> one
 *                    preforked worker
 *   back channel:    a pool's workers --(HANDOVER + client fd + replay
 *                    memfd)--> routers (handover.c, router.c): the pool
 *                    channel's other direction
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
#define PERUID_MSG_VERSION 3     /* 2: the deadline; 3: the hops        */
#define PERUID_MSG_SIZE    32

typedef enum {
    PERUID_MSG_CONN  = 1,   /* a client connection for a pool's worker   */
    PERUID_MSG_SPAWN = 2,   /* a router asks the master for a worker     */
    PERUID_MSG_BIND  = 3,   /* the master gives a preforked worker a pool
                             * (with the pool's receive end)            */
    PERUID_MSG_HANDOVER = 4,    /* a worker gives a connection back to
                             * the routers: client socket and replay
                             * memfd (two descriptors)                   */
    PERUID_MSG_CONN_REPLAY = 5, /* CONN with a replay memfd: the bytes a
                             * worker of another pool read and did not
                             * answer (two descriptors)                  */
    PERUID_MSG_USER = 6     /* a router asks the master for a pool of the
                             * user an AssignUserIDExpr chose (no
                             * descriptor; pool: the pool whose worker
                             * asked; deadline: the user's ids)          */
} peruid_msg_type_e;

/* HANDOVER's target when the record names a user, not a pool: the
 * user's ids are in its deadline field (peruid_chan_user_ids), for an
 * AssignUserIDExpr user whose pool the worker cannot know (exprpool.c). */
#define PERUID_TARGET_USER 0xffffffffu

typedef struct {
    apr_uint32_t magic;
    apr_uint16_t version;
    apr_uint16_t type;
    apr_uint32_t pool;      /* index of the target pool                  */
    apr_uint32_t generation;
    apr_uint64_t deadline;  /* CONN, CONN_REPLAY: take it before this
                             * (peruid_chan_clock), never 0; USER, and
                             * HANDOVER with target PERUID_TARGET_USER:
                             * uid << 32 | gid; others: 0                */
    apr_uint32_t hops;      /* HANDOVER, CONN_REPLAY: hand-overs of the
                             * connection's current request, this one
                             * included (1..max); others: 0              */
    apr_uint32_t target;    /* HANDOVER: the pool the sender found the
                             * request needs, plus one (0: none named:
                             * the router goes by the replay's head;
                             * PERUID_TARGET_USER: the user in deadline);
                             * others: 0                                 */
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
apr_status_t peruid_chan_send_pair(int chan, peruid_msg_type_e type,
                                   apr_uint32_t pool,
                                   apr_uint32_t generation, int fd,
                                   int memfd, apr_time_t deadline,
                                   apr_uint32_t hops);
apr_status_t peruid_chan_send_handover(int chan, apr_uint32_t pool,
                                       apr_uint32_t generation, int fd,
                                       int memfd, apr_uint32_t hops,
                                       apr_uint32_t target);
apr_status_t peruid_chan_send_handover_user(int chan, apr_uint32_t pool,
                                            apr_uint32_t generation, int fd,
                                            int memfd, apr_uint32_t hops,
                                            apr_uint32_t uid,
                                            apr_uint32_t gid);
apr_status_t peruid_chan_send_user(int chan, apr_uint32_t pool,
                                   apr_uint32_t generation, apr_uint32_t uid,
                                   apr_uint32_t gid);
void peruid_chan_user_ids(const peruid_msg_t *msg, apr_uint32_t *uid,
                          apr_uint32_t *gid);
apr_status_t peruid_chan_recv(int chan, peruid_msg_t *msg, int *fd);
apr_status_t peruid_chan_recv_wait(int chan, peruid_msg_t *msg, int *fd);
apr_status_t peruid_chan_recv_pair(int chan, peruid_msg_t *msg, int fds[2],
                                   int wait);
apr_status_t peruid_chan_check(const peruid_msg_t *msg,
                               peruid_msg_type_e type, apr_uint32_t pool,
                               int has_fd);
apr_status_t peruid_chan_check_pair(const peruid_msg_t *msg,
                                    peruid_msg_type_e type,
                                    apr_uint32_t pool, int nfds,
                                    apr_uint32_t max_hops);
apr_time_t peruid_chan_clock(void);
int peruid_chan_expired(const peruid_msg_t *msg, apr_time_t now);

#endif /* PERUID_CHANNEL_H */
