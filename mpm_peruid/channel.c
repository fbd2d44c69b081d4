/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * channel.c -- fd passing over SOCK_SEQPACKET socket pairs.
 *
 * Runs in every process: the master creates the pairs (as root, before any
 * fork), routers send (as User, no capabilities), workers receive (as the
 * vhost's user).  Nothing here needs privilege; nothing here reads a byte
 * of a client connection.  Kept free of httpd headers so that the unit
 * tests (tests/unit) link it alone.
 */

#ifndef _GNU_SOURCE
#define _GNU_SOURCE             /* POLLRDHUP */
#endif

#include <errno.h>
#include <string.h>
#include <fcntl.h>
#include <poll.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include "channel.h"

/* Any process (master in practice, root): create a channel.  The send
 * end is non-blocking so that a full queue never stalls a router's event
 * loop; the receive end blocks (workers wait in recvmsg() on it).  Both
 * ends are close-on-exec: CGI scripts must never inherit a channel. */
apr_status_t peruid_chan_pair(int fds[2])
{
    int flags;

    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, fds) < 0) {
        return errno;
    }
    flags = fcntl(fds[0], F_GETFL);
    if (flags < 0 || fcntl(fds[0], F_SETFL, flags | O_NONBLOCK) < 0) {
        int rv = errno;
        close(fds[0]);
        close(fds[1]);
        return rv;
    }
    return APR_SUCCESS;
}

/* Sender: send the record msg, with the nfds (0 to 2) descriptors fds
 * attached in one control message.  Returns APR_SUCCESS, EAGAIN when the
 * queue is full, or the errno. */
static apr_status_t chan_send_fds(int chan, peruid_msg_t *msg,
                                  const int *fds, int nfds)
{
    struct iovec iov;
    struct msghdr mh;
    union {
        struct cmsghdr align;
        char buf[CMSG_SPACE(sizeof(int) * 2)];
    } cmsg;
    ssize_t n;

    msg->magic = PERUID_MSG_MAGIC;
    msg->version = PERUID_MSG_VERSION;
    memset(&mh, 0, sizeof(mh));
    iov.iov_base = msg;
    iov.iov_len = sizeof(*msg);
    mh.msg_iov = &iov;
    mh.msg_iovlen = 1;
    if (nfds > 0) {
        struct cmsghdr *c;

        memset(&cmsg, 0, sizeof(cmsg));
        mh.msg_control = cmsg.buf;
        mh.msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)nfds);
        c = CMSG_FIRSTHDR(&mh);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)nfds);
        memcpy(CMSG_DATA(c), fds, sizeof(int) * (size_t)nfds);
    }
    do {
        n = sendmsg(chan, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
    } while (n < 0 && errno == EINTR);
    if (n < 0) {
        return errno;
    }
    return n == (ssize_t)sizeof(*msg) ? APR_SUCCESS : APR_EGENERAL;
}

/* Sender: send the record msg, with fd >= 0 attached (chan_send_fds). */
static apr_status_t chan_send(int chan, peruid_msg_t *msg, int fd)
{
    return chan_send_fds(chan, msg, &fd, fd >= 0 ? 1 : 0);
}

/* Router (User, no capabilities) or master (root): send one record
 * without a deadline (SPAWN, BIND), with fd >= 0 attached.  Returns as
 * chan_send. */
apr_status_t peruid_chan_send(int chan, peruid_msg_type_e type,
                              apr_uint32_t pool, apr_uint32_t generation,
                              int fd)
{
    peruid_msg_t msg;

    memset(&msg, 0, sizeof(msg));
    msg.type = (apr_uint16_t)type;
    msg.pool = pool;
    msg.generation = generation;
    return chan_send(chan, &msg, fd);
}

/* Router (User, no capabilities): send connection fd to a pool, to be
 * taken by one of its workers before deadline (peruid_chan_clock; 0 is
 * refused by the receiver).  Returns as chan_send. */
apr_status_t peruid_chan_send_conn(int chan, apr_uint32_t pool,
                                   apr_uint32_t generation, int fd,
                                   apr_time_t deadline)
{
    peruid_msg_t msg;

    memset(&msg, 0, sizeof(msg));
    msg.type = PERUID_MSG_CONN;
    msg.pool = pool;
    msg.generation = generation;
    msg.deadline = deadline > 0 ? (apr_uint64_t)deadline : 0;
    return chan_send(chan, &msg, fd);
}

