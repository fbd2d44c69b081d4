<?php
// Send signal ?sig= to process ?pid= (what any code of this vhost's user
// can do to processes of the same uid).
header('Content-Type: text/plain');
$pid = (int)($_GET['pid'] ?? 0);
$sig = (int)($_GET['sig'] ?? 0);
echo posix_kill($pid, $sig) ? "SENT\n" : "FAILED " . posix_get_last_error() . "\n";
echo "euid=", posix_geteuid(), "\n";
