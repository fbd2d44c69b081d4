/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * config.c -- the peruid directives and their checks.
 *
 * Runs in the master only, as root, while httpd reads the configuration
 * (including under "apache2 -t").  Handlers store into the retained
 * context's settings or the per-server config; nothing here forks, opens
 * a socket or reads client input.  Every refusal names its directive;
 * httpd adds the file and line.
 */

#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include "httpd.h"
#include "apr_hash.h"
#include "apr_strings.h"
#include "http_log.h"
#include "http_main.h"
#include "mpm_common.h"
#include "ap_listen.h"
#include "http_config.h"
#include "unixd.h"

#include "peruid.h"
#include "sandbox.h"
#include "names.h"
#include "routeruser.h"
#include "perdir.h"
#include "logs.h"

/* Master, root, config read: the vhost's empty AssignUserID. */
void *peruid_create_server_conf(apr_pool_t *p, server_rec *s)
{
    peruid_server_conf_t *c = apr_pcalloc(p, sizeof(*c));

    c->pool = -1;
    return c;
}

/* Master, root, config read: a vhost without AssignUserID does NOT inherit
 * the main server's: it runs as User/Group, as the documentation says. */
void *peruid_merge_server_conf(apr_pool_t *p, void *base, void *add)
{
    peruid_server_conf_t *c = apr_pmemdup(p, add, sizeof(*c));
    const peruid_server_conf_t *b = base;

    c->pool = -1;
    if (!c->nice_set && b->nice_set) {  /* itk: NiceValue is inherited */
        c->nice = b->nice;
        c->nice_set = 1;
        c->nice_where = b->nice_where;
    }
    return c;
}

/* Any process: the AssignUserID of server s. */
peruid_server_conf_t *peruid_server_conf(server_rec *s)
{
    return ap_get_module_config(s->module_config, &mpm_peruid_module);
}

/* Master, root, config read: see peruid.h.  httpd makes a module's
 * record of a <VirtualHost> when the first directive of that module
 * appears in it (ap_set_config_vectors); itk's directives belong to
 * mpm_itk_module, so NiceValue before any AssignUserID finds none yet
 * (apache2 -t crashed there): it is made here the same way. */
peruid_server_conf_t *peruid_server_conf_cmd(cmd_parms *cmd)
{
    peruid_server_conf_t *c = peruid_server_conf(cmd->server);

    if (!c) {
        c = peruid_create_server_conf(cmd->pool, cmd->server);
        ap_set_module_config(cmd->server->module_config, &mpm_peruid_module,
                             c);
    }
    return c;
}

/* Master, root: the number of "#123"; -1 when malformed. */
static int peruid_parse_id(const char *arg, long *v)
{
    char *end;

    errno = 0;
    *v = strtol(arg + 1, &end, 10);
    if (arg[1] == '\0' || *end || errno || *v < 0 || *v > 0x7fffffffL) {
        return -1;
    }
    return 0;
}

/* Master, root, config read: "#123" or a name from the passwd database
 * (names.c; ptemp: the read's temporary pool). */
static const char *peruid_lookup_user(apr_pool_t *p, apr_pool_t *ptemp,
                                      const char *arg, uid_t *uid,
                                      const char **name)
{
    if (arg[0] == '#') {
        long v;

        if (peruid_parse_id(arg, &v) < 0) {
            return apr_psprintf(p, "invalid user id '%s'", arg);
        }
        *uid = (uid_t)v;
        *name = NULL;   /* looked up when the pools are built, at start
                         * only: "apache2 -t" with thousands of "#uid"
                         * vhosts spent most of its time in the name
                         * service (peruid_pools_assign) */
        return NULL;
    }
    if (peruid_names_user(p, ptemp, arg, uid, name) < 0) {
        return apr_psprintf(p, "unknown user '%s'", arg);
    }
    return NULL;
}

/* Master, root, config read: "#123" or a name from the group database
 * (names.c). */
