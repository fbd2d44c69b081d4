/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * answer.c -- the bytes of the MPM's own short error answers, and their
 * sending: "HTTP/1.1 <status>", a small HTML body like httpd's, and
 * Connection: close.
 *
 * Runs in the routers (User, no capabilities) for a head they refuse or
 * a connection no worker took by its deadline, and in workers (vhost
 * user) for a connection whose deadline passed while it waited in the
 * pool's channel.  The caller then closes the connection its own way:
 * a router lingers in its event loop, a worker drains what is readable.
 * Kept free of httpd headers so that the unit tests (tests/unit) link it
 * alone.
 */

#include <errno.h>
#include <stdio.h>
#include <sys/socket.h>

#include "answer.h"

/* Any process: the reason phrase of a status the MPM sends itself. */
const char *peruid_answer_reason(int status)
{
    switch (status) {
    case 408:
        return "Request Timeout";
    case 414:
        return "Request-URI Too Long";
    case 431:
        return "Request Header Fields Too Large";
    case 503:
        return "Service Unavailable";
    default:
        return "Bad Request";
    }
}

/* Any process: the head and body of the answer for status (the status
 * printed is status itself; its reason comes from peruid_answer_reason). */
void peruid_answer_format(int status, peruid_answer_t *a)
{
    const char *reason = peruid_answer_reason(status);

    a->body_len = snprintf(a->body, sizeof(a->body),
                           "<!DOCTYPE HTML PUBLIC \"-//IETF//DTD HTML 2.0"
                           "//EN\">\n<html><head>\n<title>%d %s</title>\n"
                           "</head><body>\n<h1>%s</h1>\n</body></html>\n",
                           status, reason, reason);
    a->head_len = snprintf(a->head, sizeof(a->head),
                           "HTTP/1.1 %d %s\r\nContent-Type: text/html; "
                           "charset=iso-8859-1\r\nContent-Length: %d\r\n"
                           "Connection: close\r\n\r\n", status, reason,
                           a->body_len);
}

/* Router or worker: send the answer for status on the connected,
 * non-blocking socket fd without waiting, then end our side of it
 * (shutdown SHUT_WR).  Returns APR_SUCCESS or the errno of the call that
 * failed (the socket buffer of a fresh connection always has room). */
apr_status_t peruid_answer_send(int fd, int status)
{
    peruid_answer_t a;

    peruid_answer_format(status, &a);
    if (send(fd, a.head, (size_t)a.head_len,
             MSG_NOSIGNAL | MSG_DONTWAIT | MSG_MORE) < 0
        || send(fd, a.body, (size_t)a.body_len,
                MSG_NOSIGNAL | MSG_DONTWAIT) < 0
        || shutdown(fd, SHUT_WR) < 0) {
        return errno;
    }
    return APR_SUCCESS;
}
