# t/sandbox.t -- the sandboxes of routers and workers (issue 14):
#   - a tenant with native code (evil.test, peruid_ta, PHP's FFI:
#     htdocs/attack/setid.php) calls setuid(0), setresuid(0,0,0) and
#     setgroups([0]) in its worker, and runs a setuid-root program (a copy
#     of tests/sandbox/euid.c, root, 4755) that tries the same: nothing
#     gains root, the worker runs with no_new_privs and a seccomp filter
#     (PeruidNoNewPrivs On, the default);
#   - a router that makes a call off its allow-list (here openat: the
#     LD_PRELOAD library tests/sandbox/preload.c makes it when the router
#     peeks at a head starting "PERUID-SANDBOX-TRAP") writes one PU00128
#     line naming the call and dies of SIGSYS; the master logs it
#     (PU00084) and starts another router, which serves;
#   - a filter that cannot be installed is an error (the same library
#     makes it fail for one uid): a worker logs PU00129 and serves
#     nothing, its user's requests fail while another user is served; a
#     router logs PU00024 and the server stops rather than route without
#     its filter;
#   - with LimitUIDRange's filter as well, both hold;
#   - PeruidNoNewPrivs Off in evil.test's vhost: its user's workers run
#     without no_new_privs, and the setuid program as root again (the
#     trade-off docs/directives.md describes); another user's keep it.
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/lib";
use Apache::Test qw(-withtestmore);
use PeruidTest qw(:all);
use File::Path qw(make_path remove_tree);

plan skip_all => 'PHP (mod_php) is not installed' unless vars('peruid_php');
plan tests => 24;

my %started;    # conf file => master pid, for the END block
my $bindir = root() . '/inst-sandbox-bin';
END {
    stop_instances(\%started);
    remove_tree($bindir) if -d $bindir;
}

my ($ta) = ids_of('peruid_ta');
my ($tb) = ids_of('peruid_tb');
my $router_uid = (ids_of('peruid-router'))[0];
my $src = vars('peruid_top') . '/tests/sandbox';
my $attack = root() . '/htdocs/attack';

# the LD_PRELOAD library and the setuid-root program, built here
make_path($bindir);
chmod 0755, $bindir;
my $preload = "$bindir/preload.so";
my $euid = "$bindir/euid";
system('cc', '-shared', '-fPIC', '-o', $preload, "$src/preload.c", '-ldl') == 0
    or die "cc preload.c failed";
system('cc', '-o', $euid, "$src/euid.c") == 0 or die "cc euid.c failed";
chown 0, 0, $euid;
chmod 04755, $euid;
chmod 0755, $preload;

