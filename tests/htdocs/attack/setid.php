<?php
// The attacker fixture of t/sandbox.t: a tenant with native code (PHP's
// FFI, for its vhost only) tries to make its worker root, or another
// user: setuid(0), setresuid(0, 0, 0), setgroups([0]) through libc; then
// it runs the setuid-root program the test installed (?exec=PATH, a
// copy of tests/sandbox/euid.c owned by root, mode 4755), which says
// which ids it got.  Prints key=value lines.
header('Content-Type: text/plain');
$libc = FFI::cdef('int setuid(unsigned int);
    int setresuid(unsigned int, unsigned int, unsigned int);
    int setgroups(unsigned long, const unsigned int *);
    int *__errno_location(void);
    unsigned int geteuid(void);', 'libc.so.6');
function said($libc, $rc)
{
    return $rc == 0 ? 'ok' : 'refused(errno ' . $libc->__errno_location()[0]
                                 . ')';
}
echo 'setuid0=', said($libc, $libc->setuid(0)), "\n";
echo 'setresuid0=', said($libc, $libc->setresuid(0, 0, 0)), "\n";
$g = FFI::new('unsigned int[1]');
$g[0] = 0;
echo 'setgroups0=', said($libc, $libc->setgroups(1, $g)), "\n";
echo 'euid=', $libc->geteuid(), "\n";
preg_match('/^NoNewPrivs:\s*(\d+)/m', file_get_contents('/proc/self/status'),
           $m);
echo 'nnp=', $m[1] ?? '-', "\n";
if (isset($_GET['exec'])) {
    // the program prints "euid=N ruid=N suid=N setresuid0=... ...":
    // each pair on a line of its own, as exec_euid=N and so on
    $out = trim(shell_exec(escapeshellarg($_GET['exec'])) ?? '');
    foreach (explode(' ', $out === '' ? 'ran=no' : $out) as $pair) {
        echo 'exec_', $pair, "\n";
    }
}
