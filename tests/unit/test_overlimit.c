/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * test_overlimit.c -- table-driven unit tests of mpm_peruid/overlimit.c:
 * the kernel's RLIMIT_NPROC mark read from /proc/self/stat (the flags
 * field, 9th, after a command name that may hold spaces and
 * parentheses), what a worker does with a connection after which it
 * cannot take its spare descriptor back.  No process, no clock.
 */

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "overlimit.h"
#include "unit.h"

typedef struct {
    const char *name;
    const char *stat;       /* NULL: the read failed                      */
    int want;
} nproc_row_t;

/* a real line of this kernel, flags 4194560 (0x400100), then with
 * 0x1000 added: 4198656 (0x401100) */
#define HEAD "12345 (apache2) S 1 12345 12345 0 -1 "
#define TAIL " 120 0 0 0 1 2 0 0 20 0 1 0 4711 26214400 1024\n"

static const nproc_row_t nproc_rows[] = {
    { "not marked", HEAD "4194560" TAIL, 0 },
    { "marked", HEAD "4198656" TAIL, 1 },
    { "only the mark", HEAD "4096" TAIL, 1 },
    { "flags 0", HEAD "0" TAIL, 0 },
    { "the mark's neighbours", HEAD "10240" TAIL, 0 },  /* 0x2800 */
    { "comm with spaces and parens",
      "7 (a) b (c) S 1 7 7 0 -1 4198656 1 2\n", 1 },
    { "comm ') 9 9 9 9 9 9 4096'",
      "7 () 9 9 9 9 9 9 4096) S 1 7 7 0 -1 64 1 2\n", 0 },
    { "flags last, no newline", "7 (x) S 1 7 7 0 -1 4096", 1 },
    { "flags cut short by the read", "7 (x) S 1 7 7 0 -1 40", 0 },
    { "no ')'", "7 (x S 1 7 7 0 -1 4096 1\n", -1 },
    { "too few fields", "7 (x) S 1 7 7\n", -1 },
    { "flags not a number", "7 (x) S 1 7 7 0 -1 x4096 1\n", -1 },
    { "flags with a sign", "7 (x) S 1 7 7 0 -1 -4096 1\n", -1 },
    { "flags followed by junk", "7 (x) S 1 7 7 0 -1 4096x 1\n", -1 },
    { "flags of 20 digits", "7 (x) S 1 7 7 0 -1 18446744073709551616 1\n",
      -1 },
    { "empty", "", -1 },
    { "not read", NULL, -1 },
};

static void test_nproc(void)
{
    size_t i;

    for (i = 0; i < sizeof(nproc_rows) / sizeof(nproc_rows[0]); i++) {
        const nproc_row_t *r = &nproc_rows[i];
        int got = peruid_overlimit_nproc_parse(
            r->stat, r->stat ? (ssize_t)strlen(r->stat) : -1);

        if (got != r->want) {
            fprintf(stderr, "nproc row '%s': got %d, want %d\n", r->name,
                    got, r->want);
        }
        CHECK(got == r->want);
    }
    /* the bytes are not a string: nothing past n is read */
    CHECK(peruid_overlimit_nproc_parse(HEAD "4096 1", 38 + 2) == 0);
}

typedef struct {
    int spare_back, err;
    overlimit_fd_e want;
} fd_row_t;

static const fd_row_t fd_rows[] = {
    { 1, 0, OVERLIMIT_SERVE },
    { 1, EMFILE, OVERLIMIT_SERVE },     /* errno left over: not asked */
    { 0, EMFILE, OVERLIMIT_503 },       /* our table is full          */
    { 0, ENFILE, OVERLIMIT_503 },       /* the system's is            */
    { 0, EBADF, OVERLIMIT_SERVE },      /* not about room             */
    { 0, EINVAL, OVERLIMIT_SERVE },
    { 0, 0, OVERLIMIT_SERVE },
};

static void test_fd(void)
{
    size_t i;

    for (i = 0; i < sizeof(fd_rows) / sizeof(fd_rows[0]); i++) {
        CHECK(peruid_overlimit_fd_verdict(fd_rows[i].spare_back,
                                          fd_rows[i].err)
              == fd_rows[i].want);
    }
}

int main(void)
{
    test_nproc();
    test_fd();
    return unit_summary("test_overlimit");
}
