# t/double_check.t -- the worker's double-check: once httpd itself has
# chosen the vhost of a request, a worker never serves a request whose
# vhost needs another user (or group).  On plain HTTP it hands the
# connection over to that user's pool with what it read (handover.c,
# t/handover.t has the rest); the request is served there, by the right
# user, on the same connection.  (The module before closed the
# connection without sending any byte, and logged PU00013.)
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

# handed($host1, $host2, $label, %o): the second request, for another
# user's vhost $o{vhost}, is answered by a worker of that user ($o{uid},
# $o{gid} when given) on the same connection (6 tests)
sub handed {
    my ($host1, $host2, $label, %o) = @_;
    my $mark = error_log_mark();
    my ($r1, $r2, $dt) = two_requests($host1, $host2, %o);
    my ($v1, $v2) = (kv($r1->{body}), kv($r2->{body}));
    is($r1->{status}, 200, "$label: first request ($host1) served");
    is($r2->{status}, 200, "$label: the second answered 200");
    is($v2->{server}, $o{vhost}, "$label: by vhost $o{vhost}");
    is(($v2->{uid} // '-') . '/' . ($v2->{egid} // '-'),
       "$o{uid}/" . ($o{gid} // $v2->{egid} // '-'),
       "$label: as uid $o{uid}" . ($o{gid} ? " gid $o{gid}" : ''));
    isnt($v2->{pid} // 0, $v1->{pid} // 0, "$label: by another worker");
    unlike(error_log_since($mark), qr/PU00013|PU0009[689]/,
           "$label: nothing refused");
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

subtest 'keep-alive: a.test then b.test is handed over' => sub {
    Test::More::plan(tests => 6);
    handed('a.test', 'b.test', 'A then B', vhost => 'b.test',
           uid => $tb_uid);
};

subtest 'keep-alive: default.test then a.test is handed over' => sub {
    Test::More::plan(tests => 6);
    handed('default.test', 'a.test', 'default then A', vhost => 'a.test',
           uid => $ta_uid);
};

subtest 'keep-alive: same uid, other group (b.test then bx.test) is handed over' => sub {
    Test::More::plan(tests => 6);
    handed('b.test', 'bx.test', 'B then B/peruid_tx', vhost => 'bx.test',
           uid => $tb_uid, gid => scalar((getgrnam('peruid_tx'))[2]));
};

subtest 'keep-alive: unknown Host (default vhost) after a.test is handed over' => sub {
    Test::More::plan(tests => 6);
    handed('a.test', 'nowhere.example', 'A then unknown host',
           vhost => 'nowhere.example', uid => $td_uid);
};

subtest 'keep-alive: absolute URI of B with Host: a.test is handed over' => sub {
    Test::More::plan(tests => 6);
    handed('a.test', 'a.test', 'A then http://b.test/',
           line2 => 'GET http://b.test/whoami.php HTTP/1.1',
           vhost => 'b.test', uid => $tb_uid);
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

subtest 'the handing worker goes on serving its own vhosts' => sub {
    Test::More::plan(tests => 4);
    my ($r1, $r2) = two_requests('a.test', 'b.test');
    my $pid = kv($r1->{body})->{pid};
    is(kv($r2->{body})->{uid}, $tb_uid,
       "worker $pid handed the request for b.test to peruid_tb");
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
# worker serves the first (its PHP runs, the access log says 200) and
# hands the second over: the response to the first must not be lost, and
# must come first.
subtest 'pipelined: a.test then b.test: both answered, in order' => sub {
    Test::More::plan(tests => 5);
    my $r = request_raw("GET /whoami.php HTTP/1.1\r\nHost: a.test\r\n\r\n"
        . "GET /whoami.php HTTP/1.1\r\nHost: b.test\r\n"
        . "Connection: close\r\n\r\n", timeout => 5);
    my $r2 = parse_response($r->{rest});
    is($r->{status}, 200, 'the response to the first request (a.test) '
       . 'arrives first');
    is(kv($r->{body})->{uid}, $ta_uid, 'served as peruid_ta');
    is($r2->{status}, 200, 'then the answer to b.test');
    is(kv($r2->{body})->{uid}, $tb_uid, 'served as peruid_tb');
    ok($r->{eof}, 'the connection was closed (Connection: close)');
};

# The access log is the record of who served what: the handing worker
# logs the request it did not serve as 421 (misdirected), never 200; the
# worker of the right user logs it as served.
subtest 'a handed-over request is logged 421 by the handing worker' => sub {
    Test::More::plan(tests => 3);
    my $alog = logs() . '/access_log';
    my $amark = error_log_mark($alog);
    my ($r1, $r2) = two_requests('a.test', 'b.test',
                                 path2 => '/whoami.php?handed-marker');
    my ($pid1, $pid2) = (kv($r1->{body})->{pid}, kv($r2->{body})->{pid});
    my @lines;
    wait_for(sub {
        @lines = grep { /handed-marker/ }
                 split /\n/, error_log_since($amark, $alog);
        @lines >= 2;
    }, 3);
    # LogFormat "%v %h \"%r\" %>s %b %{pid}P"
    my %by = map { (/ (\d+)$/)[0] => (/" (\d{3}) /)[0] } @lines;
    is(scalar @lines, 2, 'two lines for it') or diag join "\n", @lines;
    is($by{$pid1}, 421, "421 from the handing worker $pid1");
    is($by{$pid2}, 200, "200 from the serving worker $pid2");
};

subtest 'the server still serves everybody' => sub {
    Test::More::plan(tests => 3);
    is(kv(http('a.test', '/whoami.php')->{body})->{uid}, $ta_uid, 'a.test');
    is(kv(http('b.test', '/whoami.php')->{body})->{uid}, $tb_uid, 'b.test');
    is(kv(http('default.test', '/whoami.php')->{body})->{uid}, $td_uid,
       'default.test');
};
