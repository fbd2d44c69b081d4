# t/logs.t -- a worker holds only its own users' log files, and what a
# tenant writes to a log shared with other users carries its user's mark
# (logs.c).
#
# First instance (a.test's worker preforked, bound later; BufferedLogs
# On): a.test has PHP's FFI (log_fds.php lists every descriptor of its
# worker and writes a line into each file and pipe among them) and a
# CustomLog of its own; b.test has its own CustomLog and ErrorLog.  No
# descriptor of a.test's worker is one of b.test's logs, and b.test's
# logs never get a.test's line (the module before gave every worker
# every log: a.test forged lines in both).  a.test writes to the main
# ErrorLog with plain PHP (error_log(), php://stderr) and with native
# code (write(2) on descriptor 2), each time a line that looks like the
# master's "[mpm_peruid:emerg]": every such line starts with
# "[user peruid_ta] " (before, it was indistinguishable from the
# master's own).
#
# Second instance: the main ErrorLog and CustomLog are piped logs ("|$cat
# >> file"), inherited by a.test and b.test: both still receive lines of
# both users, each marked with its user.
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/lib";
use Apache::Test qw(-withtestmore);
use PeruidTest qw(:all);

plan skip_all => 'PHP (mod_php) is not installed' unless vars('peruid_php');
plan tests => 17;

my %started;    # conf file => master pid, for the END block
END { stop_instances(\%started) }

my $attack = root() . '/htdocs/attack';
my $htdocs = root() . '/htdocs';
my $fmt = 'LogFormat "%v %h \"%r\" %>s" peruid';

# ------------------------------------------------ files, BufferedLogs
my $port = free_port();
my $dir = root() . '/inst-logs';
my ($b_access, $b_error, $a_access, $main_error) = map { "$dir/logs/$_" }
    qw(b_access b_error a_access error_log);
my ($master) = started_instance(\%started, 'logs', port => $port,
    vhosts => 0, mpm => <<'EOF', body => <<"EOF2");
StartServers 0
MinSpareServers 0
MaxSpareServers 4
ServerLimit 16
MaxRequestWorkers 8
PeruidRouters 1
PeruidPreforkedWorkers 2
EOF
LogLevel info mpm_peruid:debug
BufferedLogs On
$fmt
CustomLog "$dir/logs/main_access" peruid
<VirtualHost 127.0.0.1:$port>
    ServerName default.test
    DocumentRoot "$htdocs/default"
</VirtualHost>
<VirtualHost 127.0.0.1:$port>
    ServerName a.test
    DocumentRoot "$attack"
    AssignUserID peruid_ta peruid_ta
    php_admin_value ffi.enable 1
    CustomLog "$a_access" peruid
</VirtualHost>
<VirtualHost 127.0.0.1:$port>
    ServerName b.test
    DocumentRoot "$htdocs/b"
    AssignUserID peruid_tb peruid_tb
    CustomLog "$b_access" peruid
    ErrorLog "$b_error"
</VirtualHost>
EOF2
ok($master, 'instance started') or exit;

# b.test served once: its logs exist and hold its own lines
my $r = http('b.test', '/site.txt', port => $port, timeout => 5);
is($r->{status}, 200, 'b.test answers');

