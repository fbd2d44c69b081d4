/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * peruid.h -- what every process of the peruid MPM shares: the settings,
 * the pool table, the slot table and the context that survives restarts.
 * The master's own state is in master.h, a child's (router, worker) in
 * child.h, the channel records in channel.h, the planner's facts in
 * planner.h.
 *
 * Process model (docs/architecture.md has the whole picture):
 *   master  (root)       mod_mpm_peruid.c, master.c, schedule.c,
 *                        children.c, config.c
 *   routers (PeruidRouterUser) router.c, route.c, peek.c, peruid_seccomp.c
 *   workers (vhost user) worker.c, double_check.c (request hooks)
 *   preforked workers    preforked.c, maps.c (root, waiting for a pool)
 *   children after fork  child.c
 *   shared by all        channel.c (fd passing), creds.c (the only file
 *                        that changes credentials), pools.c (pool table).
 *
 * State lives in one retained context (peruid_retained_t) that survives
 * restarts; each process adds its own context struct.  The only globals
 * are signal flags and the cached pointer to the retained context.
 */

#ifndef PERUID_H
#define PERUID_H

#include <signal.h>
#include <sys/types.h>

#include "apr.h"
#include "apr_pools.h"
#include "httpd.h"
#include "http_config.h"
#include "http_log.h"
#include "ap_mpm.h"
#include "unixd.h"
#include "scoreboard.h"

#include "peruid_logno.h"

#define PERUID_MODULE_NAME "mpm_peruid"

/* Compile-time bounds (hard limits, like prefork's MAX_SERVER_LIMIT). */
#define PERUID_MAX_SERVER_LIMIT   20000
#define PERUID_MAX_POOLS          4096   /* distinct user/group pairs   */
#define PERUID_VHOST_CAPS         64     /* vhosts with MaxClientsVHost
                                          * per user (vhostcap.c)       */
#define PERUID_MAX_ROUTERS        64
#define PERUID_ROUTER_CONNS       4096   /* peeked connections/router   */
#define PERUID_MAX_PREFORKED      64     /* PeruidPreforkedWorkers      */
#define PERUID_POOL_QUEUE_BYTES   8192   /* a pool channel's send buffer:
                                          * about 20 queued connections */

/* Defaults of the directives (docs/directives.md). */
#define PERUID_DEFAULT_START          5
#define PERUID_DEFAULT_MIN_SPARE      0
#define PERUID_DEFAULT_MAX_SPARE      10
#define PERUID_DEFAULT_SERVER_LIMIT   256
#define PERUID_DEFAULT_PEEK_MAX       65536
#define PERUID_MIN_PEEK_MAX           1024
#define PERUID_DEFAULT_PEEK_TIMEOUT   apr_time_from_sec(5)
#define PERUID_DEFAULT_IDLE_TIMEOUT   apr_time_from_sec(30)
#define PERUID_MAX_TIME_SETTING       apr_time_from_sec(86400)
#define PERUID_CPUS_PER_ROUTER        4      /* PeruidRouters 0          */
#define PERUID_DEFAULT_USER_SHARE     50     /* PeruidMaxUserShare, %     */
#define PERUID_WARM_MEMORY_SHARE      4      /* PeruidWarmWorkers auto: a
                                              * 1/4 of the RAM ...       */
#define PERUID_WARM_WORKER_BYTES      (8 << 20)  /* ... at 8 MiB each    */

typedef enum {
    PERUID_ROLE_MASTER = 0,
    PERUID_ROLE_ROUTER,
    PERUID_ROLE_WORKER
} peruid_role_e;

/* Settings from the MPM directives; reset by pre_config on every read,
 * kept by config.c (peruid_settings), never across restarts. */
typedef struct {
    int start_servers;
    int min_spare;          /* idle workers the server keeps             */
    int max_spare;          /* idle workers beyond each pool's first that
                             * the server keeps                          */
    int max_workers;        /* MaxRequestWorkers: workers serving at once */
    int limit;              /* ServerLimit: bound of MaxRequestWorkers   */
    int warm;               /* PeruidWarmWorkers: workers beyond
                             * MaxRequestWorkers, idle, kept for their
                             * users (-1: automatic, peruid_warm_auto)   */
    int users;              /* distinct user/group pairs of the config   */
    int server_limit;       /* scoreboard slots: routers, MaxRequestWorkers
                             * and PeruidWarmWorkers (computed)          */
    int routers;            /* PeruidRouters (0: see peruid_router_count) */
    int max_conns_per_child;
    apr_size_t peek_max;    /* PeruidPeekMaxBytes                        */
    apr_interval_time_t peek_timeout;   /* PeruidPeekTimeout             */
    apr_interval_time_t idle_timeout;   /* PeruidIdleTimeout             */
    int preforked;          /* PeruidPreforkedWorkers                    */
    int user_share;         /* PeruidMaxUserShare: percent of
                             * MaxRequestWorkers one user's pool may hold */
    int one_process;        /* -X, -DONE_PROCESS or -DDEBUG              */
    int tls;                /* some server has TLS (mod_ssl, tls.c)      */
    int log_mark;           /* PeruidLogMark (logs.h, PERUID_LOG_MARK_*) */
    int uid_range_set;      /* LimitUIDRange or LimitGIDRange (itk.c)    */
    unsigned long uid_min, uid_max;     /* LimitUIDRange, inclusive      */
    unsigned long gid_min, gid_max;     /* LimitGIDRange, inclusive      */
} peruid_settings_t;

