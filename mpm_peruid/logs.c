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
 * Worker (root, its pool known, before its switch): peruid_logs_enter
 * asks logpick.c what to do with each of those descriptors and
 *
 *   - puts /dev/null in place of another user's log (dup3 onto its
 *     number: the number stays taken, so no owner's later close can hit
 *     a descriptor opened since, and a write goes nowhere);
 *   - starts its log relay for the logs it shares with other users (the
 *     main ErrorLog, a CustomLog of the main server, an ErrorLog file of
 *     vhosts of several users): a process forked now, still root, that
 *     holds those descriptors and nothing else; the worker's descriptor
 *     becomes the write end of a pipe to it, and the relay writes each
 *     line it reads with "[user NAME] " in front (a piped log gets the
 *     same marked lines).  Whatever the tenant writes there -- PHP's
 *     error_log(), php://stderr, native code's write(2) -- starts with its
 *     user's mark; lines of the master and the routers have none.
 *
 * The relay ends when every write end is closed: the worker exited (and
 * whatever it started that kept its stderr).  It ignores restart and stop
 * signals, so that the worker's last lines are written.
 */

#include <dirent.h>
#include <limits.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/resource.h>

#include "httpd.h"
#include "apr_optional.h"
#include "apr_strings.h"
#include "http_log.h"
#include "http_main.h"
#include "mpm_common.h"
#include "mod_log_config.h"

#include "peruid.h"
#include "creds.h"
#include "logs.h"
#include "logpick.h"

/* The longest line the relay writes whole; a longer one is cut. */
#define LOGS_LINE_MAX 8192

/* How far above the highest descriptor known open the master looks for
 * the ones a writer init opened (logs_note_new). */
#define LOGS_WINDOW 256

/* One descriptor that mod_log_config's writer init opened. */
typedef struct {
    int fd;
    server_rec *s;          /* the server the log was opened for         */
} logs_opened_t;

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
} logs_ctx_t;

/* The only state: the wrapper mod_log_config calls gets no context. */
static logs_ctx_t logs_ctx;

/* Master, root (and the relay): the descriptors open now, ascending,
 * without the one that lists them. */
static apr_status_t logs_fds_now(apr_pool_t *p, apr_array_header_t **out)
{
    DIR *d = opendir("/proc/self/fd");
    struct dirent *e;
    apr_array_header_t *a;

    if (!d) {
        return errno;
    }
    a = apr_array_make(p, 64, sizeof(int));
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] != '.' && atoi(e->d_name) != dirfd(d)) {
            APR_ARRAY_PUSH(a, int) = atoi(e->d_name);
        }
    }
    closedir(d);
    *out = a;
    return APR_SUCCESS;
}

/* Master, root, at the first writer init of a generation: which
 * descriptors are open (one listing of /proc/self/fd); later calls only
 * look at the numbers that were free (logs_note_new). */
