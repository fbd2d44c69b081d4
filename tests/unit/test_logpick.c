/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * test_logpick.c -- unit tests of mpm_peruid/logpick.c: what a worker
 * does with each log descriptor it inherited (keep, /dev/null, relay),
 * how the facts of one descriptor add up over the servers writing it
 * and what they are for one pool, which of the server's log pipes a
 * worker closes, and how the log relay cuts what it reads into lines.
 */

#include <string.h>

#include "logpick.h"
#include "unit.h"

typedef struct {
    const char *what;
    logpick_fd_t f;         /* fd, used, readonly, main_error, for_main,
                             * ours, others                              */
    logpick_act_e want;
} decide_row_t;

static const decide_row_t decide_rows[] = {
    { "own vhost's log", { 5, 1, 0, 0, 0, 1, 0 }, LOGPICK_KEEP },
    { "two own vhosts' log", { 5, 1, 0, 0, 0, 2, 0 }, LOGPICK_KEEP },
    { "another user's log", { 5, 1, 0, 0, 0, 0, 1 }, LOGPICK_CLOSE },
    { "other users' log", { 5, 1, 0, 0, 0, 0, 3 }, LOGPICK_CLOSE },
    { "log of ours and another user's", { 5, 1, 0, 0, 0, 1, 1 },
      LOGPICK_RELAY },
    { "main ErrorLog, we inherit it", { 2, 1, 0, 1, 0, 1, 2 },
      LOGPICK_RELAY },
    { "main ErrorLog, only we write it", { 2, 1, 0, 1, 0, 3, 0 },
      LOGPICK_RELAY },
    { "main ErrorLog, we have our own", { 2, 1, 0, 1, 0, 0, 2 },
      LOGPICK_RELAY },
    { "main server's CustomLog", { 7, 1, 0, 0, 1, 0, 1 }, LOGPICK_RELAY },
    { "main server's CustomLog, ours", { 7, 1, 0, 0, 1, 1, 0 },
      LOGPICK_RELAY },
    { "read end of another's piped log", { 8, 1, 1, 0, 0, 0, 1 },
      LOGPICK_CLOSE },
    { "read end of our piped log", { 8, 1, 1, 0, 0, 1, 0 }, LOGPICK_CLOSE },
    { "read end of the main piped log", { 8, 1, 1, 0, 1, 0, 1 },
      LOGPICK_CLOSE },
    { "written by nobody known", { 9, 1, 0, 0, 0, 0, 0 }, LOGPICK_CLOSE },
};

/* Each decide row. */
static void test_decide(void)
{
    size_t i;

    for (i = 0; i < sizeof(decide_rows) / sizeof(decide_rows[0]); i++) {
        const decide_row_t *r = &decide_rows[i];

        if (logpick_decide(&r->f) != r->want) {
            unit_fail(__FILE__, __LINE__, r->what);
        }
        unit_checks++;
    }
}

/* logpick_add: counts add up per descriptor, bounds are kept. */
static void test_add(void)
{
    logpick_fd_t tab[4];
    logpick_fd_t *f;

    memset(tab, 0, sizeof(tab[0]) * 4);
    f = logpick_add(tab, 4, 2, 1);
    CHECK(f == &tab[2] && f->used && f->fd == 2 && f->ours == 1
          && f->others == 0);
    f = logpick_add(tab, 4, 2, 0);
    CHECK(f == &tab[2] && f->ours == 1 && f->others == 1);
    f->main_error = 1;
    f = logpick_add(tab, 4, 2, 1);
    CHECK(f->ours == 2 && f->main_error == 1);
    CHECK(!tab[0].used && !tab[1].used && !tab[3].used);
    CHECK(logpick_add(tab, 4, 4, 1) == NULL);
    CHECK(logpick_add(tab, 4, -1, 1) == NULL);
    f = logpick_add(tab, 4, 3, 0);
    CHECK(f == &tab[3] && f->ours == 0 && f->others == 1);
}

typedef struct {
    const char *what;
    int all_others;         /* every server writing it                   */
    int main_error, for_main, readonly;
    int ours;               /* of them, the pool's                       */
    int want_ours, want_others;
    logpick_act_e want;
} pool_row_t;

static const pool_row_t pool_rows[] = {
    { "own vhost's log", 1, 0, 0, 0, 1, 1, 0, LOGPICK_KEEP },
    { "two own vhosts' log", 2, 0, 0, 0, 2, 2, 0, LOGPICK_KEEP },
    { "another user's log", 1, 0, 0, 0, 0, 0, 1, LOGPICK_CLOSE },
    { "ours and another user's", 3, 0, 0, 0, 2, 2, 1, LOGPICK_RELAY },
    { "main ErrorLog, a pool without vhosts", 4, 1, 0, 0, 0, 0, 4,
      LOGPICK_RELAY },
    { "main ErrorLog, only ours", 2, 1, 0, 0, 2, 2, 0, LOGPICK_RELAY },
    { "main CustomLog", 5, 0, 1, 0, 1, 1, 4, LOGPICK_RELAY },
    { "read end of the main piped log", 5, 0, 1, 1, 1, 1, 4,
      LOGPICK_CLOSE },
    { "more ours than writers (never): no others", 1, 0, 0, 0, 3, 3, 0,
      LOGPICK_KEEP },
    { "negative ours (never): none", 2, 0, 0, 0, -1, 0, 2, LOGPICK_CLOSE },
};

