# t/shared_memory.t -- PHP's OPcache is one segment per user, not one for
# every user: the master copies the shared segments modules make in
# post_config (segments.c), and each user's workers map their own copy
# and lock file.  With Debian's php.ini (OPcache on), b.test runs a 0600
# script of its own that holds a password; then, from a.test (another
# user):
#   - plain PHP includes that script by its path: before, OPcache gave it
#     from the shared cache without opening the file (a got b's password);
#     now the include fails on the file's mode;
#   - opcache_get_status() lists none of b's scripts;
#   - an FFI tenant (evil.test, a.test's user, its vhost only) reads every
#     mapping its worker holds and finds no copy of a string of b's script,
#     though it finds its own user's cached script the same way.
# And OPcache still works within a user: its hit counter rises, and a
# script cached by one worker of the user is a hit in another.  The same
# holds after a graceful restart (the copies are taken again) and for
# preforked workers bound to a user later (PeruidPreforkedWorkers).
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/lib";
use Apache::Test qw(-withtestmore);
use PeruidTest qw(:all);
use Digest::MD5 qw(md5_hex);
use POSIX ();
use Time::HiRes qw(time sleep);

plan skip_all => 'PHP (mod_php) is not installed' unless vars('peruid_php');
plan tests => 34;

my %started;    # conf file => master pid, for the END block
END { stop_instances(\%started) }

my $htdocs = root() . '/htdocs';
my $tag = sprintf('%x%x', $$, int(time));
my $secret_b = md5_hex("b $tag " . rand());
my $secret_a = md5_hex("a $tag " . rand());
my $b_prefix = 'PERUID-B-LITERAL:';
my $a_prefix = 'PERUID-A-LITERAL:';
my $b_script = "$htdocs/b/opc_secret_$tag.php";

# a fixture: owner, mode, and an mtime an hour ago (PeruidTest.pm)
sub fixture { php_fixture(@_) }

my $status_php = <<'EOF';
<?php
header('Content-Type: text/plain');
$st = opcache_get_status(true);
echo "enabled=", $st['opcache_enabled'] ? 1 : 0, "\n";
echo "hits=", $st['opcache_statistics']['hits'], "\n";
echo "pid=", getmypid(), "\n";
foreach (array_keys($st['scripts'] ?? []) as $s) {
    echo "script=$s\n";
}
usleep((int)(1000000 * (float)($_GET['s'] ?? 0)));   // holds the worker
EOF
fixture($b_script, 'peruid_tb', 0600, <<"EOF");
<?php
\$peruid_b_password = "$b_prefix$secret_b";
echo "b-secret-script ran\\n";
EOF
fixture("$htdocs/b/opc_status.php", 'peruid_tb', 0644, $status_php);
fixture("$htdocs/a/opc_status.php", 'peruid_ta', 0644, $status_php);
fixture("$htdocs/a/opc_include.php", 'peruid_ta', 0644, <<'EOF');
<?php
header('Content-Type: text/plain');
$r = @include $_GET['f'];
echo "include=", $r === false ? "failed" : "ok", "\n";
echo "password=", $peruid_b_password ?? "none", "\n";
EOF
fixture("$htdocs/attack/opc_own_$tag.php", 'peruid_ta', 0600, <<"EOF");
<?php
\$peruid_a_value = "$a_prefix$secret_a";
echo "a-own-script ran\\n";
EOF

my $port = free_port();
my $new_php = <<'EOF';
<?php
echo "ran_at=", sprintf('%.6f', microtime(true)), "\n";
EOF
fixture("$htdocs/b/opc_new_$tag.php", 'peruid_tb', 0644, $new_php);
fixture("$htdocs/a/opc_new_$tag.php", 'peruid_ta', 0644, $new_php);

fixture("$htdocs/a/opc_reset.php", 'peruid_ta', 0644, <<'EOF');
<?php
header('Content-Type: text/plain');
echo "reset=", opcache_reset() ? 1 : 0, "\n";
EOF

my ($master, undef, $conf, $dir) = started_instance(\%started, 'shm',
    port => $port, body => <<"EOF");
<VirtualHost 127.0.0.1:$port>
    ServerName evil.test
    DocumentRoot "$htdocs/attack"
    AssignUserID peruid_ta peruid_ta
    php_admin_value ffi.enable 1
</VirtualHost>
EOF
ok($master, 'instance started') or exit;
my $get = sub { http($_[0], $_[1], port => $port, timeout => 20) };

