# t/attack_scheduler.t -- a tenant with native code cannot make the master
# grow its pool, nor starve another user's, by forging what its worker can
# write.  The attacker: a.test with PHP's FFI enabled (this test's vhost
# only), whose forge_sched.php writes "idle = -1000, starting = 0" into its
# pool's shared counter page every 10 ms for 2 s -- the counters the
# master used to take for "a thousand connections wait for a.test".  The
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
plan tests => 6;

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
MaxRequestWorkers 8
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
my $t_end = time + 30;
while (time < $t_end) {
    $status = $? if !defined $status
                    && waitpid($pid, POSIX::WNOHANG()) == $pid;
    last if defined $status && $rounds >= 5;
    $rounds++;
    my $r = http('b.test', '/whoami.php', port => $port, timeout => 5);
    $b_ok++ if ($r->{status} // 0) == 200;
    $r = http('a.test', '/site.txt', port => $port, timeout => 5);
    $a_ok++ if ($r->{status} // 0) == 200;
    my $n = () = workers_of_uid($master, $ta, $port);
    $most = $n if $n > $most;
}
is($status, 0, 'the attacker ran: it found and wrote its pool\'s page');
is($b_ok, $rounds, "b.test answered all $rounds requests during the "
   . 'attack');
is($a_ok, $rounds, 'a.test still served its own requests');
cmp_ok($most, '<=', 2, "a.test had at most 2 workers during the attack "
       . "($most; before the planner the forged count grew it to every "
       . 'slot)');
# and afterwards nothing was started for the forged thousand (a master
# pass runs every second)
sleep 1.1;
my $n = () = workers_of_uid($master, $ta, $port);
cmp_ok($n, '<=', 2, "a.test has at most 2 workers after the attack ($n)");
