/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * test_channel.c -- unit tests of mpm_peruid/channel.c: channel pairs
 * (SOCK_SEQPACKET, close-on-exec, non-blocking send end), records with and
 * without a passed descriptor, EAGAIN and APR_EOF, the peruid_chan_check
 * allow-list (with the deadline rule of version 2: a CONN record carries
 * one, no other does), peruid_chan_expired and the record's fixed size,
 * and malformed records written by hand with sendmsg(): each
 * must be refused with APR_EINVAL and every descriptor it carried closed
 * in the receiver (counted in /proc/self/fd, and seen as the end of the
 * pipe whose write end was passed).
 */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>

#include "channel.h"
#include "unit.h"

/* Open descriptors of this process. */
static int count_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    struct dirent *e;
    int n = 0;

    if (d == NULL) {
        perror("opendir /proc/self/fd");
        exit(2);
    }
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] != '.') {
            n++;
        }
    }
    closedir(d);
    return n - 1;               /* the directory's own descriptor */
}

/* A pipe whose read end does not block. */
static void make_pipe(int p[2])
{
    if (pipe(p) < 0 || fcntl(p[0], F_SETFL, O_NONBLOCK) < 0) {
        perror("pipe");
        exit(2);
    }
}

/* 1 when every write end of the pipe is closed, 0 when one is open. */
static int writers_closed(int rd)
{
    char c;
    ssize_t n = read(rd, &c, 1);

    return n == 0 ? 1 : (n < 0 && errno == EAGAIN) ? 0 : -1;
}

static void make_chan(int s[2])
{
    if (peruid_chan_pair(s) != APR_SUCCESS) {
        perror("peruid_chan_pair");
        exit(2);
    }
}

/* Send len bytes of data with nfds descriptors, in one SCM_RIGHTS
 * control message or (separate) one each.  Returns sendmsg()'s value. */
