/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * peruid_load.c -- the load client of t/faults_load.t: N concurrent
 * keep-alive HTTP/1.1 connections to one address, each sending its next
 * request as soon as the last answer is read, for a fixed time; it counts
 * the answers by status class, the socket errors, and the latency of
 * every request.  One process, one epoll loop, no threads.
 *
 *   peruid_load -p PORT [-a ADDR] [-c CONNS] [-d SECONDS] [-T TIMEOUT]
 *               [-e EVENTS_FILE] [-x] HOST PATH [HOST PATH ...]
 *
 * Each connection keeps to one HOST (connection i to the host of pair i
 * modulo their number) and asks for that host's PATHs in turn, as a
 * browser does; with -x every request takes the next pair, whatever its
 * host, as a front proxy's kept-alive connections do (a worker then
 * hands most requests over to another user's, handover.c).  SIGUSR1 ends the run
 * early in a graceful way: no request starts after it, the ones in
 * flight are read to the end (at most TIMEOUT seconds), then the figures
 * are printed.  At the end of the duration the same happens.
 *
 * What counts as what (one request, one outcome):
 *   s2xx s3xx s4xx s5xx  a whole answer with that status;
 *   refused              connect() failed (ECONNREFUSED or other);
 *   reset                ECONNRESET (or another socket error) before
 *                        the whole answer;
 *   eof                  the server closed before the whole answer;
 *   timeout              no whole answer within TIMEOUT seconds;
 *   bad                  an answer we cannot parse.
 * "failed" is the sum of every outcome but s2xx.  A request that meets
 * reset or eof on a kept-alive connection before any byte of its answer
 * is counted as failed too (ka_lost says how many of the failures were
 * of that kind): the server may close an idle kept-alive connection
 * (HTTP lets clients retry those), so a test decides what it allows.
 * Latency: from the first byte sent (connect included for a new
 * connection) to the last byte of the answer, 2xx answers only; every
 * one is kept, and the percentiles are exact (nearest rank).
 *
 * Output: "key value" lines on stdout.  With -e, one line per failure:
 * seconds since start, connection, outcome, errno text, host.
 */

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define LOAD_BUF      16384
#define LOAD_MAXTGT   32

enum { OUT_2XX, OUT_3XX, OUT_4XX, OUT_5XX, OUT_REFUSED, OUT_RESET, OUT_EOF,
       OUT_TIMEOUT, OUT_BAD, OUT_N };
static const char *const out_name[OUT_N] = {
    "s2xx", "s3xx", "s4xx", "s5xx", "refused", "reset", "eof", "timeout",
    "bad"
};

typedef enum { C_IDLE, C_CONNECTING, C_SENDING, C_READING } cstate_e;

typedef struct {
    int fd;
    cstate_e state;
    int reused;             /* the connection answered a request before  */
    int tgt;                /* target of the request in flight           */
    int64_t started;        /* µs, monotonic                             */
    size_t sent, reqlen;
    char req[512];
    char buf[LOAD_BUF];
    size_t have;            /* bytes in buf                              */
    /* the answer being parsed */
    int status;
    int head_done;
    int close_after;
    int chunked;
    long long body_left;    /* Content-Length left, or chunk left        */
    int chunk_state;        /* 0 size line, 1 data, 2 CRLF, 3 trailers   */
    int got_bytes;          /* any byte of this answer                   */
} conn_t;

typedef struct {
    struct sockaddr_in addr;
    int nconn;
    double duration, timeout;
    int ntgt;
    const char *host[LOAD_MAXTGT], *path[LOAD_MAXTGT];
    FILE *events;
    int ep;
    conn_t *conns;
    int64_t t0;
    int next_tgt;
    int mix;                /* -x: hosts mixed on a connection          */
    unsigned long long out[OUT_N];
    unsigned long long ka_lost, connects, requests;
    uint32_t *lat;          /* every 2xx answer's latency, µs            */
    size_t lat_n, lat_room;
    int64_t lat_sum;
} load_t;

static volatile sig_atomic_t load_stop;

static void on_usr1(int sig)
{
    (void)sig;
    load_stop = 1;
}

