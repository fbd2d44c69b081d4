/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * logpick.c -- a worker's choice for each log descriptor it inherited,
 * and its relay's line cutting (logpick.h).  Pure: run by a worker, root,
 * before its switch (logpick_decide, logpick_add), and by its log relay
 * (logpick_line).
 */

#include <string.h>

#include "logpick.h"

/* Worker, root: see logpick.h.  Read ends go first (never a worker's);
 * logs the master writes, or that vhosts inherit from the main server,
 * are shared whoever the worker is; a log no server of ours writes is
 * another user's. */
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

/* Worker, root: see logpick.h. */
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

/* Log relay (root): see logpick.h. */
size_t logpick_line(const char *buf, size_t len, size_t max, int at_eof)
{
    const char *nl = len ? memchr(buf, '\n', len) : NULL;

    if (nl) {
        return (size_t)(nl - buf) + 1;
    }
    return len >= max || at_eof ? len : 0;
}
