/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * test_segpick.c -- unit tests of mpm_peruid/segpick.c, the master's
 * choice of the shared segments it copies per user: the maps lines it
 * reads, the objects that appeared across post_config (the scoreboard and
 * anything older stay out, JIT parts of one segment group together), the
 * self-referencing first word, OPcache's lock file names, and when a
 * user's copy is released (no worker of the user left in the master's
 * table, the copy filled).
 */

#include <string.h>

#include "segpick.h"
#include "unit.h"

/* Parse the C string line; 1 when well-formed. */
static int parse(const char *line, segpick_map_t *m)
{
    return segpick_parse(line, strlen(line), m);
}

typedef struct {
    const char *line;
    int ok;
    unsigned long start, end, inode;
    int prot, shared;
} parse_row_t;

static const parse_row_t parse_rows[] = {
    { "4143e000-4943e000 rw-s 00000000 00:01 10785                    "
      "          /dev/zero (deleted)", 1, 0x4143e000, 0x4943e000, 10785,
      SEGPICK_READ | SEGPICK_WRITE, 1 },
    { "7f0b8132f000-7f0b81485000 r-xp 00026000 fe:00 1234 /usr/lib/libc.so",
      1, 0x7f0b8132f000, 0x7f0b81485000, 1234,
      SEGPICK_READ | SEGPICK_EXEC, 0 },
    { "1000-2000 ---p 00000000 00:00 0", 1, 0x1000, 0x2000, 0, 0, 0 },
    { "1000-2000 r-xs 00000000 00:01 7", 1, 0x1000, 0x2000, 7,
      SEGPICK_READ | SEGPICK_EXEC, 1 },
    { "1000-2000 rw-s 00000000 00:01 7 /a path with spaces", 1, 0x1000,
      0x2000, 7, SEGPICK_READ | SEGPICK_WRITE, 1 },
    { "2000-1000 rw-s 00000000 00:01 7", 0, 0, 0, 0, 0, 0 },
    { "1000-1000 rw-s 00000000 00:01 7", 0, 0, 0, 0, 0, 0 },
    { "1000-2000 rw-x 00000000 00:01 7", 0, 0, 0, 0, 0, 0 },
    { "1000-2000 rw-ss 00000000 00:01 7", 0, 0, 0, 0, 0, 0 },
    { "1000-2000 RW-S 00000000 00:01 7", 0, 0, 0, 0, 0, 0 },
    { "1000-2000 rw-s 00000000 00:01", 0, 0, 0, 0, 0, 0 },
    { "1000-2000 rw-s 00000000 00:01 7x", 0, 0, 0, 0, 0, 0 },
    { "hello world", 0, 0, 0, 0, 0, 0 },
    { "", 0, 0, 0, 0, 0, 0 },
};

/* Each parse row. */
static void test_parse(void)
{
    size_t i;

    for (i = 0; i < sizeof(parse_rows) / sizeof(parse_rows[0]); i++) {
        const parse_row_t *r = &parse_rows[i];
        segpick_map_t m;
        int ok = parse(r->line, &m);

        CHECK(ok == r->ok);
        if (ok != r->ok) {
            fprintf(stderr, "    row %zu \"%s\": got %d\n", i, r->line, ok);
        }
        if (ok && r->ok) {
            CHECK(m.start == r->start && m.end == r->end);
            CHECK(m.inode == r->inode && m.prot == r->prot);
            CHECK(m.shared == r->shared);
        }
    }
    /* a line is given with its length, not NUL-terminated */
    {
        segpick_map_t m;
        const char *two = "1000-2000 rw-s 00000000 00:01 7\n3000-4000";

        CHECK(segpick_parse(two, 31, &m) == 1 && m.inode == 7);
        CHECK(segpick_parse(two, 30, &m) == 0);   /* no inode */
    }
}

