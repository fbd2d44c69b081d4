#!/bin/sh
# The ids of a CGI process (forked by the worker).
printf 'Content-Type: text/plain\n\n'
echo "server=$SERVER_NAME"
echo "uid=$(id -ru)"
echo "euid=$(id -u)"
echo "gid=$(id -rg)"
echo "egid=$(id -g)"
echo "groups=$(id -G | tr ' ' '\n' | sort -n | paste -sd, -)"
echo "pid=$$"
echo "ppid=$PPID"
# the descriptors the CGI inherited: none may be a socket
for fd in /proc/$$/fd/*; do
    t=$(readlink "$fd" 2>/dev/null) || continue
    echo "fd ${fd##*/} $t"
done
