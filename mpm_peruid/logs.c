/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * logs.c -- a worker holds only its own users' log files, and what it
 * writes to a log shared with other users carries its user's mark.
 *
 * Master (root), open_logs: mod_log_config opens every access log
 * (CustomLog, TransferLog, GlobalLog; files and piped logs, buffered or
 * not) through its writer init, which any module may replace
 * (ap_log_set_writer_init).  peruid_logs_wrap puts a wrapper in front of
 * the init in effect: it lists the descriptors open at its first call
 * (/proc/self/fd), and after each call looks at the numbers that were
 * free (one poll()) to note the new ones with the server the log was
 * opened for.  A log opened for the main server is inherited by the
 * vhosts without one of their own.  Error logs need no note: core leaves
 * each server's in server_rec->error_log (the main server's is stderr).
 *
 * Master (root), at the start of each generation (peruid_logs_start):
 * the facts of every log descriptor, and for each pool the logs it
 * shares with other users (logpick.c decides: the main ErrorLog, a
 * CustomLog of the main server, an ErrorLog file of vhosts of several
 * users).  For each (pool, shared log) it makes a pipe: the read ends in
 * one block of descriptor numbers above every open one, the write ends
 * in the next, each pool's together, so that a child closes what it must
 * not hold in one or two close_range() calls.  Then it forks the
 * server's one log relay (logs_relay_main), which keeps the read ends
 * and the shared logs, nothing else, becomes the routers' user with no
 * capabilities, and writes every line it reads from a pool's pipe with
 * "[user NAME] " in front (one write per line; a piped log gets the same
 * marked lines).  The master keeps both ends of every pipe for the whole
 * generation: a relay that dies (PU00064) is replaced by a new fork,
 * which inherits the read ends again; lines wait in the pipes meanwhile.
 *
 * A child right after fork (peruid_logs_child): the read ends go; a
 * router closes every write end, a worker every other pool's (a
 * preforked worker keeps them all, running no tenant code, until the
 * master binds it to a pool).
 *
 * Worker (root, its pool known, before its switch): peruid_logs_enter
 * asks logpick.c what to do with each log descriptor and
 *
 *   - puts /dev/null in place of another user's log (dup3 onto its
 *     number: the number stays taken, so no owner's later close can hit
 *     a descriptor opened since, and a write goes nowhere);
 *   - puts the write end of its pool's pipe in place of each shared log,
 *     then closes its pipes' own numbers.  Whatever the tenant writes
 *     there -- PHP's error_log(), php://stderr, native code's write(2) --
 *     reaches the log after its user's mark; lines of the master and the
 *     routers have none.  It forks nothing.
 *
 * Restarts: at the end of a generation (peruid_logs_end) the master
 * closes its ends of that generation's pipes; its relay writes what they
 * hold and exits when every pipe has ended, i.e. once the old workers
 * still finishing (and whatever they started that kept a log descriptor)
 * are gone.  A new generation has new pipes and a new relay.  At a stop
 * or a hard restart the master waits for the relays (LOGS_DRAIN_WAIT)
 * after its workers have exited, so that their last lines are written.
 */

#include <limits.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "httpd.h"
#include "apr_optional.h"
#include "apr_signal.h"
#include "apr_strings.h"
#include "http_log.h"
#include "http_main.h"
#include "mpm_common.h"
#include "mod_log_config.h"

#include "peruid.h"
#include "child.h"
#include "creds.h"
#include "master.h"
#include "stall.h"
#include "logs.h"
#include "logpick.h"

/* The longest line the relay writes whole; a longer one is cut. */
#define LOGS_LINE_MAX 8192

/* How far above the highest descriptor known open the master looks for
 * the ones a writer init opened (logs_note_new). */
#define LOGS_WINDOW 256

/* At a stop, how long the master waits for the relays to write what the
 * workers left in the pipes (then SIGKILL, PU00066). */
#define LOGS_DRAIN_WAIT apr_time_from_sec(3)

/* A relay that dies sooner than this after its start is replaced at the
 * next tick (a second), not at once. */
#define LOGS_RESTART_GAP apr_time_from_sec(1)

/* Relays of earlier generations the master follows (still writing what
 * old workers write). */
#define LOGS_OLD_MAX 16

/* Ready pipes the relay takes from the kernel at once. */
#define LOGS_EVENTS 64

/* One descriptor that mod_log_config's writer init opened. */
typedef struct {
    int fd;
    server_rec *s;          /* the server the log was opened for         */
} logs_opened_t;

/* One pipe: what the workers of pool write to the shared log log_fd.
 * The i-th pipe's read end is rbase + i, its write end wbase + i. */
typedef struct {
    int log_fd;
    int pool;
} logs_pipe_t;

/* This generation's logs, pipes and relay, made by the master at the
 * generation's start (peruid_logs_start); every child forked since has
 * them from the fork. */
typedef struct {
    logpick_fd_t *all;      /* per descriptor below size: its facts, with
                             * others counting every server writing it   */
    int size;
    int npools;
    int *wfd;               /* the log descriptors each pool's servers
                             * write, pool by pool (a server: once each) */
    int *wfirst;            /* per pool (npools + 1): its first in wfd   */
    int *wfill;             /* scratch of logs_facts                     */
    int *common;            /* the main ErrorLog, the main server's
                             * access logs ...                           */
    int ncommon;            /* ... how many                              */
    logs_pipe_t *pipe;      /* n pipes, pool by pool                     */
    int *pfirst;            /* per pool (npools + 1): its first pipe     */
    int n;                  /* 0: no pipes (none held any more)          */
    int rbase, wbase;       /* the read ends' and write ends' blocks     */
    int reads_held;         /* this process holds every read end         */
    int writes_held;        /* this process holds every write end        */
    pid_t relay;            /* master: the relay running now (0: none)   */
    pid_t relay_at_fork;    /* a child: the relay when it was forked     */
    apr_time_t relay_started;
    int relay_due;          /* master: start one at the next tick        */
    int ended;              /* master: the generation is over            */
} logs_gen_t;

/* The master's notes of this generation's access logs; a worker has
 * them from the fork. */
typedef struct {
    ap_log_writer_init *inner;  /* the writer init we wrap               */
    apr_array_header_t *opened; /* logs_opened_t, from plog              */
    char *open;             /* per descriptor number below size: open when
                             * last looked at (NULL: not yet this
                             * generation)                               */
    int size;               /* RLIMIT_NOFILE: no descriptor is above     */
    int hi;                 /* 1 + the highest descriptor known open     */
    logs_gen_t gen;         /* pipes and relay of this generation        */
    pid_t old[LOGS_OLD_MAX];    /* master: relays of earlier generations */
    stall_log_t deaths;     /* master: relay deaths logged (PU00064) ... */
    pid_t last_pid;         /* ... and the last one                      */
    apr_exit_why_e last_why;
    int last_status;
} logs_ctx_t;

