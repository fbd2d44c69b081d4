# t/slow_clients.t -- slow clients never hold a worker (issue 14).
#
# 1,000 connections for a.test send their request line and Host at once,
# then drip the rest of their head, one byte a second each (spread over
# the second, 10 sockets every 10 ms).  The router
# keeps every one of them until its head has ended (PeruidPeekTimeout is
# 60 s here), so no worker of a.test's user is started for them, and a
# normal client of b.test meanwhile gets every answer: its p99 latency
# must stay within 5 times its p99 without the drippers, measured in the
# same run (before the drippers and after them; the larger of the two,
# so that a load the other tests of the suite put on the machine at one
# of those moments is not counted against the router; with the drippers,
# the median of three rounds), and under 1 s (the bound issue 14 sets).  The figures are printed.  Before, the router
# handed each connection over as soon as it had seen Host: the drippers
# held a.test's workers (4 here, its share of MaxRequestWorkers 8; issue
# 14 saw b.test's client get 0 answers of 20 with 400 drippers on a
# server where they took every worker).
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/lib";
use Apache::Test qw(-withtestmore);
use PeruidTest qw(:all);
use Time::HiRes qw(time sleep);
use POSIX ();

my $DRIPPERS = 1000;
my $REQUESTS = 300;    # p99: the 4th largest

# the client's own descriptors: 1,000 sockets and some
system('prlimit', '--pid', $$, '--nofile=4096:4096') == 0
    or die "prlimit --nofile=4096 failed\n";

my %started;
END { stop_instances(\%started) }

my ($ta) = ids_of('peruid_ta');
my ($tb) = ids_of('peruid_tb');

plan tests => 10;

my ($master, $port) = started_instance(\%started, 'slow-clients',
    mpm => small_mpm('PeruidPeekTimeout 60'));
ok($master, 'instance with PeruidPeekTimeout 60 started') or exit 1;

# $REQUESTS requests of b.test, one after the other on new connections:
# (answers that were 200 from b.test's root, sorted latencies)
sub measure {
    my ($ok, @lat) = (0);
    for (1 .. $REQUESTS) {
        my $t0 = time;
        my $r = http('b.test', '/site.txt', port => $port, timeout => 10);
        push @lat, time - $t0;
        $ok++ if ($r->{status} // 0) == 200 && $r->{body} eq "site=b\n";
    }
    return ($ok, sort { $a <=> $b } @lat);
}

# nearest-rank percentile of sorted values
sub pct {
    my ($p, @v) = @_;
    my $i = POSIX::ceil($p / 100 * @v) - 1;
    return $v[$i < 0 ? 0 : $i];
}

measure();      # warm: b.test's first worker starts here
my ($ok0, @lat0) = measure();
is($ok0, $REQUESTS, "unloaded: every b.test request answered");

# the drippers, in a child of their own; it says "ready N" once N of
# them sent their request line and Host, then drips until killed
pipe(my $rd, my $wr) or die "pipe: $!";
my $dripper = fork // die "fork: $!";
if (!$dripper) {
    close $rd;
    $SIG{PIPE} = 'IGNORE';
    my @socks;
    for my $i (1 .. $DRIPPERS) {
        my $s = connect_to($port, 10) or last;
        syswrite($s, "GET /site.txt HTTP/1.1\r\nHost: a.test\r\n");
        push @socks, $s;
        sleep 0.05 if $i % 100 == 0;    # no SYN flood on loopback
    }
    syswrite($wr, 'ready ' . scalar(@socks) . "\n");
    # each second, every socket gets one byte, in batches of 10 spread
    # over the second (a batch every 10 ms): 1,000 clients drip on their
    # own clocks, not in step; one burst of 1,000 writes a second would
    # measure this one process's burst (on 2 cores it takes a CPU for a
    # few ms) more than the router
    my $drip = 'X-Drip: ' . ('d' x 200);
    my $t0 = time;
    for my $k (0 .. length($drip) - 1) {
        for (my $b = 0; $b * 10 < @socks; $b++) {
            my $end = $b * 10 + 9 < $#socks ? $b * 10 + 9 : $#socks;
            syswrite($_, substr($drip, $k, 1)) for @socks[$b * 10 .. $end];
            my $left = $t0 + $k + ($b + 1) * 0.01 - time;
            sleep $left if $left > 0;
        }
    }
    POSIX::_exit(0);
}
close $wr;
my $ready = <$rd> // '';
my ($n) = $ready =~ /^ready (\d+)/;
is($n, $DRIPPERS, "$DRIPPERS connections for a.test sent their request "
   . "line and Host, and drip the rest");
sleep 3;        # a few bytes of drip each

# three rounds with the drippers; their median p99 is compared: on a
# 2-core machine shared with other work one round of 300 now and then
# meets a scheduler tick's wait (4 ms) a few times, which a router that
# is slow for the drippers' sake would show in every round
my ($ok1, @lat1, @p99s) = (0);
for (1 .. 3) {
    my ($ok, @lat) = measure();
    $ok1 += $ok;
    push @lat1, @lat;
    push @p99s, pct(99, @lat);
}
@lat1 = sort { $a <=> $b } @lat1;
@p99s = sort { $a <=> $b } @p99s;
my @ta_workers = workers_of_uid($master, $ta, $port);
kill 'KILL', $dripper;
waitpid($dripper, 0);
sleep 1;        # the router sees the 1,000 closes
my ($ok2, @lat2) = measure();
is($ok2, $REQUESTS, "unloaded again: every b.test request answered");

my ($p99_1, $p99_a, $p99_b) = ($p99s[1], pct(99, @lat0), pct(99, @lat2));
my $p99_0 = $p99_a > $p99_b ? $p99_a : $p99_b;
diag(sprintf('b.test, %d requests each: unloaded p50 %.1f ms, p99 %.1f ms '
             . '(after: p50 %.1f ms, p99 %.1f ms); with %d drippers, three '
             . 'rounds: p50 %.1f ms, p99 %s ms, median %.1f ms (%.1fx the '
             . 'larger unloaded p99), max %.1f ms', $REQUESTS,
             1000 * pct(50, @lat0), 1000 * $p99_a,
             1000 * pct(50, @lat2), 1000 * $p99_b, $n // 0,
             1000 * pct(50, @lat1),
             join(' ', map { sprintf('%.1f', 1000 * $_) } @p99s),
             1000 * $p99_1,
             $p99_0 > 0 ? $p99_1 / $p99_0 : 0, 1000 * $lat1[-1]));
is($ok1, 3 * $REQUESTS, "with $DRIPPERS drippers: every b.test request "
   . "answered ($ok1 of " . 3 * $REQUESTS . ')');
ok($p99_1 <= 5 * $p99_0, sprintf('p99 %.1f ms (the median round) within '
   . '5x the unloaded %.1f ms', 1000 * $p99_1, 1000 * $p99_0));
ok($p99s[-1] < 1, sprintf('p99 %.1f ms (the largest round) under 1 s',
   1000 * $p99s[-1]));
is(scalar(@ta_workers), 0, 'no worker of a.test\'s user was started for '
   . 'the drippers (' . scalar(@ta_workers) . ')');

# the server is fine afterwards: a.test served as its user
my $r = http('a.test', '/whoami.php', port => $port);
is(kv($r->{body})->{uid}, $ta, 'a.test served as peruid_ta afterwards');
is(scalar(routers($master, $port)), 1, 'its router is still there');
