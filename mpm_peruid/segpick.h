/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * segpick.h -- which shared mappings the master gives each user a copy
 * of (segments.c), as pure functions: lines of /proc/self/maps before
 * and after the post_config hooks in, the segments to copy out; and
 * when a user's copy is released (its workers all gone).
 *
 * A segment is a shared object (device and inode) none of whose lines
 * was there before the modules' post_config hooks ran, that is writable
 * in at least one line, and whose first word points inside it: PHP's
 * OPcache starts its segment with a pointer to its own segment table.
 * httpd's scoreboard (made later, in pre_mpm), APR's shared memory (its
 * first word is its size), mutexes, mod_slotmem_shm and mod_ssl's
 * session cache (offsets, not pointers) are not segments: they stay
 * shared, as those modules need.
 *
 * No system call, no allocation, no httpd header: tests/unit/
 * test_segpick.c links it alone.
 */

#ifndef PERUID_SEGPICK_H
#define PERUID_SEGPICK_H

#include <stddef.h>

#define SEGPICK_READ  1
#define SEGPICK_WRITE 2
#define SEGPICK_EXEC  4

/* One line of /proc/self/maps. */
typedef struct {
    unsigned long start;
    unsigned long end;          /* past the last byte                    */
    unsigned long offset;       /* in the object, bytes                  */
    unsigned long dev;          /* major << 20 | minor                   */
    unsigned long inode;
    int prot;                   /* SEGPICK_READ | _WRITE | _EXEC         */
    int shared;                 /* 's', else 'p'                         */
} segpick_map_t;

/* A shared object that appeared: lines first .. first + count - 1 of the
 * "after" table, contiguous in memory and in the object. */
typedef struct {
    unsigned long start;
    unsigned long end;
    int first;
    int count;
    int writable;               /* some line is writable                 */
} segpick_obj_t;

/* Split the line p[0..n) (without its newline) into *m.  Returns 0 when
 * it is not of the kernel's shape. */
int segpick_parse(const char *p, size_t n, segpick_map_t *m);

/* The shared objects of after[0..na) that have no line in
 * before[0..nb), in address order, at most max of them into out.  A
 * shared object whose lines are not contiguous (a part unmapped) counts
 * as one per contiguous run.  Returns how many were found (may exceed
 * max: then only max were stored). */
int segpick_new_objects(const segpick_map_t *before, int nb,
                        const segpick_map_t *after, int na,
                        segpick_obj_t *out, int max);

/* The shared object of after[0..na) that starts at start, on (dev,
 * inode): its lines from there while they continue it, into *out.
 * Returns 0 when no run of shared lines of that object starts there
 * (unmapped, something else mapped there since, or the line there
 * continues one below it). */
int segpick_object_at(const segpick_map_t *after, int na,
                      unsigned long start, unsigned long dev,
                      unsigned long inode, segpick_obj_t *out);

/* Is obj, whose first word (pointer-sized) holds first_word, a segment
 * to copy per user: writable, and pointing into itself past that word? */
int segpick_is_segment(const segpick_obj_t *obj, unsigned long first_word);

/* Is target (what readlink gives for a descriptor) OPcache's lock file:
 * "/tmp/.ZendSem.XXXXXX (deleted)" (any directory, opcache.lockfile_path)
 * or, in later PHP versions, "/memfd:opcache_lock (deleted)"? */
int segpick_is_opcache_lock(const char *target);

/* What the master knows, at the end of a scheduling pass, of one user's
 * copy (segments.c, peruid_segments_release_idle). */
typedef struct {
    int workers;    /* of the user/group pair in the master's table:
                     * starting, serving or leaving, a preforked one once
                     * bound (an unbound one is no user's)              */
    int used;       /* such a worker was in the table at a pass since the
                     * copy was made (or the generation began) or last
                     * released                                        */
    int filled;     /* the copy holds data (its size is set): 1 or 0;
                     * -1 not looked at                                */
} segpick_copy_t;

/* What to do with it. */
typedef enum {
    SEGPICK_COPY_KEEP,      /* nothing                                  */
    SEGPICK_COPY_USED,      /* it has workers: note it used             */
    SEGPICK_COPY_LOOK,      /* its workers are gone: look whether it is
                             * filled, then ask again                   */
    SEGPICK_COPY_RELEASE,   /* filled, no worker left: an empty memfd in
                             * its place, then not used                 */
    SEGPICK_COPY_UNUSED     /* no worker left and nothing in it: not used */
} segpick_copy_e;

/* Release a user's copy now?  Only when no worker of its user is in the
 * master's table and it holds data; a copy nobody used since it was last
 * made empty is not looked at. */
segpick_copy_e segpick_copy_release(const segpick_copy_t *c);

#endif /* PERUID_SEGPICK_H */
