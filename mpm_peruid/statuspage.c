/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * statuspage.c -- the status page's layout and the decisions on it (see
 * statuspage.h): which pools are shown, their figures, the sequence
 * number of a write and of a copy, and how each figure is printed.
 * Pure: no system call, no httpd; tests/unit/test_statuspage.c drives
 * it with tables.  The master runs the writing side, workers the
 * reading and printing side, as each comment says.
 */

#include <stdio.h>
#include <string.h>

#include "statuspage.h"

#define STATUS_ALIGN(x) (((x) + 63) & ~(size_t)63)

/* Any process: see statuspage.h. */
size_t peruid_status_page_size(apr_uint32_t max_procs,
                               apr_uint32_t max_pools)
{
    return STATUS_ALIGN(sizeof(status_head_t))
           + STATUS_ALIGN((size_t)max_procs * sizeof(status_proc_t))
           + (size_t)max_pools * sizeof(status_pool_t);
}

/* Any process: see statuspage.h. */
status_proc_t *peruid_status_procs(void *page)
{
    return (status_proc_t *)(void *)((char *)page
                                     + STATUS_ALIGN(sizeof(status_head_t)));
}

/* Any process: see statuspage.h. */
status_pool_t *peruid_status_pools(void *page)
{
    const status_head_t *h = page;

    return (status_pool_t *)(void *)((char *)page
        + STATUS_ALIGN(sizeof(status_head_t))
        + STATUS_ALIGN((size_t)h->max_procs * sizeof(status_proc_t)));
}

/* Master: see statuspage.h. */
int peruid_status_pool_shown(const status_pool_facts_t *f)
{
    return !f->free_slot && (f->in_config || f->live > 0);
}

/* Master: see statuspage.h.  busy is what is neither idle nor starting
 * (a worker asked to leave that still serves counts as busy); unknown
 * with idle. */
void peruid_status_pool_figures(const status_pool_facts_t *f,
                                status_pool_t *out)
{
    int busy = f->live - f->starting - (f->idle > 0 ? f->idle : 0);

    out->expr = f->expr != 0;
    out->workers = (apr_uint32_t)(f->live > 0 ? f->live : 0);
    out->starting = (apr_uint32_t)(f->starting > 0 ? f->starting : 0);
    out->idle = f->idle < 0 ? STATUS_UNKNOWN : (apr_uint32_t)f->idle;
    out->busy = f->idle < 0 ? STATUS_UNKNOWN
                : (apr_uint32_t)(busy > 0 ? busy : 0);
    out->conns = f->sent;
    out->handovers = f->handovers;
    out->cold_starts = f->forks;
    out->refused = f->refused;
}

/* Master: see statuspage.h.  Odd from here: a reader that sees it, or
 * sees it change while it copies, tries again. */
void peruid_status_write_begin(status_head_t *h)
{
    __atomic_add_fetch(&h->seq, 1, __ATOMIC_SEQ_CST);
    /* the page's plain stores that follow become visible after the odd
     * number, also where the CPU orders stores weakly (arm64) */
    __atomic_thread_fence(__ATOMIC_RELEASE);
}

/* Master: see statuspage.h. */
void peruid_status_write_end(status_head_t *h)
{
    __atomic_thread_fence(__ATOMIC_RELEASE);    /* the stores, then even */
    __atomic_add_fetch(&h->seq, 1, __ATOMIC_SEQ_CST);
}

/* Worker: do the head's counts fit the page's arrays and size? */
static int status_head_fits(const status_head_t *h, size_t size)
{
    return h->magic == STATUS_MAGIC && h->nprocs <= h->max_procs
           && h->npools <= h->max_pools
           && peruid_status_page_size(h->max_procs, h->max_pools) <= size;
}

