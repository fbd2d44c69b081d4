/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * procsys.c -- read the master's one fact from /proc/PID/syscall.
 *
 * Runs in the master (root); a pure function of what open() and read()
 * gave, no system call: children.c reads the file.  The kernel writes
 * the file: the number of the system call the task sleeps in, then its
 * arguments ("47 0x3 0x7ffd... ..."), "-1 <sp> <pc>" when it is blocked
 * outside a system call, or "running".  Reading it needs ptrace access
 * to the task; without it open() or read() fails with EACCES or EPERM,
 * and the master must not take that for "busy".  Kept free of httpd
 * headers so that the unit tests (tests/unit) link it alone.
 */

#include <errno.h>

#include "procsys.h"

/* Master, root: the state shown by the n bytes of buf read from a
 * worker's /proc/PID/syscall, or, when n < 0, by the errno err of the
 * failed open() or read(); waiting_call is the system call a worker
 * waits for connections in (SYS_recvmsg).  Only a decimal number of at
 * most 9 digits followed by a space or the end counts as a call number. */
procsys_state_e peruid_procsys_state(const char *buf, ssize_t n, int err,
                                     long waiting_call)
{
    long call = 0;
    ssize_t i;

    if (n < 0) {
        return err == EACCES || err == EPERM ? PROCSYS_UNKNOWN
                                             : PROCSYS_BUSY;
    }
    for (i = 0; i < n && i < 9 && buf[i] >= '0' && buf[i] <= '9'; i++) {
        call = call * 10 + (buf[i] - '0');
    }
    if (i == 0 || (i < n && buf[i] != ' ' && buf[i] != '\n')) {
        return PROCSYS_BUSY;    /* "running", "-1 ...", empty, garbage */
    }
    return call == waiting_call ? PROCSYS_WAITING : PROCSYS_BUSY;
}
