<?php
// The attacker fixture of t/attack_restart.t: a tenant with native code
// (PHP's FFI, for its vhost only) forks its worker.  The copy, which the
// master never forked and does not know, finishes the request with the
// original and then goes on as a worker of its own: it holds its pool's
// channel and takes its user's connections, with the configuration of
// the generation it came from.  Prints "forked copy=PID" (the original)
// or nothing (the copy).
header('Content-Type: text/plain');
$libc = FFI::cdef('int fork(void);', 'libc.so.6');
$pid = $libc->fork();
if ($pid > 0) {
    echo "forked copy=$pid\n";
} elseif ($pid == 0) {
    // both finish the request on the same socket: the copy lets the
    // original answer first, or the client may read the copy's empty
    // answer as the whole one (seen under the suite's load)
    usleep(500000);
}
