/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * statuspage.h -- the master's status page (statuspage.c: its layout and
 * the pure decisions on it; status.c maps it, writes it in the master
 * and prints it for mod_status in workers).
 *
 * The page is one memfd the master maps read-write (and never passes
 * on: MADV_DONTFORK), sealed (F_SEAL_FUTURE_WRITE, F_SEAL_SHRINK,
 * F_SEAL_GROW, F_SEAL_SEAL) before it maps it a second time read-only:
 * that second mapping, without VM_MAYWRITE, is the one every child
 * inherits, so no child, nor the native code a tenant runs in its
 * worker, can make it writable.  The master rewrites it once a second
 * from its own table, the kernel's counts of the last pass and the
 * routers' counters (never from anything a worker writes), under a
 * sequence number: odd while it writes, so a reader copies it whole or
 * tries again.
 *
 *   head                  status_head_t
 *   procs[max_procs]      status_proc_t: the master, the log relay, the
 *                         routers and workers of the master's table
 *   pools[max_pools]      status_pool_t: the pools shown
 */

#ifndef PERUID_STATUSPAGE_H
#define PERUID_STATUSPAGE_H

#include <stddef.h>

#include "apr.h"

#define STATUS_MAGIC        0x70755331u     /* "puS1" */
#define STATUS_NAME_MAX     32              /* a user name, NUL included */
#define STATUS_UNKNOWN      0xffffffffu     /* idle, busy: the kernel would
                                             * not say (PU00056)          */
#define STATUS_VALUE_MAX    32              /* one figure printed        */

typedef enum {
    STATUS_ROLE_MASTER = 0,
    STATUS_ROLE_ROUTER,
    STATUS_ROLE_WORKER,
    STATUS_ROLE_PREFORKED,  /* a worker waiting for a pool, root          */
    STATUS_ROLE_RELAY       /* the log relay                             */
} status_role_e;

typedef struct {
    volatile apr_uint32_t seq;  /* odd while the master writes           */
    apr_uint32_t magic;
    apr_uint32_t max_procs, max_pools;  /* the arrays' sizes             */
    apr_uint32_t nprocs, npools;        /* entries written               */
    apr_uint32_t generation;
    apr_uint32_t router_uid;
    apr_int64_t written;        /* apr_time_t of the last write (0: none) */
    char router_user[STATUS_NAME_MAX];  /* PeruidRouterUser              */
} status_head_t;

typedef struct {
    apr_uint32_t role;          /* status_role_e                         */
    apr_uint32_t pid;
    apr_int32_t pool;           /* index in pools[] of the page; -1: none */
    apr_uint32_t uid;
    apr_uint32_t generation;
    apr_uint32_t leaving;       /* asked to leave                        */
} status_proc_t;

typedef struct {
    apr_uint32_t table;         /* its index in the master's pool table  */
    apr_uint32_t uid, gid;
    char user[STATUS_NAME_MAX]; /* "": no name known (yet)               */
    apr_uint32_t expr;          /* given to an AssignUserIDExpr user     */
    apr_uint32_t workers;       /* the master's table                    */
    apr_uint32_t idle;          /* the kernel: waiting for a connection  */
    apr_uint32_t starting;      /* forked, not yet seen waiting          */
    apr_uint32_t busy;          /* workers - idle - starting             */
    apr_uint32_t conns;         /* routers: connections passed to it     */
    apr_uint32_t handovers;     /* routers: connections its workers
                                 * handed back to them                   */
    apr_uint32_t cold_starts;   /* the master: workers forked for it     */
    apr_uint32_t refused;       /* routers: 503 at a cap                 */
} status_pool_t;

/* What the master knows of one pool at a pass, for
 * peruid_status_pool_figures. */
typedef struct {
    int in_config;              /* named by the configuration read now   */
    int free_slot;              /* an Expr slot no user has yet          */
    int expr;                   /* given to an Expr user                 */
    int live;                   /* workers bound to it                   */
    int idle;                   /* -1: not known                         */
    int starting;
    apr_uint32_t sent, handovers, forks, refused;
} status_pool_facts_t;

/* One figure of a row, as ?auto names it (Key) and the HTML table heads
 * it. */
typedef struct {
    const char *key;
    const char *head;
    char value[STATUS_VALUE_MAX];
} status_field_t;

#define STATUS_POOL_FIELDS 10
#define STATUS_PROC_FIELDS 4

/* Any process: the page's size for the arrays' sizes. */
size_t peruid_status_page_size(apr_uint32_t max_procs,
                               apr_uint32_t max_pools);

/* Any process: the arrays of a page (or of a copy of one). */
status_proc_t *peruid_status_procs(void *page);
status_pool_t *peruid_status_pools(void *page);

/* Master: is the pool shown (a pool of the configuration, or one with
 * workers left from an earlier one; never an Expr slot kept free)? */
int peruid_status_pool_shown(const status_pool_facts_t *f);

/* Master: the figures of a shown pool (its name and ids aside). */
void peruid_status_pool_figures(const status_pool_facts_t *f,
                                status_pool_t *out);

/* Master: the sequence number around a write of the page. */
void peruid_status_write_begin(status_head_t *h);
void peruid_status_write_end(status_head_t *h);

/* Worker: copy the page (size bytes at most, a read-only mapping) into
 * out (size bytes).  Returns 1 when out holds one whole write, 0 when
 * the master was writing (try again), -1 when the page holds nothing
 * yet or is not one. */
int peruid_status_copy(const void *page, size_t size, void *out);

/* Any process: the name of a role. */
const char *peruid_status_role_name(apr_uint32_t role);

/* Worker: the figures of pool p into out[STATUS_POOL_FIELDS]: User, Uid,
 * Gid, Workers, Idle, Busy, Connections, Handovers, ColdStarts,
 * Refused503 ("-" for a figure not known). */
void peruid_status_pool_fields(const status_pool_t *p,
                               status_field_t *out);

/* Worker: the process q into out[STATUS_PROC_FIELDS]: Role, Pid, Uid,
 * Generation. */
void peruid_status_proc_fields(const status_proc_t *q, status_field_t *out);

/* Worker: the user name to show for uid with name (may be ""): the
 * name, else "#uid", into buf. */
const char *peruid_status_user(const char *name, apr_uint32_t uid,
                               char *buf, size_t size);

/* Worker: the user process q runs as, by its role: a worker's pool's
 * user, the routers' user for a router and the log relay, root for the
 * master and a preforked worker (page: a whole copy). */
const char *peruid_status_proc_user(const void *page, const status_proc_t *q,
                                    char *buf, size_t size);

#endif /* PERUID_STATUSPAGE_H */