/* The lines of a master before and after the post_config hooks. */
static const char *const before_lines[] = {
    "55d0c0000000-55d0c0001000 r--p 00000000 fe:00 100 /usr/sbin/apache2",
    /* a segment of an earlier read (graceful restart: the scoreboard) */
    "7f0000000000-7f000005d000 rw-s 00000000 00:01 10",
    "7f0000100000-7f0000107000 r--s 00000000 fe:00 300 /gconv.cache",
};
static const char *const after_lines[] = {
    "55d0c0000000-55d0c0001000 r--p 00000000 fe:00 100 /usr/sbin/apache2",
    /* OPcache: segment, then its JIT buffer made read-only and executable */
    "40000000-47000000 rw-s 00000000 00:01 20 /dev/zero (deleted)",
    "47000000-48000000 r-xs 07000000 00:01 20 /dev/zero (deleted)",
    /* the scoreboard, there before */
    "7f0000000000-7f000005d000 rw-s 00000000 00:01 10",
    /* a new mutex page */
    "7f0000080000-7f0000081000 rw-s 00000000 00:01 21 /dev/zero (deleted)",
    /* new private memory: never shared */
    "7f0000090000-7f0000099000 rw-p 00000000 00:00 0",
    /* the same read-only file as before */
    "7f0000100000-7f0000107000 r--s 00000000 fe:00 300 /gconv.cache",
    /* a new read-only shared file */
    "7f0000200000-7f0000201000 r--s 00000000 fe:00 301 /other.cache",
    /* one object in two runs (a part between them unmapped) */
    "7f0000300000-7f0000301000 rw-s 00000000 00:01 22",
    "7f0000302000-7f0000303000 rw-s 00002000 00:01 22",
    /* the same inode number on another device is another object */
    "7f0000400000-7f0000401000 rw-s 00000000 00:02 10",
};

#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))

/* Parse a table of lines into t (every line must parse). */
static void parse_all(const char *const *lines, int n, segpick_map_t *t)
{
    int i;

    for (i = 0; i < n; i++) {
        CHECK(parse(lines[i], &t[i]) == 1);
    }
}

/* Which objects appeared across post_config, and how they group. */
static void test_new_objects(void)
{
    segpick_map_t before[N(before_lines)], after[N(after_lines)];
    segpick_obj_t o[8];
    int n;

    parse_all(before_lines, N(before_lines), before);
    parse_all(after_lines, N(after_lines), after);
    n = segpick_new_objects(before, N(before), after, N(after), o, 8);
    CHECK(n == 6);
    if (n != 6) {
        return;
    }
    /* OPcache: both parts, one object */
    CHECK(o[0].start == 0x40000000 && o[0].end == 0x48000000);
    CHECK(o[0].first == 1 && o[0].count == 2 && o[0].writable);
    /* the mutex page */
    CHECK(o[1].start == 0x7f0000080000 && o[1].count == 1 && o[1].writable);
    /* the new read-only file: an object, never writable */
    CHECK(o[2].start == 0x7f0000200000 && !o[2].writable);
    /* the object in two runs: two objects */
    CHECK(o[3].start == 0x7f0000300000 && o[3].end == 0x7f0000301000);
    CHECK(o[4].start == 0x7f0000302000 && o[4].end == 0x7f0000303000);
    /* inode 10 of device 00:02 is not the scoreboard */
    CHECK(o[5].start == 0x7f0000400000);

    /* only max are stored, all are counted */
    memset(o, 0, sizeof(o));
    CHECK(segpick_new_objects(before, N(before), after, N(after), o, 1)
          == 6);
    CHECK(o[0].start == 0x40000000 && o[1].start == 0);
    /* nothing before: everything shared is new */
    CHECK(segpick_new_objects(before, 0, after, N(after), o, 8) == 8);
    /* nothing new */
    CHECK(segpick_new_objects(after, N(after), after, N(after), o, 8) == 0);
    CHECK(segpick_new_objects(before, N(before), after, 0, o, 8) == 0);
}

/* An object found again by where it starts and what it is (mod_ssl's,
 * noted in an earlier post_config pass). */
