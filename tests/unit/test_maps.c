/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * test_maps.c -- table-driven unit tests of mpm_peruid/maps.c, the
 * preforked worker's reader of /proc/self/maps as a pure function: the
 * file's bytes in, the ranges to map in ahead out.
 *
 * A row is a name, the bytes and the wanted ranges rendered as
 * "start-end" in hexadecimal, space-separated ("" for none).  Every input
 * is copied into an exactly-sized heap buffer, so that the ASan build
 * catches a read past len, and parsed whole; then every prefix of it is
 * parsed too, and must give a prefix of the whole answer (only complete
 * lines count).  After the table: the size limits on made-up files, the
 * iterator's position, and the test process's own /proc/self/maps.
 */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "maps.h"
#include "unit.h"

/* A string literal and its length, NUL bytes included. */
#define S(lit) (lit), (sizeof(lit) - 1)

/* Lines as Linux 6.1 writes them on x86-64 (paths after the padding). */
#define PAD "                     "
#define EXE_RO   "5651b142a000-5651b142c000 r--p 00000000 fe:00 247134" \
                 PAD "/usr/bin/cat\n"
#define EXE_CODE "5651b142c000-5651b1431000 r-xp 00002000 fe:00 247134" \
                 PAD "/usr/bin/cat\n"
#define EXE_DATA "5651b1435000-5651b1436000 rw-p 0000a000 fe:00 247134" \
                 PAD "/usr/bin/cat\n"
#define HEAP     "5651d9295000-5651d92b6000 rw-p 00000000 00:00 0" \
                 PAD "     [heap]\n"
#define ANON     "7f0b81286000-7f0b812a8000 rw-p 00000000 00:00 0 \n"
#define LIBC_CODE "7f0b8132f000-7f0b81485000 r-xp 00026000 fe:00 332835" \
                  PAD "/usr/lib/x86_64-linux-gnu/libc.so.6\n"
#define GCONV    "7f0b814ee000-7f0b814f5000 r--s 00000000 fe:00 332280" \
                 PAD "/usr/lib/x86_64-linux-gnu/gconv/gconv-modules.cache\n"
#define VVAR     "7f0b814f8000-7f0b814fc000 r--p 00000000 00:00 0" \
                 PAD "     [vvar]\n"
#define VDSO     "7ffd6c3f5000-7ffd6c3f7000 r-xp 00000000 00:00 0" \
                 PAD "     [vdso]\n"
#define VSYSCALL "ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0" \
                 PAD "[vsyscall]\n"

typedef struct {
    const char *name;
    const char *in;
    size_t len;
    const char *want;
} row_t;