/* The only state: the wrapper mod_log_config calls gets no context. */
static logs_ctx_t logs_ctx;

/* Master, root: the size of our descriptor table (FDSize in
 * /proc/self/status): every open descriptor is below it.  0 if it cannot
 * be read. */
static int logs_table_size(void)
{
    char buf[2048], *at;

    if (peruid_master_read_small("/proc/self/status", buf, sizeof(buf))
        == 0) {
        return 0;
    }
    at = strstr(buf, "\nFDSize:");
    return at ? atoi(at + 8) : 0;
}

/* Master, root: the highest descriptor open now (-1: none), asked of
 * the kernel number by number from the table's end down (fcntl
 * F_GETFD, which also sees O_PATH descriptors).  No listing of
 * /proc/self/fd: with thousands of channels and pipes open, a listing
 * cost 15-20 ms of the start (the kernel makes an entry for each). */
static apr_status_t logs_highest_fd(int *hi)
{
    int fd = logs_table_size();

    if (fd <= 0) {
        return APR_EGENERAL;
    }
    while (--fd >= 0 && fcntl(fd, F_GETFD) < 0) {
    }
    *hi = fd;
    return APR_SUCCESS;
}

/* Master, root, at the first writer init of a generation: which
 * descriptors are open (the highest by logs_highest_fd, the others below
 * it by one poll(), POLLNVAL being a free number, as logs_note_new asks
 * later); later calls only look at the numbers that were free. */
static apr_status_t logs_map_init(apr_pool_t *p)
{
    struct pollfd *pfd;
    struct rlimit nofile;
    apr_status_t rv;
    int fd, hi;

    if (getrlimit(RLIMIT_NOFILE, &nofile) < 0) {
        return errno;
    }
    logs_ctx.size = nofile.rlim_cur > INT_MAX / 2 ? INT_MAX / 2
                                                  : (int)nofile.rlim_cur;
    logs_ctx.open = apr_pcalloc(p, logs_ctx.size);
    logs_ctx.hi = 0;
    if ((rv = logs_highest_fd(&hi)) != APR_SUCCESS) {
        return rv;
    }
    hi = hi < logs_ctx.size ? hi : logs_ctx.size - 1;
    pfd = apr_palloc(p, (hi + 2) * sizeof(*pfd));
    for (fd = 0; fd <= hi; fd++) {
        pfd[fd].fd = fd;
        pfd[fd].events = 0;
    }
    if (hi >= 0 && poll(pfd, (nfds_t)hi + 1, 0) < 0) {
        return errno;
    }
    for (fd = 0; fd <= hi; fd++) {
        logs_ctx.open[fd] = fd == hi || !(pfd[fd].revents & POLLNVAL);
    }
    logs_ctx.hi = hi + 1;
    return APR_SUCCESS;
}

/* Master, root, right after a writer init for s: note as s's logs the
 * descriptors that are open now among the numbers that were free before
 * it, below the highest known plus LOGS_WINDOW (one poll(); POLLNVAL is
 * a free number).  The kernel gives the lowest free number to every new
 * descriptor, so the call's can be nowhere else, unless it held
 * LOGS_WINDOW descriptors at once: one open near the window's end is
 * taken for that, APR_EGENERAL (the caller refuses the start). */
static apr_status_t logs_note_new(apr_pool_t *p, server_rec *s)
{
    int end = logs_ctx.hi + LOGS_WINDOW, n = 0, i, fd;
    struct pollfd *pfd;

    end = end > logs_ctx.size ? logs_ctx.size : end;
    pfd = apr_palloc(p, (end + 1) * sizeof(*pfd));
    for (fd = 0; fd < end; fd++) {
        if (!logs_ctx.open[fd]) {
            pfd[n].fd = fd;
            pfd[n++].events = 0;
        }
    }
    if (poll(pfd, n, 0) < 0) {
        return errno;
    }
    for (i = 0; i < n; i++) {
        logs_opened_t *o;

        if (pfd[i].revents & POLLNVAL) {
            continue;
        }
        fd = pfd[i].fd;
        if (fd >= end - LOGS_WINDOW / 8 && end < logs_ctx.size) {
            return APR_EGENERAL;
        }
        logs_ctx.open[fd] = 1;
        logs_ctx.hi = fd + 1 > logs_ctx.hi ? fd + 1 : logs_ctx.hi;
        o = apr_array_push(logs_ctx.opened);
        o->fd = fd;
        o->s = s;
    }
    return APR_SUCCESS;
}

/* Master, root, from mod_log_config's open_logs: the wrapper of its
 * writer init.  A log whose descriptors cannot be told is refused (the
 * server does not start): a worker could not tell it is another user's. */
static void *logs_writer_init(apr_pool_t *p, server_rec *s, const char *name)
{
    apr_status_t rv = APR_SUCCESS;
    apr_pool_t *tmp;
    void *h;

    if (!logs_ctx.open) {
        rv = logs_map_init(p);
    }
    h = logs_ctx.inner(p, s, name);
    if (h && rv == APR_SUCCESS) {
        apr_pool_create(&tmp, p);
        rv = logs_note_new(tmp, s);
        apr_pool_destroy(tmp);
    }
    if (h && rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_EMERG | APLOG_STARTUP, rv, NULL,
                     PERUID_LOGNO(00087) "cannot tell which descriptors "
                     "log %s opened (/proc/self/fd, poll), so workers could "
                     "not close it for other users; refusing to start",
                     name);
        return NULL;
    }
    return h;
}

/* Master, root: see logs.h.  mod_log_config's pre_config puts its own
 * writer init back and BufferedLogs picks one while the configuration is
 * read, so the wrapper is put in front of the one in effect each time. */
int peruid_logs_wrap(apr_pool_t *pconf, apr_pool_t *plog, apr_pool_t *ptemp,
                     server_rec *s)
{
    APR_OPTIONAL_FN_TYPE(ap_log_set_writer_init) *set;
    ap_log_writer_init *was;

    logs_ctx.opened = apr_array_make(plog, 16, sizeof(logs_opened_t));
    logs_ctx.open = NULL;       /* listed again at the first log */
    set = APR_RETRIEVE_OPTIONAL_FN(ap_log_set_writer_init);
    if (set) {
        was = set(logs_writer_init);
        if (was != logs_writer_init) {
            logs_ctx.inner = was;
        }
    }
    return OK;
}

