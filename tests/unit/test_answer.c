/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * test_answer.c -- unit tests of mpm_peruid/answer.c: the exact bytes of
 * the MPM's own answers (the routers' 400 / 408 / 414 / 431 / 503 and the
 * worker's 503 for a connection that waited too long share them), and
 * peruid_answer_send over a socket pair: head and body arrive, then the
 * end of the stream; a closed peer is an error, not a signal.
 */

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>

#include "answer.h"
#include "unit.h"

/* The bytes of the router's 503 before answer.c existed (router.c). */
static const char want_503[] =
    "HTTP/1.1 503 Service Unavailable\r\n"
    "Content-Type: text/html; charset=iso-8859-1\r\n"
    "Content-Length: 161\r\n"
    "Connection: close\r\n\r\n"
    "<!DOCTYPE HTML PUBLIC \"-//IETF//DTD HTML 2.0//EN\">\n"
    "<html><head>\n<title>503 Service Unavailable</title>\n</head><body>\n"
    "<h1>Service Unavailable</h1>\n</body></html>\n";

/* Each status: its reason, and a body whose length the head states. */
static void test_statuses(void)
{
    static const struct {
        int status;
        const char *reason;
    } rows[] = {
        { 400, "Bad Request" },
        { 408, "Request Timeout" },
        { 414, "Request-URI Too Long" },
        { 431, "Request Header Fields Too Large" },
        { 503, "Service Unavailable" },
        { 499, "Bad Request" },     /* anything else: Bad Request */
    };
    size_t i;

    for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        peruid_answer_t a;
        char line[128], len[64], title[128];

        peruid_answer_format(rows[i].status, &a);
        snprintf(line, sizeof(line), "HTTP/1.1 %d %s\r\n", rows[i].status,
                 rows[i].reason);
        snprintf(len, sizeof(len), "\r\nContent-Length: %d\r\n",
                 a.body_len);
        snprintf(title, sizeof(title), "<title>%d %s</title>",
                 rows[i].status, rows[i].reason);
        CHECK(strcmp(peruid_answer_reason(rows[i].status), rows[i].reason)
              == 0);
        CHECK(a.head_len > 0 && a.head_len < PERUID_ANSWER_MAX);
        CHECK(a.body_len > 0 && a.body_len < PERUID_ANSWER_MAX);
        CHECK((size_t)a.head_len == strlen(a.head));
        CHECK((size_t)a.body_len == strlen(a.body));
        CHECK(strncmp(a.head, line, strlen(line)) == 0);
        CHECK(strstr(a.head, len) != NULL);
        CHECK(strstr(a.head, "\r\nConnection: close\r\n\r\n") != NULL);
        CHECK(strstr(a.body, title) != NULL);
    }
}

/* The 503 is byte for byte the router's old answer. */
static void test_503_bytes(void)
{
    peruid_answer_t a;
    char all[2 * PERUID_ANSWER_MAX];

    peruid_answer_format(503, &a);
    memcpy(all, a.head, (size_t)a.head_len);
    memcpy(all + a.head_len, a.body, (size_t)a.body_len);
    CHECK_SPAN(all, (size_t)(a.head_len + a.body_len), want_503);
}

/* Sent on a stream socket: the bytes, then EOF (SHUT_WR). */
static void test_send(void)
{
    char buf[1024];
    size_t got = 0;
    ssize_t n;
    int s[2];

    CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, s) == 0);
    CHECK(peruid_answer_peek_tls(s[0]) == 0);     /* nothing sent yet */
    CHECK(peruid_answer_send(s[0], 503, 0) == APR_SUCCESS);
    while ((n = read(s[1], buf + got, sizeof(buf) - got)) > 0) {
        got += (size_t)n;
    }
    CHECK(n == 0);                  /* the end of the stream */
    CHECK_SPAN(buf, got, want_503);
    close(s[0]);
    close(s[1]);

    /* the peer is gone: EPIPE, and no SIGPIPE kills us */
    CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, s) == 0);
    close(s[1]);
    CHECK(peruid_answer_send(s[0], 503, 0) == EPIPE);
    CHECK(peruid_answer_send(s[0], 503, 1) == EPIPE);
    close(s[0]);
    CHECK(peruid_answer_send(-1, 503, 0) == EBADF);
}

/* A TLS client gets an alert record, or nothing, instead of HTTP. */
typedef struct {
    int status;
    int alert;          /* the description sent, 0: none */
} alert_row_t;

static const alert_row_t alert_rows[] = {
    { 503, 80 },        /* internal_error: the server is busy */
    { 400, 50 },        /* decode_error: the hello could not be read */
    { 414, 50 },
    { 431, 50 },
    { 408, 0 },         /* a slow client: closed, as mod_ssl would */
};

static void test_alerts(void)
{
    static const unsigned char hello = 0x16, http = 'G';
    unsigned char buf[64];
    size_t i;
    ssize_t n;
    int s[2];

    for (i = 0; i < sizeof(alert_rows) / sizeof(alert_rows[0]); i++) {
        const alert_row_t *row = &alert_rows[i];

        CHECK(peruid_answer_alert_of(row->status) == row->alert);
        CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, s) == 0);
        CHECK(write(s[1], &hello, 1) == 1);
        CHECK(peruid_answer_peek_tls(s[0]) == 1);
        CHECK(peruid_answer_peek_tls(s[0]) == 1);  /* peeked, not taken */
        CHECK(peruid_answer_send(s[0], row->status, 1) == APR_SUCCESS);
        n = read(s[1], buf, sizeof(buf));
        if (row->alert) {
            CHECK(n == 7 && buf[0] == 0x15 && buf[1] == 3 && buf[3] == 0
                  && buf[4] == 2 && buf[5] == 2 && buf[6] == row->alert);
            n = read(s[1], buf, sizeof(buf));
        }
        CHECK(n == 0);              /* then the end of the stream */
        close(s[0]);
        close(s[1]);
    }
    /* a plain HTTP client is not taken for a TLS one */
    CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, s) == 0);
    CHECK(write(s[1], &http, 1) == 1);
    CHECK(peruid_answer_peek_tls(s[0]) == 0);
    close(s[0]);
    close(s[1]);
}

int main(void)
{
    test_statuses();
    test_503_bytes();
    test_send();
    test_alerts();
    return unit_summary("test_answer");
}