static int64_t now_us(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* keep one latency (µs); past what memory allows, the rest are left out
 * of the percentiles (lat_n says how many count) */
static void lat_note(load_t *L, int64_t us)
{
    if (L->lat_n == L->lat_room) {
        size_t room = L->lat_room ? 2 * L->lat_room : 65536;
        uint32_t *p = realloc(L->lat, room * sizeof(*p));

        if (!p) {
            return;
        }
        L->lat = p;
        L->lat_room = room;
    }
    L->lat[L->lat_n++] = us > UINT32_MAX ? UINT32_MAX : (uint32_t)us;
    L->lat_sum += us;
}

static int lat_cmp(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

    return x < y ? -1 : x > y;
}

/* the pct-th percentile (nearest rank) of the sorted latencies */
static int64_t lat_pct(const load_t *L, double pct)
{
    size_t i = (size_t)(L->lat_n * pct / 100.0);

    if (!L->lat_n) {
        return 0;
    }
    return L->lat[i < L->lat_n ? i : L->lat_n - 1];
}

static void conn_close(load_t *L, conn_t *c)
{
    if (c->fd >= 0) {
        epoll_ctl(L->ep, EPOLL_CTL_DEL, c->fd, NULL);
        close(c->fd);
    }
    c->fd = -1;
    c->reused = 0;
    c->state = C_IDLE;
}

static void note_failure(load_t *L, conn_t *c, int out, int err)
{
    L->out[out]++;
    if ((out == OUT_RESET || out == OUT_EOF) && c->reused && !c->got_bytes) {
        L->ka_lost++;
    }
    if (L->events) {
        fprintf(L->events, "%.3f conn %ld %s%s %s %s\n",
                (now_us() - L->t0) / 1e6, (long)(c - L->conns),
                out_name[out], c->reused && !c->got_bytes ? " (kept-alive)"
                                                          : "",
                err ? strerror(err) : "-", L->host[c->tgt]);
        fflush(L->events);
    }
    conn_close(L, c);
}

static void watch(load_t *L, conn_t *c, uint32_t ev, int op)
{
    struct epoll_event e;

    e.events = ev;
    e.data.ptr = c;
    epoll_ctl(L->ep, op, c->fd, &e);
}

/* the pair after c's last one with the same host */
static int next_of_host(const load_t *L, const conn_t *c)
{
    int i, t;

    for (i = 1; i <= L->ntgt; i++) {
        t = (c->tgt + i) % L->ntgt;
        if (!strcmp(L->host[t], L->host[c->tgt])) {
            return t;
        }
    }
    return c->tgt;
}

/* start the next request on c (a new connection if it has none) */
static void conn_start(load_t *L, conn_t *c)
{
    int n;

    if (L->mix) {
        c->tgt = L->next_tgt;
        L->next_tgt = (L->next_tgt + 1) % L->ntgt;
    }
    else {
        c->tgt = next_of_host(L, c);
    }
    n = snprintf(c->req, sizeof(c->req),
                 "GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: peruid_load"
                 "\r\n\r\n", L->path[c->tgt], L->host[c->tgt]);
    c->reqlen = (size_t)n;
    c->sent = c->have = 0;
    c->status = c->head_done = c->close_after = c->chunked = 0;
    c->body_left = -1;
    c->chunk_state = 0;
    c->got_bytes = 0;
    c->started = now_us();
    L->requests++;
    if (c->fd >= 0) {
        c->state = C_SENDING;
        watch(L, c, EPOLLOUT | EPOLLIN | EPOLLRDHUP, EPOLL_CTL_MOD);
        return;
    }
    c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (c->fd < 0) {
        note_failure(L, c, OUT_REFUSED, errno);
        return;
    }
    n = 1;
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &n, sizeof(n));
    L->connects++;
    if (connect(c->fd, (struct sockaddr *)&L->addr, sizeof(L->addr)) < 0
        && errno != EINPROGRESS) {
        note_failure(L, c, OUT_REFUSED, errno);
        return;
    }
    c->state = C_CONNECTING;
    watch(L, c, EPOLLOUT, EPOLL_CTL_ADD);
}

/* one header line of the answer (NUL-terminated, no CRLF) */
static void parse_header(conn_t *c, char *line)
{
    if (!strncasecmp(line, "Content-Length:", 15)) {
        c->body_left = atoll(line + 15);
    }
    else if (!strncasecmp(line, "Transfer-Encoding:", 18)
             && strcasestr(line + 18, "chunked")) {
        c->chunked = 1;
    }
    else if (!strncasecmp(line, "Connection:", 11)
             && strcasestr(line + 11, "close")) {
        c->close_after = 1;
    }
}

/* the next CRLF-ended line in c->buf from *pos; NULL if incomplete */
static char *next_line(conn_t *c, size_t *pos)
{
    char *s = c->buf + *pos, *e = memchr(s, '\n', c->have - *pos);

    if (!e) {
        return NULL;
    }
    *e = '\0';
    if (e > s && e[-1] == '\r') {
        e[-1] = '\0';
    }
    *pos = (size_t)(e - c->buf) + 1;
    return s;
}

/* parse what c->buf holds; returns 1 when the answer is complete, 0 when
 * more is needed, -1 when it cannot be parsed.  Consumed bytes are
 * dropped from buf. */
