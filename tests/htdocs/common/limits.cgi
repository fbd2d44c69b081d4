#!/bin/sh
# t/limits.t: the limits this CGI program runs with (mod_cgi sets the
# request's RLimitNPROC, RLimitCPU and RLimitMEM on it)
printf 'Content-Type: text/plain\n\n'
awk '/^Max processes/ { print "nproc=" $3 "/" $4 }
     /^Max cpu time/ { print "cpu=" $4 "/" $5 }
     /^Max address space/ { print "as=" $4 "/" $5 }' /proc/self/limits
