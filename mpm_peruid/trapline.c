/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * trapline.c -- the one error log line of a router that its system call
 * filter stopped (PU00128), made without the C library's formatting:
 * it is written from the SIGSYS handler (peruid_seccomp.c), where only
 * async-signal-safe code may run (no malloc, no stdio, no localtime).
 * The line has httpd's default ErrorLogFormat: local time with
 * microseconds, module and level, pid and tid.  Pure: the caller gives
 * the time, the UTC offset it found when the filter was installed, the
 * pid and the call.
 */

#include "trapline.h"

/* Where a line is being written: never past end, one byte kept for the
 * terminating NUL. */
typedef struct {
    char *p, *end;
} trapline_out_t;

/* Any process, signal context: append s. */
static void out_str(trapline_out_t *o, const char *s)
{
    while (*s && o->p < o->end) {
        *o->p++ = *s++;
    }
}

/* Any process, signal context: append v in decimal, at least width
 * digits (zero-padded). */
static void out_num(trapline_out_t *o, unsigned long long v, int width)
{
    char d[24];
    int n = 0;

    do {
        d[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v && n < (int)sizeof(d));
    while (n < width && n < (int)sizeof(d)) {
        d[n++] = '0';
    }
    while (n > 0 && o->p < o->end) {
        *o->p++ = d[--n];
    }
}

/* Any process, signal context: append v in hexadecimal, with 0x. */
static void out_hex(trapline_out_t *o, unsigned long v)
{
    static const char digits[] = "0123456789abcdef";
    int shift = 28;

    out_str(o, "0x");
    while (shift > 0 && ((v >> shift) & 0xf) == 0) {
        shift -= 4;
    }
    for (; shift >= 0 && o->p < o->end; shift -= 4) {
        *o->p++ = digits[(v >> shift) & 0xf];
    }
}

/* Any process (pure): see trapline.h. */
void peruid_trapline_civil(long long days, peruid_civil_t *c)
{
    /* Howard Hinnant's days_from_civil, inverted: eras of 400 years
     * (146097 days) from 0000-03-01 */
    long long z = days + 719468;
    long long era = (z >= 0 ? z : z - 146096) / 146097;
    long long doe = z - era * 146097;
    long long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    long long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    long long mp = (5 * doy + 2) / 153;

    c->day = (int)(doy - (153 * mp + 2) / 5 + 1);
    c->month = (int)(mp < 10 ? mp + 3 : mp - 9);
    c->year = yoe + era * 400 + (c->month <= 2);
    /* 1970-01-01 was a Thursday (4) */
    c->wday = (int)(((days % 7) + 7 + 4) % 7);
}

/* Any process, signal context: "[Mon Dec 07 12:03:43.027498 2026] " for
 * t's time in local time. */
static void out_time(trapline_out_t *o, const peruid_trapline_t *t)
{
    static const char *const wdays[] = { "Sun", "Mon", "Tue", "Wed", "Thu",
                                         "Fri", "Sat" };
    static const char *const months[] = { "Jan", "Feb", "Mar", "Apr", "May",
                                          "Jun", "Jul", "Aug", "Sep", "Oct",
                                          "Nov", "Dec" };
    long long local = t->sec + t->gmtoff;
    long long days = (local >= 0 ? local : local - 86399) / 86400;
    long long secs = local - days * 86400;
    peruid_civil_t c;

    peruid_trapline_civil(days, &c);
    out_str(o, "[");
    out_str(o, wdays[c.wday]);
    out_str(o, " ");
    out_str(o, months[c.month - 1]);
    out_str(o, " ");
    out_num(o, (unsigned)c.day, 2);
    out_str(o, " ");
    out_num(o, (unsigned long long)(secs / 3600), 2);
    out_str(o, ":");
    out_num(o, (unsigned long long)(secs / 60 % 60), 2);
    out_str(o, ":");
    out_num(o, (unsigned long long)(secs % 60), 2);
    out_str(o, ".");
    out_num(o, (unsigned long long)t->usec, 6);
    out_str(o, " ");
    out_num(o, (unsigned long long)(c.year > 0 ? c.year : 0), 4);
    out_str(o, "] ");
}

/* Any process, signal context (pure): see trapline.h. */
size_t peruid_trapline_format(char *buf, size_t room,
                              const peruid_trapline_t *t)
{
    trapline_out_t o;

    if (room == 0) {
        return 0;
    }
    o.p = buf;
    o.end = buf + room - 1;
    out_time(&o, t);
    out_str(&o, "[mpm_peruid:emerg] [pid ");
    out_num(&o, (unsigned long)t->pid, 1);
    out_str(&o, ":tid ");
    out_num(&o, (unsigned long)t->pid, 1);
    out_str(&o, "] PU00128: router: system call ");
    out_num(&o, (unsigned)t->nr, 1);
    out_str(&o, " (");
    out_str(&o, t->name ? t->name : "unknown");
    if (!t->native) {
        out_str(&o, ", arch ");
        out_hex(&o, t->arch);
    }
    out_str(&o, ") is not on the routers' allow-list (seccomp); this "
                "router is killed, the master starts another\n");
    *o.p = '\0';
    return (size_t)(o.p - buf);
}
