/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * test_names.c -- table-driven tests of peruid_nss_enumerable (names.c):
 * which nsswitch.conf texts allow one pass over the passwd or group
 * database instead of a lookup per name.  A wrong "yes" would give a
 * vhost another user than getpwnam() would, so every doubtful text must
 * say no.
 */

#include <stdio.h>

#include "names.h"
#include "unit.h"

typedef struct {
    const char *name;
    const char *conf;
    int passwd;                 /* want for PERUID_NSS_PASSWD            */
    int group;                  /* want for PERUID_NSS_GROUP             */
} case_t;

static const case_t cases[] = {
    { "Debian 12's default",
      "# /etc/nsswitch.conf\n\npasswd:         files systemd\n"
      "group:          files systemd\nshadow:         files\n"
      "hosts:          files dns\n", 1, 1 },
    { "files only", "passwd: files\ngroup: files\n", 1, 1 },
    { "tabs and no space after the colon",
      "passwd:\tfiles\tsystemd\ngroup:files\n", 1, 1 },
    { "space before the colon", "passwd : files\ngroup\t: files\n", 1, 1 },
    { "a comment after the sources",
      "passwd: files # local only\ngroup: files systemd#x\n", 1, 1 },
    { "no newline at the end", "group: files\npasswd: files", 1, 1 },
    { "CRLF-free but indented", "  passwd: files\n\tgroup: files\n", 1, 1 },
    /* sources that may not list every entry */
    { "sss after files", "passwd: files sss\ngroup: files sss\n", 0, 0 },
    { "ldap first", "passwd: ldap files\ngroup: ldap files\n", 0, 0 },
    { "systemd first", "passwd: systemd files\ngroup: systemd\n", 0, 0 },
    { "compat (NIS)", "passwd: compat\ngroup: compat\n", 0, 0 },
    { "winbind", "passwd: files winbind\ngroup: files\n", 0, 1 },
    /* action items change what getpwnam() answers */
    { "an action item", "passwd: files [NOTFOUND=return] systemd\n"
      "group: files [!UNAVAIL=return]\n", 0, 0 },
    { "an action item with spaces", "passwd: files [ NOTFOUND=return ]\n"
      "group: files\n", 0, 1 },
    /* missing, empty, doubled or commented-out lines */
    { "no passwd line: glibc's default", "group: files\n", 0, 1 },
    { "empty sources", "passwd:\ngroup:   \n", 0, 0 },
    { "commented out", "#passwd: files\n# group: files\n", 0, 0 },
    { "twice", "passwd: files\npasswd: files\ngroup: files\ngroup: ldap\n",
      0, 0 },
    { "a longer db name is not it", "passwdx: files\ngroups: files\n"
      "passwd: ldap\ngroup: files\n", 0, 1 },
    { "a source that only starts like files",
      "passwd: filesystem\ngroup: files systemdx\n", 0, 0 },
    { "empty text", "", 0, 0 },
};

int main(void)
{
    size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const case_t *c = &cases[i];
        int p = peruid_nss_enumerable(c->conf, PERUID_NSS_PASSWD);
        int g = peruid_nss_enumerable(c->conf, PERUID_NSS_GROUP);

        unit_checks += 2;
        if (p != c->passwd) {
            unit_failures++;
            fprintf(stderr, "test_names: [%s] passwd is %d, want %d\n",
                    c->name, p, c->passwd);
        }
        if (g != c->group) {
            unit_failures++;
            fprintf(stderr, "test_names: [%s] group is %d, want %d\n",
                    c->name, g, c->group);
        }
    }
    return unit_summary("test_names");
}
