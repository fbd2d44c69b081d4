# t/limits.t -- RLimitNPROC bounds the processes of a vhost's user, and
# RLimitCPU and RLimitMEM keep their prefork meaning (CGI programs only).
# limited.test runs as peruid_ta with "RLimitNPROC 20" (and RLimitCPU,
# RLimitMEM); the main server says "RLimitNPROC 300", which every vhost
# without its own inherits.  A worker takes the lowest RLimitNPROC of its
# user's vhosts at its switch (child.c, creds.c): PHP that starts 40
# programs gets at most 20 (the kernel counts all of peruid_ta's
# processes, its workers too), while b.test keeps answering.  Before, the
# workers kept root's limit and all 40 started.
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/lib";
use Apache::Test qw(-withtestmore);
use PeruidTest qw(:all);
use POSIX ();
use Time::HiRes qw(time sleep);

plan skip_all => 'PHP (mod_php) is not installed' unless vars('peruid_php');
plan tests => 9;

my %started;    # conf file => master pid, for the END block
END { stop_instances(\%started) }

my ($ta_uid) = ids_of('peruid_ta');
my ($tb_uid) = ids_of('peruid_tb');
my $htdocs = root() . '/htdocs';
my $port = free_port();
my ($master) = started_instance(\%started, 'limits', port => $port,
                                body => <<"EOF");
RLimitNPROC 300
<VirtualHost 127.0.0.1:$port>
    ServerName limited.test
    DocumentRoot "$htdocs/a"
    AssignUserID peruid_ta peruid_ta
    RLimitNPROC 20
    RLimitCPU 7
    RLimitMEM 2000000000
</VirtualHost>
EOF
ok($master, 'instance started') or exit;

sub get { kv(http($_[0], $_[1], port => $port, timeout => 20)->{body}) }

my $w = get('limited.test', '/procs.php');
is(($w->{nproc} // '-') =~ s{/.*}{}r, 20,
   "limited.test's worker: RLimitNPROC 20 ($w->{nproc})")
    or diag(explain($w));
is(($w->{cpu} // '-') =~ s{/.*}{}r, 'unlimited',
   "limited.test's worker: no RLimitCPU on the worker itself ($w->{cpu})");
my $b = get('b.test', '/procs.php');
is(($b->{nproc} // '-') =~ s{/.*}{}r, 300,
   "b.test's worker: the main server's RLimitNPROC 300 ($b->{nproc})");

# mod_cgi sets the vhost's limits on its CGI programs, as under prefork
my $c = get('limited.test', '/limits.cgi');
is(join(' ', map { ($c->{$_} // '-') =~ s{/.*}{}r } qw(nproc cpu as)),
   '20 7 2000000000', 'a CGI program of limited.test runs with its '
   . 'RLimitNPROC, RLimitCPU and RLimitMEM');

# the fork bomb: 40 programs, held 3 s, while b.test is asked meanwhile
pipe(my $rd, my $wr) or die "pipe: $!";
my $pid = fork // die "fork: $!";
if (!$pid) {
    close $rd;
    my $r = http('limited.test', '/procs.php?n=40&hold=3', port => $port,
                 timeout => 30);
    print $wr $r->{body} // '';
    close $wr;
    POSIX::_exit(0);
}
close $wr;
sleep 1;
my @b = map {
    my $r = http('b.test', '/whoami.php', port => $port, timeout => 10);
    sleep 0.2;
    ($r->{status} // '-') . '/' . (kv($r->{body})->{uid} // '-');
} 1 .. 5;
my $bomb = kv(do { local $/; <$rd> } // '');
waitpid($pid, 0);
my ($n, $failed) = ($bomb->{started} // -1, $bomb->{failed} // -1);
ok($n >= 1 && $n <= 20,
   "PHP of limited.test started $n of 40 programs (at most 20: the "
   . "kernel counts every process of peruid_ta)");
is($failed, 40 - $n, "the other $failed were refused");
is("@b", join(' ', ("200/$tb_uid") x 5),
   'b.test answered 5 of 5 requests meanwhile');
my $after = get('limited.test', '/whoami.php');
is($after->{uid}, $ta_uid, 'limited.test is served afterwards');