static ssize_t send_raw(int sock, const void *data, size_t len,
                        const int *fds, size_t nfds, int separate)
{
    union {
        struct cmsghdr align;
        char buf[CMSG_SPACE(sizeof(int)) * 8];
    } ctl;
    struct msghdr mh;
    struct iovec iov;
    struct cmsghdr *c;
    size_t i;

    if (nfds > 8) {
        return -1;
    }
    memset(&ctl, 0, sizeof(ctl));
    memset(&mh, 0, sizeof(mh));
    iov.iov_base = (void *)data;
    iov.iov_len = len;
    mh.msg_iov = &iov;
    mh.msg_iovlen = 1;
    if (nfds > 0) {
        mh.msg_control = ctl.buf;
        mh.msg_controllen = separate ? CMSG_SPACE(sizeof(int)) * nfds
                                     : CMSG_SPACE(sizeof(int) * nfds);
        c = CMSG_FIRSTHDR(&mh);
        if (separate) {
            for (i = 0; i < nfds; i++) {
                c->cmsg_level = SOL_SOCKET;
                c->cmsg_type = SCM_RIGHTS;
                c->cmsg_len = CMSG_LEN(sizeof(int));
                memcpy(CMSG_DATA(c), &fds[i], sizeof(int));
                c = CMSG_NXTHDR(&mh, c);
                if (c == NULL && i + 1 < nfds) {
                    return -1;
                }
            }
        }
        else {
            c->cmsg_level = SOL_SOCKET;
            c->cmsg_type = SCM_RIGHTS;
            c->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
            memcpy(CMSG_DATA(c), fds, sizeof(int) * nfds);
        }
    }
    return sendmsg(sock, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
}

static peruid_msg_t good_msg(peruid_msg_type_e type, apr_uint32_t pool)
{
    peruid_msg_t m;

    memset(&m, 0, sizeof(m));
    m.magic = PERUID_MSG_MAGIC;
    m.version = PERUID_MSG_VERSION;
    m.type = (apr_uint16_t)type;
    m.pool = pool;
    m.generation = 77;
    m.deadline = type == PERUID_MSG_CONN ? 123456789 : 0;
    return m;
}

/* A good SPAWN still goes through (after a refused record). */
static void check_still_usable(const char *file, int line, int s[2])
{
    peruid_msg_t m;
    int fd = -2;

    CHECK_AT(file, line, peruid_chan_send(s[0], PERUID_MSG_SPAWN, 11, 12, -1)
                         == APR_SUCCESS);
    CHECK_AT(file, line, peruid_chan_recv(s[1], &m, &fd) == APR_SUCCESS);
    CHECK_AT(file, line, fd == -1);
    CHECK_AT(file, line, m.pool == 11 && m.generation == 12);
    CHECK_AT(file, line, peruid_chan_recv(s[1], &m, &fd) == EAGAIN);
}

static void test_pair(void)
{
    int s[2] = { -1, -1 }, type = 0;
    socklen_t len = sizeof(type);

    CHECK(peruid_chan_pair(s) == APR_SUCCESS);
    CHECK(s[0] >= 0 && s[1] >= 0 && s[0] != s[1]);
    CHECK(getsockopt(s[0], SOL_SOCKET, SO_TYPE, &type, &len) == 0);
    CHECK(type == SOCK_SEQPACKET);
    CHECK((fcntl(s[0], F_GETFD) & FD_CLOEXEC) != 0);
    CHECK((fcntl(s[1], F_GETFD) & FD_CLOEXEC) != 0);
    CHECK((fcntl(s[0], F_GETFL) & O_NONBLOCK) != 0);   /* send end */
    CHECK((fcntl(s[1], F_GETFL) & O_NONBLOCK) == 0);   /* receive end */
    close(s[0]);
    close(s[1]);
}

static void test_conn_with_fd(void)
{
    int s[2], p[2], fd = -2;
    peruid_msg_t m;
    struct stat a, b;
    char buf[8];

    make_chan(s);
    make_pipe(p);
    CHECK((fcntl(p[1], F_GETFD) & FD_CLOEXEC) == 0);

    CHECK(peruid_chan_send_conn(s[0], 7, 42, p[1], 5000000) == APR_SUCCESS);
    CHECK(fcntl(p[1], F_GETFD) >= 0);   /* the sender keeps its copy */
    memset(&m, 0, sizeof(m));
    CHECK(peruid_chan_recv(s[1], &m, &fd) == APR_SUCCESS);
    CHECK(m.magic == PERUID_MSG_MAGIC);
    CHECK(m.version == PERUID_MSG_VERSION);
    CHECK(m.type == PERUID_MSG_CONN);
    CHECK(m.pool == 7);
    CHECK(m.generation == 42);
    CHECK(m.deadline == 5000000);
    CHECK(peruid_chan_check(&m, PERUID_MSG_CONN, 7, fd >= 0)
          == APR_SUCCESS);

    /* a new descriptor for the same pipe, close-on-exec */
    CHECK(fd >= 0 && fd != p[0] && fd != p[1] && fd != s[0] && fd != s[1]);
    if (fd < 0) {
        close(p[0]);
        close(p[1]);
        close(s[0]);
        close(s[1]);
        return;
    }
    CHECK((fcntl(fd, F_GETFD) & FD_CLOEXEC) != 0);
    CHECK(fstat(fd, &a) == 0 && fstat(p[1], &b) == 0);
    CHECK(a.st_dev == b.st_dev && a.st_ino == b.st_ino);
    CHECK(write(fd, "ping", 4) == 4);
    CHECK(read(p[0], buf, sizeof(buf)) == 4 && memcmp(buf, "ping", 4) == 0);
    close(p[1]);
    CHECK(write(fd, "pong", 4) == 4);
    CHECK(read(p[0], buf, sizeof(buf)) == 4 && memcmp(buf, "pong", 4) == 0);
    CHECK(writers_closed(p[0]) == 0);
    close(fd);
    CHECK(writers_closed(p[0]) == 1);

    CHECK(peruid_chan_recv(s[1], &m, &fd) == EAGAIN);
    close(p[0]);
    close(s[0]);
    close(s[1]);
}

static void test_empty_and_eof(void)
{
    int s[2], fd = -2;
    peruid_msg_t m;

    make_chan(s);
    CHECK(peruid_chan_recv(s[1], &m, &fd) == EAGAIN);
    CHECK(fd == -1);
    CHECK(peruid_chan_recv(s[1], &m, &fd) == EAGAIN);

    /* a record sent before the close is still delivered, then EOF */
    CHECK(peruid_chan_send(s[0], PERUID_MSG_SPAWN, 1, 2, -1)
          == APR_SUCCESS);
    close(s[0]);
    CHECK(peruid_chan_recv(s[1], &m, &fd) == APR_SUCCESS);
    CHECK(m.type == PERUID_MSG_SPAWN && m.pool == 1 && m.generation == 2);
    fd = -2;
    CHECK(peruid_chan_recv(s[1], &m, &fd) == APR_EOF);
    CHECK(fd == -1);
    CHECK(peruid_chan_recv(s[1], &m, &fd) == APR_EOF);
    close(s[1]);

    /* the other way round: the sender sees EPIPE, not SIGPIPE */
    make_chan(s);
    close(s[1]);
    CHECK(peruid_chan_send(s[0], PERUID_MSG_SPAWN, 1, 2, -1) == EPIPE);
    close(s[0]);
}

static void test_spawn_and_fd_rules(void)
{
    int s[2], p[2], fd = -2;
    peruid_msg_t m;

    make_chan(s);

    /* SPAWN without a descriptor: accepted */
    CHECK(peruid_chan_send(s[0], PERUID_MSG_SPAWN, 3, 9, -1) == APR_SUCCESS);
    CHECK(peruid_chan_recv(s[1], &m, &fd) == APR_SUCCESS);
    CHECK(fd == -1);
    CHECK(m.type == PERUID_MSG_SPAWN && m.pool == 3 && m.generation == 9);
    CHECK(peruid_chan_check(&m, PERUID_MSG_SPAWN, 3, fd >= 0)
          == APR_SUCCESS);
    CHECK(peruid_chan_check(&m, PERUID_MSG_CONN, 3, fd >= 0) == APR_EINVAL);

    /* CONN without a descriptor: received, refused by the check */
    CHECK(peruid_chan_send(s[0], PERUID_MSG_CONN, 3, 9, -1) == APR_SUCCESS);
    CHECK(peruid_chan_recv(s[1], &m, &fd) == APR_SUCCESS);
    CHECK(fd == -1);
    CHECK(peruid_chan_check(&m, PERUID_MSG_CONN, 3, fd >= 0) == APR_EINVAL);

    /* SPAWN with a descriptor: received, refused by the check */
    make_pipe(p);
    CHECK(peruid_chan_send(s[0], PERUID_MSG_SPAWN, 3, 9, p[1])
          == APR_SUCCESS);
    CHECK(peruid_chan_recv(s[1], &m, &fd) == APR_SUCCESS);
    CHECK(fd >= 0);
    CHECK(peruid_chan_check(&m, PERUID_MSG_SPAWN, 3, fd >= 0)
          == APR_EINVAL);
    if (fd >= 0) {
        close(fd);
    }
    close(p[0]);
    close(p[1]);

    /* a descriptor that is not open cannot be sent */
    CHECK(peruid_chan_send(s[0], PERUID_MSG_CONN, 3, 9, 1000000) == EBADF);
    CHECK(peruid_chan_recv(s[1], &m, &fd) == EAGAIN);

    close(s[0]);
    close(s[1]);
}

static void test_check_allow_list(void)
{
    peruid_msg_t m, ok = good_msg(PERUID_MSG_CONN, 5);

    CHECK(peruid_chan_check(&ok, PERUID_MSG_CONN, 5, 1) == APR_SUCCESS);
    CHECK(peruid_chan_check(&ok, PERUID_MSG_CONN, 5, 2) == APR_SUCCESS);
    m = ok;
    m.generation = 0xffffffffu;         /* not part of the allow-list */
    CHECK(peruid_chan_check(&m, PERUID_MSG_CONN, 5, 1) == APR_SUCCESS);

    m = ok;
    m.magic ^= 1;
    CHECK(peruid_chan_check(&m, PERUID_MSG_CONN, 5, 1) == APR_EINVAL);
    m.magic = 0;
    CHECK(peruid_chan_check(&m, PERUID_MSG_CONN, 5, 1) == APR_EINVAL);
    m.magic = 0x44555250u;              /* byte-swapped */
    CHECK(peruid_chan_check(&m, PERUID_MSG_CONN, 5, 1) == APR_EINVAL);

    m = ok;
    m.version = 0;
    CHECK(peruid_chan_check(&m, PERUID_MSG_CONN, 5, 1) == APR_EINVAL);
    m.version = PERUID_MSG_VERSION + 1;
    CHECK(peruid_chan_check(&m, PERUID_MSG_CONN, 5, 1) == APR_EINVAL);
    m.version = 0x0101;
    CHECK(peruid_chan_check(&m, PERUID_MSG_CONN, 5, 1) == APR_EINVAL);

    m = ok;
    CHECK(peruid_chan_check(&m, PERUID_MSG_CONN, 4, 1) == APR_EINVAL);
    CHECK(peruid_chan_check(&m, PERUID_MSG_CONN, 6, 1) == APR_EINVAL);
    m.pool = 5 + 0x10000u;
    CHECK(peruid_chan_check(&m, PERUID_MSG_CONN, 5, 1) == APR_EINVAL);

    m = ok;
    m.type = PERUID_MSG_SPAWN;
    CHECK(peruid_chan_check(&m, PERUID_MSG_CONN, 5, 1) == APR_EINVAL);
    m.type = 0;
    CHECK(peruid_chan_check(&m, PERUID_MSG_CONN, 5, 1) == APR_EINVAL);
    m.type = 3;
    CHECK(peruid_chan_check(&m, PERUID_MSG_CONN, 5, 1) == APR_EINVAL);
    m.type = PERUID_MSG_CONN + 0x100;
    CHECK(peruid_chan_check(&m, PERUID_MSG_CONN, 5, 1) == APR_EINVAL);

    /* the descriptor rule */
    CHECK(peruid_chan_check(&ok, PERUID_MSG_CONN, 5, 0) == APR_EINVAL);
    m = good_msg(PERUID_MSG_SPAWN, 5);
    CHECK(peruid_chan_check(&m, PERUID_MSG_SPAWN, 5, 0) == APR_SUCCESS);
    CHECK(peruid_chan_check(&m, PERUID_MSG_SPAWN, 5, 1) == APR_EINVAL);
    CHECK(peruid_chan_check(&m, PERUID_MSG_CONN, 5, 0) == APR_EINVAL);
}

/* The deadline rule: a CONN record has one (not 0, and an apr_time_t);
 * SPAWN and BIND records have none.  Sent through the channel too. */
static void test_check_deadline(void)
{
    peruid_msg_t m = good_msg(PERUID_MSG_CONN, 5);
    int s[2], p[2], fd = -2;

    m.deadline = 1;
    CHECK(peruid_chan_check(&m, PERUID_MSG_CONN, 5, 1) == APR_SUCCESS);
    m.deadline = (apr_uint64_t)APR_INT64_MAX;
    CHECK(peruid_chan_check(&m, PERUID_MSG_CONN, 5, 1) == APR_SUCCESS);
    m.deadline = 0;
    CHECK(peruid_chan_check(&m, PERUID_MSG_CONN, 5, 1) == APR_EINVAL);
    m.deadline = (apr_uint64_t)APR_INT64_MAX + 1;
    CHECK(peruid_chan_check(&m, PERUID_MSG_CONN, 5, 1) == APR_EINVAL);
    m.deadline = ~(apr_uint64_t)0;
    CHECK(peruid_chan_check(&m, PERUID_MSG_CONN, 5, 1) == APR_EINVAL);

    m = good_msg(PERUID_MSG_SPAWN, 5);
    m.deadline = 1;
    CHECK(peruid_chan_check(&m, PERUID_MSG_SPAWN, 5, 0) == APR_EINVAL);
    m = good_msg(PERUID_MSG_BIND, 5);
    CHECK(peruid_chan_check(&m, PERUID_MSG_BIND, 5, 1) == APR_SUCCESS);
    m.deadline = 99;
    CHECK(peruid_chan_check(&m, PERUID_MSG_BIND, 5, 1) == APR_EINVAL);

    /* a CONN sent without a deadline (peruid_chan_send, or 0 or a
     * negative one) is refused by the receiver */
    make_chan(s);
    make_pipe(p);
    CHECK(peruid_chan_send(s[0], PERUID_MSG_CONN, 5, 1, p[1])
          == APR_SUCCESS);
    CHECK(peruid_chan_recv(s[1], &m, &fd) == APR_SUCCESS);
    CHECK(m.deadline == 0);
    CHECK(peruid_chan_check(&m, PERUID_MSG_CONN, 5, fd >= 0) == APR_EINVAL);
    close(fd);
    CHECK(peruid_chan_send_conn(s[0], 5, 1, p[1], -7) == APR_SUCCESS);
    CHECK(peruid_chan_recv(s[1], &m, &fd) == APR_SUCCESS);
    CHECK(peruid_chan_check(&m, PERUID_MSG_CONN, 5, fd >= 0) == APR_EINVAL);
    close(fd);
    /* SPAWN and BIND records never carry one */
    CHECK(peruid_chan_send(s[0], PERUID_MSG_SPAWN, 5, 1, -1)
          == APR_SUCCESS);
    CHECK(peruid_chan_recv(s[1], &m, &fd) == APR_SUCCESS);
    CHECK(m.deadline == 0);
    CHECK(peruid_chan_check(&m, PERUID_MSG_SPAWN, 5, fd >= 0)
          == APR_SUCCESS);
    close(p[0]);
    close(p[1]);
    close(s[0]);
    close(s[1]);
}

/* The record's size is fixed (no padding), and peruid_chan_expired is
 * "now at or past the deadline" on the monotonic clock. */
static void test_deadline_and_clock(void)
{
    static const struct {
        apr_uint64_t deadline;
        apr_time_t now;
        int expired;
    } rows[] = {
        { 1000, 999, 0 },
        { 1000, 1000, 1 },          /* at the deadline: too late */
        { 1000, 1001, 1 },
        { 1000, 0, 0 },
        { 1000, -1, 0 },            /* a clock below 0 never expires one */
        { 1, APR_INT64_MAX, 1 },
        { (apr_uint64_t)APR_INT64_MAX, APR_INT64_MAX - 1, 0 },
        { (apr_uint64_t)APR_INT64_MAX, APR_INT64_MAX, 1 },
    };
    peruid_msg_t m = good_msg(PERUID_MSG_CONN, 0);
    apr_time_t a, b;
    size_t i;

    CHECK(sizeof(peruid_msg_t) == PERUID_MSG_SIZE);
    CHECK(sizeof(peruid_msg_t) == 32);
    for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        m.deadline = rows[i].deadline;
        CHECK(peruid_chan_expired(&m, rows[i].now) == rows[i].expired);
        if (peruid_chan_expired(&m, rows[i].now) != rows[i].expired) {
            fprintf(stderr, "    row %zu\n", i);
        }
    }
    a = peruid_chan_clock();
    b = peruid_chan_clock();
    CHECK(a > 0 && b >= a);
}