static const char *peruid_lookup_group(apr_pool_t *p, apr_pool_t *ptemp,
                                       const char *arg, gid_t *gid)
{
    if (arg[0] == '#') {
        long v;

        if (peruid_parse_id(arg, &v) < 0) {
            return apr_psprintf(p, "invalid group id '%s'", arg);
        }
        *gid = (gid_t)v;
        return NULL;
    }
    if (peruid_names_group(ptemp, arg, gid) < 0) {
        return apr_psprintf(p, "unknown group '%s'", arg);
    }
    return NULL;
}

/* Master, root, config read: AssignUserID user group, for a virtual
 * host (the server's record) or, in <Directory>, <Location>, <Files> and
 * their Match forms, for the requests mapped there (perdir.c).  Not in
 * .htaccess: the command is not an override, so httpd refuses it there
 * ("not allowed here"). */
static const char *set_assign_user_id(cmd_parms *cmd, void *dconf,
                                      const char *user, const char *group)
{
    peruid_server_conf_t *c = peruid_server_conf(cmd->server);
    const char *name = NULL, *err;
    uid_t uid;
    gid_t gid;

    if ((err = peruid_perdir_check_section(cmd)) != NULL) {
        return err;
    }
    if ((err = peruid_lookup_user(cmd->pool, cmd->temp_pool, user, &uid,
                                  &name))
        || (err = peruid_lookup_group(cmd->pool, cmd->temp_pool, group,
                                      &gid))) {
        return apr_pstrcat(cmd->pool, "AssignUserID: ", err, NULL);
    }
    if (cmd->path) {
        return peruid_perdir_set(cmd, dconf, uid, gid, name);
    }
    if (uid == 0) {
        return "AssignUserID: refusing to serve a virtual host as uid 0 "
               "(root)";
    }
    if (gid == 0) {
        return "AssignUserID: refusing to serve a virtual host as gid 0";
    }
    c->uid = uid;
    c->gid = gid;
    c->user = name;
    c->group = group;
    c->set = 1;
    return NULL;
}

/* Master, root, config read: a positive integer for directive name. */
static const char *peruid_int_arg(cmd_parms *cmd, const char *arg, int min,
                                  int *out)
{
    char *end;
    long v;

    errno = 0;
    v = strtol(arg, &end, 10);
    if (*arg == '\0' || *end || errno || v < min || v > 0x7fffffffL) {
        return apr_psprintf(cmd->pool, "%s: '%s' is not an integer >= %d",
                            cmd->cmd->name, arg, min);
    }
    *out = (int)v;
    return NULL;
}

/* Master, root, config read: the MPM's integer directives.  cmd->info is
 * the offset of the field in peruid_settings_t. */
static const char *set_int_setting(cmd_parms *cmd, void *dummy,
                                   const char *arg)
{
    peruid_settings_t *cfg = peruid_settings();
    int min = (!strcasecmp(cmd->cmd->name, "ServerLimit")
               || !strcasecmp(cmd->cmd->name, "MaxRequestWorkers")
               || !strcasecmp(cmd->cmd->name, "MaxClients")) ? 1 : 0;
    const char *err = ap_check_cmd_context(cmd, GLOBAL_ONLY);
    int v;

    if (err) {
        return err;
    }
    if ((err = peruid_int_arg(cmd, arg, min, &v))) {
        return err;
    }
    if (!strcasecmp(cmd->cmd->name, "MaxClients")) {
        ap_log_error(APLOG_MARK, APLOG_INFO, 0, NULL, PERUID_LOGNO(00001)
                     "MaxClients is deprecated, use MaxRequestWorkers");
    }
    *(int *)((char *)cfg + (apr_uintptr_t)cmd->info) = v;
    return NULL;
}

/* Master, root, config read: PeruidPeekMaxBytes bytes. */
static const char *set_peek_max(cmd_parms *cmd, void *dummy, const char *arg)
{
    const char *err = ap_check_cmd_context(cmd, GLOBAL_ONLY);
    int v;

    if (err || (err = peruid_int_arg(cmd, arg, PERUID_MIN_PEEK_MAX, &v))) {
        return err;
    }
    peruid_settings()->peek_max = (apr_size_t)v;
    return NULL;
}

/* Master, root, config read: PeruidPreforkedWorkers, 0 to
 * PERUID_MAX_PREFORKED. */
