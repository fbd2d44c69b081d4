dnl config3.m4 -- in-tree build of the peruid MPM: its objects, the libraries
dnl it links with and the module it cannot run without.  httpd's buildconf
dnl includes this after server/mpm/config2.m4 has chosen the MPMs and before
dnl the modules' config5.m4 files.
APACHE_SUBST(MOD_MPM_PERUID_LDADD)

dnl One object per source file, as in Makefile.in's SRC_NAMES; a shell
dnl variable so that the list can span lines.
peruid_objects="mod_mpm_peruid.lo config.lo pools.lo master.lo children.lo"
peruid_objects="$peruid_objects child.lo router.lo route.lo peek.lo worker.lo"
peruid_objects="$peruid_objects preforked.lo maps.lo double_check.lo"
peruid_objects="$peruid_objects channel.lo creds.lo peruid_seccomp.lo"
peruid_objects="$peruid_objects schedule.lo planner.lo prefork_placeholder.lo"
peruid_objects="$peruid_objects answer.lo park.lo procsys.lo names.lo gate.lo"
peruid_objects="$peruid_objects segments.lo segpick.lo logs.lo logpick.lo"
peruid_objects="$peruid_objects routeruser.lo stall.lo watch.lo"
peruid_objects="$peruid_objects hello.lo"
peruid_objects="$peruid_objects sbcopy.lo segssl.lo"
peruid_objects="$peruid_objects tls.lo"
peruid_objects="$peruid_objects itk.lo uidrange.lo vhostcap.lo"
peruid_objects="$peruid_objects tlskeys.lo keyscan.lo"
peruid_objects="$peruid_objects handover.lo replay.lo"
peruid_objects="$peruid_objects perdir.lo perdecide.lo"
peruid_objects="$peruid_objects overlimit.lo"
peruid_objects="$peruid_objects trapline.lo sandbox.lo"
peruid_objects="$peruid_objects exprpool.lo exprdecide.lo"
peruid_objects="$peruid_objects proxyhdr.lo remoteip.lo"
peruid_objects="$peruid_objects graceho.lo gracepick.lo"
peruid_objects="$peruid_objects status.lo statuspage.lo"
peruid_objects="$peruid_objects capwarn.lo reqnote.lo"

APACHE_MPM_MODULE(peruid, $enable_mpm_peruid, [$peruid_objects], [
    AC_CHECK_HEADER(sys/capability.h, ,
        [AC_MSG_ERROR([the peruid MPM needs libcap-dev])])
    AC_CHECK_HEADER(seccomp.h, ,
        [AC_MSG_ERROR([the peruid MPM needs libseccomp-dev])])
    dnl [:] keeps -lcap and -lseccomp out of LIBS, which every program and
    dnl module of httpd links with; MOD_MPM_PERUID_LDADD gives them to the
    dnl MPM alone (to httpd when it is static, to its .so when shared).
    AC_CHECK_LIB(cap, cap_get_proc, [:],
        [AC_MSG_ERROR([libcap not found: install libcap-dev])])
    AC_CHECK_LIB(seccomp, seccomp_init, [:],
        [AC_MSG_ERROR([libseccomp not found: install libseccomp-dev])])
    AC_CHECK_HEADER(openssl/ssl.h, ,
        [AC_MSG_ERROR([the peruid MPM needs libssl-dev])])
    AC_CHECK_LIB(ssl, SSL_CTX_use_certificate, [:],
        [AC_MSG_ERROR([libssl not found: install libssl-dev])], [-lcrypto])
    MOD_MPM_PERUID_LDADD="-lcap -lseccomp -lssl -lcrypto"

    dnl mod_unixd provides User and Group, the ids the routers run under
    dnl (without it both are invalid commands).  modules/arch/unix/config5.m4
    dnl enables it by default only for httpd's own Unix MPMs, so ask for it
    dnl here as --enable-unixd would: built the way modules are built by
    dnl default (static, even under --enable-modules=none).  An explicit
    dnl --enable-unixd=... or --disable-unixd is left as given.
    if test -z "${enable_unixd+set}"; then
        if test "$module_default" = no; then
            enable_unixd=static
        else
            enable_unixd=yes
        fi
    fi
], , [\$(MOD_MPM_PERUID_LDADD)])