/* A well-sized record with a wrong field travels, and the check refuses
 * it at the receiver. */
static void test_check_end_to_end(void)
{
    int s[2], fd = -2;
    peruid_msg_t m, bad = good_msg(PERUID_MSG_SPAWN, 2);

    make_chan(s);
    bad.magic = 0x12345678u;
    CHECK(send_raw(s[0], &bad, sizeof(bad), NULL, 0, 0)
          == (ssize_t)sizeof(bad));
    CHECK(peruid_chan_recv(s[1], &m, &fd) == APR_SUCCESS);
    CHECK(fd == -1);
    CHECK(m.magic == 0x12345678u);
    CHECK(peruid_chan_check(&m, PERUID_MSG_SPAWN, 2, 0) == APR_EINVAL);

    bad = good_msg(PERUID_MSG_SPAWN, 2);
    bad.version = 9;
    CHECK(send_raw(s[0], &bad, sizeof(bad), NULL, 0, 0)
          == (ssize_t)sizeof(bad));
    CHECK(peruid_chan_recv(s[1], &m, &fd) == APR_SUCCESS);
    CHECK(peruid_chan_check(&m, PERUID_MSG_SPAWN, 2, 0) == APR_EINVAL);
    close(s[0]);
    close(s[1]);
}

/* Send a record of len bytes with npipes write ends attached (our copies
 * closed), receive it, and check that it is refused and that every
 * descriptor it carried was closed. */