static const char *set_preforked(cmd_parms *cmd, void *dummy,
                                 const char *arg)
{
    const char *err = ap_check_cmd_context(cmd, GLOBAL_ONLY);
    int v;

    if (err || (err = peruid_int_arg(cmd, arg, 0, &v))) {
        return err;
    }
    if (v > PERUID_MAX_PREFORKED) {
        return apr_psprintf(cmd->pool, "%s: '%s' is more than %d",
                            cmd->cmd->name, arg, PERUID_MAX_PREFORKED);
    }
    peruid_settings()->preforked = v;
    return NULL;
}

/* Master, root, config read: PeruidMaxUserShare, a percentage of
 * MaxRequestWorkers, 1 to 100, with or without a "%". */
static const char *set_user_share(cmd_parms *cmd, void *dummy,
                                  const char *arg)
{
    const char *err = ap_check_cmd_context(cmd, GLOBAL_ONLY);
    apr_size_t n = strlen(arg);
    int v;

    if (err) {
        return err;
    }
    if (n > 1 && arg[n - 1] == '%') {
        arg = apr_pstrmemdup(cmd->temp_pool, arg, n - 1);
    }
    if ((err = peruid_int_arg(cmd, arg, 1, &v)) || v > 100) {
        return apr_psprintf(cmd->pool, "%s: '%s' is not a percentage "
                            "from 1 to 100", cmd->cmd->name, arg);
    }
    peruid_settings()->user_share = v;
    return NULL;
}

/* Master, root, config read: a time in seconds, or with an "ms" suffix.
 * cmd->info is the offset of the field in peruid_settings_t. */
static const char *set_time_setting(cmd_parms *cmd, void *dummy,
                                    const char *arg)
{
    peruid_settings_t *cfg = peruid_settings();
    const char *err = ap_check_cmd_context(cmd, GLOBAL_ONLY);
    apr_interval_time_t t;

    if (err) {
        return err;
    }
    if (ap_timeout_parameter_parse(arg, &t, "s") != APR_SUCCESS || t <= 0
        || t > PERUID_MAX_TIME_SETTING) {
        return apr_psprintf(cmd->pool, "%s: '%s' is not a time between 1ms "
                            "and one day (seconds, or e.g. 500ms)",
                            cmd->cmd->name, arg);
    }
    *(apr_interval_time_t *)((char *)cfg + (apr_uintptr_t)cmd->info) = t;
    return NULL;
}

