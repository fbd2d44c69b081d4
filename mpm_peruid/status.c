/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * status.c -- mod_status per user: server-status (HTML and ?auto) shows
 * each process of the MPM (role, pid, user, virtual hosts) and a table
 * of the user pools (workers, idle, busy, connections, hand-overs, cold
 * starts, 503s at a cap), through mod_status's own status_hook; no
 * patch to mod_status.
 *
 * Workers serve server-status, and a tenant runs native code in its
 * worker: whatever a worker maps, the tenant can read, and whatever it
 * can write decides nothing for another tenant.  So the figures come
 * from a page only the master writes (statuspage.h): a sealed memfd the
 * master maps read-write with MADV_DONTFORK (no child inherits that
 * mapping), and maps again read-only after the seals, which clears the
 * mapping's VM_MAYWRITE: a worker's mprotect(PROT_WRITE) on it fails,
 * and no child holds the descriptor (closed in the master at once).
 * The master rewrites it once a second from its own child table, the
 * kernel's facts of its pass (idle: workers blocked waiting for a
 * connection) and the routers' counters: connections sent to each pool,
 * and, on a page of their own that master and routers map and every
 * worker unmaps, hand-overs and 503s at a cap.  Nothing a worker writes
 * (its pool page's idle or done, its scoreboard slot) is shown.
 *
 * Request lines (ExtendedStatus) are not here: mod_status prints them
 * from the scoreboard, and a worker's is a copy of its own (sbcopy.c):
 * other users' requests are never mapped into a worker.
 *
 * The names of the virtual hosts come from the worker's own copy of the
 * configuration, as every vhost's do for httpd.
 *
 * Runs in the master (root: the page, the cold starts), the routers (the
 * routers' user: their counters) and workers (the vhost's user: the
 * page printed), as each comment says.
 */

#ifndef _GNU_SOURCE
#define _GNU_SOURCE             /* memfd_create, F_ADD_SEALS */
#endif

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>

#include "httpd.h"
#include "apr_atomic.h"
#include "apr_optional_hooks.h"
#include "apr_strings.h"
#include "http_config.h"
#include "http_log.h"
#include "http_main.h"
#include "http_protocol.h"
#include "mod_status.h"

#include "peruid.h"
#include "child.h"
#include "exprpool.h"
#include "logs.h"
#include "statuspage.h"
#include "status.h"

#ifndef F_SEAL_FUTURE_WRITE
#define F_SEAL_FUTURE_WRITE 0x0010      /* Linux 5.1 */
#endif

#define STATUS_SEALS (F_SEAL_FUTURE_WRITE | F_SEAL_SHRINK | F_SEAL_GROW \
                      | F_SEAL_SEAL)
#define STATUS_COUNTS_SIZE (2 * PERUID_MAX_POOLS * sizeof(apr_uint32_t))
#define STATUS_COPY_TRIES 100           /* a write takes microseconds    */

/* What survives restarts (httpd's retained data, key "mpm_peruid
 * status"); each child has its copy from the fork, where wpage is not
 * mapped. */
typedef struct {
    status_head_t *wpage;       /* master: read-write, MADV_DONTFORK     */
    const void *rpage;          /* read-only, every process (NULL: none) */
    size_t size;
    volatile apr_uint32_t *counts;  /* master and routers: per pool, the
                                 * hand-overs, then the 503s at a cap    */
    apr_uint32_t forks[PERUID_MAX_POOLS];   /* master: cold starts       */
    int shown_at[PERUID_MAX_POOLS]; /* master: pool index on the page    */
    int tried;                  /* master: made, or failed (logged once) */
} status_ctx_t;

/* Any process: the context, made on the first call. */
static status_ctx_t *status_ctx(void)
{
    static status_ctx_t *ctx;

    if (!ctx) {
        ctx = ap_retained_data_get("mpm_peruid status");
        if (!ctx) {
            ctx = ap_retained_data_create("mpm_peruid status",
                                          sizeof(*ctx));
        }
    }
    return ctx;
}

/* Master, root: the routers' counters, anonymous and shared (workers
 * unmap them). */
static apr_status_t status_make_counts(status_ctx_t *c)
{
    void *m = mmap(NULL, STATUS_COUNTS_SIZE, PROT_READ | PROT_WRITE,
                   MAP_SHARED | MAP_ANONYMOUS, -1, 0);

    if (m == MAP_FAILED) {
        return errno;
    }
    c->counts = m;
    return APR_SUCCESS;
}

