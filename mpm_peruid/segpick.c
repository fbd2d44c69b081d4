/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * segpick.c -- which shared mappings the master copies per user (see
 * segpick.h).  Runs in the master, as root, after the post_config hooks
 * (segments.c reads /proc/self/maps and the first words; this file only
 * looks at what it was given).
 */

#include <stdio.h>
#include <string.h>

#include "segpick.h"

/* Longest line prefix segpick_parse looks at: the fields before the path
 * ("start-end perms offset dev inode", at most about 90 bytes). */
#define SEGPICK_FIELDS_MAX 128

/* Master, root: the protections of the four-letter perms field p, and
 * whether it is shared.  Returns 0 when it is not of the kernel's
 * shape ("r-xp", "rw-s", ...). */
static int segpick_perms(const char *p, int *prot, int *shared)
{
    if ((p[0] != 'r' && p[0] != '-') || (p[1] != 'w' && p[1] != '-')
        || (p[2] != 'x' && p[2] != '-') || (p[3] != 's' && p[3] != 'p')) {
        return 0;
    }
    *prot = (p[0] == 'r' ? SEGPICK_READ : 0)
            | (p[1] == 'w' ? SEGPICK_WRITE : 0)
            | (p[2] == 'x' ? SEGPICK_EXEC : 0);
    *shared = p[3] == 's';
    return 1;
}

/* Master, root: see segpick.h. */
int segpick_parse(const char *p, size_t n, segpick_map_t *m)
{
    char buf[SEGPICK_FIELDS_MAX + 1], perms[5];
    unsigned long major, minor;
    int used = 0;

    if (n > SEGPICK_FIELDS_MAX) {
        n = SEGPICK_FIELDS_MAX;     /* the path is not needed */
    }
    memcpy(buf, p, n);
    buf[n] = '\0';
    if (sscanf(buf, "%lx-%lx %4s %lx %lx:%lx %lu%n", &m->start, &m->end,
               perms, &m->offset, &major, &minor, &m->inode, &used) != 7
        || strlen(perms) != 4 || (buf[used] != '\0' && buf[used] != ' ')
        || m->start >= m->end || minor >= (1UL << 20)) {
        return 0;
    }
    m->dev = major << 20 | minor;
    return segpick_perms(perms, &m->prot, &m->shared);
}

/* Master, root: is (dev, inode) the object of a shared line of
 * t[0..n)? */
static int segpick_known(const segpick_map_t *t, int n, unsigned long dev,
                         unsigned long inode)
{
    int i;

    for (i = 0; i < n; i++) {
        if (t[i].shared && t[i].dev == dev && t[i].inode == inode) {
            return 1;
        }
    }
    return 0;
}

/* Master, root: does line b continue line a: the same shared object,
 * adjacent in memory and in the object? */
static int segpick_continues(const segpick_map_t *a, const segpick_map_t *b)
{
    return b->shared && a->dev == b->dev && a->inode == b->inode
           && b->start == a->end
           && b->offset == a->offset + (a->end - a->start);
}

/* Master, root: see segpick.h. */
int segpick_new_objects(const segpick_map_t *before, int nb,
                        const segpick_map_t *after, int na,
                        segpick_obj_t *out, int max)
{
    int i = 0, found = 0;

    while (i < na) {
        segpick_obj_t o;

        if (!after[i].shared
            || segpick_known(before, nb, after[i].dev, after[i].inode)) {
            i++;
            continue;
        }
        o.start = after[i].start;
        o.first = i;
        o.writable = 0;
        do {
            o.writable |= (after[i].prot & SEGPICK_WRITE) != 0;
            o.end = after[i].end;
            i++;
        } while (i < na && segpick_continues(&after[i - 1], &after[i]));
        o.count = i - o.first;
        if (found < max) {
            out[found] = o;
        }
        found++;
    }
    return found;
}

/* Master, root: see segpick.h. */
int segpick_object_at(const segpick_map_t *after, int na,
                      unsigned long start, unsigned long dev,
                      unsigned long inode, segpick_obj_t *out)
{
    int i = 0;

    while (i < na && !(after[i].start == start && after[i].shared
                       && after[i].dev == dev && after[i].inode == inode)) {
        i++;
    }
    if (i == na || (i > 0 && segpick_continues(&after[i - 1], &after[i]))) {
        return 0;               /* none, or inside a longer run */
    }
    out->start = start;
    out->first = i;
    out->writable = 0;
    do {
        out->writable |= (after[i].prot & SEGPICK_WRITE) != 0;
        out->end = after[i].end;
        i++;
    } while (i < na && segpick_continues(&after[i - 1], &after[i]));
    out->count = i - out->first;
    return 1;
}

/* Master, root: see segpick.h. */
int segpick_is_segment(const segpick_obj_t *obj, unsigned long first_word)
{
    return obj->writable && first_word >= obj->start + sizeof(void *)
           && first_word < obj->end;
}

/* Master, root: see segpick.h. */
int segpick_is_opcache_lock(const char *target)
{
    static const char deleted[] = " (deleted)";
    const char *base = strrchr(target, '/');
    size_t n;

    if (base == NULL) {
        return 0;
    }
    base++;
    n = strlen(base);
    if (n < sizeof(deleted) - 1
        || strcmp(base + n - (sizeof(deleted) - 1), deleted) != 0) {
        return 0;               /* a lock file is unlinked at once */
    }
    n -= sizeof(deleted) - 1;
    return (n == sizeof(".ZendSem.XXXXXX") - 1
            && strncmp(base, ".ZendSem.", 9) == 0)
           || (n == sizeof("memfd:opcache_lock") - 1
               && strncmp(base, "memfd:opcache_lock", n) == 0);
}

/* Master, root: see segpick.h. */
segpick_copy_e segpick_copy_release(const segpick_copy_t *c)
{
    if (c->workers > 0) {
        return SEGPICK_COPY_USED;
    }
    if (!c->used) {
        return SEGPICK_COPY_KEEP;
    }
    if (c->filled < 0) {
        return SEGPICK_COPY_LOOK;
    }
    return c->filled ? SEGPICK_COPY_RELEASE : SEGPICK_COPY_UNUSED;
}
