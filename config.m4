dnl config.m4 -- in-tree build of the peruid MPM.
dnl Sources at httpd's server/mpm/peruid/ (see README, "In-tree build").
AC_MSG_CHECKING(if peruid MPM supports this platform)
if test $forking_mpms_supported != yes; then
    AC_MSG_RESULT(no - This is not a forking platform)
elif test "$ac_cv_header_sys_epoll_h" = "no"; then
    AC_MSG_RESULT(no - the peruid MPM needs Linux epoll)
else
    AC_MSG_RESULT(yes)
    APACHE_MPM_SUPPORTED(peruid, yes, no)
fi