const command_rec peruid_cmds[] = {
    LISTEN_COMMANDS,
    AP_INIT_TAKE2("AssignUserID", set_assign_user_id, NULL,
                  RSRC_CONF | ACCESS_CONF, "user and group that serve this "
                  "virtual host, or the requests mapped to this section"),
    AP_INIT_TAKE1("StartServers", set_int_setting,
                  (void *)APR_OFFSETOF(peruid_settings_t, start_servers),
                  RSRC_CONF, "Number of workers started at server startup"),
    AP_INIT_TAKE1("MinSpareServers", set_int_setting,
                  (void *)APR_OFFSETOF(peruid_settings_t, min_spare),
                  RSRC_CONF, "Idle workers the whole server keeps"),
    AP_INIT_TAKE1("MaxSpareServers", set_int_setting,
                  (void *)APR_OFFSETOF(peruid_settings_t, max_spare),
                  RSRC_CONF, "Idle workers beyond each user's first "
                  "above which the server shrinks"),
    AP_INIT_TAKE1("MaxRequestWorkers", set_int_setting,
                  (void *)APR_OFFSETOF(peruid_settings_t, max_workers),
                  RSRC_CONF, "Maximum number of requests served at once"),
    AP_INIT_TAKE1("MaxClients", set_int_setting,
                  (void *)APR_OFFSETOF(peruid_settings_t, max_workers),
                  RSRC_CONF, "Deprecated name of MaxRequestWorkers"),
    AP_INIT_TAKE1("ServerLimit", set_int_setting,
                  (void *)APR_OFFSETOF(peruid_settings_t, limit),
                  RSRC_CONF, "Upper bound of MaxRequestWorkers for the "
                  "life of the master"),
    AP_INIT_TAKE1("PeruidWarmWorkers", set_int_setting,
                  (void *)APR_OFFSETOF(peruid_settings_t, warm),
                  RSRC_CONF, "Idle workers kept for their users beyond "
                  "MaxRequestWorkers"),
    AP_INIT_TAKE1("PeruidRouters", set_int_setting,
                  (void *)APR_OFFSETOF(peruid_settings_t, routers),
                  RSRC_CONF, "Number of router processes (0: one per 4 "
                  "CPUs, at least 1)"),
    AP_INIT_FLAG("PeruidNoNewPrivs", peruid_sandbox_nnp_cmd, NULL,
                 RSRC_CONF, "On (default): workers get no_new_privs and a "
                 "filter on the setuid family; Off: setuid and setgid "
                 "helpers (sendmail) keep their privileges"),
    AP_INIT_TAKE12("PeruidRouterUser", peruid_router_user_cmd, NULL,
                   RSRC_CONF, "User (and group) the routers run as; no "
                   "virtual host may run as it"),
    AP_INIT_TAKE1("PeruidPeekMaxBytes", set_peek_max, NULL, RSRC_CONF,
                  "Largest request head a router reads before routing"),
    AP_INIT_TAKE1("PeruidPeekTimeout", set_time_setting,
                  (void *)APR_OFFSETOF(peruid_settings_t, peek_timeout),
                  RSRC_CONF, "Time a client has to send its request head"),
    AP_INIT_TAKE1("PeruidIdleTimeout", set_time_setting,
                  (void *)APR_OFFSETOF(peruid_settings_t, idle_timeout),
                  RSRC_CONF, "Time an idle worker waits before it exits"),
    AP_INIT_TAKE1("PeruidPreforkedWorkers", set_preforked, NULL, RSRC_CONF,
                  "Workers forked ahead of need, not yet bound to a user"),
    AP_INIT_TAKE1("PeruidMaxUserShare", set_user_share, NULL, RSRC_CONF,
                  "Share of MaxRequestWorkers one user's workers may hold, "
                  "in percent"),
    AP_INIT_TAKE1("PeruidLogMark", peruid_logs_mark_cmd, NULL, RSRC_CONF,
                  "Where the relay marks lines of logs shared by several "
                  "users with the writer's user: prefix (default), suffix "
                  "or off"),
    AP_GRACEFUL_SHUTDOWN_TIMEOUT_COMMAND,
    { NULL }
};

/* This generation's settings: written while the master reads the
 * configuration, read by every process (a child has its copy from the
 * fork).  Not retained: every read starts from the defaults. */
static peruid_settings_t settings;

/* Any process: see peruid.h. */
peruid_settings_t *peruid_settings(void)
{
    return &settings;
}

/* Master, root, pre_config: the defaults, before each read. */
void peruid_settings_defaults(peruid_settings_t *cfg)
{
    cfg->start_servers = PERUID_DEFAULT_START;
    cfg->min_spare = PERUID_DEFAULT_MIN_SPARE;
    cfg->max_spare = PERUID_DEFAULT_MAX_SPARE;
    cfg->limit = PERUID_DEFAULT_SERVER_LIMIT;
    cfg->max_workers = -1;              /* ServerLimit */
    cfg->warm = -1;                     /* peruid_warm_auto */
    cfg->routers = 0;
    cfg->peek_max = PERUID_DEFAULT_PEEK_MAX;
    cfg->peek_timeout = PERUID_DEFAULT_PEEK_TIMEOUT;
    cfg->idle_timeout = PERUID_DEFAULT_IDLE_TIMEOUT;
    cfg->preforked = 0;
    cfg->user_share = PERUID_DEFAULT_USER_SHARE;
    cfg->tls = 0;
    cfg->log_mark = PERUID_LOG_MARK_PREFIX;
    cfg->uid_range_set = 0;
    cfg->uid_min = cfg->gid_min = 1;
    cfg->uid_max = cfg->gid_max = 0xfffffffeUL;
    peruid_router_user_defaults();
}

