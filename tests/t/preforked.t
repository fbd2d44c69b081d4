# t/preforked.t -- PeruidPreforkedWorkers: workers forked ahead of need,
# still root and bound to no user, holding no client socket, no listener
# and no pool channel; the first request for a user without a worker is
# served by one of them once the master has named its pool, as that user,
# and the master forks a replacement.  Runs instances of its own
# (inst-prefork-*) on free ports.
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/lib";
use Apache::Test qw(-withtestmore);
use PeruidTest qw(:all);
use Time::HiRes qw(time sleep);

plan tests => 3;

my ($ta_uid, $ta_gid) = ids_of('peruid_ta');
my ($tb_uid) = ids_of('peruid_tb');
my %started;    # conf file => master pid, for the END block

END { stop_instances(\%started) }

# children of $master still running as root: the preforked workers
sub root_children {
    my $master = shift;
    return grep { (proc_uid($_) // -1) == 0 } children_of($master);
}

# kB of the executable mappings of $file in $pid: (size, resident)
sub code_mapped {
    my ($pid, $file) = @_;
    my ($size, $rss, $in) = (0, 0, 0);
    open my $fh, '<', "/proc/$pid/smaps" or return (0, 0);
    while (my $l = <$fh>) {
        if ($l =~ /^[0-9a-f]+-[0-9a-f]+ (\S+) \S+ \S+ \d+\s*(.*)$/) {
            $in = $1 eq 'r-xp' && $2 eq $file;
        }
        elsif ($in && $l =~ /^Size:\s+(\d+) kB/) { $size += $1 }
        elsif ($in && $l =~ /^Rss:\s+(\d+) kB/) { $rss += $1 }
    }
    return ($size, $rss);
}

sub mpm_conf {
    my $n = shift;
    return <<"EOF";
StartServers 0
MinSpareServers 0
MaxSpareServers 4
ServerLimit 16
MaxRequestWorkers 12
PeruidRouters 1
PeruidIdleTimeout 60
PeruidPreforkedWorkers $n
EOF
}

# GET /whoami.php of $host: (the key=value lines as a hash, the response)
sub whoami {
    my ($host, $port) = @_;
    my $r = http($host, '/whoami.php', port => $port);
    return (kv($r->{body} // ''), $r);
}

# did the process in $v (a whoami hash) belong to @pids?
sub served_by {
    my ($v, @pids) = @_;
    return scalar grep { $_ == ($v->{pid} // 0) } @pids;
}

# an instance with PeruidPreforkedWorkers $n: (master, port); one test
sub preforked_instance {
    my $n = shift;
    my ($master, $port)
        = started_instance(\%started, "prefork-$n", mpm => mpm_conf($n));
    ok($master, "instance started (master " . ($master // '-') . ")");
    return ($master, $port);
}

subtest 'PeruidPreforkedWorkers 2: forked ahead, bound on demand' => sub {
    Test::More::plan(tests => 13);
    my ($master, $port) = preforked_instance(2);
    return unless $master;
    my @spares;
    wait_for(sub { @spares = root_children($master); @spares == 2 }, 5);
    is(scalar(@spares), 2, "two preforked workers, root, bound to no user: "
       . "@spares");

    # what a preforked worker holds: one socket (its bind socket, a Unix
    # socket), no TCP socket at all (no listener, no client)
    my $tcp = tcp_table();
    my $unix = unix_inodes();
    my (@tcp_held, @other);
    for my $pid (@spares) {
        my %s = socket_inodes($pid);
        for my $ino (values %s) {
            if ($tcp->{$ino}) {
                push @tcp_held, "$pid:$ino";
            }
            elsif (!$unix->{$ino}) {
                push @other, "$pid:$ino";
            }
        }
        is(scalar(keys %s), 1, "preforked worker $pid holds exactly one "
           . 'socket (its bind socket)');
    }
    is(join(' ', @tcp_held, @other), '', 'none of them holds a TCP socket '
       . 'or a socket of another kind');

    # while it waits, a preforked worker maps in the code it will run
    # (worker_prefault): the server's executable is resident in it
    # without a single request served.  A child that only forked and
    # waited has touched a small part of it.
    my $bin = readlink("/proc/$spares[0]/exe") // '';
    my @mapped;
    my $short = sub { grep { !$_->[0] || $_->[1] < 0.9 * $_->[0] } @mapped };
    wait_for(sub {
        @mapped = map { [code_mapped($_, $bin)] } @spares;
        !$short->();
    }, 5);
    ok(!$short->(),
       "the code of $bin is mapped in each preforked worker before its "
       . 'first request (resident/size kB: '
       . join(', ', map { "$_->[1]/$_->[0]" } @mapped) . ')');

    # a.test has no worker: one of the preforked ones serves it
    my ($v, $r) = whoami('a.test', $port);
    ok(($r->{status} // 0) == 200 && ($v->{uid} // -1) == $ta_uid
       && ($v->{euid} // -1) == $ta_uid && ($v->{gid} // -1) == $ta_gid,
       "a.test served as peruid_ta (uid $v->{uid}, euid $v->{euid}, "
       . "gid $v->{gid})");
    ok(served_by($v, @spares),
       "by preforked worker $v->{pid}, bound to peruid_ta's pool");
    my @now;
    my $again = wait_for(sub {
        @now = grep { my $p = $_; !grep { $_ == $p } @spares }
               root_children($master);
        @now >= 1;
    }, 5);
    ok($again, "the master forks a new preforked worker: @now");
    ($v) = whoami('b.test', $port);
    is($v->{uid}, $tb_uid, 'b.test served as peruid_tb');

    # a graceful restart: the preforked workers of the old generation
    # leave, two of the new one take their place and serve
    wait_for(sub { root_children($master) == 2 }, 5);
    my @old = root_children($master);
    kill 'USR1', $master;
    my @new;
    my $renewed = wait_for(sub {
        @new = root_children($master);
        my %o = map { $_ => 1 } @old;
        @new == 2 && !grep { $o{$_} } @new;
    }, 10);
    ok($renewed, "after a graceful restart two new preforked workers "
       . "(@new) replace the old ones (@old)");
    ($v) = whoami('a.test', $port);
    ok(($v->{uid} // -1) == $ta_uid && served_by($v, @new),
       "a.test served as peruid_ta by new preforked worker $v->{pid}");
    my @left = instance_stop($master, 10);
    is("@left", '', 'instance stopped');
};

# The replacement of a bound preforked worker is forked about 0.1 s after
# the bind (schedule.c, SCHED_REFILL_DELAY), not at the master's next
# once-a-second pass: with one preforked worker kept, a second user's
# first request 0.3 s after the first user's finds the replacement there.
subtest 'PeruidPreforkedWorkers 1: replaced before the next new user' => sub {
    Test::More::plan(tests => 4);
    my ($master, $port) = preforked_instance(1);
    return unless $master;
    my @ready;
    wait_for(sub { @ready = root_children($master); @ready == 1 }, 5);
    for my $host ('a.test', 'b.test') {
        my $uid = $host eq 'a.test' ? $ta_uid : $tb_uid;
        my ($v) = whoami($host, $port);
        ok(@ready == 1 && ($v->{uid} // -1) == $uid && served_by($v, @ready),
           "$host served as its user by the preforked worker that was there "
           . "(@ready; served by " . ($v->{pid} // '-') . ')');
        sleep 0.3;
        @ready = root_children($master);    # no waiting: there by now
    }
    my @left = instance_stop($master, 10);
    is("@left", '', 'instance stopped');
};

subtest 'PeruidPreforkedWorkers 0 (the default): no root child' => sub {
    Test::More::plan(tests => 3);
    my ($master, $port) = preforked_instance(0);
    return unless $master;
    sleep 1.5;              # a periodic pass of the master
    my @root = root_children($master);
    is("@root", '', 'no child runs as root');
    my @left = instance_stop($master, 10);
    is("@left", '', 'instance stopped');
};
