# t/handover.t -- keep-alive across users (issue 13, item 2): a worker
# whose double-check finds that a plain-HTTP request needs another user
# hands the connection back to the routers with every byte it read and
# did not answer (handover.c); a worker of the right user replays them
# before it reads the socket.  One connection alternating users gets
# every answer, each from its own user; pipelined requests across users
# are answered in order; a body (Content-Length or chunked) reaches the
# right user whole; a tenant that hands its own connection around with
# native code is stopped at the hop bound with a 503, and the routers go
# on; nginx as a front proxy reusing its upstream connections gets every
# answer from its own user.  The module before closed the connection
# without an answer at the first switch.
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/lib";
use Apache::Test qw(-withtestmore);
use PeruidTest qw(:all);
use Digest::MD5 qw(md5_hex);
use File::Path qw(make_path);
use Time::HiRes qw(time sleep);

plan skip_all => 'PHP (mod_php) is not installed' unless vars('peruid_php');
plan tests => 7;

my %started;    # conf file => master pid, for the END block
my $nginx_pid;
END {
    kill 'TERM', $nginx_pid if $nginx_pid && pid_alive($nginx_pid);
    stop_instances(\%started);
}
my ($ta_uid) = ids_of('peruid_ta');
my ($tb_uid) = ids_of('peruid_tb');
my ($td_uid) = ids_of('peruid_td');
my %uid_of = ('a.test' => $ta_uid, 'a2.test' => $ta_uid,
              'b.test' => $tb_uid, 'bnum.test' => $tb_uid,
              'default.test' => $td_uid);

# "200 server uid" of a response, for comparing lists of answers
sub answer_of {
    my ($r) = @_;
    my $v = kv($r->{body});
    return join ' ', $r->{status} // 'none', $v->{server} // '-',
                     $v->{uid} // '-';
}

sub want_of { my ($host) = @_; return "200 $host $uid_of{$host}" }