/* Master, root: how many routers.  PeruidRouters 0: one per
 * PERUID_CPUS_PER_ROUTER online CPUs, at least one.  A router does a few
 * system calls per connection, so one keeps up with many thousands of new
 * connections a second; routers beyond the need only wake more often for
 * smaller batches (docs/benchmarks.md has the measurements). */
static int peruid_router_count(const peruid_settings_t *cfg)
{
    long n = cfg->routers;

    if (n <= 0) {
        n = sysconf(_SC_NPROCESSORS_ONLN) / PERUID_CPUS_PER_ROUTER;
    }
    if (n < 1) {
        n = 1;
    }
    return n > PERUID_MAX_ROUTERS ? PERUID_MAX_ROUTERS : (int)n;
}

/* Master, root: the one-line log of a bound that was corrected. */
static void peruid_adjust(int startup, server_rec *s, const char *msg)
{
    ap_log_error(APLOG_MARK, APLOG_WARNING | (startup ? APLOG_STARTUP : 0),
                 0, startup ? NULL : s, PERUID_LOGNO(00002) "%s", msg);
}

/* Master, root, check_config: the modules that run programs outside any
 * worker.  mod_cgid runs CGI programs from one daemon, and mod_fcgid
 * FastCGI applications from one process manager, both forked as User:
 * those programs would never run as the vhost's AssignUserID user, and
 * mod_fcgid's sockets are reachable by User only, so a worker's request
 * would hang until its timeouts.  Returns 1 when one is loaded. */
static int peruid_refuse_modules(void)
{
    int bad = 0;

    if (ap_find_linked_module("mod_cgid.c")) {
        ap_log_error(APLOG_MARK, APLOG_STARTUP | APLOG_EMERG, 0, NULL,
                     PERUID_LOGNO(00008) "mod_cgid cannot run CGI programs "
                     "as each vhost's AssignUserID user; load mod_cgi "
                     "instead (a2dismod cgid; a2enmod cgi)");
        bad = 1;
    }
    if (ap_find_linked_module("mod_fcgid.c")) {
        ap_log_error(APLOG_MARK, APLOG_STARTUP | APLOG_EMERG, 0, NULL,
                     PERUID_LOGNO(00050) "mod_fcgid starts FastCGI "
                     "applications from one process manager running as "
                     "User, never as each vhost's AssignUserID user; "
                     "unload it (a2dismod fcgid) and use mod_php, or "
                     "mod_proxy_fcgi with a php-fpm pool per user whose "
                     "socket only that user can reach (listen.owner, "
                     "listen.mode = 0600)");
        bad = 1;
    }
    return bad;
}

/* Master, root: the first "SSLEngine optional" below dir (depth first). */
static const ap_directive_t *peruid_find_tls_upgrade(const ap_directive_t *dir)
{
    const ap_directive_t *found;

    for (; dir; dir = dir->next) {
        if (!strcasecmp(dir->directive, "SSLEngine") && dir->args
            && (!strcasecmp(dir->args, "optional")
                || !strcasecmp(dir->args, "\"optional\""))) {
            return dir;
        }
        if (dir->first_child
            && (found = peruid_find_tls_upgrade(dir->first_child)) != NULL) {
            return found;
        }
    }
    return NULL;
}

/* Master, root, check_config: "SSLEngine optional", TLS started by an
 * HTTP Upgrade inside a request (RFC 2817).  mod_ssl gives such servers
 * no init_server hook, so their keys could not be kept from other users'
 * workers (tlskeys.c); no browser asks for it.  Returns 1 when set. */
static int peruid_refuse_tls_upgrade(void)
{
    const ap_directive_t *d = peruid_find_tls_upgrade(ap_conftree);

    if (!d) {
        return 0;
    }
    ap_log_error(APLOG_MARK, APLOG_STARTUP | APLOG_EMERG, 0, NULL,
                 PERUID_LOGNO(00051) "SSLEngine %s (%s:%d): TLS upgrades "
                 "inside HTTP (RFC 2817) are not served by the peruid MPM; "
                 "use \"SSLEngine on\" in a virtual host of an https "
                 "listener", d->args, d->filename ? d->filename : "-",
                 d->line_num);
    return 1;
}

