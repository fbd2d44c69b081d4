dnl config.m4 -- in-tree build of the peruid MPM: is this platform supported?
dnl Sources at httpd's server/mpm/peruid/ (README, "In-tree build";
dnl tests/intree.sh is the tested recipe).  httpd's buildconf includes every
dnl server/mpm/*/config.m4 before server/mpm/config2.m4, which turns
dnl --with-mpm and --enable-mpms-shared into the MPMs to build; an MPM that
dnl has not declared itself supported here is refused there.
dnl
dnl The MPM uses Linux-only interfaces (epoll, prctl, seccomp, capabilities),
dnl so the test is the host system plus the epoll header; libcap and
dnl libseccomp are checked in config3.m4, only when the MPM is chosen.
AC_CHECK_HEADER(sys/epoll.h, [peruid_have_epoll=yes], [peruid_have_epoll=no])
AC_MSG_CHECKING(if peruid MPM supports this platform)
case $host in
    *-linux*)
        peruid_on_linux=yes
        ;;
    *)
        peruid_on_linux=no
        ;;
esac
if test $forking_mpms_supported != yes; then
    AC_MSG_RESULT(no - This is not a forking platform)
elif test $peruid_on_linux != yes || test $peruid_have_epoll != yes; then
    AC_MSG_RESULT(no - the peruid MPM needs Linux)
else
    AC_MSG_RESULT(yes)
    dnl It can be built shared (--enable-mpms-shared=peruid) and it runs no
    dnl threads of its own, so it does not ask for a threaded APR.
    APACHE_MPM_SUPPORTED(peruid, yes, no)
fi
