/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * test_logpick.c -- unit tests of mpm_peruid/logpick.c: what a worker
 * does with each log descriptor it inherited (keep, /dev/null, relay),
 * how the facts of one descriptor add up over the servers writing it,
 * and how the log relay cuts what it reads into lines.
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
    test_line();
    return unit_summary("test_logpick");
}
