<?php
// Try to get root (or any other id) back from inside a worker.
header('Content-Type: text/plain');
echo "setuid0=", posix_setuid(0) ? "ok" : "refused", "\n";
echo "seteuid0=", posix_seteuid(0) ? "ok" : "refused", "\n";
echo "setgid0=", posix_setgid(0) ? "ok" : "refused", "\n";
echo "setegid0=", posix_setegid(0) ? "ok" : "refused", "\n";
echo "euid=", posix_geteuid(), "\n";
echo "egid=", posix_getegid(), "\n";
