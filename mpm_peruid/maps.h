/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * maps.h -- the preforked worker's reader of /proc/self/maps, as a pure
 * function: the bytes of the file in, the address ranges worth mapping in
 * ahead of the first request out (preforked.c's prefault).
 *
 * A range is wanted when its line is a private, read-only file mapping
 * ("r-?p" with an inode): executable ones of any size, other ones up to
 * MAPS_RODATA_MAX (larger read-only data are data files such as ICU's
 * tables, of which a request reads little).  A line the kernel would not
 * write, and a last line without its newline (the read was cut short),
 * gives nothing.  No system call, no allocation, no httpd header: the unit
 * tests (tests/unit/test_maps.c) and the fuzz target link it alone.
 */

#ifndef PERUID_MAPS_H
#define PERUID_MAPS_H

#include <stddef.h>

/* Largest part of /proc/self/maps the preforked worker reads, and the
 * largest read-only data mapping it maps in. */
#define MAPS_READ_MAX   (256 * 1024)
#define MAPS_RODATA_MAX (1024 * 1024)

typedef struct {
    unsigned long start;
    unsigned long end;      /* past the last byte; start < end           */
} maps_range_t;

/* The next wanted range of the file's text buf[0..len), from the line
 * that starts at *pos (0 for the first).  Returns 1 with *r and *pos just
 * past that range's line, or 0 when no complete line is left (*pos is
 * then at the rest, if any, of a line without its newline). */
int peruid_maps_next(const char *buf, size_t len, size_t *pos,
                     maps_range_t *r);

#endif /* PERUID_MAPS_H */
