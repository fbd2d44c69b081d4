<?php
// Try to read one of the suite's protected files by absolute path.
header('Content-Type: text/plain');
$files = array(
    'a-secret' => '/../a/secret.txt',
    'b-secret' => '/../b/secret.txt',
    'group-tx' => '/../../shared/group-tx.txt',
);
$k = $_GET['f'] ?? '';
if (!isset($files[$k])) {
    http_response_code(404);
    exit;
}
$path = $_SERVER['DOCUMENT_ROOT'] . $files[$k];
$s = @file_get_contents($path);
if ($s === false) {
    echo "READ-FAILED ", $path, "\n";
} else {
    echo "READ-OK ", $s;
}
echo "euid=", posix_geteuid(), "\n";
