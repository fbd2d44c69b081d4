/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * peruid_seccomp.c -- the routers' system call filter (libseccomp).
 *
 * Runs in a router right after creds.c made it PeruidRouterUser without
 * capabilities.  A router parses untrusted bytes; should that ever go
 * wrong, the filter keeps it from starting a program, forking, tracing
 * or signalling another process of the same user, opening sockets (also
 * through io_uring), or touching its identity.  Refused
 * calls fail with EPERM; everything else is allowed, so httpd's logging
 * and APR keep working.
 */

#include <errno.h>
#include <seccomp.h>
#include <unistd.h>

#include "peruid_seccomp.h"

/* The calls a router never makes. */
static const int seccomp_router_denied[] = {
    SCMP_SYS(execve), SCMP_SYS(execveat), SCMP_SYS(fork), SCMP_SYS(vfork),
    SCMP_SYS(ptrace), SCMP_SYS(process_vm_readv), SCMP_SYS(process_vm_writev),
    SCMP_SYS(setuid), SCMP_SYS(setgid), SCMP_SYS(setreuid),
    SCMP_SYS(setregid), SCMP_SYS(setresuid), SCMP_SYS(setresgid),
    SCMP_SYS(setfsuid), SCMP_SYS(setfsgid), SCMP_SYS(setgroups),
    SCMP_SYS(connect), SCMP_SYS(bind), SCMP_SYS(listen),
    SCMP_SYS(mount), SCMP_SYS(umount2), SCMP_SYS(unshare), SCMP_SYS(setns),
    SCMP_SYS(kexec_load), SCMP_SYS(init_module), SCMP_SYS(finit_module),
    SCMP_SYS(bpf), SCMP_SYS(perf_event_open), SCMP_SYS(keyctl),
    SCMP_SYS(add_key), SCMP_SYS(request_key), SCMP_SYS(userfaultfd),
    SCMP_SYS(socket), SCMP_SYS(socketpair), SCMP_SYS(kill), SCMP_SYS(tkill),
    SCMP_SYS(pidfd_open), SCMP_SYS(pidfd_getfd),
    SCMP_SYS(pidfd_send_signal), SCMP_SYS(io_uring_setup),
    SCMP_SYS(io_uring_enter), SCMP_SYS(io_uring_register)
};

/* Router (User, no capabilities): see seccomp.h. */
apr_status_t peruid_seccomp_router(const char **call)
{
    scmp_filter_ctx ctx;
    pid_t self = getpid();
    size_t i;
    int rc = 0;

    *call = "seccomp_init";
    ctx = seccomp_init(SCMP_ACT_ALLOW);
    if (!ctx) {
        return APR_ENOMEM;
    }
    *call = "seccomp_rule_add";
    for (i = 0; rc == 0 && i < sizeof(seccomp_router_denied)
                                / sizeof(seccomp_router_denied[0]); i++) {
        rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM),
                              seccomp_router_denied[i], 0);
    }
    /* signals only to ourselves (raise() and abort() use tgkill) */
    if (rc == 0) {
        rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(tgkill), 1,
                              SCMP_A0(SCMP_CMP_NE, (scmp_datum_t)self));
    }
    if (rc == 0) {
        rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM),
                              SCMP_SYS(rt_tgsigqueueinfo), 1,
                              SCMP_A0(SCMP_CMP_NE, (scmp_datum_t)self));
    }
    if (rc == 0) {
        rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM),
                              SCMP_SYS(rt_sigqueueinfo), 1,
                              SCMP_A0(SCMP_CMP_NE, (scmp_datum_t)self));
    }
    /* clone() without CLONE_THREAD would be a new process */
    if (rc == 0) {
        rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(clone), 1,
                              SCMP_A0(SCMP_CMP_MASKED_EQ, 0x00010000, 0));
    }
    if (rc == 0) {
        rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3),
                              0);
    }
    if (rc == 0) {
        *call = "seccomp_load";
        rc = seccomp_load(ctx);
    }
    seccomp_release(ctx);
    return rc == 0 ? APR_SUCCESS : (apr_status_t)-rc;
}
