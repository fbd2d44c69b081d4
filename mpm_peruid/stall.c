/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * stall.c -- have the routers stopped accepting?  Pure functions (no
 * system calls, no globals) of the master's watch over its routers
 * (watch.c); stall.h says what each decides.  Run by the master (root)
 * and by tests/unit/test_stall.c.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stall.h"

#define STALL_TCP_ESTABLISHED 0x01
#define STALL_TCP_CLOSE_WAIT  0x08  /* the client closed while queued */
#define STALL_LOG_EVERY       apr_time_from_sec(1)

/* Pure: hex (8 digits per 32-bit word, each word printed by the kernel
 * as the native number it holds in memory) into addr; len 8 or 32. */
static int stall_hex_addr(const char *hex, size_t len, unsigned char *addr)
{
    size_t i;

    memset(addr, 0, 16);
    for (i = 0; i < len / 8; i++) {
        char word[9];
        char *end;
        apr_uint32_t v;

        memcpy(word, hex + 8 * i, 8);
        word[8] = '\0';
        v = (apr_uint32_t)strtoul(word, &end, 16);
        if (*end) {
            return -1;
        }
        memcpy(addr + 4 * i, &v, 4);
    }
    return 0;
}

/* Pure: FNV-1a over s, on top of h. */
static stall_key_t stall_hash(stall_key_t h, const char *s)
{
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 1099511628211ULL;
    }
    return h;
}

/* Pure: does a connection to addr:port belong to listener l? */
static int stall_matches(const stall_listener_t *l, int v6,
                         const unsigned char *addr, unsigned int port)
{
    static const unsigned char any[16];
    size_t len = v6 ? 16 : 4;

    return l->v6 == v6 && l->port == port
           && (!memcmp(l->addr, any, len) || !memcmp(l->addr, addr, len));
}

/* Pure: see stall.h. */
int peruid_stall_parse(const char *line, int v6, const stall_listener_t *ls,
                       int nls, stall_key_t *key)
{
    char la[33], ra[33], ports[24];
    unsigned int lport, rport, st;
    unsigned long inode;
    unsigned char addr[16];
    size_t len = v6 ? 32 : 8;
    int i;

    if (sscanf(line, " %*u: %32[0-9A-Fa-f]:%x %32[0-9A-Fa-f]:%x %x "
               "%*x:%*x %*x:%*x %*x %*u %*u %lu",
               la, &lport, ra, &rport, &st, &inode) != 6
        || strlen(la) != len || strlen(ra) != len || inode != 0
        || (st != STALL_TCP_ESTABLISHED && st != STALL_TCP_CLOSE_WAIT)
        || stall_hex_addr(la, len, addr) < 0) {
        return 0;
    }
    for (i = 0; i < nls; i++) {
        if (stall_matches(&ls[i], v6, addr, lport)) {
            snprintf(ports, sizeof(ports), "%d:%u:%u", v6, lport, rport);
            *key = stall_hash(stall_hash(stall_hash(14695981039346656037ULL,
                                                    la), ra), ports);
            return 1;
        }
    }
    return 0;
}

/* Pure: qsort order of keys. */
static int stall_key_cmp(const void *a, const void *b)
{
    stall_key_t x = *(const stall_key_t *)a, y = *(const stall_key_t *)b;

    return x < y ? -1 : x > y;
}

/* Pure: keep in w the keys also in keys[0..n-1] (both sorted). */
static void stall_intersect(stall_watch_t *w, const stall_key_t *keys, int n)
{
    int i = 0, j = 0, kept = 0;

    while (i < w->nkeys && j < n) {
        if (w->keys[i] < keys[j]) {
            i++;
        }
        else if (keys[j] < w->keys[i]) {
            j++;
        }
        else {
            w->keys[kept++] = w->keys[i];
            i++;
            j++;
        }
    }
    w->nkeys = kept;
}

/* Pure: see stall.h. */
stall_verdict_e peruid_stall_step(stall_watch_t *w, stall_key_t *keys, int n,
                                  apr_time_t now, apr_time_t routers_since,
                                  apr_interval_time_t bound)
{
    apr_time_t from;

    if (n <= 0) {
        w->nkeys = 0;
        return STALL_NONE;
    }
    qsort(keys, (size_t)n, sizeof(*keys), stall_key_cmp);
    if (w->nkeys > 0) {
        stall_intersect(w, keys, n);
    }
    if (w->nkeys == 0) {        /* all taken since: follow the new ones */
        w->nkeys = n < STALL_KEYS ? n : STALL_KEYS;
        memcpy(w->keys, keys, (size_t)w->nkeys * sizeof(*keys));
        w->since = now;
        return STALL_WAITING;
    }
    from = w->since > routers_since ? w->since : routers_since;
    return now - from >= bound ? STALL_STUCK : STALL_WAITING;
}

/* Pure: see stall.h. */
int peruid_stall_log_due(stall_log_t *l, int event, apr_time_t now)
{
    int n;

    l->pending += event != 0;
    if (l->pending == 0
        || (l->logged && now - l->logged < STALL_LOG_EVERY)) {
        return 0;
    }
    n = l->pending;
    l->pending = 0;
    l->logged = now;
    return n;
}
