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

/* Sender: send the record msg, with fd >= 0 attached.  Returns
 * APR_SUCCESS, EAGAIN when the queue is full, or the errno. */
static apr_status_t chan_send(int chan, peruid_msg_t *msg, int fd)
{
    struct iovec iov;
    struct msghdr mh;
    union {
        struct cmsghdr align;
        char buf[CMSG_SPACE(sizeof(int))];
    } cmsg;
    ssize_t n;

    msg->magic = PERUID_MSG_MAGIC;
    msg->version = PERUID_MSG_VERSION;
    memset(&mh, 0, sizeof(mh));
    iov.iov_base = msg;
    iov.iov_len = sizeof(*msg);
    mh.msg_iov = &iov;
    mh.msg_iovlen = 1;
    if (fd >= 0) {
        struct cmsghdr *c;

        memset(&cmsg, 0, sizeof(cmsg));
        mh.msg_control = cmsg.buf;
        mh.msg_controllen = sizeof(cmsg.buf);
        c = CMSG_FIRSTHDR(&mh);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int));
        memcpy(CMSG_DATA(c), &fd, sizeof(int));
    }
    do {
        n = sendmsg(chan, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
    } while (n < 0 && errno == EINTR);
    if (n < 0) {
        return errno;
    }
    return n == (ssize_t)sizeof(*msg) ? APR_SUCCESS : APR_EGENERAL;
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

/* Any receiver: the single fd of a well-formed control message, or -1.
 * More than one descriptor, another level or type, or a short length
 * makes the whole message bad (APR_EINVAL). */
static apr_status_t chan_take_fd(struct msghdr *mh, int *fd)
{
    struct cmsghdr *c = CMSG_FIRSTHDR(mh);

    *fd = -1;
    if (!c) {
        return APR_SUCCESS;
    }
    if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS
        || c->cmsg_len != CMSG_LEN(sizeof(int))
        || CMSG_NXTHDR(mh, c) != NULL) {
        chan_close_all(mh);
        return APR_EINVAL;
    }
    memcpy(fd, CMSG_DATA(c), sizeof(int));
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

/* Worker (vhost user), preforked worker or master (root): receive one
 * record; with wait, block until one comes, a signal (EINTR) or the
 * socket's SO_RCVTIMEO (EAGAIN).  Returns APR_SUCCESS with *fd the passed
 * descriptor or -1; APR_EOF when every sender has closed; EAGAIN when
 * nothing waits (or the wait timed out); EINTR; APR_EINVAL for a
 * malformed record (its descriptors already closed). */
static apr_status_t chan_recv(int chan, peruid_msg_t *msg, int *fd, int wait)
{
    struct iovec iov;
    struct msghdr mh;
    union {
        struct cmsghdr align;
        char buf[CMSG_SPACE(sizeof(int) * 4)];
    } cmsg;
    ssize_t n;

    *fd = -1;
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
    return chan_take_fd(&mh, fd);
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
    if ((type == PERUID_MSG_CONN) != (msg->deadline != 0)
        || msg->deadline > (apr_uint64_t)APR_INT64_MAX) {
        return APR_EINVAL;
    }
    return APR_SUCCESS;
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
