/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * uidrange.c -- the seccomp filter of LimitUIDRange and LimitGIDRange
 * (see uidrange.h).  A classic BPF program, built here rather than with
 * libseccomp: an id argument of -1 means "unchanged" and must pass while
 * other values above the range must not, which is two comparisons on one
 * argument.  Only the argument's low 32 bits are compared, as the kernel
 * reads uid_t and gid_t.
 */

#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <linux/audit.h>
#include <linux/seccomp.h>

#include "uidrange.h"

#if defined(__x86_64__)
#define UIDRANGE_ARCH AUDIT_ARCH_X86_64
#define UIDRANGE_X32_BIT 0x40000000U      /* x32 calls on x86_64 */
#elif defined(__aarch64__)
#define UIDRANGE_ARCH AUDIT_ARCH_AARCH64
#else
#error "uidrange.c: native audit arch unknown for this platform"
#endif

#define UIDRANGE_DENY (SECCOMP_RET_ERRNO | (EPERM & SECCOMP_RET_DATA))

/* The low 32 bits of argument i (little-endian). */
#define UIDRANGE_ARG_LO(i) \
    ((unsigned)(offsetof(struct seccomp_data, args) + 8 * (i)))

/* A call of the setuid family: its number, id arguments, which range. */
typedef struct {
    int nr;
    int nargs;
    int gid;
} uidrange_call_t;

static const uidrange_call_t uidrange_calls[] = {
    { SYS_setuid, 1, 0 },   { SYS_setgid, 1, 1 },
    { SYS_setreuid, 2, 0 }, { SYS_setregid, 2, 1 },
    { SYS_setresuid, 3, 0 }, { SYS_setresgid, 3, 1 },
    { SYS_setfsuid, 1, 0 }, { SYS_setfsgid, 1, 1 },
};

/* The program under construction; jumps to the shared deny are noted
 * and fixed once its place is known. */
typedef struct {
    struct sock_filter *prog;
    int n;
    int to_deny[PERUID_UIDRANGE_PROG_MAX];
    int ndeny;
} uidrange_prog_t;

/* Any process: append one instruction. */
static void uidrange_op(uidrange_prog_t *p, unsigned short code,
                        unsigned int k, unsigned char jt, unsigned char jf)
{
    struct sock_filter f = { code, jt, jf, k };

    p->prog[p->n++] = f;
}

/* Any process: a conditional jump to the deny instruction (on false
 * for ">=", on true otherwise), its offset fixed by uidrange_fix. */
static void uidrange_jump_deny(uidrange_prog_t *p, unsigned short code,
                               unsigned int k)
{
    p->to_deny[p->ndeny++] = p->n;
    uidrange_op(p, code, k, 0, 0);
}

/* Any process: the checks of one call: its number, then each id
 * argument: -1 passes, below lo or above hi is denied. */
static void uidrange_call(uidrange_prog_t *p, const uidrange_call_t *c,
                          unsigned long lo, unsigned long hi)
{
    int i;

    uidrange_op(p, BPF_LD | BPF_W | BPF_ABS,
                offsetof(struct seccomp_data, nr), 0, 0);
    /* not this call: past its 4 instructions per argument and the allow */
    uidrange_op(p, BPF_JMP | BPF_JEQ | BPF_K, (unsigned)c->nr, 0,
                (unsigned char)(4 * c->nargs + 1));
    for (i = 0; i < c->nargs; i++) {
        uidrange_op(p, BPF_LD | BPF_W | BPF_ABS, UIDRANGE_ARG_LO(i), 0, 0);
        uidrange_op(p, BPF_JMP | BPF_JEQ | BPF_K, 0xffffffffU, 2, 0);
        /* below lo or above hi: denied */
        uidrange_jump_deny(p, BPF_JMP | BPF_JGE | BPF_K, (unsigned)lo);
        uidrange_jump_deny(p, BPF_JMP | BPF_JGT | BPF_K, (unsigned)hi);
    }
    uidrange_op(p, BPF_RET | BPF_K, SECCOMP_RET_ALLOW, 0, 0);
}

/* Any process: point every noted jump at the deny instruction at d.
 * The ">= lo" jumps deny on false, the others on true. */
static void uidrange_fix(uidrange_prog_t *p, int d)
{
    int i;

    for (i = 0; i < p->ndeny; i++) {
        struct sock_filter *f = &p->prog[p->to_deny[i]];
        unsigned char off = (unsigned char)(d - p->to_deny[i] - 1);

        if (BPF_OP(f->code) == BPF_JGE) {
            f->jt = 0;
            f->jf = off;
        }
        else {
            f->jt = off;
        }
    }
}

/* Any process (pure): see uidrange.h. */
int peruid_uidrange_build(const peruid_uidrange_t *r, struct sock_filter *prog)
{
    uidrange_prog_t p;
    size_t i;

    memset(&p, 0, sizeof(p));
    p.prog = prog;
    /* another ABI: every call denied (its numbers are not these) */
    uidrange_op(&p, BPF_LD | BPF_W | BPF_ABS,
                offsetof(struct seccomp_data, arch), 0, 0);
    uidrange_op(&p, BPF_JMP | BPF_JEQ | BPF_K, UIDRANGE_ARCH, 1, 0);
    uidrange_op(&p, BPF_RET | BPF_K, UIDRANGE_DENY, 0, 0);
#ifdef UIDRANGE_X32_BIT
    uidrange_op(&p, BPF_LD | BPF_W | BPF_ABS,
                offsetof(struct seccomp_data, nr), 0, 0);
    uidrange_op(&p, BPF_JMP | BPF_JGE | BPF_K, UIDRANGE_X32_BIT, 0, 1);
    uidrange_op(&p, BPF_RET | BPF_K, UIDRANGE_DENY, 0, 0);
#endif
    for (i = 0; i < sizeof(uidrange_calls) / sizeof(uidrange_calls[0]); i++) {
        const uidrange_call_t *c = &uidrange_calls[i];

        uidrange_call(&p, c, c->gid ? r->gid_min : r->uid_min,
                      c->gid ? r->gid_max : r->uid_max);
    }
    uidrange_op(&p, BPF_LD | BPF_W | BPF_ABS,
                offsetof(struct seccomp_data, nr), 0, 0);
    uidrange_op(&p, BPF_JMP | BPF_JEQ | BPF_K, SYS_setgroups, 1, 0);
    uidrange_op(&p, BPF_RET | BPF_K, SECCOMP_RET_ALLOW, 0, 0);
    uidrange_fix(&p, p.n);
    uidrange_op(&p, BPF_RET | BPF_K, UIDRANGE_DENY, 0, 0);
    return p.n;
}

/* Worker, root: see uidrange.h. */
apr_status_t peruid_uidrange_install(const peruid_uidrange_t *r)
{
    struct sock_filter prog[PERUID_UIDRANGE_PROG_MAX];
    struct sock_fprog fp;

    fp.len = (unsigned short)peruid_uidrange_build(r, prog);
    fp.filter = prog;
    if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &fp, 0, 0) < 0) {
        return errno;
    }
    return APR_SUCCESS;
}
