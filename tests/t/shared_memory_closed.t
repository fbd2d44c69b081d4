# t/shared_memory_closed.t -- a worker that cannot take its user's own
# copy of OPcache's segment (segments.c) does not serve: it never runs
# with the segment every user shares.  The server is started with a file
# size limit of 64 MB (ulimit -f, SIGXFSZ ignored), which the memfd of a
# 128 MB segment's copy cannot reach: every worker's copy fails
# (ftruncate: EFBIG), so each one logs PU00078, naming its user, and
# exits before it switches users; no request is served by PHP.  The
# module before served them, every user on the one shared segment.
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/lib";
use Apache::Test qw(-withtestmore);
use PeruidTest qw(:all);

plan skip_all => 'PHP (mod_php) is not installed' unless vars('peruid_php');
plan tests => 4;

my $master;
my $port = free_port();
my ($conf, $dir) = instance_conf('shm-closed', port => $port);
END { instance_stop($master, 10) if $master && ours($master, $conf) }

my $bin = vars('httpd') || '/usr/sbin/apache2';
my $pf = "$dir/logs/httpd.pid";
unlink $pf;
system('sh', '-c', 'ulimit -f 65536 && trap "" XFSZ && exec "$0" -d "$1" '
       . '-f "$2" -k start', $bin, $dir, $conf);
$master = wait_for(sub {
    my $p = master_pid($pf);
    $p && pid_alive($p) ? $p : 0;
}, 15);
ok($master, 'the server started (the master copies nothing itself)')
    or exit;

my $log = "$dir/logs/error_log";
my $r = http('a.test', '/whoami.php', port => $port, timeout => 5);
isnt($r->{status} // 0, 200, 'a.test\'s PHP was not served (got '
     . ($r->{status} // 'nothing') . ')');
unlike($r->{body} // '', qr/^uid=/m, 'no PHP ran for it');
my ($ta) = ids_of('peruid_ta');
ok(wait_for(sub { (slurp($log) // '')
                  =~ /PU00078: worker for uid $ta .*filling the user's copy/ },
            10),
   'the worker of a.test\'s user said why it refused (PU00078)');