static void malformed_at(const char *file, int line, size_t len,
                         size_t npipes, int separate)
{
    int s[2], p[8][2], w[8], fd = -2, before, after;
    char rec[sizeof(peruid_msg_t) + 16];
    peruid_msg_t good = good_msg(PERUID_MSG_CONN, 1), m;
    apr_status_t rv;
    size_t i;

    make_chan(s);
    memset(rec, 0, sizeof(rec));
    memcpy(rec, &good, sizeof(good));
    for (i = 0; i < npipes; i++) {
        make_pipe(p[i]);
        w[i] = p[i][1];
    }
    CHECK_AT(file, line, send_raw(s[0], rec, len, w, npipes, separate)
                         == (ssize_t)len);
    for (i = 0; i < npipes; i++) {
        close(p[i][1]);
    }
    before = count_fds();
    rv = peruid_chan_recv(s[1], &m, &fd);
    after = count_fds();
    CHECK_AT(file, line, rv == APR_EINVAL);
    CHECK_AT(file, line, fd == -1);
    CHECK_AT(file, line, after == before);
    for (i = 0; i < npipes; i++) {
        CHECK_AT(file, line, writers_closed(p[i][0]) == 1);
        close(p[i][0]);
    }
    if (rv != APR_EINVAL || after != before) {
        fprintf(stderr, "    record of %zu bytes, %zu fds%s: status %d, "
                "%d fds before, %d after\n", len, npipes,
                separate ? " in separate cmsgs" : "", rv, before, after);
    }
    check_still_usable(file, line, s);
    close(s[0]);
    close(s[1]);
}

