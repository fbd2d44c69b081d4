# t/tls.t -- HTTPS: routers route by the ClientHello's SNI, and the
# handshake and everything after it is done by a worker of the vhost's
# user (router.c, hello.c, route.c's peruid_route_tls).
#
# One TLS address (Listen ... https) with four name-based vhosts, each
# with a certificate of its own made here: tdefault.test (the address's
# default, User), a.test (peruid_ta), b.test and cert.test (peruid_tb;
# cert.test requires a client certificate of the test's CA).  Checked:
#   - SNI a.test and b.test (IO::Socket::SSL, curl --resolve, openssl
#     s_client -servername): each vhost's certificate, served as its uid;
#   - no SNI, and an unknown SNI: the default vhost, as mod_ssl picks it;
#   - SNI a.test with "Host: b.test": a.test's worker never serves it as
#     b.test, it answers 421 Misdirected Request;
#   - ALPN http/1.1, and a client certificate required by one vhost
#     (SSLVerifyClient require), the same as under prefork;
#   - keep-alive inside TLS: two requests on one connection;
#   - TLS 1.2 and TLS 1.3;
#   - a ClientHello dripped a byte at a time (through a relay);
#   - a garbage ClientHello and a truncated one are closed (an alert or
#     nothing), and the server serves the next client;
#   - plain HTTP sent to the TLS port, a garbage hello and an unknown
#     SNI get the same answer as under prefork with the same vhosts.
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/lib";
use Apache::Test qw(-withtestmore);
use PeruidTest qw(:all);
use IO::Select;
use IO::Socket::INET;
use POSIX ();
use Socket qw(IPPROTO_TCP TCP_NODELAY);
use Time::HiRes qw(time sleep);

my $libexec = vars('peruid_libexec');
plan skip_all => 'PHP (mod_php) is not installed' unless vars('peruid_php');
plan skip_all => 'mod_ssl is not installed'
    unless -e "$libexec/mod_ssl.so" && -e "$libexec/mod_socache_shmcb.so";
plan skip_all => 'IO::Socket::SSL is not installed'
    unless eval { require IO::Socket::SSL; 1 };
plan tests => 30;

my %started;    # conf file => master pid, for the END block
my @relays;     # relay pids, for the END block
END {
    kill 'KILL', grep { pid_alive($_) } @relays;
    stop_instances(\%started);
}

my $htdocs = root() . '/htdocs';
my ($ta) = ids_of('peruid_ta');
my ($tb) = ids_of('peruid_tb');
my ($td) = ids_of('peruid_td');

# a key and a self-signed certificate for each name
my $certs = root() . '/tls-certs';
mkdir $certs;
my @ec = ('-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1',
          '-nodes', '-days', '2');
for my $n (qw(tdefault.test a.test b.test cert.test ca)) {
    next if -s "$certs/$n.crt";
    system('openssl', 'req', '-x509', @ec, '-subj', "/CN=$n",
           '-keyout', "$certs/$n.key", '-out', "$certs/$n.crt") == 0
        or die "openssl req for $n failed";
}
# a client certificate signed by that CA
if (!-s "$certs/client.crt") {
    system('openssl', 'req', '-new', @ec[0 .. 4], '-nodes',
           '-subj', '/CN=client1', '-keyout', "$certs/client.key",
           '-out', "$certs/client.csr") == 0 or die 'client csr';
    system('openssl', 'x509', '-req', '-in', "$certs/client.csr",
           '-CA', "$certs/ca.crt", '-CAkey', "$certs/ca.key",
           '-CAcreateserial', '-days', '2', '-out', "$certs/client.crt") == 0
        or die 'client cert';
}

# the TLS vhosts, on their own address; the instance's plain HTTP port
# keeps its three vhosts (instance_start checks it answers)
sub tls_body {
    my ($tport, $prefork) = @_;
    my $body = <<"EOF";
LoadModule socache_shmcb_module $libexec/mod_socache_shmcb.so
LoadModule ssl_module $libexec/mod_ssl.so
SSLSessionCache "shmcb:logs/ssl_scache(512000)"
EOF
    for (['tdefault.test', 'default', undef], ['a.test', 'a', 'peruid_ta'],
         ['b.test', 'b', 'peruid_tb'], ['cert.test', 'b', 'peruid_tb']) {
        my ($name, $dir, $user) = @$_;
        my $assign = $user && !$prefork ? "AssignUserID $user $user" : '';
        $assign .= "\n    SSLVerifyClient require\n    SSLVerifyDepth 1"
                 . "\n    SSLCACertificateFile \"$certs/ca.crt\""
                 . "\n    SSLOptions +StdEnvVars" if $name eq 'cert.test';
        $body .= <<"EOF";
<VirtualHost 127.0.0.1:$tport>
    ServerName $name
    DocumentRoot "$htdocs/$dir"
    SSLEngine on
    SSLCertificateFile "$certs/$name.crt"
    SSLCertificateKeyFile "$certs/$name.key"
    $assign
</VirtualHost>
EOF
    }
    return $body;
}

