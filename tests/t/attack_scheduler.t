# t/attack_scheduler.t -- a tenant with native code cannot make the master
# grow its pool, nor starve another user's, by forging what its worker can
# write.  The attacker: a.test with PHP's FFI enabled (this test's vhost
# only), whose forge_sched.php writes "idle = -1000, starting = 0" into its
# pool's shared counter page every 10 ms for 2 s -- the counters the
# master used to take for "a thousand connections wait for a.test" -- and
# swings its done counter, which routers weigh against MaxRequestWorkers
# within bounds only the master writes (gate.h).  MaxRequestWorkers 6,
# a.test given 3 workers first (its share), and default.test busy with 3
# slow requests during the attack, so that the routers' gate is at work:
# a forged "all of a.test's 3 workers are busy" would make 6 and hold
# every b.test request until its 503.  The
# master now plans from the kernel's queue length, its own child table
# and the routers' page (schedule.c), so a.test keeps the one worker that
# runs the script, and b.test answers every request meanwhile.
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/lib";
use Apache::Test qw(-withtestmore);
use PeruidTest qw(:all);
use POSIX ();
use Time::HiRes qw(time sleep);

plan skip_all => 'PHP (mod_php) is not installed' unless vars('peruid_php');
plan tests => 8;

my %started;    # conf file => master pid, for the END block
END { stop_instances(\%started) }

my $port = free_port();
my $attack = root() . '/htdocs/attack';
my ($master) = started_instance(\%started, 'attack-sched', port => $port,
    a_assign => 'peruid_ta peruid_ta', mpm => <<'EOF', body => <<"EOF2");
StartServers 0
MinSpareServers 0
MaxSpareServers 4
ServerLimit 10
MaxRequestWorkers 6
PeruidWarmWorkers 6
PeruidIdleTimeout 60
PeruidRouters 1
EOF
<VirtualHost 127.0.0.1:$port>
    ServerName evil.test
    DocumentRoot "$attack"
    AssignUserID peruid_ta peruid_ta
    php_admin_value ffi.enable 1
</VirtualHost>
EOF2
ok($master, 'instance started') or exit;
my ($ta) = ids_of('peruid_ta');

# requests in the background; returns their pids
sub background {
    my ($host, $path, $n) = @_;
    my @kids;
    for (1 .. $n) {
        my $k = fork // die "fork: $!";
        if (!$k) {
            my $r = http($host, $path, port => $port, timeout => 20);
            POSIX::_exit(($r->{status} // 0) == 200 ? 0 : 1);
        }
        push @kids, $k;
    }
    return @kids;
}

# a.test's and default.test's pools grow to 3 workers each, their share,
# with 5 slow requests each at once; the workers then stay idle; b.test
# gets its worker
my $warm_ok = 0;
for (background('a.test', '/sleep.php?s=2', 5),
     background('default.test', '/sleep.php?s=2', 5)) {
    waitpid($_, 0);
    $warm_ok++ if $? == 0;
}
http('b.test', '/whoami.php', port => $port, timeout => 5);
my $before = () = workers_of_uid($master, $ta, $port);
my ($td) = ids_of('peruid_td');
my $d_before = () = workers_of_uid($master, $td, $port);
is("$warm_ok $before $d_before", '10 3 3', 'a.test and default.test served '
   . '5 slow requests each and kept 3 workers each, their share '
   . "($warm_ok, $before, $d_before)");

# default.test busy with 3 requests, for longer than the attack
my @slow = background('default.test', '/sleep.php?s=4', 3);
# the attack runs in the background for 2 s
my $pid = fork // die "fork: $!";
if (!$pid) {
    my $r = http('evil.test', '/forge_sched.php?s=2', port => $port,
                 timeout => 20);
    print STDOUT "# attacker: ", ($r->{status} // '-'), " ",
          join(' ', split /\n/, $r->{body} // ''), "\n";
    POSIX::_exit(($r->{status} // 0) == 200
                 && ($r->{body} // '') =~ /^pages=[1-9]/m ? 0 : 1);
}
sleep 0.5;
# meanwhile, until the attacker is done (and at least 5 times): a.test's
# ordinary requests (each one is a router dispatch that reads the forged
# count) and b.test's; the look at /proc is the pause between rounds
my ($rounds, $b_ok, $a_ok, $most, $status) = (0, 0, 0, 0, undef);
my $b_slowest = 0;
my $t_end = time + 30;
while (time < $t_end) {
    $status = $? if !defined $status
                    && waitpid($pid, POSIX::WNOHANG()) == $pid;
    last if defined $status && $rounds >= 5;
    $rounds++;
    my $t0 = time;
    my $r = http('b.test', '/whoami.php', port => $port, timeout => 5);
    $b_ok++ if ($r->{status} // 0) == 200;
    $b_slowest = time - $t0 if time - $t0 > $b_slowest;
    $r = http('a.test', '/site.txt', port => $port, timeout => 5);
    $a_ok++ if ($r->{status} // 0) == 200;
    my $n = () = workers_of_uid($master, $ta, $port);
    $most = $n if $n > $most;
}
my $slow_ok = 0;
for (@slow) { waitpid($_, 0); $slow_ok++ if $? == 0 }
is($status, 0, 'the attacker ran: it found and wrote its pool\'s page');
is($b_ok, $rounds, "b.test answered all $rounds requests during the "
   . "attack, with default.test's $slow_ok slow ones");
# a forged count holds b.test's requests at most until a pass the router
# asks for at once (gate.c bounds the forgery between passes too); taken
# at face value, it held them until the master's once-a-second pass or
# default.test's slow requests ended (0.95 s measured)
cmp_ok($b_slowest, '<', 0.5, sprintf('b.test\'s slowest answer took '
       . '%.3f s', $b_slowest));
is($a_ok, $rounds, 'a.test still served its own requests');
cmp_ok($most, '<=', 3, "a.test had no more than its 3 workers during "
       . "the attack ($most; before the planner the forged count grew it "
       . 'to every slot)');
# and afterwards nothing was started for the forged thousand (a master
# pass runs every second)
sleep 1.1;
my $n = () = workers_of_uid($master, $ta, $port);
cmp_ok($n, '<=', 3, "a.test has no more than its 3 workers after the "
       . "attack ($n)");
