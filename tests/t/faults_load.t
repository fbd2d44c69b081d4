# t/faults_load.t -- faults under load (issue 14, "Faults and load").
# An instance of its own with three users' vhosts (a.test peruid_ta,
# b.test peruid_tb, default.test peruid_td), each serving a static file
# and whoami.php (mod_php, as its user).  tests/load/peruid_load.c, built
# here, keeps 256 keep-alive connections busy and counts every answer
# and every socket error (docs/security.md, "Faults and load"):
#
#   1. 60 s at 256 connections: no socket error, no answer but 2xx;
#   2. under that load, SIGKILL to 50 workers picked at random and to a
#      router: the requests that fail are at most the client connections
#      the killed processes held (each is stopped first, its descriptors
#      counted, then killed), and none fails otherwise (no 5xx, no
#      refused connect, no timeout);
#   3. three graceful restarts (SIGUSR1) under load: no request fails,
#      none on a kept-alive connection either (graceho.c);
#   4. a graceful stop (SIGWINCH) under load: the client stops starting
#      requests, then the master gets the signal: every request started
#      before is answered 2xx;
#   5. after the stop nothing of the instance is left: no process of it,
#      no socket on its port.
# The figures of each phase are printed (diag) for docs/security.md.
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/lib";
use Apache::Test qw(-withtestmore);
use PeruidTest qw(:all);
use POSIX ();
use Time::HiRes qw(time sleep);

plan skip_all => 'PHP (mod_php) is not installed' unless vars('peruid_php');
plan tests => 24;

my $CONNS = 256;
my %uid_of = ('a.test' => (ids_of('peruid_ta'))[0],
              'b.test' => (ids_of('peruid_tb'))[0],
              'default.test' => (ids_of('peruid_td'))[0]);
my %users = map { $_ => 1 } values %uid_of;
my @targets = map { ($_, '/whoami.php', $_, '/site.txt') } sort keys %uid_of;

# the load client, built from its source here
my $src = "$FindBin::Bin/../load/peruid_load.c";
my $client = root() . '/peruid_load';
system('cc', '-std=c99', '-O2', '-Wall', '-o', $client, $src) == 0
    or BAIL_OUT("cannot build $src");

my %started;
my @seen;               # every pid of the instance we have seen
END { stop_instances(\%started) }

my $port = free_port();
my ($master, undef, $conf, $dir) = started_instance(\%started, 'faults_load',
    port => $port, mpm => <<'EOF');
StartServers 24
MinSpareServers 0
MaxSpareServers 16
ServerLimit 320
MaxRequestWorkers 300
PeruidRouters 2
PeruidPeekTimeout 10
GracefulShutdownTimeout 30
MaxKeepAliveRequests 200
EOF
ok($master, "instance started on 127.0.0.1:$port") or exit 1;
my $elog = "$dir/logs/error_log";

# load_start($seconds, $tag): run the client in the background; returns
# (pid, output file)
sub load_start {
    my ($seconds, $tag) = @_;
    my $out = "$dir/load-$tag.out";
    my $pid = fork // die "fork: $!";
    if (!$pid) {
        open STDOUT, '>', $out or POSIX::_exit(1);
        exec $client, '-p', $port, '-c', $CONNS, '-d', $seconds, '-T', 30,
            '-e', "$dir/load-$tag.events", @targets
            or POSIX::_exit(1);
    }
    return [$pid, $out, $tag];
}

