/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * replay.c -- the pure decisions of the hand-over: see replay.h.
 *
 * peruid_replay_step runs in a worker (the vhost's user) inside its
 * connection input filter (handover.c); peruid_replay_refuse in a router
 * (PeruidRouterUser) on each HANDOVER record (router.c).
 */

#ifndef _GNU_SOURCE
#define _GNU_SOURCE             /* F_SEAL_* */
#endif

#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include "replay.h"

/* Seals a replay must carry: its bytes and size are fixed, so what the
 * router looked at is what the next worker reads. */
#define REPLAY_SEALS_NEEDED (F_SEAL_WRITE | F_SEAL_SHRINK | F_SEAL_GROW)

/* Worker: the CRLFs and LFs at the front of p[0..n). */
static size_t replay_crlfs(const char *p, size_t n)
{
    size_t i = 0;

    while (i < n) {
        if (p[i] == '\n') {
            i++;
        }
        else if (p[i] == '\r' && i + 1 < n && p[i + 1] == '\n') {
            i += 2;
        }
        else {
            break;
        }
    }
    return i;
}

/* Worker (vhost user): what a read in mode of want bytes (READBYTES,
 * SPECULATIVE) takes of the replay buf[0..len) whose first off bytes are
 * served: a line up to its LF, at most line_max bytes, or the rest
 * (GETLINE, as the core filter's apr_brigade_split_line, which returns a
 * partial line when no more is there without waiting); want bytes at
 * most (READBYTES, and SPECULATIVE without consuming); everything, then
 * the socket's (EXHAUSTIVE); the CRLFs at the front (EATCRLF, then the
 * socket's when they were all); nothing (INIT: passed down). */
void peruid_replay_step(const char *buf, size_t len, size_t off,
                        replay_mode_e mode, size_t want, size_t line_max,
                        replay_step_t *st)
{
    size_t left = off < len ? len - off : 0;
    const char *p = buf + (off < len ? off : len), *lf;

    memset(st, 0, sizeof(*st));
    st->consume = mode != REPLAY_SPECULATIVE;
    if (left == 0 || mode == REPLAY_INIT) {
        st->below = 1;
        return;
    }
    switch (mode) {
    case REPLAY_GETLINE:
        lf = memchr(p, '\n', left < line_max ? left : line_max);
        st->give = lf ? (size_t)(lf - p) + 1
                      : (left < line_max ? left : line_max);
        break;
    case REPLAY_EATCRLF:
        st->skip = replay_crlfs(p, left);
        st->below = st->skip == left;
        break;
    case REPLAY_EXHAUSTIVE:
        st->give = left;
        st->below = 1;
        break;
    default:                    /* READBYTES, SPECULATIVE */
        st->give = want > 0 && want < left ? want : left;
        break;
    }
}

/* Router (PeruidRouterUser): NULL when the handed-back connection f
 * describes may be routed; else why not, with *status the answer (503),
 * or 0 when the descriptor is no client connection of ours (closed
 * unanswered: nothing to answer to).  An empty replay is a kept-alive
 * connection handed back idle (graceho.c): the router peeks its socket
 * as a new connection's. */
const char *peruid_replay_refuse(const replay_facts_t *f, int *status)
{
    *status = 0;
    if ((f->family != AF_INET && f->family != AF_INET6)
        || f->type != SOCK_STREAM || f->protocol != IPPROTO_TCP) {
        return "the descriptor is not a TCP socket";
    }
    if (!f->listener) {
        return "the socket's local address is none of our listeners";
    }
    if (f->tls) {
        return "the socket's address serves TLS, which is never handed "
               "over";
    }
    *status = 503;
    if (f->memfd_seals < 0
        || (f->memfd_seals & REPLAY_SEALS_NEEDED) != REPLAY_SEALS_NEEDED) {
        return "the replay is not a memfd sealed against writes, growth "
               "and shrinking";
    }
    if (f->memfd_size < 0) {
        return "the replay's size cannot be read";
    }
    if ((unsigned long long)f->memfd_size > (unsigned long long)f->bound) {
        return "the replay is larger than its bound";
    }
    if (f->hops > PERUID_HANDOVER_MAX_HOPS) {
        return "the request was handed over too many times (a loop)";
    }
    *status = 0;
    return NULL;
}
