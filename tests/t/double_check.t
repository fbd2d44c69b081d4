# t/double_check.t -- the worker's double-check: once httpd itself has
# chosen the vhost of a request, a worker never serves a request whose
# vhost needs another user (or group); it logs PU00013 and closes the
# connection without sending any byte.
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/lib";
use Apache::Test qw(-withtestmore);
use PeruidTest qw(:all);
use Time::HiRes qw(time);

plan tests => 12;

my ($ta_uid) = ids_of('peruid_ta');
my ($tb_uid) = ids_of('peruid_tb');
my ($td_uid) = ids_of('peruid_td');
my $port = port();

# first request on a kept-alive connection, then the second one;
# returns (first response, second response, seconds the second took)
sub two_requests {
    my ($host1, $host2, %o) = @_;
    my $c = keepalive_connect() or die "connect: $!";
    ka_send($c, $host1, '/whoami.php');
    my $r1 = ka_read_response($c);
    my $t0 = time;
    ka_send($c, $host2, $o{path2} || '/whoami.php',
            $o{line2} ? (raw_line => $o{line2}) : ());
    # 8 s: less than KeepAliveTimeout (10 s), so a close seen within it
    # is the refusal's, not the keep-alive timeout's
    my $r2 = ka_read_response($c, 8);
    my $dt = time - $t0;
    close $c->{sock};
    return ($r1, $r2, $dt);
}

