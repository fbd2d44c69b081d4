<?php
// The attacker fixture of t/attack_scheduler.t: a tenant with native code
// (PHP's FFI, enabled for its vhost only) forges every counter its worker
// can write that the master once scheduled by: its pool's shared page
// (idle = -1000, starting = 0: "a thousand connections wait, no worker
// comes"; and done, the connections its workers finished, which routers
// weigh against MaxRequestWorkers, set 100000 below what it was: "every
// worker of mine is busy", gate.h), again and again for the seconds given (?s=N), as fast as the
// master could correct it.  Prints how many pages it wrote.
header('Content-Type: text/plain');
$seconds = min(10.0, max(0.1, (float)($_GET['s'] ?? 3)));
$pages = [];
foreach (file('/proc/self/maps') as $line) {
    // shared, writable, exactly one page: the pool's counter page
    if (preg_match('/^([0-9a-f]+)-([0-9a-f]+) rw-s /', $line, $m)
        && hexdec($m[2]) - hexdec($m[1]) == 4096) {
        // the cast shares $a's storage: keep $a alive with it
        $a = FFI::new('uintptr_t');
        $a->cdata = hexdec($m[1]);
        $pages[] = [$a, FFI::cast('uint32_t *', $a)];
    }
}
$done0 = [];
foreach ($pages as $i => [$a, $p]) {
    $done0[$i] = $p[3];
}
$end = microtime(true) + $seconds;
$writes = 0;
do {
    foreach ($pages as $i => [$a, $p]) {
        $p[0] = 0xFFFFFC18;     // idle = -1000
        $p[1] = 0;              // starting = 0
        $p[3] = ($done0[$i] - 100000) & 0xFFFFFFFF;     // done
        $writes++;
    }
    usleep(10000);
} while (microtime(true) < $end);
echo "pages=", count($pages), "\n";
echo "writes=", $writes, "\n";
