/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * test_statuspage.c -- table-driven unit tests of mpm_peruid/statuspage.c,
 * the status page mod_status prints per user: which pools are shown,
 * their figures (busy, unknown idle), the sequence number of a write
 * and of a copy (a copy during a write, or of a page never written, is
 * refused), a page whose head a reader cannot trust, and how every
 * figure is printed (?auto keys and values).  No clock, no sleep.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "statuspage.h"
#include "unit.h"

/* --- peruid_status_pool_shown and peruid_status_pool_figures ------- */

typedef struct {
    const char *name;
    status_pool_facts_t f;
    int shown;
    apr_uint32_t workers, idle, busy;
} figures_row_t;

#define U STATUS_UNKNOWN

static const figures_row_t figures_rows[] = {
    { "a configured pool without workers",
      { 1, 0, 0, 0, 0, 0, 0, 0, 0, 0 }, 1, 0, 0, 0 },
    { "two idle of three, none starting: one busy",
      { 1, 0, 0, 3, 2, 0, 9, 1, 2, 0 }, 1, 3, 2, 1 },
    { "one starting, one idle, of three: one busy",
      { 1, 0, 0, 3, 1, 1, 9, 0, 2, 0 }, 1, 3, 1, 1 },
    { "idle not known (PU00056): busy not known either",
      { 1, 0, 0, 2, -1, 0, 4, 0, 2, 0 }, 1, 2, U, U },
    { "all starting: none busy",
      { 1, 0, 0, 2, 0, 2, 0, 0, 2, 0 }, 1, 2, 0, 0 },
    { "more starting than live (a pass's race): none busy, never below",
      { 1, 0, 0, 1, 0, 3, 0, 0, 1, 0 }, 1, 1, 0, 0 },
    { "an old pool with workers left: shown",
      { 0, 0, 0, 1, 1, 0, 5, 0, 1, 0 }, 1, 1, 1, 0 },
    { "an old pool without workers: not shown",
      { 0, 0, 0, 0, 0, 0, 5, 0, 1, 0 }, 0, 0, 0, 0 },
    { "an Expr slot kept free: never shown",
      { 1, 1, 0, 0, 0, 0, 0, 0, 0, 0 }, 0, 0, 0, 0 },
    { "an Expr slot given to a user: shown",
      { 1, 0, 1, 1, 0, 0, 2, 0, 1, 0 }, 1, 1, 0, 1 },
};

static void test_figures(void)
{
    size_t i;

    for (i = 0; i < sizeof(figures_rows) / sizeof(figures_rows[0]); i++) {
        const figures_row_t *r = &figures_rows[i];
        status_pool_t p;
        int shown = peruid_status_pool_shown(&r->f);

        memset(&p, 0xa5, sizeof(p));
        peruid_status_pool_figures(&r->f, &p);
        CHECK(shown == r->shown);
        if (!shown) {
            continue;
        }
        CHECK(p.workers == r->workers);
        CHECK(p.idle == r->idle);
        CHECK(p.busy == r->busy);
        CHECK(p.conns == r->f.sent);
        CHECK(p.handovers == r->f.handovers);
        CHECK(p.cold_starts == r->f.forks);
        CHECK(p.refused == r->f.refused);
        CHECK(p.expr == (apr_uint32_t)(r->f.expr != 0));
        if (p.workers != r->workers || p.idle != r->idle
            || p.busy != r->busy) {
            fprintf(stderr, "    row \"%s\": workers %u idle %u busy %u\n",
                    r->name, p.workers, p.idle, p.busy);
        }
    }
}

/* --- the sequence number: a write, and copies of it ----------------- */

/* A page of 4 processes and 3 pools, written with n pools and procs. */
static void *page_new(size_t *size)
{
    void *page;

    *size = peruid_status_page_size(4, 3);
    page = calloc(1, *size);
    ((status_head_t *)page)->magic = STATUS_MAGIC;
    ((status_head_t *)page)->max_procs = 4;
    ((status_head_t *)page)->max_pools = 3;
    return page;
}