static void test_object_at(void)
{
    segpick_map_t after[N(after_lines)];
    segpick_obj_t o;

    parse_all(after_lines, N(after_lines), after);
    memset(&o, 0, sizeof(o));
    /* OPcache's two parts, one object */
    CHECK(segpick_object_at(after, N(after), 0x40000000, 1, 20, &o) == 1);
    CHECK(o.start == 0x40000000 && o.end == 0x48000000 && o.first == 1
          && o.count == 2 && o.writable);
    /* the mutex page, made before and still there */
    CHECK(segpick_object_at(after, N(after), 0x7f0000080000, 1, 21, &o));
    CHECK(o.end == 0x7f0000081000 && o.count == 1 && o.writable);
    /* a read-only shared file is found, and is not writable */
    CHECK(segpick_object_at(after, N(after), 0x7f0000200000,
                            (0xfeUL << 20), 301, &o) == 1 && !o.writable);
    /* the first run of an object in two runs only */
    CHECK(segpick_object_at(after, N(after), 0x7f0000300000, 1, 22, &o));
    CHECK(o.end == 0x7f0000301000 && o.count == 1);
    /* not where it starts, another inode, another device, private
     * memory, nothing at all: not found */
    CHECK(segpick_object_at(after, N(after), 0x47000000, 1, 20, &o) == 0);
    CHECK(segpick_object_at(after, N(after), 0x40000000, 1, 21, &o) == 0);
    CHECK(segpick_object_at(after, N(after), 0x7f0000400000, 1, 10, &o)
          == 0);
    CHECK(segpick_object_at(after, N(after), 0x7f0000090000, 0, 0, &o)
          == 0);
    CHECK(segpick_object_at(after, 0, 0x40000000, 1, 20, &o) == 0);
}

typedef struct {
    const char *name;
    unsigned long start, end;
    int writable;
    unsigned long first_word;
    int want;
} segment_row_t;

static const segment_row_t segment_rows[] = {
    { "OPcache: a pointer a little past the start", 0x40000000, 0x48000000,
      1, 0x40000050, 1 },
    { "a pointer to the last byte", 0x40000000, 0x48000000, 1, 0x47ffffff,
      1 },
    { "a pointer to itself", 0x40000000, 0x48000000, 1, 0x40000000, 0 },
    { "a pointer into the first word", 0x40000000, 0x48000000, 1,
      0x40000004, 0 },
    { "just past the first word", 0x40000000, 0x48000000, 1,
      0x40000000 + sizeof(void *), 1 },
    { "a pointer past the end", 0x40000000, 0x48000000, 1, 0x48000000, 0 },
    { "APR shared memory: its size", 0x7f0000000000, 0x7f0000010000, 1,
      0x10000, 0 },
    { "a mutex: zero", 0x7f0000080000, 0x7f0000081000, 1, 0, 0 },
    { "a pointer elsewhere (the heap)", 0x40000000, 0x48000000, 1,
      0x55d0c0000100, 0 },
    { "read-only, pointing into itself", 0x40000000, 0x48000000, 0,
      0x40000050, 0 },
};

/* Each self-reference row. */
static void test_is_segment(void)
{
    size_t i;

    for (i = 0; i < sizeof(segment_rows) / sizeof(segment_rows[0]); i++) {
        const segment_row_t *r = &segment_rows[i];
        segpick_obj_t o;
        int got;

        memset(&o, 0, sizeof(o));
        o.start = r->start;
        o.end = r->end;
        o.writable = r->writable;
        o.count = 1;
        got = segpick_is_segment(&o, r->first_word);
        CHECK(got == r->want);
        if (got != r->want) {
            fprintf(stderr, "    row \"%s\": got %d\n", r->name, got);
        }
    }
}

