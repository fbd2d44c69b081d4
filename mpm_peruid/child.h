/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * child.h -- a child's identity and the entry points of the roles a child
 * takes after fork: router (router.c), worker (worker.c, double_check.c),
 * preforked worker (preforked.c), and what they share (child.c).
 */

#ifndef PERUID_CHILD_H
#define PERUID_CHILD_H

#include "peruid.h"

/* The calling process's own identity (set right after fork). */
typedef struct {
    peruid_role_e role;
    int slot;
    int pool;               /* worker only                               */
    uid_t uid;
    gid_t gid;
    const char *user;
    apr_pool_t *pchild;
    sigset_t sigmask;       /* the master's mask before it forked us     */
} peruid_self_t;

/* child.c: the calling process's identity (a child's, set right after
 * fork; in the master only the signal mask it forks with) */
peruid_self_t *peruid_self(void);

/* router.c */
void peruid_router_main(peruid_retained_t *rd, apr_pool_t *pconf, int slot)
    __attribute__((noreturn));

/* worker.c */
void peruid_worker_main(peruid_retained_t *rd, apr_pool_t *pconf, int slot,
                        int pool) __attribute__((noreturn));
void peruid_worker_one_process(peruid_retained_t *rd, apr_pool_t *pconf)
    __attribute__((noreturn));

/* preforked.c -- a preforked worker's wait for its pool */
int peruid_preforked_wait_bind(peruid_retained_t *rd, int slot);

/* double_check.c -- the worker's request hooks, optional functions */
void peruid_worker_register_hooks(apr_pool_t *p);

/* child.c -- what routers and workers share after fork */
apr_pool_t *peruid_child_init(peruid_retained_t *rd, apr_pool_t *pconf,
                              peruid_role_e role, int slot);
int peruid_child_should_stop(void);
int peruid_child_stop_drains(void);
void peruid_child_exit(peruid_retained_t *rd, apr_pool_t *pchild, int code)
    __attribute__((noreturn));
void peruid_child_block_signals(sigset_t *was);
void peruid_child_close_fds(peruid_retained_t *rd, peruid_role_e role,
                            int keep_pool);
apr_status_t peruid_child_become(peruid_retained_t *rd,
                                 const peruid_pool_t *who, server_rec *s);

#endif /* PERUID_CHILD_H */