/* Master, root: the page, sealed, mapped twice (see the top); *why
 * names the step that failed. */
static apr_status_t status_make_page(status_ctx_t *c, size_t size,
                                     const char **why)
{
    void *w = MAP_FAILED, *r = MAP_FAILED;
    apr_status_t rv = APR_SUCCESS;
    int fd = memfd_create("peruid-status", MFD_CLOEXEC | MFD_ALLOW_SEALING);

    if (fd < 0) {
        *why = "memfd_create";
        return errno;
    }
    if (ftruncate(fd, (off_t)size) < 0) {
        *why = "ftruncate";
    }
    else if ((w = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
                       0)) == MAP_FAILED) {
        *why = "mmap (read-write)";
    }
    else if (madvise(w, size, MADV_DONTFORK) < 0) {
        *why = "madvise(MADV_DONTFORK)";
    }
    else if (fcntl(fd, F_ADD_SEALS, STATUS_SEALS) < 0) {
        *why = "the seals (F_SEAL_FUTURE_WRITE needs Linux 5.1)";
    }
    else if ((r = mmap(NULL, size, PROT_READ, MAP_SHARED, fd, 0))
             == MAP_FAILED) {
        *why = "mmap (read-only)";
    }
    else if (mprotect(r, size, PROT_READ | PROT_WRITE) == 0) {
        *why = "the check that the read-only mapping stays so";
        rv = APR_EGENERAL;
    }
    else {
        close(fd);
        c->wpage = w;
        c->rpage = r;
        c->size = size;
        return APR_SUCCESS;
    }
    rv = rv != APR_SUCCESS ? rv : errno;
    if (w != MAP_FAILED) {
        munmap(w, size);
    }
    if (r != MAP_FAILED) {
        munmap(r, size);
    }
    close(fd);
    return rv;
}

/* Master, root: see status.h.  Made once per master life; a failure
 * leaves server-status without the MPM's tables, nothing else. */
void peruid_status_init(peruid_retained_t *rd, server_rec *s)
{
    status_ctx_t *c = status_ctx();
    apr_uint32_t procs = (apr_uint32_t)rd->first_server_limit + 2;
    const char *why = "mmap (the routers' counters)";
    apr_status_t rv;

    if (c->tried) {
        return;
    }
    c->tried = 1;
    rv = status_make_counts(c);
    if (rv == APR_SUCCESS) {
        rv = status_make_page(c, peruid_status_page_size(procs,
                                                         PERUID_MAX_POOLS),
                              &why);
    }
    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_WARNING, rv, s, PERUID_LOGNO(00145)
                     "master: no status page for mod_status (%s failed); "
                     "server-status shows no process or user pool of the "
                     "MPM", why);
        return;
    }
    c->wpage->magic = STATUS_MAGIC;
    c->wpage->max_procs = procs;
    c->wpage->max_pools = PERUID_MAX_POOLS;
}

/* Master: see status.h. */
void peruid_status_forked(int pool)
{
    if (pool >= 0 && pool < PERUID_MAX_POOLS) {
        status_ctx()->forks[pool]++;
    }
}

/* Master: see status.h. */
void peruid_status_pool_reset(int pool)
{
    status_ctx_t *c = status_ctx();

    if (pool < 0 || pool >= PERUID_MAX_POOLS) {
        return;
    }
    c->forks[pool] = 0;
    if (c->counts) {
        apr_atomic_set32(&c->counts[2 * pool], 0);
        apr_atomic_set32(&c->counts[2 * pool + 1], 0);
    }
}

/* Router: one more of counter k (0 hand-overs, 1 refused) of pool. */
static void status_count(int pool, int k)
{
    status_ctx_t *c = status_ctx();

    if (c->counts && pool >= 0 && pool < PERUID_MAX_POOLS) {
        apr_atomic_inc32(&c->counts[2 * pool + k]);
    }
}

/* Router: see status.h. */
void peruid_status_handover(int pool)
{
    status_count(pool, 0);
}

/* Router: see status.h. */
void peruid_status_refused(int pool)
{
    status_count(pool, 1);
}

