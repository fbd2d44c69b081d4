/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * logpick.h -- what a worker does with each log descriptor it inherited
 * from the master (logs.c), which of the master's log pipes a process
 * closes, and how the server's log relay cuts what the workers write
 * into lines, as pure functions.
 *
 * A worker holds a log only if a server of its own pool writes to it.  A
 * log that servers of other users write to as well (the main server's
 * ErrorLog, which the master writes too; a CustomLog of the main server,
 * which vhosts inherit; an ErrorLog file named by vhosts of several
 * users) is not written by the worker itself: its descriptor becomes the
 * write end of its pool's pipe for that log, which the server's one log
 * relay reads, putting the pool's user's mark in front of every line.
 *
 * No system call, no allocation, no httpd header: tests/unit/
 * test_logpick.c links it alone.
 */

#ifndef PERUID_LOGPICK_H
#define PERUID_LOGPICK_H

#include <stddef.h>

typedef enum {
    LOGPICK_KEEP = 0,       /* the worker's own log: written as it is     */
    LOGPICK_CLOSE,          /* another user's: /dev/null in its place     */
    LOGPICK_RELAY           /* shared: through the relay, lines marked    */
} logpick_act_e;

/* What the worker knows of one descriptor of a log. */
typedef struct {
    int fd;
    int used;               /* an entry of the table (logpick_add)        */
    int readonly;           /* open for reading only: a piped log's read
                             * end, which only the master needs           */
    int main_error;         /* the main server's ErrorLog (stderr), which
                             * the master and every worker write          */
    int for_main;           /* an access log opened for the main server:
                             * any vhost without its own inherits it      */
    int ours;               /* servers of the worker's pool writing it    */
    int others;             /* servers of other pools writing it          */
} logpick_fd_t;

/* The action for f. */
logpick_act_e logpick_decide(const logpick_fd_t *f);

/* Note in the table tab, indexed by descriptor (size entries), that a
 * server writes to fd: one of ours (of the worker's pool) or not.
 * Returns the entry, or NULL for an fd outside the table (the caller
 * fails closed). */
logpick_fd_t *logpick_add(logpick_fd_t *tab, int size, int fd, int ours);

/* The facts of the descriptor all (whose others counts every server
 * writing it, of any pool, and ours none) for the worker of a pool whose
 * servers write it ours times. */
logpick_fd_t logpick_for_pool(const logpick_fd_t *all, int ours);

/* The parts of [0, n) outside [keep, keep_end) (a pool's own pipes among
 * the n of the server), as up to two half-open ranges: r[0]..r[1] and
 * r[2]..r[3].  Returns how many (0 to 2); empty ranges are left out. */
int logpick_outside(int n, int keep, int keep_end, int r[4]);

/* The relay: of the len bytes in buf, the length of the next line to
 * write (up to and including its newline).  Without a newline: 0, unless
 * len reached max (a line too long for the buffer) or at_eof (the last
 * bytes of the stream), then len: written as a line of its own. */
size_t logpick_line(const char *buf, size_t len, size_t max, int at_eof);

#endif /* PERUID_LOGPICK_H */
