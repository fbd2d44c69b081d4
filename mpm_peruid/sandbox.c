/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * sandbox.c -- a worker's seal after its switch: PR_SET_NO_NEW_PRIVS
 * and a filter on the setuid family (PeruidNoNewPrivs, On by default).
 *
 * With no_new_privs, a program a worker starts (CGI, PHP's exec(),
 * mail()'s sendmail) gains nothing from its setuid or setgid bit or its
 * file capabilities, and the filter (uidrange.c's, with the worker's own
 * uid and gid as the only range) refuses every change of id and
 * setgroups, in the worker and in everything it starts, and every call
 * of another ABI (32-bit x86 or x32 programs).  It composes with
 * LimitUIDRange's filter, installed before the switch: a call must pass
 * both.
 *
 * What it breaks (measured on Debian 12): postfix's sendmail hands the
 * mail to postdrop, setgid postdrop, to write into the maildrop queue;
 * without its group postdrop cannot, and retries every second without
 * end, so PHP's mail() never returns.  exim4's sendmail is setuid root.
 * Hence the directive: Off where tenants send mail through such a
 * helper; the master says at start which of them it found (PU00130).
 * A virtual host may say Off for its user: the user's workers serve all
 * of its virtual hosts, so one Off turns it off for that user.
 *
 * Runs in the master (the directive, the check at start) and in workers
 * (the seal, as the vhost's user).
 */

#include <errno.h>
#include <sys/prctl.h>
#include <sys/stat.h>

#include "httpd.h"
#include "http_config.h"
#include "http_log.h"
#include "apr_hash.h"

#include "peruid.h"
#include "child.h"
#include "sandbox.h"
#include "uidrange.h"

/* pconf's note of the PeruidNoNewPrivs directives read: server_rec ->
 * "On" or "Off" (absent: the main server's, else On); a new
 * configuration read starts without it. */
#define SANDBOX_NNP_KEY "peruid-no-new-privs"

/* Programs mail() and CGI programs commonly start that need their
 * setuid or setgid bit (Debian's paths). */
static const char *const sandbox_helpers[] = {
    "/usr/sbin/postdrop", "/usr/sbin/postqueue", "/usr/sbin/exim4",
    "/usr/sbin/sendmail", "/usr/lib/sm.bin/sendmail", NULL
};

/* Any process: the directives read into pconf, NULL if none. */
static apr_hash_t *sandbox_notes(apr_pool_t *pconf)
{
    void *v = NULL;

    apr_pool_userdata_get(&v, SANDBOX_NNP_KEY, pconf);
    return v;
}

/* Master, root, config read: PeruidNoNewPrivs On|Off (the main server
 * or a virtual host). */
const char *peruid_sandbox_nnp_cmd(cmd_parms *cmd, void *dummy, int on)
{
    apr_hash_t *notes = sandbox_notes(cmd->pool);
    server_rec **key = apr_palloc(cmd->pool, sizeof(*key));

    *key = cmd->server;         /* the hash keeps the key's address */
    if (!notes) {
        notes = apr_hash_make(cmd->pool);
        apr_pool_userdata_set(notes, SANDBOX_NNP_KEY, apr_pool_cleanup_null,
                              cmd->pool);
    }
    apr_hash_set(notes, key, sizeof(*key), on ? "On" : "Off");
    return NULL;
}

/* Any process: is PeruidNoNewPrivs On for server s (its own, else the
 * main server's, else the default, On)? */
static int sandbox_nnp_of(apr_hash_t *notes, server_rec *s,
                          server_rec *main_s)
{
    const char *v = NULL;

    if (notes) {
        v = apr_hash_get(notes, &s, sizeof(s));
        if (!v) {
            v = apr_hash_get(notes, &main_s, sizeof(main_s));
        }
    }
    return !v || v[1] == 'n';
}

/* Any process (after the configuration is read): see sandbox.h. */
int peruid_sandbox_nnp(apr_pool_t *pconf, server_rec *main_s, int pool)
{
    apr_hash_t *notes = sandbox_notes(pconf);
    server_rec *s;

    for (s = main_s; s; s = s->next) {
        if (peruid_server_pool(s) == pool
            && !sandbox_nnp_of(notes, s, main_s)) {
            return 0;
        }
    }
    return sandbox_nnp_of(notes, main_s, main_s);
}

/* Master, root, check_config: see sandbox.h. */
void peruid_sandbox_check(apr_pool_t *pconf, int startup, server_rec *s)
{
    apr_hash_t *notes = sandbox_notes(pconf);
    server_rec *v;
    struct stat st;
    int i;

    for (v = s; v && !sandbox_nnp_of(notes, v, s); v = v->next) {
    }
    if (!v) {
        return;                 /* Off everywhere */
    }
    for (i = 0; sandbox_helpers[i]; i++) {
        if (stat(sandbox_helpers[i], &st) == 0
            && (st.st_mode & (S_ISUID | S_ISGID))) {
            ap_log_error(APLOG_MARK, APLOG_WARNING
                         | (startup ? APLOG_STARTUP : 0), 0,
                         startup ? NULL : s, PERUID_LOGNO(00130)
                         "PeruidNoNewPrivs is On for %s%s (the "
                         "default): %s is set%s, which workers' programs "
                         "cannot use: mail sent through it from PHP's "
                         "mail() or CGI programs fails or hangs; set "
                         "PeruidNoNewPrivs Off where tenants need it",
                         v == s ? "the main server" : "virtual host ",
                         v == s ? "" : v->server_hostname
                                       ? v->server_hostname : "-",
                         sandbox_helpers[i],
                         st.st_mode & S_ISUID ? "uid" : "gid");
            return;
        }
    }
}

/* Worker (the vhost's user, just after its switch): see sandbox.h. */
apr_status_t peruid_sandbox_worker(apr_pool_t *pconf, uid_t uid, gid_t gid,
                                   server_rec *s)
{
    peruid_uidrange_t own;
    const char *call = "prctl(PR_SET_NO_NEW_PRIVS)";
    apr_status_t rv = APR_SUCCESS;

    if (!peruid_sandbox_nnp(pconf, s, peruid_self()->pool)) {
        return APR_SUCCESS;
    }
    own.uid_min = own.uid_max = (unsigned long)uid;
    own.gid_min = own.gid_max = (unsigned long)gid;
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
        rv = errno;
    }
    else {
        call = "the setuid family's filter";
        rv = peruid_uidrange_install(&own);
    }
    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_EMERG, rv, s, PERUID_LOGNO(00129)
                     "worker uid %ld: %s failed (PeruidNoNewPrivs On); "
                     "refusing to serve without it", (long)uid, call);
    }
    return rv;
}
