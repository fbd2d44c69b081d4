<?php
// A fixture of t/logs.t: plain PHP (no FFI) writes to the logs its
// worker gives it: error_log() (through httpd, to its vhost's ErrorLog)
// and php://stderr (descriptor 2: the main ErrorLog), the second one a
// line that looks like the master's own.  ?m=MARK goes into both.
header('Content-Type: text/plain');
$mark = (string)($_GET['m'] ?? '');
error_log("error_log() of plain PHP: $mark");
file_put_contents('php://stderr', '[' . date('D M d H:i:s.000000 Y')
    . "] [mpm_peruid:emerg] [pid 1] PU00001: forged by plain PHP: $mark\n");
echo "done $mark\n";