/* Master, root: see logs.h. */
int peruid_logs_check(apr_pool_t *pconf, apr_pool_t *plog,
                      apr_pool_t *ptemp, server_rec *s)
{
    APR_OPTIONAL_FN_TYPE(ap_log_set_writer_init) *set;
    ap_log_writer_init *now;

    set = APR_RETRIEVE_OPTIONAL_FN(ap_log_set_writer_init);
    if (!set) {
        return OK;
    }
    now = set(logs_writer_init);
    set(now);
    if (now != logs_writer_init) {
        ap_log_error(APLOG_MARK, APLOG_EMERG | APLOG_STARTUP, 0, NULL,
                     PERUID_LOGNO(00088) "a module replaced mod_log_config's "
                     "writer init while the access logs were opened, so "
                     "workers could not tell which descriptors are other "
                     "users' logs; refusing to start");
        return DONE;
    }
    return OK;
}

/* Master, root: the highest descriptor among the logs (-1: none). */
static int logs_max_fd(server_rec *main_s)
{
    server_rec *s;
    int i, max = -1;

    for (s = main_s; s; s = s->next) {
        apr_os_file_t fd;

        if (s->error_log && apr_os_file_get(&fd, s->error_log) == APR_SUCCESS
            && fd > max) {
            max = fd;
        }
    }
    for (i = 0; logs_ctx.opened && i < logs_ctx.opened->nelts; i++) {
        int fd = APR_ARRAY_IDX(logs_ctx.opened, i, logs_opened_t).fd;

        max = fd > max ? fd : max;
    }
    return max;
}

/* Master, root: note that a server of pool writes to log descriptor fd;
 * with fill, in the facts of every descriptor (g->all, which counts every
 * writer as another's) and in its pool's list (g->wfd); without, only
 * how many its pool has (g->wfirst).  0 if fd does not fit (not
 * expected: size comes from logs_max_fd). */
static int logs_note_pool(logs_gen_t *g, int pool, int fd, int fill)
{
    int has_pool = pool >= 0 && pool < g->npools;

    if (fd < 0 || fd >= g->size) {
        return 0;
    }
    if (!fill) {
        if (has_pool) {
            g->wfirst[pool + 1]++;
        }
        return 1;
    }
    if (has_pool) {
        g->wfd[g->wfirst[pool] + g->wfill[pool]++] = fd;
    }
    return logpick_add(g->all, g->size, fd, 0) != NULL;
}

/* Master, root: note that server s writes to log descriptor fd, for its
 * pool and for each pool its per-directory AssignUserIDs name (perdir.c:
 * their workers serve some of its requests, so its logs are shared). */
static int logs_note_write(logs_gen_t *g, server_rec *s, int fd, int fill)
{
    const apr_array_header_t *more = peruid_server_conf(s)->perdir_pools;
    int pool = peruid_server_pool(s), i, ok;

    ok = logs_note_pool(g, pool, fd, fill);
    for (i = 0; ok && more && i < more->nelts; i++) {
        if (APR_ARRAY_IDX(more, i, int) != pool) {
            ok = logs_note_pool(g, APR_ARRAY_IDX(more, i, int), fd, fill);
        }
    }
    return ok;
}

/* Master, root: one pass over the logs of every server (core's error
 * logs, mod_log_config's access logs), counting (fill 0) or filling. */
static int logs_walk(logs_gen_t *g, server_rec *main_s, int fill)
{
    apr_os_file_t fd;
    server_rec *s;
    int i, ok = 1;

    for (s = main_s; s; s = s->next) {
        if (s->error_log
            && apr_os_file_get(&fd, s->error_log) == APR_SUCCESS) {
            ok &= logs_note_write(g, s, fd, fill);
        }
    }
    for (i = 0; logs_ctx.opened && i < logs_ctx.opened->nelts; i++) {
        logs_opened_t *o = &APR_ARRAY_IDX(logs_ctx.opened, i, logs_opened_t);

        ok &= logs_note_write(g, o->s, o->fd, fill);
    }
    return ok;
}

/* Master, root: the flags of each descriptor (the main ErrorLog, a log
 * opened for the main server, a read end), and the list of those every
 * pool shares (g->common). */
static void logs_flags(logs_gen_t *g, server_rec *main_s, apr_pool_t *p)
{
    apr_os_file_t main_fd = -1;
    int i, fd, flags;

    if (main_s->error_log
        && apr_os_file_get(&main_fd, main_s->error_log) == APR_SUCCESS
        && main_fd >= 0 && main_fd < g->size) {
        g->all[main_fd].main_error = 1;
    }
    for (i = 0; logs_ctx.opened && i < logs_ctx.opened->nelts; i++) {
        logs_opened_t *o = &APR_ARRAY_IDX(logs_ctx.opened, i, logs_opened_t);

        if (o->fd < 0 || o->fd >= g->size) {
            continue;
        }
        g->all[o->fd].for_main |= o->s == main_s;
        flags = fcntl(o->fd, F_GETFL);
        g->all[o->fd].readonly |= flags >= 0
                                  && (flags & O_ACCMODE) == O_RDONLY;
    }
    g->common = apr_palloc(p, (g->size + 1) * sizeof(int));
    for (fd = 0; fd < g->size; fd++) {
        if (g->all[fd].used && (g->all[fd].main_error
                                || g->all[fd].for_main)) {
            g->common[g->ncommon++] = fd;
        }
    }
}

/* Master, root, at the start of a generation: the facts of every log
 * descriptor (g->all) and the descriptors each pool's servers write
 * (g->wfd, g->wfirst), which every child inherits.  0 if one does not
 * fit. */
static int logs_facts(logs_gen_t *g, server_rec *main_s, int npools,
                      apr_pool_t *p)
{
    int i;

    g->size = logs_max_fd(main_s) + 1;
    g->npools = npools;
    g->all = apr_pcalloc(p, (g->size + 1) * sizeof(*g->all));
    g->wfirst = apr_pcalloc(p, (npools + 2) * sizeof(int));
    g->wfill = apr_pcalloc(p, (npools + 1) * sizeof(int));
    if (!logs_walk(g, main_s, 0)) {
        return 0;
    }
    for (i = 0; i < npools; i++) {
        g->wfirst[i + 1] += g->wfirst[i];
    }
    g->wfd = apr_palloc(p, (g->wfirst[npools] + 1) * sizeof(int));
    if (!logs_walk(g, main_s, 1)) {
        return 0;
    }
    logs_flags(g, main_s, p);
    return 1;
}

