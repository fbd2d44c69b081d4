# t/addresses.t -- client and server addresses the way admins listen:
# "Listen PORT" (one dual-stack IPv6 socket for IPv4 and IPv6 clients),
# an IPv6-only listener ([::1]:PORT) and IP-based vhosts, each asked the
# same requests under the peruid MPM and under prefork: REMOTE_ADDR,
# SERVER_ADDR, "Require ip", "Require local" and the vhost chosen by
# address must be the same under both, and the ones the test expects.
#
# "Require local" admits loopback clients and clients whose address is
# the server's own, so telling it apart needs a client that is neither.
# The test therefore runs in a network namespace of its own (created
# here, deleted at the end) whose loopback device also holds documentation
# addresses: 192.0.2.10/.11 and 2001:db8::10/::11.  The clients connect
# from .11 to .10: a "remote" client that never leaves the namespace.
# There, the dual-stack listeners listen on every address of the
# namespace, and that is loopback only.
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/lib";
use Apache::Test qw(-withtestmore);
use PeruidTest qw(:all);
use IO::Socket::IP ();

# Everything below runs in the namespace (PeruidTest::in_own_netns).
in_own_netns(qw(192.0.2.10/32 192.0.2.11/32 2001:db8::10/128
                2001:db8::11/128));

# ------------------------------------------------- inside the namespace

my %started;    # conf file => master pid, for the END block
END { stop_instances(\%started) }

my $htdocs = root() . '/htdocs';
my $libexec = vars('peruid_libexec');
my ($ta) = ids_of('peruid_ta');
my ($tb) = ids_of('peruid_tb');
my ($td) = ids_of('peruid_td');

# The clients: name => [source address, server address]
my %client = (
    v4lo  => ['127.0.0.1', '127.0.0.1'],
    v6lo  => ['::1', '::1'],
    v4far => ['192.0.2.11', '192.0.2.10'],
    v6far => ['2001:db8::11', '2001:db8::10'],
);

# One request on a new connection from $src to $dst:$port; returns
# (status, key=value hash of the body, our port).
sub ask {
    my ($src, $dst, $port, $host, $path) = @_;
    my $s = IO::Socket::IP->new(LocalHost => $src, PeerHost => $dst,
                                PeerPort => $port, Proto => 'tcp',
                                Timeout => 10)
        or return (undef, {}, 0);
    my $mine = $s->sockport;
    syswrite($s, "GET $path HTTP/1.1\r\nHost: $host\r\n"
                 . "Connection: close\r\n\r\n");
    my ($data) = read_all($s, 15);
    close $s;
    my $r = parse_response($data);
    return ($r->{status}, kv($r->{body}), $mine);
}

# A server address as REMOTE_ADDR/SERVER_ADDR show it, with its port.
sub ap { my ($ip, $port) = @_; return "$ip:$port" }

# The instance of one MPM: three listeners and the vhosts of the test.
sub start_mpm {
    my ($mpm) = @_;
    my ($p1, $p2, $p3) = (free_port(), free_port(), free_port());
    my $prefork = $mpm eq 'prefork';
    my $as = sub { $prefork ? '' : "    AssignUserID $_[0] $_[0]\n" };
    my $body = <<"EOF";
LoadModule authz_host_module $libexec/mod_authz_host.so
LoadModule status_module $libexec/mod_status.so
# SERVER_NAME: the vhost's ServerName (not the Host header);
# SERVER_PORT: the connection's local port
UseCanonicalName On
UseCanonicalPhysicalPort On
# IP-based vhosts on a dual-stack listener
<VirtualHost *:$p2>
    ServerName anyip.test
    DocumentRoot "$htdocs/default"
</VirtualHost>
<VirtualHost 127.0.0.1:$p2>
    ServerName ip4.test
    DocumentRoot "$htdocs/b"
@{[ $as->('peruid_tb') ]}</VirtualHost>
<VirtualHost [::1]:$p2>
    ServerName ip6.test
    DocumentRoot "$htdocs/a"
@{[ $as->('peruid_ta') ]}</VirtualHost>
<Location /st-local>
    SetHandler server-status
    Require local
</Location>
<Location /st-ip4>
    SetHandler server-status
    Require ip 127.0.0.1
</Location>
<Location /st-ip6>
    SetHandler server-status
    Require ip ::1
</Location>
<Location /st-far>
    SetHandler server-status
    Require ip 192.0.2.0/24 2001:db8::/32
</Location>
EOF
    my ($master) = started_instance(\%started, "addr-$mpm", port => $p1,
        prefork => $prefork, listen => [$p1, $p2, "[::1]:$p3"],
        vhost_addr => "*:$p1 [::1]:$p3", body => $body);
    return ($master, $p1, $p2, $p3);
}

