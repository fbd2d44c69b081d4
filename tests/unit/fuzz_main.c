/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * fuzz_main.c -- a plain main() for the fuzz targets, so that the seed
 * corpus runs under gcc and the sanitizers without libFuzzer: each
 * argument is a file, or a directory whose regular files are all read,
 * and each file is passed once to LLVMFuzzerTestOneInput().
 */

#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int run_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    unsigned char *data = NULL;
    size_t len = 0, cap = 0, n;

    if (f == NULL) {
        perror(path);
        return -1;
    }
    for (;;) {
        if (len == cap) {
            unsigned char *p;

            cap = cap ? cap * 2 : 4096;
            p = realloc(data, cap);
            if (p == NULL) {
                free(data);
                fclose(f);
                return -1;
            }
            data = p;
        }
        n = fread(data + len, 1, cap - len, f);
        if (n == 0) {
            break;
        }
        len += n;
    }
    if (ferror(f)) {
        perror(path);
        free(data);
        fclose(f);
        return -1;
    }
    fclose(f);
    LLVMFuzzerTestOneInput(data, len);
    free(data);
    return 0;
}

static int run_path(const char *path, int *count)
{
    struct stat st;
    DIR *d;
    struct dirent *e;
    int rv = 0;

    if (stat(path, &st) < 0) {
        perror(path);
        return -1;
    }
    if (!S_ISDIR(st.st_mode)) {
        if (run_file(path) < 0) {
            return -1;
        }
        (*count)++;
        return 0;
    }
    d = opendir(path);
    if (d == NULL) {
        perror(path);
        return -1;
    }
    while ((e = readdir(d)) != NULL) {
        char sub[4096];
        struct stat sst;

        if (e->d_name[0] == '.') {
            continue;
        }
        if ((size_t)snprintf(sub, sizeof(sub), "%s/%s", path, e->d_name)
            >= sizeof(sub)) {
            rv = -1;
            continue;
        }
        if (stat(sub, &sst) == 0 && S_ISREG(sst.st_mode)) {
            if (run_file(sub) < 0) {
                rv = -1;
            }
            else {
                (*count)++;
            }
        }
    }
    closedir(d);
    return rv;
}

int main(int argc, char **argv)
{
    int i, count = 0, rv = 0;

    if (argc < 2) {
        fprintf(stderr, "usage: %s FILE|DIR...\n", argv[0]);
        return 2;
    }
    for (i = 1; i < argc; i++) {
        if (run_path(argv[i], &count) < 0) {
            rv = 1;
        }
    }
    printf("%s: %d inputs run%s\n", argv[0], count, rv ? ", errors" : "");
    if (count == 0) {
        rv = 1;
    }
    return rv;
}