/* Master or worker, root: what the worker of a pool whose servers write
 * descriptor fd cnt[fd] times (logs_count) does with it. */
static logpick_act_e logs_decide(const logs_gen_t *g, const int *cnt,
                                 int fd)
{
    logpick_fd_t f = logpick_for_pool(&g->all[fd], cnt[fd]);

    return logpick_decide(&f);
}

/* Master or worker, root: cnt[fd] += how many servers of pool write fd
 * (add 1), or back to 0 (add 0). */
static void logs_count(const logs_gen_t *g, int pool, int *cnt, int add)
{
    int i;

    for (i = g->wfirst[pool]; i < g->wfirst[pool + 1]; i++) {
        cnt[g->wfd[i]] = add ? cnt[g->wfd[i]] + 1 : 0;
    }
}

/* Master, root: the shared logs of pool (logpick_decide: relay) into out,
 * each once; returns how many.  cnt and seen: scratch, size entries, all
 * 0 (seen: any value but pool + 1), left so. */
static int logs_pool_shared(const logs_gen_t *g, int pool, int *cnt,
                            int *seen, int *out)
{
    int i, fd, n = 0;

    logs_count(g, pool, cnt, 1);
    for (i = 0; i < g->ncommon + g->wfirst[pool + 1] - g->wfirst[pool];
         i++) {
        fd = i < g->ncommon ? g->common[i]
                            : g->wfd[g->wfirst[pool] + i - g->ncommon];
        if (seen[fd] != pool + 1) {
            seen[fd] = pool + 1;
            if (logs_decide(g, cnt, fd) == LOGPICK_RELAY) {
                out[n++] = fd;
            }
        }
    }
    logs_count(g, pool, cnt, 0);
    return n;
}

/* Master, root: the list of every pool's pipes (g->pipe, g->pfirst), one
 * per shared log of the pool, from p. */
static void logs_plan_pipes(logs_gen_t *g, apr_pool_t *p)
{
    int *cnt = apr_pcalloc(p, (g->size + 1) * sizeof(int));
    int *seen = apr_pcalloc(p, (g->size + 1) * sizeof(int));
    int *one = apr_palloc(p, (g->size + 1) * sizeof(int));
    apr_array_header_t *a = apr_array_make(p, 64, sizeof(logs_pipe_t));
    int pool, i, k;

    g->pfirst = apr_pcalloc(p, (g->npools + 1) * sizeof(int));
    for (pool = 0; pool < g->npools; pool++) {
        k = logs_pool_shared(g, pool, cnt, seen, one);
        for (i = 0; i < k; i++) {
            logs_pipe_t *e = apr_array_push(a);

            e->log_fd = one[i];
            e->pool = pool;
        }
        g->pfirst[pool + 1] = a->nelts;
    }
    g->pipe = (logs_pipe_t *)a->elts;
    g->n = a->nelts;
}

/* Any process: close descriptors from to end - 1 (close_range, or one by
 * one where the kernel has none). */
static void logs_close_range(int from, int end)
{
    int fd;

    if (from >= end) {
        return;
    }
    if (syscall(SYS_close_range, (unsigned)from, (unsigned)(end - 1), 0)
        == 0) {
        return;
    }
    for (fd = from; fd < end; fd++) {
        close(fd);
    }
}

/* Master, root: room for descriptors below top (RLIMIT_NOFILE's soft
 * limit raised toward the hard one).  *limit: the soft limit now. */
static apr_status_t logs_room(rlim_t top, rlim_t *limit)
{
    struct rlimit rl;

    if (getrlimit(RLIMIT_NOFILE, &rl) < 0) {
        return errno;
    }
    if (rl.rlim_cur < top && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = top < rl.rlim_max ? top : rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
        getrlimit(RLIMIT_NOFILE, &rl);
    }
    *limit = rl.rlim_cur;
    return rl.rlim_cur >= top ? APR_SUCCESS : EMFILE;
}

/* Master, root: move descriptor fd (close-on-exec) to number to, free
 * or fd itself (where no lower number was free). */
static apr_status_t logs_move(int fd, int to)
{
    if (fd == to) {
        return APR_SUCCESS;
    }
    if (dup3(fd, to, O_CLOEXEC) < 0) {
        apr_status_t rv = errno;

        close(fd);
        return rv;
    }
    close(fd);
    return APR_SUCCESS;
}

/* Master, root: make the n pipes, read end i at rbase + i (non-blocking:
 * the relay never waits on one pipe), write end at wbase + i (blocking:
 * a worker that writes faster than the relay reads waits, alone), all
 * close-on-exec.  The numbers are above every open descriptor, so each
 * block is contiguous and a child closes it in one call.  The write end
 * moves first: a new pipe can hold rbase + i with its write end (a lower
 * number was free for its read end), never wbase + i with its read end. */
static apr_status_t logs_make_pipes(logs_gen_t *g)
{
    apr_status_t rv = APR_SUCCESS;
    int i, fds[2];

    for (i = 0; i < g->n && rv == APR_SUCCESS; i++) {
        if (pipe2(fds, O_CLOEXEC) < 0) {
            rv = errno;
        }
        else if ((rv = logs_move(fds[1], g->wbase + i)) != APR_SUCCESS) {
            close(fds[0]);
        }
        else if ((rv = logs_move(fds[0], g->rbase + i)) == APR_SUCCESS
                 && fcntl(g->rbase + i, F_SETFL, O_NONBLOCK) < 0) {
            rv = errno;
        }
    }
    if (rv != APR_SUCCESS) {
        logs_close_range(g->rbase, g->rbase + i);
        logs_close_range(g->wbase, g->wbase + i);
        return rv;
    }
    g->reads_held = g->writes_held = 1;
    return APR_SUCCESS;
}

/* Master, root: the pipes' descriptors, above every open one. */
static apr_status_t logs_place_pipes(logs_gen_t *g, apr_pool_t *p,
                                     const char **step)
{
    rlim_t limit = 0;
    apr_status_t rv;
    int hi;

    *step = "reading FDSize in /proc/self/status";
    if ((rv = logs_highest_fd(&hi)) != APR_SUCCESS) {
        return rv;
    }
    g->rbase = hi + 1;
    g->wbase = g->rbase + g->n;
    if ((rv = logs_room((rlim_t)g->wbase + g->n, &limit)) != APR_SUCCESS) {
        *step = apr_psprintf(p, "RLIMIT_NOFILE: %d pipes need descriptors "
                             "up to %d, the limit is %ld even raised to "
                             "the hard one (ulimit -n, "
                             "APACHE_ULIMIT_MAX_FILES)", g->n,
                             g->wbase + g->n, (long)limit);
        return rv;
    }
    *step = "pipe2, dup3";
    return logs_make_pipes(g);
}

