/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * fuzz.h -- what the fuzz targets in tests/unit share: the entry point
 * libFuzzer (or fuzz_main.c) calls, and FUZZ_ASSERT, which prints the
 * file, line and invariant that failed and aborts, so that libFuzzer
 * keeps the input as a crash.
 */

#ifndef PERUID_FUZZ_H
#define PERUID_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_ASSERT(cond)                                               \
    do {                                                                \
        if (!(cond)) {                                                  \
            fuzz_fail(__FILE__, __LINE__, #cond);                       \
        }                                                               \
    } while (0)

static inline void fuzz_fail(const char *file, int line, const char *what)
{
    fprintf(stderr, "%s:%d: invariant failed: %s\n", file, line, what);
    abort();
}

#endif /* PERUID_FUZZ_H */