/* Worker (vhost user, HANDOVER on its pool's back channel) or router
 * (CONN_REPLAY on a pool channel): send the client socket fd and the
 * sealed replay memfd with hops (the hand-overs of the current request,
 * this one included) and, for CONN_REPLAY, the deadline.  Returns as
 * chan_send. */
apr_status_t peruid_chan_send_pair(int chan, peruid_msg_type_e type,
                                   apr_uint32_t pool,
                                   apr_uint32_t generation, int fd,
                                   int memfd, apr_time_t deadline,
                                   apr_uint32_t hops)
{
    peruid_msg_t msg;
    int fds[2];

    memset(&msg, 0, sizeof(msg));
    msg.type = (apr_uint16_t)type;
    msg.pool = pool;
    msg.generation = generation;
    msg.deadline = deadline > 0 ? (apr_uint64_t)deadline : 0;
    msg.hops = hops;
    fds[0] = fd;
    fds[1] = memfd;
    return chan_send_fds(chan, &msg, fds, 2);
}

/* Worker (vhost user), on its pool's back channel: a HANDOVER record
 * with target and, for PERUID_TARGET_USER, the user's ids in deadline. */
static apr_status_t chan_send_handover(int chan, apr_uint32_t pool,
                                       apr_uint32_t generation, int fd,
                                       int memfd, apr_uint32_t hops,
                                       apr_uint32_t target,
                                       apr_uint64_t deadline)
{
    peruid_msg_t msg;
    int fds[2];

    memset(&msg, 0, sizeof(msg));
    msg.type = PERUID_MSG_HANDOVER;
    msg.pool = pool;
    msg.generation = generation;
    msg.hops = hops;
    msg.target = target;
    msg.deadline = deadline;
    fds[0] = fd;
    fds[1] = memfd;
    return chan_send_fds(chan, &msg, fds, 2);
}

/* Worker (vhost user), on its pool's back channel: a HANDOVER record
 * (peruid_chan_send_pair) naming the pool target the request needs
 * (minus one: none, the router goes by the replay's head). */
apr_status_t peruid_chan_send_handover(int chan, apr_uint32_t pool,
                                       apr_uint32_t generation, int fd,
                                       int memfd, apr_uint32_t hops,
                                       apr_uint32_t target)
{
    return chan_send_handover(chan, pool, generation, fd, memfd, hops,
                              target, 0);
}

/* Worker (vhost user), on its pool's back channel: a HANDOVER record
 * naming the user uid/gid an AssignUserIDExpr chose (target
 * PERUID_TARGET_USER, the ids in the deadline field): the worker cannot
 * know which pool serves a user given one on demand (exprpool.c). */
apr_status_t peruid_chan_send_handover_user(int chan, apr_uint32_t pool,
                                            apr_uint32_t generation, int fd,
                                            int memfd, apr_uint32_t hops,
                                            apr_uint32_t uid,
                                            apr_uint32_t gid)
{
    return chan_send_handover(chan, pool, generation, fd, memfd, hops,
                              PERUID_TARGET_USER,
                              ((apr_uint64_t)uid << 32) | gid);
}

/* Router (the routers' user), on the control channel: a USER record:
 * the workers of pool asked for a pool of uid/gid (exprpool.c; the
 * master decides). */
apr_status_t peruid_chan_send_user(int chan, apr_uint32_t pool,
                                   apr_uint32_t generation, apr_uint32_t uid,
                                   apr_uint32_t gid)
{
    peruid_msg_t msg;

    memset(&msg, 0, sizeof(msg));
    msg.type = PERUID_MSG_USER;
    msg.pool = pool;
    msg.generation = generation;
    msg.deadline = ((apr_uint64_t)uid << 32) | gid;
    return chan_send(chan, &msg, -1);
}

/* Any receiver of a USER record, or of a HANDOVER whose target is
 * PERUID_TARGET_USER: the user's ids. */
void peruid_chan_user_ids(const peruid_msg_t *msg, apr_uint32_t *uid,
                          apr_uint32_t *gid)
{
    *uid = (apr_uint32_t)(msg->deadline >> 32);
    *gid = (apr_uint32_t)(msg->deadline & 0xffffffffu);
}

/* Any receiver: close every descriptor a control message carried. */
static void chan_close_all(struct msghdr *mh)
{
    struct cmsghdr *c;

    for (c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR(mh, c)) {
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
            size_t len = c->cmsg_len - CMSG_LEN(0), i;
            int fd;

            for (i = 0; i + sizeof(int) <= len; i += sizeof(int)) {
                memcpy(&fd, CMSG_DATA(c) + i, sizeof(int));
                close(fd);
            }
        }
    }
}