/* logpick_for_pool: a pool's facts from the server's, and the choice. */
static void test_for_pool(void)
{
    size_t i;

    for (i = 0; i < sizeof(pool_rows) / sizeof(pool_rows[0]); i++) {
        const pool_row_t *r = &pool_rows[i];
        logpick_fd_t all, f;

        memset(&all, 0, sizeof(all));
        all.fd = 7;
        all.used = 1;
        all.others = r->all_others;
        all.main_error = r->main_error;
        all.for_main = r->for_main;
        all.readonly = r->readonly;
        f = logpick_for_pool(&all, r->ours);
        if (f.ours != r->want_ours || f.others != r->want_others
            || f.fd != 7 || !f.used || f.main_error != r->main_error
            || f.for_main != r->for_main || f.readonly != r->readonly
            || logpick_decide(&f) != r->want || all.ours != 0
            || all.others != r->all_others) {
            unit_fail(__FILE__, __LINE__, r->what);
        }
        unit_checks++;
    }
}

typedef struct {
    int n, keep, keep_end;
    int want_k;
    int want[4];
} outside_row_t;

static const outside_row_t outside_rows[] = {
    { 10, 3, 5, 2, { 0, 3, 5, 10 } },   /* a pool in the middle       */
    { 10, 0, 2, 1, { 2, 10 } },         /* the first pool             */
    { 10, 8, 10, 1, { 0, 8 } },         /* the last pool              */
    { 10, 10, 10, 1, { 0, 10 } },       /* keep none: close all       */
    { 10, 4, 4, 2, { 0, 4, 4, 10 } },   /* a pool without pipes       */
    { 10, 0, 10, 0, { 0 } },            /* the only pool              */
    { 0, 0, 0, 0, { 0 } },              /* no pipes at all            */
    { 10, -3, 2, 1, { 2, 10 } },        /* out of bounds: clamped     */
    { 10, 8, 14, 1, { 0, 8 } },
    { 10, 6, 2, 2, { 0, 6, 6, 10 } },   /* end before start: empty    */
};

/* logpick_outside: the ranges a worker (or, keeping none, a router)
 * closes. */
static void test_outside(void)
{
    size_t i;

    for (i = 0; i < sizeof(outside_rows) / sizeof(outside_rows[0]); i++) {
        const outside_row_t *r = &outside_rows[i];
        int got[4] = { -1, -1, -1, -1 };
        int k = logpick_outside(r->n, r->keep, r->keep_end, got), j;

        unit_checks++;
        if (k != r->want_k) {
            fprintf(stderr, "outside row %zu: %d ranges, want %d\n", i, k,
                    r->want_k);
            unit_fail(__FILE__, __LINE__, "logpick_outside count");
            continue;
        }
        for (j = 0; j < 2 * k; j++) {
            if (got[j] != r->want[j]) {
                fprintf(stderr, "outside row %zu: r[%d] %d, want %d\n", i,
                        j, got[j], r->want[j]);
                unit_fail(__FILE__, __LINE__, "logpick_outside range");
            }
        }
    }
}

typedef struct {
    const char *buf;
    size_t max;
    int eof;
    size_t want;
} line_row_t;

static const line_row_t line_rows[] = {
    { "", 16, 0, 0 },
    { "", 16, 1, 0 },
    { "abc", 16, 0, 0 },            /* no newline yet: wait */
    { "abc", 16, 1, 3 },            /* the stream's last bytes */
    { "abc\n", 16, 0, 4 },
    { "abc\ndef", 16, 0, 4 },       /* the first line only */
    { "\n", 16, 0, 1 },             /* an empty line */
    { "\n\n", 16, 0, 1 },
    { "abcdefgh", 8, 0, 8 },        /* the buffer is full: cut */
    { "abcdefg\n", 8, 0, 8 },
    { "ab\ncdefgh", 9, 0, 3 },
};

/* Each line row. */
static void test_line(void)
{
    size_t i;

    for (i = 0; i < sizeof(line_rows) / sizeof(line_rows[0]); i++) {
        const line_row_t *r = &line_rows[i];
        size_t got = logpick_line(r->buf, strlen(r->buf), r->max, r->eof);

        if (got != r->want) {
            fprintf(stderr, "line row %zu (\"%s\"): got %zu, want %zu\n",
                    i, r->buf, got, r->want);
            unit_fail(__FILE__, __LINE__, "logpick_line");
        }
        unit_checks++;
    }
}

int main(void)
{
    test_decide();
    test_add();
    test_for_pool();
    test_outside();
    test_line();
    return unit_summary("test_logpick");
}