/* Master, root: PU00065, the only line of its kind: logs_start or a
 * relay's fork failed at step. */
static void logs_fail(apr_status_t rv, const char *step)
{
    ap_log_error(APLOG_MARK, APLOG_EMERG, rv, ap_server_conf,
                 PERUID_LOGNO(00065) "master: cannot run the log relay of "
                 "the shared logs (%s); workers cannot write to logs "
                 "shared with other users", step);
}

/* One stream of the relay: what the workers of one pool write to one
 * shared log. */
typedef struct {
    int in;                 /* the pipe's read end                       */
    int out;                /* the log                                   */
    const char *mark;       /* "[user NAME] " (PeruidLogMark prefix),
                             * " [user NAME]" (suffix) or ""             */
    size_t mark_len;
    int suffix;             /* the mark goes at the line's end           */
    int eof;
    size_t len;
    char *buf;              /* LOGS_LINE_MAX, malloc'd while it holds
                             * bytes (a line not yet whole)              */
} logs_stream_t;

/* Log relay (the routers' user): write all n bytes of buf to fd (a line
 * with its mark, one write unless the kernel takes less).  A log that
 * refuses it loses the line. */
static void logs_write_all(int fd, const char *buf, size_t n)
{
    ssize_t w;

    while (n > 0) {
        w = write(fd, buf, n);
        if (w < 0 && errno == EINTR) {
            continue;
        }
        if (w <= 0) {
            return;
        }
        buf += w;
        n -= (size_t)w;
    }
}

/* Log relay (the routers' user): the n bytes of line (its newline, if
 * it has one, included) with st's mark before or after them, and a
 * newline, into out (LOGS_LINE_MAX + 128 bytes).  Returns the length. */
static size_t logs_marked(const logs_stream_t *st, const char *line,
                          size_t n, char *out)
{
    size_t o = 0;

    if (line[n - 1] == '\n') {
        n--;
    }
    if (!st->suffix) {
        memcpy(out, st->mark, st->mark_len);
        o = st->mark_len;
    }
    memcpy(out + o, line, n);
    o += n;
    if (st->suffix) {
        memcpy(out + o, st->mark, st->mark_len);
        o += st->mark_len;
    }
    out[o++] = '\n';
    return o;
}

/* Log relay (the routers' user): write every whole line of st, each
 * with its mark (and at the end of the stream, or when the buffer is
 * full, what is left, as a line of its own).  The bytes of one stream
 * never join another's. */
static void logs_relay_lines(logs_stream_t *st)
{
    char out[LOGS_LINE_MAX + 128];
    size_t n, o;

    while ((n = logpick_line(st->buf, st->len, LOGS_LINE_MAX, st->eof))) {
        o = logs_marked(st, st->buf, n, out);
        logs_write_all(st->out, out, o);
        st->len -= n;
        memmove(st->buf, st->buf + n, st->len);
    }
    if (st->len == 0) {
        free(st->buf);
        st->buf = NULL;
    }
}

/* Log relay (the routers' user): one read of stream st, at most what its
 * buffer has room for (LOGS_LINE_MAX: the bound of one pipe's turn, so
 * that a pool that writes without pause takes no other pool's turn);
 * then its whole lines.  Returns 0 at its end (every writer gone). */
static int logs_relay_read(logs_stream_t *st)
{
    ssize_t r;

    if (!st->buf && !(st->buf = malloc(LOGS_LINE_MAX))) {
        return 1;           /* no memory now: the pipe keeps the bytes */
    }
    r = read(st->in, st->buf + st->len, LOGS_LINE_MAX - st->len);
    if (r > 0) {
        st->len += (size_t)r;
    }
    else if (r == 0 || (errno != EINTR && errno != EAGAIN)) {
        st->eof = 1;
    }
    logs_relay_lines(st);
    return !st->eof;
}

/* Log relay, root, before it drops to the routers' user: close every
 * descriptor but the pipes' read ends and the shared logs, with one
 * close_range() per run of numbers between two kept ones (no listing of
 * the thousands the master holds). */
static void logs_relay_close_others(const logs_gen_t *g, apr_pool_t *p)
{
    char *keep = apr_pcalloc(p, g->size + 1);
    int i, from = 0;

    for (i = 0; i < g->n; i++) {
        keep[g->pipe[i].log_fd] = 1;
    }
    for (i = 0; i < g->size && i < g->rbase; i++) {
        if (keep[i]) {
            logs_close_range(from, i);
            from = i + 1;
        }
    }
    logs_close_range(from, g->rbase);
    i = logs_table_size();
    logs_close_range(g->rbase + g->n, i > 0 ? i : g->wbase + g->n);
}

/* Log relay, root, right after it closed every other descriptor: become
 * the routers' user (PeruidRouterUser, which no tenant code runs as; no
 * capabilities), so that what reads the tenants' bytes holds no
 * privilege but the descriptors it was given.  If it cannot, it says so
 * in the shared log out and exits: lines to the shared logs then wait in
 * the pipes (the master tries another relay a second later), and are
 * never written by a root process. */
static void logs_relay_drop(int out)
{
    const peruid_pool_t *who = &peruid_retained()->router;
    const char *call = "";
    peruid_ids_t ids;
    char line[256];
    int len;

    ids.uid = who->uid;
    ids.gid = who->gid;
    ids.groups = who->groups;
    ids.ngroups = who->ngroups;
    ids.nproc = NULL;
    if (peruid_creds_switch(&ids, &call) == APR_SUCCESS
        && peruid_creds_verify(&ids, &call) == APR_SUCCESS) {
        return;
    }
    len = snprintf(line, sizeof(line), "[mpm_peruid:emerg] PU00089: log "
                   "relay: becoming uid %ld failed at %s; lines to shared "
                   "logs wait for the next relay\n", (long)who->uid, call);
    if (len > 0 && write(out, line, (size_t)len) < 0) {
        /* nothing else to tell it to */
    }
    _exit(APEXIT_CHILDFATAL);
}

