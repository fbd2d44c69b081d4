# t/channel_wait.t -- a connection waits for a worker at most until its
# deadline (PeruidPeekTimeout after accept), also once the router has
# passed it into its pool's channel.  a.test may hold 2 workers
# (PeruidMaxUserShare 50 of MaxRequestWorkers 4); two PHP requests that
# sleep 10 s hold both.  Five more connections for a.test then wait in its
# channel (room for about 20: the router does not park them).  When a
# worker comes free, some 3 s after their deadline (PeruidPeekTimeout 4),
# it answers each of them 503 unread, with the router's bytes, and logs
# PU00062 naming the user and the vhost: it does not serve them then, late
# (the module before this test served them 200).  b.test is served
# meanwhile; the sleeping requests end normally.  PeruidPeekTimeout 4, not
# less: the second sleeper itself waits in the channel until the master
# forks a.test's second worker, some 2 s after the first (children.c,
# CHILDREN_STARTUP).  Runs an instance of its own (inst-chanwait).
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/lib";
use Apache::Test qw(-withtestmore);
use PeruidTest qw(:all);
use IO::Select ();
use Time::HiRes qw(time sleep);

plan skip_all => 'PHP (mod_php) is not installed' unless vars('peruid_php');
plan tests => 9;

my %started;    # conf file => master pid, for the END block
END { stop_instances(\%started) }

my ($master, $port, $conf, $dir) = started_instance(\%started, 'chanwait',
    mpm => <<'EOF', body => "Timeout 30\n");
StartServers 0
MinSpareServers 0
MaxSpareServers 4
ServerLimit 6
MaxRequestWorkers 4
PeruidMaxUserShare 50
PeruidRouters 1
PeruidPeekTimeout 4
EOF
ok($master, 'instance started') or exit;
my ($ta) = ids_of('peruid_ta');
my $log_file = "$dir/logs/error_log";
my $mark = error_log_mark($log_file);

# connect and send a request for a.test; the socket is read later
sub send_a {
    my ($path) = @_;
    my $s = connect_to($port, 30) or die "connect: $!";
    local $SIG{PIPE} = 'IGNORE';
    syswrite($s, "GET $path HTTP/1.1\r\nHost: a.test\r\n"
                 . "Connection: close\r\n\r\n");
    return $s;
}

# what a socket sent until it matched $re (up to 15 s)
sub read_until {
    my ($s, $re) = @_;
    my $sel = IO::Select->new($s);
    my $got = '';
    my $end = time + 15;
    while ($got !~ $re && time < $end) {
        next unless $sel->can_read(0.5);
        sysread($s, $got, 4096, length $got) or last;
    }
    return $got;
}

# both of a.test's workers busy: each sleeper has printed its pid
my @sleepers = map { send_a('/sleep.php?s=10') } 1 .. 2;
my @heads = map { read_until($_, qr/pid=\d+/) } @sleepers;
is(scalar(grep { /pid=\d+/ } @heads), 2,
   "both of a.test's workers run a sleeping request");
my $n = () = workers_of_uid($master, $ta, $port);
is($n, 2, 'a.test has its share, 2 workers, and no more');

# five connections for a.test wait in its channel
my @queued = map { send_a('/site.txt') } 1 .. 5;

# b.test is served meanwhile
my $ok = 0;
for (1 .. 5) {
    my $r = http('b.test', '/whoami.php', port => $port, timeout => 10);
    $ok++ if ($r->{status} // 0) == 200;
}
is($ok, 5, 'b.test answered 5 of 5 while a.test was busy');

# the sleepers end normally; then the queued connections are answered
my $done = 0;
for my $i (0 .. $#sleepers) {
    my ($data) = read_all($sleepers[$i], 30);
    $done++ if ($heads[$i] . $data) =~ /DONE/;
    close $sleepers[$i];
}
is($done, 2, 'the sleeping requests ended normally');

my (@status, $raw503);
for my $s (@queued) {
    my ($data, $eof, $err) = read_all($s, 30);
    my $r = parse_response($data);
    push @status, ($r->{status} // ($err ? "error $err" : 'none'));
    $raw503 //= $data if ($r->{status} // 0) == 503;
    close $s;
}
is("@status", '503 503 503 503 503',
   'the five connections that waited past their deadline got 503');
like($raw503 // '', qr{\AHTTP/1\.1\ 503\ Service\ Unavailable\r\n.*
                       Connection:\ close\r\n\r\n.*
                       <h1>Service\ Unavailable</h1>}sx,
     "the router's 503, with Connection: close");

my $log = '';
wait_for(sub {
    $log = error_log_since($mark, $log_file);
    $log =~ /PU00062/;
}, 5);
like($log, qr/PU00062: worker uid $ta: a connection for virtual host a\.test \(\S+:\d+(?:, or one of \d+ more of this user)?\) waited in the pool's channel past its deadline/,
     'the worker said so, naming the user and the vhost (PU00062)');
unlike($log, qr/PU00053/,
       'the router parked none of them (they were in the channel)');
