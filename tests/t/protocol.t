# t/protocol.t -- what the router answers itself (414, 431 and 408 at its
# bounds, nothing else) and what it routes: a head it cannot route with
# confidence goes to the default vhost, whose httpd answers it; HTTP/1.0
# without Host -> the default vhost; a listener that does not speak HTTP
# (mod_echo) by its address alone.  t/answers.t compares httpd's answers
# with prefork's.
#
# A router's answer is told from httpd's by its bytes: the router sends
# no Server and no Date header (router_answer), httpd always sends both.
# httpd.conf.in sets PeruidPeekMaxBytes 4096 and PeruidPeekTimeout 1.
# Two subtests need heads that do NOT time out while they run; they use an
# instance of their own (inst-proto-slow) with PeruidPeekTimeout 6, so
# that nothing they assert depends on how fast this machine is.
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/lib";
use Apache::Test qw(-withtestmore);
use PeruidTest qw(:all);
use Time::HiRes qw(time sleep);
use IO::Select;
use Socket ();

plan tests => 20;

my ($ta_uid) = ids_of('peruid_ta');
my ($tb_uid) = ids_of('peruid_tb');
my ($td_uid) = ids_of('peruid_td');
my $mark = error_log_mark();

# the instance with a long PeruidPeekTimeout, started on first use
my ($slow_port, $slow_conf, $slow_dir, $slow_master);
sub slow_instance {
    return $slow_master if $slow_master && ours($slow_master, $slow_conf);
    $slow_port = free_port();
    ($slow_conf, $slow_dir) = instance_conf('proto-slow', port => $slow_port,
                                            mpm => <<'EOF');
StartServers 3
MinSpareServers 0
MaxSpareServers 4
ServerLimit 32
MaxRequestWorkers 24
PeruidRouters 2
PeruidPeekTimeout 3
PeruidPeekMaxBytes 1024
PeruidIdleTimeout 120
EOF
    $slow_master = instance_start($slow_conf, $slow_dir, $slow_port);
    return $slow_master;
}
END {
    instance_stop($slow_master, 10) if $slow_master && ours($slow_master, $slow_conf);
}