static const row_t rows[] = {
    /* empty and normal input */
    { "empty", S(""), "" },
    { "one newline", S("\n"), "" },
    { "code", S(EXE_CODE), "5651b142c000-5651b1431000" },
    { "read-only data", S(EXE_RO), "5651b142a000-5651b142c000" },
    { "a process's maps",
      S(EXE_RO EXE_CODE EXE_DATA HEAP ANON LIBC_CODE GCONV VVAR VDSO
        VSYSCALL),
      "5651b142a000-5651b142c000 5651b142c000-5651b1431000 "
      "7f0b8132f000-7f0b81485000" },
    { "deleted file",
      S("7f00000a0000-7f00000b0000 r-xp 00000000 fe:00 12 /tmp/x "
        "(deleted)\n"), "7f00000a0000-7f00000b0000" },
    { "path with spaces and bytes",
      S("1000-2000 r-xp 00000000 fe:00 12  /a b\t\xff\x01\0c\n"),
      "1000-2000" },

    /* the permission filters: r-xp any size, r--p up to the limit */
    { "rw-p", S("1000-2000 rw-p 00000000 fe:00 12 /lib\n"), "" },
    { "rwxp", S("1000-2000 rwxp 00000000 fe:00 12 /lib\n"), "" },
    { "r-xs", S("1000-2000 r-xs 00000000 fe:00 12 /lib\n"), "" },
    { "r--s", S("1000-2000 r--s 00000000 fe:00 12 /lib\n"), "" },
    { "---p", S("1000-2000 ---p 00000000 fe:00 12 /lib\n"), "" },
    { "--xp", S("1000-2000 --xp 00000000 fe:00 12 /lib\n"), "" },
    { "-w-p", S("1000-2000 -w-p 00000000 fe:00 12 /lib\n"), "" },
    { "R-XP", S("1000-2000 R-XP 00000000 fe:00 12 /lib\n"), "" },
    { "r-?p counts as data",
      S("1000-2000 r-?p 00000000 fe:00 12 /lib\n"), "1000-2000" },
    { "rodata at the limit",
      S("100000-200000 r--p 00000000 fe:00 12 /icu\n"), "100000-200000" },
    { "rodata a page over",
      S("100000-201000 r--p 00000000 fe:00 12 /icu\n"), "" },
    { "rodata a byte over",
      S("100000-200001 r--p 00000000 fe:00 12 /icu\n"), "" },
    { "code far over the rodata limit",
      S("10000000-50000000 r-xp 00000000 fe:00 12 /big\n"),
      "10000000-50000000" },
    { "odd perms over the limit",
      S("100000-201000 r-?p 00000000 fe:00 12 /icu\n"), "" },

    /* anonymous mappings and lines without a path */
    { "inode 0", S("1000-2000 r-xp 00000000 00:00 0\n"), "" },
    { "inode 00", S("1000-2000 r-xp 00000000 00:00 00 [x]\n"), "" },
    { "no path", S("1000-2000 r-xp 00000000 fe:00 12\n"), "1000-2000" },
    { "no path, trailing space",
      S("1000-2000 r-xp 00000000 fe:00 12 \n"), "1000-2000" },

    /* a last line without its newline is not trusted */
    { "cut after the path", S("1000-2000 r-xp 00000000 fe:00 12 /lib"),
      "" },
    { "cut inside the path", S(EXE_CODE "7000-8000 r-xp 0 fe:00 12 /li"),
      "5651b142c000-5651b1431000" },
    { "cut inside the address", S(EXE_CODE "7f0b"),
      "5651b142c000-5651b1431000" },
    { "cut after the inode", S(EXE_CODE "7000-8000 r-xp 0 fe:00 12"),
      "5651b142c000-5651b1431000" },

    /* huge addresses */
    { "top of the address space",
      S("ffffffffffffe000-ffffffffffffffff r-xp 0 fe:00 12 /x\n"),
      "ffffffffffffe000-ffffffffffffffff" },
    { "start of 17 digits",
      S("10000000000000000-10000000000001000 r-xp 0 fe:00 12 /x\n"), "" },
    { "end of 17 digits",
      S("ffffffffffffe000-10000000000000000 r-xp 0 fe:00 12 /x\n"), "" },
    { "leading zeros",
      S("00000000000000001000-00000000000000002000 r-xp 0 fe:00 12 /x\n"),
      "1000-2000" },
    { "inode of 20 digits",
      S("1000-2000 r-xp 0 fe:00 18446744073709551615 /x\n"), "1000-2000" },
    { "inode too large",
      S("1000-2000 r-xp 0 fe:00 18446744073709551616 /x\n"), "" },

    /* start and end */
    { "end before start", S("2000-1000 r-xp 0 fe:00 12 /x\n"), "" },
    { "end at start", S("2000-2000 r-xp 0 fe:00 12 /x\n"), "" },
    { "rodata, end before start", S("2000-1000 r--p 0 fe:00 12 /x\n"), "" },

    /* garbage: shapes the kernel never writes */
    { "text", S("hello world\n"), "" },
    { "only a dash", S("-\n"), "" },
    { "no end", S("1000- r-xp 0 fe:00 12 /x\n"), "" },
    { "no dash", S("1000 2000 r-xp 0 fe:00 12 /x\n"), "" },
    { "0x prefix", S("0x1000-0x2000 r-xp 0 fe:00 12 /x\n"), "" },
    { "upper-case hex", S("1A000-1B000 r-xp 0 fe:00 12 /x\n"), "" },
    { "sign", S("-1000-2000 r-xp 0 fe:00 12 /x\n"), "" },
    { "leading space", S(" 1000-2000 r-xp 0 fe:00 12 /x\n"), "" },
    { "tabs", S("1000-2000\tr-xp\t0\tfe:00\t12\t/x\n"), "" },
    { "two spaces before perms", S("1000-2000  r-xp 0 fe:00 12 /x\n"), "" },
    { "two spaces before the inode", S("1000-2000 r-xp 0 fe:00  12 /x\n"),
      "" },
    { "CR LF, no path", S("1000-2000 r-xp 0 fe:00 12\r\n"), "" },
    { "CR LF after a path", S("1000-2000 r-xp 0 fe:00 12 /x\r\n"),
      "1000-2000" },
    { "junk after the inode", S("1000-2000 r-xp 0 fe:00 12abc /x\n"), "" },
    { "perms of 3", S("1000-2000 r-x 0 fe:00 12 /x\n"), "" },
    { "perms of 2", S("1000-2000 r- 0 fe:00 12 /x\n"), "" },
    { "perms of 5", S("1000-2000 r-xpp 0 fe:00 12 /x\n"), "" },
    { "NUL in perms", S("1000-2000 r-\0p 0 fe:00 12 /x\n"), "1000-2000" },
    { "NUL in the address", S("10\0000-2000 r-xp 0 fe:00 12 /x\n"), "" },
    { "no offset", S("1000-2000 r-xp  fe:00 12 /x\n"), "" },
    { "no device", S("1000-2000 r-xp 0 12 /x\n"), "" },
    { "no inode", S("1000-2000 r-xp 0 fe:00\n"), "" },
    { "nothing after perms", S("1000-2000 r-xp\n"), "" },
    { "garbage between good lines",
      S(EXE_CODE "\n\n\x01\x02\xff garbage\n" LIBC_CODE),
      "5651b142c000-5651b1431000 7f0b8132f000-7f0b81485000" },
};