# An instance of our own with evil.test (FFI), started with the preload
# library and %env (evil: more lines for evil.test's vhost); returns the
# instance, or one whose master is undef.
sub start {
    my ($name, $mpm_extra, %env) = @_;
    my $evil = delete $env{evil} // '';
    local $ENV{LD_PRELOAD} = $preload;
    local @ENV{keys %env} = values %env;
    my $port = free_port();
    my ($master, undef, $conf, $dir) = started_instance(\%started, $name,
        port => $port,
        mpm => small_mpm('PeruidPeekTimeout 2', $mpm_extra // ()),
        body => <<"EOF");
<VirtualHost 127.0.0.1:$port>
    ServerName evil.test
    DocumentRoot "$attack"
    AssignUserID peruid_ta peruid_ta
    php_admin_value ffi.enable 1
    $evil
</VirtualHost>
EOF
    return { master => $master, port => $port, conf => $conf, dir => $dir,
             elog => "$dir/logs/error_log" };
}

# evil.test's setid.php, running the setuid program: its key=values
sub attack {
    my ($i) = @_;
    my $r = http('evil.test', "/setid.php?exec=$euid", port => $i->{port},
                 timeout => 10);
    my $v = kv($r->{body});
    $v->{status} = $r->{status};
    return $v;
}

# ------------------------------------------------ the attack, and the trap
my $i = start('sandbox');
ok($i->{master}, 'instance started (PeruidNoNewPrivs On by default)')
    or BAIL_OUT('no instance');
my $v = attack($i);
is($v->{status}, 200, 'evil.test answers');
like("@{[ $v->{setuid0} // '' ]} @{[ $v->{setresuid0} // '' ]} "
     . ($v->{setgroups0} // ''),
     qr/^refused\(errno 1\) refused\(errno 1\) refused\(errno 1\)$/,
     'setuid(0), setresuid(0,0,0) and setgroups([0]) in the worker are '
     . 'refused');
is($v->{euid}, $ta, 'the worker is still peruid_ta');
is($v->{nnp}, 1, 'the worker runs with no_new_privs');
is($v->{exec_euid}, $ta, 'the setuid-root program runs as peruid_ta, not '
   . 'root (' . ($v->{exec_euid} // 'none') . ')');
ok(($v->{exec_setresuid0} // '') eq 'refused'
   && ($v->{exec_setgroups0} // '') eq 'refused',
   'and its setresuid(0,0,0) and setgroups are refused');
my $w = http('a.test', '/whoami.php', port => $i->{port}, timeout => 10);
my $st = proc_status(kv($w->{body})->{pid} // 0) || {};
ok(($st->{Seccomp} // '') eq '2' && ($st->{NoNewPrivs} // '') eq '1',
   "a.test's worker: Seccomp 2, NoNewPrivs 1");

my @before = routers($i->{master}, $i->{port});
is(scalar @before, 1, 'one router');
my $mark = error_log_mark($i->{elog});
my $r = request_raw("PERUID-SANDBOX-TRAP / HTTP/1.1\r\nHost: a.test\r\n\r\n",
                    port => $i->{port}, timeout => 5);
ok(!defined $r->{status}, 'the connection that made the router trap gets '
   . 'no answer');
my @after;
wait_for(sub {
    @after = grep { $_ != $before[0] } routers($i->{master}, $i->{port});
    @after > 0;
}, 10);
ok(!pid_alive($before[0]) && @after == 1, "the router ($before[0]) is gone "
   . "and another (@after) runs");
my $log = error_log_since($mark, $i->{elog});
my @trap = $log =~ /^(.*PU00128.*)$/mg;
ok(@trap == 1 && $trap[0] =~ /\[pid $before[0]:tid $before[0]\] PU00128: router: system call \d+ \(openat\) is not on the routers' allow-list/,
   'one PU00128 line names the call and the router') or diag($log);
like($log, qr/PU00084: master: router $before[0] was killed by signal 31/,
     'the master logs its death by SIGSYS (PU00084)');
$w = http('a.test', '/whoami.php', port => $i->{port}, timeout => 10);
is(kv($w->{body})->{uid}, $ta, 'the new router routes a.test to its user');
instance_stop($i->{master});
delete $started{$i->{conf}};

# ------------------------------------------------------ failed installs
$i = start('sandbox-fail-worker', undef,
           PERUID_TEST_SECCOMP_FAIL_UID => $ta);
ok($i->{master}, 'instance started with the workers\' filter failing for '
   . 'peruid_ta');
$r = http('a.test', '/whoami.php', port => $i->{port}, timeout => 10);
isnt($r->{status} // 0, 200, 'a.test is not served without its worker\'s '
     . 'filter (' . ($r->{status} // 'none') . ')');
like(slurp($i->{elog}) // '', qr/PU00129: worker uid $ta: the setuid family's filter failed \(PeruidNoNewPrivs On\); refusing to serve/,
     '... its worker says why (PU00129)');
$r = http('b.test', '/whoami.php', port => $i->{port}, timeout => 10);
is(kv($r->{body})->{uid}, $tb, 'b.test is served as peruid_tb');
instance_stop($i->{master});
delete $started{$i->{conf}};

$i = start('sandbox-fail-router', undef,
           PERUID_TEST_SECCOMP_FAIL_UID => $router_uid);
my $pf = "$i->{dir}/logs/httpd.pid";
my $gone = wait_for(sub {
    my $m = master_pid($pf);
    !$m || !pid_alive($m);
}, 15);
ok(!$i->{master} && $gone, 'with the routers\' filter failing, the server '
   . 'does not serve, and stops');
like(slurp($i->{elog}) // '', qr/PU00024: router: seccomp_load failed; refusing to route without the system call filter/,
     '... the router says why (PU00024)');

# ------------------------------- with LimitUIDRange's filter: both hold
$i = start('sandbox-range', join "\n", 'LoadModule mpm_itk_module '
           . vars('peruid_module'), 'LimitUIDRange 1 65000',
           'LimitGIDRange 1 65000');
$v = attack($i);
ok(($v->{nnp} // '') eq '1' && ($v->{exec_euid} // '') eq $ta
   && ($v->{exec_setresuid0} // '') eq 'refused',
   'with LimitUIDRange too, the worker runs with no_new_privs and the '
   . 'setuid program as peruid_ta');
$r = http('b.test', '/whoami.php', port => $i->{port}, timeout => 10);
is(kv($r->{body})->{uid}, $tb, '... and b.test is served as peruid_tb');
instance_stop($i->{master});
delete $started{$i->{conf}};

# ---------------------------- PeruidNoNewPrivs Off in evil.test's vhost
$i = start('sandbox-off', undef, evil => 'PeruidNoNewPrivs Off');
$v = attack($i);
ok(($v->{nnp} // '') eq '0' && ($v->{exec_euid} // '') eq '0',
   'PeruidNoNewPrivs Off in evil.test: no no_new_privs, and the setuid-root '
   . 'program runs as root (euid ' . ($v->{exec_euid} // 'none') . ')');
$w = http('b.test', '/whoami.php', port => $i->{port}, timeout => 10);
$st = proc_status(kv($w->{body})->{pid} // 0) || {};
is($st->{NoNewPrivs}, 1, '... while another user\'s worker (b.test) keeps '
   . 'no_new_privs');
