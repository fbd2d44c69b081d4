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
 */

#ifndef PERUID_CHANNEL_H
#define PERUID_CHANNEL_H

#include "apr.h"
#include "apr_errno.h"

#define PERUID_MSG_MAGIC   0x50525544u  /* "PRUD" */
#define PERUID_MSG_VERSION 1

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
} peruid_msg_t;

apr_status_t peruid_chan_pair(int fds[2]);
apr_status_t peruid_chan_send(int chan, peruid_msg_type_e type,
                              apr_uint32_t pool, apr_uint32_t generation,
                              int fd);
apr_status_t peruid_chan_recv(int chan, peruid_msg_t *msg, int *fd);
apr_status_t peruid_chan_recv_wait(int chan, peruid_msg_t *msg, int *fd);
apr_status_t peruid_chan_check(const peruid_msg_t *msg,
                               peruid_msg_type_e type, apr_uint32_t pool,
                               int has_fd);

#endif /* PERUID_CHANNEL_H */