# load_wait($handle): the client's figures (a hash), printed
sub load_wait {
    my $h = shift;
    waitpid($h->[0], 0);
    my %f = map { split ' ', $_, 2 } split /\n/, slurp($h->[1]) // '';
    diag("$h->[2]: " . join ' ', map { "$_=$f{$_}" } qw(requests s2xx
        failed reset eof ka_lost s5xx s4xx refused timeout bad connects
        rate lat_p50_us lat_p99_us lat_p999_us lat_max_us));
    my $ev = slurp("$dir/load-$h->[2].events") // '';
    my @ev = split /\n/, $ev;
    diag("first failures:\n" . join "\n", @ev[0 .. ($#ev < 9 ? $#ev : 9)])
        if @ev;
    return \%f;
}

sub note_pids { push @seen, instance_pids($master) if pid_alive($master) }

sub serves_all {
    my ($label) = @_;
    my @bad;
    for my $host (sort keys %uid_of) {
        my $r = http($host, '/whoami.php', port => $port, timeout => 15);
        my $v = kv($r->{body});
        push @bad, "$host: " . ($r->{status} // '-') . '/' . ($v->{uid} // '-')
            unless ($r->{status} // 0) == 200
                   && ($v->{uid} // -1) == $uid_of{$host};
    }
    is("@bad", '', "$label: each vhost served 200 as its user");
}

# client connections held by $pid: its sockets that are neither unix
# sockets (channels) nor the listeners (a router's)
my %listening;
sub client_conns {
    my $pid = shift;
    my $unix = unix_inodes();
    my %s = socket_inodes($pid);
    return scalar grep { !$unix->{$_} && !$listening{$_} } values %s;
}

# the master's children, from the kernel's list (fast: no /proc scan)
sub kids {
    my $s = slurp("/proc/$master/task/$master/children") // '';
    return split ' ', $s;
}

# workers of the test's users (the MPM's own view: children of the
# master with a vhost user's uid)
sub workers {
    return grep {
        my $u = proc_uid($_);
        defined $u && $users{$u};
    } kids();
}

# stop $pid, count its client connections, kill it; returns the count
sub stop_count_kill {
    my $pid = shift;
    kill 'STOP', $pid or return 0;
    my $n = client_conns($pid);
    kill 'KILL', $pid;
    return $n;
}

serves_all('before the load');

# ------------------------------------------------------------ 1. steady
{
    my $h = load_start(60, 'steady');
    sleep 30;
    note_pids();
    my $f = load_wait($h);
    is($f->{failed}, 0, "60 s at $CONNS connections: no failed request "
       . "($f->{s2xx} answered 2xx)");
    is($f->{reset} + $f->{eof} + $f->{refused} + $f->{timeout}, 0,
       'no socket error (reset, eof, refused, timeout)');
    is($f->{s3xx} + $f->{s4xx} + $f->{s5xx} + $f->{bad}, 0, 'no non-2xx');
    ok($f->{s2xx} > 1000, "the load ran ($f->{s2xx} answers)");
}

# ------------------------------------------------------------ 2. kills
{
    %listening = map { $_ => 1 } listen_inodes($port);
    my $h = load_start(30, 'kills');
    sleep 3;
    my ($killed, $held, $router_held, $router) = (0, 0, 0, 0);
    my $t_end = time + 40;
    while ($killed < 50 && time < $t_end) {
        my @w = workers();
        if (@w) {
            $held += stop_count_kill($w[int rand @w]);
            $killed++;
        }
        if ($killed >= 25 && !$router) {
            my @r = routers($master, $port);
            $router = $r[int rand @r] if @r;
            $router_held = stop_count_kill($router) if $router;
        }
        sleep 0.2;
    }
    note_pids();
    my $f = load_wait($h);
    my $bound = $held + $router_held;
    ok($router && !pid_alive($router), "killed a router ($router)");
    is($killed, 50, 'killed 50 workers');
    diag("the killed workers held $held client connections, the router "
         . "$router_held");
    cmp_ok($f->{reset} + $f->{eof}, '<=', $bound,
           "requests lost to a reset or close ($f->{reset} + $f->{eof}) "
           . "are at most the connections the killed processes held "
           . "($bound)");
    is($f->{s3xx} + $f->{s4xx} + $f->{s5xx} + $f->{bad} + $f->{refused}
       + $f->{timeout}, 0, 'no other failure (no 5xx, refused, timeout)');
    ok($f->{s2xx} > 1000, "the load ran ($f->{s2xx} answers)");
    ok(pid_alive($master), 'the master is alive');
    serves_all('after the kills');
}

# ------------------------------------------------- 3. graceful restarts
{
    my $mark = error_log_mark($elog);
    my $h = load_start(24, 'graceful');
    for (1 .. 3) {
        sleep 6;
        note_pids();
        kill 'USR1', $master;
    }
    sleep 3;
    note_pids();
    my $f = load_wait($h);
    is($f->{failed} - $f->{ka_lost}, 0, "three graceful restarts under "
       . "load: no request failed but on a kept-alive connection closed "
       . "before its answer ($f->{s2xx} answered 2xx)");
    # a stopping worker hands an idle kept-alive connection to the
    # routers, or serves its next request itself (graceho.c)
    is($f->{ka_lost}, 0, 'no request lost on a kept-alive connection '
       . 'at a restart');
    ok($f->{s2xx} > 1000, "the load ran ($f->{s2xx} answers)");
    my $n = () = error_log_since($mark, $elog)
        =~ /PU00033: graceful restart requested/g;
    is($n, 3, 'three graceful restarts logged (PU00033)');
    serves_all('after the restarts');
}

# ------------------------------------------------- 4. graceful stop
{
    my $h = load_start(60, 'graceful-stop');
    sleep 6;
    note_pids();
    kill 'USR1', $h->[0];           # the client starts no more requests
    kill 'WINCH', $master;
    my $f = load_wait($h);
    is($f->{failed}, 0, "graceful stop under load: every request started "
       . "before it was answered 2xx ($f->{s2xx})");
    ok($f->{s2xx} > 100, "the load ran ($f->{s2xx} answers)");
    ok(wait_for(sub { !pid_alive($master) }, 40),
       'the master exited after the graceful stop');
}

# ------------------------------------------------- 5. nothing left
{
    my %pids = map { $_ => 1 } @seen;
    my @left = grep { pid_alive($_) && ours($_, $conf) } keys %pids;
    my @mine = grep {
        my $c = slurp("/proc/$_/cmdline") // '';
        index($c, $conf) >= 0 && pid_alive($_);
    } grep { /^\d+$/ } do { opendir my $d, '/proc'; readdir $d };
    wait_for(sub { !grep { pid_alive($_) } @left, @mine }, 10);
    is(join(' ', grep { pid_alive($_) } @left, @mine), '',
       'no process of the instance is left');
    my $t = tcp_table();
    my %ours = map { $_ => 1 }
        grep { $t->{$_}{lport} == $port && $_ } keys %$t;
    delete $ours{0};
    my @holders;
    opendir my $d, '/proc';
    for my $pid (grep { /^\d+$/ } readdir $d) {
        my %s = socket_inodes($pid);
        push @holders, $pid if grep { $ours{$_} } values %s;
    }
    is("@holders", '', "no process holds a socket of port $port");
    my @listen = grep { $t->{$_}{lport} == $port && $t->{$_}{state} eq '0A' }
        keys %$t;
    is(scalar @listen, 0, "nothing listens on port $port");
}