/* Worker: see statuspage.h. */
int peruid_status_copy(const void *page, size_t size, void *out)
{
    const status_head_t *h = page;
    status_head_t *o = out;
    apr_uint32_t seq = __atomic_load_n(&h->seq, __ATOMIC_SEQ_CST);

    if (size < sizeof(status_head_t)) {
        return -1;
    }
    if (seq & 1) {
        return 0;
    }
    memcpy(out, page, sizeof(status_head_t));
    if (!status_head_fits(o, size)) {
        return seq == 0 ? -1 : 0;
    }
    memcpy(peruid_status_procs(out),
           peruid_status_procs((void *)(uintptr_t)page),
           (size_t)o->nprocs * sizeof(status_proc_t));
    memcpy(peruid_status_pools(out),
           peruid_status_pools((void *)(uintptr_t)page),
           (size_t)o->npools * sizeof(status_pool_t));
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    if (__atomic_load_n(&h->seq, __ATOMIC_SEQ_CST) != seq) {
        return 0;
    }
    return o->written ? 1 : -1;
}

/* Any process: see statuspage.h. */
const char *peruid_status_role_name(apr_uint32_t role)
{
    switch (role) {
    case STATUS_ROLE_MASTER:
        return "master";
    case STATUS_ROLE_ROUTER:
        return "router";
    case STATUS_ROLE_WORKER:
        return "worker";
    case STATUS_ROLE_PREFORKED:
        return "preforked";
    case STATUS_ROLE_RELAY:
        return "log relay";
    }
    return "?";
}

/* Worker: see statuspage.h. */
const char *peruid_status_user(const char *name, apr_uint32_t uid,
                               char *buf, size_t size)
{
    if (name && *name) {
        snprintf(buf, size, "%.*s", STATUS_NAME_MAX - 1, name);
    }
    else {
        snprintf(buf, size, "#%lu", (unsigned long)uid);
    }
    return buf;
}

/* Worker: see statuspage.h. */
const char *peruid_status_proc_user(const void *page, const status_proc_t *q,
                                    char *buf, size_t size)
{
    const status_head_t *h = page;
    const status_pool_t *p;

    switch (q->role) {
    case STATUS_ROLE_WORKER:
        if (q->pool >= 0 && (apr_uint32_t)q->pool < h->npools) {
            p = &peruid_status_pools((void *)(uintptr_t)page)[q->pool];
            return peruid_status_user(p->user, p->uid, buf, size);
        }
        return peruid_status_user(NULL, q->uid, buf, size);
    case STATUS_ROLE_ROUTER:
    case STATUS_ROLE_RELAY:
        return peruid_status_user(h->router_user, h->router_uid, buf, size);
    default:
        return peruid_status_user("root", 0, buf, size);
    }
}

/* Worker: one field: key, head and the number v ("-" when unknown). */
static void status_number(status_field_t *f, const char *key,
                          const char *head, apr_uint32_t v, int may_be_unknown)
{
    f->key = key;
    f->head = head;
    if (may_be_unknown && v == STATUS_UNKNOWN) {
        snprintf(f->value, sizeof(f->value), "-");
    }
    else {
        snprintf(f->value, sizeof(f->value), "%lu", (unsigned long)v);
    }
}

/* Worker: see statuspage.h. */
void peruid_status_pool_fields(const status_pool_t *p, status_field_t *out)
{
    out[0].key = "User";
    out[0].head = "User";
    peruid_status_user(p->user, p->uid, out[0].value, sizeof(out[0].value));
    status_number(&out[1], "Uid", "Uid", p->uid, 0);
    status_number(&out[2], "Gid", "Gid", p->gid, 0);
    status_number(&out[3], "Workers", "Workers", p->workers, 0);
    status_number(&out[4], "Idle", "Idle", p->idle, 1);
    status_number(&out[5], "Busy", "Busy", p->busy, 1);
    status_number(&out[6], "Connections", "Connections", p->conns, 0);
    status_number(&out[7], "Handovers", "Hand-overs", p->handovers, 0);
    status_number(&out[8], "ColdStarts", "Cold starts", p->cold_starts, 0);
    status_number(&out[9], "Refused503", "503 at a cap", p->refused, 0);
}

/* Worker: see statuspage.h. */
void peruid_status_proc_fields(const status_proc_t *q, status_field_t *out)
{
    out[0].key = "Role";
    out[0].head = "Role";
    snprintf(out[0].value, sizeof(out[0].value), "%s%s",
             peruid_status_role_name(q->role),
             q->leaving ? " (leaving)" : "");
    status_number(&out[1], "Pid", "PID", q->pid, 0);
    status_number(&out[2], "Uid", "Uid", q->uid, 0);
    status_number(&out[3], "Generation", "Generation", q->generation, 0);
}