/* Master: the facts of pool i for the page. */
static void status_pool_facts(peruid_retained_t *rd, status_ctx_t *c,
                              const plan_facts_t *f, int i,
                              status_pool_facts_t *pf)
{
    const peruid_pool_t *pl = &rd->pools[i];

    memset(pf, 0, sizeof(*pf));
    pf->in_config = pl->in_config;
    pf->free_slot = pl->expr == PERUID_EXPR_FREE;
    pf->expr = pl->expr == PERUID_EXPR_GIVEN;
    if (i < f->npools) {
        pf->live = f->pools[i].live;
        pf->idle = f->pools[i].idle;
        pf->starting = f->pools[i].starting;
    }
    pf->sent = peruid_pool_sent(rd, i);
    pf->handovers = apr_atomic_read32(&c->counts[2 * i]);
    pf->refused = apr_atomic_read32(&c->counts[2 * i + 1]);
    pf->forks = c->forks[i];
}

/* Master: the shown pools onto the page; shown_at maps the table to
 * them. */
static void status_write_pools(peruid_retained_t *rd, status_ctx_t *c,
                               const plan_facts_t *f)
{
    status_pool_t *pools = peruid_status_pools(c->wpage);
    status_pool_facts_t pf;
    apr_uint32_t n = 0;
    int i;

    for (i = 0; i < rd->npools; i++) {
        const peruid_pool_t *pl = &rd->pools[i];
        status_pool_t *p = &pools[n];

        c->shown_at[i] = -1;
        status_pool_facts(rd, c, f, i, &pf);
        if (!peruid_status_pool_shown(&pf)) {
            continue;
        }
        memset(p, 0, sizeof(*p));
        p->table = (apr_uint32_t)i;
        p->uid = (apr_uint32_t)pl->uid;
        p->gid = (apr_uint32_t)pl->gid;
        apr_cpystrn(p->user, pl->user ? pl->user : "", sizeof(p->user));
        peruid_status_pool_figures(&pf, p);
        c->shown_at[i] = (int)n++;
    }
    c->wpage->npools = n;
}

/* Master: one process onto the page. */
static void status_write_proc(status_proc_t *q, apr_uint32_t role,
                              pid_t pid, int pool, apr_uint32_t uid,
                              apr_uint32_t generation, int leaving)
{
    q->role = role;
    q->pid = (apr_uint32_t)pid;
    q->pool = pool;
    q->uid = uid;
    q->generation = generation;
    q->leaving = (apr_uint32_t)leaving;
}

/* Master: the master, the log relay and the children of its table onto
 * the page. */
static void status_write_procs(peruid_retained_t *rd, status_ctx_t *c)
{
    status_proc_t *q = peruid_status_procs(c->wpage);
    apr_uint32_t gen = (apr_uint32_t)rd->mpm->my_generation, n = 0;
    pid_t relay = peruid_logs_relay_pid();
    int i;

    status_write_proc(&q[n++], STATUS_ROLE_MASTER, rd->master_pid, -1, 0,
                      gen, 0);
    if (relay > 0) {
        status_write_proc(&q[n++], STATUS_ROLE_RELAY, relay, -1,
                          (apr_uint32_t)rd->router.uid, gen, 0);
    }
    for (i = 0; i < rd->max_daemons_used
                && n < c->wpage->max_procs; i++) {
        const peruid_slot_t *sl = &rd->slots[i];
        int bound = sl->pool >= 0 && sl->pool < rd->npools;

        if (sl->role == PERUID_ROLE_MASTER || sl->pid <= 0) {
            continue;
        }
        status_write_proc(&q[n++], sl->role == PERUID_ROLE_ROUTER
                          ? STATUS_ROLE_ROUTER : bound ? STATUS_ROLE_WORKER
                          : STATUS_ROLE_PREFORKED, sl->pid,
                          bound ? c->shown_at[sl->pool] : -1,
                          sl->role == PERUID_ROLE_ROUTER
                          ? (apr_uint32_t)rd->router.uid
                          : bound ? (apr_uint32_t)rd->pools[sl->pool].uid
                          : 0, (apr_uint32_t)sl->generation, sl->leaving);
    }
    c->wpage->nprocs = n;
}

/* Master, root: see status.h. */
void peruid_status_publish(peruid_retained_t *rd, const plan_facts_t *f)
{
    status_ctx_t *c = status_ctx();
    status_head_t *h = c->wpage;

    if (!h) {
        return;
    }
    peruid_status_write_begin(h);
    h->generation = (apr_uint32_t)rd->mpm->my_generation;
    h->router_uid = (apr_uint32_t)rd->router.uid;
    apr_cpystrn(h->router_user, rd->router.user ? rd->router.user : "",
                sizeof(h->router_user));
    status_write_pools(rd, c, f);
    status_write_procs(rd, c);
    h->written = (apr_int64_t)apr_time_now();
    peruid_status_write_end(h);
}

