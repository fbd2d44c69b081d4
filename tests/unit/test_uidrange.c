/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * test_uidrange.c -- the LimitUIDRange / LimitGIDRange filter
 * (uidrange.c), run for real: each row forks a child that installs the
 * filter for uids and gids 1000..2000 and makes one call of the setuid
 * family with raw syscall() arguments; the row says whether the filter
 * lets it through.  As root the calls that pass succeed (the child may
 * become anyone), so a refusal can only come from the filter; without
 * root the rows are skipped (every call would fail anyway).
 */

#include <errno.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "unit.h"
#include "uidrange.h"

#define M1 0xffffffffUL     /* (uid_t)-1: unchanged */

typedef struct {
    const char *name;
    long nr;
    unsigned long a0, a1, a2;
    int refused;            /* the filter answers EPERM */
} row_t;

static const row_t rows[] = {
    { "setuid(1500)", SYS_setuid, 1500, 0, 0, 0 },
    { "setuid(1000), the lowest", SYS_setuid, 1000, 0, 0, 0 },
    { "setuid(2000), the highest", SYS_setuid, 2000, 0, 0, 0 },
    { "setuid(0)", SYS_setuid, 0, 0, 0, 1 },
    { "setuid(999)", SYS_setuid, 999, 0, 0, 1 },
    { "setuid(2001)", SYS_setuid, 2001, 0, 0, 1 },
    { "setuid(-1)", SYS_setuid, M1, 0, 0, 0 },
    /* the kernel reads the low 32 bits: 0x1_0000_05dc is uid 1500 */
    { "setuid(1500 with high bits)", SYS_setuid, 0x1000005dcUL, 0, 0, 0 },
    { "setuid(0 with high bits)", SYS_setuid, 0x100000000UL, 0, 0, 1 },
    { "setresuid(-1,-1,-1)", SYS_setresuid, M1, M1, M1, 0 },
    { "setresuid(1500,1500,1500)", SYS_setresuid, 1500, 1500, 1500, 0 },
    { "setresuid(-1,-1,0)", SYS_setresuid, M1, M1, 0, 1 },
    { "setresuid(-1,0,-1)", SYS_setresuid, M1, 0, M1, 1 },
    { "setresuid(0,-1,-1)", SYS_setresuid, 0, M1, M1, 1 },
    { "setreuid(1500,-1)", SYS_setreuid, 1500, M1, 0, 0 },
    { "setreuid(-1,3000)", SYS_setreuid, M1, 3000, 0, 1 },
    { "setgid(1500)", SYS_setgid, 1500, 0, 0, 0 },
    { "setgid(0)", SYS_setgid, 0, 0, 0, 1 },
    { "setresgid(1500,-1,1500)", SYS_setresgid, 1500, M1, 1500, 0 },
    { "setresgid(-1,-1,42)", SYS_setresgid, M1, M1, 42, 1 },
    { "setregid(-1,0)", SYS_setregid, M1, 0, 0, 1 },
    { "setfsuid(0)", SYS_setfsuid, 0, 0, 0, 1 },
    { "setfsuid(1500)", SYS_setfsuid, 1500, 0, 0, 0 },
    { "setfsgid(0)", SYS_setfsgid, 0, 0, 0, 1 },
    { "setgroups(0, NULL)", SYS_setgroups, 0, 0, 0, 1 },
    { "getpid()", SYS_getpid, 0, 0, 0, 0 },
};

static const peruid_uidrange_t range = { 1000, 2000, 1000, 2000 };

/* PeruidNoNewPrivs's filter (sandbox.c): a worker's own ids, 1500 and
 * 1600, as the only range. */
static const row_t own_rows[] = {
    { "own: setresuid(1500,1500,1500)", SYS_setresuid, 1500, 1500, 1500, 0 },
    { "own: setresuid(-1,1500,-1)", SYS_setresuid, M1, 1500, M1, 0 },
    { "own: setuid(1499)", SYS_setuid, 1499, 0, 0, 1 },
    { "own: setuid(1501)", SYS_setuid, 1501, 0, 0, 1 },
    { "own: setuid(0)", SYS_setuid, 0, 0, 0, 1 },
    { "own: setreuid(-1,0)", SYS_setreuid, M1, 0, 0, 1 },
    { "own: setresgid(1600,1600,1600)", SYS_setresgid, 1600, 1600, 1600, 0 },
    { "own: setgid(1500)", SYS_setgid, 1500, 0, 0, 1 },
    { "own: setfsgid(0)", SYS_setfsgid, 0, 0, 0, 1 },
    { "own: setgroups(0, NULL)", SYS_setgroups, 0, 0, 0, 1 },
};

