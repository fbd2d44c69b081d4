/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * tests/sandbox/euid.c -- t/sandbox.t's stand-in for a setuid-root
 * program (the test installs a copy of it, owned by root, mode 4755):
 * it prints the ids it runs with and whether it could make itself root
 * for good and set its groups, as a real setuid helper would.
 */

#define _GNU_SOURCE
#include <grp.h>
#include <stdio.h>
#include <unistd.h>

int main(void)
{
    gid_t none[1] = { 0 };
    int become = setresuid(0, 0, 0);
    int groups = setgroups(1, none);
    uid_t r, e, s;

    getresuid(&r, &e, &s);
    printf("euid=%ld ruid=%ld suid=%ld setresuid0=%s setgroups0=%s\n",
           (long)e, (long)r, (long)s, become == 0 ? "ok" : "refused",
           groups == 0 ? "ok" : "refused");
    return 0;
}
