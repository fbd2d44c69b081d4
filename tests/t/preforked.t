# t/preforked.t -- PeruidPreforkedWorkers: workers forked ahead of need,
# still root and bound to no user, holding no client socket, no listener
# and no pool channel; the first request for a user without a worker is
# served by one of them once the master has named its pool, as that user,
# and the master forks a replacement; a record the master would never
# send is logged and ends the worker unbound.  Runs instances of its own
# (inst-prefork-*) on free ports.
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/lib";
use Apache::Test qw(-withtestmore);
use PeruidTest qw(:all);
use Time::HiRes qw(time sleep);
use POSIX ();

plan tests => 4;

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

# The master's end of the bind socket of preforked worker $pid, as a
# handle of ours (pidfd_getfd, Linux 5.6): the only way to send it a record
# the master would not.  The peer comes from ss(8).  undef if not found.
sub master_bind_end {
    my ($master, $pid) = @_;
    my ($ino) = values %{ { socket_inodes($pid) } };
    my %m = socket_inodes($master);
    my ($peer, $fd);
    for (`ss -xaH 2>/dev/null`) {
        my @f = split ' ';      # u_seq ESTAB 0 0 * <inode> * <peer inode>
        $peer = $f[7] if @f >= 8 && defined $ino && $f[5] eq $ino;
    }
    ($fd) = grep { $m{$_} eq $peer } keys %m if defined $peer;
    return undef unless defined $fd;
    my $pidfd = syscall(434, $master + 0, 0);            # pidfd_open
    return undef if $pidfd < 0;
    my $mine = syscall(438, $pidfd, $fd + 0, 0);         # pidfd_getfd
    POSIX::close($pidfd);
    return undef if $mine < 0;
    open my $fh, '+<&=', $mine or return undef;
    return $fh;
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
    # (preforked_prefault): the server's executable is resident in it
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

# A record the master never sends, written to a preforked worker's bind
# socket through the master's end: three bytes (the channel refuses its
# size), then a record of the right size with a bad magic and no
# descriptor (received whole, refused by the check).  Each time the worker
# logs PU00055 with what it got and exits, still root and bound to no
# user; the master forks a replacement, which serves.
subtest 'malformed bind records: logged, the worker leaves unbound' => sub {
    Test::More::plan(tests => 9);
    my ($master, $port, $conf, $dir) = started_instance(
        \%started, 'prefork-bad', mpm => mpm_conf(1));
    ok($master, "instance started (master " . ($master // '-') . ")");
    return unless $master;
    my $elog = "$dir/logs/error_log";
    my @cases = (
        ['3 bytes', 'bad', qr/\(wrong size, truncated or bad descriptors\)/],
        ['a bad magic', pack('LSSLLQLL', 0xdeadbeef, 3, 3, 0, 0, 0, 0, 0),
         qr/\(type 3, pool 0 of \d+, generation 0 \(ours: \d+\), no \w+\)/],
    );
    for my $case (@cases) {
        my ($what, $bytes, $detail) = @$case;
        my @w;
        wait_for(sub { @w = root_children($master); @w == 1 }, 5);
        my $fh = @w == 1 ? master_bind_end($master, $w[0]) : undef;
        ok($fh, "$what: the master's end of the bind socket of preforked "
           . "worker @w");
        my $mark = error_log_mark($elog);
        if ($fh) {
            send($fh, $bytes, 0);
            close $fh;
        }
        my $log = '';
        wait_for(sub {
            $log = error_log_since($mark, $elog);
            $log =~ /PU00055/;
        }, 5);
        my $re = qr/refused a malformed bind record $detail; exiting/;
        like($log, qr/PU00055: preforked worker in slot \d+: $re/,
             "$what: logged with what was wrong");
        ok(@w == 1 && wait_for(sub { !pid_alive($w[0]) }, 5),
           "$what: worker @w left");
    }
    my @ready;
    wait_for(sub { @ready = root_children($master); @ready == 1 }, 5);
    my ($v) = whoami('a.test', $port);
    ok(($v->{uid} // -1) == $ta_uid && served_by($v, @ready),
       "a.test served as peruid_ta by the replacement (@ready)");
    my @left = instance_stop($master, 10);
    is("@left", '', 'instance stopped');
};
