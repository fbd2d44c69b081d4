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

/* Any process: the TLS alert (RFC 8446 6) a TLS client gets instead of
 * status: decode_error (50) for what the router could not read,
 * internal_error (80) for a busy server, none (0) for a slow client,
 * which is closed as mod_ssl closes one whose handshake times out. */
int peruid_answer_alert_of(int status)
{
    switch (status) {
    case 408:
        return 0;
    case 503:
        return 80;
    default:
        return 50;
    }
}

/* Router or worker: did the client start with a TLS handshake record
 * (one byte looked at, none taken)? */
int peruid_answer_peek_tls(int fd)
{
    unsigned char b;

    return recv(fd, &b, 1, MSG_PEEK | MSG_DONTWAIT) == 1 && b == 0x16;
}

/* Router or worker: a fatal TLS alert instead of status (see
 * peruid_answer_alert_of), in a TLS 1.2 record (TLS 1.3 clients read
 * that record version too), then the end of our side. */
static apr_status_t answer_alert(int fd, int status)
{
    unsigned char rec[7] = { 0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0 };
    int desc = peruid_answer_alert_of(status);

    rec[6] = (unsigned char)desc;
    if ((desc && send(fd, rec, sizeof(rec), MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
        || shutdown(fd, SHUT_WR) < 0) {
        return errno;
    }
    return APR_SUCCESS;
}

/* Router or worker: send the answer for status on the connected,
 * non-blocking socket fd without waiting, then end our side of it
 * (shutdown SHUT_WR); to a TLS client (tls), the alert for it instead.
 * Returns APR_SUCCESS or the errno of the call that failed (the socket
 * buffer of a fresh connection always has room). */
apr_status_t peruid_answer_send(int fd, int status, int tls)
{
    peruid_answer_t a;

    if (tls) {
        return answer_alert(fd, status);
    }
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
