# t/proxy_protocol.t -- mod_remoteip's PROXY protocol (RemoteIPProxyProtocol
# On) behind Debian's haproxy: the router reads past the PROXY header
# (proxyhdr.c) to route by the request head behind it, and mod_remoteip
# in the worker consumes the header as usual (remoteip.c, router.c's
# router_proxy_skip).
#
# One peruid instance and one prefork instance with the same vhosts: a
# plain port (no PROXY protocol, for the start-up check) and a PROXY
# port whose three vhosts (pdefault.test, the address's default, as User;
# a.test as peruid_ta; b.test as peruid_tb) have RemoteIPProxyProtocol On,
# and RemoteIPProxyProtocolExceptions 127.0.0.6.  haproxy (mode tcp, one
# process we start and stop by pid) sends send-proxy (v1) to one backend
# and send-proxy-v2 to another, for each instance.  Clients connect to
# haproxy from 127.0.0.5.  Checked:
#   - through v1 and v2, a.test and b.test: 200 from whoami.php, served as
#     the vhost's user, and REMOTE_ADDR is 127.0.0.5 (the address haproxy
#     got, not haproxy's own 127.0.0.1);
#   - the same requests under prefork give the same status, vhost and
#     REMOTE_ADDR;
#   - one kept-alive connection for a.test, b.test and a.test through
#     haproxy: each request served as its user with the client's address
#     (handed over with the PROXY header the connection began with), as
#     prefork answers;
#   - TLS passed through haproxy behind a v2 header: each SNI served by
#     its vhost's user, with its certificate, as under prefork;
#   - a header split from its request (the test sends the header,
#     waits, then the head) is routed the same way;
#   - a malformed header, and a request without any header, are closed
#     without an answer, as under prefork, and the router says why
#     (PU00120); mod_remoteip logs its own refusal (AH03499) in both;
#   - a client in RemoteIPProxyProtocolExceptions (127.0.0.6) sends no
#     header and is served as the vhost's user, as under prefork.
# The module before 647a37c fails 10 checks: it reads "PROXY ..." as a
# head it cannot route and sends it to the default vhost, whose worker
# hands plain HTTP over (so the plain requests pass) but serves TLS as
# the default vhost's, and no kept-alive connection got its header again
# after a hand-over (and the router logs neither PU00120 nor PU00121).
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/lib";
use Apache::Test qw(-withtestmore);
use PeruidTest qw(:all);
use File::Path qw(make_path);
use IO::Socket::INET;
use POSIX ();
use Time::HiRes qw(time sleep);

my $libexec = vars('peruid_libexec');
my $haproxy = -x '/usr/sbin/haproxy' ? '/usr/sbin/haproxy' : undef;
plan skip_all => 'PHP (mod_php) is not installed' unless vars('peruid_php');
plan skip_all => 'mod_remoteip is not installed'
    unless -e "$libexec/mod_remoteip.so";
plan skip_all => 'haproxy is not installed (tests/deps.sh)' unless $haproxy;
plan skip_all => 'mod_ssl is not installed'
    unless -e "$libexec/mod_ssl.so" && -e "$libexec/mod_socache_shmcb.so";
plan skip_all => 'IO::Socket::SSL is not installed'
    unless eval { require IO::Socket::SSL; 1 };
plan tests => 39;

my %started;        # conf file => master pid, for the END block
my $haproxy_pid;
END {
    if ($haproxy_pid && pid_alive($haproxy_pid)) {
        kill 'TERM', $haproxy_pid;
        waitpid $haproxy_pid, 0;
    }
    stop_instances(\%started);
}

my $htdocs = root() . '/htdocs';
my ($ta) = ids_of('peruid_ta');
my ($tb) = ids_of('peruid_tb');
my $client = '127.0.0.5';       # where the clients connect from
my $excepted = '127.0.0.6';     # RemoteIPProxyProtocolExceptions

# a key and a self-signed certificate for each TLS name
my $certs = root() . '/proxy-certs';
make_path($certs);
for my $n (qw(tdefault.test a.test b.test)) {
    next if -s "$certs/$n.crt";
    system('openssl', 'req', '-x509', '-newkey', 'ec', '-pkeyopt',
           'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2',
           '-subj', "/CN=$n", '-keyout', "$certs/$n.key",
           '-out', "$certs/$n.crt") == 0 or die "openssl req for $n failed";
}