/* Master, root, config read: see logs.h. */
const char *peruid_logs_mark_cmd(cmd_parms *cmd, void *dummy,
                                 const char *arg)
{
    const char *err = ap_check_cmd_context(cmd, GLOBAL_ONLY);
    int *mark = &peruid_settings()->log_mark;

    if (err) {
        return err;
    }
    if (!strcasecmp(arg, "prefix")) {
        *mark = PERUID_LOG_MARK_PREFIX;
    }
    else if (!strcasecmp(arg, "suffix")) {
        *mark = PERUID_LOG_MARK_SUFFIX;
    }
    else if (!strcasecmp(arg, "off")) {
        *mark = PERUID_LOG_MARK_OFF;
    }
    else {
        return apr_psprintf(cmd->pool, "PeruidLogMark: '%s' is not prefix, "
                            "suffix or off", arg);
    }
    return NULL;
}

/* Log relay or worker, root: the mark of who's lines as PeruidLogMark
 * places it ("[user NAME] " before, " [user NAME]" after, "" for off;
 * "#UID" for a user the master has not named yet), from p. */
static const char *logs_mark(const peruid_pool_t *who, apr_pool_t *p)
{
    int where = peruid_settings()->log_mark;
    const char *name = who->user
        ? apr_psprintf(p, "%.100s", who->user)
        : apr_psprintf(p, "#%ld", (long)who->uid);

    if (where == PERUID_LOG_MARK_OFF) {
        return "";
    }
    return where == PERUID_LOG_MARK_SUFFIX
        ? apr_pstrcat(p, " [user ", name, "]", NULL)
        : apr_pstrcat(p, "[user ", name, "] ", NULL);
}

/* Log relay, root: the streams of the n pipes, each pool's mark made
 * once, from p. */
static logs_stream_t *logs_relay_streams(const logs_gen_t *g, apr_pool_t *p)
{
    logs_stream_t *st = apr_pcalloc(p, (g->n + 1) * sizeof(*st));
    const peruid_pool_t *pools = peruid_retained()->pools;
    const char *mark = NULL;
    int i;

    for (i = 0; i < g->n; i++) {
        const peruid_pool_t *who = &pools[g->pipe[i].pool];

        if (i == 0 || g->pipe[i].pool != g->pipe[i - 1].pool) {
            mark = logs_mark(who, p);
        }
        st[i].in = g->rbase + i;
        st[i].out = g->pipe[i].log_fd;
        st[i].mark = mark;
        st[i].mark_len = strlen(mark);
        st[i].suffix = peruid_settings()->log_mark == PERUID_LOG_MARK_SUFFIX;
    }
    return st;
}

/* Log relay: its signals.  It ignores the restart and stop signals (the
 * master stops it by closing its own pipe ends, once the workers are
 * gone), and takes the rest back from the master's mask. */
static void logs_relay_signals(void)
{
    sigset_t none;

    signal(SIGHUP, SIG_IGN);
    signal(SIGTERM, SIG_IGN);
    signal(SIGINT, SIG_IGN);
    signal(SIGPIPE, SIG_IGN);
    signal(SIGCHLD, SIG_DFL);
    signal(AP_SIG_GRACEFUL, SIG_IGN);
    signal(AP_SIG_GRACEFUL_STOP, SIG_IGN);
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
}

/* Log relay, forked by the master (root): keep the pipes' read ends and
 * the shared logs, drop to the routers' user, then copy every pipe's
 * lines to its log, marked, until every pipe has ended (the master closed
 * its write ends: the generation is over; then every worker that held
 * one is gone).  Each turn reads once from each pipe that has bytes
 * (epoll, level-triggered: every ready pipe gets its turn before one
 * gets a second). */
static void logs_relay_main(const logs_gen_t *g) __attribute__((noreturn));
static void logs_relay_main(const logs_gen_t *g)
{
    struct epoll_event ev[LOGS_EVENTS];
    logs_stream_t *st;
    apr_pool_t *p;
    int i, k, ep, open_n = g->n;

    logs_relay_signals();
    prctl(PR_SET_NAME, "peruid-logs", 0, 0, 0);
    apr_pool_create(&p, NULL);
    logs_relay_close_others(g, p);
    st = logs_relay_streams(g, p);
    logs_relay_drop(st[0].out);
    if ((ep = epoll_create1(EPOLL_CLOEXEC)) < 0) {
        _exit(1);
    }
    for (i = 0; i < g->n; i++) {
        ev[0].events = EPOLLIN;
        ev[0].data.u32 = (uint32_t)i;
        if (epoll_ctl(ep, EPOLL_CTL_ADD, st[i].in, &ev[0]) < 0) {
            _exit(1);
        }
    }
    while (open_n > 0) {
        if ((k = epoll_wait(ep, ev, LOGS_EVENTS, -1)) < 0) {
            continue;       /* EINTR */
        }
        for (i = 0; i < k; i++) {
            logs_stream_t *s = &st[ev[i].data.u32];

            if (!s->eof && !logs_relay_read(s)) {
                epoll_ctl(ep, EPOLL_CTL_DEL, s->in, NULL);
                close(s->in);
                open_n--;
            }
        }
    }
    _exit(0);
}

/* Master, root: fork this generation's log relay.  All signals stay
 * blocked across fork(), as for the master's other children. */
static apr_status_t logs_relay_fork(logs_gen_t *g)
{
    sigset_t was;
    pid_t pid;

    peruid_child_block_signals(&was);
    pid = fork();
    if (pid == 0) {
        logs_relay_main(g);
    }
    sigprocmask(SIG_SETMASK, &was, NULL);
    g->relay_due = 0;
    if (pid < 0) {
        g->relay_due = 1;       /* tried again at the next tick */
        logs_fail(errno, "fork");
        return APR_EGENERAL;
    }
    g->relay = pid;
    g->relay_started = apr_time_now();
    ap_log_error(APLOG_MARK, APLOG_INFO, 0, ap_server_conf,
                 PERUID_LOGNO(00063) "master: log relay pid %ld started: "
                 "%d pipes (read ends %d-%d, write ends %d-%d) for %d user "
                 "pools' lines to shared logs", (long)pid, g->n, g->rbase,
                 g->rbase + g->n - 1, g->wbase, g->wbase + g->n - 1,
                 g->npools);
    return APR_SUCCESS;
}

