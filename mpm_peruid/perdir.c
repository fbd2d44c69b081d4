/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * perdir.c -- AssignUserID in <Directory>, <Location>, <Files> and their
 * Match forms, as mpm-itk reads it: the innermost one wins, and the
 * request runs as that user instead of its vhost's.
 *
 * The master reads the pairs with the configuration (config.c looks the
 * names up, as for a vhost's AssignUserID) and keeps a list of them, so
 * that pools.c gives every pair a pool of its own, like a vhost's, and
 * counts it at "apache2 -t".  Which pool a request needs is known only
 * after httpd has mapped it (the per-directory merge): a worker decides
 * it in its double-check (double_check.c) and hands the connection over
 * to that pool (handover.c) when it is not its own.  A worker never
 * switches user per request.
 *
 * Runs in the master (root) while it reads the configuration, and in
 * workers (the vhost's user) at request time, as each comment says.
 */

#include "httpd.h"
#include "apr_strings.h"
#include "http_config.h"

#include "peruid.h"
#include "perdir.h"

/* This read's list of per-directory AssignUserIDs (peruid_perdir_entry_t),
 * in pconf; NULL again when pconf is cleared (perdir_list_gone).  The
 * master writes it while it reads the configuration; children have their
 * copy from the fork. */
static apr_array_header_t *perdir_entries;

/* Master, root: pconf's cleanup: the list went with it. */
static apr_status_t perdir_list_gone(void *data)
{
    perdir_entries = NULL;
    return APR_SUCCESS;
}

/* Master, root, config read: see perdir.h. */
void *peruid_perdir_create(apr_pool_t *p, char *dir)
{
    peruid_dir_conf_t *d = apr_pcalloc(p, sizeof(*d));

    d->pool = -1;
    return d;
}

/* Master, root, config read, and workers (merges at request time): see
 * perdir.h.  The records are never written once the pools are assigned,
 * so the merge returns one of them rather than a copy: the pool index
 * the master writes into a section's record after the read is the one
 * every merge of it sees. */
void *peruid_perdir_merge(apr_pool_t *p, void *base, void *add)
{
    const peruid_dir_conf_t *a = add;

    return a->set ? add : base;
}

/* Master, root, config read: the section around the directive that makes
 * a per-directory user meaningless or unsafe, or NULL.  <If> is decided
 * on request headers a client chooses, <Limit> per method, and <Proxy>
 * names no file of ours. */
static const char *perdir_bad_section(const ap_directive_t *d)
{
    static const char *const bad[] = {
        "<If", "<ElseIf", "<Else", "<Limit", "<LimitExcept", "<Proxy",
        "<ProxyMatch", NULL
    };
    int i;

    for (; d; d = d->parent) {
        for (i = 0; bad[i]; i++) {
            if (!strcasecmp(d->directive, bad[i])) {
                return bad[i];
            }
        }
    }
    return NULL;
}

/* Master, root, config read: see perdir.h. */
const char *peruid_perdir_check_section(cmd_parms *cmd)
{
    const char *bad = perdir_bad_section(cmd->directive->parent);

    if (!bad) {
        return NULL;
    }
    return apr_psprintf(cmd->pool, "AssignUserID: not allowed in %s>; use "
                        "<Directory>, <Location> or <Files> (or their Match "
                        "forms), or the virtual host", bad);
}

/* Master, root, config read: see perdir.h. */
const char *peruid_perdir_set(cmd_parms *cmd, peruid_dir_conf_t *d,
                              uid_t uid, gid_t gid, const char *user)
{
    peruid_perdir_entry_t *e;

    if (uid == 0) {
        return "AssignUserID: refusing to serve a directory as uid 0 (root)";
    }
    if (gid == 0) {
        return "AssignUserID: refusing to serve a directory as gid 0";
    }
    d->uid = uid;
    d->gid = gid;
    d->user = user;
    d->where = apr_psprintf(cmd->pool, "%s:%d", cmd->directive->filename,
                            cmd->directive->line_num);
    d->set = 1;
    if (!perdir_entries) {
        perdir_entries = apr_array_make(cmd->pool, 8, sizeof(*e));
        apr_pool_cleanup_register(cmd->pool, NULL, perdir_list_gone,
                                  apr_pool_cleanup_null);
    }
    e = apr_array_push(perdir_entries);
    e->s = cmd->server;
    e->d = d;
    return NULL;
}

/* Master, root: see perdir.h. */
const apr_array_header_t *peruid_perdir_list(void)
{
    static const apr_array_header_t none = { NULL, sizeof(
        peruid_perdir_entry_t), 0, 0, NULL };

    return perdir_entries ? perdir_entries : &none;
}

/* Master, root: add pool to server s's list, once. */
static void perdir_add_pool(apr_pool_t *p, server_rec *s, int pool)
{
    peruid_server_conf_t *c = peruid_server_conf(s);

    if (peruid_perdir_names_pool(s, pool)) {
        return;
    }
    if (!c->perdir_pools) {
        c->perdir_pools = apr_array_make(p, 2, sizeof(int));
    }
    APR_ARRAY_PUSH(c->perdir_pools, int) = pool;
}

/* Master, root: see perdir.h. */
void peruid_perdir_note_pool(apr_pool_t *p, server_rec *main_s,
                             server_rec *s, int pool)
{
    server_rec *v;

    if (s != main_s) {
        perdir_add_pool(p, s, pool);
        return;
    }
    for (v = main_s; v; v = v->next) {  /* its sections are every vhost's */
        perdir_add_pool(p, v, pool);
    }
}

/* Any process: see perdir.h. */
int peruid_perdir_names_pool(server_rec *s, int pool)
{
    const apr_array_header_t *a = peruid_server_conf(s)->perdir_pools;
    int i;

    for (i = 0; a && i < a->nelts; i++) {
        if (APR_ARRAY_IDX(a, i, int) == pool) {
            return 1;
        }
    }
    return 0;
}

/* Worker: r's merged per-directory record, or NULL. */
static const peruid_dir_conf_t *perdir_of(request_rec *r)
{
    const peruid_dir_conf_t *d = r->per_dir_config
        ? ap_get_module_config(r->per_dir_config, &mpm_peruid_module)
        : NULL;

    return d && d->set ? d : NULL;
}

/* Worker (vhost user): see perdir.h. */
int peruid_perdir_pool(request_rec *r, int *pool)
{
    const peruid_dir_conf_t *d = perdir_of(r);

    *pool = d ? d->pool : -1;
    return d != NULL;
}

/* Worker (vhost user): see perdir.h. */
const char *peruid_perdir_where(request_rec *r)
{
    const peruid_dir_conf_t *d = perdir_of(r);

    return d ? d->where : NULL;
}
