# t/mass_users.t -- prefork's numbers keep prefork's meaning on a host
# with many users: 2,000 vhosts under 2,000 users (numeric AssignUserID
# ids without passwd entries, all on one document root) and Debian's
# stock values (StartServers 5, MinSpareServers 5, MaxSpareServers 10,
# MaxRequestWorkers 150).  After one request to each of 50 users, the
# server holds at most one idle worker per user served, plus
# MaxSpareServers spares, plus the routers: MinSpareServers and
# MaxSpareServers count for the whole server, not for every user.  Runs
# an instance of its own (inst-mass).
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/lib";
use Apache::Test qw(-withtestmore);
use PeruidTest qw(:all);
use Time::HiRes qw(time sleep);

plan tests => 5;

my %started;    # conf file => master pid, for the END block
END { stop_instances(\%started) }

my $users = 2000;
my $first = 61000;      # ids without passwd or group entries
for my $id ($first, $first + $users - 1) {
    plan skip_all => "uid $id exists on this machine" if getpwuid($id);
}
my $port = free_port();
my $docroot = root() . '/htdocs/default';
my $body = '';
for my $i (0 .. $users - 1) {
    my $id = $first + $i;
    $body .= "<VirtualHost 127.0.0.1:$port>\n    ServerName u$i.test\n"
           . "    DocumentRoot \"$docroot\"\n"
           . "    AssignUserID #$id #$id\n</VirtualHost>\n";
}
my ($master) = started_instance(\%started, 'mass', port => $port,
    no_php => 1, mpm => <<'EOF', body => $body);
StartServers 5
MinSpareServers 5
MaxSpareServers 10
ServerLimit 256
MaxRequestWorkers 150
PeruidRouters 1
PeruidIdleTimeout 60
EOF
ok($master, "instance with $users vhosts under $users users started")
    or exit;

my $ok = 0;
for my $i (0 .. 49) {
    my $r = http("u$i.test", '/site.txt', port => $port);
    $ok++ if ($r->{status} // 0) == 200;
}
is($ok, 50, 'one request to each of 50 users: 50 answers');

my $routers = () = routers($master, $port);
my $bound = 50 + 10 + $routers;
# what is left once the master's once-a-second passes have run (for
# 5 s at most: the module before aa16e91 stayed at 151)
my @kids;
wait_for(sub { (@kids = children_of($master)) <= $bound }, 5, 0.2);
cmp_ok(scalar @kids, '<=', $bound, 'processes besides the master: '
       . scalar(@kids) . " (at most 50 users' warm workers + "
       . "MaxSpareServers 10 + $routers router(s))");
my %per_uid;
$per_uid{ proc_uid($_) // -1 }++ for @kids;
my @two = grep { $per_uid{$_} > 1 && $_ >= $first } keys %per_uid;
ok(@two <= 10, 'users with more than one worker: ' . scalar(@two)
   . ' (their extra workers are the MaxSpareServers spares)');
my $served = grep { $_ >= $first && $_ < $first + 50 } keys %per_uid;
ok($served >= 45, "the users served keep their warm worker ($served of "
   . '50)');
