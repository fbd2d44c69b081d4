/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * reqnote.c -- the serving user as request notes (reqnote.h), so that
 * an access log can name it: LogFormat "... %{peruid-user}n".
 *
 * Set in create_request, which httpd runs for every request_rec it
 * makes: in ap_read_request before it reads the request line (a 400 for
 * a bad request line or a missing Host, which mod_log_config logs
 * without post_read_request having run, carries them too) and for a
 * subrequest, so that they are there during the request too (for
 * ErrorLogFormat's %{...}n).  An internal redirect (an ErrorDocument)
 * runs create_request before httpd makes its notes table, so it gets
 * them at log_transaction, which runs before mod_log_config's (it reads
 * the notes of the last request of the chain).  The user is the
 * worker's own: a request handed over to another user (handover.c) is
 * logged by both workers, each with its user.
 *
 * Runs in workers only, as the vhost's user, after their switch; in any
 * other process it does nothing.  The four strings are made once per
 * worker, at child_init (the group name from the group database), and
 * kept in its pchild: a request of an HTTP/2 stream, made on one of
 * mod_http2's threads, only reads them.
 */

#include "httpd.h"
#include "apr_strings.h"
#include "apr_user.h"
#include "http_config.h"
#include "http_protocol.h"
#include "http_request.h"

#include "peruid.h"
#include "child.h"
#include "reqnote.h"

#define REQNOTE_KEY "peruid_reqnote"

/* The notes' values of this worker. */
typedef struct {
    const char *user, *uid, *group, *gid;
} reqnote_ids_t;

/* Worker (vhost user): this worker's values, made once (child_init)
 * and kept in pchild for its life (its ids never change). */
static const reqnote_ids_t *reqnote_ids(peruid_self_t *me)
{
    reqnote_ids_t *ids = NULL;
    char *group = NULL;
    apr_pool_t *p = me->pchild;

    apr_pool_userdata_get((void **)&ids, REQNOTE_KEY, p);
    if (ids) {
        return ids;
    }
    ids = apr_palloc(p, sizeof(*ids));
    ids->uid = apr_psprintf(p, "%ld", (long)me->uid);
    ids->gid = apr_psprintf(p, "%ld", (long)me->gid);
    ids->user = me->user ? apr_pstrdup(p, me->user)
                         : apr_pstrcat(p, "#", ids->uid, NULL);
    ids->group = apr_gid_name_get(&group, me->gid, p) == APR_SUCCESS
                 && group ? group : apr_pstrcat(p, "#", ids->gid, NULL);
    apr_pool_userdata_setn(ids, REQNOTE_KEY, NULL, p);
    return ids;
}

/* Worker (vhost user): the notes of r, if it has its notes table yet
 * (an internal redirect's comes after create_request). */
static void reqnote_set(request_rec *r)
{
    peruid_self_t *me = peruid_self();
    const reqnote_ids_t *ids;

    if (me->role != PERUID_ROLE_WORKER || !me->pchild || !r->notes) {
        return;
    }
    ids = reqnote_ids(me);
    apr_table_setn(r->notes, PERUID_NOTE_USER, ids->user);
    apr_table_setn(r->notes, PERUID_NOTE_UID, ids->uid);
    apr_table_setn(r->notes, PERUID_NOTE_GROUP, ids->group);
    apr_table_setn(r->notes, PERUID_NOTE_GID, ids->gid);
}

/* Worker (vhost user), create_request. */
static int reqnote_create_request(request_rec *r)
{
    reqnote_set(r);
    return OK;
}

/* Worker (vhost user), log_transaction, before mod_log_config's: the
 * notes of every request of r's chain of internal redirects, the first
 * ("%<{peruid-user}n") to the last ("%{peruid-user}n", "%>{...}n"). */
static int reqnote_log_transaction(request_rec *r)
{
    while (r->prev) {
        r = r->prev;
    }
    for (; r; r = r->next) {
        reqnote_set(r);
    }
    return DECLINED;
}

/* Worker (vhost user), child_init, before its first connection: make
 * the values. */
static void reqnote_child_init(apr_pool_t *pchild, server_rec *s)
{
    peruid_self_t *me = peruid_self();

    if (me->role == PERUID_ROLE_WORKER && me->pchild) {
        reqnote_ids(me);
    }
}

/* Master, root, module load: see reqnote.h. */
void peruid_reqnote_register_hooks(apr_pool_t *p)
{
    static const char *const log_config[] = { "mod_log_config.c", NULL };

    ap_hook_child_init(reqnote_child_init, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_create_request(reqnote_create_request, NULL, NULL,
                           APR_HOOK_MIDDLE);
    ap_hook_log_transaction(reqnote_log_transaction, NULL, log_config,
                            APR_HOOK_REALLY_FIRST);
}