/* A copy of [in, in+len) on the heap, exactly len bytes (1 when empty, so
 * that the pointer is a real one). */
static char *copy(const char *in, size_t len)
{
    char *buf = malloc(len ? len : 1);

    if (buf == NULL) {
        perror("malloc");
        exit(2);
    }
    memcpy(buf, in, len);
    return buf;
}

/* Every range of buf[0..len), rendered into out (size n); returns how
 * many.  Checks the iterator's position on the way. */
static int render(const char *name, const char *buf, size_t len,
                  char *out, size_t n)
{
    maps_range_t r;
    size_t pos = 0, prev = 0, used = 0;
    int count = 0;

    out[0] = '\0';
    while (peruid_maps_next(buf, len, &pos, &r)) {
        unit_checks++;
        if (pos <= prev || pos > len || buf[pos - 1] != '\n'
            || r.start >= r.end) {
            unit_failures++;
            fprintf(stderr, "%s: [%s] bad position %zu or range\n",
                    __FILE__, name, pos);
            break;
        }
        prev = pos;
        used += (size_t)snprintf(out + used, used < n ? n - used : 0,
                                 "%s%lx-%lx", count ? " " : "", r.start,
                                 r.end);
        count++;
    }
    CHECK(pos <= len);
    CHECK(peruid_maps_next(buf, len, &pos, &r) == 0);   /* stays done */
    return count;
}

/* Does want start with got, as whole ranges? */
static int is_prefix(const char *got, const char *want)
{
    size_t n = strlen(got);

    return strncmp(got, want, n) == 0 && (want[n] == '\0' || want[n] == ' '
                                          || n == 0);
}

/* One row, whole and cut after every byte. */
static void run_row(const row_t *row)
{
    char *buf = copy(row->in, row->len);
    char got[4096], part[4096];
    size_t k;

    render(row->name, buf, row->len, got, sizeof(got));
    unit_check_span(__FILE__, __LINE__, row->name, got, strlen(got),
                    row->want);
    free(buf);
    for (k = 0; k < row->len; k++) {
        buf = copy(row->in, k);
        render(row->name, buf, k, part, sizeof(part));
        unit_checks++;
        if (!is_prefix(part, got)) {
            unit_failures++;
            fprintf(stderr, "%s: [%s] the first %zu bytes give \"%s\", "
                    "not a prefix of \"%s\"\n", __FILE__, row->name, k,
                    part, got);
        }
        free(buf);
    }
}

/* A made-up file: line (with its newline) again and again, count times
 * but cut at max bytes; exactly *len bytes on the heap. */
