<?php
// The attacker fixture of t/logs.t: a tenant with native code (PHP's
// FFI, enabled for its vhost only) lists every descriptor its worker
// holds (/proc/self/fd) and, with ?m=MARK, writes a line holding MARK
// into each one that is a file or a pipe (not sockets, not the memfd of
// its OPcache copy): whatever log of another user it still held would
// get the line.  With ?stderr=MARK it writes to descriptor 2 (the main
// ErrorLog) a line that looks like the master's own.
// Prints one "fd=N TARGET" line per descriptor, then written=COUNT.
header('Content-Type: text/plain');
$ffi = FFI::cdef('long write(int fd, const char *buf, unsigned long n);');
$mark = (string)($_GET['m'] ?? '');
$stderr = (string)($_GET['stderr'] ?? '');
$written = 0;
foreach (scandir('/proc/self/fd') as $fd) {
    if (!ctype_digit($fd)) {
        continue;
    }
    $target = @readlink("/proc/self/fd/$fd");
    if ($target === false) {
        continue;       // the directory scandir had open
    }
    echo "fd=$fd $target\n";
    $file = $target[0] === '/' && !str_starts_with($target, '/memfd:');
    if ($mark !== '' && ($file || str_starts_with($target, 'pipe:'))) {
        $line = "forged by a.test into fd $fd: $mark\n";
        if ($ffi->write((int)$fd, $line, strlen($line)) > 0) {
            $written++;
        }
    }
}
if ($stderr !== '') {
    $line = '[' . date('D M d H:i:s.000000 Y') . '] [mpm_peruid:emerg] '
          . "[pid 1] PU00001: forged by native code: $stderr\n";
    $ffi->write(2, $line, strlen($line));
}
echo "written=$written\n";
