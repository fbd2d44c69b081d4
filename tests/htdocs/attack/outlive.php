<?php
// The attacker fixture of t/attack_restart.t: a tenant with native code
// (PHP's FFI, enabled for its vhost only) tries to outlive a restart or a
// stop of the server, and so go on serving with the old configuration:
//   - it ignores every signal the master sends to ask or tell a child to
//     go (SIGHUP, SIGTERM, SIGUSR1, SIGWINCH; the parent-death signal is
//     SIGTERM too);
//   - it leaves the server's process group (httpd's ap_mpm_safe_kill
//     refuses to signal a pid outside it);
//   - it zeroes every copy of its pid on the small shared pages it maps
//     (the scoreboard's process_score and worker_score entries, which
//     httpd's ap_reclaim_child_processes reads), and again every
//     millisecond, for the seconds given (?s=N, at most 60).
// It prints "armed pid=P words=N pgid=G" at once, then keeps going, and
// prints "survived" when its time is up.
header('Content-Type: text/plain');
while (ob_get_level()) {
    ob_end_flush();
}
ignore_user_abort(true);
set_time_limit(0);
$seconds = min(60.0, max(1.0, (float)($_GET['s'] ?? 20)));
$libc = FFI::cdef('
    typedef void (*sighandler_t)(int);
    sighandler_t signal(int sig, sighandler_t handler);
    int setpgid(int pid, int pgid);
    int getpgid(int pid);
    /* memmem, with the addresses as integers (the same registers) */
    uintptr_t memmem(uintptr_t hay, size_t haylen, const void *needle,
                     size_t needlelen);
', 'libc.so.6');

$ign = $libc->cast('sighandler_t', 1);           // SIG_IGN
foreach ([1, 10, 15, 28] as $sig) {              // HUP USR1 TERM WINCH
    $libc->signal($sig, $ign);
}
$libc->setpgid(0, 0);

// every aligned 32-bit word equal to our pid on a shared, writable
// mapping of at most 1 MiB (the scoreboard, the pool's page; not PHP's
// OPcache segment)
$pid = getmypid();
$needle = FFI::new('int32_t');
$needle->cdata = $pid;
$words = [];
foreach (file('/proc/self/maps') as $line) {
    if (!preg_match('/^([0-9a-f]+)-([0-9a-f]+) rw-s /', $line, $m)) {
        continue;
    }
    $lo = hexdec($m[1]);
    $hi = hexdec($m[2]);
    if ($hi - $lo > (1 << 20)) {
        continue;
    }
    for ($at = $lo; $at + 4 <= $hi; $at = $hit + 1) {
        $hit = $libc->memmem($at, $hi - $at, FFI::addr($needle), 4);
        if ($hit == 0) {
            break;
        }
        if ($hit % 4 == 0) {
            $w = FFI::new('uintptr_t');
            $w->cdata = $hit;
            // the cast shares $w's storage: keep $w alive with it
            $words[] = [$w, FFI::cast('int32_t *', $w)];
        }
    }
}
echo "armed pid=$pid words=", count($words), " pgid=",
     $libc->getpgid(0), "\n";
flush();

$end = microtime(true) + $seconds;
do {
    foreach ($words as [$w, $p]) {
        if ($p[0] == $pid) {
            $p[0] = 0;
        }
    }
    usleep(1000);
} while (microtime(true) < $end);
echo "survived\n";
