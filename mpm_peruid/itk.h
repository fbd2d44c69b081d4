/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * itk.h -- mpm-itk's configuration under peruid (itk.c).
 */

#ifndef PERUID_ITK_H
#define PERUID_ITK_H

#include "httpd.h"
#include "http_config.h"

#include "peruid.h"

#include "ap_expr.h"

extern module AP_MODULE_DECLARE_DATA mpm_itk_module;

#define PERUID_EXPR_USERS_DEFAULT 16    /* PeruidExprUsers               */
#define PERUID_EXPR_USERS_MAX     1024

/* The itk record's per-server configuration. */
typedef struct {
    ap_expr_info_t *uid_expr;   /* AssignUserIDExpr, NULL: none          */
    ap_expr_info_t *gid_expr;   /* AssignGroupIDExpr, NULL: none         */
    const char *uid_where;      /* file:line of each                     */
    const char *gid_where;
    int expr_users;         /* main server: PeruidExprUsers, -1: unset   */
} peruid_itk_server_t;

/* Any process: server s's AssignUserIDExpr and AssignGroupIDExpr (its
 * own or the main server's), or NULL when it has neither. */
const peruid_itk_server_t *peruid_itk_expr(server_rec *s);

/* Any process: PeruidExprUsers (its default when not set). */
int peruid_itk_expr_users(void);

/* Master, root, check_config: the itk directives against the whole
 * configuration (LimitUIDRange and LimitGIDRange against every server's
 * user and group, NiceValue of one user's vhosts, a real mpm-itk).
 * Logs each problem; !OK refuses the configuration. */
int peruid_itk_check_config(apr_pool_t *ptemp, server_rec *main_s);

/* Worker (or preforked worker once bound), root, before its switch: run
 * at the NiceValue of pool's vhosts.  Logs and returns the error. */
apr_status_t peruid_itk_enter(const peruid_pool_t *pool, int pool_index);

/* Any process: the NiceValue pool's workers run at, and whether any of
 * its vhosts sets one. */
int peruid_itk_pool_nice(int pool_index, int *nice);

#endif /* PERUID_ITK_H */
