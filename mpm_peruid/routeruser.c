/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * routeruser.c -- the routers' identity: PeruidRouterUser.
 *
 * Routers see every request head of every virtual host, and every site
 * depends on them accepting.  They run as a user that no tenant code runs
 * as: not User (the virtual hosts without AssignUserID run as User) and
 * no AssignUserID, so that no tenant can signal them, prlimit them or
 * read their memory.  By default a system user of its own
 * (PERUID_ROUTER_USER_DEFAULT): a source install has no package
 * postinst to create it, so the master creates it at start when it is
 * missing, as adduser --system --group --no-create-home would (useradd,
 * logged: PU00080); a user named by PeruidRouterUser must exist.
 * "apache2 -t" refuses what cannot serve: a named user that does not
 * exist, a default that cannot be created (no useradd), and a routers'
 * uid that User or an AssignUserID also has (PU00081).
 *
 * Runs in the master only, as root: the directive handler while the
 * configuration is read, the check in check_config, the creation in the
 * mpm hook.  The routers read nothing as this user: the master hands
 * them the listeners and the channels before their switch (router.c).
 */

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "httpd.h"
#include "apr_strings.h"
#include "http_config.h"
#include "http_core.h"
#include "http_log.h"
#include "http_main.h"
#include "unixd.h"

#include "peruid.h"
#include "routeruser.h"
#include "perdir.h"

#define ROUTER_USER_OUTPUT 512      /* what of useradd's words we keep */

/* The routers' user of this configuration read (reset by pre_config). */
typedef struct {
    const char *user;       /* the name given, or the default            */
    const char *group;      /* the group given (NULL: the user's own)    */
    uid_t uid;
    gid_t gid;
    int known;              /* uid and gid are looked up                 */
    int set;                /* PeruidRouterUser was given                */
    int at_start;           /* in the mpm hook: log to the error log     */
} router_user_t;

static router_user_t router_user;

/* Master, root, pre_config: see routeruser.h. */
void peruid_router_user_defaults(void)
{
    memset(&router_user, 0, sizeof(router_user));
    router_user.user = PERUID_ROUTER_USER_DEFAULT;
}

/* Master, root: the number of "#123" into *v; -1 when malformed. */
static int router_user_number(const char *arg, long *v)
{
    char *end;

    errno = 0;
    *v = strtol(arg + 1, &end, 10);
    return arg[1] == '\0' || *end || errno || *v < 0 || *v > 0x7fffffffL
           ? -1 : 0;
}

/* Master, root, config read: the user's uid and its primary gid (-1 when
 * it has no passwd entry: "#uid"). */
static const char *router_user_lookup_user(apr_pool_t *p, const char *arg,
                                           uid_t *uid, gid_t *gid)
{
    struct passwd *pw;
    long v;

    if (arg[0] == '#') {
        if (router_user_number(arg, &v) < 0) {
            return apr_psprintf(p, "invalid user id '%s'", arg);
        }
        *uid = (uid_t)v;
        pw = getpwuid(*uid);
    }
    else if ((pw = getpwnam(arg)) == NULL) {
        return apr_psprintf(p, "unknown user '%s' (create it first: "
                            "adduser --system --group --no-create-home %s)",
                            arg, arg);
    }
    else {
        *uid = pw->pw_uid;
    }
    *gid = pw ? pw->pw_gid : (gid_t)-1;
    return NULL;
}

/* Master, root, config read: PeruidRouterUser user [group]. */
const char *peruid_router_user_cmd(cmd_parms *cmd, void *dummy,
                                   const char *user, const char *group)
{
    const char *err = ap_check_cmd_context(cmd, GLOBAL_ONLY);
    struct group *gr;
    uid_t uid = 0;
    gid_t gid = 0;
    long v;

    if (err) {
        return err;
    }
    if ((err = router_user_lookup_user(cmd->pool, user, &uid, &gid))) {
        return apr_pstrcat(cmd->pool, "PeruidRouterUser: ", err, NULL);
    }
    if (group && group[0] == '#') {
        if (router_user_number(group, &v) < 0) {
            return apr_psprintf(cmd->pool, "PeruidRouterUser: invalid "
                                "group id '%s'", group);
        }
        gid = (gid_t)v;
    }
    else if (group) {
        if ((gr = getgrnam(group)) == NULL) {
            return apr_psprintf(cmd->pool, "PeruidRouterUser: unknown "
                                "group '%s'", group);
        }
        gid = gr->gr_gid;
    }
    else if (gid == (gid_t)-1) {
        return apr_psprintf(cmd->pool, "PeruidRouterUser: user '%s' has "
                            "no passwd entry; name its group too", user);
    }
    if (uid == 0 || gid == 0) {
        return "PeruidRouterUser: refusing to run the routers as uid 0 or "
               "gid 0 (root)";
    }
    router_user.user = user;
    router_user.group = group;
    router_user.uid = uid;
    router_user.gid = gid;
    router_user.known = router_user.set = 1;
    return NULL;
}