/* Any receiver: the descriptors of a well-formed control message (one
 * SCM_RIGHTS message of 1 to max of them) in fds, the others -1, their
 * count in *nfds.  More than max, another level or type, a short length
 * or a second control message makes the whole message bad (APR_EINVAL). */
static apr_status_t chan_take_fds(struct msghdr *mh, int *fds, int max,
                                  int *nfds)
{
    struct cmsghdr *c = CMSG_FIRSTHDR(mh);
    size_t len;
    int i;

    for (i = 0; i < max; i++) {
        fds[i] = -1;
    }
    *nfds = 0;
    if (!c) {
        return APR_SUCCESS;
    }
    len = c->cmsg_len >= CMSG_LEN(0) ? c->cmsg_len - CMSG_LEN(0) : 0;
    if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS
        || len == 0 || len % sizeof(int) != 0
        || len > sizeof(int) * (size_t)max
        || CMSG_NXTHDR(mh, c) != NULL) {
        chan_close_all(mh);
        return APR_EINVAL;
    }
    *nfds = (int)(len / sizeof(int));
    memcpy(fds, CMSG_DATA(c), len);
    return APR_SUCCESS;
}

/* Any receiver: recvmsg() returned 0.  That is the end of the channel
 * only when every sender has closed; a record of zero bytes (which only a
 * misbehaving sender makes) is malformed, and its descriptors are closed. */
static apr_status_t chan_zero_length(int chan, struct msghdr *mh)
{
    struct pollfd pfd;

    if (mh->msg_controllen > 0 && CMSG_FIRSTHDR(mh)) {
        chan_close_all(mh);
        return APR_EINVAL;
    }
    pfd.fd = chan;
    pfd.events = POLLRDHUP;
    pfd.revents = 0;
    if (poll(&pfd, 1, 0) == 1 && (pfd.revents & (POLLRDHUP | POLLHUP))) {
        return APR_EOF;
    }
    return APR_EINVAL;
}

/* Worker (vhost user), preforked worker, router or master: receive one
 * record with at most max (1 or 2) descriptors, in fds (-1 for none);
 * with wait, block until one comes, a signal (EINTR) or the socket's
 * SO_RCVTIMEO (EAGAIN).  Returns APR_SUCCESS; APR_EOF when every sender
 * has closed; EAGAIN when nothing waits (or the wait timed out); EINTR;
 * APR_EINVAL for a malformed record (its descriptors already closed). */
static apr_status_t chan_recv_fds(int chan, peruid_msg_t *msg, int *fds,
                                  int max, int wait)
{
    struct iovec iov;
    struct msghdr mh;
    union {
        struct cmsghdr align;
        char buf[CMSG_SPACE(sizeof(int) * 4)];
    } cmsg;
    ssize_t n;
    int i, nfds;

    for (i = 0; i < max; i++) {
        fds[i] = -1;
    }
    memset(&mh, 0, sizeof(mh));
    iov.iov_base = msg;
    iov.iov_len = sizeof(*msg);
    mh.msg_iov = &iov;
    mh.msg_iovlen = 1;
    mh.msg_control = cmsg.buf;
    mh.msg_controllen = sizeof(cmsg.buf);
    do {
        n = recvmsg(chan, &mh, MSG_CMSG_CLOEXEC | (wait ? 0 : MSG_DONTWAIT));
    } while (n < 0 && errno == EINTR && !wait);
    if (n < 0) {
        return errno;
    }
    if (n == 0) {
        return chan_zero_length(chan, &mh);
    }
    if ((mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC))
        || n != (ssize_t)sizeof(*msg)) {
        chan_close_all(&mh);
        return APR_EINVAL;
    }
    return chan_take_fds(&mh, fds, max, &nfds);
}

/* Receiver of records with at most one descriptor (see chan_recv_fds). */
static apr_status_t chan_recv(int chan, peruid_msg_t *msg, int *fd, int wait)
{
    return chan_recv_fds(chan, msg, fd, 1, wait);
}

/* Any receiver: one record without waiting (see chan_recv). */
apr_status_t peruid_chan_recv(int chan, peruid_msg_t *msg, int *fd)
{
    return chan_recv(chan, msg, fd, 0);
}

/* Worker (vhost user): one record, waiting for it (see chan_recv).  The
 * kernel wakes one waiting receiver per record, so the workers of a pool
 * that wait here are never woken for a record another one takes. */
