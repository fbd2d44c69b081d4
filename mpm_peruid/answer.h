/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * answer.h -- the short error answers the peruid MPM sends itself,
 * before any worker parsed the request: the routers' 400 / 408 / 414 /
 * 431 / 503, and a worker's 503 for a connection that waited too long;
 * to a client that started a TLS handshake, a TLS alert instead.
 */

#ifndef PERUID_ANSWER_H
#define PERUID_ANSWER_H

#include "apr.h"
#include "apr_errno.h"

/* Room for the head and the body of any answer (they are far shorter). */
#define PERUID_ANSWER_MAX 256

typedef struct {
    char head[PERUID_ANSWER_MAX];
    char body[PERUID_ANSWER_MAX];
    int head_len;
    int body_len;
} peruid_answer_t;

const char *peruid_answer_reason(int status);
void peruid_answer_format(int status, peruid_answer_t *a);
apr_status_t peruid_answer_send(int fd, int status, int tls);
int peruid_answer_alert_of(int status);
int peruid_answer_peek_tls(int fd);

#endif /* PERUID_ANSWER_H */