static void page_write(void *page, apr_uint32_t npools, apr_uint32_t mark)
{
    status_head_t *h = page;
    apr_uint32_t i;

    peruid_status_write_begin(h);
    h->npools = npools;
    h->nprocs = 2;
    for (i = 0; i < npools; i++) {
        peruid_status_pools(page)[i].conns = mark + i;
    }
    peruid_status_procs(page)[1].pid = mark;
    h->written = 1000;
    peruid_status_write_end(h);
}

typedef struct {
    const char *name;
    int write;              /* write the page first                      */
    int mid_write;          /* a write begun and not ended               */
    int bad_magic;
    apr_uint32_t npools;    /* in the head (beyond max_pools: refused)   */
    int shrink;             /* the reader's size is one byte short       */
    int want;
} copy_row_t;

static const copy_row_t copy_rows[] = {
    { "never written: nothing to show", 0, 0, 0, 0, 0, -1 },
    { "written: a whole copy", 1, 0, 0, 2, 0, 1 },
    { "a write under way: try again", 1, 1, 0, 2, 0, 0 },
    { "not a status page: not copied", 1, 0, 1, 2, 0, 0 },
    { "more pools than the page holds: try again", 1, 0, 0, 9, 0, 0 },
    { "a page larger than the mapping: try again", 1, 0, 0, 2, 1, 0 },
};

static void test_copy(void)
{
    size_t i, size;

    for (i = 0; i < sizeof(copy_rows) / sizeof(copy_rows[0]); i++) {
        const copy_row_t *r = &copy_rows[i];
        void *page = page_new(&size);
        void *out = calloc(1, size);
        status_head_t *h = page;
        int got;

        if (r->write) {
            page_write(page, 2, 40);
            h->npools = r->npools;
        }
        if (r->mid_write) {
            peruid_status_write_begin(h);
        }
        if (r->bad_magic) {
            h->magic = 0;
        }
        got = peruid_status_copy(page, size - (size_t)r->shrink, out);
        CHECK(got == r->want);
        if (got != r->want) {
            fprintf(stderr, "    row \"%s\": %d, want %d\n", r->name, got,
                    r->want);
        }
        if (got == 1) {
            CHECK(((status_head_t *)out)->npools == 2);
            CHECK(peruid_status_pools(out)[0].conns == 40);
            CHECK(peruid_status_pools(out)[1].conns == 41);
            CHECK(peruid_status_procs(out)[1].pid == 40);
        }
        free(page);
        free(out);
    }
}

/* A write ended after a write begun: a copy is whole again, and the
 * sequence number is even; a copy keeps nothing of a page rewritten
 * since with fewer pools. */
static void test_rewrite(void)
{
    size_t size;
    void *page = page_new(&size);
    void *out = calloc(1, size);

    page_write(page, 3, 10);
    page_write(page, 1, 70);
    CHECK((((status_head_t *)page)->seq & 1) == 0);
    CHECK(peruid_status_copy(page, size, out) == 1);
    CHECK(((status_head_t *)out)->npools == 1);
    CHECK(peruid_status_pools(out)[0].conns == 70);
    free(page);
    free(out);
}

/* --- printing ------------------------------------------------------- */