#define MALFORMED(len, npipes, separate)                                \
    malformed_at(__FILE__, __LINE__, (len), (npipes), (separate))

static void test_malformed(void)
{
    size_t n = sizeof(peruid_msg_t);

    MALFORMED(4, 0, 0);                 /* short */
    MALFORMED(n - 1, 0, 0);
    MALFORMED(4, 1, 0);                 /* short, with a descriptor */
    MALFORMED(n - 1, 1, 0);
    MALFORMED(n + 1, 0, 0);             /* long (truncated) */
    MALFORMED(n + 4, 1, 0);
    MALFORMED(n, 2, 0);                 /* two fds in one SCM_RIGHTS */
    MALFORMED(n, 3, 0);
    MALFORMED(n, 2, 1);                 /* two separate cmsgs */
    MALFORMED(n, 3, 1);
    MALFORMED(n, 6, 0);                 /* more than the receive buffer */
    MALFORMED(n + 8, 6, 1);
}

/* A control message of another type (here SCM_CREDENTIALS, which the
 * kernel adds when the receive end has SO_PASSCRED) makes a record bad;
 * a descriptor next to it is closed. */
static void test_other_cmsg_type(void)
{
    int s[2], p[2], one = 1, fd = -2, before, after;
    peruid_msg_t m;

    make_chan(s);
    CHECK(setsockopt(s[1], SOL_SOCKET, SO_PASSCRED, &one, sizeof(one)) == 0);

    CHECK(peruid_chan_send(s[0], PERUID_MSG_SPAWN, 1, 1, -1) == APR_SUCCESS);
    CHECK(peruid_chan_recv(s[1], &m, &fd) == APR_EINVAL);
    CHECK(fd == -1);

    make_pipe(p);
    CHECK(peruid_chan_send(s[0], PERUID_MSG_CONN, 1, 1, p[1])
          == APR_SUCCESS);
    close(p[1]);
    before = count_fds();
    CHECK(peruid_chan_recv(s[1], &m, &fd) == APR_EINVAL);
    after = count_fds();
    CHECK(fd == -1);
    CHECK(after == before);
    CHECK(writers_closed(p[0]) == 1);
    close(p[0]);
    close(s[0]);
    close(s[1]);
}