like(slurp("$dir/logs/error_log") // '', qr/PU00075: .* OPcache/,
     'the master gives each user its own copy of OPcache\'s segment '
     . '(PU00075)');

# b.test caches its secret script
my $r = $get->('b.test', "/opc_secret_$tag.php");
like($r->{body}, qr/^b-secret-script ran$/m, 'b.test ran its 0600 script');
$r = $get->('b.test', '/opc_status.php');
my $bst = kv($r->{body});
is($bst->{enabled}, 1, 'OPcache is on (b.test)');
like($r->{body}, qr/^script=\Q$b_script\E$/m,
     'b.test\'s OPcache holds its secret script');

# plain PHP in a.test: include it by its path
$r = $get->('a.test', '/opc_include.php?f=' . $b_script);
is($r->{status}, 200, 'a.test: the include script ran');
like($r->{body}, qr/^include=failed$/m,
     'a.test cannot include b.test\'s cached 0600 script');
unlike($r->{body}, qr/\Q$secret_b\E/, 'a.test got no byte of b\'s password');

# opcache_get_status() in a.test
$r = $get->('a.test', '/opc_status.php');
my @scripts = $r->{body} =~ /^script=(.*)$/mg;
ok(scalar(grep { m{/htdocs/a/} } @scripts),
   'a.test\'s status lists its own scripts (' . scalar(@scripts) . ')');
is(join(' ', grep { m{/htdocs/b/} } @scripts), '',
   'opcache_get_status() in a.test shows none of b.test\'s scripts');

# OPcache works within a.test's user: hits rise, and a script one worker
# cached is a hit in another worker of the same user
my $h1 = kv($get->('a.test', '/opc_status.php')->{body});
my $h2 = kv($get->('a.test', '/opc_status.php')->{body});
cmp_ok($h2->{hits}, '>', $h1->{hits},
       "a.test's hit counter rises ($h1->{hits}, then $h2->{hits})");
# GET $path from $host in a child process; returns a sub that waits for
# it and returns the response's body
sub in_background {
    my ($host, $path) = @_;
    pipe(my $rd, my $wr) or die "pipe: $!";
    my $pid = fork // die "fork: $!";
    if (!$pid) {
        close $rd;
        print $wr $get->($host, $path)->{body} // '';
        close $wr;
        POSIX::_exit(0);
    }
    close $wr;
    return sub {
        my $body = do { local $/; <$rd> } // '';
        waitpid($pid, 0);
        return $body;
    };
}

# one worker holds a.test's status script for 3 s; another answers it
my $busy = in_background('a.test', '/opc_status.php?s=3');
sleep 0.5;
my $w2 = kv($get->('a.test', '/opc_status.php')->{body});
my $w1 = kv($busy->());
ok($w1->{pid} && $w2->{pid} && $w1->{pid} != $w2->{pid},
   "two workers of a.test answered ($w1->{pid}, busy, and $w2->{pid})");