static void test_pool_fields(void)
{
    static const char *const keys[STATUS_POOL_FIELDS] = {
        "User", "Uid", "Gid", "Workers", "Idle", "Busy", "Connections",
        "Handovers", "ColdStarts", "Refused503" };
    static const char *const known[STATUS_POOL_FIELDS] = {
        "peruid_ta", "1001", "1002", "3", "1", "2", "4294967295", "5", "7",
        "0" };
    static const char *const unknown[STATUS_POOL_FIELDS] = {
        "#1001", "1001", "1002", "3", "-", "-", "4294967295", "5", "7",
        "0" };
    status_field_t f[STATUS_POOL_FIELDS];
    status_pool_t p;
    int k;

    memset(&p, 0, sizeof(p));
    strcpy(p.user, "peruid_ta");
    p.uid = 1001;
    p.gid = 1002;
    p.workers = 3;
    p.idle = 1;
    p.busy = 2;
    p.conns = 0xffffffffu;      /* a wrapped counter is a number */
    p.handovers = 5;
    p.cold_starts = 7;
    peruid_status_pool_fields(&p, f);
    for (k = 0; k < STATUS_POOL_FIELDS; k++) {
        CHECK(strcmp(f[k].key, keys[k]) == 0);
        CHECK_SPAN(f[k].value, strlen(f[k].value), known[k]);
    }
    p.user[0] = '\0';
    p.idle = p.busy = STATUS_UNKNOWN;
    peruid_status_pool_fields(&p, f);
    for (k = 0; k < STATUS_POOL_FIELDS; k++) {
        CHECK_SPAN(f[k].value, strlen(f[k].value), unknown[k]);
    }
}

typedef struct {
    status_proc_t q;
    const char *role, *user;
} proc_row_t;

static void test_proc_fields(void)
{
    static const proc_row_t rows[] = {
        { { STATUS_ROLE_MASTER, 100, -1, 0, 3, 0 }, "master", "root" },
        { { STATUS_ROLE_RELAY, 101, -1, 998, 3, 0 }, "log relay",
          "peruid-router" },
        { { STATUS_ROLE_ROUTER, 102, -1, 998, 3, 1 }, "router (leaving)",
          "peruid-router" },
        { { STATUS_ROLE_WORKER, 103, 0, 1001, 3, 0 }, "worker",
          "peruid_ta" },
        { { STATUS_ROLE_WORKER, 104, 1, 1003, 2, 0 }, "worker", "#1003" },
        { { STATUS_ROLE_WORKER, 105, 7, 1009, 3, 0 }, "worker", "#1009" },
        { { STATUS_ROLE_PREFORKED, 106, -1, 0, 3, 0 }, "preforked",
          "root" },
        { { 42, 107, -1, 0, 3, 0 }, "?", "root" },
    };
    size_t i, size;
    void *page = page_new(&size);
    status_head_t *h = page;
    status_field_t f[STATUS_PROC_FIELDS];
    char buf[64], pid[16];

    h->npools = 2;
    strcpy(h->router_user, "peruid-router");
    h->router_uid = 998;
    strcpy(peruid_status_pools(page)[0].user, "peruid_ta");
    peruid_status_pools(page)[0].uid = 1001;
    peruid_status_pools(page)[1].uid = 1003;    /* no name */
    for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        peruid_status_proc_fields(&rows[i].q, f);
        CHECK_SPAN(f[0].value, strlen(f[0].value), rows[i].role);
        snprintf(pid, sizeof(pid), "%u", rows[i].q.pid);
        CHECK_SPAN(f[1].value, strlen(f[1].value), pid);
        CHECK(strcmp(f[2].key, "Uid") == 0 && strcmp(f[3].key,
                                                     "Generation") == 0);
        peruid_status_proc_user(page, &rows[i].q, buf, sizeof(buf));
        CHECK_SPAN(buf, strlen(buf), rows[i].user);
    }
    free(page);
}

/* A user name as long as the page holds is shown whole; "#uid" without
 * one. */
static void test_user(void)
{
    char name[STATUS_NAME_MAX], buf[STATUS_NAME_MAX + 16];

    memset(name, 'u', sizeof(name) - 1);
    name[sizeof(name) - 1] = '\0';
    peruid_status_user(name, 5, buf, sizeof(buf));
    CHECK(strlen(buf) == STATUS_NAME_MAX - 1);
    peruid_status_user("", 4294967294u, buf, sizeof(buf));
    CHECK_SPAN(buf, strlen(buf), "#4294967294");
}

int main(void)
{
    test_figures();
    test_copy();
    test_rewrite();
    test_pool_fields();
    test_proc_fields();
    test_user();
    return unit_summary("test_statuspage");
}
