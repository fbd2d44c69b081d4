/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * mod_mpm_peruid.c -- module glue of the peruid MPM: the hooks httpd
 * requires of an MPM, the retained context, the module record.
 *
 * Everything here runs in the master, as root, while httpd starts,
 * reads its configuration or restarts -- except peruid_query and
 * peruid_retained, which any process may call.
 */

#include "httpd.h"
#include "apr_strings.h"
#include "http_log.h"
#include "http_main.h"
#include "http_core.h"
#include "mpm_common.h"
#include "ap_listen.h"

#define PERUID_MODULE_FILE
#include "peruid.h"
#include "master.h"
#include "child.h"
#include "segments.h"
#include "segssl.h"
#include "tls.h"
#include "itk.h"
#include "vhostcap.h"
#include "logs.h"
#include "tlskeys.h"
#include "perdir.h"
#include "status.h"
#include "reqnote.h"

/* The retained context, looked up once per process image. */
static peruid_retained_t *retained;

/* Any process: the context that survives restarts. */
peruid_retained_t *peruid_retained(void)
{
    if (!retained) {
        retained = ap_retained_data_get(PERUID_MODULE_NAME);
        if (!retained) {
            retained = ap_retained_data_create(PERUID_MODULE_NAME,
                                               sizeof(*retained));
            retained->mpm = ap_unixd_mpm_get_retained_data();
        }
    }
    return retained;
}

/* Any process: answer ap_mpm_query() as prefork does. */
static int peruid_query(int query_code, int *result, apr_status_t *rv)
{
    peruid_retained_t *rd = peruid_retained();

    *rv = APR_SUCCESS;
    switch (query_code) {
    case AP_MPMQ_MAX_DAEMON_USED:
        /* every process must see every slot (mod_status in a worker
         * forked before later slots were used) */
        *result = peruid_settings()->server_limit;
        break;
    case AP_MPMQ_IS_THREADED:
        *result = AP_MPMQ_NOT_SUPPORTED;
        break;
    case AP_MPMQ_IS_FORKED:
        *result = AP_MPMQ_DYNAMIC;
        break;
    case AP_MPMQ_HARD_LIMIT_DAEMONS:
        *result = peruid_settings()->server_limit;
        break;
    case AP_MPMQ_HARD_LIMIT_THREADS:
    case AP_MPMQ_MAX_THREADS:
        *result = 1;
        break;
    case AP_MPMQ_MIN_SPARE_DAEMONS:
        *result = peruid_settings()->min_spare;
        break;
    case AP_MPMQ_MAX_SPARE_DAEMONS:
        *result = peruid_settings()->max_spare;
        break;
    case AP_MPMQ_MIN_SPARE_THREADS:
    case AP_MPMQ_MAX_SPARE_THREADS:
        *result = 0;
        break;
    case AP_MPMQ_MAX_REQUESTS_DAEMON:
        *result = ap_max_requests_per_child;
        break;
    case AP_MPMQ_MAX_DAEMONS:
        *result = peruid_settings()->max_workers;
        break;
    case AP_MPMQ_MPM_STATE:
        *result = rd->mpm->mpm_state;
        break;
    case AP_MPMQ_GENERATION:
        *result = rd->mpm->my_generation;
        break;
    default:
        *rv = APR_ENOTIMPL;
        break;
    }
    return OK;
}

/* Any process: the MPM's name, as "apache2 -V" prints it. */
static const char *peruid_get_name(void)
{
    return "peruid";
}

/* Master, root, before each configuration read: retained context,
 * detach (second load only), defaults. */
static int peruid_pre_config(apr_pool_t *p, apr_pool_t *plog,
                             apr_pool_t *ptemp)
{
    peruid_retained_t *rd = peruid_retained();
    peruid_settings_t *cfg = peruid_settings();
    int debug = ap_exists_config_define("DEBUG");
    int foreground, no_detach;
    apr_status_t rv;

    peruid_settings_defaults(cfg);
    cfg->server_limit = rd->first_server_limit;     /* ap_mpm_query before
                                                     * check_config      */
    cfg->one_process = debug || ap_exists_config_define("ONE_PROCESS");
    foreground = debug || ap_exists_config_define("FOREGROUND");
    no_detach = !debug && ap_exists_config_define("NO_DETACH");

    rd->mpm->mpm_state = AP_MPMQ_STARTING;
    if (rd->mpm->baton != rd) {
        rd->mpm->was_graceful = 0;
        rd->mpm->baton = rd;
    }
    ++rd->mpm->module_loads;
    if (rd->mpm->module_loads == 2 && !cfg->one_process && !foreground) {
        ap_fatal_signal_setup(ap_server_conf, p);
        rv = apr_proc_detach(no_detach ? APR_PROC_DETACH_FOREGROUND
                                       : APR_PROC_DETACH_DAEMONIZE);
        if (rv != APR_SUCCESS) {
            ap_log_error(APLOG_MARK, APLOG_CRIT, rv, NULL,
                         PERUID_LOGNO(00040) "apr_proc_detach failed");
            return HTTP_INTERNAL_SERVER_ERROR;
        }
    }
    ap_listen_pre_config();
    ap_extended_status = 0;
    return OK;
}