static apr_status_t logs_map_init(apr_pool_t *p)
{
    apr_array_header_t *fds;
    struct rlimit nofile;
    apr_status_t rv;
    int i;

    if (getrlimit(RLIMIT_NOFILE, &nofile) < 0) {
        return errno;
    }
    logs_ctx.size = nofile.rlim_cur > INT_MAX / 2 ? INT_MAX / 2
                                                  : (int)nofile.rlim_cur;
    logs_ctx.open = apr_pcalloc(p, logs_ctx.size);
    logs_ctx.hi = 0;
    if ((rv = logs_fds_now(p, &fds)) != APR_SUCCESS) {
        return rv;
    }
    for (i = 0; i < fds->nelts; i++) {
        int fd = APR_ARRAY_IDX(fds, i, int);

        if (fd >= 0 && fd < logs_ctx.size) {
            logs_ctx.open[fd] = 1;
            logs_ctx.hi = fd + 1 > logs_ctx.hi ? fd + 1 : logs_ctx.hi;
        }
    }
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

/* Worker, root: the highest descriptor among the logs (-1: none). */
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

/* Worker, root: the facts of every log descriptor into tab (size
 * entries, indexed by descriptor), for the worker of pool.  0 when one
 * does not fit (not expected: size comes from logs_max_fd). */
static int logs_facts(server_rec *main_s, int pool, logpick_fd_t *tab,
                      int size)
{
    apr_os_file_t main_fd = -1, fd;
    logpick_fd_t *f;
    server_rec *s;
    int i, flags;

    if (main_s->error_log) {
        apr_os_file_get(&main_fd, main_s->error_log);
    }
    for (s = main_s; s; s = s->next) {
        if (!s->error_log
            || apr_os_file_get(&fd, s->error_log) != APR_SUCCESS) {
            continue;
        }
        f = logpick_add(tab, size, fd, peruid_server_pool(s) == pool);
        if (!f) {
            return 0;
        }
        f->main_error |= fd == main_fd;
    }
    for (i = 0; logs_ctx.opened && i < logs_ctx.opened->nelts; i++) {
        logs_opened_t *o = &APR_ARRAY_IDX(logs_ctx.opened, i, logs_opened_t);

        f = logpick_add(tab, size, o->fd, peruid_server_pool(o->s) == pool);
        if (!f) {
            return 0;
        }
        f->for_main |= o->s == main_s;
        flags = fcntl(o->fd, F_GETFL);
        f->readonly |= flags >= 0 && (flags & O_ACCMODE) == O_RDONLY;
    }
    return 1;
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

/* One stream of the relay: what the worker writes to a shared log. */
typedef struct {
    int in;                 /* read end of the worker's pipe             */
    int out;                /* the log                                   */
    int eof;
    size_t len;
    char buf[LOGS_LINE_MAX];
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

/* Log relay (the routers' user): write every whole line of st, each
 * after mark (and at the end of the stream, or when the buffer is full,
 * what is left, as a line of its own). */
static void logs_relay_lines(logs_stream_t *st, const char *mark,
                             size_t mark_len)
{
    char out[LOGS_LINE_MAX + 128];
    size_t n, o;

    while ((n = logpick_line(st->buf, st->len, sizeof(st->buf), st->eof))) {
        memcpy(out, mark, mark_len);
        memcpy(out + mark_len, st->buf, n);
        o = mark_len + n;
        if (st->buf[n - 1] != '\n') {
            out[o++] = '\n';
        }
        logs_write_all(st->out, out, o);
        st->len -= n;
        memmove(st->buf, st->buf + n, st->len);
    }
}

/* Log relay (the routers' user): read what stream st has; at its end,
 * mark it done. */
static void logs_relay_read(logs_stream_t *st)
{
    ssize_t r = read(st->in, st->buf + st->len, sizeof(st->buf) - st->len);

    if (r > 0) {
        st->len += (size_t)r;
    }
    else if (r == 0 || errno != EINTR) {
        st->eof = 1;
    }
}

/* Log relay, root, before it drops to the routers' user: close every
 * descriptor but those of the n streams. */
static void logs_relay_close_others(const logs_stream_t *st, int n)
{
    apr_array_header_t *fds;
    apr_pool_t *p;
    int i, j, keep;

    apr_pool_create(&p, NULL);
    if (logs_fds_now(p, &fds) != APR_SUCCESS) {
        _exit(1);           /* the worker gets EPIPE: nothing is logged */
    }
    for (i = 0; i < fds->nelts; i++) {
        int fd = APR_ARRAY_IDX(fds, i, int);

        for (j = 0, keep = 0; j < n && !keep; j++) {
            keep = fd == st[j].in || fd == st[j].out;
        }
        if (!keep) {
            close(fd);
        }
    }
}

/* Log relay, root, right after it closed every other descriptor: become
 * the routers' user (PeruidRouterUser, which no tenant code runs as; no
 * capabilities), so that what reads the tenant's bytes holds no
 * privilege but the log descriptors it was given.  If it cannot, it says
 * so in the first shared log and exits: the worker's lines to the shared
 * logs are then lost, never written by a root process. */
static void logs_relay_drop(logs_stream_t *st)
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
                   "relay: becoming uid %ld failed at %s; lines of this "
                   "worker to shared logs are lost\n", (long)who->uid, call);
    if (len > 0 && write(st[0].out, line, (size_t)len) < 0) {
        /* nothing else to tell it to */
    }
    _exit(APEXIT_CHILDFATAL);
}

/* Log relay, forked by a worker (root) before its switch: drop to the
 * routers' user, then copy the n streams' lines to their logs, marked,
 * until every writer is gone. */
static void logs_relay_main(logs_stream_t *st, int n, const char *mark)
    __attribute__((noreturn));
static void logs_relay_main(logs_stream_t *st, int n, const char *mark)
{
    struct pollfd pfd[n];
    size_t mark_len = strlen(mark);
    sigset_t none;
    int i, open_n;

    signal(SIGHUP, SIG_IGN);
    signal(SIGTERM, SIG_IGN);
    signal(SIGINT, SIG_IGN);
    signal(SIGPIPE, SIG_IGN);
    signal(AP_SIG_GRACEFUL, SIG_IGN);
    signal(AP_SIG_GRACEFUL_STOP, SIG_IGN);
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    prctl(PR_SET_NAME, "peruid-logs", 0, 0, 0);
    logs_relay_close_others(st, n);
    logs_relay_drop(st);
    for (;;) {
        for (i = 0, open_n = 0; i < n; i++) {
            pfd[i].fd = st[i].eof ? -1 : st[i].in;
            pfd[i].events = POLLIN;
            open_n += !st[i].eof;
        }
        if (open_n == 0) {
            _exit(0);
        }
        if (poll(pfd, n, -1) < 0) {
            continue;       /* EINTR */
        }
        for (i = 0; i < n; i++) {
            if (pfd[i].revents) {
                logs_relay_read(&st[i]);
                logs_relay_lines(&st[i], mark, mark_len);
            }
        }
    }
}

/* Worker, root: the relay's streams for the n descriptors out[], their
 * pipes made (close-on-exec); *st receives them (from p). */
static apr_status_t logs_relay_pipes(const int *out, int n, apr_pool_t *p,
                                     logs_stream_t **st, int *wr)
{
    int i, fds[2];

    *st = apr_pcalloc(p, n * sizeof(**st));
    for (i = 0; i < n; i++) {
        if (pipe2(fds, O_CLOEXEC) < 0) {
            apr_status_t rv = errno;

            while (i-- > 0) {
                close((*st)[i].in);
                close(wr[i]);
            }
            return rv;
        }
        (*st)[i].in = fds[0];
        (*st)[i].out = out[i];
        wr[i] = fds[1];
    }
    return APR_SUCCESS;
}

/* Worker, root: start the relay of the n shared descriptors out[] and
 * put the write end of its pipe in place of each.  *pid: the relay. */
static apr_status_t logs_relay_start(const int *out, int n, const char *mark,
                                     apr_pool_t *p, pid_t *pid)
{
    logs_stream_t *st;
    apr_status_t rv;
    int i, *wr = apr_palloc(p, n * sizeof(int));

    if ((rv = logs_relay_pipes(out, n, p, &st, wr)) != APR_SUCCESS) {
        return rv;
    }
    *pid = fork();
    if (*pid == 0) {
        for (i = 0; i < n; i++) {
            close(wr[i]);
        }
        logs_relay_main(st, n, mark);
    }
    rv = *pid < 0 ? errno : APR_SUCCESS;
    for (i = 0; i < n; i++) {
        if (rv == APR_SUCCESS) {
            rv = logs_replace(wr[i], out[i]);
        }
        close(wr[i]);
        close(st[i].in);
    }
    return rv;
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

/* Worker, root: carry out the choices of tab (size entries): /dev/null in
 * place of the closed ones, the relay for the shared ones.  *step names
 * what failed. */
static apr_status_t logs_apply(const peruid_pool_t *who, logpick_fd_t *tab,
                               int size, apr_pool_t *p, const char **step,
                               apr_time_t began)
{
    int *closed = apr_palloc(p, size * sizeof(int) + 1);
    int *shared = apr_palloc(p, size * sizeof(int) + 1);
    int i, nc = 0, ns = 0, null_fd;
    apr_status_t rv = APR_SUCCESS;
    const char *mark;
    pid_t relay = 0;

    for (i = 0; i < size; i++) {
        logpick_act_e act = tab[i].used ? logpick_decide(&tab[i])
                                        : LOGPICK_KEEP;

        if (act == LOGPICK_CLOSE) {
            closed[nc++] = i;
        }
        else if (act == LOGPICK_RELAY) {
            shared[ns++] = i;
        }
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
    mark = who->user ? apr_psprintf(p, "[user %.100s] ", who->user)
                     : apr_psprintf(p, "[user #%ld] ", (long)who->uid);
    *step = "the log relay (pipe, fork, dup3)";
    if (rv == APR_SUCCESS && ns > 0) {
        rv = logs_relay_start(shared, ns, mark, p, &relay);
    }
    if (rv == APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_DEBUG, 0, ap_server_conf,
                     PERUID_LOGNO(00085) "worker uid %ld: /dev/null in place "
                     "of other users' log descriptors %s; shared logs %s "
                     "through log relay pid %ld, lines marked \"%s\" (in "
                     "%ld us)", (long)who->uid, logs_list(p, closed, nc),
                     logs_list(p, shared, ns), (long)relay, mark,
                     (long)(apr_time_now() - began));
    }
    return rv;
}

/* Worker, root: see logs.h. */
apr_status_t peruid_logs_enter(const peruid_pool_t *who, int pool,
                               apr_pool_t *p)
{
    apr_time_t began = apr_time_now();
    int size = logs_max_fd(ap_server_conf) + 1;
    const char *step = "listing the logs";
    logpick_fd_t *tab;
    apr_status_t rv = APR_EGENERAL;
    apr_pool_t *tmp;

    apr_pool_create(&tmp, p);
    tab = apr_pcalloc(tmp, (size + 1) * sizeof(*tab));
    if (logs_facts(ap_server_conf, pool, tab, size)) {
        rv = logs_apply(who, tab, size, tmp, &step, began);
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