/* OPcache's lock file, as readlink names it. */
static void test_lock_names(void)
{
    CHECK(segpick_is_opcache_lock("/tmp/.ZendSem.mYuNYW (deleted)"));
    CHECK(segpick_is_opcache_lock("/var/lib/php/.ZendSem.a1b2c3 (deleted)"));
    CHECK(segpick_is_opcache_lock("/memfd:opcache_lock (deleted)"));
    CHECK(!segpick_is_opcache_lock("/tmp/.ZendSem.mYuNYW"));
    CHECK(!segpick_is_opcache_lock("/tmp/.ZendSem.abc (deleted)"));
    CHECK(!segpick_is_opcache_lock("/tmp/.ZendSem.abcdefg (deleted)"));
    CHECK(!segpick_is_opcache_lock("/tmp/x.ZendSem.abcdef (deleted)"));
    CHECK(!segpick_is_opcache_lock("/memfd:opcache_lockx (deleted)"));
    CHECK(!segpick_is_opcache_lock("/memfd:peruid-segments (deleted)"));
    CHECK(!segpick_is_opcache_lock("/dev/zero (deleted)"));
    CHECK(!segpick_is_opcache_lock("socket:[30027710]"));
    CHECK(!segpick_is_opcache_lock(".ZendSem.abcdef (deleted)"));
    CHECK(!segpick_is_opcache_lock(" (deleted)"));
    CHECK(!segpick_is_opcache_lock(""));
}

typedef struct {
    const char *name;
    segpick_copy_t c;
    segpick_copy_e want;
} release_row_t;

static const release_row_t release_rows[] = {
    /* workers in the master's table: starting, serving, leaving alike */
    { "one worker, filled", { 1, 1, 1 }, SEGPICK_COPY_USED },
    { "first worker, copy still empty", { 1, 0, -1 }, SEGPICK_COPY_USED },
    { "many workers, not looked at", { 7, 0, -1 }, SEGPICK_COPY_USED },
    { "workers, not filled", { 2, 1, 0 }, SEGPICK_COPY_USED },
    /* no worker left since one was seen */
    { "last worker gone: look", { 0, 1, -1 }, SEGPICK_COPY_LOOK },
    { "last worker gone, filled", { 0, 1, 1 }, SEGPICK_COPY_RELEASE },
    { "last worker gone, never filled (its setup failed)", { 0, 1, 0 },
      SEGPICK_COPY_UNUSED },
    /* never used since made or released: not looked at, never released */
    { "idle, unused", { 0, 0, -1 }, SEGPICK_COPY_KEEP },
    { "idle, unused, empty", { 0, 0, 0 }, SEGPICK_COPY_KEEP },
    { "idle, unused, filled (a preforked worker's, unseen)", { 0, 0, 1 },
      SEGPICK_COPY_KEEP },
};

/* Each release row, then a user's life: served, left, served again. */
static void test_copy_release(void)
{
    segpick_copy_t c = { 0, 0, -1 };
    size_t i;

    for (i = 0; i < sizeof(release_rows) / sizeof(release_rows[0]); i++) {
        const release_row_t *r = &release_rows[i];
        segpick_copy_e got = segpick_copy_release(&r->c);

        CHECK(got == r->want);
        if (got != r->want) {
            fprintf(stderr, "    row \"%s\": got %d\n", r->name, got);
        }
    }
    CHECK(segpick_copy_release(&c) == SEGPICK_COPY_KEEP);
    c.workers = 1;                              /* forked, fills it */
    CHECK(segpick_copy_release(&c) == SEGPICK_COPY_USED);
    c.used = 1;
    c.workers = 0;                              /* left: look */
    CHECK(segpick_copy_release(&c) == SEGPICK_COPY_LOOK);
    c.filled = 1;
    CHECK(segpick_copy_release(&c) == SEGPICK_COPY_RELEASE);
    c.used = 0;                                 /* released */
    c.filled = -1;
    CHECK(segpick_copy_release(&c) == SEGPICK_COPY_KEEP);
    c.workers = 1;                              /* served again */
    CHECK(segpick_copy_release(&c) == SEGPICK_COPY_USED);
}

int main(void)
{
    test_parse();
    test_new_objects();
    test_object_at();
    test_is_segment();
    test_lock_names();
    test_copy_release();
    return unit_summary("test_segpick");
}