/* Master, root, after the configuration was read: bounds. */
static int peruid_check_config(apr_pool_t *p, apr_pool_t *plog,
                               apr_pool_t *ptemp, server_rec *s)
{
    peruid_retained_t *rd = peruid_retained();

    if (peruid_config_refuse_incompatible(s) != OK
        || peruid_config_check_users(ptemp, s) != OK
        || peruid_itk_check_config(ptemp, s) != OK
        || peruid_vhostcap_check_config(ptemp, s) != OK
        || peruid_config_check_suexec(ptemp, s) != OK) {
        return !OK;
    }
    return peruid_settings_check(peruid_settings(), rd,
                                 rd->mpm->module_loads == 1, s);
}

/* Master, root: open the listeners (before core's open_logs, so startup
 * errors still reach the console). */
static int peruid_open_logs(apr_pool_t *p, apr_pool_t *plog,
                            apr_pool_t *ptemp, server_rec *s)
{
    peruid_retained_t *rd = peruid_retained();
    int startup = rd->mpm->module_loads == 1;

    if (ap_setup_listeners(ap_server_conf) < 1) {
        ap_log_error(APLOG_MARK, APLOG_ALERT | (startup ? APLOG_STARTUP : 0),
                     0, startup ? NULL : s, PERUID_LOGNO(00041)
                     "no listening sockets available, shutting down");
        return !OK;
    }
    return OK;
}

/* Master, root: the mpm hook. */
static int peruid_run(apr_pool_t *pconf, apr_pool_t *plog, server_rec *s)
{
    return peruid_master_run(peruid_retained(), pconf, plog, s);
}

/* Master, root, module load: register the hooks. */
static void peruid_hooks(apr_pool_t *p)
{
    static const char *const core_after[] = { "core.c", NULL };
    static const char *const log_config[] = { "mod_log_config.c", NULL };
    static const char *const mod_ssl[] = { "mod_ssl.c", NULL };

    ap_hook_open_logs(peruid_open_logs, NULL, core_after,
                      APR_HOOK_REALLY_FIRST);
    /* which descriptors are whose access logs (logs.c) */
    ap_hook_open_logs(peruid_logs_wrap, NULL, log_config, APR_HOOK_FIRST);
    ap_hook_open_logs(peruid_logs_check, log_config, NULL,
                      APR_HOOK_REALLY_LAST);
    ap_hook_pre_config(peruid_pre_config, NULL, NULL, APR_HOOK_REALLY_FIRST);
    ap_hook_check_config(peruid_check_config, NULL, NULL, APR_HOOK_MIDDLE);
    /* each user's own copy of the segments modules make (segments.c) */
    ap_hook_check_config(peruid_segments_check_config, NULL, NULL,
                         APR_HOOK_MIDDLE);
    ap_hook_post_config(peruid_segments_before, NULL, NULL,
                        APR_HOOK_REALLY_FIRST);
    ap_hook_post_config(peruid_segments_after, NULL, NULL,
                        APR_HOOK_REALLY_LAST);
    /* and of what mod_ssl makes: hooks right around its (segssl.c) */
    ap_hook_post_config(peruid_segssl_before, NULL, mod_ssl,
                        APR_HOOK_LAST);
    ap_hook_post_config(peruid_segssl_after, mod_ssl, NULL,
                        APR_HOOK_MIDDLE);
    ap_hook_drop_privileges(peruid_segments_drop_privileges, NULL, NULL,
                            APR_HOOK_MIDDLE);
    ap_hook_mpm(peruid_run, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_mpm_query(peruid_query, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_mpm_get_name(peruid_get_name, NULL, NULL, APR_HOOK_MIDDLE);
    peruid_worker_register_hooks(p);
    /* each user's TLS keys in its workers only (tlskeys.c) */
    peruid_tlskeys_register_hooks(p);
    peruid_tls_register_hooks(p);
    peruid_vhostcap_register_hooks(p);
    /* mod_status per user, through its status_hook (status.c) */
    peruid_status_register_hooks(p);
    peruid_reqnote_register_hooks(p);   /* the user as notes (reqnote.c) */
}

AP_DECLARE_MODULE(mpm_peruid) = {
    MPM20_MODULE_STUFF,
    NULL,                       /* hook to run before apache parses args */
    peruid_perdir_create,       /* per-directory AssignUserID (perdir.c) */
    peruid_perdir_merge,        /* the innermost wins */
    peruid_create_server_conf,  /* create per-server config structure */
    peruid_merge_server_conf,   /* merge per-server config structures */
    peruid_cmds,                /* command table */
    peruid_hooks,               /* register hooks */
    AP_MODULE_FLAG_ALWAYS_MERGE /* every vhost gets its own server config:
                                 * one without AssignUserID runs as User,
                                 * never as the main server's user */
};