static const peruid_uidrange_t own = { 1500, 1500, 1600, 1600 };

/* In a child: the filter for in, then the call.  Exit 0: passed (or a
 * plain failure other than EPERM), 1: EPERM, 2: no filter. */
static int run_row_in(const row_t *r, const peruid_uidrange_t *in)
{
    pid_t pid = fork();
    int st;

    if (pid == 0) {
        long rv;

        if (peruid_uidrange_install(in) != APR_SUCCESS) {
            _exit(2);
        }
        errno = 0;
        rv = syscall(r->nr, r->a0, r->a1, r->a2);
        _exit(rv == -1 && errno == EPERM ? 1 : 0);
    }
    if (pid < 0 || waitpid(pid, &st, 0) != pid || !WIFEXITED(st)) {
        return -1;
    }
    return WEXITSTATUS(st);
}

#if defined(__x86_64__)
/* getpid of the 32-bit x86 ABI (its number 20, through int 0x80) from
 * this 64-bit process: the pid, or -errno. */
static long compat_getpid(void)
{
    long rv = 20;

    __asm__ volatile ("int $0x80" : "+a"(rv) : : "memory");
    return rv;
}

/* In a child: is a 32-bit call refused with EPERM under r (1), or not
 * (0)?  -1: the kernel runs no 32-bit calls at all (no emulation). */
static int compat_refused(const peruid_uidrange_t *r)
{
    pid_t pid = fork();
    int st;

    if (pid == 0) {
        if (compat_getpid() != (long)getpid()) {
            _exit(3);
        }
        if (peruid_uidrange_install(r) != APR_SUCCESS) {
            _exit(2);
        }
        _exit(compat_getpid() == -EPERM ? 1 : 0);
    }
    if (pid < 0 || waitpid(pid, &st, 0) != pid || !WIFEXITED(st)) {
        return -2;
    }
    return WEXITSTATUS(st) == 3 ? -1 : WEXITSTATUS(st);
}
#endif

/* A row under the LimitUIDRange test's range. */
static int run_row(const row_t *r)
{
    return run_row_in(r, &range);
}

/* The program fits, ends in returns, and every jump lands inside it. */
static void test_shape(void)
{
    struct sock_filter prog[PERUID_UIDRANGE_PROG_MAX];
    int n = peruid_uidrange_build(&range, prog), i;

    CHECK(n > 10 && n <= PERUID_UIDRANGE_PROG_MAX);
    CHECK(BPF_CLASS(prog[n - 1].code) == BPF_RET);
    for (i = 0; i < n; i++) {
        if (BPF_CLASS(prog[i].code) == BPF_JMP) {
            CHECK(i + 1 + prog[i].jt < n && i + 1 + prog[i].jf < n);
        }
    }
}

int main(void)
{
    size_t i;

    test_shape();
    if (geteuid() != 0) {
        printf("test_uidrange: not root, the calls are skipped\n");
        return unit_summary("test_uidrange");
    }
    for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        int got = run_row(&rows[i]);

        unit_checks++;
        if (got != rows[i].refused) {
            unit_fail(__FILE__, __LINE__, rows[i].name);
            fprintf(stderr, "  %s: got %d, want %d\n", rows[i].name, got,
                    rows[i].refused);
        }
    }
#if defined(__x86_64__)
    {
        int got = compat_refused(&own);

        if (got == -1) {
            printf("test_uidrange: no 32-bit emulation, its row skipped\n");
        }
        else {
            CHECK(got == 1);    /* another ABI: every call refused */
        }
    }
#endif
    for (i = 0; i < sizeof(own_rows) / sizeof(own_rows[0]); i++) {
        int got = run_row_in(&own_rows[i], &own);

        unit_checks++;
        if (got != own_rows[i].refused) {
            unit_fail(__FILE__, __LINE__, own_rows[i].name);
            fprintf(stderr, "  %s: got %d, want %d\n", own_rows[i].name,
                    got, own_rows[i].refused);
        }
    }
    return unit_summary("test_uidrange");
}
