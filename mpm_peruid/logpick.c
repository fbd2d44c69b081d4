/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * logpick.c -- a worker's choice for each log descriptor it inherited,
 * the log pipes a process closes, and the log relay's line cutting
 * (logpick.h).  Pure: run by the master (root: logpick_add,
 * logpick_for_pool, logpick_decide when it makes the pipes), by a worker,
 * root, before its switch (logpick_for_pool, logpick_decide,
 * logpick_outside), and by the log relay, the routers' user
 * (logpick_line).
 */

#include <string.h>

#include "logpick.h"

/* Master or worker, root: see logpick.h.  Read ends go first (never a
 * worker's); logs the master writes, or that vhosts inherit from the
 * main server, are shared whoever the worker is; a log no server of ours
 * writes is another user's. */
logpick_act_e logpick_decide(const logpick_fd_t *f)
{
    if (f->readonly) {
        return LOGPICK_CLOSE;
    }
    if (f->main_error || f->for_main) {
        return LOGPICK_RELAY;
    }
    if (f->ours == 0) {
        return LOGPICK_CLOSE;
    }
    return f->others > 0 ? LOGPICK_RELAY : LOGPICK_KEEP;
}

/* Master or worker, root: see logpick.h. */
logpick_fd_t *logpick_add(logpick_fd_t *tab, int size, int fd, int ours)
{
    logpick_fd_t *f;

    if (fd < 0 || fd >= size) {
        return NULL;
    }
    f = &tab[fd];
    if (!f->used) {
        memset(f, 0, sizeof(*f));
        f->used = 1;
        f->fd = fd;
    }
    if (ours) {
        f->ours++;
    }
    else {
        f->others++;
    }
    return f;
}

/* Master or worker, root: see logpick.h. */
logpick_fd_t logpick_for_pool(const logpick_fd_t *all, int ours)
{
    logpick_fd_t f = *all;

    f.ours = ours > 0 ? ours : 0;
    f.others = all->others > f.ours ? all->others - f.ours : 0;
    return f;
}

/* Any process: see logpick.h. */
int logpick_outside(int n, int keep, int keep_end, int r[4])
{
    int k = 0;

    keep = keep < 0 ? 0 : keep > n ? n : keep;
    keep_end = keep_end < keep ? keep : keep_end > n ? n : keep_end;
    if (keep > 0) {
        r[k++] = 0;
        r[k++] = keep;
    }
    if (keep_end < n) {
        r[k++] = keep_end;
        r[k++] = n;
    }
    return k / 2;
}

/* Log relay (the routers' user): see logpick.h. */
size_t logpick_line(const char *buf, size_t len, size_t max, int at_eof)
{
    const char *nl = len ? memchr(buf, '\n', len) : NULL;

    if (nl) {
        return (size_t)(nl - buf) + 1;
    }
    return len >= max || at_eof ? len : 0;
}