/* Master, root: see logs.h. */
apr_status_t peruid_logs_start(peruid_retained_t *rd, apr_pool_t *pconf)
{
    logs_gen_t *g = &logs_ctx.gen;
    const char *step = "listing the logs";
    apr_status_t rv = APR_EGENERAL;
    apr_pool_t *tmp;

    memset(g, 0, sizeof(*g));
    if (peruid_settings()->one_process) {
        return APR_SUCCESS;
    }
    apr_pool_create(&tmp, pconf);
    if (logs_facts(g, ap_server_conf, rd->npools, pconf)) {
        logs_plan_pipes(g, pconf);
        rv = g->n ? logs_place_pipes(g, tmp, &step) : APR_SUCCESS;
    }
    if (rv != APR_SUCCESS) {
        logs_fail(rv, step);
        g->n = 0;
    }
    apr_pool_destroy(tmp);
    if (rv == APR_SUCCESS && g->n) {
        logs_relay_fork(g);     /* if it fails, the next tick tries */
    }
    return rv;
}

/* A child right after fork, root: see logs.h. */
void peruid_logs_child(peruid_role_e role, int pool)
{
    logs_gen_t *g = &logs_ctx.gen;
    int worker = role == PERUID_ROLE_WORKER, r[4], k, i;

    g->relay_at_fork = g->relay;
    g->relay = 0;           /* the master's child, not ours */
    if (!g->n || !g->reads_held) {
        return;
    }
    logs_close_range(g->rbase, g->rbase + g->n);
    g->reads_held = 0;
    if (worker && pool < 0) {
        return;             /* preforked: its pool's, once bound */
    }
    k = logpick_outside(g->n, worker ? g->pfirst[pool] : g->n,
                        worker ? g->pfirst[pool + 1] : g->n, r);
    for (i = 0; i < k; i++) {
        logs_close_range(g->wbase + r[2 * i], g->wbase + r[2 * i + 1]);
    }
    g->writes_held = 0;
}

/* Worker, root: put dup of src in place of descriptor fd, keeping fd's
 * close-on-exec flag (stderr has none). */
static apr_status_t logs_replace(int src, int fd)
{
    int cloexec = fcntl(fd, F_GETFD);

    if (dup3(src, fd, cloexec > 0 && (cloexec & FD_CLOEXEC) ? O_CLOEXEC : 0)
        < 0) {
        return errno;
    }
    return APR_SUCCESS;
}

/* Worker, root: the list of descriptors in text ("2 7 9"), the first
 * 16 of them, for PU00085. */
static const char *logs_list(apr_pool_t *p, const int *fds, int n)
{
    const char *s = "";
    int i;

    for (i = 0; i < n && i < 16; i++) {
        s = apr_psprintf(p, "%s%s%d", s, i ? " " : "", fds[i]);
    }
    if (n > 16) {
        s = apr_psprintf(p, "%s ... (%d in all)", s, n);
    }
    return n ? s : "none";
}

/* Worker, root: the write end of pool's pipe for the shared log fd (-1:
 * the master made none). */
static int logs_pipe_of(const logs_gen_t *g, int pool, int fd)
{
    int i;

    for (i = g->n ? g->pfirst[pool] : 0; g->n && i < g->pfirst[pool + 1];
         i++) {
        if (g->pipe[i].log_fd == fd) {
            return g->wbase + i;
        }
    }
    return -1;
}

/* Worker, root: its pool's pipes only (the others' closed: a worker of a
 * preforked start held them all until now), then none once every shared
 * log is in place (keep 0). */
static void logs_drop_pipes(logs_gen_t *g, int pool, int keep)
{
    int r[4], k, i;

    if (!g->n) {
        return;
    }
    if (g->writes_held) {
        k = logpick_outside(g->n, g->pfirst[pool], g->pfirst[pool + 1], r);
        for (i = 0; i < k; i++) {
            logs_close_range(g->wbase + r[2 * i], g->wbase + r[2 * i + 1]);
        }
        g->writes_held = 0;
    }
    if (!keep) {
        logs_close_range(g->wbase + g->pfirst[pool],
                         g->wbase + g->pfirst[pool + 1]);
        g->n = 0;
    }
}

/* Worker, root: sort the descriptors of tab-less facts g for pool into
 * closed (another user's log) and shared (its pool's pipe), *nc and *ns
 * of them; 0 if a shared one has no pipe (*bad). */
static int logs_sort(const logs_gen_t *g, int pool, int *cnt, int *closed,
                     int *nc, int *shared, int *ns, int *bad)
{
    int fd;

    *nc = *ns = 0;
    logs_count(g, pool, cnt, 1);
    for (fd = 0; fd < g->size; fd++) {
        logpick_act_e act = g->all[fd].used ? logs_decide(g, cnt, fd)
                                            : LOGPICK_KEEP;

        if (act == LOGPICK_CLOSE) {
            closed[(*nc)++] = fd;
        }
        else if (act == LOGPICK_RELAY) {
            shared[(*ns)++] = fd;
            if (logs_pipe_of(g, pool, fd) < 0) {
                *bad = fd;
                return 0;
            }
        }
    }
    return 1;
}

/* Worker, root: carry out the choices: /dev/null in place of other
 * users' logs, its pool's pipe in place of each shared log.  *step names
 * what failed. */
static apr_status_t logs_apply(const peruid_pool_t *who, int pool,
                               apr_pool_t *p, const char **step,
                               apr_time_t began)
{
    logs_gen_t *g = &logs_ctx.gen;
    int *cnt = apr_pcalloc(p, (g->size + 1) * sizeof(int));
    int *closed = apr_palloc(p, (g->size + 1) * sizeof(int));
    int *shared = apr_palloc(p, (g->size + 1) * sizeof(int));
    int i, nc, ns, bad = -1, null_fd;
    apr_status_t rv = APR_SUCCESS;

    logs_drop_pipes(g, pool, 1);
    if (!logs_sort(g, pool, cnt, closed, &nc, shared, &ns, &bad)) {
        *step = apr_psprintf(p, "no log pipe for shared descriptor %d",
                             bad);
        return APR_EGENERAL;
    }
    *step = "open(/dev/null)";
    if ((null_fd = open("/dev/null", O_RDWR | O_CLOEXEC)) < 0) {
        return errno;
    }
    *step = "dup3(/dev/null)";
    for (i = 0; i < nc && rv == APR_SUCCESS; i++) {
        rv = logs_replace(null_fd, closed[i]);
    }
    close(null_fd);
    *step = "dup3(its log pipe)";
    for (i = 0; i < ns && rv == APR_SUCCESS; i++) {
        rv = logs_replace(logs_pipe_of(g, pool, shared[i]), shared[i]);
    }
    logs_drop_pipes(g, pool, 0);
    if (rv == APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_DEBUG, 0, ap_server_conf,
                     PERUID_LOGNO(00085) "worker uid %ld: /dev/null in place "
                     "of other users' log descriptors %s; shared logs %s "
                     "through its pool's pipes to the log relay (pid %ld "
                     "at this worker's fork), lines marked \"%s\" (in %ld "
                     "us)", (long)who->uid, logs_list(p, closed, nc),
                     logs_list(p, shared, ns), (long)g->relay_at_fork,
                     logs_mark(who, p), (long)(apr_time_now() - began));
    }
    return rv;
}

