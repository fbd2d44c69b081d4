/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * unit.h -- the tiny harness shared by the unit tests in tests/unit.
 *
 * CHECK(expr) counts a failure and prints file:line and the expression;
 * CHECK_SPAN compares a (pointer, length) pair with a C string and prints
 * what it got.  unit_summary() prints the counts; main() returns its
 * value.
 */

#ifndef PERUID_UNIT_H
#define PERUID_UNIT_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int unit_checks;
static int unit_failures;

static inline void unit_fail(const char *file, int line, const char *what)
{
    unit_failures++;
    fprintf(stderr, "%s:%d: CHECK failed: %s\n", file, line, what);
}

#define CHECK_AT(file, line, expr)                                      \
    do {                                                                \
        unit_checks++;                                                  \
        if (!(expr)) {                                                  \
            unit_fail((file), (line), #expr);                           \
        }                                                               \
    } while (0)

#define CHECK(expr) CHECK_AT(__FILE__, __LINE__, expr)

/* Does [p, p+n) hold exactly the string want? */
static inline void unit_check_span(const char *file, int line,
                                   const char *what, const char *p,
                                   size_t n, const char *want)
{
    size_t wn = strlen(want);

    unit_checks++;
    if (p == NULL || n != wn || memcmp(p, want, wn) != 0) {
        unit_failures++;
        if (p == NULL) {
            fprintf(stderr, "%s:%d: CHECK failed: %s is NULL, want \"%s\"\n",
                    file, line, what, want);
        }
        else {
            fprintf(stderr, "%s:%d: CHECK failed: %s is \"%.*s\" (%zu), "
                    "want \"%s\" (%zu)\n", file, line, what, (int)n, p, n,
                    want, wn);
        }
    }
}

#define CHECK_SPAN(p, n, want)                                          \
    unit_check_span(__FILE__, __LINE__, #p, (p), (n), (want))

static inline int unit_summary(const char *name)
{
    printf("%s: %d checks, %d failed\n", name, unit_checks, unit_failures);
    return unit_failures ? 1 : 0;
}

#endif /* PERUID_UNIT_H */
