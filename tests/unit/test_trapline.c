/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * test_trapline.c -- the PU00128 line a router's SIGSYS handler writes
 * (trapline.c): dates across eras, leap days and the epoch, local time
 * from the offset, the fields and their order, a buffer too small.
 */

#include "unit.h"
#include "trapline.h"

/* Days since 1970-01-01 and the date they are. */
typedef struct {
    long long days;
    long long year;
    int month, day, wday;
} date_row_t;

static const date_row_t dates[] = {
    { 0, 1970, 1, 1, 4 },
    { -1, 1969, 12, 31, 3 },
    { 59, 1970, 3, 1, 0 },
    { 11016, 2000, 2, 29, 2 },          /* a leap day of a 400-year one */
    { 11017, 2000, 3, 1, 3 },
    { 47368, 2099, 9, 9, 3 },
    { 20794, 2026, 12, 7, 1 },          /* this test's writing          */
    { -719468, 0, 3, 1, 3 },            /* the algorithm's origin       */
    { 47482, 2100, 1, 1, 5 },           /* 2100 is not a leap year:     */
    { 47540, 2100, 2, 28, 0 },
    { 47541, 2100, 3, 1, 1 },
};

static void test_civil(void)
{
    size_t i;

    for (i = 0; i < sizeof(dates) / sizeof(dates[0]); i++) {
        peruid_civil_t c;

        peruid_trapline_civil(dates[i].days, &c);
        CHECK(c.year == dates[i].year);
        CHECK(c.month == dates[i].month);
        CHECK(c.day == dates[i].day);
        CHECK(c.wday == dates[i].wday);
        if (c.year != dates[i].year || c.month != dates[i].month
            || c.day != dates[i].day || c.wday != dates[i].wday) {
            fprintf(stderr, "  day %lld: got %lld-%d-%d wday %d\n",
                    dates[i].days, c.year, c.month, c.day, c.wday);
        }
    }
}

/* 2026-12-07 12:03:43.027498 UTC */
#define T0 1796645023LL

static void test_line(void)
{
    peruid_trapline_t t = { T0, 27498, 0, 24282, 257, "openat", 1, 0 };
    char buf[512];
    size_t n = peruid_trapline_format(buf, sizeof(buf), &t);

    CHECK_SPAN(buf, n, "[Mon Dec 07 12:03:43.027498 2026] "
               "[mpm_peruid:emerg] [pid 24282:tid 24282] PU00128: router: "
               "system call 257 (openat) is not on the routers' allow-list "
               "(seccomp); this router is killed, the master starts "
               "another\n");
    CHECK(buf[n] == '\0');

    /* local time: an hour east, past midnight into the next day */
    t.sec = T0 + 12 * 3600;
    t.gmtoff = 3600;
    t.usec = 5;
    n = peruid_trapline_format(buf, sizeof(buf), &t);
    CHECK(n > 34 && memcmp(buf, "[Tue Dec 08 01:03:43.000005 2026] ", 34)
          == 0);

    /* an unknown call of another ABI */
    t.name = NULL;
    t.native = 0;
    t.arch = 0x40000003UL;
    t.nr = 213;
    n = peruid_trapline_format(buf, sizeof(buf), &t);
    CHECK(strstr(buf, "system call 213 (unknown, arch 0x40000003) is not")
          != NULL);
}

/* A buffer too small is filled and terminated, never overrun. */
static void test_small(void)
{
    peruid_trapline_t t = { T0, 0, 0, 1, 2, "open", 1, 0 };
    char buf[40];
    size_t n;

    memset(buf, 'x', sizeof(buf));
    n = peruid_trapline_format(buf, 20, &t);
    CHECK(n == 19 && buf[19] == '\0' && buf[20] == 'x');
    CHECK(peruid_trapline_format(buf, 0, &t) == 0 && buf[0] == '[');
}

int main(void)
{
    test_civil();
    test_line();
    test_small();
    return unit_summary("test_trapline");
}