# the vhosts of the PROXY port (plain) and of the PROXY TLS port
sub proxy_body {
    my ($pport, $tport, $prefork) = @_;
    my $body = <<"EOF";
LoadModule remoteip_module $libexec/mod_remoteip.so
LoadModule socache_shmcb_module $libexec/mod_socache_shmcb.so
LoadModule ssl_module $libexec/mod_ssl.so
SSLSessionCache "shmcb:logs/ssl_scache(512000)"
RemoteIPProxyProtocolExceptions $excepted
EOF
    for (['default', 'default', undef], ['a', 'a', 'peruid_ta'],
         ['b', 'b', 'peruid_tb']) {
        my ($n, $dir, $user) = @$_;
        my $assign = $user && !$prefork ? "AssignUserID $user $user" : '';
        my $name = $n eq 'default' ? 'pdefault.test' : "$n.test";
        my $tname = $n eq 'default' ? 'tdefault.test' : "$n.test";
        $body .= <<"EOF";
<VirtualHost 127.0.0.1:$pport>
    ServerName $name
    DocumentRoot "$htdocs/$dir"
    RemoteIPProxyProtocol On
    $assign
</VirtualHost>
<VirtualHost 127.0.0.1:$tport>
    ServerName $tname
    DocumentRoot "$htdocs/$dir"
    RemoteIPProxyProtocol On
    SSLEngine on
    SSLCertificateFile "$certs/$tname.crt"
    SSLCertificateKeyFile "$certs/$tname.key"
    $assign
</VirtualHost>
EOF
    }
    return $body;
}

my %port;           # 'peruid' / 'prefork' => its PROXY port
my %tport;          # and its PROXY TLS port
for my $mpm (qw(peruid prefork)) {
    my ($hport, $pport, $tport) = (free_port(), free_port(), free_port());
    ($port{$mpm}, $tport{$mpm}) = ($pport, $tport);
    # the routers' own lines (PU00121 at debug) say what they skipped
    my $mpmconf = small_mpm('PeruidPeekTimeout 5',
                            'LogLevel info mpm_peruid:debug');
    my ($master) = started_instance(\%started, "proxy-$mpm", port => $hport,
        listen => ["127.0.0.1:$hport", "127.0.0.1:$pport",
                   "127.0.0.1:$tport https"],
        prefork => $mpm eq 'prefork',
        ($mpm eq 'peruid' ? (mpm => $mpmconf) : ()),
        body => proxy_body($pport, $tport, $mpm eq 'prefork'));
    ok($master, "the $mpm instance with a PROXY protocol port started")
        or exit;
}
my $err_peruid = root() . '/inst-proxy-peruid/logs/error_log';
my $err_prefork = root() . '/inst-proxy-prefork/logs/error_log';

# haproxy: for each instance, a frontend with send-proxy and one with
# send-proxy-v2 (mode tcp: the bytes pass unchanged after the header)
my %front;          # "$mpm v1" / "$mpm v2" => haproxy's port
my $hdir = root() . '/haproxy';
make_path($hdir);
my $hcfg = <<'EOF';
global
    nbthread 1
defaults
    mode tcp
    timeout connect 5s
    timeout client 15s
    timeout server 15s
EOF
for my $mpm (qw(peruid prefork)) {
    for my $v (qw(v1 v2)) {
        my $f = free_port();
        $front{"$mpm $v"} = $f;
        my $send = $v eq 'v1' ? 'send-proxy' : 'send-proxy-v2';
        $hcfg .= <<"EOF";
listen $mpm-$v
    bind 127.0.0.1:$f
    server s 127.0.0.1:$port{$mpm} $send
EOF
    }
    # TLS passed through unopened, behind a v2 header
    my $f = free_port();
    $front{"$mpm tls"} = $f;
    $hcfg .= <<"EOF";
listen $mpm-tls
    bind 127.0.0.1:$f
    server s 127.0.0.1:$tport{$mpm} send-proxy-v2
EOF
}
open my $fh, '>', "$hdir/haproxy.cfg" or die "$hdir/haproxy.cfg: $!";
print $fh $hcfg;
close $fh;
my $pid = fork // die "fork: $!";
if (!$pid) {
    open STDOUT, '>', "$hdir/haproxy.out";
    open STDERR, '>&', \*STDOUT;
    { exec $haproxy, '-db', '-f', "$hdir/haproxy.cfg" }
    POSIX::_exit(127);
}
$haproxy_pid = $pid;
ok(wait_for(sub { connect_to($front{'peruid v1'}, 1) }, 10),
   'haproxy listens') or diag(slurp("$hdir/haproxy.out") // '');

# one exchange from $src to $port: send the parts of $req (with a pause
# between them), read until the server closes
sub exchange {
    my ($port, $src, @parts) = @_;
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port,
                                  LocalAddr => $src, Proto => 'tcp',
                                  Timeout => 10)
        or return { error => "connect: $!", raw => '' };
    local $SIG{PIPE} = 'IGNORE';
    for my $i (0 .. $#parts) {
        sleep 0.3 if $i;
        syswrite($s, $parts[$i]);
    }
    my ($data, $eof, $err) = read_all($s, 10);
    close $s;
    return { %{ parse_response($data) }, raw => $data, eof => $eof };
}

