<?php
// ?n= bytes of a fixed pattern, written by PHP in 64 KB pieces.
header('Content-Type: application/octet-stream');
$n = (int)($_GET['n'] ?? 1000000);
$pat = str_repeat('0123456789abcdef', 4096);      // 64 KB
while ($n > 0) {
    $k = min($n, strlen($pat));
    echo substr($pat, 0, $k);
    $n -= $k;
}
