/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * preforked.c -- a preforked worker's wait for its pool, as root.
 *
 * With PeruidPreforkedWorkers the master forks workers for no pool yet.
 * Such a worker closes every channel and listener (child.c), keeps only
 * its end of its bind socket and waits there, still root, for the
 * master's BIND record, which names its pool and carries the pool's
 * receive end.  It reads nothing else but /proc/self/maps, to map in the
 * code it will run while nobody waits for it (preforked_prefault; which
 * mappings is maps.c's pure choice, unit-tested on its own).  Once
 * bound it goes on as worker.c's workers do: it switches to the pool's
 * user before it touches any connection.
 */

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>
#include <poll.h>
#include <fcntl.h>
#include <sys/mman.h>

#include "httpd.h"
#include "apr_strings.h"
#include "http_log.h"
#include "http_main.h"
#include "mpm_common.h"
#include "scoreboard.h"

#include "peruid.h"
#include "child.h"
#include "channel.h"
#include "maps.h"

#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ 22   /* Linux 5.14 */
#endif

/* How much preforked_prefault maps in between two looks at its bind
 * socket and the stop signals. */
#define PREFAULT_CHUNK (2UL * 1024 * 1024)

/* Preforked worker, root: map in [start, end) PREFAULT_CHUNK at a
 * time; between chunks, stop when the master's record has come or a stop
 * signal waits (they are blocked here).  A chunk may have to be read from
 * disk.  Returns 0 to stop. */
static int preforked_prefault_range(unsigned long start, unsigned long end,
                                    struct pollfd *pfd)
{
    unsigned long n;
    sigset_t pending;

    for (; start < end; start += n) {
        n = end - start < PREFAULT_CHUNK ? end - start : PREFAULT_CHUNK;
        sigpending(&pending);
        if (poll(pfd, 1, 0) != 0 || sigismember(&pending, AP_SIG_GRACEFUL)
            || sigismember(&pending, AP_SIG_GRACEFUL_STOP)) {
            return 0;
        }
        madvise((void *)start, n, MADV_POPULATE_READ);
    }
    return 1;
}

/* Preforked worker, root: read at most max bytes of /proc/self/maps into
 * buf.  Returns how many (0 when it cannot be opened). */
static size_t preforked_read_maps(char *buf, size_t max)
{
    size_t len = 0;
    ssize_t n;
    int fd;

    fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        return 0;
    }
    while (len < max && (n = read(fd, buf + len, max - len)) > 0) {
        len += (size_t)n;
    }
    close(fd);
    return len;
}

/* Preforked worker, root, before it is bound: map in now the program's
 * code and its libraries' read-only data, which a fresh process otherwise
 * maps page fault by page fault during its first request (fork() does
 * not copy the page tables of file mappings).  madvise() costs a
 * fraction of those faults and is done while nobody waits; it stops at
 * the next 2 MiB when the master's record or a stop signal is there.
 * Private file mappings only, read-only (maps.c chooses them): nothing is
 * copied, the pages stay shared.  Best effort: a kernel without
 * MADV_POPULATE_READ just refuses each call. */
