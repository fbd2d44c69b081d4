# t/master_fds.t -- the root master never holds a client connection: with
# client connections open (kept alive in workers, or still being peeked
# at by a router), every socket of the master is a listening TCP socket or
# a unix socket (the channels).
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/lib";
use Apache::Test qw(-withtestmore);
use PeruidTest qw(:all);
use Time::HiRes qw(time);
use IO::Select ();

plan tests => 5;

my $port = port();
my $master = master_pid();
my %uid_of = (
    'a.test' => (ids_of('peruid_ta'))[0],
    'b.test' => (ids_of('peruid_tb'))[0],
    'default.test' => (ids_of('peruid_td'))[0],
);

# three kept-alive connections, each in a worker of its vhost
my %conn;
for my $host (sort keys %uid_of) {
    my $c = keepalive_connect() or die "connect: $!";
    ka_send($c, $host, '/whoami.php');
    my $r = ka_read_response($c);
    die "$host: no response" unless defined $r->{status};
    $conn{$host} = $c;
}
# and one whose head is incomplete: a router holds it (peeking for
# PeruidPeekTimeout, 1 s, then answering 408 and draining for 2 s)
my $partial = keepalive_connect() or die "connect: $!";
syswrite($partial->{sock}, "GET /whoami.php HTTP/1.1\r\n");
Time::HiRes::sleep(0.1);

my $tcp = tcp_table();
my $unix = unix_inodes();
my %master_sock = socket_inodes($master);
my @kids = children_of($master);
my %holders;    # inode -> [pids]
for my $pid (@kids) {
    my %s = socket_inodes($pid);
    push @{ $holders{$_} }, $pid for values %s;
}
my @routers = routers($master);
my %is_router = map { $_ => 1 } @routers;

# the server side of a client connection: local port $port, remote port
# the client's own
sub server_inode {
    my ($sock, $table) = @_;
    $table ||= $tcp;
    my $cport = $sock->sockport;
    my @i = grep {
        $table->{$_}{lport} == $port && $table->{$_}{rport} == $cport
    } keys %$table;
    return $i[0];
}

subtest 'every socket of the master is a listener or a unix socket' => sub {
    my @fds = sort { $a <=> $b } keys %master_sock;
    Test::More::plan(tests => 1 + @fds);
    ok(@fds >= 2, "the master holds " . scalar(@fds) . " sockets");
    for my $fd (@fds) {
        my $ino = $master_sock{$fd};
        if (my $t = $tcp->{$ino}) {
            ok($t->{state} eq '0A', "master fd $fd: TCP socket in state "
               . "$t->{state} (0A = LISTEN) on $t->{lip}:$t->{lport}");
        }
        else {
            ok($unix->{$ino}, "master fd $fd: socket:[$ino] is a unix "
               . "socket");
        }
    }
};

subtest 'the master listens on our port only' => sub {
    my @tcp = grep { $tcp->{$_} } values %master_sock;
    Test::More::plan(tests => 1 + @tcp);
    ok(scalar(@tcp) >= 1, 'at least one listener');
    for my $ino (@tcp) {
        is("$tcp->{$ino}{lip}:$tcp->{$ino}{lport}", "127.0.0.1:$port",
           "listener socket:[$ino]");
    }
};

subtest 'kept-alive connections live in their workers, not the master' => sub {
    Test::More::plan(tests => 5 * keys %conn);
    my %msock = map { $_ => 1 } values %master_sock;
    for my $host (sort keys %conn) {
        my $ino = server_inode($conn{$host}{sock});
        ok($ino, "$host: server side of the connection found");
        is($ino && $tcp->{$ino}{state}, '01', "$host: it is ESTABLISHED");
        ok($ino && !$msock{$ino}, "$host: the master does not hold it");
        my @h = $ino ? @{ $holders{$ino} || [] } : ();
        is(scalar(@h), 1, "$host: exactly one process holds it (@h)");
        ok(@h == 1 && !$is_router{$h[0]} && proc_uid($h[0]) == $uid_of{$host},
           "$host: a worker running as uid $uid_of{$host} (not a router)");
    }
};

# Who holds an incomplete head, looked at while it is still incomplete
# for sure: the client has received nothing (no 408) when the look ends.
# On a slow machine a look may come too late; it is then done again on a
# new connection (never skipped).
subtest 'a head still being peeked at lives in a router only' => sub {
    Test::More::plan(tests => 4);
    my ($ino, $in_master, @h, $fresh);
    for my $try (1 .. 5) {
        my $c = keepalive_connect() or die "connect: $!";
        syswrite($c->{sock}, "GET /whoami.php HTTP/1.1\r\n");
        Time::HiRes::sleep(0.1);
        my $table = tcp_table();
        $ino = server_inode($c->{sock}, $table);
        my %ms = map { $_ => 1 } values %{ { socket_inodes($master) } };
        $in_master = $ino && $ms{$ino};
        @h = ();
        for my $pid (children_of($master)) {
            my %s = socket_inodes($pid);
            push @h, $pid if $ino && grep { $_ == $ino } values %s;
        }
        my %r = map { $_ => 1 } routers($master);
        @h = map { $r{$_} ? "router:$_" : "other:$_" } @h;
        $fresh = !IO::Select->new($c->{sock})->can_read(0);
        close $c->{sock};
        last if $fresh;
        diag("look $try took longer than PeruidPeekTimeout; again");
    }
    ok($fresh, 'looked while the head was still being peeked at');
    ok($ino, 'server side of the incomplete request found');
    ok($ino && !$in_master, 'the master does not hold it');
    ok(@h == 1 && $h[0] =~ /^router:/, "a router holds it (@h)");
};

subtest 'the connections still work afterwards' => sub {
    Test::More::plan(tests => 2 * keys %conn);
    for my $host (sort keys %conn) {
        ka_send($conn{$host}, $host, '/whoami.php');
        my $r = ka_read_response($conn{$host});
        is($r->{status}, 200, "$host: second request on the connection");
        is(kv($r->{body})->{uid}, $uid_of{$host}, "$host: same user");
    }
};