sub get_req {
    my ($host) = @_;
    return "GET /whoami.php HTTP/1.1\r\nHost: $host\r\n"
         . "Connection: close\r\n\r\n";
}

# what the comparison with prefork looks at: status, vhost, client
sub answer_of {
    my $r = shift;
    my $kv = kv($r->{body} // '');
    my ($ip) = ($kv->{remote} // '-') =~ /^(.*):[^:]*$/;
    return join ' ', $r->{status} // 'none', $kv->{server} // '-',
        $ip // '-';
}

# through haproxy, v1 and v2, each vhost: its user, the client's address
for my $v (qw(v1 v2)) {
    for ([a => $ta], [b => $tb]) {
        my ($n, $uid) = @$_;
        my $host = "$n.test";
        my $r = exchange($front{"peruid $v"}, $client, get_req($host));
        my $kv = kv($r->{body} // '');
        ok(($r->{status} // 0) == 200 && ($kv->{uid} // -1) == $uid
           && ($kv->{server} // '') eq $host,
           "PROXY $v, $host: 200, served as uid $uid")
            or diag("got: " . ($r->{raw} // ''));
        like($kv->{remote} // '', qr/^\Q$client\E:\d+$/,
             "PROXY $v, $host: REMOTE_ADDR is the client's address "
             . "haproxy got ($client)");
        my $p = exchange($front{"prefork $v"}, $client, get_req($host));
        is(answer_of($r), answer_of($p),
           "PROXY $v, $host: the same answer as under prefork "
           . "(" . answer_of($p) . ")");
    }
}

# the routers skipped a header for each of those (not a detour through
# the default vhost's worker, which would read the header and the head
# and then hand the connection over)
{
    my $n = () = (slurp($err_peruid) // '')
        =~ /PU00121: router: a PROXY protocol v[12] header/g;
    cmp_ok($n, '>=', 4, 'the router skipped the PROXY header of each of '
           . "the 4 requests and routed by the head behind it ($n PU00121)");
}

# TLS behind a v2 header: the ClientHello's SNI picks the vhost
sub tls_get {
    my ($port, $sni) = @_;
    my $s = IO::Socket::SSL->new(
        PeerAddr => '127.0.0.1', PeerPort => $port, LocalAddr => $client,
        SSL_verify_mode => 0, SSL_hostname => $sni, Timeout => 10);
    return { error => IO::Socket::SSL::errstr(), raw => "" } unless $s;
    my $cn = $s->peer_certificate('commonName');
    print $s get_req($sni);
    my $raw = '';
    while (1) {
        my $n = sysread($s, my $buf, 65536);
        last unless $n;
        $raw .= $buf;
    }
    close $s;
    return { %{ parse_response($raw) }, raw => $raw, cn => $cn };
}
for ([a => $ta], [b => $tb]) {
    my ($n, $uid) = @$_;
    my $r = tls_get($front{'peruid tls'}, "$n.test");
    my $kv = kv($r->{body} // '');
    ok(($r->{status} // 0) == 200 && ($kv->{uid} // -1) == $uid
       && ($r->{cn} // '') eq "$n.test"
       && ($kv->{remote} // '') =~ /^\Q$client\E:/,
       "TLS behind PROXY v2, SNI $n.test: its certificate, served as uid "
       . "$uid, REMOTE_ADDR $client")
        or diag("got: " . ($r->{error} // $r->{raw}));
    my $p = tls_get($front{'prefork tls'}, "$n.test");
    is(answer_of($r) . ' ' . ($r->{cn} // '-'),
       answer_of($p) . ' ' . ($p->{cn} // '-'),
       "TLS behind PROXY v2, SNI $n.test: the same answer as under prefork");
}

# one kept-alive connection through haproxy: a.test, b.test, a.test; each
# request for the other user is handed over (handover.c) with the PROXY
# header the connection began with, which the next worker's mod_remoteip
# reads again
sub ka_answers {
    my ($port) = @_;
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port,
                                  LocalAddr => $client, Proto => 'tcp',
                                  Timeout => 10)
        or return ("connect: $!");
    my $c = { sock => $s, buf => '', eof => 0 };
    my @got;
    for my $host (qw(a.test b.test a.test)) {
        ka_send($c, $host, '/whoami.php');
        my $r = ka_read_response($c, 10);
        push @got, answer_of($r) . ' ' . (kv($r->{body} // '')->{uid} // '-');
    }
    close $s;
    return @got;
}
for my $v (qw(v1 v2)) {
    my @r = ka_answers($front{"peruid $v"});
    is_deeply(\@r, ["200 a.test $client $ta", "200 b.test $client $tb",
                    "200 a.test $client $ta"],
              "PROXY $v, one kept-alive connection for a.test, b.test, "
              . "a.test: each served as its user, REMOTE_ADDR $client")
        or diag explain \@r;
    my @p = ka_answers($front{"prefork $v"});
    is_deeply([map { s/ \S+$//r } @r], [map { s/ \S+$//r } @p],
              "PROXY $v, the kept-alive connection: the same answers as "
              . 'under prefork');
}

# the header alone first, the head 0.3 s later (a PROXY-speaking client
# of our own, straight to the port): routed by the head that follows
{
    my $hdr = "PROXY TCP4 $client 127.0.0.1 40000 $port{peruid}\r\n";
    my $r = exchange($port{peruid}, '127.0.0.1', $hdr, get_req('b.test'));
    my $kv = kv($r->{body} // '');
    ok(($r->{status} // 0) == 200 && ($kv->{uid} // -1) == $tb
       && ($kv->{remote} // '') =~ /^\Q$client\E:/,
       'a v1 header sent before its request head: routed by the head, '
       . 'served as peruid_tb, REMOTE_ADDR from the header')
        or diag("got: " . ($r->{raw} // ''));
    my $v2 = "\r\n\r\n\0\r\nQUIT\n\x21\x11\x00\x0c"
           . pack('C4 C4 n n', 127, 0, 0, 7, 127, 0, 0, 1, 40001,
                  $port{peruid});
    $r = exchange($port{peruid}, '127.0.0.1', $v2, get_req('a.test'));
    $kv = kv($r->{body} // '');
    ok(($r->{status} // 0) == 200 && ($kv->{uid} // -1) == $ta
       && ($kv->{remote} // '') =~ /^127\.0\.0\.7:/,
       'a v2 header sent before its request head: served as peruid_ta, '
       . 'REMOTE_ADDR from the header')
        or diag("got: " . ($r->{raw} // ''));
}

# malformed headers and none at all: closed without an answer, as under
# prefork
my $mark = -s $err_peruid // 0;
my $pmark = -s $err_prefork // 0;
for (['a bad v1 family', "PROXY TCP5 $client 127.0.0.1 1 2\r\n"
                        . get_req('a.test')],
     ['no header', get_req('a.test')],
     ['a v2 length over 216', "\r\n\r\n\0\r\nQUIT\n\x21\x11\x01\x00"
                              . ('x' x 256) . get_req('a.test')]) {
    my ($what, $bytes) = @$_;
    my $r = exchange($port{peruid}, '127.0.0.1', $bytes);
    my $p = exchange($port{prefork}, '127.0.0.1', $bytes);
    is(length($r->{raw}), 0, "$what: closed without an answer")
        or diag("got: $r->{raw}");
    ok($r->{eof} && $p->{eof} && length($p->{raw}) == 0,
       "$what: prefork closes it without an answer too");
}
my $since = sub {
    my ($file, $from) = @_;
    my $log = slurp($file) // '';
    return substr($log, $from);
};
ok(wait_for(sub { $since->($err_peruid, $mark) =~ /PU00120/ }, 5),
   'the router logged why it did not route them (PU00120)');
ok(wait_for(sub { $since->($err_peruid, $mark) =~ /AH03499/ }, 5)
   && $since->($err_prefork, $pmark) =~ /AH03499/,
   'mod_remoteip refused the bad family under both MPMs (AH03499)');

# RemoteIPProxyProtocolExceptions: a client of 127.0.0.6 sends no header
for ([a => $ta], [b => $tb]) {
    my ($n, $uid) = @$_;
    my $r = exchange($port{peruid}, $excepted, get_req("$n.test"));
    my $kv = kv($r->{body} // '');
    ok(($r->{status} // 0) == 200 && ($kv->{uid} // -1) == $uid
       && ($kv->{remote} // '') =~ /^\Q$excepted\E:/,
       "RemoteIPProxyProtocolExceptions $excepted, $n.test: no header "
       . "needed, served as uid $uid")
        or diag("got: " . ($r->{raw} // ''));
    my $p = exchange($port{prefork}, $excepted, get_req("$n.test"));
    is(answer_of($r), answer_of($p),
       "RemoteIPProxyProtocolExceptions, $n.test: the same answer as "
       . "under prefork");
}

# the instances still serve through haproxy after all that
my $r = exchange($front{'peruid v2'}, $client, get_req('a.test'));
is(kv($r->{body} // '')->{uid} // -1, $ta,
   'after the refused ones, a.test through haproxy v2 is served as '
   . 'peruid_ta');

kill 'TERM', $haproxy_pid;
waitpid $haproxy_pid, 0;
$haproxy_pid = undef;
