/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/**
 * @file  mpm_peruid.h
 * @brief Public interface of the peruid MPM for other modules.
 *
 * The peruid MPM serves every virtual host in a worker process that runs
 * as that host's AssignUserID user.  Modules that want to know which
 * credentials serve the current connection (to log them, or to refuse a
 * job that would run as the wrong user) look up the optional function
 * below; it is absent when another MPM is loaded.
 *
 * @code
 *     APR_OPTIONAL_FN_TYPE(peruid_conn_credentials) *creds =
 *         APR_RETRIEVE_OPTIONAL_FN(peruid_conn_credentials);
 *     uid_t uid; gid_t gid;
 *     if (creds && creds(r->connection, &uid, &gid) == APR_SUCCESS) ...
 * @endcode
 */

#ifndef MPM_PERUID_H
#define MPM_PERUID_H

#include <sys/types.h>
#include "apr_optional.h"
#include "httpd.h"

/**
 * The user and group the current process serves @a c as.
 * @param c   the connection (may be NULL: the process's own credentials)
 * @param uid receives the worker's user id
 * @param gid receives the worker's primary group id
 * @return APR_SUCCESS in a worker; APR_ENOTIMPL in any other process
 *         (master, router), where no connection is ever served.
 */
APR_DECLARE_OPTIONAL_FN(apr_status_t, peruid_conn_credentials,
                        (conn_rec *c, uid_t *uid, gid_t *gid));

/**
 * The user name of the current worker process, or NULL outside a worker.
 * @param c the connection (may be NULL)
 */
APR_DECLARE_OPTIONAL_FN(const char *, peruid_conn_user, (conn_rec *c));

#endif /* MPM_PERUID_H */