/* Master, root, check_config: refuse what peruid cannot serve safely:
 * programs started outside the workers (peruid_refuse_modules) and TLS
 * upgrades (peruid_refuse_tls_upgrade).  Each refusal is logged; all
 * are.  A listener of a protocol other than http and https is served:
 * routers route it by its address alone (route.c,
 * peruid_route_not_http). */
int peruid_config_refuse_incompatible(server_rec *s)
{
    int bad = peruid_refuse_modules();

    bad |= peruid_refuse_tls_upgrade();
    return bad ? !OK : OK;
}

/* Master, root: the suEXEC identity httpd would give CGI programs of
 * server s (mod_suexec's SuexecUserGroup), asked through httpd's own
 * hook with a request that has no URI; NULL when there is none. */
static ap_unix_identity_t *peruid_suexec_identity(apr_pool_t *ptemp,
                                                  server_rec *s)
{
    request_rec *r = apr_pcalloc(ptemp, sizeof(*r));
    conn_rec *c = apr_pcalloc(ptemp, sizeof(*c));

    c->pool = ptemp;
    c->base_server = s;
    c->notes = apr_table_make(ptemp, 1);
    r->pool = ptemp;
    r->server = s;
    r->connection = c;
    r->uri = r->unparsed_uri = "/";
    r->per_dir_config = s->lookup_defaults;
    r->request_config = ap_create_request_config(ptemp);
    r->notes = apr_table_make(ptemp, 1);
    r->headers_in = apr_table_make(ptemp, 1);
    r->subprocess_env = apr_table_make(ptemp, 1);
    return ap_run_get_suexec_identity(r);
}

/* Master, root, check_config: suEXEC.  The suexec binary runs only for
 * User's group, and a worker is already the vhost's user: workers run CGI
 * programs themselves (peruid_suexec_off).  So a SuexecUserGroup that
 * names the server's own user and group simply holds; one that names
 * another cannot, and is refused here rather than answered with 500s. */
int peruid_config_check_suexec(apr_pool_t *ptemp, server_rec *main_s)
{
    server_rec *s;
    int bad = 0;

    for (s = main_s; s; s = s->next) {
        ap_unix_identity_t *id = peruid_suexec_identity(ptemp, s);
        uid_t uid;
        gid_t gid;
        const char *user;

        if (!id) {
            continue;
        }
        peruid_server_ids(s, &uid, &gid, &user);
        if (id->uid == uid && id->gid == gid) {
            continue;
        }
        ap_log_error(APLOG_MARK, APLOG_STARTUP | APLOG_EMERG, 0, NULL,
                     PERUID_LOGNO(00049) "SuexecUserGroup #%ld #%ld in %s "
                     "%s (%s:%d): under the peruid MPM CGI programs run as "
                     "the server's own user, uid %ld gid %ld%s, and "
                     "suEXEC cannot switch to another; write \"AssignUserID"
                     " #%ld #%ld\" in that server instead (its files, PHP "
                     "and CGI then all run as that user), or give "
                     "SuexecUserGroup the same user and group",
                     (long)id->uid, (long)id->gid,
                     s->is_virtual ? "virtual host" : "the main server",
                     s->is_virtual ? s->server_hostname : "",
                     s->defn_name ? s->defn_name : "-", s->defn_line_number,
                     (long)uid, (long)gid,
                     peruid_server_conf(s)->set ? " (AssignUserID)"
                                                : " (User/Group)",
                     (long)id->uid, (long)id->gid);
        bad = 1;
    }
    return bad ? !OK : OK;
}

/* Master, root, check_config: add the pairs of the per-directory
 * AssignUserIDs (perdir.c; uid 0 and gid 0 were refused as they were
 * read) to pairs, "uid:gid" keys. */