/* Worker: are the tables withheld from a worker of pool (another user
 * than the main server's)? */
static int status_withheld_from(int pool)
{
    return pool != peruid_server_pool(ap_server_conf);
}

/* Worker, root: see status.h.  Without mod_status nothing prints the
 * page: it is not kept.  With it, only the workers of the main server's
 * user (User and Group, unless the main server has an AssignUserID of
 * its own: the administrator's, where Debian's localhost server-status
 * is answered) keep it: every other user's worker runs a tenant's code,
 * which would read every user's traffic on it once a second. */
apr_status_t peruid_status_worker_enter(int pool)
{
    status_ctx_t *c = status_ctx();
    int status = ap_find_linked_module("mod_status.c") != NULL;

    c->wpage = NULL;            /* never mapped here (MADV_DONTFORK) */
    if (c->counts) {
        if (munmap((void *)c->counts, STATUS_COUNTS_SIZE) < 0) {
            return errno;
        }
        c->counts = NULL;
    }
    if (c->rpage && (!status || status_withheld_from(pool))) {
        if (munmap((void *)c->rpage, c->size) < 0) {
            return errno;
        }
        c->rpage = NULL;
    }
    return APR_SUCCESS;
}

/* ------------------------------------------------------------------ */
/* Worker: the page printed for mod_status                            */

/* One cell of a printed row. */
typedef struct {
    const char *key;
    const char *head;
    const char *value;
} status_cell_t;

#define STATUS_CELLS 12

/* Worker: a whole copy of the page in r's pool, or NULL (nothing
 * written yet, or no page). */
static void *status_snapshot(request_rec *r)
{
    status_ctx_t *c = status_ctx();
    void *copy;
    int i, got = 0;

    if (!c->rpage) {
        return NULL;
    }
    copy = apr_palloc(r->pool, c->size);
    for (i = 0; i < STATUS_COPY_TRIES; i++) {
        if ((got = peruid_status_copy(c->rpage, c->size, copy)) != 0) {
            break;
        }
        apr_sleep(apr_time_from_msec(1));
    }
    return got == 1 ? copy : NULL;
}

/* Worker: is name one of the space-separated words of list? */
static int status_listed(const char *list, const char *name)
{
    size_t n = strlen(name);
    const char *at;

    for (at = strstr(list, name); at; at = strstr(at + 1, name)) {
        if ((at == list || at[-1] == ' ')
            && (at[n] == ' ' || at[n] == '\0')) {
            return 1;
        }
    }
    return 0;
}

/* Worker: the names of the virtual hosts pool (the master's table
 * index) serves, from this worker's configuration (servers, in its
 * order): its vhosts', and those whose <Directory> AssignUserID names
 * it; "" for none. */
static const char *status_vhosts(apr_pool_t *p, server_rec **servers,
                                 int pool)
{
    const char *list = "";
    server_rec *s;
    int i, k;

    for (k = 0; (s = servers[k]) != NULL; k++) {
        const peruid_server_conf_t *sc = peruid_server_conf(s);
        const char *name = s->server_hostname ? s->server_hostname : "-";
        int dir = 0;

        for (i = 0; sc->perdir_pools && i < sc->perdir_pools->nelts; i++) {
            dir |= APR_ARRAY_IDX(sc->perdir_pools, i, int) == pool;
        }
        if (sc->pool != pool && !dir) {
            continue;
        }
        if (sc->pool != pool) {
            name = apr_pstrcat(p, name, " (directory)", NULL);
        }
        if (!status_listed(list, name)) {
            list = *list ? apr_pstrcat(p, list, " ", name, NULL) : name;
        }
    }
    return list;
}

/* Worker: the virtual hosts of every pool on the page (by its index
 * there). */
static const char **status_pool_vhosts(request_rec *r, void *page)
{
    const status_head_t *h = page;
    const status_pool_t *pools = peruid_status_pools(page);
    const char **v = apr_pcalloc(r->pool, (h->npools + 1) * sizeof(*v));
    server_rec **servers = peruid_pools_servers_in_order(r->pool,
                                                         ap_server_conf);
    apr_uint32_t i;

    for (i = 0; i < h->npools; i++) {
        v[i] = pools[i].expr ? "(AssignUserIDExpr)"
               : status_vhosts(r->pool, servers, (int)pools[i].table);
    }
    return v;
}

/* Worker: cell n of a row is key (?auto), head (HTML) and value;
 * returns n + 1. */