/* A record of zero bytes is not an end of file. */
static void test_zero_length_record(void)
{
    int s[2], p[2], fd = -2, before, after;
    peruid_msg_t m;
    apr_status_t rv;

    make_chan(s);
    CHECK(send_raw(s[0], "", 0, NULL, 0, 0) == 0);
    rv = peruid_chan_recv(s[1], &m, &fd);
    CHECK(rv == APR_EINVAL);
    check_still_usable(__FILE__, __LINE__, s);

    make_pipe(p);
    CHECK(send_raw(s[0], "", 0, &p[1], 1, 0) == 0);
    close(p[1]);
    before = count_fds();
    rv = peruid_chan_recv(s[1], &m, &fd);
    after = count_fds();
    CHECK(rv == APR_EINVAL);
    CHECK(after == before);
    CHECK(writers_closed(p[0]) == 1);
    CHECK(fd == -1);
    close(p[0]);
    close(s[0]);
    close(s[1]);
}

static void test_nonblocking_send(void)
{
    int s[2], fd = -2;
    apr_status_t rv = APR_SUCCESS;
    apr_uint32_t sent = 0, got = 0;
    peruid_msg_t m;
    int in_order = 1;

    make_chan(s);
    while (sent < 1000000) {
        rv = peruid_chan_send(s[0], PERUID_MSG_SPAWN, 4, sent, -1);
        if (rv != APR_SUCCESS) {
            break;
        }
        sent++;
    }
    CHECK(rv == EAGAIN);
    CHECK(sent > 0 && sent < 1000000);

    while ((rv = peruid_chan_recv(s[1], &m, &fd)) == APR_SUCCESS) {
        if (m.generation != got || fd != -1) {
            in_order = 0;
        }
        got++;
    }
    CHECK(rv == EAGAIN);
    CHECK(got == sent);
    CHECK(in_order);
    CHECK(peruid_chan_send(s[0], PERUID_MSG_SPAWN, 4, 0, -1) == APR_SUCCESS);
    close(s[0]);
    close(s[1]);
}

/* An Expr user's records: a HANDOVER naming the user (its ids in the
 * deadline field, target PERUID_TARGET_USER) and a USER record (router
 * -> master); a deadline on a HANDOVER naming a pool, or none, is still
 * refused, and a USER record carries no descriptor, hops or target. */
