/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * mod_peruid_probe.c -- a test module that uses the peruid MPM's public
 * header the way other modules would: it looks up the optional functions
 * of include/mpm_peruid.h and prints what they answer for the current
 * connection ("SetHandler peruid-probe").  Used by t/optional_fn.t only.
 */

#include "httpd.h"
#include "http_config.h"
#include "http_protocol.h"
#include "apr_optional.h"

#include "mpm_peruid.h"

static APR_OPTIONAL_FN_TYPE(peruid_conn_credentials) *probe_creds;
static APR_OPTIONAL_FN_TYPE(peruid_conn_user) *probe_user;

/* Any process, module load: find the MPM's optional functions. */
static void probe_retrieve(void)
{
    probe_creds = APR_RETRIEVE_OPTIONAL_FN(peruid_conn_credentials);
    probe_user = APR_RETRIEVE_OPTIONAL_FN(peruid_conn_user);
}

/* Worker: print the answers as "key=value" lines. */
static int probe_handler(request_rec *r)
{
    uid_t uid = (uid_t)-1;
    gid_t gid = (gid_t)-1;
    apr_status_t rv = APR_ENOTIMPL;
    const char *user = NULL;

    if (strcmp(r->handler, "peruid-probe") != 0) {
        return DECLINED;
    }
    if (probe_creds) {
        rv = probe_creds(r->connection, &uid, &gid);
    }
    if (probe_user) {
        user = probe_user(r->connection);
    }
    ap_set_content_type(r, "text/plain");
    ap_rprintf(r, "found=%d\nrv=%d\nuid=%ld\ngid=%ld\nuser=%s\n",
               probe_creds && probe_user, rv, (long)uid, (long)gid,
               user ? user : "(null)");
    return OK;
}

static void probe_hooks(apr_pool_t *p)
{
    ap_hook_optional_fn_retrieve(probe_retrieve, NULL, NULL,
                                 APR_HOOK_MIDDLE);
    ap_hook_handler(probe_handler, NULL, NULL, APR_HOOK_MIDDLE);
}

AP_DECLARE_MODULE(peruid_probe) = {
    STANDARD20_MODULE_STUFF,
    NULL, NULL, NULL, NULL, NULL,
    probe_hooks
};
