<?php
// Answer the worker's pid at once, then take ?s= seconds, then "DONE".
// A loop on the clock, not one sleep(): a signal to the worker (e.g. a
// graceful stop) interrupts sleep() and would end the request early.
header('Content-Type: text/plain');
while (ob_get_level()) {
    ob_end_flush();
}
$s = (float)($_GET['s'] ?? 1);
echo "pid=", getmypid(), "\n";
flush();
$end = microtime(true) + $s;
while (microtime(true) < $end) {
    usleep(50000);
}
echo "DONE\n";
