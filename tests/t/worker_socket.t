# t/worker_socket.t -- a worker keeps one APR socket object for every
# connection it serves (worker.c, worker_socket): what APR remembers of
# the socket carries over, so httpd sets neither O_NONBLOCK nor
# TCP_NODELAY again, but the addresses must be each connection's own and
# the socket must still honour Timeout.  Between connections a worker
# that finds the channel empty yields once before it waits
# (worker_recv_soon).  Runs an instance of its own
# (inst-wsock) with one worker for a.test; UseCanonicalPhysicalPort makes
# SERVER_PORT the connection's local port.
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/lib";
use Apache::Test qw(-withtestmore);
use PeruidTest qw(:all);
use Time::HiRes qw(time sleep);

plan tests => 4;

my %started;    # conf file => master pid, for the END block

END { stop_instances(\%started) }

my ($master, $port) = started_instance(\%started, 'wsock', mpm => <<'EOF',
StartServers 0
MinSpareServers 0
MaxSpareServers 1
ServerLimit 8
MaxRequestWorkers 4
PeruidRouters 1
PeruidIdleTimeout 60
EOF
    body => "Timeout 1\nUseCanonicalName On\nUseCanonicalPhysicalPort On\n");
ok($master, 'instance started (master ' . ($master // '-') . ')')
    or exit;

# GET /whoami.php of a.test on a new connection: (its key=value lines,
# the port our end of the connection had)
sub whoami_from {
    my $sock = connect_to($port) or return ({}, 0);
    my $mine = $sock->sockport;
    syswrite($sock, "GET /whoami.php HTTP/1.1\r\nHost: a.test\r\n"
                    . "Connection: close\r\n\r\n");
    my ($data) = read_all($sock, 10);
    close $sock;
    return (kv(parse_response($data)->{body} // ''), $mine);
}

subtest 'each connection has its own addresses' => sub {
    my (%pids, @wrong);
    for (1 .. 6) {
        my ($v, $mine) = whoami_from();
        my $got = join ' ', map { $v->{$_} // '-' } qw(remote local);
        $pids{ $v->{pid} // 0 }++;
        push @wrong, "$got for 127.0.0.1:$mine 127.0.0.1:$port"
            if $got ne "127.0.0.1:$mine 127.0.0.1:$port";
    }
    my ($most) = sort { $b <=> $a } values %pids;
    cmp_ok($most, '>=', 3, 'one worker served at least 3 of the 6 '
           . 'connections (' . join(',', sort keys %pids) . ')');
    is(scalar @wrong, 0, 'REMOTE_ADDR:REMOTE_PORT was the client end and '
       . 'SERVER_ADDR:SERVER_PORT the listener, every time')
        or diag(join "\n", @wrong);
};

subtest 'a reused socket still honours Timeout (1 s)' => sub {
    whoami_from() for 1 .. 2;       # the worker has served connections
    my $sock = connect_to($port) or return fail("connect: $!");
    syswrite($sock, "POST /whoami.php HTTP/1.1\r\nHost: a.test\r\n"
                    . "Content-Length: 10\r\nConnection: close\r\n\r\n"
                    . "12345");
    my $t0 = time;
    my ($data, $eof) = read_all($sock, 12);
    my $took = time - $t0;
    close $sock;
    ok($eof, sprintf('the server ended the connection (after %.1f s)',
                     $took));
    cmp_ok($took, '>=', 0.8, 'not before Timeout');
    cmp_ok($took, '<', 10, 'nor long after it: the read waited with '
           . 'a timeout, as on a non-blocking socket');
};

# strace, when installed (tests/deps.sh installs it): the system calls of
# the worker for three connections after its first
subtest 'no fcntl() or setsockopt() per connection; a yield before '
        . 'each wait' => sub {
    my $strace = -x '/usr/bin/strace' ? '/usr/bin/strace' : undef;
    plan skip_all => 'strace is not installed' unless $strace;
    whoami_from();
    my ($worker) = grep { (proc_uid($_) // -1) == (ids_of('peruid_ta'))[0] }
                   children_of($master);
    ok($worker, 'the worker of a.test: ' . ($worker // '-')) or return;
    my $out = root() . '/inst-wsock/logs/strace.out';
    my $pid = fork // die "fork: $!";
    if (!$pid) {
        exec($strace, '-qq', '-o', $out, '-e',
             'trace=getpeername,setsockopt,fcntl,recvmsg,sched_yield',
             '-p', $worker)
            or POSIX::_exit(127);
    }
    sleep 1;                        # attached
    my @ok = grep { ($_->[0]{pid} // 0) == $worker }
             map { [whoami_from()] } 1 .. 3;
    sleep 0.3;
    kill 'INT', $pid;
    waitpid($pid, 0);
    my $log = slurp($out) // '';
    is(scalar @ok, 3, 'the three connections went to that worker');
    my @peer = $log =~ /^getpeername\(/mg;
    is(scalar @peer, 3, 'strace saw the three connections '
       . '(3 getpeername)');
    unlike($log, qr/^setsockopt\(/m, 'no setsockopt (TCP_NODELAY)');
    unlike($log, qr/^fcntl\(\d+, F_[GS]ETFL/m, 'no F_GETFL / F_SETFL');
    # worker_recv_soon: each wait starts with a look at the channel; when
    # it is empty (at least after the last connection), a yield comes
    # before the blocking receive.  The first line is the wait strace
    # found in progress.
    my @calls = grep { /^(recvmsg|sched_yield)\(/ } split /\n/, $log;
    shift @calls;
    my ($yields, $bare) = (0, 0);
    for my $i (0 .. $#calls) {
        next unless $calls[$i] =~ /^recvmsg\(/
                    && $calls[$i] !~ /MSG_DONTWAIT/;
        my $before = $i > 0 ? $calls[$i - 1] : '';
        if ($before =~ /^sched_yield\(/) { $yields++ } else { $bare++ }
    }
    cmp_ok($yields, '>=', 1, "a yield before the blocking receive when "
           . "the channel was empty ($yields times)");
    is($bare, 0, 'no blocking receive without the look and the yield');
};
