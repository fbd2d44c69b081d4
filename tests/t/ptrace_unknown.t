# t/ptrace_unknown.t -- a master that may not read its workers'
# /proc/PID/syscall (no ptrace access: here its bounding set lacks
# CAP_SYS_PTRACE, as in a container that drops it) treats their idle
# counts as unknown: it says so once (PU00056) and goes on serving.  The
# instance is started under setpriv(1), so the master and everything it
# forks lack the capability, and root may not trace another user's
# workers (procsys.c reads EPERM as unknown, tests/unit/test_procsys.c
# has the table).  Runs an instance of its own (inst-noptrace).
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/lib";
use Apache::Test qw(-withtestmore);
use PeruidTest qw(:all);
use Time::HiRes qw(time sleep);

my $setpriv = (grep { -x } qw(/usr/bin/setpriv /bin/setpriv))[0];
plan skip_all => 'setpriv(1) is not installed' unless $setpriv;
plan tests => 6;

my %started;    # conf file => master pid, for the END block
END { stop_instances(\%started) }

my $port = free_port();
my ($conf, $dir) = instance_conf('noptrace', port => $port,
                                 mpm => <<'EOF');
StartServers 1
MinSpareServers 1
MaxSpareServers 4
ServerLimit 10
MaxRequestWorkers 8
PeruidRouters 1
PeruidPeekTimeout 2
EOF
my $log_file = "$dir/logs/error_log";
my $pf = "$dir/logs/httpd.pid";
unlink $pf;
my $bin = vars('httpd') || '/usr/sbin/apache2';
my $out = `\Q$setpriv\E --bounding-set=-sys_ptrace \Q$bin\E -d \Q$dir\E -f \Q$conf\E -k start 2>&1`;
diag("start: $out") if $? != 0;
my $master = $started{$conf} = wait_for(sub {
    my $p = master_pid($pf);
    $p && pid_alive($p) ? $p : 0;
}, 15);
ok($master, 'instance started without CAP_SYS_PTRACE') or exit;
my $eff = (proc_status($master) || {})->{CapEff};
my $caps = defined $eff && $eff =~ /^[0-9a-f]{8,}$/
    ? hex(substr($eff, -8)) : -1;      # the low 32 capabilities
is($caps >= 0 && !($caps & (1 << 19)), 1,
   'the master lacks CAP_SYS_PTRACE (19)');

my ($ta) = ids_of('peruid_ta');
my $r = wait_for(sub {
    my $x = http('a.test', '/whoami.php', port => $port, timeout => 5);
    ($x->{status} // 0) == 200 ? $x : undef;
}, 15);
is(kv($r ? $r->{body} : '')->{uid}, $ta, 'a.test is served, as its user');
$r = http('b.test', '/site.txt', port => $port, timeout => 5);
is($r->{status}, 200, 'b.test is served');

# the master looks at its workers at least once a second
my $log = '';
wait_for(sub {
    $log = error_log_since(0, $log_file);
    $log =~ /PU00056/;
}, 10);
like($log, qr/PU00056: master: cannot read \/proc\/PID\/syscall of a worker \(it needs ptrace access for root\)/,
     'the master says it cannot read /proc/PID/syscall (PU00056)');
sleep 3;    # three more passes
http('a.test', '/whoami.php', port => $port, timeout => 5);
$log = error_log_since(0, $log_file);
my $n = () = $log =~ /PU00056/g;
is($n, 1, 'once only');