static void preforked_prefault(int sock)
{
    struct pollfd pfd;
    maps_range_t r;
    size_t len, pos = 0;
    char *buf;

    buf = mmap(NULL, MAPS_READ_MAX, PROT_READ | PROT_WRITE,
               MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (buf == MAP_FAILED) {
        return;
    }
    len = preforked_read_maps(buf, MAPS_READ_MAX);
    pfd.fd = sock;
    pfd.events = POLLIN;
    while (peruid_maps_next(buf, len, &pos, &r)) {
        if (!preforked_prefault_range(r.start, r.end, &pfd)) {
            break;              /* bound or stopped: no more time */
        }
    }
    munmap(buf, MAPS_READ_MAX);
}

/* Preforked worker, root, set up: show SERVER_READY on the scoreboard
 * unless the master's record is already there.  The master binds a ready
 * worker before one still starting (children.c). */
static void preforked_show_ready(int sock, int slot)
{
    struct pollfd pfd;

    pfd.fd = sock;
    pfd.events = POLLIN;
    if (poll(&pfd, 1, 0) == 0) {
        ap_update_child_status_from_indexes(slot, 0, SERVER_READY, NULL);
    }
}

/* Preforked worker, root, the stop signals blocked: wait in ppoll for
 * the master's record on sock; ppoll lets the stop signals in (old, the
 * mask before they were blocked).  Returns as peruid_chan_recv (never
 * APR_EAGAIN), APR_EINTR when asked to stop, or the errno of a failed
 * ppoll. */
static apr_status_t preforked_recv(int sock, const sigset_t *old,
                                   peruid_msg_t *msg, int fds[2])
{
    struct pollfd pfd;
    apr_status_t rv;

    do {
        pfd.fd = sock;
        pfd.events = POLLIN;
        if (peruid_child_should_stop()) {
            return APR_EINTR;
        }
        if (ppoll(&pfd, 1, NULL, old) < 0) {
            rv = errno;         /* EINTR, a signal: look at the flag */
            continue;
        }
        rv = peruid_chan_recv_pair(sock, msg, fds, 0);
    } while (APR_STATUS_IS_EAGAIN(rv) || APR_STATUS_IS_EINTR(rv));
    return rv;
}

/* Preforked worker, root: is msg, received with fds (or -1), a BIND of
 * our generation for a pool of the table, with exactly two descriptors
 * (the pool's receive end and its back channel's send end)? */
static int preforked_bind_ok(peruid_retained_t *rd, const peruid_msg_t *msg,
                             const int fds[2])
{
    return msg->pool < (apr_uint32_t)rd->npools
           && msg->generation == (apr_uint32_t)rd->mpm->my_generation
           && peruid_chan_check_pair(msg, PERUID_MSG_BIND, msg->pool,
                                     (fds[0] >= 0) + (fds[1] >= 0), 0)
              == APR_SUCCESS;
}

/* Preforked worker, root: log the malformed record that ends the worker
 * in slot unbound; received: msg was received whole (else the channel
 * refused it for its size, truncation or control message). */
static void preforked_log_malformed(peruid_retained_t *rd, int slot,
                                    int received, const peruid_msg_t *msg,
                                    const int fds[2])
{
    static const char *const count[] = { "no descriptor", "a descriptor",
                                         "two descriptors" };
    char what[160];

    if (received) {
        apr_snprintf(what, sizeof(what), "type %u, pool %u of %d, "
                     "generation %u (ours: %d), %s",
                     (unsigned)msg->type, (unsigned)msg->pool, rd->npools,
                     (unsigned)msg->generation, rd->mpm->my_generation,
                     count[(fds[0] >= 0) + (fds[1] >= 0)]);
    }
    else {
        apr_cpystrn(what, "wrong size, truncated or bad descriptors",
                    sizeof(what));
    }
    ap_log_error(APLOG_MARK, APLOG_ERR, received ? 0 : APR_EINVAL,
                 ap_server_conf, PERUID_LOGNO(00055) "preforked worker in "
                 "slot %d: refused a malformed bind record (%s); exiting "
                 "without a pool", slot, what);
}

/* Preforked worker, root: the pool the master's record names, after
 * preforked_recv returned rv with msg and fds; -1 (and fds closed) unless
 * it is well-formed (preforked_bind_ok), and then fds become the pool's
 * receive end and its back channel's send end (handover.c).  A malformed
 * record is logged; a stop, or the master closing its end, is not. */
static int preforked_bound_pool(peruid_retained_t *rd, int slot,
                                apr_status_t rv, const peruid_msg_t *msg,
                                int fds[2])
{
    if (rv == APR_SUCCESS && !preforked_bind_ok(rd, msg, fds)) {
        preforked_log_malformed(rd, slot, 1, msg, fds);
        rv = APR_EINVAL;
    }
    else if (APR_STATUS_IS_EINVAL(rv)) {
        preforked_log_malformed(rd, slot, 0, msg, fds);
    }
    if (rv != APR_SUCCESS) {
        if (fds[0] >= 0) {
            close(fds[0]);
        }
        if (fds[1] >= 0) {
            close(fds[1]);
        }
        return -1;
    }
    rd->pools[msg->pool].chan_recv = fds[0];
    rd->pools[msg->pool].back_send = fds[1];
    return (int)msg->pool;
}

/* Preforked worker, root, holding nothing but its bind socket: wait
 * until the master names our pool (PERUID_MSG_BIND, with the pool's
 * receive end and its back channel's send end), mapping in our code meanwhile.  The stop signals are let
 * in only inside ppoll.  Returns the pool, or -1 when asked to stop, when
 * the master closed its end, or on a malformed record (logged). */
int peruid_preforked_wait_bind(peruid_retained_t *rd, int slot)
{
    int sock = rd->slots[slot].bind_recv, fds[2] = { -1, -1 };
    apr_pool_t *pchild;
    sigset_t stop, old;
    peruid_msg_t msg;
    apr_status_t rv;

    sigemptyset(&stop);
    sigaddset(&stop, AP_SIG_GRACEFUL);
    sigaddset(&stop, AP_SIG_GRACEFUL_STOP);
    sigprocmask(SIG_BLOCK, &stop, &old);
    pchild = peruid_self()->pchild;
    peruid_self()->pchild = NULL;     /* SIGTERM now: exit without running any
                                 * module's cleanup as root */
    preforked_prefault(sock);
    preforked_show_ready(sock, slot);
    rv = preforked_recv(sock, &old, &msg, fds);
    ap_update_child_status_from_indexes(slot, 0, SERVER_STARTING, NULL);
    sigprocmask(SIG_SETMASK, &old, NULL);
    peruid_self()->pchild = pchild;
    close(sock);
    rd->slots[slot].bind_recv = -1;
    return preforked_bound_pool(rd, slot, rv, &msg, fds);
}
