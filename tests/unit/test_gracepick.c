/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * test_gracepick.c -- table-driven unit tests of mpm_peruid/gracepick.c:
 * what a worker asked to stop does with a kept-alive connection httpd's
 * loop let go (graceho.c).  Each row: the facts, the verdict wanted.
 */

#include <stdio.h>

#include "gracepick.h"
#include "unit.h"

typedef struct {
    const char *name;
    grace_facts_t f;        /* stop, keepalive, aborted, http1, handable,
                             * next                                      */
    grace_verdict_e want;
} row_t;

#define R GRACE_RESTART
#define S GRACE_STOP
#define NONE GRACE_NEXT_NONE
#define THERE GRACE_NEXT_THERE
#define GONE GRACE_NEXT_CLOSED

static const row_t rows[] = {
    { "not stopping: httpd's loop ended it, nothing to do",
      { GRACE_RUNNING, 1, 0, 1, 1, NONE }, GRACE_CLOSE },
    { "restart, idle plain HTTP: to the routers",
      { R, 1, 0, 1, 1, NONE }, GRACE_HANDOVER },
    { "restart, the next request is there: served here",
      { R, 1, 0, 1, 1, THERE }, GRACE_SERVE },
    { "restart, the client closed", { R, 1, 0, 1, 1, GONE }, GRACE_CLOSE },
    { "restart, no keep-alive promised (Connection: close went out)",
      { R, 0, 0, 1, 1, NONE }, GRACE_CLOSE },
    { "restart, aborted (handed over already, or the client reset)",
      { R, 1, 1, 1, 1, NONE }, GRACE_CLOSE },
    { "restart, TLS or a PROXY header: not handable, wait and serve",
      { R, 1, 0, 1, 0, NONE }, GRACE_WAIT_SERVE },
    { "restart, TLS with the next request there: served here",
      { R, 1, 0, 1, 0, THERE }, GRACE_SERVE },
    { "restart, h2: mod_http2's own goodbye", { R, 1, 0, 0, 1, NONE },
      GRACE_CLOSE },
    { "graceful stop, idle: no router left, wait and serve",
      { S, 1, 0, 1, 1, NONE }, GRACE_WAIT_SERVE },
    { "graceful stop, the next request is there",
      { S, 1, 0, 1, 1, THERE }, GRACE_SERVE },
    { "graceful stop, no keep-alive promised", { S, 0, 0, 1, 1, THERE },
      GRACE_CLOSE },
    { "graceful stop, the client closed", { S, 1, 0, 1, 0, GONE },
      GRACE_CLOSE },
};

int main(void)
{
    size_t i;

    for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        grace_verdict_e got = peruid_grace_pick(&rows[i].f);

        if (got != rows[i].want) {
            fprintf(stderr, "row \"%s\": got %d, want %d\n", rows[i].name,
                    (int)got, (int)rows[i].want);
        }
        CHECK(got == rows[i].want);
    }
    return unit_summary("test_gracepick");
}