static void test_user_records(void)
{
    int s[2], p[2], q[2], fds[2] = { -2, -2 }, fd = -2;
    apr_uint32_t uid = 0, gid = 0;
    peruid_msg_t m;

    make_chan(s);
    make_pipe(p);
    make_pipe(q);
    CHECK(peruid_chan_send_handover_user(s[0], 3, 9, p[1], q[1], 1,
                                         4000000000u, 1005)
          == APR_SUCCESS);
    CHECK(peruid_chan_recv_pair(s[1], &m, fds, 0) == APR_SUCCESS);
    CHECK(m.target == PERUID_TARGET_USER);
    CHECK(peruid_chan_check_pair(&m, PERUID_MSG_HANDOVER, 3, 2, 4)
          == APR_SUCCESS);
    peruid_chan_user_ids(&m, &uid, &gid);
    CHECK(uid == 4000000000u && gid == 1005);
    m.target = 4;               /* a pool: no ids may ride along */
    CHECK(peruid_chan_check_pair(&m, PERUID_MSG_HANDOVER, 3, 2, 4)
          == APR_EINVAL);
    m.target = 0;
    CHECK(peruid_chan_check_pair(&m, PERUID_MSG_HANDOVER, 3, 2, 4)
          == APR_EINVAL);
    close(fds[0]);
    close(fds[1]);
    CHECK(peruid_chan_send_user(s[0], 6, 9, 1005, 1006) == APR_SUCCESS);
    CHECK(peruid_chan_recv(s[1], &m, &fd) == APR_SUCCESS && fd == -1);
    CHECK(peruid_chan_check(&m, PERUID_MSG_USER, 6, 0) == APR_SUCCESS);
    CHECK(peruid_chan_check(&m, PERUID_MSG_SPAWN, 6, 0) == APR_EINVAL);
    CHECK(peruid_chan_check(&m, PERUID_MSG_USER, 6, 1) == APR_EINVAL);
    peruid_chan_user_ids(&m, &uid, &gid);
    CHECK(uid == 1005 && gid == 1006);
    m.hops = 1;
    CHECK(peruid_chan_check(&m, PERUID_MSG_USER, 6, 0) == APR_EINVAL);
    m.hops = 0;
    m.target = 1;
    CHECK(peruid_chan_check(&m, PERUID_MSG_USER, 6, 0) == APR_EINVAL);
    close(s[0]);
    close(s[1]);
    close(p[0]);
    close(p[1]);
    close(q[0]);
    close(q[1]);
}

/* Hand-over records: HANDOVER (worker -> routers) and CONN_REPLAY
 * (router -> worker) carry two descriptors, both received, close-on-exec;
 * a receiver of one descriptor refuses them and closes both; the
 * allow-list of peruid_chan_check_pair. */
