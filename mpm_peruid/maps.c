/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * maps.c -- which lines of /proc/self/maps a preforked worker maps in.
 *
 * Runs in a preforked worker, as root, before it is bound to a pool
 * (preforked.c reads the file; this file only looks at the bytes it was
 * given).  The kernel writes one line per mapping:
 *
 *     start-end perms offset dev inode [path]
 *
 * addresses and offset in hexadecimal, the inode in decimal, single
 * spaces between the fields and more before the path, which may be
 * missing and may hold any byte but a newline.  Every field is checked
 * against that shape; a line that has another one gives nothing.
 */

#include <limits.h>
#include <string.h>

#include "maps.h"

/* Preforked worker, root: the value of the hexadecimal number at p[*i]
 * (leading zeros allowed), *i moved past it.  Returns 0 when there is no
 * digit or the value does not fit an unsigned long. */
static int maps_hex(const char *p, size_t n, size_t *i, unsigned long *v)
{
    size_t from = *i;
    unsigned int d;

    for (*v = 0; *i < n; (*i)++) {
        if (p[*i] >= '0' && p[*i] <= '9') {
            d = (unsigned int)(p[*i] - '0');
        }
        else if (p[*i] >= 'a' && p[*i] <= 'f') {
            d = (unsigned int)(p[*i] - 'a' + 10);
        }
        else {
            break;
        }
        if (*v > ULONG_MAX >> 4) {
            return 0;
        }
        *v = (*v << 4) | d;
    }
    return *i > from;
}

/* Preforked worker, root: the value of the decimal number at p[*i], *i
 * moved past it.  Returns 0 when there is no digit or the value does not
 * fit an unsigned long. */
static int maps_dec(const char *p, size_t n, size_t *i, unsigned long *v)
{
    size_t from = *i;
    unsigned long d;

    for (*v = 0; *i < n && p[*i] >= '0' && p[*i] <= '9'; (*i)++) {
        d = (unsigned long)(p[*i] - '0');
        if (*v > (ULONG_MAX - d) / 10) {
            return 0;
        }
        *v = *v * 10 + d;
    }
    return *i > from;
}

/* Preforked worker, root: skip the one space between two fields at
 * p[*i].  Returns 0 when it is not there. */
static int maps_space(const char *p, size_t n, size_t *i)
{
    if (*i == n || p[*i] != ' ') {
        return 0;
    }
    (*i)++;
    return 1;
}

/* Preforked worker, root: skip the field at p[*i] (up to a space or the
 * end of the line).  Returns its length. */
static size_t maps_field(const char *p, size_t n, size_t *i)
{
    size_t from = *i;

    while (*i < n && p[*i] != ' ') {
        (*i)++;
    }
    return *i - from;
}

/* Preforked worker, root: split the line p[0..n) (without its newline)
 * into the fields we use.  Returns 0 when it is not of the kernel's
 * shape; then *r, *perms and *inode mean nothing. */
static int maps_fields(const char *p, size_t n, maps_range_t *r,
                       const char **perms, unsigned long *inode)
{
    size_t i = 0;

    if (!maps_hex(p, n, &i, &r->start) || i == n || p[i++] != '-'
        || !maps_hex(p, n, &i, &r->end) || !maps_space(p, n, &i)) {
        return 0;
    }
    *perms = p + i;
    if (maps_field(p, n, &i) != 4 || !maps_space(p, n, &i)
        || maps_field(p, n, &i) == 0 || !maps_space(p, n, &i)     /* offset */
        || maps_field(p, n, &i) == 0 || !maps_space(p, n, &i)) {  /* dev */
        return 0;
    }
    return maps_dec(p, n, &i, inode) && (i == n || p[i] == ' ');
}

/* Preforked worker, root: is the mapping of the line p[0..n) worth
 * mapping in?  A private ('p'), read-only ("r-") mapping of a file (inode
 * not 0), executable or else not larger than MAPS_RODATA_MAX. */
static int maps_line(const char *p, size_t n, maps_range_t *r)
{
    const char *perms;
    unsigned long inode;

    if (!maps_fields(p, n, r, &perms, &inode)
        || r->start >= r->end || inode == 0) {
        return 0;
    }
    if (perms[0] != 'r' || perms[1] != '-' || perms[3] != 'p') {
        return 0;
    }
    return perms[2] == 'x' || r->end - r->start <= MAPS_RODATA_MAX;
}

/* Preforked worker, root: see maps.h. */
int peruid_maps_next(const char *buf, size_t len, size_t *pos,
                     maps_range_t *r)
{
    const char *eol;
    size_t at;

    while (*pos < len) {
        at = *pos;
        eol = memchr(buf + at, '\n', len - at);
        if (eol == NULL) {
            return 0;           /* cut short: not trusted */
        }
        *pos = (size_t)(eol - buf) + 1;
        if (maps_line(buf + at, (size_t)(eol - buf) - at, r)) {
            return 1;
        }
    }
    return 0;
}
