# t/graceful_keepalive.t -- a graceful restart drops no request of a
# kept-alive connection (issue 14, Faults and load; graceho.c).
#
# The race, made certain: the answer to the first request
# (sleep.php?s=2) sends its headers, with keep-alive, before the
# restart; the master's SIGUSR1 reaches its worker while the script
# runs; the answer ends, and httpd's loop, seeing the MPM STOPPING,
# lets the connection go.  The client then sends its next request on
# the same connection, as clients do.
# - plain HTTP: the worker hands the idle connection to the routers; a
#   worker of the new generation (another pid, the same user) answers
#   200, and the connection stays open for more; the next request may
#   name another user;
# - a graceful stop (no router left to take it): the old worker waits
#   briefly for the next request and answers it, "Connection: close";
# - TLS at a graceful restart (its state lives in the worker, never
#   handed over): the old worker waits briefly for the next request
#   and answers it itself, 200 with "Connection: close", then closes.
# The module before closed the connection after the first answer: the
# next request got no byte (every check of the second answer fails).
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/lib";
use Apache::Test qw(-withtestmore);
use PeruidTest qw(:all);
use IO::Select;
use Time::HiRes qw(time sleep);

plan skip_all => 'PHP (mod_php) is not installed' unless vars('peruid_php');
my $tls_ok = eval { require IO::Socket::SSL; 1 };
plan tests => 3;

my %started;    # conf file => master pid, for the END block
END { stop_instances(\%started) }

my ($ta) = ids_of('peruid_ta');
my ($tb) = ids_of('peruid_tb');
my $libexec = vars('peruid_libexec');
my $htdocs = root() . '/htdocs';

# read once from $c within $timeout: the bytes read, 0 at the end, -1
# when none came in time
sub fill {
    my ($c, $timeout) = @_;
    my $s = $c->{sock};
    my $ready = ($s->can('pending') && $s->pending)
                || ($timeout > 0 && IO::Select->new($s)->can_read($timeout));
    return -1 unless $ready;
    my $n = sysread($s, my $buf, 65536);
    return 0 unless $n;
    $c->{buf} .= $buf;
    return $n;
}

# the first request, with the master's signal $sig in the middle of its
# answer: returns (the complete first answer, the pid that served it)
sub first_with_signal {
    my ($c, $master, $host, $sig) = @_;
    ka_send($c, $host, '/sleep.php?s=2');
    my $end = time + 10;
    while ($c->{buf} !~ /pid=\d+\n/) {
        return ({}, 0) if fill($c, $end - time) <= 0;
    }
    my ($pid) = $c->{buf} =~ /pid=(\d+)\n/;
    kill $sig, $master;
    return (ka_read_response($c, 15), $pid);
}

