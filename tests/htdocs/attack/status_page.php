<?php
// The attacker fixture of t/status.t: a tenant with native code (PHP's
// FFI, enabled for its vhost only) looks for the master's status page
// (the memfd "peruid-status", status.c) among its worker's mappings and
// tries to make it writable with mprotect().  Prints found= (mappings
// of it), perms= (as /proc/self/maps gives them), mprotect= (its return
// value) and errno=.
header('Content-Type: text/plain');
$libc = FFI::cdef('int mprotect(void *addr, size_t len, int prot);
                   int *__errno_location(void);', 'libc.so.6');
$found = 0;
$perms = $rc = $errno = '-';
foreach (file('/proc/self/maps') as $line) {
    if (strpos($line, 'peruid-status') === false
        || !preg_match('/^([0-9a-f]+)-([0-9a-f]+) (\S{4})/', $line, $m)) {
        continue;
    }
    $found++;
    $perms = $m[3];
    $start = hexdec($m[1]);
    $p = FFI::new('uintptr_t');
    $p->cdata = $start;
    // PROT_READ | PROT_WRITE
    $rc = $libc->mprotect(FFI::cast('void *', $p), hexdec($m[2]) - $start, 3);
    $errno = $libc->__errno_location()[0];
}
echo "found=$found\nperms=$perms\nmprotect=$rc\nerrno=$errno\n";