static void config_count_perdir(apr_pool_t *ptemp, apr_hash_t *pairs)
{
    const apr_array_header_t *list = peruid_perdir_list();
    int i;

    for (i = 0; i < list->nelts; i++) {
        const peruid_dir_conf_t *d =
            APR_ARRAY_IDX(list, i, peruid_perdir_entry_t).d;
        char *key = apr_psprintf(ptemp, "%ld:%ld", (long)d->uid,
                                 (long)d->gid);

        apr_hash_set(pairs, key, APR_HASH_KEY_STRING, key);
    }
}

/* Master, root, check_config: every server's user and group (its
 * AssignUserID, or User/Group) and every per-directory AssignUserID's
 * pair is not root, the distinct pairs fit the
 * pool table, and none is the routers' user (routeruser.c) -- refused at
 * "apache2 -t", not at start. */
int peruid_config_check_users(apr_pool_t *ptemp, server_rec *main_s)
{
    apr_hash_t *pairs = apr_hash_make(ptemp);
    server_rec *s;

    for (s = main_s; s; s = s->next) {
        uid_t uid;
        gid_t gid;
        const char *user;
        char *key;

        peruid_server_ids(s, &uid, &gid, &user);
        if (uid == 0 || gid == 0) {
            ap_log_error(APLOG_MARK, APLOG_STARTUP | APLOG_EMERG, 0, NULL,
                         PERUID_LOGNO(00042) "%s%s%s would run as uid %ld "
                         "gid %ld: the peruid MPM never serves as root; set "
                         "User and Group (or AssignUserID) to another user",
                         s->is_virtual ? "virtual host " : "the main server",
                         s->is_virtual ? s->server_hostname : "",
                         s->is_virtual ? apr_psprintf(ptemp, " (%s:%d)",
                                         s->defn_name, s->defn_line_number)
                                       : "", (long)uid, (long)gid);
            return !OK;
        }
        key = apr_psprintf(ptemp, "%ld:%ld", (long)uid, (long)gid);
        apr_hash_set(pairs, key, APR_HASH_KEY_STRING, key);
    }
    config_count_perdir(ptemp, pairs);
    peruid_settings()->users = (int)apr_hash_count(pairs);
    if (apr_hash_count(pairs) > PERUID_MAX_POOLS) {
        ap_log_error(APLOG_MARK, APLOG_STARTUP | APLOG_EMERG, 0, NULL,
                     PERUID_LOGNO(00043) "AssignUserID: %u distinct "
                     "user/group pairs, at most %d are supported",
                     apr_hash_count(pairs), PERUID_MAX_POOLS);
        return !OK;
    }
    return peruid_router_user_check(ptemp, main_s);
}

/* Master, root: PeruidWarmWorkers when not set: an idle worker for every
 * user of the configuration plus MaxSpareServers spares, within a
 * quarter of the RAM at PERUID_WARM_WORKER_BYTES a worker (what a
 * mod_php worker that served PHP may keep; docs/directives.md). */
static int peruid_warm_auto(int users, int max_spare)
{
    long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
    apr_int64_t by_memory = PERUID_MAX_SERVER_LIMIT;
    apr_int64_t want = (apr_int64_t)users + max_spare;

    if (pages > 0 && page > 0) {
        by_memory = (apr_int64_t)pages * page / PERUID_WARM_MEMORY_SHARE
                    / PERUID_WARM_WORKER_BYTES;
    }
    if (want > by_memory) {
        want = by_memory;
    }
    return want > 0 ? (int)want : 1;
}

/* Master, root, check_config: ServerLimit, MaxRequestWorkers and the
 * routers, as prefork bounds ServerLimit and MaxRequestWorkers (the
 * routers take no slot of ServerLimit: they serve no request). */
