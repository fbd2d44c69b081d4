/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * sbcopy.c -- a worker's scoreboard of its own (see sbcopy.h).
 *
 * httpd's scoreboard is one shared mapping made by the master in
 * pre_mpm and inherited by every child: a global record, a process
 * record per slot and a worker record per slot, which holds, with
 * ExtendedStatus (on whenever mod_status is loaded), the slot's current
 * request line, virtual host and client address.  Every child maps it
 * read-write, so code a tenant runs in its worker could read each
 * user's requests there and write any slot.
 *
 * Worker, root, once its pool is known and before its switch: the
 * mapping is replaced in this process by private anonymous memory at the
 * same address (MAP_FIXED: httpd's pointers into it stay valid), into
 * which the global record, this slot's process record and its worker
 * record are copied back.  Every other slot reads as empty (status 0,
 * SERVER_DEAD).  The master keeps the shared scoreboard for itself, the
 * routers and the preforked workers not yet bound; it takes nothing
 * there that a worker writes (children.c keeps its own table).
 *
 * So mod_status, in a worker, shows the server's global figures and
 * that worker alone.
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>

#include "httpd.h"
#include "http_log.h"
#include "http_main.h"
#include "scoreboard.h"

#include "peruid.h"
#include "sbcopy.h"

/* What a worker keeps of the shared scoreboard while it is replaced. */
typedef struct {
    char *start, *end;          /* the pages of the mapping              */
    char *head;                 /* from start to the end of the global
                                 * record (APR's header and the record)  */
    size_t head_len;
    process_score parent;       /* this slot's process record            */
    worker_score *workers;      /* this slot's worker records            */
    int threads;
} sbcopy_keep_t;

/* Worker, root: the pages the scoreboard spans, from the address of its
 * global record and its size.  The scoreboard is a mapping of its own,
 * so nothing else lies on those pages. */
static apr_status_t sbcopy_range(sbcopy_keep_t *k)
{
    uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
    uintptr_t base = (uintptr_t)ap_scoreboard_image->global;
    uintptr_t end = base + (uintptr_t)ap_calc_scoreboard_size();

    k->start = (char *)(base & ~(page - 1));
    k->end = (char *)((end + page - 1) & ~(page - 1));
    k->head_len = (size_t)(base - (uintptr_t)k->start)
                  + sizeof(global_score);
    return k->end > k->start ? APR_SUCCESS : APR_EGENERAL;
}

/* Worker, root: copy out what the worker keeps. */
static apr_status_t sbcopy_save(sbcopy_keep_t *k, int slot)
{
    int limit = 0;

    ap_mpm_query(AP_MPMQ_HARD_LIMIT_THREADS, &limit);
    k->threads = limit > 0 ? limit : 1;
    k->head = malloc(k->head_len);
    k->workers = malloc(sizeof(worker_score) * (size_t)k->threads);
    if (!k->head || !k->workers) {
        return APR_ENOMEM;
    }
    memcpy(k->head, k->start, k->head_len);
    k->parent = ap_scoreboard_image->parent[slot];
    memcpy(k->workers, ap_scoreboard_image->servers[slot],
           sizeof(worker_score) * (size_t)k->threads);
    return APR_SUCCESS;
}

/* Worker, root: private zero pages in place of the shared ones, and
 * what the worker keeps copied back. */
static apr_status_t sbcopy_replace(sbcopy_keep_t *k, int slot)
{
    void *at = mmap(k->start, (size_t)(k->end - k->start),
                    PROT_READ | PROT_WRITE,
                    MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);

    if (at == MAP_FAILED) {
        return errno;
    }
    memcpy(k->start, k->head, k->head_len);
    ap_scoreboard_image->parent[slot] = k->parent;
    memcpy(ap_scoreboard_image->servers[slot], k->workers,
           sizeof(worker_score) * (size_t)k->threads);
    return APR_SUCCESS;
}

/* Worker, root: see sbcopy.h. */
apr_status_t peruid_sbcopy_enter(int slot)
{
    sbcopy_keep_t k;
    apr_status_t rv;

    memset(&k, 0, sizeof(k));
    if (!ap_scoreboard_image) {
        return APR_SUCCESS;     /* none made (never in a forked worker) */
    }
    rv = sbcopy_range(&k);
    if (rv == APR_SUCCESS) {
        rv = sbcopy_save(&k, slot);
    }
    if (rv == APR_SUCCESS) {
        rv = sbcopy_replace(&k, slot);
    }
    free(k.head);
    free(k.workers);
    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_EMERG, rv, ap_server_conf,
                     PERUID_LOGNO(00058) "worker in slot %d: its scoreboard "
                     "of its own could not be made; refusing to serve with "
                     "every process's scoreboard slots readable", slot);
    }
    return rv;
}