# is_router_answer($r, $status, $label): 5 tests
sub is_router_answer {
    my ($r, $status, $label) = @_;
    is($r->{status}, $status, "$label: $status");
    ok(!exists $r->{headers}{server} && !exists $r->{headers}{date},
       "$label: answered by the router (no Server/Date header)");
    is(lc($r->{headers}{connection} || ''), 'close',
       "$label: Connection: close");
    ok($r->{complete} && length($r->{body}) == ($r->{headers}{'content-length'} // -1),
       "$label: the whole body (Content-Length) arrived");
    ok($r->{eof}, "$label: the router closed the connection");
}

my $pad = join '', map { "X-Pad-$_: " . ('y' x 500) . "\r\n" } 1 .. 10;

# is_httpd_answer($r, $status, $label): 2 tests
sub is_httpd_answer {
    my ($r, $status, $label) = @_;
    is($r->{status}, $status, "$label: $status");
    ok(exists $r->{headers}{server},
       "$label: answered by httpd in a worker (a Server header)");
}

subtest 'heads the router cannot route: answered by httpd, not the router' => sub {
    my %bad = (
        'trailing garbage'       => "GET / HTTP/1.1 junk\r\nHost: a.test\r\n\r\n",
        'non-token method'       => "G\@T / HTTP/1.1\r\nHost: a.test\r\n\r\n",
        'lower-case version'     => "GET / http/1.1\r\nHost: a.test\r\n\r\n",
        'control byte in target' => "GET /\x01 HTTP/1.1\r\nHost: a.test\r\n\r\n",
        'bare CR'                => "GET / HTTP/1.1\rHost: a.test\r\n\r\n",
        'TLS ClientHello'        => "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n",
        'HTTP/2 preface'         => "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n",
        'space before colon'     => "GET / HTTP/1.1\r\nHost : a.test\r\n\r\n",
        'explicit HTTP/0.9'      => "GET / HTTP/0.9\r\nHost: a.test\r\n\r\n",
        'LF-only lines (Strict)' => "GET / HTTP/1.1\nHost: a.test\n\n",
        'NUL in a header value'  => "GET / HTTP/1.1\r\nHost: a.test\r\nX: a\0b\r\n\r\n",
        'no Host'                => "GET /whoami.php HTTP/1.1\r\n\r\n",
        'empty Host'             => "GET /whoami.php HTTP/1.1\r\nHost:\r\n\r\n",
    );
    Test::More::plan(tests => 2 * keys(%bad) + 4);
    for my $k (sort keys %bad) {
        my $r = request_raw($bad{$k});
        is_httpd_answer($r, 400, $k);
    }
    # the HTTP/2 preface: httpd (without mod_http2) refuses it its own way
    my $r = request_raw("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");
    ok(exists $r->{headers}{server} && ($r->{status} // 200) >= 400,
       'HTTP/2 preface: an error from httpd (' . ($r->{status} // '-') . ')');
    # obsolete line folding: httpd joins the lines; the head goes to the
    # default vhost's worker, which hands it over to a.test's user
    check_routed('obsolete line folding', "GET /whoami.php HTTP/1.1\r\n"
                 . "X-A: b\r\n c\r\nHost: a.test\r\nConnection: close"
                 . "\r\n\r\n", $ta_uid, 'a.test');
};

subtest 'too long a request line: 414 from the router' => sub {
    Test::More::plan(tests => 5);
    my $r = request_raw("GET /" . ('x' x 5000) . " HTTP/1.1\r\nHost: a.test\r\n\r\n");
    is_router_answer($r, 414, 'request line of 5000 bytes');
};

subtest 'too large a head: 431 from the router' => sub {
    Test::More::plan(tests => 6);
    # the router needs the request line and Host within PeruidPeekMaxBytes
    my $r = request_raw("GET /whoami.php HTTP/1.1\r\n$pad" . "Host: a.test\r\n\r\n");
    is_router_answer($r, 431, 'Host after 5 KB of headers');
    unlike($r->{raw}, qr/uid=/, 'nothing was served');
};

# PeruidPeekMaxBytes (4096) reached with the request line and Host known:
# routed by them, httpd reads the rest in the worker
subtest 'a large head with an early Host is routed, not refused' => sub {
    Test::More::plan(tests => 3);
    my $r = request_raw("GET /whoami.php HTTP/1.1\r\nHost: a.test\r\n"
                        . "Connection: close\r\n$pad\r\n");
    is($r->{status}, 200, 'Host first, then 5 KB of headers: 200');
    ok(exists $r->{headers}{server}, 'answered by httpd in the worker');
    is(kv($r->{body})->{uid}, $ta_uid, 'served as peruid_ta');
};

# slow($parts, $timeout): send the parts (bytes, delay), do not wait for
# them to be sent before reading: returns the response and the time from
# connect to the first response byte
sub slow {
    my ($parts, $timeout) = @_;
    my $c = keepalive_connect() or return {};
    my $t0 = time;
    my $sel = IO::Select->new($c->{sock});
    my ($first, $closed, $data) = (undef, undef, '');
    my @p = @$parts;
    my $next_send = $t0;
    while (time - $t0 < $timeout) {
        if (@p && time >= $next_send) {
            my ($bytes, $delay) = @{ shift @p };
            local $SIG{PIPE} = 'IGNORE';
            syswrite($c->{sock}, $bytes);
            $next_send = time + $delay;
        }
        my $wait = @p ? $next_send - time : $t0 + $timeout - time;
        $wait = 0 if $wait < 0;
        next unless $sel->can_read($wait);
        my $n = sysread($c->{sock}, my $buf, 65536);
        if (!$n) {
            $closed = time - $t0;
            last;
        }
        $first //= time - $t0;
        $data .= $buf;
    }
    my $r = parse_response($data);
    $r->{first} = $first;
    $r->{closed} = $closed;
    $r->{raw} = $data;
    return $r;
}

subtest 'a slow head: 408 or a silent close after PeruidPeekTimeout (1 s)' => sub {
    Test::More::plan(tests => 8);
    # three clients at once (each its own connection and deadline):
    # half a request line, then nothing; a request line without Host,
    # then nothing; a byte every 200 ms, which does not extend the
    # deadline.  As httpd at its timeout: 408 once the request line has
    # ended, else the connection is closed without a word.  (A client sending nothing at all is not tested: httpd's
    # default AcceptFilter puts TCP_DEFER_ACCEPT on the listener, so the
    # kernel does not even hand such a connection to a router for a
    # while.)
    my @bytes = split //, "GET /whoami.php HTTP/1.1\r\nX-Slow: yes\r\nX-More: yes\r\n";
    my @cases = ([[["GET /whoami.php HTT", 10]], 6],
                 [[["GET /whoami.php HTTP/1.1\r\nAccept: */*\r\n", 10]], 6],
                 [[map { [$_, 0.2] } @bytes], 8]);
    my @r = map {
        my ($status, $first, $server, $uid) = split ' ';
        { status => $status, first => $first < 0 ? undef : $first,
          server => $server, served => $uid };
    } in_parallel(map {
        my $case = $_;
        sub {
            my $r = slow(@$case);
            return join ' ', $r->{status} // 0,
                $r->{first} // $r->{closed} // -1,
                exists $r->{headers}{server} ? 1 : 0,
                ($r->{raw} // '') =~ /uid=/ ? 1 : 0;
        }
    } @cases);
    is($r[0]{status}, 0, 'half a request line: closed without an answer');
    ok(!$r[0]{server}, 'nothing from httpd either');
    # not before PeruidPeekTimeout (1 s); well before the default (5 s),
    # so it is the configured value that counts
    ok(defined $r[0]{first} && $r[0]{first} >= 0.9 && $r[0]{first} < 4,
       sprintf('closed after PeruidPeekTimeout 1 s (%.2f s)',
               $r[0]{first} // -1));
    is($r[1]{status}, 408, 'request line without Host, then nothing: 408');
    ok(defined $r[1]{first} && $r[1]{first} >= 0.9 && $r[1]{first} < 4,
       sprintf('after PeruidPeekTimeout 1 s (%.2f s)', $r[1]{first} // -1));
    is($r[2]{status}, 0, 'a trickle of bytes, no whole request line: '
       . 'closed without an answer anyway');
    # the trickle lasts 11 s: a close within 8 s means it was not
    # extended by the bytes; < 4 s, that it still ran from the accept
    ok(defined $r[2]{first} && $r[2]{first} < 4,
       sprintf('the deadline is not extended by each byte (%.2f s)',
               $r[2]{first} // -1));
    ok(!grep({ $_->{served} } @r), 'nothing was served');
};

# docs/directives.md (PeruidPeekTimeout): "So is a head whose looks copied
# more than 16 times PeruidPeekMaxBytes".
# The instance's PeruidPeekTimeout is 3 s, its PeruidPeekMaxBytes 1024:
# one-byte pieces reach the 16 KB after about 180 bytes.  PU00023 says
# which rule answered, whatever the time the drip took.
subtest 'a head in too many pieces: 408 before the timeout' => sub {
    Test::More::plan(tests => 4);
    ok(slow_instance(), 'instance with PeruidPeekTimeout 3 s started')
        or return;
    my $elog = "$slow_dir/logs/error_log";
    my $emark = error_log_mark($elog);
    my $c = keepalive_connect(port => $slow_port) or die "connect: $!";
    setsockopt($c->{sock}, Socket::IPPROTO_TCP(), Socket::TCP_NODELAY(), 1);
    # far more bytes than pieces needed: a router that saw two bytes at
    # once looked once; the drip stops at the answer, and after 2.5 s
    my $head = "GET /whoami.php HTTP/1.1\r\nX-Drip: " . ('d' x 2000);
    my $t0 = time;
    my $sel = IO::Select->new($c->{sock});
    my $data = '';
    local $SIG{PIPE} = 'IGNORE';
    for my $ch (split //, $head) {
        last if $sel->can_read(0) || time - $t0 > 2.5;
        syswrite($c->{sock}, $ch) or last;
        sleep 0.01;
    }
    my $first;
    while (time - $t0 < 10 && $sel->can_read(10)) {
        my $n = sysread($c->{sock}, my $buf, 4096);
        last unless $n;
        $first //= time - $t0;
        $data .= $buf;
    }
    my $r = parse_response($data);
    is($r->{status}, 408, sprintf('one-byte pieces 10 ms apart: 408 '
       . '(after %.2f s)', $first // -1));
    ok(!exists $r->{headers}{server}, 'answered by the router');
    my $log = error_log_since($emark, $elog);
    like($log, qr/PU00023: router: request head not complete its head came in too many pieces/,
         'by the bound on the bytes its looks copied (PU00023 says so)');
};

subtest 'a head completed within PeruidPeekTimeout is served' => sub {
    Test::More::plan(tests => 2);
    my $r = slow([["GET /whoami.php HTTP/1.1\r\n", 0.5],
                  ["Host: b.test\r\nConnection: close\r\n\r\n", 0]], 6);
    is($r->{status}, 200, 'head in two parts 0.5 s apart: 200');
    is(kv($r->{body})->{uid}, $tb_uid, 'served as peruid_tb');
};

subtest 'HTTP/1.0 without Host: the default vhost of the address' => sub {
    Test::More::plan(tests => 5);
    my $r = request_raw("GET /whoami.php HTTP/1.0\r\n\r\n");
    my $v = kv($r->{body});
    is($r->{status}, 200, 'HTTP/1.0 without Host: 200');
    is($v->{server}, 'default.test', 'served by the first vhost');
    is($v->{uid}, $td_uid, 'as User (peruid_td)');
    $r = request_raw("GET /site.txt HTTP/1.0\r\n\r\n");
    is($r->{body}, "site=default\n", 'static: from the default vhost\'s root');
    # HTTP/0.9: no version, no headers; also the default vhost
    $r = request_raw("GET /site.txt\r\n");
    is($r->{raw}, "site=default\n", 'HTTP/0.9 simple request: the default '
       . 'vhost\'s file, no headers');
};

subtest 'requests naming a vhost are routed to it' => sub {
    my %cases = (
        'HTTP/1.0 with Host'          => ["GET /whoami.php HTTP/1.0\r\nHost: b.test\r\n\r\n", $tb_uid, 'b.test'],
        'upper case, trailing dot, port' => ["GET /whoami.php HTTP/1.1\r\nHost: B.TEST.:1234\r\nConnection: close\r\n\r\n", $tb_uid, 'b.test'],
        'empty lines before the request' => ["\r\n\r\nGET /whoami.php HTTP/1.1\r\nHost: b.test\r\nConnection: close\r\n\r\n", $tb_uid, 'b.test'],
        'absolute URI, HTTP/1.0, no Host' => ["GET http://a.test/whoami.php HTTP/1.0\r\n\r\n", $ta_uid, 'a.test'],
        'unknown Host'                 => ["GET /whoami.php HTTP/1.1\r\nHost: nowhere.example\r\nConnection: close\r\n\r\n", $td_uid, 'nowhere.example'],
    );
    Test::More::plan(tests => 3 * keys %cases);
    for my $k (sort keys %cases) {
        my ($req, $uid, $server) = @{ $cases{$k} };
        check_routed($k, $req, $uid, $server);
    }
};

subtest 'ServerAlias wildcards are matched as httpd matches them' => sub {
    Test::More::plan(tests => 4);
    my $r = http('www.a.test', '/whoami.php');
    is(kv($r->{body})->{uid}, $ta_uid, 'www.a.test (ServerAlias *.a.test): '
       . 'peruid_ta');
    is(kv($r->{body})->{server}, 'www.a.test', 'SERVER_NAME www.a.test');
    $r = http('x.y.a.test', '/site.txt');
    is($r->{body}, "site=a\n", 'x.y.a.test: a\'s document root');
    $r = http('a.test.evil.example', '/whoami.php');
    is(kv($r->{body})->{uid}, $td_uid, 'a.test.evil.example: the default '
       . 'vhost');
};

# The router is one event loop over non-blocking sockets: clients that
# stall or vanish in the middle of a head must not hold anybody up.
# On the instance with PeruidPeekTimeout 3 s: the ordinary requests must
# all be answered while every stalled head is still waiting for its 408
# (a router that waited on one client would hold them up for seconds).
subtest 'many stalled and vanishing clients do not hold the routers up' => sub {
    Test::More::plan(tests => 7);
    my $master = slow_instance();
    ok($master, 'instance with PeruidPeekTimeout 3 s started') or return;
    my $port = $slow_port;
    my @routers = routers($master, $port);
    my @stalled;
    for (1 .. 200) {
        my $c = keepalive_connect(port => $port) or last;
        syswrite($c->{sock}, "GET /whoami.php HTTP/1.1\r\nHost: a.te");
        push @stalled, $c;
    }
    is(scalar(@stalled), 200, '200 connections with half a head each');
    # clients that go away mid-head, some with a reset
    for my $i (1 .. 50) {
        my $c = keepalive_connect(port => $port) or next;
        syswrite($c->{sock}, "GET /whoami.php HTTP/1.1\r\nHo");
        setsockopt($c->{sock}, Socket::SOL_SOCKET(), Socket::SO_LINGER(),
                   pack('ii', 1, 0)) if $i % 2;     # close -> RST
        close $c->{sock};
    }
    my $ok = 0;
    for my $h (qw(a.test b.test default.test a.test b.test default.test)) {
        my $r = http($h, '/whoami.php', port => $port, timeout => 5);
        $ok++ if ($r->{status} // 0) == 200 && $r->{headers}{server};
    }
    is($ok, 6, 'meanwhile 6 ordinary requests were served');
    my @answered = grep { IO::Select->new($_->{sock})->can_read(0) } @stalled;
    is(scalar(@answered), 0, 'all of them while every stalled head was '
       . 'still waiting (none had its 408 yet)');
    my $n408 = 0;
    for my $c (@stalled) {
        my ($data) = read_all($c->{sock}, 15);
        $n408++ if $data =~ m{^HTTP/1\.1 408 };
        close $c->{sock};
    }
    is($n408, 200, 'every stalled client got its 408');
    is(join(' ', sort(routers($master, $port))), join(' ', sort @routers),
       'the same routers are still there (none crashed)');
    is(kv(http('b.test', '/whoami.php', port => $port)->{body})->{uid},
       $tb_uid, 'b.test still served');
};

subtest 'two Host headers: 400, never served' => sub {
    Test::More::plan(tests => 2);
    my $r = request_raw("GET /whoami.php HTTP/1.1\r\nHost: a.test\r\nHost: b.test\r\n\r\n");
    is($r->{status}, 400, 'answered 400');
    unlike($r->{raw}, qr/uid=/, 'nothing was served');
};

subtest 'a request body reaches the worker intact (peeking takes nothing)' => sub {
    Test::More::plan(tests => 6);
    require Digest::MD5;
    for my $len (10, 100_000) {
        my $body = join '', map { chr(32 + ($_ * 7) % 95) } 1 .. $len;
        my $r = request_raw("POST /echo.php HTTP/1.1\r\nHost: a.test\r\n"
            . "Content-Type: application/octet-stream\r\n"
            . "Content-Length: $len\r\nConnection: close\r\n\r\n$body");
        my $v = kv($r->{body});
        is($r->{status}, 200, "POST of $len bytes: 200");
        is($v->{length}, $len, "POST of $len bytes: all of them arrived");
        is($v->{md5}, Digest::MD5::md5_hex($body), "POST of $len bytes: "
           . "unchanged");
    }
};

# The worker gets the client socket from a router (non-blocking, passed
# over a unix socket); httpd must still wait for a slow peer both ways.
subtest 'slow peers: large responses to a slow reader, a body sent late' => sub {
    Test::More::plan(tests => 6);
    require Digest::MD5;
    my $file = root() . '/htdocs/a/big.bin';
    my $want = Digest::MD5->new;
    open my $fh, '<', $file or die "$file: $!";
    binmode $fh;
    $want->addfile($fh);
    close $fh;
    my $size = -s $file;
    my %cases = (
        'static 8 MB file' => ['/big.bin', $size, $want->hexdigest],
        'PHP output of 8 MB' => ['/bigout.php?n=8000000', 8_000_000,
            Digest::MD5::md5_hex(substr(('0123456789abcdef' x 4096) x 123,
                                        0, 8_000_000))],
    );
    # both requests at once, then a pause
    my %conn;
    for my $k (sort keys %cases) {
        my $c = keepalive_connect() or die "connect: $!";
        ka_send($c, 'a.test', $cases{$k}[0], headers => ['Connection: close']);
        $conn{$k} = $c;
    }
    sleep 1.5;                  # let the socket buffers fill up
    for my $k (sort keys %cases) {
        my ($path, $len, $md5) = @{ $cases{$k} };
        my ($data) = read_all($conn{$k}{sock}, 30);
        my $r = parse_response($data);
        is($r->{status}, 200, "$k, read after 1.5 s: 200");
        ok($r->{complete} && length($r->{body}) == $len,
           "$k: all $len bytes (got " . length($r->{body}) . ")");
        is(Digest::MD5::md5_hex($r->{body}), $md5, "$k: unchanged");
    }
};

subtest 'a request body sent after a pause reaches the worker' => sub {
    Test::More::plan(tests => 3);
    my $body = join '', map { chr(65 + $_ % 26) } 1 .. 200_000;
    my $r = request_raw([["POST /echo.php HTTP/1.1\r\nHost: a.test\r\n"
                          . "Content-Length: 200000\r\nConnection: close"
                          . "\r\n\r\n" . substr($body, 0, 1000), 1],
                         [substr($body, 1000), 0]]);
    my $v = kv($r->{body});
    is($r->{status}, 200, 'head and 1000 bytes, 1 s later the rest: 200');
    is($v->{length}, 200_000, 'all 200000 bytes arrived');
    require Digest::MD5;
    is($v->{md5}, Digest::MD5::md5_hex($body), 'unchanged');
};

subtest 'a client that half-closes after its request is answered' => sub {
    Test::More::plan(tests => 5);
    my $r = request_raw("GET /whoami.php HTTP/1.1\r\nHost: b.test\r\n"
                        . "Connection: close\r\n\r\n", half_close => 1);
    is($r->{status}, 200, 'complete head, then shutdown(SHUT_WR): 200');
    is(kv($r->{body})->{uid}, $tb_uid, 'served as peruid_tb');
    # the head stays incomplete: the client can send no more, so httpd
    # reads what came and answers it at once, as under prefork (the router
    # used to wait for PeruidPeekTimeout and answer 408)
    $r = request_raw("GET /whoami.php HTTP/1.1\r\nHost: b.te",
                     half_close => 1, timeout => 5);
    is($r->{status}, 400, 'incomplete head, then shutdown(SHUT_WR): 400');
    ok(exists $r->{headers}{server} && $r->{elapsed} < 0.9,
       sprintf('answered by httpd, before PeruidPeekTimeout (%.2f s)',
               $r->{elapsed}));
    unlike($r->{raw}, qr/uid=/, 'nothing was served');
};

# mod_echo's ProtocolEcho on the only vhost of a second listener, and a
# third listener whose Listen names the protocol "echo": the router
# routes such a connection by its address alone, to that vhost's user,
# and reads none of its bytes (before, it took "hello" for a malformed
# request line and answered 400, and "Listen ... echo" failed -t).
subtest 'a listener that does not speak HTTP: routed by its address' => sub {
    Test::More::plan(tests => 6);
    my ($p1, $p2, $p3) = (free_port(), free_port(), free_port());
    my $libexec = vars('peruid_libexec');
    my ($conf, $dir) = instance_conf('proto-echo', port => $p1,
        listen => ["127.0.0.1:$p1", "127.0.0.1:$p2", "127.0.0.1:$p3 echo"],
        mpm => small_mpm(), body => <<"EOF");
LoadModule echo_module $libexec/mod_echo.so
<VirtualHost 127.0.0.1:$p2>
    ServerName echo.test
    ProtocolEcho On
    AssignUserID peruid_tb peruid_tb
</VirtualHost>
<VirtualHost 127.0.0.1:$p3>
    ServerName echo3.test
    ProtocolEcho On
    AssignUserID peruid_ta peruid_ta
</VirtualHost>
EOF
    my $master = instance_start($conf, $dir, $p1);
    ok($master, 'instance with two echo listeners started') or return;
    for my $e ([$p2, $tb_uid, 'peruid_tb', 'echo.test'],
               [$p3, $ta_uid, 'peruid_ta', 'echo3.test (Listen ... echo)']) {
        my $c = keepalive_connect(port => $e->[0]) or die "connect: $!";
        syswrite($c->{sock}, "hello, not HTTP\n");
        my $got = '';
        my $sel = IO::Select->new($c->{sock});
        while (length($got) < 16 && $sel->can_read(5)) {
            my $n = sysread($c->{sock}, my $buf, 100);
            last unless $n;
            $got .= $buf;
        }
        is($got, "hello, not HTTP\n", "$e->[3]: the bytes came back "
           . '(mod_echo)');
        ok(scalar(workers_of_uid($master, $e->[1], $p1)),
           "$e->[3]: a worker of $e->[2], its vhost's user, runs");
        close $c->{sock};
    }
    is(kv(http('b.test', '/whoami.php', port => $p1)->{body})->{uid},
       $tb_uid, 'HTTP on the other listener still routed by Host');
    instance_stop($master, 10);
};

subtest 'mod_status works under the MPM' => sub {
    Test::More::plan(tests => 3);
    my $r = http('a.test', '/server-status?auto');
    is($r->{status}, 200, '/server-status?auto: 200');
    like($r->{body}, qr/^ServerMPM: peruid$/m, 'ServerMPM: peruid');
    like($r->{body}, qr/^Scoreboard: /m, 'a scoreboard');
};

subtest 'the router logged its answers' => sub {
    Test::More::plan(tests => 6);
    my $log = error_log_since($mark);
    unlike($log, qr/PU00021: router: answering 400/, 'no 400 of its own');
    like($log, qr/PU00115: router: a request head it does not route by its Host \(malformed request line\) goes to the default virtual host of its address, default\.test/,
         'PU00115: a malformed head went to the default vhost');
    like($log, qr/PU00021: router: answering 414/, 'PU00021 ... 414');
    like($log, qr/PU00021: router: answering 431/, 'PU00021 ... 431');
    like($log, qr/PU00023: router: request head not complete within PeruidPeekTimeout/,
         'PU00023 (408)');
    like($log, qr/PU00116: router: no request line within PeruidPeekTimeout; closing/,
         'PU00116 (closed without an answer)');
};

subtest 'the server still serves everybody' => sub {
    Test::More::plan(tests => 3);
    is(kv(http('a.test', '/whoami.php')->{body})->{uid}, $ta_uid, 'a.test');
    is(kv(http('b.test', '/whoami.php')->{body})->{uid}, $tb_uid, 'b.test');
    is(kv(http('default.test', '/whoami.php')->{body})->{uid}, $td_uid,
       'default.test');
};