/* One distinct user/group pair of the configuration.  Lives across
 * restarts (keyed by uid/gid), so connections queued during a graceful
 * restart are still served.  Master-private except for the channel fds. */
typedef struct {
    uid_t uid;
    gid_t gid;
    char *user;             /* name, or NULL (#uid without passwd entry) */
    gid_t *groups;          /* supplementary groups (gid among them),
                             * looked up by the master before the pool's
                             * first worker of each generation forks     */
    int ngroups;            /* -1: not looked up yet (peruid_pools_lookup) */
    int chan_send;          /* routers send connections here             */
    int chan_recv;          /* the pool's workers receive here           */
    int back_send;          /* -1: the back channel, on which the pool's
                             * workers hand connections back to the
                             * routers, is the other direction of the
                             * pool channel (chan_recv to chan_send,
                             * pools.c); a bound preforked worker's copy
                             * of chan_recv from BIND until it closes it */
    int back_recv;          /* -1 (routers receive on chan_send)         */
    int in_config;          /* named by the current generation           */
    int fails;              /* master: workers that died in a row        */
    apr_time_t next_spawn;  /* master: no fork before (back-off)         */
    int expr;               /* PERUID_EXPR_NONE, _FREE (a slot kept for an
                             * AssignUserIDExpr user) or _GIVEN
                             * (exprpool.h)                              */
    int expr_asks;          /* it serves a vhost with an Expr: its
                             * workers may ask for Expr users' pools     */
    int expr_claims;        /* master: slots given on its workers' asking
                             * in this generation                        */
} peruid_pool_t;

/* Shared-memory counters of one pool, written by routers, its workers
 * and the master with atomics.  They decide nothing for the master (its
 * planner reads the kernel, its own table and the routers' page, see
 * schedule.c); routers use them as a hint of when to ask for a pass.
 * idle is signed: ready workers minus connections dispatched to them;
 * below zero, connections wait for a worker. */
typedef struct {
    volatile apr_uint32_t idle;
    volatile apr_uint32_t starting;
    volatile apr_uint32_t last_retire;  /* workers: the second (apr_time
                                     * seconds) one last left for being
                                     * idle; one a second per pool       */
    volatile apr_uint32_t done;     /* workers: connections they finished
                                     * (wraps); routers weigh the pool's
                                     * requests in flight with it, within
                                     * bounds only the master and routers
                                     * write (router.c, gate.c)          */
    volatile apr_uint32_t vhost_busy[PERUID_VHOST_CAPS];  /* workers: per
                                     * vhost with MaxClientsVHost, its
                                     * requests being served (vhostcap.c) */
} peruid_pool_stat_t;

/* What the master knows of each scoreboard slot.  Master-private: the
 * scoreboard itself is writable by every child (and the code a worker
 * runs), so pids and roles are taken from here, never from there. */
typedef struct {
    int role;               /* peruid_role_e, MASTER = free              */
    int pool;               /* worker's pool index                       */
    pid_t pid;
    ap_generation_t generation;
    int leaving;            /* asked to leave (graceful, make room)      */
    apr_time_t started;     /* forked, or bound to its pool              */
    apr_time_t leave_asked; /* when the planner asked it to leave (0: it
                             * did not); killed after the grace period   */
    int seen_waiting;       /* the kernel showed it waiting for a
                             * connection: no longer starting            */
    int bind_send;          /* preforked worker, unbound: the master's
                             * end of its bind socket, else -1           */
    int bind_recv;          /* the child's end (-1 in the master once
                             * forked)                                   */
} peruid_slot_t;