static int parse_answer(conn_t *c)
{
    size_t pos = 0;
    char *line;
    int done = 0;

    while (!done && pos < c->have) {
        if (!c->head_done) {
            if (!(line = next_line(c, &pos))) {
                break;
            }
            if (!c->status) {
                if (strncmp(line, "HTTP/1.", 7) || strlen(line) < 12) {
                    return -1;
                }
                c->status = atoi(line + 9);
                c->close_after |= line[7] == '0';
            }
            else if (*line) {
                parse_header(c, line);
            }
            else {
                c->head_done = 1;
                if (!c->chunked && c->body_left < 0) {
                    c->close_after = 1;     /* body to EOF: not ours */
                    return -1;
                }
                done = !c->chunked && c->body_left == 0;
            }
        }
        else if (!c->chunked) {
            size_t take = c->have - pos;

            if ((long long)take > c->body_left) {
                take = (size_t)c->body_left;
            }
            pos += take;
            c->body_left -= (long long)take;
            done = c->body_left == 0;
        }
        else if (c->chunk_state == 1) {
            size_t take = c->have - pos;

            if ((long long)take > c->body_left) {
                take = (size_t)c->body_left;
            }
            pos += take;
            c->body_left -= (long long)take;
            if (c->body_left == 0) {
                c->chunk_state = 2;
            }
        }
        else {
            if (!(line = next_line(c, &pos))) {
                break;
            }
            if (c->chunk_state == 0) {
                c->body_left = strtoll(line, NULL, 16);
                c->chunk_state = c->body_left > 0 ? 1 : 3;
            }
            else if (c->chunk_state == 2) {
                c->chunk_state = 0;
            }
            else if (!*line) {
                done = 1;           /* end of the trailers */
            }
        }
    }
    memmove(c->buf, c->buf + pos, c->have - pos);
    c->have -= pos;
    if (c->have == sizeof(c->buf)) {
        return -1;                  /* a line longer than our buffer */
    }
    return done;
}

/* a whole answer came: count it, go on with the connection */
static void answer_done(load_t *L, conn_t *c)
{
    int cls = c->status / 100;

    if (cls == 2) {
        L->out[OUT_2XX]++;
        lat_note(L, now_us() - c->started);
    }
    else {
        note_failure(L, c, cls == 3 ? OUT_3XX : cls == 4 ? OUT_4XX
                                    : cls == 5 ? OUT_5XX : OUT_BAD, 0);
        return;
    }
    c->reused = 1;
    c->state = C_IDLE;
    if (c->close_after || c->have > 0) {
        conn_close(L, c);
    }
}

static void on_readable(load_t *L, conn_t *c)
{
    ssize_t n;
    int r;

    for (;;) {
        n = recv(c->fd, c->buf + c->have, sizeof(c->buf) - c->have, 0);
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            return;
        }
        if (n < 0) {
            note_failure(L, c, OUT_RESET, errno);
            return;
        }
        if (n == 0) {
            note_failure(L, c, OUT_EOF, 0);
            return;
        }
        c->got_bytes = 1;
        c->have += (size_t)n;
        r = parse_answer(c);
        if (r < 0) {
            note_failure(L, c, OUT_BAD, 0);
            return;
        }
        if (r > 0) {
            answer_done(L, c);
            return;
        }
    }
}

static void on_event(load_t *L, conn_t *c, uint32_t ev)
{
    int err = 0;
    socklen_t len = sizeof(err);
    ssize_t n;

    if (c->state == C_CONNECTING) {
        getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len);
        if (err) {
            note_failure(L, c, OUT_REFUSED, err);
            return;
        }
        c->state = C_SENDING;
        watch(L, c, EPOLLOUT | EPOLLIN | EPOLLRDHUP, EPOLL_CTL_MOD);
    }
    if (c->state == C_SENDING && (ev & EPOLLOUT)) {
        n = send(c->fd, c->req + c->sent, c->reqlen - c->sent, MSG_NOSIGNAL);
        if (n < 0 && errno != EAGAIN) {
            note_failure(L, c, OUT_RESET, errno);
            return;
        }
        c->sent += n > 0 ? (size_t)n : 0;
        if (c->sent == c->reqlen) {
            c->state = C_READING;
            watch(L, c, EPOLLIN | EPOLLRDHUP, EPOLL_CTL_MOD);
        }
    }
    if (c->state != C_IDLE && (ev & (EPOLLIN | EPOLLRDHUP | EPOLLHUP
                                     | EPOLLERR))) {
        on_readable(L, c);
    }
}

