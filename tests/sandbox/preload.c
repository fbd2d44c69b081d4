/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * tests/sandbox/preload.c -- t/sandbox.t's LD_PRELOAD library: it makes
 * an httpd's routers and workers do what none does by itself, without a
 * line of test code in the module.
 *
 *   - recv(): a router that peeks at a head starting with
 *     "PERUID-SANDBOX-TRAP" then calls openat("/etc/passwd"), a call off
 *     the routers' allow-list: its filter must log it and kill it.
 *   - seccomp_load() (libseccomp, the routers' filter) and
 *     prctl(PR_SET_SECCOMP) (uidrange.c, the workers' filter) fail with
 *     EINVAL in a process whose uid is PERUID_TEST_SECCOMP_FAIL_UID: the
 *     install failure each must treat as an error.
 *
 * Built by the test with cc -shared -fPIC ... -ldl.
 */

#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>

#define TRIGGER "PERUID-SANDBOX-TRAP"

/* Is this process's uid the one whose filter must fail? */
static int fail_here(void)
{
    const char *v = getenv("PERUID_TEST_SECCOMP_FAIL_UID");

    return v && *v && (uid_t)strtoul(v, NULL, 10) == getuid();
}

ssize_t recv(int fd, void *buf, size_t len, int flags)
{
    static ssize_t (*real)(int, void *, size_t, int);
    ssize_t n;

    if (!real) {
        real = (ssize_t (*)(int, void *, size_t, int))dlsym(RTLD_NEXT,
                                                            "recv");
    }
    n = real(fd, buf, len, flags);
    if (n >= (ssize_t)strlen(TRIGGER) && (flags & MSG_PEEK)
        && !memcmp(buf, TRIGGER, strlen(TRIGGER))) {
        syscall(SYS_openat, AT_FDCWD, "/etc/passwd", O_RDONLY);
    }
    return n;
}

int seccomp_load(void *ctx)
{
    static int (*real)(void *);

    if (fail_here()) {
        return -EINVAL;
    }
    if (!real) {
        real = (int (*)(void *))dlsym(RTLD_NEXT, "seccomp_load");
    }
    return real(ctx);
}

int prctl(int option, ...)
{
    unsigned long a[4];
    va_list ap;
    int i;

    va_start(ap, option);
    for (i = 0; i < 4; i++) {
        a[i] = va_arg(ap, unsigned long);
    }
    va_end(ap);
    if (option == PR_SET_SECCOMP && fail_here()) {
        errno = EINVAL;
        return -1;
    }
    return (int)syscall(SYS_prctl, option, a[0], a[1], a[2], a[3]);
}