static void test_pair_records(void)
{
    int s[2], p[2], q[2], fds[2] = { -2, -2 }, fd = -2, before;
    peruid_msg_t m;

    make_chan(s);
    make_pipe(p);
    make_pipe(q);
    CHECK(peruid_chan_send_pair(s[0], PERUID_MSG_HANDOVER, 3, 9, p[1], q[1],
                                0, 2) == APR_SUCCESS);
    CHECK(peruid_chan_recv_pair(s[1], &m, fds, 0) == APR_SUCCESS);
    CHECK(fds[0] >= 0 && fds[1] >= 0 && fds[0] != fds[1]);
    CHECK(m.type == PERUID_MSG_HANDOVER && m.hops == 2 && m.deadline == 0);
    CHECK((fcntl(fds[0], F_GETFD) & FD_CLOEXEC) != 0);
    CHECK((fcntl(fds[1], F_GETFD) & FD_CLOEXEC) != 0);
    CHECK(peruid_chan_check_pair(&m, PERUID_MSG_HANDOVER, 3, 2, 4)
          == APR_SUCCESS);
    CHECK(peruid_chan_check_pair(&m, PERUID_MSG_HANDOVER, 3, 1, 4)
          == APR_EINVAL);
    CHECK(peruid_chan_check_pair(&m, PERUID_MSG_HANDOVER, 4, 2, 4)
          == APR_EINVAL);
    CHECK(peruid_chan_check_pair(&m, PERUID_MSG_CONN_REPLAY, 3, 2, 4)
          == APR_EINVAL);
    /* the old checks refuse it whatever they expect */
    CHECK(peruid_chan_check(&m, PERUID_MSG_CONN, 3, 1) == APR_EINVAL);
    /* a HANDOVER past the bound is well-formed: the router answers it */
    m.hops = 5;
    CHECK(peruid_chan_check_pair(&m, PERUID_MSG_HANDOVER, 3, 2, 4)
          == APR_SUCCESS);
    m.hops = 0;
    CHECK(peruid_chan_check_pair(&m, PERUID_MSG_HANDOVER, 3, 2, 4)
          == APR_EINVAL);
    m.hops = 1;
    m.deadline = 5;
    CHECK(peruid_chan_check_pair(&m, PERUID_MSG_HANDOVER, 3, 2, 4)
          == APR_EINVAL);
    m.deadline = 0;
    close(fds[0]);
    close(fds[1]);

    /* a HANDOVER naming the pool the request needs; no other record
     * names one */
    CHECK(peruid_chan_send_handover(s[0], 3, 9, p[1], q[1], 1, 7)
          == APR_SUCCESS);
    CHECK(peruid_chan_recv_pair(s[1], &m, fds, 0) == APR_SUCCESS);
    CHECK(m.type == PERUID_MSG_HANDOVER && m.hops == 1 && m.target == 7);
    CHECK(peruid_chan_check_pair(&m, PERUID_MSG_HANDOVER, 3, 2, 4)
          == APR_SUCCESS);
    m.type = PERUID_MSG_CONN_REPLAY;
    m.deadline = 777;
    CHECK(peruid_chan_check_pair(&m, PERUID_MSG_CONN_REPLAY, 3, 2, 4)
          == APR_EINVAL);
    m.type = PERUID_MSG_CONN;
    m.hops = 0;
    CHECK(peruid_chan_check(&m, PERUID_MSG_CONN, 3, 1) == APR_EINVAL);
    close(fds[0]);
    close(fds[1]);

    /* CONN_REPLAY: a deadline, hops within the bound */
    CHECK(peruid_chan_send_pair(s[0], PERUID_MSG_CONN_REPLAY, 3, 9, p[1],
                                q[1], 777, 4) == APR_SUCCESS);
    CHECK(peruid_chan_recv_pair(s[1], &m, fds, 0) == APR_SUCCESS);
    CHECK(peruid_chan_check_pair(&m, PERUID_MSG_CONN_REPLAY, 3, 2, 4)
          == APR_SUCCESS);
    CHECK(peruid_chan_check_pair(&m, PERUID_MSG_CONN_REPLAY, 3, 2, 3)
          == APR_EINVAL);
    m.deadline = 0;
    CHECK(peruid_chan_check_pair(&m, PERUID_MSG_CONN_REPLAY, 3, 2, 4)
          == APR_EINVAL);
    close(fds[0]);
    close(fds[1]);

    /* BIND with the pool's receive end and its back channel's send end:
     * no hops, no deadline */
    CHECK(peruid_chan_send_pair(s[0], PERUID_MSG_BIND, 3, 9, p[1], q[1], 0,
                                0) == APR_SUCCESS);
    CHECK(peruid_chan_recv_pair(s[1], &m, fds, 0) == APR_SUCCESS);
    CHECK(peruid_chan_check_pair(&m, PERUID_MSG_BIND, 3, 2, 0)
          == APR_SUCCESS);
    CHECK(peruid_chan_check_pair(&m, PERUID_MSG_BIND, 3, 1, 0)
          == APR_EINVAL);
    m.hops = 1;
    CHECK(peruid_chan_check_pair(&m, PERUID_MSG_BIND, 3, 2, 0)
          == APR_EINVAL);
    close(fds[0]);
    close(fds[1]);

    /* a plain CONN through the pair receiver: one descriptor */
    CHECK(peruid_chan_send_conn(s[0], 3, 9, p[1], 777) == APR_SUCCESS);
    CHECK(peruid_chan_recv_pair(s[1], &m, fds, 0) == APR_SUCCESS);
    CHECK(fds[0] >= 0 && fds[1] == -1);
    CHECK(peruid_chan_check(&m, PERUID_MSG_CONN, 3, 1) == APR_SUCCESS);
    close(fds[0]);

    /* two descriptors to a receiver of one: refused, both closed */
    before = count_fds();
    CHECK(peruid_chan_send_pair(s[0], PERUID_MSG_CONN_REPLAY, 3, 9, p[1],
                                q[1], 777, 1) == APR_SUCCESS);
    CHECK(peruid_chan_recv(s[1], &m, &fd) == APR_EINVAL);
    CHECK(fd == -1);
    CHECK(count_fds() == before);
    close(p[1]);
    close(q[1]);
    CHECK(writers_closed(p[0]) == 1);
    CHECK(writers_closed(q[0]) == 1);
    check_still_usable(__FILE__, __LINE__, s);
    close(p[0]);
    close(q[0]);
    close(s[0]);
    close(s[1]);
}

int main(void)
{
    int start = count_fds();

    test_pair();
    test_conn_with_fd();
    test_empty_and_eof();
    test_spawn_and_fd_rules();
    test_check_allow_list();
    test_check_deadline();
    test_deadline_and_clock();
    test_check_end_to_end();
    test_malformed();
    test_other_cmsg_type();
    test_zero_length_record();
    test_nonblocking_send();
    test_pair_records();
    test_user_records();
    /* every test closes what it opened */
    CHECK(count_fds() == start);
    return unit_summary("test_channel");
}