static int status_cell(status_cell_t *cells, int n, const char *key,
                       const char *head, const char *value)
{
    cells[n].key = key;
    cells[n].head = head;
    cells[n].value = value;
    return n + 1;
}

/* Worker: the cells of the process on the page at index i. */
static int status_proc_cells(request_rec *r, void *page,
                             const char **vhosts, apr_uint32_t i_proc,
                             status_cell_t *cells)
{
    const status_proc_t *q = &peruid_status_procs(page)[i_proc];
    status_field_t *f = apr_palloc(r->pool, STATUS_PROC_FIELDS
                                            * sizeof(*f));
    char *user = apr_palloc(r->pool, STATUS_NAME_MAX + 16);
    int i, n = 0;

    peruid_status_proc_fields(q, f);
    for (i = 0; i < STATUS_PROC_FIELDS; i++) {
        n = status_cell(cells, n, f[i].key, f[i].head, f[i].value);
        if (i == 1) {           /* after the pid: its user */
            n = status_cell(cells, n, "User", "User",
                            peruid_status_proc_user(page, q, user,
                                                    STATUS_NAME_MAX + 16));
        }
    }
    return status_cell(cells, n, "Vhosts", "Virtual hosts",
                       q->role == STATUS_ROLE_WORKER && q->pool >= 0
                       && vhosts[q->pool] ? vhosts[q->pool] : "");
}

/* Worker: the cells of the pool on the page at index i. */
static int status_pool_cells(request_rec *r, void *page,
                             const char **vhosts, apr_uint32_t i,
                             status_cell_t *cells)
{
    status_field_t *f = apr_palloc(r->pool, STATUS_POOL_FIELDS
                                            * sizeof(*f));
    int k, n = 0;

    peruid_status_pool_fields(&peruid_status_pools(page)[i], f);
    for (k = 0; k < STATUS_POOL_FIELDS; k++) {
        n = status_cell(cells, n, f[k].key, f[k].head, f[k].value);
        if (k == 2) {           /* after the ids: its vhosts */
            n = status_cell(cells, n, "Vhosts", "Virtual hosts", vhosts[i]);
        }
    }
    return n;
}

/* Worker: one row, as ?auto lines ("<prefix><i><Key>: value") or an
 * HTML table row. */
static void status_row(request_rec *r, int flags, const char *prefix,
                       apr_uint32_t i, const status_cell_t *cells, int n)
{
    int k;

    for (k = 0; k < n; k++) {
        const char *v = *cells[k].value ? cells[k].value : "-";

        if (flags & AP_STATUS_SHORT) {
            ap_rprintf(r, "%s%lu%s: %s\n", prefix, (unsigned long)i,
                       cells[k].key, v);
        }
        else if (flags & AP_STATUS_NOTABLE) {
            ap_rprintf(r, "%s%s: %s", k ? ", " : "<p>", cells[k].head,
                       ap_escape_html(r->pool, v));
        }
        else {
            ap_rprintf(r, "%s<td>%s</td>", k ? "" : "<tr>",
                       ap_escape_html(r->pool, v));
        }
    }
    if (!(flags & AP_STATUS_SHORT)) {
        ap_rputs((flags & AP_STATUS_NOTABLE) ? "</p>\n" : "</tr>\n", r);
    }
}

/* Worker: an HTML table's heads (not with ?notable, nor ?auto). */
static void status_heads(request_rec *r, int flags, const char *title,
                         const status_cell_t *cells, int n)
{
    int k;

    if (flags & AP_STATUS_SHORT) {
        return;
    }
    ap_rprintf(r, "<h2>%s</h2>\n", title);
    if (flags & AP_STATUS_NOTABLE) {
        return;
    }
    ap_rputs("<table border=\"0\"><tr>", r);
    for (k = 0; k < n; k++) {
        ap_rprintf(r, "<th>%s</th>", cells[k].head);
    }
    ap_rputs("</tr>\n", r);
}

/* Worker: the end of an HTML table. */
static void status_table_end(request_rec *r, int flags)
{
    if (!(flags & (AP_STATUS_SHORT | AP_STATUS_NOTABLE))) {
        ap_rputs("</table>\n", r);
    }
}

/* One table of the page: its title, its ?auto prefix and count key,
 * and how a row's cells are made. */
typedef struct {
    const char *title;
    const char *prefix;
    const char *count_key;
    int (*cells)(request_rec *r, void *page, const char **vhosts,
                 apr_uint32_t i, status_cell_t *cells);
} status_table_t;

static const status_table_t status_procs_table = {
    "Processes (mpm_peruid)", "PeruidProcess", "PeruidProcesses",
    status_proc_cells
};

