/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * trapline.h -- the log line of a router its system call filter stopped
 * (trapline.c), made async-signal-safely.
 */

#ifndef PERUID_TRAPLINE_H
#define PERUID_TRAPLINE_H

#include <stddef.h>

/* What the line says. */
typedef struct {
    long long sec;          /* the time (UTC seconds since the epoch)    */
    long usec;              /* and its microseconds                      */
    long gmtoff;            /* local time minus UTC, in seconds          */
    long pid;               /* the router (single-threaded: tid too)     */
    int nr;                 /* the system call's number ...              */
    const char *name;       /* ... and name (NULL: unknown)              */
    int native;             /* made in the native ABI; else:             */
    unsigned long arch;     /* its AUDIT_ARCH_* value                    */
} peruid_trapline_t;

/* A day of the proleptic Gregorian calendar. */
typedef struct {
    long long year;
    int month;              /* 1..12 */
    int day;                /* 1..31 */
    int wday;               /* 0 Sunday .. 6 Saturday */
} peruid_civil_t;

/* Any process, signal context (pure): the date of days since
 * 1970-01-01 (negative before). */
void peruid_trapline_civil(long long days, peruid_civil_t *c);

/* Any process, signal context (pure): the PU00128 line for t into buf
 * (room bytes, NUL-terminated, cut if too small, ends in a newline
 * when it fits); returns its length. */
size_t peruid_trapline_format(char *buf, size_t room,
                              const peruid_trapline_t *t);

#endif /* PERUID_TRAPLINE_H */
