/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * perdir.h -- AssignUserID in <Directory>, <Location>, <Files> and their
 * Match forms (perdir.c): the per-directory record, the list of the
 * pairs the configuration names there, and the questions the worker's
 * double-check asks of a mapped request (double_check.c).
 */

#ifndef PERUID_PERDIR_H
#define PERUID_PERDIR_H

#include "httpd.h"
#include "http_config.h"

#include "peruid.h"

/* Per-directory configuration of mpm_peruid: one AssignUserID. */
typedef struct {
    uid_t uid;
    gid_t gid;
    const char *user;       /* the name, NULL for "#uid" (pools.c)       */
    const char *where;      /* file:line of the directive                */
    int set;
    int pool;               /* index in the pool table, -1 until known   */
} peruid_dir_conf_t;

/* One AssignUserID of a section, in the order read (perdir.c). */
typedef struct {
    server_rec *s;          /* the server whose section names it         */
    peruid_dir_conf_t *d;
} peruid_perdir_entry_t;

/* Master, root, config read: the module's per-directory record (empty)
 * and its merge (the innermost AssignUserID wins, as itk's). */
void *peruid_perdir_create(apr_pool_t *p, char *dir);
void *peruid_perdir_merge(apr_pool_t *p, void *base, void *add);

/* Master, root, config read: an error naming the section around the
 * AssignUserID being read that makes a user meaningless or unsafe
 * (<If>, <Limit>, <Proxy> and their variants, at any depth), or NULL. */
const char *peruid_perdir_check_section(cmd_parms *cmd);

/* Master, root, config read: AssignUserID user group in a section
 * (cmd->path set), the ids already looked up and the section checked
 * (config.c).  Refuses uid 0 and gid 0; otherwise the pair goes into d
 * and into this read's list. */
const char *peruid_perdir_set(cmd_parms *cmd, peruid_dir_conf_t *d,
                              uid_t uid, gid_t gid, const char *user);

/* Master, root: this read's per-directory AssignUserIDs (an empty list
 * when there is none); entries are valid until pconf is cleared. */
const apr_array_header_t *peruid_perdir_list(void);

/* Master, root, after the pools are assigned (pools.c): the pool the
 * section of server s names; a section of the main server applies to
 * every server.  Each server remembers the pools its sections name
 * (peruid_server_conf_t.perdir_pools, allocated from p). */
void peruid_perdir_note_pool(apr_pool_t *p, server_rec *main_s,
                             server_rec *s, int pool);

/* Any process: does a section of server s name pool? */
int peruid_perdir_names_pool(server_rec *s, int pool);

/* Worker (vhost user), request hooks, after the per-directory merge: 1
 * and the pool of r's per-directory AssignUserID in *pool (-1 if none was
 * assigned), or 0 when none applies. */
int peruid_perdir_pool(request_rec *r, int *pool);

/* Worker: the file:line of the AssignUserID that decides r's user, or
 * NULL when it is the vhost's. */
const char *peruid_perdir_where(request_rec *r);

#endif /* PERUID_PERDIR_H */
