# t/attack_restart.t -- a tenant with native code cannot outlive a
# restart or a stop of the server.  The attacker: evil.test, a vhost of
# peruid_ta with PHP's FFI enabled (this test's only), whose outlive.php
# ignores SIGHUP, SIGTERM, SIGUSR1 and SIGWINCH, leaves the server's
# process group and zeroes its pid on every shared page it maps every
# millisecond (httpd's ap_reclaim_child_processes took the pids to signal
# and kill from the scoreboard, and ap_mpm_safe_kill refuses a pid
# outside the process group; the scoreboard is now private to each
# worker, sbcopy.c, so it finds none there).  The master signals, and then kills, the pids of its own table
# (children.c): after `apache2 -k restart`, a graceful restart's Timeout,
# a graceful-stop's GracefulShutdownTimeout and `apache2 -k stop` the
# attacker is gone, and the server answers everybody.  Before, it survived
# each of them and went on with the old configuration.
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/lib";
use Apache::Test qw(-withtestmore);
use PeruidTest qw(:all);
use Time::HiRes qw(time sleep);

plan skip_all => 'PHP (mod_php) is not installed' unless vars('peruid_php');
plan tests => 5;

my %started;    # conf file => master pid, for the END block
my %attackers;  # pids of the attackers, killed at the end if still there
my ($ta_uid) = ids_of('peruid_ta');
END {
    stop_instances(\%started);
    kill 'KILL', grep { pid_alive($_) && (proc_uid($_) // -1) == $ta_uid }
                 keys %attackers;
}
my ($tb_uid) = ids_of('peruid_tb');
my $attack = root() . '/htdocs/attack';
my $bin = vars('httpd') || '/usr/sbin/apache2';

# A small instance of our own: the attacker's vhost, and short Timeout
# and GracefulShutdownTimeout so that the grace kills come soon.
sub start {
    my ($name) = @_;
    my $port = free_port();
    my ($master, undef, $conf, $dir) = started_instance(\%started, $name,
        port => $port, mpm => <<'EOF', body => <<"EOF2");
StartServers 2
MinSpareServers 0
MaxSpareServers 4
ServerLimit 12
MaxRequestWorkers 8
PeruidRouters 1
Timeout 3
GracefulShutdownTimeout 3
EOF
<VirtualHost 127.0.0.1:$port>
    ServerName evil.test
    DocumentRoot "$attack"
    AssignUserID peruid_ta peruid_ta
    php_admin_value ffi.enable 1
</VirtualHost>
EOF2
    return { master => $master, port => $port, conf => $conf, dir => $dir,
             elog => "$dir/logs/error_log" };
}

# apache2 -k $cmd for the instance (it signals the master of the pid file)
sub ctl {
    my ($i, $cmd) = @_;
    my $out = `\Q$bin\E -d \Q$i->{dir}\E -f \Q$i->{conf}\E -k $cmd 2>&1`;
    Test::More::diag("apache2 -k $cmd: $out") if $? != 0;
    return $? == 0;
}

# Start outlive.php; returns (its pid, the connection, the "armed" line).
# The attacker holds its worker until it is killed, or for 40 s.
sub arm {
    my ($i) = @_;
    my $c = keepalive_connect(port => $i->{port}) or return;
    ka_send($c, 'evil.test', '/outlive.php?s=40',
            headers => ['Connection: close']);
    my $sel = IO::Select->new($c->{sock});
    my $t_end = time + 10;
    while ($c->{buf} !~ /armed pid=\d+.*\n/ && time < $t_end) {
        next unless $sel->can_read(0.5);
        my $n = sysread($c->{sock}, my $buf, 4096);
        last unless $n;
        $c->{buf} .= $buf;
    }
    my ($line) = $c->{buf} =~ /(armed pid=\d+ words=\d+ pgid=\d+)/;
    my ($pid) = ($line // '') =~ /pid=(\d+)/;
    $attackers{$pid} = 1 if $pid;
    return ($pid, $c, $line // 'no answer: ' . $c->{buf});
}

# The attack is in place: the worker runs as peruid_ta, it ignores the
# signals and it left the process group.  It zeroes every copy of its pid
# on the shared pages it maps: the scoreboard was one of them, and since
# each worker has a private scoreboard (sbcopy.c) there is none there
# (words=0), so that the master's own table is what the test tries.
sub armed_ok {
    my ($label, $pid, $line) = @_;
    my ($words, $pgid) = ($line =~ /words=(\d+) pgid=(\d+)/);
    return ok($pid && (proc_uid($pid) // -1) == $ta_uid && defined $words
              && ($pgid // 0) == $pid,
              "$label: the attacker is armed ($line)");
}

sub serves_both {
    my ($i) = @_;
    my @got = map {
        my $r = http($_, '/whoami.php', port => $i->{port}, timeout => 10);
        ($r->{status} // '-') . '/' . (kv($r->{body})->{uid} // '-');
    } qw(a.test b.test);
    return "@got" eq "200/$ta_uid 200/$tb_uid" ? 1 : "@got";
}

# A new instance with the attacker armed in it (2 tests); returns the
# instance, the attacker's pid and its connection, or nothing.
sub armed_instance {
    my ($name, $label) = @_;
    my $i = start($name);
    ok($i->{master}, "$name: instance started") or return;
    my ($pid, $c, $line) = arm($i);
    armed_ok($label, $pid, $line) or return;
    return ($i, $pid, $c);
}

subtest '-k restart: the attacker and every old child are gone' => sub {
    Test::More::plan(tests => 7);
    my ($i, $pid, $c) = armed_instance('attack-restart',
                                       'before the restart') or return;
    my @old = children_of($i->{master});
    my $mark = error_log_mark($i->{elog});
    ok(ctl($i, 'restart'), 'apache2 -k restart');
    ok(wait_for(sub { !pid_alive($pid) }, 20),
       "the attacker (pid $pid) is gone after the restart");
    my @left = grep { pid_alive($_) } @old;
    is("@left", '', 'no child of the old generation is left ('
       . scalar(@old) . ' before)');
    my $served = wait_for(sub { serves_both($i) eq '1' }, 10);
    is($served ? 1 : serves_both($i), 1, 'a.test and b.test are served as '
       . 'their users afterwards');
    # one summary line for the children killed, none of httpd's lines
    # per pid ("child process N still did not exit, sending a SIGTERM")
    my $log = error_log_since($mark, $i->{elog});
    ok($log =~ /PU00070: .*\b$pid\b/ && $log !~ /still did not exit/,
       'the kill is logged once (PU00070), naming the attacker');
    close $c->{sock};
};

# The copy of a worker that its PHP forked is no child the master forked:
# it holds the pool's channel and, after a restart, took its user's
# connections with the old configuration.  The master looks for such
# holders at every restart (children.c) and kills them.
subtest '-k restart: a copy of a worker forked by PHP is gone' => sub {
    Test::More::plan(tests => 6);
    my $i = start('attack-fork');
    ok($i->{master}, 'attack-fork: instance started') or return;
    # both the worker and its copy hold the client socket: generous
    my $r = http('evil.test', '/fork.php', port => $i->{port}, timeout => 30);
    my ($copy) = ($r->{raw} // '') =~ /forked copy=(\d+)/;
    $attackers{$copy} = 1 if $copy;
    ok($copy && wait_for(sub { pid_alive($copy) }, 2)
       && (proc_uid($copy) // -1) == $ta_uid,
       'a worker of peruid_ta forked a copy of itself ('
       . ($copy // 'none') . ')') or return;
    my $mark = error_log_mark($i->{elog});
    ok(ctl($i, 'restart'), 'apache2 -k restart');
    ok(wait_for(sub { !pid_alive($copy) }, 15),
       "the copy (pid $copy) is gone after the restart");
    my @by = map {
        kv(http('a.test', '/whoami.php', port => $i->{port},
                timeout => 10)->{body})->{pid} // '-'
    } 1 .. 10;
    ok(!grep({ $_ eq $copy } @by),
       "a.test's next 10 requests were served by the new workers (@by)");
    like(error_log_since($mark, $i->{elog}), qr/PU00072: .*\b$copy\b/,
         'the kill is logged (PU00072), naming the copy');
};

subtest '-k graceful: the attacker is killed after Timeout' => sub {
    Test::More::plan(tests => 4);
    my ($i, $pid, $c) = armed_instance('attack-graceful',
                                       'before the graceful restart')
        or return;
    ok(ctl($i, 'graceful'), 'apache2 -k graceful');
    # Timeout 3: the planner's grace kill (PU00052) comes 3 s later
    ok(wait_for(sub { !pid_alive($pid) }, 20),
       "the attacker (pid $pid) is gone after the graceful restart");
    close $c->{sock};
};

# apache2 -k $cmd stops the server: the master, the attacker and every
# other child are gone (5 tests)
sub gone_with_the_server {
    my ($name, $cmd) = @_;
    my ($i, $pid, $c) = armed_instance($name, "before $cmd") or return;
    my @old = children_of($i->{master});
    ok(ctl($i, $cmd), "apache2 -k $cmd");
    ok(wait_for(sub { !pid_alive($i->{master}) && !pid_alive($pid) }, 25),
       "the master and the attacker (pid $pid) are gone");
    my @left = grep { pid_alive($_) } @old;
    is("@left", '', 'no child is left (' . scalar(@old) . ' before)');
    close $c->{sock};
}

subtest '-k graceful-stop: the attacker is gone with the server' => sub {
    Test::More::plan(tests => 5);
    gone_with_the_server('attack-gstop', 'graceful-stop');
};

subtest '-k stop: the attacker is gone with the server' => sub {
    Test::More::plan(tests => 5);
    gone_with_the_server('attack-stop', 'stop');
};