my $mark = 'logs-t-' . time . "-$$";
$r = http('a.test', "/log_fds.php?m=$mark-fd", port => $port, timeout => 10);
my %fds = ($r->{body} // '') =~ /^fd=(\d+) (.*)$/mg;
my ($written) = ($r->{body} // '') =~ /^written=(\d+)$/m;
ok(($r->{status} // 0) == 200 && $written,
   "the FFI tenant of a.test listed its descriptors and wrote into $written"
   . ' of them (' . scalar(keys %fds) . ' descriptors)')
    or diag($r->{body});
my @theirs = grep { $fds{$_} eq $b_access || $fds{$_} eq $b_error }
    sort { $a <=> $b } keys %fds;
is("@theirs", '', "a.test's worker holds no descriptor of b.test's "
   . 'CustomLog or ErrorLog') or diag(join "\n", map { "$_ $fds{$_}" } @theirs);
ok(grep({ $fds{$_} eq $a_access } keys %fds),
   "it holds its own CustomLog");
ok(wait_for(sub { (slurp($a_access) // '') =~ /\Q$mark-fd\E/ }, 5),
   'its line reached its own CustomLog (the writes were real)');

# plain PHP and native code write lines that look like the master's
$r = http('a.test', "/forge_log.php?m=$mark-php", port => $port,
          timeout => 5);
is($r->{status}, 200, 'plain PHP wrote to its logs');
$r = http('a.test', "/log_fds.php?stderr=$mark-native", port => $port,
          timeout => 5);
is($r->{status}, 200, 'native code wrote to descriptor 2');
my @lines;
wait_for(sub {
    @lines = grep { /\Q$mark\E-(php|native)/ }
        split /\n/, slurp($main_error) // '';
    (grep { /$mark-native/ } @lines) && (grep { /$mark-php/ } @lines) >= 2;
}, 5);
my @unmarked = grep { !/^\[user peruid_ta\] / } @lines;
ok(@lines >= 3 && !@unmarked,
   'every line a.test wrote to the main ErrorLog (' . scalar(@lines)
   . ': error_log(), php://stderr, write(2)) starts with '
   . '"[user peruid_ta] "') or diag(join "\n", @lines);
ok(!grep({ /^\[[A-Z][a-z]{2} .*\[mpm_peruid:emerg\].*\Q$mark\E/ } @lines),
   'none of them looks like a line of the master');
my ($ta) = ids_of('peruid_ta');
like(slurp($main_error) // '', qr/PU00085: worker uid $ta: \/dev\/null in place of other users' log descriptors \d/,
     'the worker said which descriptors it closed (PU00085)');
# the relay that reads what the tenant writes holds no privilege: the
# routers' user, no capabilities
my ($relay) = (slurp($main_error) // '') =~ /PU00085: worker uid $ta: .* log relay pid (\d+)/;
my ($router_uid) = ids_of('peruid-router');
my $caps = ($relay && slurp("/proc/$relay/status") // '') =~ /^CapEff:\s*(\w+)/m
           ? $1 : '-';
ok($relay && defined $router_uid && (proc_uid($relay) // -1) == $router_uid
   && $caps =~ /^0+$/,
   'the log relay (pid ' . ($relay // '-') . ') runs as peruid-router (uid '
   . ($router_uid // '-') . '), not root: uid '
   . (defined $relay ? proc_uid($relay) // '-' : '-') . ", CapEff $caps");

# b.test's logs hold none of a.test's lines, also after its workers left
# (BufferedLogs: their lines are written at exit)
instance_stop($master, 10);
delete $started{"$dir/httpd.conf"};
my ($b_acc, $b_err) = (slurp($b_access) // '', slurp($b_error) // '');
ok($b_acc =~ /^b\.test / && $b_acc !~ /\Q$mark\E/ && $b_err !~ /\Q$mark\E/,
   "b.test's CustomLog and ErrorLog have its own lines, none of a.test's")
    or diag("b_access:\n$b_acc\nb_error:\n$b_err");

# ------------------------------------------------------- piped logs
my $port2 = free_port();
my $dir2 = root() . '/inst-logs-piped';
my ($p_err, $p_acc) = ("$dir2/logs/piped_error", "$dir2/logs/piped_access");
my ($master2) = started_instance(\%started, 'logs-piped', port => $port2,
    vhosts => 0, body => <<"EOF");
ErrorLog "|\$/bin/cat >> $p_err"
$fmt
CustomLog "|\$/bin/cat >> $p_acc" peruid
<VirtualHost 127.0.0.1:$port2>
    ServerName default.test
    DocumentRoot "$htdocs/default"
</VirtualHost>
<VirtualHost 127.0.0.1:$port2>
    ServerName a.test
    DocumentRoot "$attack"
    AssignUserID peruid_ta peruid_ta
</VirtualHost>
<VirtualHost 127.0.0.1:$port2>
    ServerName b.test
    DocumentRoot "$attack"
    AssignUserID peruid_tb peruid_tb
</VirtualHost>
EOF
ok($master2, 'instance with piped logs started') or exit;
my $ok = 0;
for my $h ('a.test', 'b.test') {
    my $x = http($h, "/forge_log.php?m=$mark-$h", port => $port2,
                 timeout => 5);
    $ok++ if ($x->{status} // 0) == 200;
}
is($ok, 2, 'a.test and b.test served');
my ($acc, $err) = ('', '');
wait_for(sub {
    ($acc, $err) = (slurp($p_acc) // '', slurp($p_err) // '');
    $acc =~ /b\.test .*\Q$mark\E-b\.test/ && $err =~ /\Q$mark\E-b\.test/
        && $acc =~ /a\.test .*\Q$mark\E-a\.test/
        && $err =~ /\Q$mark\E-a\.test/;
}, 5);
ok($acc =~ /^\[user peruid_ta\] a\.test .*\Q$mark\E-a\.test/m
   && $acc =~ /^\[user peruid_tb\] b\.test .*\Q$mark\E-b\.test/m,
   'the piped CustomLog has the lines of both users, each marked')
    or diag($acc);
my @e = grep { /\Q$mark\E/ } split /\n/, $err;
ok((grep { /^\[user peruid_ta\] .*\Q$mark\E-a\.test/ } @e) >= 2
   && (grep { /^\[user peruid_tb\] .*\Q$mark\E-b\.test/ } @e) >= 2
   && !grep({ !/^\[user peruid_t[ab]\] / } @e),
   'the piped ErrorLog has the lines of both users, each marked')
    or diag(join "\n", @e);
