/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * logs.h -- each worker holds only its own users' log files (logs.c).
 *
 * The master learns which descriptors mod_log_config opened for which
 * server (it wraps mod_log_config's writer init).  At the start of each
 * generation it makes one pipe per (pool, log that pool shares with
 * other users) and forks the server's one log relay, which reads every
 * pipe and writes each line to its log with the pool's user's mark.  A
 * worker, root before its switch, puts /dev/null in place of every log
 * descriptor no server of its pool writes to, and its pool's pipe in
 * place of each shared one (logpick.h has the choice).
 */

#ifndef PERUID_LOGS_H
#define PERUID_LOGS_H

#include "apr_thread_proc.h"
#include "http_config.h"
#include "peruid.h"

/* PeruidLogMark: where a line of a log shared by several users carries
 * its writer's user, "[user NAME]" (peruid_settings()->log_mark). */
#define PERUID_LOG_MARK_PREFIX  0   /* "[user NAME] line" (the default)   */
#define PERUID_LOG_MARK_SUFFIX  1   /* "line [user NAME]"                 */
#define PERUID_LOG_MARK_OFF     2   /* "line": relayed, unmarked          */

/* Master, root, config read: PeruidLogMark prefix|suffix|off (server
 * config only). */
const char *peruid_logs_mark_cmd(cmd_parms *cmd, void *dummy,
                                 const char *arg);

/* Master, root, open_logs before mod_log_config's: wrap its writer init
 * for this generation's access logs. */
int peruid_logs_wrap(apr_pool_t *pconf, apr_pool_t *plog, apr_pool_t *ptemp,
                     server_rec *s);

/* Master, root, open_logs after mod_log_config's: refuse the start when
 * another module replaced the wrapper meanwhile (PU00087). */
int peruid_logs_check(apr_pool_t *pconf, apr_pool_t *plog,
                      apr_pool_t *ptemp, server_rec *s);

/* Master, root, at the start of each generation, its pools assigned and
 * before it forks any child (nothing with -X): the pipes of every pool's
 * shared logs, and the log relay (PU00063).  An error (logged, PU00065)
 * means that no worker could write to a shared log: the caller does not
 * start. */
apr_status_t peruid_logs_start(peruid_retained_t *rd, apr_pool_t *pconf);

/* A child of the master right after fork, root: close the pipe ends its
 * role must not hold: a router all, a worker of pool every other pool's
 * (pool < 0, a preforked worker: only the read ends). */
void peruid_logs_child(peruid_role_e role, int pool);

/* Worker, root, its pool known (also a preforked worker once bound),
 * before its switch: keep the pool's own logs, put /dev/null in place of
 * the others' and the pool's pipes in place of the shared ones.  Any
 * failure is logged (PU00086); the caller must not serve then. */
apr_status_t peruid_logs_enter(const peruid_pool_t *who, int pool,
                               apr_pool_t *p);

/* Master, root, for a child it reaped that is not in its table: returns
 * 1 if it was a log relay.  This generation's is replaced (at once, or
 * at the next tick if it lived less than a second), its death logged
 * (PU00064, at most a line a second). */
int peruid_logs_reaped(pid_t pid, apr_exit_why_e why, int status);

/* Master: this generation's log relay (0: none running now), for
 * mod_status (status.c). */
pid_t peruid_logs_relay_pid(void);

/* Master, root, once a second: relay deaths held back are logged, a
 * relay due is started. */
void peruid_logs_tick(void);

/* Master, root, at the end of a generation: close its ends of the
 * generation's pipes (its relay exits once their last writers are gone);
 * with wait (a stop or a hard restart, the workers already gone), wait
 * for the relays to write what is left (PU00066 if one does not). */
void peruid_logs_end(int wait);

#endif /* PERUID_LOGS_H */
