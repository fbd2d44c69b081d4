/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * bench/peek_cost.c -- what the router's head parser costs, counted in
 * instructions by valgrind's callgrind (repeatable whatever else the
 * machine does).  Parses the head wrk sends (bench scenario (a)) N times;
 * bench/peek_cost.sh builds it with the module's flags and prints the
 * instructions per parse.  Not a test: it asserts only that the head
 * parses.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "peek.h"

int main(int argc, char **argv)
{
    static const char head[] =
        "GET /hello.php HTTP/1.1\r\nHost: s000.bench\r\n"
        "Connection: close\r\n\r\n";
    long i, n = argc > 1 ? atol(argv[1]) : 100000;
    peek_head_t h;

    for (i = 0; i < n; i++) {
        if (peruid_peek_parse(head, sizeof(head) - 1, 65536, &h) != PEEK_DONE
            || h.status) {
            fprintf(stderr, "peek_cost: the head did not parse\n");
            return 1;
        }
    }
    printf("%ld heads parsed\n", n);
    return 0;
}
