<?php
// The value of one php.ini setting for this request (?n=name), as the
// vhost's php_admin_value may have set it.
header('Content-Type: text/plain');
echo "value=", ini_get($_GET['n'] ?? ''), "\n";
