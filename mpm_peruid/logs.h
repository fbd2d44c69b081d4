/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * logs.h -- each worker holds only its own users' log files (logs.c).
 *
 * The master learns which descriptors mod_log_config opened for which
 * server (it wraps mod_log_config's writer init); a worker, root before
 * its switch, puts /dev/null in place of every log descriptor no server
 * of its pool writes to, and sends what it writes to logs shared with
 * other users through a log relay of its own, which marks each line with
 * the user (logpick.h has the choice).
 */

#ifndef PERUID_LOGS_H
#define PERUID_LOGS_H

#include "peruid.h"

/* Master, root, open_logs before mod_log_config's: wrap its writer init
 * for this generation's access logs. */
int peruid_logs_wrap(apr_pool_t *pconf, apr_pool_t *plog, apr_pool_t *ptemp,
                     server_rec *s);

/* Master, root, open_logs after mod_log_config's: refuse the start when
 * another module replaced the wrapper meanwhile (PU00087). */
int peruid_logs_check(apr_pool_t *pconf, apr_pool_t *plog,
                      apr_pool_t *ptemp, server_rec *s);

/* Worker, root, its pool known (also a preforked worker once bound),
 * before its switch: keep the pool's own logs, put /dev/null in place of
 * the others' and start the relay of the shared ones.  Any failure is
 * logged (PU00086); the caller must not serve then. */
apr_status_t peruid_logs_enter(const peruid_pool_t *who, int pool,
                               apr_pool_t *p);

#endif /* PERUID_LOGS_H */
