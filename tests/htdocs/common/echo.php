<?php
// The request body as the worker received it: length and md5.
header('Content-Type: text/plain');
$in = file_get_contents('php://input');
echo "length=", strlen($in), "\n";
echo "md5=", md5($in), "\n";
echo "uid=", posix_geteuid(), "\n";