# refused($host1, $host2, $label, %o): 6 tests
sub refused {
    my ($host1, $host2, $label, %o) = @_;
    my $mark = error_log_mark();
    my ($r1, $r2, $dt) = two_requests($host1, $host2, %o);
    my $v1 = kv($r1->{body});
    is($r1->{status}, 200, "$label: first request ($host1) served");
    is($r2->{bytes}, 0, "$label: no response byte at all to the second");
    ok(!defined $r2->{status}, "$label: no status line");
    ok($r2->{eof}, sprintf("$label: the connection was closed (%.2f s, "
       . "before KeepAliveTimeout)", $dt));
    my $log = '';
    wait_for(sub { $log = error_log_since($mark); $log =~ /PU00013/ }, 3);
    like($log, qr/PU00013: worker uid \d+ gid \d+ refuses a request for vhost \Q$o{vhost}\E/,
         "$label: PU00013 logged for vhost $o{vhost}");
    like($log, qr/\[pid $v1->{pid}\b.*PU00013/,
         "$label: by the worker that served the first request");
}

# served($host1, $host2, $label, $uid): 5 tests
sub served {
    my ($host1, $host2, $label, $uid, $server2) = @_;
    my ($r1, $r2) = two_requests($host1, $host2);
    my ($v1, $v2) = (kv($r1->{body}), kv($r2->{body}));
    is($r1->{status}, 200, "$label: first request ($host1) served");
    is($r2->{status}, 200, "$label: second request ($host2) served");
    is($v2->{server}, $server2, "$label: by vhost $server2");
    is($v2->{uid}, $uid, "$label: as uid $uid");
    is($v2->{pid}, $v1->{pid}, "$label: on the same worker");
}

subtest 'keep-alive: a.test then b.test is refused' => sub {
    Test::More::plan(tests => 6);
    refused('a.test', 'b.test', 'A then B', vhost => 'b.test');
};

subtest 'keep-alive: default.test then a.test is refused' => sub {
    Test::More::plan(tests => 6);
    refused('default.test', 'a.test', 'default then A', vhost => 'a.test');
};

subtest 'keep-alive: same uid, other group (b.test then bx.test) is refused' => sub {
    Test::More::plan(tests => 6);
    refused('b.test', 'bx.test', 'B then B/peruid_tx', vhost => 'bx.test');
};

subtest 'keep-alive: unknown Host (default vhost) after a.test is refused' => sub {
    Test::More::plan(tests => 6);
    refused('a.test', 'nowhere.example', 'A then unknown host',
            vhost => 'default.test');
};

subtest 'keep-alive: absolute URI of B with Host: a.test is refused' => sub {
    Test::More::plan(tests => 7);
    my ($r1, $r2) = two_requests('a.test', 'a.test',
        line2 => 'GET http://b.test/whoami.php HTTP/1.1');
    unlike($r2->{raw} // '', qr/uid=/, 'no page served');
    refused('a.test', 'a.test', 'A then http://b.test/',
            line2 => 'GET http://b.test/whoami.php HTTP/1.1',
            vhost => 'b.test');
};

subtest 'keep-alive: the same user\'s vhosts are served' => sub {
    Test::More::plan(tests => 20);
    served('a.test', 'a2.test', 'a.test then a2.test', $ta_uid, 'a2.test');
    served('b.test', 'bnum.test', 'b.test then bnum.test (#uid #gid)',
           $tb_uid, 'bnum.test');
    served('a.test', "A.TEST:$port", 'a.test then A.TEST:port', $ta_uid,
           'a.test');
    served('default.test', 'nowhere.example', 'default then unknown host',
           $td_uid, 'nowhere.example');
};

# fresh connections with absolute-form request targets: the router routes
# by the URI's host, as httpd does (docs/architecture.md: "the same
# matching the worker will do"), so they are served -- by the URI's vhost
# and user, never by the Host header's.  (A router that routed by Host
# would get them refused by the double-check: a failure here.)
subtest 'absolute-form URI: routed by the URI, as httpd does' => sub {
    my @cases = (
        ['http://b.test/whoami.php', 'a.test', $tb_uid, 'b.test'],
        ['http://a.test/whoami.php', 'b.test', $ta_uid, 'a.test'],
        ['http://a.test/whoami.php', 'default.test', $ta_uid, 'a.test'],
        ['http://b.test:1/whoami.php', 'a.test', $tb_uid, 'b.test'],
    );
    Test::More::plan(tests => 3 * @cases);
    for my $c (@cases) {
        my ($uri, $host, $uid, $server) = @$c;
        check_routed("GET $uri, Host: $host",
                     "GET $uri HTTP/1.1\r\nHost: $host\r\n"
                     . "Connection: close\r\n\r\n", $uid, $server);
    }
};

subtest 'the refusing worker goes on serving its own vhosts' => sub {
    Test::More::plan(tests => 4);
    my ($r1, $r2) = two_requests('a.test', 'b.test');
    my $pid = kv($r1->{body})->{pid};
    ok(!defined $r2->{status} && $r2->{bytes} == 0,
       "worker $pid refused the request for b.test");
    ok(pid_alive($pid), "worker $pid is still alive");
    my $r = http('a.test', '/whoami.php');
    is($r->{status}, 200, 'a.test: 200');
    is(kv($r->{body})->{uid}, $ta_uid, 'a.test: as peruid_ta');
};

subtest 'pipelined: a.test then a2.test are both answered' => sub {
    Test::More::plan(tests => 4);
    my $r = request_raw("GET /whoami.php HTTP/1.1\r\nHost: a.test\r\n\r\n"
        . "GET /whoami.php HTTP/1.1\r\nHost: a2.test\r\nConnection: close\r\n\r\n");
    my $r2 = parse_response($r->{rest});
    is($r->{status}, 200, 'first: 200');
    is(kv($r->{body})->{server}, 'a.test', 'first: a.test');
    is($r2->{status}, 200, 'second: 200');
    is(kv($r2->{body})->{server}, 'a2.test', 'second: a2.test');
};

# A client pipelines a request for A and one for B on one connection.  The
# worker serves the first (its PHP runs, the access log says 200) and must
# refuse the second -- but the response to the first must not be lost:
# refusing B must not discard what was already produced for A.
subtest 'pipelined: a.test then b.test: A answered, B refused' => sub {
    Test::More::plan(tests => 5);
    my $mark = error_log_mark();
    my $r = request_raw("GET /whoami.php HTTP/1.1\r\nHost: a.test\r\n\r\n"
        . "GET /whoami.php HTTP/1.1\r\nHost: b.test\r\n\r\n", timeout => 5);
    is($r->{status}, 200, 'the response to the first request (a.test) '
       . 'arrives');
    is(kv($r->{body})->{uid}, $ta_uid, 'served as peruid_ta');
    is($r->{rest}, '', 'nothing after it (no answer to b.test)');
    unlike($r->{raw}, qr/uid=$tb_uid/, 'b.test never served');
    ok($r->{eof}, 'the connection was closed');
};

# The access log is the record of who served what: a refused request
# must not be logged as served (status 200) by the refusing worker.
subtest 'a refused request is not logged as 200' => sub {
    Test::More::plan(tests => 2);
    my $alog = logs() . '/access_log';
    my $amark = error_log_mark($alog);
    my ($r1, $r2) = two_requests('a.test', 'b.test',
                                 path2 => '/whoami.php?refused-marker');
    my $pid = kv($r1->{body})->{pid};
    my $lines;
    wait_for(sub {
        $lines = error_log_since($amark, $alog);
        $lines =~ /refused-marker/;
    }, 3);
    my ($line) = grep { /refused-marker/ } split /\n/, $lines;
    ok(defined $line, 'the refused request is in the access log')
        or diag $lines;
    # LogFormat "%v %h \"%r\" %>s %b %{pid}P"; docs/architecture.md: the
    # refusal returns "DONE with status 421 (what the access log shows)"
    my ($status) = ($line // '') =~ /" (\d{3}) /;
    is($status, 421, "logged with status 421, not 200 (line: "
       . ($line // 'none') . ")");
};

subtest 'the server still serves everybody' => sub {
    Test::More::plan(tests => 3);
    is(kv(http('a.test', '/whoami.php')->{body})->{uid}, $ta_uid, 'a.test');
    is(kv(http('b.test', '/whoami.php')->{body})->{uid}, $tb_uid, 'b.test');
    is(kv(http('default.test', '/whoami.php')->{body})->{uid}, $td_uid,
       'default.test');
};
