/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * names.c -- user and group names of AssignUserID for one configuration
 * read (names.h).  Runs in the master (root) only, while it reads the
 * configuration; no child ever asks the name service.
 *
 * A getpwnam() with the files backend reads /etc/passwd from the top, so
 * 2,000 vhosts under 2,000 named users cost 2,000 scans of each database
 * per read, and httpd reads its configuration twice at start.  When the
 * databases' sources all list every entry ("files", or "files systemd"),
 * one pass with getpwent()/getgrent() gives the same answers; the first
 * entry of a name wins, as in getpwnam().  Elsewhere (LDAP, sssd, action
 * items) names are asked one by one, as before.
 */

#include <ctype.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>

#include "apr_hash.h"
#include "apr_strings.h"

#include "names.h"

#define NAMES_NSSWITCH      "/etc/nsswitch.conf"
#define NAMES_NSSWITCH_MAX  65536
#define NAMES_ONE_BY_ONE    32      /* names asked before a pass is made */

/* One read's answers (userdata of its temporary pool). */
typedef struct {
    int asked[2];               /* names asked one by one, per database  */
    int tried[2];               /* a pass was considered                 */
    apr_hash_t *byname[2];      /* the pass: name -> names_entry_t       */
} names_cache_t;

typedef struct {
    long id;                    /* uid or gid                            */
    const char *name;
} names_entry_t;

/* Pure: the next token of s (at *pos): a word, or a bracketed action
 * item, as [start, end).  Returns 0 at the end of s. */
static int nss_token(const char *s, size_t *pos, size_t *start, size_t *end)
{
    size_t i = *pos;

    while (s[i] && isspace((unsigned char)s[i])) {
        i++;
    }
    if (!s[i]) {
        return 0;
    }
    *start = i;
    if (s[i] == '[') {
        while (s[i] && s[i] != ']') {
            i++;
        }
        i += s[i] == ']';
    }
    else {
        while (s[i] && !isspace((unsigned char)s[i]) && s[i] != '[') {
            i++;
        }
    }
    *end = i;
    *pos = i;
    return 1;
}

/* Pure: are the sources of one database line's value (after the colon)
 * "files" first, then only "files" or "systemd", with no action item? */
static int nss_sources_ok(const char *value)
{
    size_t pos = 0, a, b;
    int n = 0;

    while (nss_token(value, &pos, &a, &b)) {
        size_t len = b - a;

        if (value[a] == '[') {
            return 0;
        }
        if (!(len == 5 && !strncmp(value + a, "files", 5))
            && !(n > 0 && len == 7 && !strncmp(value + a, "systemd", 7))) {
            return 0;
        }
        n++;
    }
    return n > 0;
}

/* Pure: see names.h. */
int peruid_nss_enumerable(const char *conf, peruid_nss_db_e db)
{
    const char *name = db == PERUID_NSS_PASSWD ? "passwd" : "group";
    size_t nlen = strlen(name);
    const char *line = conf;
    int found = 0, ok = 0;

    while (line && *line) {
        const char *eol = strchr(line, '\n');
        size_t len = eol ? (size_t)(eol - line) : strlen(line);
        char buf[1024], *hash;
        const char *p;

        if (len < sizeof(buf)) {
            memcpy(buf, line, len);
            buf[len] = '\0';
            if ((hash = strchr(buf, '#'))) {
                *hash = '\0';
            }
            for (p = buf; isspace((unsigned char)*p); p++) {
            }
            if (!strncmp(p, name, nlen)) {
                const char *q = p + nlen;

                while (*q == ' ' || *q == '\t') {
                    q++;
                }
                if (*q == ':') {
                    found++;
                    ok = nss_sources_ok(q + 1);
                }
            }
        }
        else if (memchr(line, ':', len)) {
            return 0;                   /* too long to judge: refuse */
        }
        line = eol ? eol + 1 : NULL;
    }
    return found == 1 && ok;
}