static void peruid_settings_limits(peruid_settings_t *cfg,
                                   peruid_retained_t *rd, int startup,
                                   server_rec *s)
{
    apr_pool_t *p = s->process->pool;
    int top = PERUID_MAX_SERVER_LIMIT - PERUID_MAX_ROUTERS;

    if (cfg->limit > top) {
        peruid_adjust(startup, s, apr_psprintf(p, "ServerLimit %d exceeds "
                      "the compile-time limit %d; using it", cfg->limit,
                      top));
        cfg->limit = top;
    }
    if (rd->first_limit && cfg->limit != rd->first_limit) {
        peruid_adjust(startup, s, apr_psprintf(p, "changing ServerLimit to "
                      "%d from %d is not allowed during a restart",
                      cfg->limit, rd->first_limit));
        cfg->limit = rd->first_limit;
    }
    cfg->routers = peruid_router_count(cfg);
    if (cfg->max_workers < 0) {
        cfg->max_workers = cfg->limit;
    }
    else if (cfg->max_workers > cfg->limit) {
        peruid_adjust(startup, s, apr_psprintf(p, "MaxRequestWorkers %d "
                      "exceeds ServerLimit %d; lowering it to %d (raise "
                      "ServerLimit to allow more)", cfg->max_workers,
                      cfg->limit, cfg->limit));
        cfg->max_workers = cfg->limit;
    }
}

/* Master, root, check_config: the scoreboard's slots.  At the first
 * start: ServerLimit, the routers and the warm workers (the automatic
 * value may grow with the users, so it reserves what the memory allows).
 * A restart keeps them: what no longer fits comes off the warm workers,
 * then off MaxRequestWorkers, with a warning naming the directive. */
static void peruid_settings_slots(peruid_settings_t *cfg,
                                  peruid_retained_t *rd, int startup,
                                  server_rec *s)
{
    apr_pool_t *p = s->process->pool;
    int is_auto = cfg->warm < 0, room;

    cfg->warm = is_auto ? peruid_warm_auto(cfg->users, cfg->max_spare)
                        : cfg->warm;
    if (!rd->first_server_limit) {
        room = is_auto ? peruid_warm_auto(PERUID_MAX_POOLS, cfg->max_spare)
                       : cfg->warm;
        if (room > PERUID_MAX_SERVER_LIMIT - cfg->limit - cfg->routers) {
            room = PERUID_MAX_SERVER_LIMIT - cfg->limit - cfg->routers;
        }
        cfg->warm = cfg->warm > room ? room : cfg->warm;
        rd->first_limit = cfg->limit;
        rd->first_server_limit = cfg->limit + cfg->routers + room;
    }
    cfg->server_limit = rd->first_server_limit;
    room = cfg->server_limit - cfg->routers - cfg->max_workers;
    if (room < 0) {
        peruid_adjust(startup, s, apr_psprintf(p, "PeruidRouters %d and "
                      "MaxRequestWorkers %d exceed the %d slots fixed at "
                      "the first start; lowering MaxRequestWorkers to %d",
                      cfg->routers, cfg->max_workers, cfg->server_limit,
                      cfg->max_workers + room));
        cfg->max_workers += room;
        if (cfg->max_workers < 1) {     /* a worker at least */
            cfg->max_workers = 1;
            cfg->routers = cfg->server_limit - 1;
        }
        room = 0;
    }
    if (cfg->warm > room) {
        peruid_adjust(startup, s, apr_psprintf(p, "PeruidWarmWorkers %d%s "
                      "exceeds the %d slots left of those fixed at the "
                      "first start; using %d until a full restart",
                      cfg->warm, is_auto ? " (automatic)" : "", room,
                      room));
        cfg->warm = room;
    }
}

/* Master, root, check_config: bring the settings within their bounds, as
 * prefork does: the scoreboard is fixed for the life of the master. */
int peruid_settings_check(peruid_settings_t *cfg, peruid_retained_t *rd,
                          int startup, server_rec *s)
{
    apr_pool_t *p = s->process->pool;

    peruid_settings_limits(cfg, rd, startup, s);
    if (cfg->max_spare < cfg->min_spare + 1) {
        peruid_adjust(startup, s, apr_psprintf(p, "MaxSpareServers %d is "
                      "below MinSpareServers + 1; raising it to %d",
                      cfg->max_spare, cfg->min_spare + 1));
        cfg->max_spare = cfg->min_spare + 1;
    }
    if (cfg->start_servers > cfg->max_workers) {
        cfg->start_servers = cfg->max_workers;
    }
    peruid_settings_slots(cfg, rd, startup, s);
    peruid_sandbox_check(s->process->pconf, startup, s);
    return OK;
}
