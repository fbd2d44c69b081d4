# t/named_users.t -- AssignUserID by name on a host with many users: past
# 32 names in one configuration read, the master answers the rest from one
# pass over the passwd and group databases when nsswitch.conf's sources
# all list their entries (names.c; Debian's "files systemd").  The answers
# must be getpwnam()'s and getgrnam()'s: 40 vhosts under 40 users created
# here, each vhost served as its own user and group; an unknown name after
# them is still refused at "apache2 -t", naming AssignUserID.  The users
# are removed at the end.  Runs instances of its own (inst-named-*).
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/lib";
use Apache::Test qw(-withtestmore);
use PeruidTest qw(:all);

plan tests => 5;

my %started;    # conf file => master pid, for the END block
my @made;       # users this test created
END {
    stop_instances(\%started);
    system('userdel', $_) for @made;
    system('groupdel', $_) for grep { getgrnam($_) } @made;
}

my $n = 40;
my @users = map { sprintf 'peruid_n%02d', $_ } 0 .. $n - 1;
for my $u (@users) {
    next if getpwnam($u);
    system('useradd', '--system', '--user-group', '--no-create-home',
           '--home-dir', '/nonexistent', '--shell', '/usr/sbin/nologin',
           $u) == 0 or BAIL_OUT("useradd $u failed");
    push @made, $u;
}
my $port = free_port();
my $docroot = root() . '/htdocs/default';
sub vhosts {
    my (@pairs) = @_;
    my ($body, $i) = ('', 0);
    for my $p (@pairs) {
        $body .= "<VirtualHost 127.0.0.1:$port>\n    ServerName n"
               . $i++ . ".test\n    DocumentRoot \"$docroot\"\n"
               . "    AssignUserID $p->[0] $p->[1]\n</VirtualHost>\n";
    }
    return $body;
}

# the passes cover the names beyond the 32nd: both databases, and a user
# whose group is another user's (not its own)
my @pairs = map { [$users[$_], $users[$_]] } 0 .. $n - 2;
push @pairs, [$users[$n - 1], $users[0]];
my ($master) = started_instance(\%started, 'named', port => $port,
    mpm => "StartServers 0\nPeruidRouters 1\n", body => vhosts(@pairs));
ok($master, "instance with $n vhosts under $n named users started")
    or exit;
my @bad;
for my $i (0, 20, 33, 38, $n - 1) {
    my $v = kv(http("n$i.test", '/whoami.php', port => $port)->{body});
    my $want_uid = (getpwnam($pairs[$i][0]))[2];
    my $want_gid = (getgrnam($pairs[$i][1]))[2];
    push @bad, "n$i: uid " . ($v->{uid} // '-') . " gid "
        . ($v->{gid} // '-') . ", want $want_uid $want_gid"
        unless ($v->{uid} // -1) == $want_uid
            && ($v->{gid} // -1) == $want_gid;
}
is("@bad", '', 'vhosts 0, 20, 33, 38 and 39 served as their user and '
   . 'group, as getpwnam() and getgrnam() give them');

# an unknown user or group after 39 known names: refused at -t
my $httpd = vars('httpd') || '/usr/sbin/apache2';
for my $case (['peruid_nosuchuser', $users[0], qr/AssignUserID: unknown user 'peruid_nosuchuser'/],
              [$users[0], 'peruid_nosuchgroup', qr/AssignUserID: unknown group 'peruid_nosuchgroup'/]) {
    my ($file, $dir) = instance_conf('named-bad', port => free_port(),
        no_php => 1, body => vhosts(@pairs[0 .. $n - 2], $case));
    my $out = `\Q$httpd\E -t -d \Q$dir\E -f \Q$file\E 2>&1`;
    ok($? != 0 && $out =~ $case->[2], "-t refuses '$case->[0] $case->[1]' "
       . 'after 39 known names') or diag $out;
}
my @left = instance_stop($master, 10);
is("@left", '', 'instance stopped');
