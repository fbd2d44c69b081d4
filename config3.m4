dnl config3.m4 -- in-tree build of the peruid MPM: objects and libraries.
APACHE_SUBST(MOD_MPM_PERUID_LDADD)

APACHE_MPM_MODULE(peruid, $enable_mpm_peruid,
    [mod_mpm_peruid.lo config.lo pools.lo master.lo children.lo child.lo router.lo route.lo peek.lo worker.lo channel.lo creds.lo peruid_seccomp.lo schedule.lo prefork_placeholder.lo], [
    AC_CHECK_HEADERS(sys/capability.h seccomp.h, ,
        [AC_MSG_ERROR([the peruid MPM needs libcap-dev and libseccomp-dev])])
    AC_CHECK_LIB(cap, cap_get_proc, ,
        [AC_MSG_ERROR([libcap not found: install libcap-dev])])
    AC_CHECK_LIB(seccomp, seccomp_init, ,
        [AC_MSG_ERROR([libseccomp not found: install libseccomp-dev])])
    MOD_MPM_PERUID_LDADD="-lcap -lseccomp"
], , [\$(MOD_MPM_PERUID_LDADD)])
