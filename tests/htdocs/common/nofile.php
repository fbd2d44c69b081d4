<?php
// t/limits.t: a tenant's code lowers its own worker's soft RLIMIT_NOFILE
// to ?soft=N (no privilege needed; it outlives the request), leaving the
// worker's descriptor table full.  Prints the worker's pid and whether
// the call succeeded.
header('Content-Type: text/plain');
$n = (int)($_GET['soft'] ?? 0);
$l = posix_getrlimit();
$ok = $n > 0
      && posix_setrlimit(POSIX_RLIMIT_NOFILE, $n, (int)$l['hard openfiles']);
echo "pid=", getmypid(), "\n";
echo "set=", $ok ? 1 : 0, "\n";
