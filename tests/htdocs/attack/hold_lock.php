<?php
// The attacker fixture of t/shared_memory.t: a tenant with native code
// (PHP's FFI, enabled for its vhost only) takes OPcache's write lock, a
// fcntl() lock on byte 0 of the lock file OPcache keeps open, and holds
// it for ?s= seconds.  OPcache takes that lock to store a script it has
// just compiled: with one lock file for every user, nobody could add a
// script to the cache meanwhile.  Prints the descriptor, what it names,
// and when the lock was taken and given back (microtime).
header('Content-Type: text/plain');
$seconds = min(10.0, max(0.1, (float)($_GET['s'] ?? 3)));
$fd = -1;
$target = '';
foreach (scandir('/proc/self/fd') as $n) {
    $t = @readlink("/proc/self/fd/$n");
    if ($t !== false && preg_match('/\.ZendSem\.|opcache_lock|peruid-segments/',
                                   $t)) {
        $fd = (int)$n;
        $target = $t;
        break;
    }
}
echo "fd=$fd\n";
echo "target=$target\n";
if ($fd < 0) {
    exit;
}
$libc = FFI::cdef('
    struct flock { short l_type; short l_whence; long l_start; long l_len;
                   int l_pid; };
    int fcntl(int fd, int cmd, ...);
', 'libc.so.6');
$fl = $libc->new('struct flock');
$fl->l_type = 1;        // F_WRLCK
$fl->l_whence = 0;      // SEEK_SET
$fl->l_start = 0;       // OPcache's write lock: byte 0
$fl->l_len = 1;
$rc = $libc->fcntl($fd, 7, FFI::addr($fl));     // F_SETLKW
echo "locked=", $rc == 0 ? 1 : 0, "\n";
echo "locked_at=", sprintf('%.6f', microtime(true)), "\n";
$end = microtime(true) + $seconds;
while (microtime(true) < $end) {
    usleep(50000);
}
// the time is taken before the lock is given back: a script that waited
// for it runs after this instant, never before (taken after the unlock,
// it was now and then later than that script's start)
$released_at = microtime(true);
$fl->l_type = 2;        // F_UNLCK
$libc->fcntl($fd, 6, FFI::addr($fl));           // F_SETLK
echo "released_at=", sprintf('%.6f', $released_at), "\n";