cmp_ok($w2->{hits} // 0, '>', $w1->{hits} // 0,
       'the second counts the first one\'s hits: one cache per user '
       . '(' . ($w1->{hits} // '-') . ', then ' . ($w2->{hits} // '-') . ')');

# the FFI tenant of a.test's user scans its worker's memory
$r = $get->('evil.test', "/opc_own_$tag.php");
like($r->{body}, qr/^a-own-script ran$/m, 'evil.test ran a 0600 script '
     . 'of its own user (cached)');
my $scan = sub {
    my ($prefix, $secret) = @_;
    my $s = $get->('evil.test', "/scan_mem.php?p=$prefix&n="
                   . length($secret) . '&h=' . md5_hex($secret));
    diag("scan: $prefix: " . join(' ', split /\n/, $s->{body} // ''));
    return kv($s->{body});
};
my $own = $scan->($a_prefix, $secret_a);
cmp_ok($own->{prefix_hits} // 0, '>=', 1, 'the scan read its own heap '
       . '(the prefix of its request)');
cmp_ok($own->{matches} // 0, '>=', 1, 'the scan finds its own user\'s '
       . 'cached string (it reads the OPcache segment)');
my $foreign = $scan->($b_prefix, $secret_b);
cmp_ok($foreign->{bytes} // 0, '>=', 64 << 20, 'the scan read every '
       . 'mapping (' . ($foreign->{mappings} // 0) . ' mappings, '
       . int(($foreign->{bytes} // 0) / 1048576) . ' MiB)');
is($foreign->{matches}, 0, 'no mapping of a.test\'s worker holds a string '
   . 'of b.test\'s cached script');

# OPcache's lock: a.test's tenant holds the write lock of the lock file
# its worker has (OPcache takes it to store a script it compiled) for 4 s;
# meanwhile b.test and a.test each run a script not yet cached
my $holder = in_background('evil.test', '/hold_lock.php?s=4');
sleep 1;
my ($b_new, $a_new) = in_parallel(
    sub { kv($get->('b.test', "/opc_new_$tag.php")->{body})->{ran_at} },
    sub { kv($get->('a.test', "/opc_new_$tag.php")->{body})->{ran_at} });
my $hold = kv($holder->());
diag("lock held from $hold->{locked_at} to $hold->{released_at}; b.test's "
     . "new script ran at $b_new, a.test's at $a_new") if $hold->{locked};
ok($hold->{locked}, 'a.test\'s tenant held the write lock of its OPcache '
   . 'lock file (' . ($hold->{target} // 'none found') . ')');
ok($b_new && $hold->{released_at} && $b_new < $hold->{released_at},
   'b.test compiled and ran a new script while it was held: its workers '
   . 'have a lock file of their own');
ok($a_new && $hold->{released_at} && $a_new >= $hold->{released_at},
   'a.test\'s new script waited for its own user\'s lock (the lock held '
   . 'is OPcache\'s)');

# opcache_reset() in a.test empties its own user's cache only
is(kv($get->('a.test', '/opc_reset.php')->{body})->{reset}, 1,
   'a.test reset OPcache');
$r = $get->('b.test', '/opc_status.php');
like($r->{body}, qr/^script=\Q$b_script\E$/m, 'b.test\'s cache still holds '
     . 'its secret script after a.test\'s opcache_reset()');

# the checks of a server where b.test has run its secret script: a.test
# neither includes it nor lists b's scripts; returns a.test's status
sub check_apart {
    my ($label, $port) = @_;
    my $get = sub { http($_[0], $_[1], port => $port, timeout => 20) };
    my $r = $get->('b.test', "/opc_secret_$tag.php");
    like($r->{body}, qr/^b-secret-script ran$/m, "$label: b.test ran its "
         . '0600 script');
    $r = $get->('a.test', '/opc_include.php?f=' . $b_script);
    ok($r->{body} =~ /^include=failed$/m && $r->{body} !~ /\Q$secret_b\E/,
       "$label: a.test cannot include b.test's cached 0600 script");
    $r = $get->('a.test', '/opc_status.php');
    my $st = kv($r->{body});
    my @b = grep { m{/htdocs/b/} } $r->{body} =~ /^script=(.*)$/mg;
    ok($st->{enabled} && !@b, "$label: a.test's OPcache is on and lists "
       . 'none of b.test\'s scripts');
    return $st;
}

# a graceful restart: the next generation's segment, copied again
my $log = "$dir/logs/error_log";
system(vars('httpd') || '/usr/sbin/apache2', '-d', $dir, '-f', $conf,
       '-k', 'graceful');
ok(wait_for(sub { my @n = (slurp($log) // '') =~ /PU00075:/g; @n >= 2 },
            15), 'after a graceful restart the master copied the new '
   . 'segment again (PU00075)');
sleep 1;
my $g1 = check_apart('after a graceful restart', $port);
my $g2 = kv($get->('a.test', '/opc_status.php')->{body});
cmp_ok($g2->{hits} // 0, '>', $g1->{hits} // 0, 'after a graceful restart '
       . "a.test's hit counter rises ($g1->{hits}, then $g2->{hits})");

# preforked workers, bound to a.test's and b.test's users later
my ($pmaster, $pport, undef, $pdir) = started_instance(\%started,
    'shm-preforked', mpm => small_mpm('PeruidPreforkedWorkers 3'));
ok($pmaster, 'instance with preforked workers started') or exit;
sleep 1;    # the preforked worker default.test took is replaced
my %before = map { $_ => 1 } children_of($pmaster);
my $pst = check_apart('preforked', $pport);
ok($pst->{pid} && $before{$pst->{pid}}, 'a.test was served by a worker '
   . "forked before it was bound to a.test's user ($pst->{pid})");
unlike(slurp("$pdir/logs/error_log") // '', qr/PU00078/,
       'no worker was refused its user\'s copy (PU00078)');
