<?php
// The attacker fixture of t/shared_memory.t: a tenant with native code
// (PHP's FFI, enabled for its vhost only) reads every readable mapping
// its worker holds, as listed in /proc/self/maps, and counts the places
// that hold a string: ?p= its first bytes, ?n= how many bytes follow
// them and ?h= the md5 of those bytes (so that the string itself is in
// no request, nor in this worker's memory but where something else put
// it).  /proc/self/mem cannot be opened once the worker has switched
// users (it is not dumpable), so the bytes are read through FFI pointers.
// Prints mappings=, bytes=, prefix_hits= (the prefix is at least in this
// request's own memory: the scan saw the heap) and matches=.
header('Content-Type: text/plain');
$prefix = (string)($_GET['p'] ?? '');
$n = (int)($_GET['n'] ?? 0);
$hash = (string)($_GET['h'] ?? '');
if (strlen($prefix) < 8 || $n < 8 || strlen($hash) != 32) {
    http_response_code(400);
    exit("bad arguments\n");
}
$chunk = 1 << 20;
$overlap = strlen($prefix) + $n;
$mappings = $bytes = $prefix_hits = $matches = 0;

// how many bytes of the mapping [start, end) at file offset off of path
// can be read without SIGBUS (a file mapping past its file's end)
function readable_len($start, $end, $off, $path) {
    $len = $end - $start;
    if ($path !== '' && $path[0] === '/' && !str_ends_with($path, '(deleted)')
        && ($size = @filesize($path)) !== false) {
        $len = min($len, max(0, $size - $off));
    }
    return $len;
}

$p = FFI::new('uintptr_t');
foreach (file('/proc/self/maps') as $line) {
    if (!preg_match('/^([0-9a-f]+)-([0-9a-f]+) (\S{4}) ([0-9a-f]+) \S+ \d+\s*(.*)$/',
                    rtrim($line, "\n"), $m)
        || $m[3][0] !== 'r' || $m[5] === '[vvar]' || $m[5] === '[vsyscall]'
        || $m[5] === '[vvar_vclock]') {
        continue;
    }
    $start = hexdec($m[1]);
    $len = readable_len($start, hexdec($m[2]), hexdec($m[4]), $m[5]);
    $mappings++;
    for ($at = 0; $at < $len; $at += $chunk) {
        $p->cdata = $start + $at;
        $take = min($len - $at, $chunk + $overlap);
        $s = FFI::string(FFI::cast('char *', $p), $take);
        $bytes += min($take, $chunk);
        for ($i = strpos($s, $prefix); $i !== false && $i < $chunk;
             $i = strpos($s, $prefix, $i + 1)) {
            $prefix_hits++;
            if (md5(substr($s, $i + strlen($prefix), $n)) === $hash) {
                $matches++;
            }
        }
    }
}
echo "mappings=$mappings\n";
echo "bytes=$bytes\n";
echo "prefix_hits=$prefix_hits\n";
echo "matches=$matches\n";
