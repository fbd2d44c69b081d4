# t/share.t -- every user gets its share under overload (PeruidMaxUserShare,
# default 50% of MaxRequestWorkers): with MaxRequestWorkers 32, a.test is
# flooded with 40 clients that stop after the Host line, 40 that send a
# POST body slowly and 40 PHP requests that sleep, and b.test still
# answers every request (each within a second is a speed goal, for make
# bench; here a generous bound).  The connections a.test's
# workers cannot take wait in its channel (a bounded queue) or in the
# routers, which answer 503 at their deadline and log PU00053 naming the
# vhost.  Runs an instance of its own (inst-share).
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/lib";
use Apache::Test qw(-withtestmore);
use PeruidTest qw(:all);
use IO::Socket::IP ();
use Time::HiRes qw(time sleep);

plan skip_all => 'PHP (mod_php) is not installed' unless vars('peruid_php');
plan tests => 6;

my %started;    # conf file => master pid, for the END block
END { stop_instances(\%started) }

my ($master, $port, $conf, $dir) = started_instance(\%started, 'share',
    mpm => <<'EOF', body => "Timeout 30\n");
StartServers 0
MinSpareServers 0
MaxSpareServers 40
ServerLimit 40
MaxRequestWorkers 32
PeruidRouters 1
PeruidPeekTimeout 2
EOF
ok($master, 'instance started') or exit;
my ($ta) = ids_of('peruid_ta');
my $mark = error_log_mark("$dir/logs/error_log");

# The flood: 120 connections for a.test, held open.
my @flood;
sub flood {
    my ($bytes) = @_;
    my $s = connect_to($port, 5) or return;
    local $SIG{PIPE} = 'IGNORE';
    syswrite($s, $bytes);
    push @flood, $s;
}
flood("GET /site.txt HTTP/1.1\r\nHost: a.test\r\n") for 1 .. 40;
flood("POST /whoami.php HTTP/1.1\r\nHost: a.test\r\n"
      . "Content-Length: 100000\r\n\r\nx") for 1 .. 40;
flood("GET /sleep.php?s=25 HTTP/1.1\r\nHost: a.test\r\n\r\n") for 1 .. 40;
is(scalar @flood, 120, '120 connections for a.test open');
sleep 1;                        # the pools grow as far as they may

# b.test meanwhile: 20 requests, one after the other
my (@lat, $ok);
for (1 .. 20) {
    my $t0 = time;
    my $r = http('b.test', '/whoami.php', port => $port, timeout => 10);
    push @lat, time - $t0;
    $ok++ if ($r->{status} // 0) == 200;
}
@lat = sort { $a <=> $b } @lat;
is($ok, 20, 'b.test answered 20 of 20 during the flood');
# a sanity bound only, generous: the speed goal (within a second) is
# make bench's, and other tests may run beside this one
cmp_ok($lat[-1], '<', 3.0, sprintf('each within 3 s (slowest %.3f s, '
       . 'median %.3f s)', $lat[-1], $lat[10]));
my $n = () = workers_of_uid($master, $ta, $port);
cmp_ok($n, '<=', 16, "a.test's workers stayed within its share, 16 of "
       . "32 ($n)");

# a.test's connections beyond its workers and its channel got 503 at
# their deadline (PeruidPeekTimeout 2), with PU00053 naming the vhost
my $log = '';
wait_for(sub {
    $log = error_log_since($mark, "$dir/logs/error_log");
    $log =~ /PU00053/;
}, 5);
like($log, qr/PU00053: router: no worker of uid $ta took a connection for virtual host a\.test \(\S+:\d+\) within PeruidPeekTimeout; answering 503/,
     'the router said so, naming the vhost (PU00053)');
close $_ for @flood;
