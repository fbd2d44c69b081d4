/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * itk.c -- mpm-itk's directives, with itk's meanings where peruid can
 * keep them, so that configurations written for itk run unchanged.
 *
 * mod_mpm_peruid.so holds a second module record, mpm_itk_module, named
 * "mpm_itk.c" (mpm_peruid.load loads it after the MPM): <IfModule
 * mpm_itk_module> and <IfModule mpm_itk.c> blocks then take effect, as
 * hosting panels write them around AssignUserID (which the MPM itself
 * reads) and the directives below.  It has no hooks: the master reads
 * its directives into the MPM's own settings and per-server records
 * (peruid.h), and the MPM acts on them:
 *
 *   NiceValue n          the vhost's workers run at that priority (a
 *                        worker, root, before its switch); a user's
 *                        vhosts that differ: the highest value (lowest
 *                        priority), with a warning at start (PU00101)
 *   LimitUIDRange a b    every AssignUserID and User must be inside,
 *   LimitGIDRange a b    else apache2 -t fails (PU00100); each worker
 *                        runs under a seccomp filter that refuses the
 *                        setuid family outside the ranges and
 *                        setgroups (uidrange.c), also for what it
 *                        executes (setuid programs)
 *   MaxClientsVHost n    the vhost's requests served at once, counted
 *                        without the scoreboard; above it a 503 from
 *                        the router, no worker spent (vhostcap.c)
 *   EnableCapabilities   accepted; it has no effect: peruid's master is
 *                        root, and no router or worker ever holds a
 *                        capability
 *   AssignUserIDExpr e   the user (name or #uid) and group (name or
 *   AssignGroupIDExpr e  #gid) of each request, from an ap_expr
 *                        evaluated once httpd has mapped the request;
 *                        the connection is handed over to that user's
 *                        pool, made on demand (exprpool.c); per server
 *                        config and virtual host, not in <Directory>
 *   PeruidExprUsers n    how many pools the master keeps free for such
 *                        users (exprpool.c)
 *
 * Every function here runs in the master, as root, while it reads the
 * configuration, unless its comment says otherwise.
 */

#include <errno.h>
#include <stdlib.h>
#include <sys/resource.h>

#include "httpd.h"
#include "apr_hash.h"
#include "apr_strings.h"
#include "http_config.h"
#include "http_log.h"
#include "http_main.h"
#include "ap_expr.h"

#include "peruid.h"
#include "itk.h"
#include "perdir.h"

/* Master, root, config read: an integer from min to max, or NULL. */
static const char *itk_long(cmd_parms *cmd, const char *arg, long min,
                            long max, long *out)
{
    char *end;

    errno = 0;
    *out = strtol(arg, &end, 10);
    if (!*arg || *end || errno || *out < min || *out > max) {
        return apr_psprintf(cmd->pool, "%s: '%s' is not an integer from "
                            "%ld to %ld", cmd->cmd->name, arg, min, max);
    }
    return NULL;
}

/* Master, root, config read: NiceValue n (a virtual host, or the main
 * server and the vhosts that set none).  As itk, a value outside -20..19
 * is brought back into it with a warning.  In <Directory> and the like
 * it is refused: a worker serves many requests and may not raise its
 * priority again once lowered. */
static const char *itk_nice(cmd_parms *cmd, void *dummy, const char *arg)
{
    peruid_server_conf_t *c = peruid_server_conf_cmd(cmd);
    const char *err = ap_check_cmd_context(cmd, NOT_IN_DIR_CONTEXT);
    long v;

    if (err) {
        return apr_pstrcat(cmd->pool, "NiceValue: ", err, " (the peruid "
                           "MPM sets it per virtual host: a worker serves "
                           "many requests of its user)", NULL);
    }
    if ((err = itk_long(cmd, arg, -1000, 1000, &v)) != NULL) {
        return err;
    }
    if (v < -20 || v > 19) {
        ap_log_error(APLOG_MARK, APLOG_STARTUP | APLOG_WARNING, 0, NULL,
                     PERUID_LOGNO(00157) "NiceValue %ld (%s:%d) is outside "
                     "-20..19; using %d",
                     v, cmd->directive->filename, cmd->directive->line_num,
                     v < -20 ? -20 : 19);
        v = v < -20 ? -20 : 19;
    }
    c->nice = (int)v;
    c->nice_set = 1;
    c->nice_where = apr_psprintf(cmd->pool, "%s:%d",
                                 cmd->directive->filename,
                                 cmd->directive->line_num);
    return NULL;
}

/* Master, root, config read: LimitUIDRange / LimitGIDRange min max
 * (cmd->info: 0 uid, 1 gid). */
static const char *itk_range(cmd_parms *cmd, void *dummy, const char *a,
                             const char *b)
{
    peruid_settings_t *cfg = peruid_settings();
    const char *err = ap_check_cmd_context(cmd, GLOBAL_ONLY);
    long lo, hi;

    if (err) {
        return err;
    }
    if ((err = itk_long(cmd, a, 0, 0x7fffffffL, &lo)) != NULL
        || (err = itk_long(cmd, b, 0, 0x7fffffffL, &hi)) != NULL) {
        return err;
    }
    if (lo > hi) {
        return apr_psprintf(cmd->pool, "%s: %ld is above %ld",
                            cmd->cmd->name, lo, hi);
    }
    if (cmd->info) {
        cfg->gid_min = (unsigned long)lo;
        cfg->gid_max = (unsigned long)hi;
    }
    else {
        cfg->uid_min = (unsigned long)lo;
        cfg->uid_max = (unsigned long)hi;
    }
    cfg->uid_range_set = 1;
    return NULL;
}

/* Master, root, config read: MaxClientsVHost n. */
static const char *itk_max_clients(cmd_parms *cmd, void *dummy,
                                   const char *arg)
{
    const char *err = ap_check_cmd_context(cmd, NOT_IN_DIR_CONTEXT);
    long v;

    if (err || (err = itk_long(cmd, arg, 0, 100000, &v)) != NULL) {
        return err;
    }
    peruid_server_conf_cmd(cmd)->max_clients = (int)v;
    return NULL;
}

/* Master, root, config read: EnableCapabilities on|off, accepted. */
static const char *itk_caps(cmd_parms *cmd, void *dummy, int on)
{
    return ap_check_cmd_context(cmd, GLOBAL_ONLY);
}

/* Any process: the itk record's part of server s's configuration; NULL
 * when mpm_peruid.load did not load the record (no LoadModule
 * mpm_itk_module: no index, no configuration). */
static peruid_itk_server_t *itk_conf(server_rec *s)
{
    if (mpm_itk_module.module_index < 0 || !s) {
        return NULL;
    }
    return ap_get_module_config(s->module_config, &mpm_itk_module);
}

/* Master, root, config read: the itk record's per-server configuration
 * (the Expr directives, PeruidExprUsers). */
static void *itk_create_server(apr_pool_t *p, server_rec *s)
{
    peruid_itk_server_t *c = apr_pcalloc(p, sizeof(*c));

    c->expr_users = -1;
    return c;
}

/* Master, root, config read: a virtual host without its own Expr takes
 * the main server's, as itk merges them. */
static void *itk_merge_server(apr_pool_t *p, void *base, void *add)
{
    peruid_itk_server_t *c = apr_pmemdup(p, add, sizeof(*c));
    const peruid_itk_server_t *b = base;

    if (!c->uid_expr) {
        c->uid_expr = b->uid_expr;
        c->uid_where = b->uid_where;
    }
    if (!c->gid_expr) {
        c->gid_expr = b->gid_expr;
        c->gid_where = b->gid_where;
    }
    return c;
}

/* Master, root, config read: AssignUserIDExpr / AssignGroupIDExpr expr
 * (cmd->info: 0 user, 1 group): an ap_expr with a string result, per
 * server config or virtual host.  In <Directory> and the like it is
 * refused: a worker decides the user once httpd has mapped the request,
 * from its vhost's expression (exprpool.c). */
static const char *itk_expr(cmd_parms *cmd, void *dummy, const char *arg)
{
    peruid_itk_server_t *c = itk_conf(cmd->server);
    const char *err = ap_check_cmd_context(cmd, NOT_IN_DIR_CONTEXT);
    ap_expr_info_t *e;

    if (err) {
        return apr_pstrcat(cmd->pool, cmd->cmd->name, ": ", err, " (the "
                           "peruid MPM reads it per virtual host)", NULL);
    }
    e = ap_expr_parse_cmd(cmd, arg, AP_EXPR_FLAG_STRING_RESULT, &err, NULL);
    if (err) {
        return apr_psprintf(cmd->pool, "%s: cannot parse '%s': %s",
                            cmd->cmd->name, arg, err);
    }
    if (cmd->info) {
        c->gid_expr = e;
        c->gid_where = apr_psprintf(cmd->pool, "%s:%d",
                                    cmd->directive->filename,
                                    cmd->directive->line_num);
    }
    else {
        c->uid_expr = e;
        c->uid_where = apr_psprintf(cmd->pool, "%s:%d",
                                    cmd->directive->filename,
                                    cmd->directive->line_num);
    }
    return NULL;
}

/* Master, root, config read: PeruidExprUsers n. */
static const char *itk_expr_users(cmd_parms *cmd, void *dummy,
                                  const char *arg)
{
    const char *err = ap_check_cmd_context(cmd, GLOBAL_ONLY);
    long v;

    if (err || (err = itk_long(cmd, arg, 0, PERUID_EXPR_USERS_MAX, &v))
               != NULL) {
        return err;
    }
    itk_conf(cmd->server)->expr_users = (int)v;
    return NULL;
}

/* Any process: see itk.h. */
const peruid_itk_server_t *peruid_itk_expr(server_rec *s)
{
    const peruid_itk_server_t *c = itk_conf(s);

    return c && (c->uid_expr || c->gid_expr) ? c : NULL;
}

/* Any process: see itk.h. */
int peruid_itk_expr_users(void)
{
    const peruid_itk_server_t *c = itk_conf(ap_server_conf);

    return c && c->expr_users >= 0 ? c->expr_users
                                   : PERUID_EXPR_USERS_DEFAULT;
}

/* Master, root, check_config: the servers with an Expr, counted; their
 * slots go into the users the settings size the server for. */
static int itk_expr_servers(server_rec *main_s)
{
    server_rec *s;
    int n = 0;

    for (s = main_s; s; s = s->next) {
        n += peruid_itk_expr(s) != NULL;
    }
    return n;
}

static const command_rec itk_cmds[] = {
    AP_INIT_TAKE1("NiceValue", itk_nice, NULL, RSRC_CONF | ACCESS_CONF,
                  "Priority of the virtual host's workers, from -20 "
                  "(highest) to 19 (lowest)"),
    AP_INIT_TAKE2("LimitUIDRange", itk_range, (void *)0, RSRC_CONF,
                  "The uids workers may switch to (inclusive)"),
    AP_INIT_TAKE2("LimitGIDRange", itk_range, (void *)1, RSRC_CONF,
                  "The gids workers may switch to (inclusive)"),
    AP_INIT_TAKE1("MaxClientsVHost", itk_max_clients, NULL, RSRC_CONF,
                  "Requests of the virtual host served at once"),
    AP_INIT_FLAG("EnableCapabilities", itk_caps, NULL, RSRC_CONF,
                 "Accepted for mpm-itk's configurations; no effect"),
    AP_INIT_RAW_ARGS("AssignUserIDExpr", itk_expr, (void *)0,
                     RSRC_CONF | ACCESS_CONF,
                     "The user (name or #uid) of each request, from an "
                     "expression"),
    AP_INIT_RAW_ARGS("AssignGroupIDExpr", itk_expr, (void *)1,
                     RSRC_CONF | ACCESS_CONF,
                     "The group (name or #gid) of each request, from an "
                     "expression"),
    AP_INIT_TAKE1("PeruidExprUsers", itk_expr_users, NULL, RSRC_CONF,
                  "Pools kept free for users that AssignUserIDExpr "
                  "chooses"),
    { NULL }
};

/* Master, root: is id inside [lo, hi]?  Else say which directive and
 * which server. */
static int itk_in_range(unsigned long id, unsigned long lo,
                        unsigned long hi, const char *what,
                        const char *directive, server_rec *s,
                        apr_pool_t *ptemp)
{
    if (id >= lo && id <= hi) {
        return 1;
    }
    ap_log_error(APLOG_MARK, APLOG_STARTUP | APLOG_EMERG, 0, NULL,
                 PERUID_LOGNO(00100) "%s %lu of %s is outside %s %lu %lu",
                 what, id, s->is_virtual
                     ? apr_psprintf(ptemp, "virtual host %s (%s:%d)",
                                    s->server_hostname, s->defn_name,
                                    s->defn_line_number)
                     : "the main server (User/Group)",
                 directive, lo, hi);
    return 0;
}

/* Master, root: every per-directory AssignUserID's (perdir.c) user and
 * group inside the ranges (named by the server of its section). */
static int itk_check_ranges_perdir(apr_pool_t *ptemp)
{
    const peruid_settings_t *cfg = peruid_settings();
    const apr_array_header_t *list = peruid_perdir_list();
    int i, ok = 1;

    for (i = 0; i < list->nelts && cfg->uid_range_set; i++) {
        const peruid_perdir_entry_t *e =
            &APR_ARRAY_IDX(list, i, peruid_perdir_entry_t);

        ok &= itk_in_range(e->d->uid, cfg->uid_min, cfg->uid_max, "uid",
                           "LimitUIDRange", e->s, ptemp);
        ok &= itk_in_range(e->d->gid, cfg->gid_min, cfg->gid_max, "gid",
                           "LimitGIDRange", e->s, ptemp);
    }
    return ok;
}

/* Master, root: every server's user and group inside the ranges. */
static int itk_check_ranges(apr_pool_t *ptemp, server_rec *main_s)
{
    const peruid_settings_t *cfg = peruid_settings();
    server_rec *s;
    int ok = 1;

    for (s = main_s; s && cfg->uid_range_set; s = s->next) {
        uid_t uid;
        gid_t gid;
        const char *user;

        peruid_server_ids(s, &uid, &gid, &user);
        ok &= itk_in_range(uid, cfg->uid_min, cfg->uid_max, "uid",
                           "LimitUIDRange", s, ptemp);
        ok &= itk_in_range(gid, cfg->gid_min, cfg->gid_max, "gid",
                           "LimitGIDRange", s, ptemp);
    }
    return ok & itk_check_ranges_perdir(ptemp);
}

/* Master, root: say when two vhosts of one user set different
 * NiceValues (their workers run at the highest). */
static void itk_check_nice(apr_pool_t *ptemp, server_rec *main_s)
{
    apr_hash_t *seen = apr_hash_make(ptemp);
    server_rec *s;

    for (s = main_s; s; s = s->next) {
        peruid_server_conf_t *c = peruid_server_conf(s);
        server_rec *first;
        uid_t uid;
        gid_t gid;
        const char *user, *key;

        if (!c->nice_set) {
            continue;
        }
        peruid_server_ids(s, &uid, &gid, &user);
        key = apr_psprintf(ptemp, "%ld:%ld", (long)uid, (long)gid);
        first = apr_hash_get(seen, key, APR_HASH_KEY_STRING);
        if (!first) {
            apr_hash_set(seen, key, APR_HASH_KEY_STRING, s);
        }
        else if (peruid_server_conf(first)->nice != c->nice) {
            ap_log_error(APLOG_MARK, APLOG_STARTUP | APLOG_WARNING, 0, NULL,
                         PERUID_LOGNO(00101) "NiceValue %d (%s) of %s and "
                         "NiceValue %d (%s) of %s: both run as uid %ld gid "
                         "%ld, whose workers serve both; they run at the "
                         "highest value", peruid_server_conf(first)->nice,
                         peruid_server_conf(first)->nice_where,
                         first->server_hostname, c->nice, c->nice_where,
                         s->server_hostname, (long)uid, (long)gid);
        }
    }
}

/* Master, root: see itk.h. */
int peruid_itk_check_config(apr_pool_t *ptemp, server_rec *main_s)
{
    module *m = ap_find_linked_module("mpm_itk.c");

    if (m && m != &mpm_itk_module) {
        ap_log_error(APLOG_MARK, APLOG_STARTUP | APLOG_EMERG, 0, NULL,
                     PERUID_LOGNO(00103) "mpm-itk itself is loaded beside "
                     "the peruid MPM; it would fork a process per "
                     "connection as root: a2dismod mpm_itk (peruid reads "
                     "its directives)");
        return !OK;
    }
    itk_check_nice(ptemp, main_s);
    if (itk_expr_servers(main_s) > 0) {     /* pools.c counts them too */
        peruid_settings()->users += peruid_itk_expr_users();
    }
    return itk_check_ranges(ptemp, main_s) ? OK : !OK;
}

/* Any process: see itk.h. */
int peruid_itk_pool_nice(int pool_index, int *nice)
{
    server_rec *s;
    int set = 0;

    for (s = ap_server_conf; s; s = s->next) {
        peruid_server_conf_t *c = peruid_server_conf(s);

        if (c->nice_set && peruid_server_pool(s) == pool_index
            && (!set || c->nice > *nice)) {
            *nice = c->nice;
            set = 1;
        }
    }
    return set;
}

/* Worker, root: see itk.h. */
apr_status_t peruid_itk_enter(const peruid_pool_t *pool, int pool_index)
{
    int nice = 0;

    if (!peruid_itk_pool_nice(pool_index, &nice)
        || setpriority(PRIO_PROCESS, 0, nice) == 0) {
        return APR_SUCCESS;
    }
    ap_log_error(APLOG_MARK, APLOG_EMERG, errno, ap_server_conf,
                 PERUID_LOGNO(00102) "worker for uid %ld: setpriority(%d) "
                 "(NiceValue) failed", (long)pool->uid, nice);
    return errno;
}

/* The second module record of mod_mpm_peruid.so.  Its name makes
 * <IfModule mpm_itk.c> true, its LoadModule name <IfModule
 * mpm_itk_module>; ap_find_linked_module("mpm_itk.c") finds it, and
 * peruid_itk_check_config tells it from the real mpm-itk. */
module AP_MODULE_DECLARE_DATA mpm_itk_module = {
    .version = MODULE_MAGIC_NUMBER_MAJOR,
    .minor_version = MODULE_MAGIC_NUMBER_MINOR,
    .module_index = -1,
    .name = "mpm_itk.c",
    .magic = MODULE_MAGIC_COOKIE,
    .create_server_config = itk_create_server,
    .merge_server_config = itk_merge_server,
    .cmds = itk_cmds
};