static const status_table_t status_pools_table = {
    "User pools (mpm_peruid)", "PeruidPool", "PeruidPools",
    status_pool_cells
};

/* Worker: table t's count rows. */
static void status_print_table(request_rec *r, int flags, void *page,
                               const char **vhosts,
                               const status_table_t *t, apr_uint32_t count)
{
    status_cell_t cells[STATUS_CELLS];
    apr_uint32_t i;
    int n;

    if (flags & AP_STATUS_SHORT) {
        ap_rprintf(r, "%s: %lu\n", t->count_key, (unsigned long)count);
    }
    for (i = 0; i < count; i++) {
        n = t->cells(r, page, vhosts, i, cells);
        if (i == 0) {
            status_heads(r, flags, t->title, cells, n);
        }
        status_row(r, flags, t->prefix, i, cells, n);
    }
    if (count > 0) {
        status_table_end(r, flags);
    }
}

/* Worker: what the figures are, and whose request lines this page
 * shows. */
static void status_notes(request_rec *r, int flags, apr_time_t age)
{
    if (flags & AP_STATUS_SHORT) {
        ap_rputs("PeruidRequestLines: this worker's own\n", r);
        return;
    }
    ap_rprintf(r, "<p>As the master saw them %" APR_TIME_T_FMT " s ago "
               "(it writes them once a second; nothing here comes from a "
               "worker). Idle: workers the kernel showed waiting for a "
               "connection; busy: the others, less those starting; "
               "connections: passed to the pool by the routers; "
               "hand-overs: connections its workers handed back for "
               "another user; cold starts: workers forked for it; 503 at "
               "a cap: answered 503 at MaxRequestWorkers, its share or a "
               "MaxClientsVHost.</p>\n", apr_time_sec(age));
    ap_rputs("<p>Request lines in this page are this worker's own: each "
             "worker has a scoreboard of its own, and other users' requests "
             "are never mapped into a worker (mpm_peruid).</p>\n", r);
}

/* Worker of a user other than the main server's: why no table. */
static void status_withheld(request_rec *r, int flags)
{
    const peruid_pool_t *own = &peruid_retained()->pools[
        peruid_server_pool(ap_server_conf)];

    if (flags & AP_STATUS_SHORT) {
        ap_rputs("PeruidStatus: withheld\n", r);
        return;
    }
    ap_rprintf(r, "<hr /><p>mpm_peruid: the processes and user pools are "
               "shown by server-status of a virtual host that runs as the "
               "server's own user (%s, uid %ld), such as one without "
               "AssignUserID: other users' workers run their tenants' code, "
               "and are not given every user's figures.</p>\n",
               ap_escape_html(r->pool, own->user ? own->user : "-"),
               (long)own->uid);
}

/* Worker (the vhost's user): mod_status's status_hook. */
static int status_hook(request_rec *r, int flags)
{
    void *page = status_snapshot(r);
    const status_head_t *h = page;
    const char **vhosts;
    apr_time_t age;

    if (!page && peruid_self()->role == PERUID_ROLE_WORKER
        && status_withheld_from(peruid_self()->pool)) {
        status_withheld(r, flags);
        return OK;
    }
    if (!page) {
        if (flags & AP_STATUS_SHORT) {
            ap_rputs("PeruidStatus: unavailable\n", r);
        }
        else {
            ap_rputs("<hr /><p>mpm_peruid: no status from the master (yet)."
                     "</p>\n", r);
        }
        return OK;
    }
    age = apr_time_now() - (apr_time_t)h->written;
    age = age > 0 ? age : 0;
    vhosts = status_pool_vhosts(r, page);
    if (flags & AP_STATUS_SHORT) {
        ap_rprintf(r, "PeruidStatusAge: %" APR_TIME_T_FMT "\n",
                   apr_time_sec(age));
    }
    else {
        ap_rputs("<hr />\n", r);
    }
    status_print_table(r, flags, page, vhosts, &status_procs_table,
                       h->nprocs);
    status_print_table(r, flags, page, vhosts, &status_pools_table,
                       h->npools);
    status_notes(r, flags, age);
    return OK;
}

/* Master, root, module load: see status.h.  An optional hook: nothing
 * runs it when mod_status is not loaded. */
void peruid_status_register_hooks(apr_pool_t *p)
{
    APR_OPTIONAL_HOOK(ap, status_hook, status_hook, NULL, NULL,
                      APR_HOOK_MIDDLE);
}