# checks of a first answer: 200, keep-alive promised (the race's case)
sub first_ok {
    my ($r, $what) = @_;
    Test::More::is($r->{status} // 'none', 200, "$what: first answer 200");
    Test::More::unlike($r->{headers}{connection} // '', qr/close/i,
                       "$what: it promised keep-alive (made before the "
                       . 'restart)');
}

# the next request on $c, for $host: answered 200 by the worker $pid1
# itself, as user $uid, with "Connection: close" (3 checks)
sub next_by_same {
    my ($c, $host, $uid, $pid1, $what) = @_;
    ka_send($c, $host, '/whoami.php?n=2');
    my $r = ka_read_response($c, 10);
    my $v = kv($r->{body} // '');
    Test::More::is($r->{status} // 'none', 200,
                   "the next request on the same $what connection: 200");
    Test::More::ok(($v->{uid} // -1) == $uid && ($v->{pid} // 0) == $pid1,
                   "... by the same worker, as ${host}'s user (pid "
                   . ($v->{pid} // '-') . ", first $pid1)");
    Test::More::like($r->{headers}{connection} // '', qr/close/i,
                     '... with Connection: close');
}

subtest 'plain HTTP: the next request goes to the new generation' => sub {
    Test::More::plan(tests => 11);
    my ($master, $port, $conf, $dir) = started_instance(\%started, 'gka');
    Test::More::ok($master, 'instance started') or return;
    my $c = keepalive_connect(port => $port) or die "connect: $!";
    my ($r1, $pid1) = first_with_signal($c, $master, 'a.test', 'USR1');
    first_ok($r1, 'HTTP');
    # the old worker lets the connection go once the answer is out
    sleep 0.5;
    ka_send($c, 'a.test', '/whoami.php?n=2');
    my $r2 = ka_read_response($c, 10);
    my $v2 = kv($r2->{body} // '');
    Test::More::is($r2->{status} // 'none', 200,
                   'the next request on the same connection: 200');
    Test::More::is($v2->{uid} // '-', $ta, '... as a.test\'s user');
    Test::More::ok(($v2->{pid} // $pid1) != $pid1,
                   "... by another worker (new generation: pid "
                   . ($v2->{pid} // '-') . ", first $pid1)");
    Test::More::unlike($r2->{headers}{connection} // '', qr/close/i,
                       '... which keeps the connection open');
    ka_send($c, 'b.test', '/whoami.php?n=3');
    my $r3 = ka_read_response($c, 10);
    my $v3 = kv($r3->{body} // '');
    Test::More::is($r3->{status} // 'none', 200,
                   'a third request, for b.test: 200');
    Test::More::is($v3->{uid} // '-', $tb, '... as b.test\'s user');
    close $c->{sock};
    my $lines = slurp("$dir/logs/error_log");
    Test::More::unlike($lines, qr/PU00136/,
                       'no hand-over was refused (PU00136)');
    Test::More::ok(wait_for(sub { !pid_alive($pid1) }, 10),
                   'the old worker left');
};

subtest 'graceful stop: the old worker answers the next request' => sub {
    Test::More::plan(tests => 6);
    my ($master, $port) = started_instance(\%started, 'gkastop');
    Test::More::ok($master, 'instance started') or return;
    my $c = keepalive_connect(port => $port) or die "connect: $!";
    my ($r1, $pid1) = first_with_signal($c, $master, 'b.test', 'WINCH');
    first_ok($r1, 'graceful stop');
    # no router is left to take the connection: the worker waits for it
    sleep 0.3;
    next_by_same($c, 'b.test', $tb, $pid1, 'plain');
    close $c->{sock};
    wait_for(sub { !pid_alive($master) }, 20);
};

subtest 'TLS: the old worker answers the next request, then closes' => sub {
    Test::More::plan(skip_all => 'IO::Socket::SSL is not installed')
        unless $tls_ok;
    Test::More::plan(tests => 7);
    my $certs = root() . '/tls-certs-gka';
    mkdir $certs;
    system('openssl', 'req', '-x509', '-newkey', 'ec', '-pkeyopt',
           'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2', '-subj',
           '/CN=a.test', '-keyout', "$certs/a.key", '-out', "$certs/a.crt")
        == 0 || -s "$certs/a.crt"
        or die 'openssl req failed';
    my ($hport, $tport) = (free_port(), free_port());
    my $body = <<"EOF";
LoadModule socache_shmcb_module $libexec/mod_socache_shmcb.so
LoadModule ssl_module $libexec/mod_ssl.so
SSLSessionCache "shmcb:logs/ssl_scache(512000)"
<VirtualHost 127.0.0.1:$tport>
    ServerName a.test
    DocumentRoot "$htdocs/a"
    SSLEngine on
    SSLCertificateFile "$certs/a.crt"
    SSLCertificateKeyFile "$certs/a.key"
    AssignUserID peruid_ta peruid_ta
</VirtualHost>
EOF
    my ($master) = started_instance(\%started, 'gkatls', port => $hport,
        listen => ["127.0.0.1:$hport", "127.0.0.1:$tport https"],
        body => $body);
    Test::More::ok($master, 'instance with a TLS vhost started') or return;
    my $s = IO::Socket::SSL->new(PeerAddr => '127.0.0.1', PeerPort => $tport,
                                 SSL_verify_mode => 0,
                                 SSL_hostname => 'a.test', Timeout => 10)
        or die 'TLS connect: ' . IO::Socket::SSL::errstr();
    my $c = { sock => $s, buf => '', eof => 0 };
    my ($r1, $pid1) = first_with_signal($c, $master, 'a.test', 'USR1');
    first_ok($r1, 'TLS');
    sleep 0.3;
    next_by_same($c, 'a.test', $ta, $pid1, 'TLS');
    my $r3 = ka_read_response($c, 5);
    Test::More::ok($r3->{eof} && !$r3->{bytes} && $c->{buf} eq '',
                   'then the connection closes without another byte');
    close $s;
};
