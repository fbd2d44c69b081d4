#!/bin/sh
# A CGI that runs for ?N seconds in a child process (sleep) of its own:
# signals meant for httpd's processes must not reach it.
printf 'Content-Type: text/plain\n\n'
echo "pid=$$"
n=${QUERY_STRING:-2}
case "$n" in *[!0-9]*) n=2 ;; esac
sleep "$n"
echo "DONE"