/* Master, root: the last directive called name in the tree below dir
 * (depth first, in order), or NULL. */
static const ap_directive_t *router_user_find(const ap_directive_t *dir,
                                              const char *name)
{
    const ap_directive_t *found = NULL, *in;

    for (; dir; dir = dir->next) {
        if (!strcasecmp(dir->directive, name)) {
            found = dir;
        }
        if (dir->first_child
            && (in = router_user_find(dir->first_child, name)) != NULL) {
            found = in;
        }
    }
    return found;
}

/* Master, root: "file:line" of directive d, or "the default". */
static const char *router_user_where(apr_pool_t *p, const ap_directive_t *d)
{
    return d && d->filename ? apr_psprintf(p, "%s:%d", d->filename,
                                           d->line_num)
                            : "the default";
}

/* Master, root: "PeruidRouterUser x (file:line, uid N)", or "(the
 * default, uid N)". */
static const char *router_user_named(apr_pool_t *p)
{
    const ap_directive_t *d = router_user.set
        ? router_user_find(ap_conftree, "PeruidRouterUser") : NULL;

    return apr_psprintf(p, "PeruidRouterUser %s%s%s (%s, uid %ld)",
                        router_user.user, router_user.group ? " " : "",
                        router_user.group ? router_user.group : "",
                        router_user_where(p, d), (long)router_user.uid);
}

/* Master, root: where we log: at "apache2 -t" and while the
 * configuration is checked, to the console; at start, the error log. */
static server_rec *router_user_log_to(int *flags)
{
    *flags |= router_user.at_start ? 0 : APLOG_STARTUP;
    return router_user.at_start ? ap_server_conf : NULL;
}

/* Master, root: log one clash of the routers' uid with what tenant code
 * runs as (what: "User ..." or "the AssignUserID of ..."). */
static void router_user_clash(apr_pool_t *p, const char *what)
{
    int level = APLOG_EMERG;
    server_rec *s = router_user_log_to(&level);

    ap_log_error(APLOG_MARK, level, 0, s, PERUID_LOGNO(00081) "%s is also "
                 "%s: the routers must run as a uid no virtual host's "
                 "code runs as, or that code "
                 "could stop, limit or kill them and so take every site "
                 "down; give PeruidRouterUser a user of its own (by "
                 "default " PERUID_ROUTER_USER_DEFAULT ", created at "
                 "start)", router_user_named(p), what);
}

/* Master, root: the per-directory AssignUserIDs (perdir.c) that name the
 * routers' user, each said; how many. */
static int router_user_clashes_perdir(apr_pool_t *p)
{
    const apr_array_header_t *list = peruid_perdir_list();
    int i, n = 0;

    for (i = 0; i < list->nelts; i++) {
        const peruid_dir_conf_t *d =
            APR_ARRAY_IDX(list, i, peruid_perdir_entry_t).d;

        if (d->uid == router_user.uid) {
            router_user_clash(p, apr_psprintf(p, "the AssignUserID at %s",
                                              d->where));
            n++;
        }
    }
    return n;
}

/* Master, root: neither User nor any AssignUserID has the routers' uid.
 * Every clash is logged; returns the number of them. */