# Every case: [label, client, port key, Host, path] and what it must give:
# status, and for whoami.php REMOTE_ADDR, SERVER_ADDR:SERVER_PORT, vhost
# and (peruid only) uid.
sub cases {
    my (@c);
    for my $cl (sort keys %client) {
        my ($src, $dst) = @{ $client{$cl} };
        my $loop = $cl =~ /lo$/;
        push @c,
            ["$cl dual-stack Listen, name-based a.test", $cl, 'p1', 'a.test',
             '/whoami.php',
             { status => 200, remote => $src, local => [$dst, 'p1'],
               server => 'a.test', uid => $ta }],
            ["$cl Require local", $cl, 'p1', 'default.test',
             '/st-local?auto', { status => $loop ? 200 : 403 }],
            ["$cl Require ip 127.0.0.1", $cl, 'p1', 'default.test',
             '/st-ip4?auto', { status => $cl eq 'v4lo' ? 200 : 403 }],
            ["$cl Require ip ::1", $cl, 'p1', 'default.test',
             '/st-ip6?auto', { status => $cl eq 'v6lo' ? 200 : 403 }],
            ["$cl Require ip 192.0.2.0/24 2001:db8::/32", $cl, 'p1',
             'default.test', '/st-far?auto',
             { status => $loop ? 403 : 200 }];
        # IP-based: the vhost of the address, whatever the Host says
        my ($vh, $uid) = $cl eq 'v4lo' ? ('ip4.test', $tb)
                       : $cl eq 'v6lo' ? ('ip6.test', $ta)
                       : ('anyip.test', $td);
        push @c, ["$cl IP-based vhost (Host: ip6.test)", $cl, 'p2',
                  'ip6.test', '/whoami.php',
                  { status => 200, remote => $src, local => [$dst, 'p2'],
                    server => $vh, uid => $uid }];
    }
    push @c, ["v6lo IPv6-only Listen [::1]", 'v6lo', 'p3', 'b.test',
              '/whoami.php',
              { status => 200, remote => '::1', local => ['::1', 'p3'],
                server => 'b.test', uid => $tb }];
    return @c;
}

# Ask every case of one instance; returns label => "what came back"
# (a line comparable with the other MPM) and checks it against the
# expectation.
sub run_cases {
    my ($mpm, %port) = @_;
    my %seen;
    for my $c (cases()) {
        my ($label, $cl, $pk, $host, $path, $want) = @$c;
        my ($src, $dst) = @{ $client{$cl} };
        my ($status, $v, $mine) = ask($src, $dst, $port{$pk}, $host, $path);
        my $got = 'status=' . ($status // '-');
        my $exp = "status=$want->{status}";
        if ($want->{remote}) {
            $got .= " remote=" . ($v->{remote} // '-')
                  . " local=" . ($v->{local} // '-')
                  . " server=" . ($v->{server} // '-');
            $exp .= " remote=" . ap($want->{remote}, $mine)
                  . " local=" . ap($want->{local}[0], $port{ $want->{local}[1] })
                  . " server=$want->{server}";
            if ($mpm eq 'peruid') {
                $got .= " uid=" . ($v->{uid} // '-');
                $exp .= " uid=$want->{uid}";
            }
        }
        is($got, $exp, "$mpm: $label");
        # comparable across MPMs: ports differ from run to run, and
        # prefork serves everything as User
        (my $same = $got) =~ s/( remote=\S+):$mine /$1:CLIENT /;
        $same =~ s/( local=\S+):$port{$pk} /$1:$pk /;
        $same =~ s/ uid=\d+//;
        $seen{$label} = $same;
    }
    return \%seen;
}

my @cases = cases();
plan tests => 2 + 2 * @cases + 1;

my %result;
for my $mpm (qw(peruid prefork)) {
    my ($master, $p1, $p2, $p3) = start_mpm($mpm);
    ok($master, "$mpm instance with Listen $p1, Listen $p2, "
       . "Listen [::1]:$p3 started") or diag(slurp(root()
            . "/inst-addr-$mpm/logs/error_log") // '');
  SKIP: {
        skip "$mpm did not start", scalar @cases unless $master;
        $result{$mpm} = run_cases($mpm, p1 => $p1, p2 => $p2, p3 => $p3);
    }
    instance_stop($master, 15) if $master;
}

is_deeply($result{peruid}, $result{prefork},
          'the same answers as prefork, case by case');