/* the requests in flight that passed their timeout */
static void check_timeouts(load_t *L, int64_t now)
{
    int i;

    for (i = 0; i < L->nconn; i++) {
        conn_t *c = &L->conns[i];

        if (c->state != C_IDLE && now - c->started > L->timeout * 1e6) {
            note_failure(L, c, OUT_TIMEOUT, 0);
        }
    }
}

static int in_flight(const load_t *L)
{
    int i, n = 0;

    for (i = 0; i < L->nconn; i++) {
        n += L->conns[i].state != C_IDLE;
    }
    return n;
}

static void run(load_t *L)
{
    struct epoll_event ev[256];
    int64_t end = L->t0 + (int64_t)(L->duration * 1e6), stop_at = 0;
    int i, n;

    for (;;) {
        int64_t now = now_us();

        if (!stop_at && (load_stop || now >= end)) {
            stop_at = now;
        }
        if (stop_at && (!in_flight(L) || now - stop_at > L->timeout * 1e6)) {
            break;
        }
        for (i = 0; !stop_at && i < L->nconn; i++) {
            if (L->conns[i].state == C_IDLE) {
                conn_start(L, &L->conns[i]);
            }
        }
        n = epoll_wait(L->ep, ev, 256, 50);
        for (i = 0; i < n; i++) {
            on_event(L, ev[i].data.ptr, ev[i].events);
        }
        check_timeouts(L, now_us());
    }
}

static void report(load_t *L)
{
    unsigned long long failed = 0;
    double secs = (now_us() - L->t0) / 1e6;
    int i;

    for (i = 0; i < OUT_N; i++) {
        printf("%s %llu\n", out_name[i], L->out[i]);
        failed += i == OUT_2XX ? 0 : L->out[i];
    }
    printf("failed %llu\nka_lost %llu\nrequests %llu\nconnects %llu\n",
           failed, L->ka_lost, L->requests, L->connects);
    printf("seconds %.2f\nrate %.0f\n", secs, L->out[OUT_2XX] / secs);
    qsort(L->lat, L->lat_n, sizeof(*L->lat), lat_cmp);
    printf("lat_p50_us %lld\nlat_p99_us %lld\nlat_p999_us %lld\n"
           "lat_max_us %lld\nlat_mean_us %lld\n",
           (long long)lat_pct(L, 50), (long long)lat_pct(L, 99),
           (long long)lat_pct(L, 99.9), (long long)lat_pct(L, 100),
           (long long)(L->lat_n ? L->lat_sum / (int64_t)L->lat_n : 0));
}

static int usage(void)
{
    fprintf(stderr, "usage: peruid_load -p PORT [-a ADDR] [-c CONNS] "
            "[-d SECONDS] [-T TIMEOUT] [-e EVENTS] [-x] HOST PATH [HOST PATH "
            "...]\n");
    return 2;
}

int main(int argc, char **argv)
{
    static load_t L;
    struct sigaction sa;
    const char *addr = "127.0.0.1";
    int opt, port = 0, i;

    L.nconn = 16;
    L.duration = 10;
    L.timeout = 20;
    while ((opt = getopt(argc, argv, "p:a:c:d:T:e:x")) != -1) {
        switch (opt) {
        case 'p': port = atoi(optarg); break;
        case 'a': addr = optarg; break;
        case 'c': L.nconn = atoi(optarg); break;
        case 'd': L.duration = atof(optarg); break;
        case 'T': L.timeout = atof(optarg); break;
        case 'x': L.mix = 1; break;
        case 'e':
            if (!(L.events = fopen(optarg, "a"))) {
                perror(optarg);
                return 2;
            }
            break;
        default: return usage();
        }
    }
    for (i = optind; i + 1 < argc && L.ntgt < LOAD_MAXTGT; i += 2) {
        L.host[L.ntgt] = argv[i];
        L.path[L.ntgt++] = argv[i + 1];
    }
    if (!port || !L.ntgt || L.nconn < 1 || i != argc) {
        return usage();
    }
    L.addr.sin_family = AF_INET;
    L.addr.sin_port = htons((uint16_t)port);
    if (inet_pton(AF_INET, addr, &L.addr.sin_addr) != 1) {
        return usage();
    }
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_usr1;
    sigaction(SIGUSR1, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    L.conns = calloc((size_t)L.nconn, sizeof(*L.conns));
    L.ep = epoll_create1(EPOLL_CLOEXEC);
    if (!L.conns || L.ep < 0) {
        perror("peruid_load");
        return 1;
    }
    for (i = 0; i < L.nconn; i++) {
        L.conns[i].fd = -1;
        L.conns[i].tgt = i % L.ntgt;
    }
    L.t0 = now_us();
    run(&L);
    report(&L);
    return 0;
}