static int router_user_clashes(apr_pool_t *p, server_rec *main_s)
{
    const ap_directive_t *u = router_user_find(ap_conftree, "User");
    server_rec *s;
    int n = 0;

    if (ap_unixd_config.user_id == router_user.uid) {
        router_user_clash(p, apr_psprintf(p, "User %s (%s)",
                          ap_unixd_config.user_name,
                          router_user_where(p, u)));
        n++;
    }
    for (s = main_s; s; s = s->next) {
        peruid_server_conf_t *c = peruid_server_conf(s);

        if (c->set && c->uid == router_user.uid) {
            router_user_clash(p, apr_psprintf(p, "the AssignUserID of %s%s "
                              "(%s:%d)", s->is_virtual ? "virtual host "
                              : "the main server", s->is_virtual
                              ? s->server_hostname : "",
                              s->defn_name ? s->defn_name : "-",
                              s->defn_line_number));
            n++;
        }
    }
    return n + router_user_clashes_perdir(p);
}

/* Master, root: the path of useradd, or NULL. */
static const char *router_user_useradd(void)
{
    static const char *const paths[] = { "/usr/sbin/useradd",
                                         "/sbin/useradd", NULL };
    int i;

    for (i = 0; paths[i]; i++) {
        if (access(paths[i], X_OK) == 0) {
            return paths[i];
        }
    }
    return NULL;
}

/* Master, root: the default user is missing: it will be created at
 * start (created 0, "apache2 -t"), or it was (created 1, at start). */
static void router_user_note(int created, const char *how)
{
    ap_log_error(APLOG_MARK, APLOG_NOTICE | (created ? 0 : APLOG_STARTUP),
                 0, created ? ap_server_conf : NULL, PERUID_LOGNO(00080)
                 "PeruidRouterUser " PERUID_ROUTER_USER_DEFAULT
                 " (the default, the routers' user) %s: %s",
                 created ? "did not exist and was created"
                         : "does not exist yet; the server creates it at "
                           "start", how);
}

/* Master, root: the default user cannot be had (why, and what useradd
 * said, if anything). */
static void router_user_failed(const char *why, const char *said)
{
    int level = APLOG_EMERG;
    server_rec *s = router_user_log_to(&level);

    ap_log_error(APLOG_MARK, level, 0, s, PERUID_LOGNO(00082)
                 "PeruidRouterUser "
                 PERUID_ROUTER_USER_DEFAULT " (the default, the routers' "
                 "user) does not exist and %s%s%s; create it as root "
                 "(adduser --system --group --no-create-home "
                 PERUID_ROUTER_USER_DEFAULT "), or name an unprivileged "
                 "user of its own with PeruidRouterUser", why,
                 said && *said ? ": " : "", said ? said : "");
}

/* Master, root: the command line that creates the default user (and its
 * group, unless a group of that name exists: then it is the user's). */
static void router_user_argv(const char *path, const char **argv)
{
    int n = 0;

    argv[n++] = path;
    argv[n++] = "--system";
    if (getgrnam(PERUID_ROUTER_USER_DEFAULT)) {
        argv[n++] = "--gid";
        argv[n++] = PERUID_ROUTER_USER_DEFAULT;
    }
    else {
        argv[n++] = "--user-group";
    }
    argv[n++] = "--no-create-home";
    argv[n++] = "--home-dir";
    argv[n++] = "/nonexistent";
    argv[n++] = "--shell";
    argv[n++] = "/usr/sbin/nologin";
    argv[n++] = "--comment";
    argv[n++] = "peruid MPM routers";
    argv[n++] = PERUID_ROUTER_USER_DEFAULT;
    argv[n] = NULL;
}

/* Master, root: argv as one line, for the log (a word with a space in
 * double quotes). */
static const char *router_user_command(apr_pool_t *p, const char **argv)
{
    const char *how = argv[0];
    int i;

    for (i = 1; argv[i]; i++) {
        int quote = strchr(argv[i], ' ') != NULL;

        how = apr_pstrcat(p, how, quote ? " \"" : " ", argv[i],
                          quote ? "\"" : "", NULL);
    }
    return how;
}

/* Child of the master, root, before exec: useradd's output into the
 * pipe, nothing else of the master's (listeners, channels). */