subtest 'one connection, 10 requests alternating a.test and b.test' => sub {
    Test::More::plan(tests => 11);
    my $c = keepalive_connect() or die "connect: $!";
    my $port = $c->{sock}->sockport;
    my (@got, @want, %remote);
    for my $i (0 .. 9) {
        my $host = $i % 2 ? 'b.test' : 'a.test';
        ka_send($c, $host, "/whoami.php?i=$i");
        my $r = ka_read_response($c, 10);
        push @got, answer_of($r);
        push @want, want_of($host);
        $remote{kv($r->{body})->{remote} // '-'} = 1;
    }
    close $c->{sock};
    is($got[$_], $want[$_], "request $_: $want[$_]") for 0 .. 9;
    is_deeply([keys %remote], ["127.0.0.1:$port"],
              'every answer was for the same client connection');
};

subtest 'pipelined requests across users, in one write' => sub {
    my @hosts = qw(a.test b.test a2.test bnum.test default.test a.test);
    Test::More::plan(tests => 2 + @hosts);
    my $req = '';
    for my $i (0 .. $#hosts) {
        $req .= "GET /whoami.php?p=$i HTTP/1.1\r\nHost: $hosts[$i]\r\n"
              . ($i == $#hosts ? "Connection: close\r\n" : '') . "\r\n";
    }
    my $r = request_raw($req, timeout => 15);
    my (@got, $rest);
    $rest = $r->{raw};
    while (length $rest) {
        my $p = parse_response($rest);
        last unless defined $p->{status} && $p->{complete};
        push @got, answer_of($p);
        $rest = $p->{rest};
    }
    is(scalar @got, scalar @hosts, 'every request answered');
    for my $i (0 .. $#hosts) {
        is($got[$i] // 'none', want_of($hosts[$i]),
           "answer $i, in order: $hosts[$i]");
    }
    ok($r->{eof}, 'closed after the last (Connection: close)');
};

# POST $body to b.test's echo.php on a connection that served a.test
# first; %o: chunked (a list of chunk sizes), split (send the body after
# the head, in a second write)
sub post_after_a {
    my ($body, %o) = @_;
    my $c = keepalive_connect() or die "connect: $!";
    ka_send($c, 'a.test', '/whoami.php');
    my $r1 = ka_read_response($c, 10);
    my $head = "POST /echo.php HTTP/1.1\r\nHost: b.test\r\n";
    my $payload = $body;
    if ($o{chunked}) {
        $head .= "Transfer-Encoding: chunked\r\n\r\n";
        my ($off, $enc) = (0, '');
        for my $n (@{ $o{chunked} }) {
            $enc .= sprintf("%x\r\n", $n) . substr($body, $off, $n) . "\r\n";
            $off += $n;
        }
        $payload = "${enc}0\r\n\r\n";
    }
    else {
        $head .= 'Content-Length: ' . length($body) . "\r\n\r\n";
    }
    local $SIG{PIPE} = 'IGNORE';
    my $all = $o{split} ? $head : $head . $payload;
    while (length $all) {
        my $n = syswrite($c->{sock}, $all) // last;
        substr($all, 0, $n) = '';
    }
    if ($o{split}) {
        sleep 0.3;
        syswrite($c->{sock}, $payload);
    }
    my $r2 = ka_read_response($c, 15);
    ka_send($c, 'a.test', '/whoami.php', headers => ['Connection: close']);
    my $r3 = ka_read_response($c, 10);
    close $c->{sock};
    return ($r1, $r2, $r3);
}

subtest 'a body across the switch: Content-Length and chunked' => sub {
    my @cases = (
        ['Content-Length, 3000 bytes, with the head', 3000],
        ['Content-Length, 200 KB (past the replay bound: the rest is read '
         . 'from the socket)', 200_000],
        ['Content-Length, 5000 bytes, sent after the head', 5000,
         split => 1],
        ['chunked, 3 chunks', 7000, chunked => [1000, 2500, 3500]],
        ['chunked, sent after the head', 4096, chunked => [4096],
         split => 1],
    );
    Test::More::plan(tests => 3 * @cases);
    my $n = 0;
    for my $case (@cases) {
        my ($label, $len, %o) = @$case;
        my $body = join '', map { chr(65 + ($_ * 7 + $n) % 26) } 1 .. $len;
        $n++;
        my ($r1, $r2, $r3) = post_after_a($body, %o);
        my $v = kv($r2->{body});
        is(answer_of($r1), want_of('a.test'), "$label: a.test first");
        is(join(' ', $r2->{status} // 'none', $v->{length} // '-',
                $v->{md5} // '-', $v->{uid} // '-'),
           join(' ', 200, $len, md5_hex($body), $tb_uid),
           "$label: b.test's echo.php got the whole body, as peruid_tb");
        is(answer_of($r3), want_of('a.test'),
           "$label: a.test again after it");
    }
};

subtest 'the access and error logs say what happened' => sub {
    Test::More::plan(tests => 2);
    my $mark = error_log_mark();
    my $c = keepalive_connect() or die "connect: $!";
    ka_send($c, 'a.test', '/whoami.php');
    ka_read_response($c, 10);
    ka_send($c, 'b.test', '/whoami.php', headers => ['Connection: close']);
    my $r = ka_read_response($c, 10);
    close $c->{sock};
    is(answer_of($r), want_of('b.test'), 'b.test answered');
    my $log = error_log_since($mark);
    unlike($log, qr/PU0009[689]/, 'no hand-over refused, no replay lost');
};

# A tenant with native code (PHP's FFI, this instance's evil.test only)
# hands its own connection back over its back channel, again and again,
# with an honest hop count (handover_loop.php): the router refuses the
# fifth hand-over of the request with a 503 and a log line; the routers
# go on serving everybody.
subtest 'a hand-over loop is cut at the hop bound' => sub {
    Test::More::plan(tests => 10);
    my $attack = root() . '/htdocs/attack';
    my $port = free_port();
    my ($master, undef, $conf, $dir) = started_instance(\%started,
        'handover', port => $port, body => <<"EOF");
<VirtualHost 127.0.0.1:$port>
    ServerName evil.test
    DocumentRoot "$attack"
    AssignUserID peruid_ta peruid_ta
    php_admin_value ffi.enable 1
</VirtualHost>
LogLevel info mpm_peruid:debug
EOF
    ok($master, 'instance started') or return;
    my $elog = "$dir/logs/error_log";
    my @routers = sort { $a <=> $b } routers($master);
    my $mark = error_log_mark($elog);
    my $r = http('evil.test', '/handover_loop.php?hops=1&pool=1',
                 port => $port, timeout => 15);
    is($r->{status}, 503, 'the client is answered 503 at the bound');
    my $log = '';
    # (the tenant's lines come through the log relay, the router's not:
    # either may be written first)
    wait_for(sub { $log = error_log_since($mark, $elog);
                   $log =~ /PU00099/ && $log =~ /loop pass 5/ }, 5);
    my @passes = $log =~ /loop pass (\d+)/g;
    is("@passes", '1 2 3 4 5',
       'the tenant handed it over 5 times (hops 1-4 were routed)');
    like($log, qr/PU00099: router: refused a connection the workers of uid $ta_uid handed back: the request was handed over too many times/,
         'PU00099 names the loop');
    is_deeply([sort { $a <=> $b } routers($master)], \@routers,
              'the same routers still run');
    my @got = map { answer_of(http($_, '/whoami.php', port => $port)) }
              qw(a.test b.test);
    is_deeply(\@got, [want_of('a.test'), want_of('b.test')],
              'a.test and b.test served as before');
    $r = http('evil.test', '/handover_loop.php?hops=5&pool=1',
              port => $port, timeout => 15);
    is($r->{status}, 503, 'a forged count past the bound: 503 at once');

    # the record names the pool the request needs (target: the
    # per-directory and Expr users' way); the tenant names b.test's user
    # (pool 2) for a request of its own vhost: the router sends it there,
    # peruid_tb's worker does not serve it and hands it on to pool 1,
    # whose worker serves it
    $mark = error_log_mark($elog);
    $r = http('evil.test', '/handover_loop.php?hops=1&pool=1&target=2'
              . '&next=/whoami.php', port => $port, timeout => 15);
    is(answer_of($r), "200 evil.test $ta_uid",
       'a request sent to another user\'s pool by its target is served by '
       . 'its own vhost\'s user');
    wait_for(sub { $log = error_log_since($mark, $elog);
                   $log =~ /PU00097.*uid $tb_uid handed/ }, 5);
    like($log, qr/PU00097: worker uid $tb_uid handed a request for vhost evil\.test \(uid $ta_uid\) back to the routers with \d+ bytes to replay \(hop 2\)/,
         'the router sent it to peruid_tb\'s pool, whose worker handed it '
         . 'back (hop 2)');
    unlike($log, qr/PU0009[689]/, 'nothing refused on the way');
};

# nginx as a front proxy with upstream keep-alive: its connections to the
# server carry requests for both users one after the other.
subtest 'nginx with upstream keepalive, alternating a.test and b.test' => sub {
    my $nginx = -x '/usr/sbin/nginx' ? '/usr/sbin/nginx' : undef;
    Test::More::plan(skip_all => 'nginx is not installed (tests/deps.sh)')
        unless $nginx;
    Test::More::plan(tests => 4);
    my $dir = root() . '/nginx';
    make_path("$dir/tmp");
    my $front = free_port();
    my $port = port();
    open my $fh, '>', "$dir/nginx.conf" or die "$dir/nginx.conf: $!";
    print $fh <<"EOF";
worker_processes 1;
error_log $dir/error.log info;
events { worker_connections 64; }
http {
    access_log $dir/access.log;
    client_body_temp_path $dir/tmp/body;
    proxy_temp_path $dir/tmp/proxy;
    upstream peruid {
        server 127.0.0.1:$port;
        keepalive 8;
    }
    server {
        listen 127.0.0.1:$front;
        location / {
            proxy_pass http://peruid;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host \$host;
        }
    }
}
EOF
    close $fh;
    my $pid = fork // die "fork: $!";
    if (!$pid) {
        exec $nginx, '-p', $dir, '-c', "$dir/nginx.conf",
             '-g', "daemon off; pid $dir/nginx.pid;";
        exit 127;
    }
    $nginx_pid = $pid;
    ok(wait_for(sub { connect_to($front, 1) }, 10), 'nginx listens');
    # whoami.php's remote address is nginx's end of the upstream
    # connection: its port names the connection
    my (@got, @want, %conns);
    for my $i (0 .. 19) {
        my $host = $i % 2 ? 'b.test' : 'a.test';
        my $r = http($host, "/whoami.php?n=$i", port => $front,
                     timeout => 10);
        push @got, answer_of($r);
        push @want, want_of($host);
        $conns{kv($r->{body})->{remote} // '-'}{$host} = 1;
    }
    is_deeply(\@got, \@want, '20 answers through nginx, each from its own '
              . 'user') or diag explain \@got;
    my @both = grep { keys %{ $conns{$_} } == 2 } keys %conns;
    cmp_ok(scalar(keys %conns), '<', 20,
           'nginx reused its upstream connections (' . scalar(keys %conns)
           . ' for 20 requests)');
    ok(scalar @both, 'an upstream connection carried both users\' requests '
       . '(' . scalar(@both) . ' did)');
    kill 'TERM', $pid;
    waitpid $pid, 0;
    $nginx_pid = undef;
};

subtest 'the server still serves everybody on new connections' => sub {
    Test::More::plan(tests => 3);
    is(answer_of(http($_, '/whoami.php')), want_of($_), $_)
        for qw(a.test b.test default.test);
};