apr_status_t peruid_chan_recv_wait(int chan, peruid_msg_t *msg, int *fd)
{
    return chan_recv(chan, msg, fd, 1);
}

/* Worker (vhost user, on its pool channel: CONN or CONN_REPLAY) or
 * router (on a back channel: HANDOVER): one record with one or two
 * descriptors in fds[0] and fds[1] (-1 for none); see chan_recv_fds. */
apr_status_t peruid_chan_recv_pair(int chan, peruid_msg_t *msg, int fds[2],
                                   int wait)
{
    return chan_recv_fds(chan, msg, fds, 2, wait);
}

/* Any receiver: is this the record the state expects?  The allow-list:
 * right magic and version, the expected type and pool, a descriptor
 * exactly when the type carries one, and a deadline exactly when it is a
 * connection (whose deadline has not necessarily passed yet: the receiver
 * asks peruid_chan_expired). */
apr_status_t peruid_chan_check(const peruid_msg_t *msg,
                               peruid_msg_type_e type, apr_uint32_t pool,
                               int has_fd)
{
    if (msg->magic != PERUID_MSG_MAGIC || msg->version != PERUID_MSG_VERSION
        || msg->type != (apr_uint16_t)type || msg->pool != pool) {
        return APR_EINVAL;
    }
    if ((type == PERUID_MSG_CONN || type == PERUID_MSG_BIND)
        != (has_fd != 0)) {
        return APR_EINVAL;
    }
    if (type == PERUID_MSG_USER) {  /* the deadline holds the ids */
        return msg->hops == 0 && msg->target == 0 ? APR_SUCCESS
                                                  : APR_EINVAL;
    }
    if ((type == PERUID_MSG_CONN) != (msg->deadline != 0)
        || msg->deadline > (apr_uint64_t)APR_INT64_MAX
        || msg->hops != 0 || msg->target != 0) {
        return APR_EINVAL;
    }
    return APR_SUCCESS;
}

/* Any receiver of a record with two descriptors (HANDOVER on a back
 * channel, CONN_REPLAY on a pool channel, BIND on a bind socket): the
 * allow-list of peruid_chan_check, with exactly two descriptors (nfds);
 * for HANDOVER and CONN_REPLAY hops from 1, and to max_hops for
 * CONN_REPLAY (a HANDOVER past the bound is well-formed: the router asks
 * msg->hops > max_hops itself, to answer it), for BIND none; a deadline
 * exactly for CONN_REPLAY. */
apr_status_t peruid_chan_check_pair(const peruid_msg_t *msg,
                                    peruid_msg_type_e type,
                                    apr_uint32_t pool, int nfds,
                                    apr_uint32_t max_hops)
{
    if (msg->magic != PERUID_MSG_MAGIC || msg->version != PERUID_MSG_VERSION
        || msg->type != (apr_uint16_t)type || msg->pool != pool
        || nfds != 2 || (msg->target != 0 && type != PERUID_MSG_HANDOVER)) {
        return APR_EINVAL;
    }
    switch (type) {
    case PERUID_MSG_BIND:
        return msg->hops == 0 && msg->deadline == 0 ? APR_SUCCESS
                                                     : APR_EINVAL;
    case PERUID_MSG_HANDOVER:
        /* the deadline holds a user's ids for PERUID_TARGET_USER only */
        return msg->hops > 0 && (msg->deadline == 0
                                 || msg->target == PERUID_TARGET_USER)
               ? APR_SUCCESS : APR_EINVAL;
    case PERUID_MSG_CONN_REPLAY:
        /* a router never sends one past the bound */
        return msg->hops > 0 && msg->hops <= max_hops && msg->deadline != 0
               && msg->deadline <= (apr_uint64_t)APR_INT64_MAX
               ? APR_SUCCESS : APR_EINVAL;
    default:
        return APR_EINVAL;
    }
}

/* Router or worker: now on CLOCK_MONOTONIC, in microseconds: the clock
 * of the records' deadlines.  It is the same in every process of the
 * machine, and a change of the system time does not move it. */
apr_time_t peruid_chan_clock(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (apr_time_t)ts.tv_sec * APR_USEC_PER_SEC + ts.tv_nsec / 1000;
}

/* Worker (vhost user): has the deadline of the CONN record msg (checked
 * by peruid_chan_check) passed at now (peruid_chan_clock)? */
int peruid_chan_expired(const peruid_msg_t *msg, apr_time_t now)
{
    return now >= 0 && (apr_uint64_t)now >= msg->deadline;
}