my ($hport, $tport) = (free_port(), free_port());
my ($master) = started_instance(\%started, 'tls', port => $hport,
    listen => ["127.0.0.1:$hport", "127.0.0.1:$tport https"],
    mpm => small_mpm('PeruidPeekTimeout 5'), body => tls_body($tport));
ok($master, 'an instance with an https listener and four TLS vhosts '
   . 'started (apache2 -t passed)') or exit;

# one request over TLS: (status, key=value body, certificate CN, TLS
# version); sni undef: no SNI
sub tls_get {
    my (%o) = @_;
    my $s = IO::Socket::SSL->new(
        PeerAddr => '127.0.0.1', PeerPort => $o{port} || $tport,
        SSL_verify_mode => 0, SSL_hostname => $o{sni} // '',
        ($o{version} ? (SSL_version => $o{version}) : ()),
        ($o{client} ? (SSL_cert_file => "$certs/client.crt",
                       SSL_key_file => "$certs/client.key") : ()),
        ($o{alpn} ? (SSL_alpn_protocols => $o{alpn}) : ()), Timeout => 10);
    return { error => "$IO::Socket::SSL::SSL_ERROR" } unless $s;
    my $cn = $s->peer_certificate('commonName');
    my $ver = $s->get_sslversion;
    my $alpn = $o{alpn} ? $s->alpn_selected // '-' : '';
    my $host = $o{host} // $o{sni} // 'tdefault.test';
    print $s "GET $o{path} HTTP/1.1\r\nHost: $host\r\nConnection: close\r\n\r\n";
    my $raw = '';
    while (1) {
        my $n = sysread($s, my $buf, 65536);
        last unless $n;
        $raw .= $buf;
    }
    close $s;
    my $r = parse_response($raw);
    return { %$r, cn => $cn, version => $ver, alpn => $alpn,
             kv => kv($r->{body} // '') };
}

sub served_as {
    my ($r, $uid, $name) = @_;
    return ($r->{status} // 0) == 200 && ($r->{kv}{uid} // -1) == $uid
           && ($r->{kv}{server} // '') eq $name;
}

# SNI names the vhost, its user serves it
for (['a.test', $ta], ['b.test', $tb]) {
    my ($name, $uid) = @$_;
    my $r = tls_get(sni => $name, path => '/whoami.php');
    ok(served_as($r, $uid, $name) && ($r->{cn} // '') eq $name,
       "SNI $name: its certificate, served by $name as uid $uid")
        or diag(explain($r));
}
my $curl = `curl -sk --max-time 10 --resolve a.test:$tport:127.0.0.1 https://a.test:$tport/whoami.php`;
is(kv($curl)->{uid}, $ta, 'curl --resolve https://a.test/: uid of peruid_ta')
    or diag($curl);
my $sc = `echo | openssl s_client -connect 127.0.0.1:$tport -servername b.test 2>/dev/null`;
like($sc, qr/subject=CN ?= ?b\.test/,
     'openssl s_client -servername b.test: b.test\'s certificate');

# no SNI, an unknown SNI: the address's default vhost
my $r = tls_get(sni => undef, host => 'tdefault.test', path => '/whoami.php');
ok(served_as($r, $td, 'tdefault.test') && ($r->{cn} // '') eq 'tdefault.test',
   'no SNI: the default vhost, its certificate, as User') or diag(explain($r));
$r = tls_get(sni => 'zzz.test', host => 'tdefault.test', path => '/whoami.php');
ok(served_as($r, $td, 'tdefault.test') && ($r->{cn} // '') eq 'tdefault.test',
   'an unknown SNI: the default vhost') or diag(explain($r));
$r = tls_get(sni => 'A.TEST', path => '/whoami.php', host => 'a.test');
ok(served_as($r, $ta, 'a.test'), 'SNI A.TEST (case): a.test')
    or diag(explain($r));

# SNI of one vhost, Host of another user's
$r = tls_get(sni => 'a.test', host => 'b.test', path => '/whoami.php');
ok(($r->{status} // 0) == 421 && ($r->{kv}{uid} // '') eq '',
   'SNI a.test with Host b.test: 421 Misdirected Request, not served as '
   . 'b.test by another user (status ' . ($r->{status} // 'none') . ')')
    or diag(explain($r));
my $w = tls_get(sni => 'a.test', path => '/whoami.php');
ok(served_as($w, $ta, 'a.test'), '... and a.test is still served after it');

# keep-alive inside TLS
{
    my $s = IO::Socket::SSL->new(PeerAddr => '127.0.0.1', PeerPort => $tport,
        SSL_verify_mode => 0, SSL_hostname => 'a.test', Timeout => 10);
    my @got;
    for my $i (1, 2) {
        last unless $s;
        print $s "GET /whoami.php?$i HTTP/1.1\r\nHost: a.test\r\n\r\n";
        my $raw = '';
        my $end = time + 10;
        while (time < $end) {
            my $x = parse_response($raw);
            last if $x->{status} && $x->{complete};
            my $n = sysread($s, my $buf, 65536);
            last unless $n;
            $raw .= $buf;
        }
        push @got, parse_response($raw);
    }
    ok(@got == 2 && !grep({ ($_->{status} // 0) != 200
                           || (kv($_->{body})->{uid} // -1) != $ta } @got)
       && kv($got[0]{body})->{pid} == kv($got[1]{body})->{pid},
       'keep-alive: two requests on one TLS connection, both a.test\'s, '
       . 'one worker') or diag(explain(\@got));
}

# TLS 1.2 and 1.3
for my $v ('TLSv1_2', 'TLSv1_3') {
    $r = tls_get(sni => 'b.test', path => '/whoami.php', version => $v);
    ok(served_as($r, $tb, 'b.test') && ($r->{version} // '') eq $v,
       "$v: b.test served as its user (" . ($r->{version} // '-') . ')')
        or diag(explain($r));
}

# a relay on a port of its own to $tport: what the client sends goes on
# one byte at a time (1 ms apart) for the first 4096 bytes; what the
# server sends goes back at once
sub drip_relay {
    my $l = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => 0,
                                  Listen => 1, ReuseAddr => 1)
        or die "relay: $!";
    my $pid = fork // die "fork: $!";
    if (!$pid) {
        my $c = $l->accept or POSIX::_exit(1);
        my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
                                      PeerPort => $tport)
            or POSIX::_exit(1);
        setsockopt($s, IPPROTO_TCP, TCP_NODELAY, 1);
        my $sel = IO::Select->new($c, $s);
        my ($sent, $end) = (0, time + 20);
        while (time < $end) {
            for my $h ($sel->can_read(1)) {
                my $n = sysread($h, my $buf, 16384);
                POSIX::_exit(0) unless $n;
                if ($h == $s) {
                    syswrite($c, $buf) // POSIX::_exit(0);
                    next;
                }
                for my $byte (split //, $buf) {
                    syswrite($s, $byte) // POSIX::_exit(0);
                    sleep 0.001 if $sent++ < 4096;
                }
            }
        }
        POSIX::_exit(0);
    }
    my $port = $l->sockport;
    close $l;
    push @relays, $pid;
    return $port;
}
my $rport = drip_relay();
my $t0 = time;
$r = tls_get(port => $rport, sni => 'a.test', path => '/whoami.php');
ok(served_as($r, $ta, 'a.test'),
   sprintf('a ClientHello dripped a byte at a time: a.test served (%.1f s)',
           time - $t0)) or diag(explain($r));

# garbage, and a truncated hello
sub raw_exchange {
    my ($bytes, %o) = @_;
    my $sock = connect_to($o{port} || $tport, 10) or return undef;
    syswrite($sock, $bytes);
    shutdown($sock, 1) if $o{half_close};
    my ($data, $eof) = read_all($sock, 6);
    close $sock;
    return { data => $data, eof => $eof };
}
my $garbage = "\x16\x03\x01\x00\x08" . "\xff" x 8;
my $g = raw_exchange($garbage);
ok($g && $g->{eof} && ($g->{data} eq '' || substr($g->{data}, 0, 1) eq "\x15"),
   'a garbage ClientHello: closed, with a TLS alert or nothing ('
   . unpack('H*', $g ? $g->{data} : '') . ')');
my $hello = "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" . "\x11" x 30;
$g = raw_exchange($hello, half_close => 1);
ok($g && $g->{eof}, 'a truncated ClientHello (the client stopped): closed');
$r = tls_get(sni => 'b.test', path => '/whoami.php');
ok(served_as($r, $tb, 'b.test'), '... and the next client is served');
my $http = raw_exchange("GET / HTTP/1.1\r\nHost: a.test\r\n\r\n");
my $hr = parse_response($http ? $http->{data} : '');
ok(($hr->{status} // 0) == 400, 'plain HTTP to the TLS port: 400 (mod_ssl\'s)')
    or diag($http ? $http->{data} : 'no answer');
my @rt = routers($master, $tport);
ok(@rt >= 1, 'the router still listens (' . scalar(@rt) . ')');

# the same exchanges under prefork with the same vhosts: same answers
my $pport = free_port();
my $ptport = free_port();
my ($pmaster) = started_instance(\%started, 'tls-prefork', prefork => 1,
    port => $pport, listen => ["127.0.0.1:$pport", "127.0.0.1:$ptport https"],
    vhost_addr => "127.0.0.1:$pport", body => tls_body($ptport, 1));
ok($pmaster, 'prefork with the same TLS vhosts started') or exit;
my $ph = raw_exchange("GET / HTTP/1.1\r\nHost: a.test\r\n\r\n", port => $ptport);
my $phr = parse_response($ph ? $ph->{data} : '');
is($hr->{status}, $phr->{status},
   'plain HTTP to the TLS port: the same status as prefork');
is(($hr->{body} // '') =~ /speaking plain HTTP/ ? 1 : 0,
   ($phr->{body} // '') =~ /speaking plain HTTP/ ? 1 : 0,
   '... and the same page (mod_ssl\'s "plain HTTP to an SSL-enabled port")');
my $pg = raw_exchange($garbage, port => $ptport);
my $mine = raw_exchange($garbage);
is(substr($mine->{data} // '', 0, 1) eq "\x15" ? 'alert'
   : ($mine->{data} // '') eq '' ? 'nothing' : 'other',
   substr($pg->{data} // '', 0, 1) eq "\x15" ? 'alert'
   : ($pg->{data} // '') eq '' ? 'nothing' : 'other',
   'a garbage ClientHello: the same kind of answer as prefork');
for my $sni (undef, 'zzz.test', 'b.test') {
    my $p = tls_get(port => $ptport, sni => $sni, host => $sni // 'tdefault.test',
                    path => '/whoami.php');
    my $m = tls_get(sni => $sni, host => $sni // 'tdefault.test',
                    path => '/whoami.php');
    is(($m->{cn} // '-') . ' ' . ($m->{kv}{server} // '-'),
       ($p->{cn} // '-') . ' ' . ($p->{kv}{server} // '-'),
       'SNI ' . ($sni // 'none') . ': the certificate and vhost prefork picks');
}

# ALPN, and a vhost that requires a client certificate
sub summary {
    my $x = shift;
    return join ' ', $x->{status} // 'none', $x->{kv}{server} // '-',
                     $x->{kv}{client_cn} // '-', $x->{alpn} // '';
}
for my $c (['ALPN h2,http/1.1 to a.test', sni => 'a.test',
            alpn => ['h2', 'http/1.1']],
           ['cert.test with a client certificate', sni => 'cert.test',
            client => 1],
           ['cert.test without one', sni => 'cert.test']) {
    my ($label, %o) = @$c;
    my $p = tls_get(%o, port => $ptport, path => '/whoami.php');
    my $m = tls_get(%o, path => '/whoami.php');
    is(summary($m), summary($p), "$label: as under prefork ("
       . summary($p) . ')');
}
$r = tls_get(sni => 'cert.test', client => 1, path => '/whoami.php');
ok(served_as($r, $tb, 'cert.test') && $r->{kv}{client_cn} eq 'client1',
   'cert.test with a client certificate: served as peruid_tb, the '
   . 'certificate\'s CN seen by PHP') or diag(explain($r));
