# t/cap_warning.t -- when a user's share (PeruidMaxUserShare) or
# MaxRequestWorkers holds a user's connections back, the master says so,
# naming the user, as prefork says AH00161: at most once a minute per
# user (PU00153) and for the server (PU00154), whether or not a 503
# follows (planner.c marks the pools a bound held back, schedule.c logs,
# capwarn.c rate-limits).  The module before logged only the 503s at the
# deadline (PU00053, PU00057); with PeruidPeekTimeout 30 here no
# connection gets one, so it logged nothing.
#
# First instance: MaxRequestWorkers 6, PeruidMaxUserShare 50 (3 workers
# a user).  Six 3-second requests for a.test (peruid_ta): three wait for
# its workers: one PU00153 line naming peruid_ta and its share; b.test's
# two requests meanwhile are served at once, and no line names
# peruid_tb.  A second burst within the minute adds no line.
#
# Second instance: MaxRequestWorkers 4, PeruidMaxUserShare 75 (3 a
# user).  Three long requests for a.test take three workers (its share,
# and nothing of it waits; the test waits until the three are there),
# then three for b.test: one gets the fourth worker, the others wait
# for MaxRequestWorkers: one PU00154 line naming peruid_tb, no
# PU00153.  (Sent at once, both users' requests would race for the
# four workers, and either user could be the one left waiting.)
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/lib";
use Apache::Test qw(-withtestmore);
use PeruidTest qw(:all);
use POSIX ();
use Time::HiRes qw(sleep);

plan skip_all => 'PHP (mod_php) is not installed' unless vars('peruid_php');
plan tests => 15;

my %started;    # conf file => master pid, for the END block
END { stop_instances(\%started) }

my ($ta_uid) = ids_of('peruid_ta');
my ($tb_uid) = ids_of('peruid_tb');

# $n requests for $host's sleep.php?s=$s at once, each answered
# "STATUS/DONE?" in order.
sub burst {
    my ($port, $host, $n, $s) = @_;
    return in_parallel(map {
        sub {
            my $r = http($host, "/sleep.php?s=$s", port => $port,
                         timeout => 40);
            my $done = ($r->{body} // '') =~ /DONE/ ? 'done' : 'cut';
            return ($r->{status} // '-') . "/$done";
        }
    } 1 .. $n);
}

# burst(@args) in a child process, at once; returns a sub that waits for
# it and returns its answers, space-separated.
sub burst_behind {
    my @args = @_;
    pipe(my $rd, my $wr) or die "pipe: $!";
    my $pid = fork // die "fork: $!";
    if (!$pid) {
        close $rd;
        print $wr join(' ', burst(@args)), "\n";
        close $wr;
        POSIX::_exit(0);
    }
    close $wr;
    return sub {
        my $line = readline($rd) // '';
        chomp $line;
        waitpid($pid, 0);
        return $line;
    };
}

# The lines of $log with tag $tag.
sub tagged {
    my ($log, $tag) = @_;
    return grep { /\b$tag:/ } split /\n/, $log;
}

# ------------------------------------------------ a user's share
my ($m1, $port1, undef, $dir1) = started_instance(\%started, 'cap_share',
    mpm => small_mpm('MaxRequestWorkers 6', 'PeruidMaxUserShare 50',
                     'PeruidPeekTimeout 30'));
ok($m1, 'instance with MaxRequestWorkers 6, PeruidMaxUserShare 50 started')
    or exit;
my $elog1 = "$dir1/logs/error_log";
my $mark = error_log_mark($elog1);

# a.test's six, and b.test's two once a.test's are in
my $a_done = burst_behind($port1, 'a.test', 6, 3);
sleep 1;
my @b = burst($port1, 'b.test', 2, 1);
my $a = $a_done->();
is("@b", '200/done 200/done', 'b.test: its 2 requests served meanwhile');
is($a, join(' ', ('200/done') x 6), 'a.test: its 6 requests served, the '
   . 'last 3 after the first 3 (no 503)');

my $log = '';
wait_for(sub { ($log = error_log_since($mark, $elog1)) =~ /PU00153/ }, 10,
         0.2);
my @share = tagged($log, 'PU00153');
is(scalar(@share), 1, 'one PU00153 line') or diag($log);
like($share[0] // '', qr/PU00153: user peruid_ta \(uid $ta_uid\) reached its PeruidMaxUserShare \(50% of MaxRequestWorkers 6: 3 workers\): \d+ of its connections wait for one of its workers \(\d+ pass(?:es)? found it so since the last such line\), consider raising PeruidMaxUserShare/,
     'it names peruid_ta, its uid and the setting');
like($share[0] // '', qr/\[mpm_peruid:warn\]/, '... at warn');
my @tb = grep { /peruid_tb|uid $tb_uid\b/ }
    (tagged($log, 'PU00153'), tagged($log, 'PU00154'));
is(scalar(@tb), 0, 'no line names peruid_tb, served meanwhile')
    or diag(join("\n", @tb));
is(scalar(tagged($log, 'PU00154')), 0, 'no PU00154: 5 of 6 busy at most');

# again within the minute: no second line
my @again = burst($port1, 'a.test', 6, 2);
is("@again", join(' ', ('200/done') x 6), 'a.test: a second burst served');
$log = error_log_since($mark, $elog1);
is(scalar(tagged($log, 'PU00153')), 1,
   'still one PU00153 line within the minute');

# ------------------------------------------------ MaxRequestWorkers
my ($m2, $port2, undef, $dir2) = started_instance(\%started, 'cap_max',
    mpm => small_mpm('MaxRequestWorkers 4', 'PeruidMaxUserShare 75',
                     'PeruidPeekTimeout 30'));
ok($m2, 'instance with MaxRequestWorkers 4, PeruidMaxUserShare 75 started')
    or exit;
my $elog2 = "$dir2/logs/error_log";
$mark = error_log_mark($elog2);
$a_done = burst_behind($port2, 'a.test', 3, 6);
my $a3 = wait_for(sub { workers_of_uid($m2, $ta_uid, $port2) >= 3 }, 10,
                  0.05);
@b = burst($port2, 'b.test', 3, 2);
$a = $a_done->();
is(($a3 ? 'a.test had 3 workers' : 'a.test did not get 3 workers')
   . ": @b $a", 'a.test had 3 workers: ' . join(' ', ('200/done') x 6),
   'a.test\'s 3 requests took 3 workers; b.test\'s 3 and a.test\'s 3 '
   . 'requests served');
$log = '';
wait_for(sub { ($log = error_log_since($mark, $elog2)) =~ /PU00154/ }, 10,
         0.2);
my @max = tagged($log, 'PU00154');
is(scalar(@max), 1, 'one PU00154 line') or diag($log);
like($max[0] // '', qr/PU00154: server reached MaxRequestWorkers setting \(4\), consider raising the MaxRequestWorkers setting; users waiting for a worker: peruid_tb \(uid $tb_uid\) \(\d+ pass(?:es)? found it so since the last such line\)/,
     'it names the setting and peruid_tb, which waited');
is(scalar(tagged($log, 'PU00153')), 0, 'no PU00153: no user was at its '
   . 'share with connections waiting');