static void router_user_exec(const char *const *argv, int out)
{
    static char *const envp[] = { "PATH=/usr/sbin:/usr/bin:/sbin:/bin",
                                  "LC_ALL=C", NULL };
    sigset_t none;
    int null = open("/dev/null", O_RDONLY);

    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    if (null < 0 || dup2(null, 0) < 0 || dup2(out, 1) < 0
        || dup2(out, 2) < 0) {
        _exit(127);
    }
#ifdef SYS_close_range
    syscall(SYS_close_range, 3U, ~0U, 0U);
#endif
    execve(argv[0], (char *const *)argv, envp);
    _exit(127);
}

/* Master, root: run argv, wait for it; its output (cut) into said.
 * Returns its exit status, or -1. */
static int router_user_run(const char *const *argv, char *said,
                           size_t room)
{
    int fds[2], status = -1;
    size_t got = 0;
    ssize_t n;
    pid_t pid;

    said[0] = '\0';
    if (pipe(fds) < 0) {
        return -1;
    }
    if ((pid = fork()) == 0) {
        close(fds[0]);
        router_user_exec(argv, fds[1]);
    }
    close(fds[1]);
    while (pid > 0 && (n = read(fds[0], said + got, room - 1 - got)) != 0) {
        if (n < 0 && errno != EINTR) {
            break;
        }
        got += n > 0 ? (size_t)n : 0;
        if (got == room - 1) {
            break;
        }
    }
    said[got] = '\0';
    close(fds[0]);
    while (pid > 0 && waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    return pid > 0 && WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* Master, root: the default user's ids from the passwd database. */
static int router_user_find_default(void)
{
    struct passwd *pw = getpwnam(PERUID_ROUTER_USER_DEFAULT);

    if (!pw) {
        return 0;
    }
    router_user.uid = pw->pw_uid;
    router_user.gid = pw->pw_gid;
    router_user.known = 1;
    return 1;
}

/* Master, root, check_config: see routeruser.h. */
int peruid_router_user_check(apr_pool_t *ptemp, server_rec *main_s)
{
    if (!router_user.set && !router_user_find_default()) {
        if (!router_user_useradd()) {
            router_user_failed("no useradd program was found to create it",
                               NULL);
            return !OK;
        }
        if (ap_state_query(AP_SQ_RUN_MODE) == AP_SQ_RM_CONFIG_TEST) {
            const char *argv[16];

            router_user_argv(router_user_useradd(), argv);
            router_user_note(0, router_user_command(ptemp, argv));
        }
        return OK;              /* created at start, checked again then */
    }
    if (router_user.uid == 0 || router_user.gid == 0) {
        router_user_failed("it is root", NULL);
        return !OK;
    }
    return router_user_clashes(ptemp, main_s) ? !OK : OK;
}

/* Master, root, at start: create the default user. */
static apr_status_t router_user_create(apr_pool_t *p)
{
    const char *argv[16];
    char said[ROUTER_USER_OUTPUT];
    int rc;

    router_user_argv(router_user_useradd(), argv);
    if (!argv[0]) {
        router_user_failed("no useradd program was found to create it",
                           NULL);
        return APR_ENOENT;
    }
    rc = router_user_run(argv, said, sizeof(said));
    if (!router_user_find_default()) {
        router_user_failed(apr_psprintf(p, "%s exited with %d", argv[0],
                                        rc), said);
        return APR_EGENERAL;
    }
    if (rc != 0) {
        return APR_SUCCESS;     /* another server's start made it first */
    }
    router_user_note(1, apr_psprintf(p, "%s (uid %ld gid %ld)",
                                     router_user_command(p, argv),
                                     (long)router_user.uid,
                                     (long)router_user.gid));
    return APR_SUCCESS;
}

/* Master, root, at the start of each generation: see routeruser.h. */
apr_status_t peruid_router_user_ready(apr_pool_t *p, server_rec *main_s,
                                      uid_t *uid, gid_t *gid,
                                      const char **name)
{
    apr_status_t rv;

    router_user.at_start = 1;
    if (!router_user.known) {
        if ((rv = router_user_create(p)) != APR_SUCCESS) {
            return rv;
        }
        /* useradd chose the uid: no "AssignUserID #uid" may have it */
        if (router_user_clashes(p, main_s)) {
            return APR_EINVAL;
        }
    }
    *uid = router_user.uid;
    *gid = router_user.gid;
    *name = router_user.user[0] == '#' ? NULL : router_user.user;
    return APR_SUCCESS;
}
