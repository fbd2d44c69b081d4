<?php
// t/limits.t: this worker's own limits (/proc/self/limits), then ?n=N
// programs started with proc_open (sleep 30, at most 200), held for
// ?hold=S seconds (at most 10) and ended.  Prints the limits and how many
// of the programs the kernel let it start.
header('Content-Type: text/plain');
while (ob_get_level()) {
    ob_end_flush();
}
$names = ['processes' => 'nproc', 'cpu time' => 'cpu',
          'address space' => 'as'];
foreach (file('/proc/self/limits') as $line) {
    foreach ($names as $what => $key) {
        if (preg_match("/^Max $what\\s+(\\S+)\\s+(\\S+)/", $line, $m)) {
            echo "$key=$m[1]/$m[2]\n";
        }
    }
}
$n = min(200, max(0, (int)($_GET['n'] ?? 0)));
$hold = min(10.0, max(0.0, (float)($_GET['hold'] ?? 0)));
$procs = [];
for ($i = 0; $i < $n; $i++) {
    $p = @proc_open(['sleep', '30'], [], $pipes);
    if (is_resource($p)) {
        $procs[] = $p;
    }
}
echo "started=", count($procs), "\n";
echo "failed=", $n - count($procs), "\n";
flush();
usleep((int)($hold * 1000000));
foreach ($procs as $p) {
    proc_terminate($p, 9);
    proc_close($p);
}
echo "ended\n";