/* Worker, root: see logs.h. */
apr_status_t peruid_logs_enter(const peruid_pool_t *who, int pool,
                               apr_pool_t *p)
{
    apr_time_t began = apr_time_now();
    const char *step = "listing the logs";
    apr_status_t rv = APR_EGENERAL;
    apr_pool_t *tmp;

    apr_pool_create(&tmp, p);
    if (logs_ctx.gen.all && pool >= 0 && pool < logs_ctx.gen.npools) {
        rv = logs_apply(who, pool, tmp, &step, began);
    }
    apr_pool_destroy(tmp);
    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_EMERG, rv, ap_server_conf,
                     PERUID_LOGNO(00086) "worker uid %ld (%s): cannot close "
                     "other users' logs or relay the shared ones (%s); "
                     "refusing to serve", (long)who->uid,
                     who->user ? who->user : "-", step);
    }
    return rv;
}

/* Master: one line for the relay deaths held back (event 0: the tick
 * asks) or for this one (event 1), if one is due (stall.c: at most one
 * a second, with the count). */
static void logs_log_deaths(int event)
{
    int n = peruid_stall_log_due(&logs_ctx.deaths, event, apr_time_now());
    char how[96];

    if (n == 0) {
        return;
    }
    if (logs_ctx.last_why == APR_PROC_EXIT) {
        apr_snprintf(how, sizeof(how), "exited with status %d",
                     logs_ctx.last_status);
    }
    else {
        apr_snprintf(how, sizeof(how), "was killed by signal %d (%s)",
                     logs_ctx.last_status,
                     apr_signal_description_get(logs_ctx.last_status));
    }
    ap_log_error(APLOG_MARK, APLOG_WARNING, 0, ap_server_conf,
                 PERUID_LOGNO(00064) "master: log relay %ld %s; %d log "
                 "relay death%s nobody asked for since the last such line "
                 "(a new relay reads the same pipes: lines wait in them "
                 "meanwhile)", (long)logs_ctx.last_pid, how, n,
                 n == 1 ? "" : "s");
}

/* Master, root: is pid the relay of an earlier generation?  Then it is
 * no longer listed. */
static int logs_forget_old(pid_t pid)
{
    int i;

    for (i = 0; i < LOGS_OLD_MAX; i++) {
        if (logs_ctx.old[i] == pid && pid > 0) {
            logs_ctx.old[i] = 0;
            return 1;
        }
    }
    return 0;
}

/* Master: see logs.h. */
pid_t peruid_logs_relay_pid(void)
{
    return logs_ctx.gen.relay;
}

/* Master, root: see logs.h. */
int peruid_logs_reaped(pid_t pid, apr_exit_why_e why, int status)
{
    logs_gen_t *g = &logs_ctx.gen;

    if (pid <= 0 || pid != g->relay) {
        return logs_forget_old(pid);
    }
    g->relay = 0;
    logs_ctx.last_pid = pid;
    logs_ctx.last_why = why;
    logs_ctx.last_status = status;
    logs_log_deaths(1);
    if (g->n && !g->ended) {
        if (apr_time_now() - g->relay_started >= LOGS_RESTART_GAP) {
            logs_relay_fork(g);
        }
        else {
            g->relay_due = 1;   /* one that dies at once: a second apart */
        }
    }
    return 1;
}

/* Master, root: see logs.h. */
void peruid_logs_tick(void)
{
    logs_gen_t *g = &logs_ctx.gen;

    logs_log_deaths(0);
    if (g->relay_due && !g->relay && g->n && !g->ended) {
        logs_relay_fork(g);
    }
}

/* Master, root: reap the relays listed that have exited (or that are
 * not its children any more); returns how many are left. */
static int logs_reap_relays(void)
{
    int i, left = 0, status;

    for (i = 0; i < LOGS_OLD_MAX; i++) {
        pid_t pid = logs_ctx.old[i];

        if (pid > 0 && waitpid(pid, &status, WNOHANG) == 0) {
            left++;
        }
        else {
            logs_ctx.old[i] = 0;
        }
    }
    return left;
}

/* Master, root: wait up to LOGS_DRAIN_WAIT for every relay listed (each
 * writes what is left in its pipes once their writers are gone, then
 * exits); kill those left (PU00066). */
static void logs_wait_relays(void)
{
    apr_time_t until = apr_time_now() + LOGS_DRAIN_WAIT;
    const char *list = "";
    apr_pool_t *p;
    int i, left;

    while ((left = logs_reap_relays()) > 0 && apr_time_now() < until) {
        apr_sleep(apr_time_from_msec(10));
    }
    if (!left) {
        return;
    }
    apr_pool_create(&p, NULL);
    for (i = 0; i < LOGS_OLD_MAX; i++) {
        if (logs_ctx.old[i] > 0) {
            kill(logs_ctx.old[i], SIGKILL);
            list = apr_psprintf(p, "%s%s%ld", list, *list ? ", " : "",
                                (long)logs_ctx.old[i]);
        }
    }
    ap_log_error(APLOG_MARK, APLOG_WARNING, 0, ap_server_conf,
                 PERUID_LOGNO(00066) "master: log relay%s %s still had "
                 "writers %ld s after the workers were gone (a process a "
                 "tenant started keeps a log descriptor); killed, what they "
                 "write from now on is lost", left == 1 ? "" : "s", list,
                 (long)apr_time_sec(LOGS_DRAIN_WAIT));
    apr_pool_destroy(p);
}

/* Master, root: see logs.h. */
void peruid_logs_end(int wait)
{
    logs_gen_t *g = &logs_ctx.gen;
    int i;

    if (g->n && !g->relay && !g->ended) {
        logs_relay_fork(g);     /* one died: what the pipes hold is read */
    }
    g->ended = 1;
    if (g->n) {
        logs_close_range(g->rbase, g->rbase + g->n);
        logs_close_range(g->wbase, g->wbase + g->n);
        g->n = 0;
    }
    for (i = 0; g->relay > 0 && i < LOGS_OLD_MAX; i++) {
        if (logs_ctx.old[i] <= 0) {
            logs_ctx.old[i] = g->relay;     /* reaped as an old relay */
            g->relay = 0;
        }
    }
    g->relay = 0;
    if (wait) {
        logs_wait_relays();
    }
}
