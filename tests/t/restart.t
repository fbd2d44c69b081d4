# t/restart.t -- graceful restart and graceful-stop under load, stop,
# and workers/routers killed with SIGKILL.  Runs an httpd instance of its
# own (Apache::Test owns the main one) on a free 127.0.0.1 port, under
# $PERUID_ITEST_ROOT/inst-restart; it is stopped by pid at the end, even
# when a test dies (and by tests/run-integration.sh after that).
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/lib";
use Apache::Test qw(-withtestmore);
use PeruidTest qw(:all);
use POSIX ();
use Time::HiRes qw(time sleep);

plan tests => 14;

my ($ta_uid) = ids_of('peruid_ta');
my ($tb_uid) = ids_of('peruid_tb');
my ($td_uid) = ids_of('peruid_td');
my %uid_of = ('a.test' => $ta_uid, 'b.test' => $tb_uid,
              'default.test' => $td_uid);
my @hosts = sort keys %uid_of;

my $port = free_port();
my ($conf, $dir) = instance_conf('restart', port => $port);
my $elog = "$dir/logs/error_log";
my $master;
my %seen;       # every pid of the instance we have seen

sub note_pids {
    return unless $master && pid_alive($master);
    $seen{$_} = 1 for instance_pids($master);
}

END {
    # never leave the instance behind, whatever happened above
    if ($master && ours($master, $conf)) {
        instance_stop($master, 10);
    }
    for my $pid (keys %seen) {
        kill 'KILL', $pid if ours($pid, $conf);
    }
}

