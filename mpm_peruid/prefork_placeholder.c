/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * prefork_placeholder.c -- a module record named mpm_prefork_module that
 * does nothing, so that Debian's packaging and the peruid MPM can agree.
 *
 * Which process uses it: none runs any of it.  It has no hooks, no
 * directives and no configuration, so the master (root) only adds it to
 * httpd's module list while it reads the configuration, and every child
 * inherits that list unchanged.
 *
 * Why it exists: on Debian, libapache2-mod-php's php8.2.load says
 * "# Depends: mpm_prefork", so a2dismod refuses to disable mpm_prefork
 * while PHP is enabled, and a2enmod php8.2 enables it again.  An enabled
 * mpm_prefork.load would load a second MPM (AH00534).  Debian includes
 * the .load files of mods-enabled in sorted order, so mpm_peruid.load is
 * read before mpm_prefork.load; it loads the peruid MPM and then this
 * record under the name mpm_prefork_module.  When mpm_prefork.load comes,
 * mod_so finds that name already loaded and skips the line (AH01574, a
 * warning): only one MPM is loaded, and mpm_prefork may stay enabled for
 * PHP's sake.
 *
 * It never hides a real prefork: if prefork's own LoadModule comes
 * first, this record is the one skipped, and httpd refuses the two MPMs
 * itself ("AH00534: ... More than one MPM loaded").  Its name is not
 * "prefork.c", so ap_find_linked_module("prefork.c") stays NULL and no
 * module can mistake it for prefork; only <IfModule mpm_prefork_module>
 * is true, whose usual contents (StartServers, MinSpareServers,
 * MaxSpareServers, MaxRequestWorkers, ...) peruid reads under the same
 * names (docs/directives.md).
 */

#include "httpd.h"
#include "http_config.h"

module AP_MODULE_DECLARE_DATA mpm_prefork_module = {
    .version = MODULE_MAGIC_NUMBER_MAJOR,
    .minor_version = MODULE_MAGIC_NUMBER_MINOR,
    .module_index = -1,
    /* "apache2ctl -M" lists the LoadModule name, mpm_prefork_module;
     * this is the name mod_info and ap_find_linked_module() see */
    .name = "mpm_peruid: in place of prefork",
    .magic = MODULE_MAGIC_COOKIE
    /* everything else NULL or 0: no configuration, directives or hooks */
};