/* Master, root, config read: this read's cache. */
static names_cache_t *names_cache(apr_pool_t *ptemp)
{
    static const char key[] = "peruid_names_cache";
    void *v = NULL;

    apr_pool_userdata_get(&v, key, ptemp);
    if (!v) {
        v = apr_pcalloc(ptemp, sizeof(names_cache_t));
        apr_pool_userdata_setn(v, key, NULL, ptemp);
    }
    return v;
}

/* Master, root: the text of nsswitch.conf, or NULL. */
static char *names_nsswitch(apr_pool_t *ptemp)
{
    FILE *f = fopen(NAMES_NSSWITCH, "re");
    char *buf;
    size_t n;

    if (!f) {
        return NULL;
    }
    buf = apr_palloc(ptemp, NAMES_NSSWITCH_MAX + 1);
    n = fread(buf, 1, NAMES_NSSWITCH_MAX + 1, f);
    fclose(f);
    if (n > NAMES_NSSWITCH_MAX) {
        return NULL;
    }
    buf[n] = '\0';
    return buf;
}

/* Master, root, config read: one pass over db into a table, the first
 * entry of each name kept. */
static apr_hash_t *names_pass(apr_pool_t *ptemp, peruid_nss_db_e db)
{
    apr_hash_t *h = apr_hash_make(ptemp);
    names_entry_t *e;

    if (db == PERUID_NSS_PASSWD) {
        struct passwd *pw;

        setpwent();
        while ((pw = getpwent())) {
            if (!apr_hash_get(h, pw->pw_name, APR_HASH_KEY_STRING)) {
                e = apr_palloc(ptemp, sizeof(*e));
                e->id = (long)pw->pw_uid;
                e->name = apr_pstrdup(ptemp, pw->pw_name);
                apr_hash_set(h, e->name, APR_HASH_KEY_STRING, e);
            }
        }
        endpwent();
    }
    else {
        struct group *gr;

        setgrent();
        while ((gr = getgrent())) {
            if (!apr_hash_get(h, gr->gr_name, APR_HASH_KEY_STRING)) {
                e = apr_palloc(ptemp, sizeof(*e));
                e->id = (long)gr->gr_gid;
                e->name = apr_pstrdup(ptemp, gr->gr_name);
                apr_hash_set(h, e->name, APR_HASH_KEY_STRING, e);
            }
        }
        endgrent();
    }
    return h;
}

/* Master, root, config read: name in the pass over db, once enough names
 * were asked one by one and the sources allow a pass; NULL: ask it. */
static const names_entry_t *names_find(apr_pool_t *ptemp,
                                       peruid_nss_db_e db, const char *name)
{
    names_cache_t *c = names_cache(ptemp);

    if (!c->tried[db] && ++c->asked[db] > NAMES_ONE_BY_ONE) {
        const char *conf = names_nsswitch(ptemp);

        c->tried[db] = 1;
        if (conf && peruid_nss_enumerable(conf, db)) {
            c->byname[db] = names_pass(ptemp, db);
        }
    }
    return c->byname[db] ? apr_hash_get(c->byname[db], name,
                                        APR_HASH_KEY_STRING)
                         : NULL;
}

/* Master, root, config read: see names.h. */
int peruid_names_user(apr_pool_t *p, apr_pool_t *ptemp, const char *name,
                      uid_t *uid, const char **canon)
{
    const names_entry_t *e = names_find(ptemp, PERUID_NSS_PASSWD, name);
    struct passwd *pw;

    if (e) {
        *uid = (uid_t)e->id;
        *canon = apr_pstrdup(p, e->name);
        return 0;
    }
    if (!(pw = getpwnam(name))) {
        return -1;
    }
    *uid = pw->pw_uid;
    *canon = apr_pstrdup(p, pw->pw_name);
    return 0;
}

/* Master, root, config read: see names.h. */
int peruid_names_group(apr_pool_t *ptemp, const char *name, gid_t *gid)
{
    const names_entry_t *e = names_find(ptemp, PERUID_NSS_GROUP, name);
    struct group *gr;

    if (e) {
        *gid = (gid_t)e->id;
        return 0;
    }
    if (!(gr = getgrnam(name))) {
        return -1;
    }
    *gid = gr->gr_gid;
    return 0;
}