# one request; classify the outcome: ok, refused (connect failed),
# closed (no byte of a response), bad (anything else: partial, wrong
# status, wrong user)
sub one {
    my ($host, $path) = @_;
    my $r = http($host, $path || '/whoami.php', port => $port, timeout => 15);
    if (($r->{error} || '') =~ /^connect/) {
        return ('refused', $r->{error});
    }
    if ($r->{raw} eq '') {
        return ('closed', $r->{error} || 'eof');
    }
    my $v = kv($r->{body});
    if (defined $r->{status} && $r->{status} == 200 && $r->{complete}
        && defined $v->{uid} && $v->{uid} == $uid_of{$host}) {
        return ('ok', '');
    }
    return ('bad', "$host: status " . ($r->{status} // '-') . " uid "
                   . ($v->{uid} // '-') . " bytes " . length($r->{raw}));
}

# load($seconds, $clients): fork clients that request whoami.php of the
# three vhosts in turn on fresh connections until the time is up.
# Returns a handle for load_wait.
sub load_start {
    my ($seconds, $clients) = @_;
    my @kids;
    for my $i (1 .. $clients) {
        my $out = "$dir/load.$i";
        unlink $out;
        my $pid = fork;
        die "fork: $!" unless defined $pid;
        if (!$pid) {
            my %n = (ok => 0, refused => 0, closed => 0, bad => 0);
            my @why;
            my ($first, $last) = (0, 0);     # when the first/last ok began
            my $end = time + $seconds;
            my $k = $i;
            while (time < $end) {
                my $host = $hosts[$k++ % @hosts];
                my $t = time;
                my ($res, $why) = one($host);
                $n{$res}++;
                if ($res eq 'ok') {
                    $first ||= $t;
                    $last = $t;
                }
                push @why, "$res $why" if $res ne 'ok' && @why < 10;
            }
            open my $fh, '>', $out or POSIX::_exit(1);
            print $fh join(' ', map { "$_=$n{$_}" } sort keys %n),
                      " first=$first last=$last\n", map { "$_\n" } @why;
            close $fh;
            POSIX::_exit(0);
        }
        push @kids, [$pid, $out];
    }
    return \@kids;
}

# Returns the summed counts, with first/last: the earliest and latest
# start of a request that was served (0 when none was).
sub load_wait {
    my $kids = shift;
    my %n = (ok => 0, refused => 0, closed => 0, bad => 0, first => 0,
             last => 0);
    my @why;
    for my $k (@$kids) {
        waitpid($k->[0], 0);
        my $s = slurp($k->[1]) // '';
        my ($counts, @w) = split /\n/, $s;
        for (split ' ', $counts // '') {
            my ($key, $v) = split /=/;
            if ($key eq 'first') {
                $n{first} = $v if $v && (!$n{first} || $v < $n{first});
            }
            elsif ($key eq 'last') {
                $n{last} = $v if $v > $n{last};
            }
            else {
                $n{$key} += $v;
            }
        }
        push @why, @w;
    }
    return (\%n, \@why);
}

sub serves_everybody {
    my ($label, $times) = @_;
    $times ||= 1;
    my @bad;
    for (1 .. $times) {
        for my $host (@hosts) {
            my ($res, $why) = one($host);
            push @bad, "$host: $res $why" if $res ne 'ok';
        }
    }
    is("@bad", '', "$label: a.test, b.test, default.test served "
       . "($times times each) as their users");
}

# A subtest that finds the instance dead (an earlier one failed) starts
# a new one, so that each subtest tests its own thing.
sub ensure_instance {
    return 1 if $master && ours($master, $conf);
    diag("the instance is not running (master "
         . ($master // '-') . " gone); starting a new one");
    for my $pid (keys %seen) {
        kill 'KILL', $pid if ours($pid, $conf);
    }
    $master = instance_start($conf, $dir, $port);
    note_pids();
    return $master ? 1 : 0;
}

# ------------------------------------------------------------------ start
$master = instance_start($conf, $dir, $port);
ok($master, "instance started on 127.0.0.1:$port (master $master)")
    or BAIL_OUT("cannot start the test instance; see $elog");
note_pids();

subtest 'graceful restart (SIGUSR1) under load: no request fails' => sub {
    Test::More::plan(tests => 6);
    serves_everybody('before');
    my @old_routers = routers($master, $port);
    my $mark = error_log_mark($elog);
    my $load = load_start(2.5, 4);
    sleep 0.6;
    note_pids();
    my $t1 = time;
    kill 'USR1', $master;
    sleep 0.9;
    note_pids();
    my $t2 = time;
    kill 'USR1', $master;
    my ($n, $why) = load_wait($load);
    note_pids();
    diag(join "\n", @$why) if @$why;
    is("$n->{refused}/$n->{closed}/$n->{bad}", '0/0/0',
       "no refused/closed/bad request across two graceful restarts "
       . "($n->{ok} served)");
    # "0/0/0" means something only if requests ran across the restarts
    # (how many is the machine's business)
    ok($n->{ok} > 0 && $n->{first} < $t1 && $n->{last} > $t2,
       sprintf('the load spanned both restarts (%d served, from %.1f s '
               . 'before the first to %.1f s after the second)', $n->{ok},
               $t1 - ($n->{first} || $t1), ($n->{last} || $t2) - $t2));
    ok(pid_alive($master), 'the master is the same process');
    my $log = error_log_since($mark, $elog);
    my $count = () = $log =~ /PU00033: graceful restart requested/g;
    is($count, 2, 'two graceful restarts logged (PU00033)');
    my $gone = wait_for(sub { !grep { pid_alive($_) } @old_routers }, 10);
    ok($gone, 'the old routers have exited (' . "@old_routers" . ')');
};

ensure_instance();
serves_everybody('after the graceful restarts', 3);

# An idle worker waits in epoll for its pool's channel; the graceful
# restart signal must end that wait at once, not after PeruidIdleTimeout
# (30 s here): the signal handler also writes to the worker's wake-up pipe.
subtest 'graceful restart: the idle workers of the old generation leave '
        . 'at once' => sub {
    Test::More::plan(tests => 3);
    ensure_instance();
    serves_everybody('before');
    sleep 0.5;      # the workers are back in their wait
    my @idle = map { workers_of_uid($master, $uid_of{$_}, $port) } @hosts;
    ok(@idle >= 3, "idle workers of the three users: @idle");
    my $t0 = time;
    kill 'USR1', $master;
    my $gone = wait_for(sub { !grep { pid_alive($_) } @idle }, 5);
    ok($gone, sprintf('every one has exited %.1f s after SIGUSR1 '
                      . '(PeruidIdleTimeout is 30 s)', time - $t0));
};

# docs/architecture.md: "Children are signalled by pid from the master's
# own table, never by process group, so CGI programs and piped loggers
# are not hit."  A CGI's sleep(1) would die of SIGUSR1 or SIGWINCH.
subtest 'a running CGI survives a graceful restart' => sub {
    Test::More::plan(tests => 3);
    ensure_instance();
    my $c = keepalive_connect(port => $port) or die "connect: $!";
    ka_send($c, 'b.test', '/slow.cgi?2', headers => ['Connection: close']);
    sleep 0.6;
    kill 'USR1', $master;
    my ($data) = read_all($c->{sock}, 10);
    my $r = parse_response($data);
    is($r->{status}, 200, 'slow.cgi (2 s) across a graceful restart: 200');
    like($r->{body}, qr/^DONE$/m, 'the CGI ran to its end');
    ok(pid_alive($master), 'the master is still there');
};

subtest 'hard restart (SIGHUP) under load: the server comes back' => sub {
    Test::More::plan(tests => 4);
    ensure_instance();
    my $mark = error_log_mark($elog);
    my $load = load_start(2, 3);
    sleep 0.6;
    note_pids();
    kill 'HUP', $master;
    my ($n, $why) = load_wait($load);
    note_pids();
    is($n->{bad}, 0, "no partial or wrong answer (ok $n->{ok}, refused "
       . "$n->{refused}, closed $n->{closed})");
    ok(pid_alive($master), 'the master is the same process');
    like(error_log_since($mark, $elog), qr/PU00034: SIGHUP received/,
         'PU00034 logged');
    serves_everybody('afterwards', 2);
};

subtest 'SIGKILL of a worker in the middle of a request' => sub {
    Test::More::plan(tests => 8);
    ensure_instance();
    my $c = keepalive_connect(port => $port) or die "connect: $!";
    ka_send($c, 'a.test', '/sleep.php?s=3');
    my $pid;
    my $t0 = time;
    my $sel = IO::Select->new($c->{sock});
    while (!$pid && time - $t0 < 5) {
        next unless $sel->can_read(0.5);
        my $n = sysread($c->{sock}, my $buf, 4096);
        last unless $n;
        $c->{buf} .= $buf;
        $pid = $1 if $c->{buf} =~ /pid=(\d+)/;
    }
    ok($pid, "the slow request runs in worker $pid");
    is(proc_uid($pid), $ta_uid, 'a peruid_ta worker');
    kill 'KILL', $pid;
    my ($rest, $eof) = read_all($c->{sock}, 8);
    my $r = parse_response($c->{buf} . $rest);
    ok($eof, 'the client sees the connection end');
    ok(!$r->{complete} && $r->{body} !~ /DONE/,
       'the client sees an incomplete response (an error)');
    ok(wait_for(sub { !-e "/proc/$pid" }, 5), 'the killed worker was reaped');
    ok(pid_alive($master), 'the master survived');
    serves_everybody('afterwards', 3);
    my $v2 = kv(http('a.test', '/whoami.php', port => $port)->{body});
    ok(($v2->{uid} // -1) == $ta_uid && $v2->{pid} && $v2->{pid} != $pid,
       'a.test is served as peruid_ta by another worker ('
       . ($v2->{pid} // 'none') . ')');
};

subtest 'SIGKILL of every idle worker of a pool' => sub {
    Test::More::plan(tests => 3);
    ensure_instance();
    one('b.test');
    note_pids();
    my @w = workers_of_uid($master, $tb_uid, $port);
    ok(@w >= 1, "peruid_tb workers: @w");
    kill 'KILL', @w;
    ok(wait_for(sub { !grep { -e "/proc/$_" } @w }, 5), 'killed and reaped');
    serves_everybody('afterwards', 3);
};

subtest 'SIGKILL of a router' => sub {
    Test::More::plan(tests => 4);
    ensure_instance();
    my @r = routers($master, $port);
    ok(@r >= 1, "routers: @r");
    kill 'KILL', $r[0];
    ok(wait_for(sub { !-e "/proc/$r[0]" }, 5), "router $r[0] killed and "
       . "reaped");
    my $back = wait_for(sub {
        my @now = routers($master, $port);
        @now == @r && !grep({ $_ == $r[0] } @now) ? \@now : undef;
    }, 5);
    ok($back, 'the master started a new router: '
       . ($back ? "@$back" : 'none'));
    note_pids();
    serves_everybody('afterwards', 3);
};

# A graceful restart that gives a.test another user: new connections are
# served as the new user at once.
subtest 'graceful restart with a changed AssignUserID' => sub {
    Test::More::plan(tests => 8);
    ensure_instance();
    is(kv(http('a.test', '/whoami.php', port => $port)->{body})->{uid},
       $ta_uid, 'a.test runs as peruid_ta');
    # a connection kept alive across the restart
    my $ka = keepalive_connect(port => $port);
    ka_send($ka, 'a.test', '/whoami.php');
    my $r0 = ka_read_response($ka);
    is(kv($r0->{body})->{uid}, $ta_uid, 'kept-alive connection: first '
       . 'request served as peruid_ta');
    my @old_routers = routers($master, $port);
    instance_conf('restart', port => $port,
                  a_assign => 'peruid_tb peruid_tb');
    my $mark = error_log_mark($elog);
    kill 'USR1', $master;
    my $done = wait_for(sub {
        error_log_since($mark, $elog) =~ /PU00036/
            && !grep { pid_alive($_) } @old_routers;
    }, 10);
    ok($done, 'restarted; the old routers are gone');
    note_pids();
    my @uids = map {
        kv(http('a.test', '/whoami.php', port => $port)->{body})->{uid} // '-'
    } 1 .. 5;
    is("@uids", join(' ', ($tb_uid) x 5), 'a.test now runs as peruid_tb '
       . '(5 fresh connections)');
    is(kv(http('b.test', '/whoami.php', port => $port)->{body})->{uid},
       $tb_uid, 'b.test still peruid_tb');
    # The old configuration must not outlive the restart on a connection
    # kept alive from before.  As under prefork (whose children end
    # keep-alive once a graceful restart is signalled), the old worker may
    # answer the one request it was already waiting for, then it closes
    # the connection; it never goes on serving a.test as peruid_ta.
    my ($as_ta, $closed, @got) = (0, 0);
    for (1 .. 3) {
        ka_send($ka, 'a.test', '/whoami.php');
        my $r1 = ka_read_response($ka, 5);
        if (!defined $r1->{status}) { $closed = 1; last }
        my $u1 = kv($r1->{body})->{uid} // '-';
        push @got, "uid $u1";
        $as_ta++ if $u1 eq $ta_uid;
    }
    ok($as_ta <= 1 && $closed, 'kept-alive connection after the restart: '
       . 'at most one more request served as peruid_ta, then closed (got: '
       . join(', ', @got, $closed ? 'closed' : 'still open') . ')');
    close $ka->{sock};
    # and back
    instance_conf('restart', port => $port);
    $mark = error_log_mark($elog);
    @old_routers = routers($master, $port);
    kill 'USR1', $master;
    $done = wait_for(sub {
        error_log_since($mark, $elog) =~ /PU00036/
            && !grep { pid_alive($_) } @old_routers;
    }, 10);
    ok($done, 'restarted again');
    @uids = map {
        kv(http('a.test', '/whoami.php', port => $port)->{body})->{uid} // '-'
    } 1 .. 5;
    is("@uids", join(' ', ($ta_uid) x 5), 'a.test runs as peruid_ta again');
};

# The routers run as a uid of their own (PeruidRouterUser): the code of
# User's vhosts can no longer signal them.  A router stopped or killed
# anyway (here by root) is replaced: a SIGSTOP is noticed within a second.
subtest 'stopped and killed routers are replaced; User\'s vhosts cannot '
        . 'signal them' => sub {
    Test::More::plan(tests => 7);
    ensure_instance();
    my @r = routers($master, $port);
    is(scalar(@r), 2, "routers: @r");
    # default.test runs as User, which is no longer the routers' uid
    my $res = http('default.test', "/signal.php?pid=$r[0]&sig=19",
                   port => $port);
    like($res->{body}, qr/^FAILED/, "default.test PHP cannot send SIGSTOP "
         . "to router $r[0]");
    kill 'STOP', $r[0];
    my $t0 = time;
    my $replaced = wait_for(sub {
        my @now = routers($master, $port);
        !grep({ $_ == $r[0] } @now) && @now == 2;
    }, 5);
    ok($replaced, sprintf('the stopped router was replaced (%.1f s)',
                          time - $t0));
    ok(wait_for(sub { !-e "/proc/$r[0]" }, 5), "router $r[0] is gone "
       . "(not left stopped)");
    my @now = routers($master, $port);
    ok(kill('KILL', $now[0]), "SIGKILL to router $now[0]");
    ok(wait_for(sub { routers($master, $port) == 2
                      && !grep { $_ == $now[0] } routers($master, $port) }, 5),
       'the killed router was replaced');
    note_pids();
    serves_everybody('afterwards', 3);
};

# PR_SET_PDEATHSIG: "children die with the master"
subtest 'SIGKILL of the master: no child survives it' => sub {
    Test::More::plan(tests => 3);
    ensure_instance();
    one('a.test'); one('b.test');
    my @kids = children_of($master);
    ok(@kids >= 3, 'children: ' . scalar(@kids));
    kill 'KILL', $master;
    my $gone = wait_for(sub { !grep { ours($_, $conf) } @kids }, 10);
    ok($gone, 'every child exited: left '
       . join(' ', grep { ours($_, $conf) } @kids));
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port,
                                  Timeout => 1);
    ok(!$s, 'nothing listens on the port any more');
    $master = undef;
};

subtest 'graceful-stop (SIGWINCH) lets in-flight requests finish' => sub {
    Test::More::plan(tests => 11);
    ensure_instance();
    # two slow requests in progress (their first bytes have arrived)
    my %slow;
    for my $host (qw(a.test b.test)) {
        my $c = keepalive_connect(port => $port) or die "connect: $!";
        ka_send($c, $host, '/sleep.php?s=2', headers => ['Connection: close']);
        my $sel = IO::Select->new($c->{sock});
        my $t0 = time;
        while ($c->{buf} !~ /pid=\d+/ && time - $t0 < 5) {
            next unless $sel->can_read(0.5);
            my $n = sysread($c->{sock}, my $buf, 4096);
            last unless $n;
            $c->{buf} .= $buf;
        }
        $slow{$host} = $c;
    }
    ok(scalar(grep { $slow{$_}{buf} =~ /pid=\d+/ } keys %slow) == 2,
       'two slow requests (sleep 2 s) are in progress');
    note_pids();
    my @pids = keys %seen;
    my $load = load_start(1.5, 3);
    sleep 0.4;
    my $t_stop = time;
    kill 'WINCH', $master;
    my $refusing = wait_for(sub {
        my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
                                      PeerPort => $port, Timeout => 1);
        return 1 unless $s;
        close $s;
        return 0;
    }, 5, 0.05);
    ok($refusing, sprintf('new connections are refused %.2f s after '
       . 'SIGWINCH', time - $t_stop));
    for my $host (sort keys %slow) {
        my ($rest) = read_all($slow{$host}{sock}, 10);
        my $r = parse_response($slow{$host}{buf} . $rest);
        is($r->{status}, 200, "$host: the in-flight request completed");
        like($r->{body}, qr/DONE/, "$host: with its whole body");
    }
    my ($n, $why) = load_wait($load);
    diag(join "\n", @$why) if @$why;
    is($n->{bad}, 0, "load during the graceful-stop: no partial or "
       . "wrong answer (ok $n->{ok}, refused $n->{refused}, closed "
       . "$n->{closed})");
    ok($n->{ok} > 0, 'requests were served before the stop');
    my $gone = wait_for(sub { !pid_alive($master) }, 20);
    ok($gone, sprintf('the master exited (%.1f s after SIGWINCH)',
                      time - $t_stop));
    my @left = grep { ours($_, $conf) } @pids;
    is("@left", '', 'no process of the instance is left');
    ok(!-e "$dir/logs/httpd.pid", 'the pid file was removed');
};

subtest 'stop (SIGTERM): no process is left' => sub {
    Test::More::plan(tests => 6);
    instance_stop($master, 10) if $master && ours($master, $conf);
    $master = instance_start($conf, $dir, $port);
    ok($master, "restarted (master $master)");
    serves_everybody('started again');
    # an idle kept-alive connection and a request in progress
    my $idle = keepalive_connect(port => $port);
    ka_send($idle, 'b.test', '/whoami.php');
    ka_read_response($idle);
    my $busy = keepalive_connect(port => $port);
    ka_send($busy, 'a.test', '/sleep.php?s=5');
    sleep 0.5;
    note_pids();
    my @pids = instance_pids($master);
    ok(@pids >= 5, 'master, routers and workers: ' . scalar(@pids)
       . ' processes');
    my $t0 = time;
    kill 'TERM', $master;
    my $gone = wait_for(sub { !grep { ours($_, $conf) } @pids }, 10);
    ok($gone, sprintf('every process exited (%.1f s)', time - $t0));
    my @left = grep { ours($_, $conf) } keys %seen;
    is("@left", '', 'none of the pids seen during the whole test is left');
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port,
                                  Timeout => 1);
    ok(!$s, 'the port is closed');
};
