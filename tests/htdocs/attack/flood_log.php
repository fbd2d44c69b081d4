<?php
// A fixture of t/logs.t: writes to php://stderr (its worker's descriptor
// 2: the main ErrorLog, through its pool's pipe to the log relay).
//   ?m=MARK&stop=FILE  as fast as it can, lines "flood MARK xxx...", until
//                      FILE exists (looked at every 64 KiB), 20 s have
//                      passed or 256 MiB are written; then one line
//                      "flood-end MARK" and "written=BYTES" in the answer
//   ?m=MARK&sleep=N    sleeps N seconds, then writes one line "late MARK"
header('Content-Type: text/plain');
$mark = (string)($_GET['m'] ?? '');
$stop = (string)($_GET['stop'] ?? '');
$err = fopen('php://stderr', 'w');
if (isset($_GET['sleep'])) {
    sleep((int)$_GET['sleep']);
    fwrite($err, "late $mark\n");
    echo "late $mark\n";
    exit;
}
$block = str_repeat("flood $mark " . str_repeat('x', 200) . "\n", 32);
$t0 = microtime(true);
$n = 0;
while ($n < (256 << 20) && microtime(true) - $t0 < 20) {
    $n += fwrite($err, $block);
    if ($n % (64 << 10) < strlen($block) && $stop !== ''
        && (clearstatcache() || file_exists($stop))) {
        break;
    }
}
fwrite($err, "flood-end $mark\n");
echo "written=$n\n";