/* The context that survives restarts (ap_retained_data_get). */
typedef struct {
    ap_unixd_mpm_retained_data *mpm;
    int first_server_limit; /* scoreboard slots, fixed at first start   */
    int first_limit;        /* ServerLimit then                          */
    int max_daemons_used;   /* high-water mark of scoreboard slots       */
    peruid_pool_t *pools;   /* PERUID_MAX_POOLS entries, malloc'd once   */
    int npools;
    void *stats;            /* shared mapping: PERUID_MAX_POOLS pages    */
    apr_size_t stats_stride;    /* one page per pool                     */
    volatile apr_uint32_t *last_used;   /* shared, master and routers
                                 * only: per pool, the second (since the
                                 * master started) of its last dispatch */
    volatile apr_uint32_t *sent;    /* same page: per pool, connections
                                 * the routers sent it (wraps)           */
    volatile apr_uint32_t *live;    /* same page: per pool, its workers
                                 * (master, every pass; gate.h)          */
    volatile apr_uint32_t *adjust;  /* same page: per pool, the master's
                                 * correction of its requests in flight  */
    volatile apr_uint32_t *done_pass;   /* same page: per pool, its done
                                 * counter as the master read it then    */
    volatile apr_uint32_t *held_at;     /* same page: per pool, the second
                                 * a router last held a connection for it
                                 * at MaxRequestWorkers                  */
    struct peruid_gate_page_s *gate;    /* same page: the totals         */
    apr_time_t epoch;           /* when the master started               */
    int ctl_send;           /* routers -> master: spawn requests         */
    int ctl_recv;
    peruid_slot_t *slots;   /* first_server_limit entries                */
    peruid_pool_t router;   /* the routers' identity (PeruidRouterUser); no
                             * channel                                   */
    volatile apr_uint32_t *expr_page;   /* shared: per pool, the user the
                             * master gave an Expr slot to (exprpool.c);
                             * only the master writes it, routers map it
                             * read-only, workers not at all             */
    pid_t master_pid;
} peruid_retained_t;

/* Per-server (vhost) configuration: AssignUserID. */
typedef struct {
    const char *user;
    const char *group;
    uid_t uid;
    gid_t gid;
    int set;
    int pool;               /* index in the pool table, -1 until known   */
    int tls;                /* mod_ssl serves TLS for it (tls.c)         */
    int nice;               /* NiceValue (itk.c), when nice_set          */
    int nice_set;
    const char *nice_where; /* file:line of that NiceValue               */
    int max_clients;        /* MaxClientsVHost (itk.c), 0: none          */
    int cap_slot;           /* its counter on the pool page (vhostcap.c) */
    apr_array_header_t *perdir_pools;   /* pools (int) its per-directory
                             * AssignUserIDs name, NULL: none (perdir.c) */
} peruid_server_conf_t;

extern module AP_MODULE_DECLARE_DATA mpm_peruid_module;

#ifndef PERUID_MODULE_FILE     /* AP_DECLARE_MODULE does it there */
APLOG_USE_MODULE(mpm_peruid);
#endif

/* mod_mpm_peruid.c */
peruid_retained_t *peruid_retained(void);

/* config.c: this generation's settings (any process; a child has its
 * copy from the fork) */
peruid_settings_t *peruid_settings(void);

/* config.c */
extern const command_rec peruid_cmds[];
void *peruid_create_server_conf(apr_pool_t *p, server_rec *s);
void *peruid_merge_server_conf(apr_pool_t *p, void *base, void *add);
void peruid_settings_defaults(peruid_settings_t *cfg);
int peruid_settings_check(peruid_settings_t *cfg, peruid_retained_t *rd,
                          int startup, server_rec *s);
peruid_server_conf_t *peruid_server_conf(server_rec *s);
/* Master, root, config read: the record of the server a directive is
 * in, made if that server has none yet (a directive of another module
 * record, such as itk's, came first). */
peruid_server_conf_t *peruid_server_conf_cmd(cmd_parms *cmd);
int peruid_config_refuse_incompatible(server_rec *s);
int peruid_config_check_users(apr_pool_t *ptemp, server_rec *main_s);
int peruid_config_check_suexec(apr_pool_t *ptemp, server_rec *main_s);

/* pools.c */
apr_status_t peruid_pools_init(peruid_retained_t *rd);
apr_status_t peruid_pools_assign(peruid_retained_t *rd, apr_pool_t *p,
                                 server_rec *main_s);
int peruid_server_pool(server_rec *s);
void peruid_pools_lookup(peruid_retained_t *rd, int pool, server_rec *s);
int peruid_pools_add_free(peruid_retained_t *rd, server_rec *s);
void peruid_server_ids(server_rec *s, uid_t *uid, gid_t *gid,
                       const char **user);
peruid_pool_stat_t *peruid_pool_stat(peruid_retained_t *rd, int pool);
apr_status_t peruid_pools_keep_own_stats(peruid_retained_t *rd, int pool);
apr_int32_t peruid_stat_get(volatile apr_uint32_t *v);
void peruid_pool_touch(peruid_retained_t *rd, int pool, apr_time_t now);
apr_uint32_t peruid_pool_last_used(peruid_retained_t *rd, int pool);
apr_uint32_t peruid_pool_sent(peruid_retained_t *rd, int pool);
void peruid_pool_held(peruid_retained_t *rd, int pool, apr_time_t now);
int peruid_pool_was_held(peruid_retained_t *rd, int pool,
                         apr_uint32_t now_sec);
server_rec **peruid_pools_servers_in_order(apr_pool_t *p,
                                          server_rec *main_s);



#endif /* PERUID_H */
