<?php
// Try to look into another process (?pid=): /proc/<pid>/environ needs
// ptrace access, i.e. the same uid and a dumpable target.
header('Content-Type: text/plain');
$pid = (int)($_GET['pid'] ?? 0);
$s = @file_get_contents("/proc/$pid/environ");
echo $s === false ? "READ-FAILED\n" : "READ-OK " . strlen($s) . "\n";
echo "euid=", posix_geteuid(), "\n";
