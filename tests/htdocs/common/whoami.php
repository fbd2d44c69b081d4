<?php
// Who serves this request: the ids of the PHP process (the worker itself,
// mod_php runs inside it).  One key=value per line; t/*.t parse them.
header('Content-Type: text/plain');
$g = posix_getgroups();
sort($g, SORT_NUMERIC);
echo "server=", $_SERVER['SERVER_NAME'] ?? '-', "\n";
echo "site=", basename($_SERVER['DOCUMENT_ROOT'] ?? '-'), "\n";
echo "uid=", posix_getuid(), "\n";
echo "euid=", posix_geteuid(), "\n";
echo "gid=", posix_getgid(), "\n";
echo "egid=", posix_getegid(), "\n";
echo "groups=", implode(',', $g), "\n";
echo "pid=", getmypid(), "\n";
echo "ppid=", posix_getppid(), "\n";
echo "remote=", $_SERVER['REMOTE_ADDR'] ?? '-', ":", $_SERVER['REMOTE_PORT'] ?? '-', "\n";
echo "local=", $_SERVER['SERVER_ADDR'] ?? '-', ":", $_SERVER['SERVER_PORT'] ?? '-', "\n";
echo "client_cn=", $_SERVER['SSL_CLIENT_S_DN_CN'] ?? '-', "\n";