static char *repeat(const char *line, size_t count, size_t max, size_t *len)
{
    size_t n = strlen(line), i;
    char *buf;

    *len = n * count < max ? n * count : max;
    buf = malloc(*len ? *len : 1);
    if (buf == NULL) {
        perror("malloc");
        exit(2);
    }
    for (i = 0; i < *len; i++) {
        buf[i] = line[i % n];
    }
    return buf;
}

/* A file as large as the preforked worker reads: every complete line
 * counts, the one cut at MAPS_READ_MAX does not. */
static void test_read_max(void)
{
    static const char line[] = "7f0b8132f000-7f0b81485000 r-xp 00026000 "
                               "fe:00 332835 /usr/lib/libc.so.6\n";
    size_t n = sizeof(line) - 1, count = MAPS_READ_MAX / n + 2, len;
    char *buf = repeat(line, count, MAPS_READ_MAX, &len);
    char *out = malloc(count * 32);

    CHECK(len == MAPS_READ_MAX && MAPS_READ_MAX % n != 0);
    CHECK(out != NULL
          && render("read max", buf, len, out, count * 32)
             == (int)(MAPS_READ_MAX / n));
    free(out);
    free(buf);
}

/* The rodata limit itself, over every size near it. */
static void test_rodata_max(void)
{
    char line[128], got[64];
    unsigned long size;
    int n;

    for (size = MAPS_RODATA_MAX - 2; size <= MAPS_RODATA_MAX + 2; size++) {
        n = snprintf(line, sizeof(line), "%lx-%lx r--p 0 fe:00 7 /d\n",
                     0x10000UL, 0x10000UL + size);
        render("rodata max", line, (size_t)n, got, sizeof(got));
        CHECK((got[0] != '\0') == (size <= MAPS_RODATA_MAX));
        n = snprintf(line, sizeof(line), "%lx-%lx r-xp 0 fe:00 7 /d\n",
                     0x10000UL, 0x10000UL + size);
        render("code max", line, (size_t)n, got, sizeof(got));
        CHECK(got[0] != '\0');
    }
}

/* The iterator resumes where it stopped and ignores a position past the
 * end. */
static void test_position(void)
{
    static const char in[] = EXE_RO HEAP EXE_CODE "1000-2000 r-xp";
    char *buf = copy(in, sizeof(in) - 1);
    size_t len = sizeof(in) - 1, pos = 0;
    maps_range_t r;

    CHECK(peruid_maps_next(buf, len, &pos, &r) == 1);
    CHECK(pos == sizeof(EXE_RO) - 1 && r.start == 0x5651b142a000UL);
    CHECK(peruid_maps_next(buf, len, &pos, &r) == 1);
    CHECK(pos == sizeof(EXE_RO HEAP EXE_CODE) - 1);
    CHECK(r.end == 0x5651b1431000UL);
    CHECK(peruid_maps_next(buf, len, &pos, &r) == 0);
    CHECK(pos == sizeof(EXE_RO HEAP EXE_CODE) - 1);     /* at the rest */
    pos = len + 1;
    CHECK(peruid_maps_next(buf, len, &pos, &r) == 0 && pos == len + 1);
    free(buf);
}

/* The test's own /proc/self/maps: the code of this function is in one of
 * the ranges. */
static void test_self(void)
{
    char *buf = malloc(MAPS_READ_MAX);
    uintptr_t here = (uintptr_t)test_self;
    size_t len = 0, pos = 0, n;
    maps_range_t r;
    FILE *f = fopen("/proc/self/maps", "r");
    int found = 0;

    CHECK(buf != NULL && f != NULL);
    if (buf == NULL || f == NULL) {
        free(buf);
        return;
    }
    while (len < MAPS_READ_MAX
           && (n = fread(buf + len, 1, MAPS_READ_MAX - len, f)) > 0) {
        len += n;
    }
    fclose(f);
    while (peruid_maps_next(buf, len, &pos, &r)) {
        found |= here >= r.start && here < r.end;
    }
    CHECK(found);
    free(buf);
}

int main(void)
{
    size_t i;

    for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        run_row(&rows[i]);
    }
    test_read_max();
    test_rodata_max();
    test_position();
    test_self();
    return unit_summary("test_maps");
}
