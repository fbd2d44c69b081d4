/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * replay.h -- the pure decisions of the hand-over (handover.c, router.c):
 * which bytes of a replay a read of httpd's input filters takes, and
 * whether a router accepts a connection a worker handed back.  No httpd
 * headers, no system calls: tests/unit/test_replay.c links it alone.
 */

#ifndef PERUID_REPLAY_H
#define PERUID_REPLAY_H

#include <stddef.h>

/* Hand-overs of one request (the connection's current one) at most: a
 * request still misrouted after that is answered 503, so a hand-over
 * cannot loop. */
#define PERUID_HANDOVER_MAX_HOPS 4

/* A replay holds at most PeruidPeekMaxBytes plus this: the head a router
 * would accept, what was read of a body and what httpd's core buffered
 * beyond (less than 8 KiB: one socket read). */
#define PERUID_HANDOVER_SLACK (64 * 1024)

/* The bound of a replay for peek_max (PeruidPeekMaxBytes). */
#define PERUID_HANDOVER_BOUND(peek_max) ((peek_max) + PERUID_HANDOVER_SLACK)

/* httpd's input modes (ap_input_mode_t), in our own names. */
typedef enum {
    REPLAY_READBYTES = 0,
    REPLAY_GETLINE,
    REPLAY_EATCRLF,
    REPLAY_SPECULATIVE,
    REPLAY_EXHAUSTIVE,
    REPLAY_INIT
} replay_mode_e;

/* What one read takes of a replay: skip bytes dropped first (CRLFs of
 * EATCRLF), then give bytes handed up; consume: skip and give leave the
 * replay; below: the read goes on to the filter below (the socket) after
 * what the replay gave (the replay is used up, or EXHAUSTIVE, INIT). */
typedef struct {
    size_t skip;
    size_t give;
    int consume;
    int below;
} replay_step_t;

void peruid_replay_step(const char *buf, size_t len, size_t off,
                        replay_mode_e mode, size_t want, size_t line_max,
                        replay_step_t *st);

/* What a router knows of a connection handed back (HANDOVER record). */
typedef struct {
    int family;             /* the socket's SO_DOMAIN                    */
    int type;               /* SO_TYPE                                   */
    int protocol;           /* SO_PROTOCOL                               */
    int listener;           /* a listener of ours has its local address  */
    int tls;                /* that address's default server has TLS     */
    int memfd_seals;        /* F_GET_SEALS of the replay (-1: not a memfd
                             * or failed)                                */
    long long memfd_size;   /* its st_size (-1: fstat failed)            */
    unsigned hops;          /* the record's hand-overs                   */
    size_t bound;           /* PERUID_HANDOVER_BOUND(PeruidPeekMaxBytes) */
} replay_facts_t;

const char *peruid_replay_refuse(const replay_facts_t *f, int *status);

#endif /* PERUID_REPLAY_H */
