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
#
# Last, PeruidLogMark suffix (the mark at each line's end, after any the
# tenant forged) and off (relayed unmarked).
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/lib";
use Apache::Test qw(-withtestmore);
use PeruidTest qw(:all);
use IO::Select ();

plan skip_all => 'PHP (mod_php) is not installed' unless vars('peruid_php');
plan tests => 31;

my %started;    # conf file => master pid, for the END block

# The log relays of a master: its children and grandchildren named
# peruid-logs (the server has one, a child of the master; the module
# before had one per worker, each a child of its worker).
sub relays {
    my ($m) = @_;
    return grep { (slurp("/proc/$_/comm") // '') =~ /^peruid-logs$/ }
        map { ($_, children_of($_)) } children_of($m);
}

# Create (empty) the file $f.
sub touch_file {
    my ($f) = @_;
    open my $fh, '>', $f or die "$f: $!";
    close $fh;
}

# The pipes a process holds: fd -> inode
sub pipes_of {
    my %t = fd_targets(shift);
    return map { $t{$_} =~ /^pipe:\[(\d+)\]$/ ? ($_ => $1) : () } keys %t;
}

# Where $needle first is in $file at or beyond ${$pos} (undef: not yet);
# ${$pos} moves on.  Read in large pieces: the log grows by megabytes
# while a test waits.
sub find_in_file {
    my ($file, $pos, $needle) = @_;
    open my $fh, '<', $file or return undef;
    seek $fh, $$pos, 0;
    my $found;
    while (!defined $found && (my $n = read($fh, my $buf, 8 << 20))) {
        my $i = index($buf, $needle);
        $found = $$pos + $i if $i >= 0;
        # the needle may straddle two pieces: look at its end again
        $$pos += $n < length($needle) ? 0 : $n - length($needle) + 1;
        last if $n < (8 << 20);
    }
    close $fh;
    return $found;
}

# The whole lines of $file between offsets $from and $to (the partial
# ones at both ends left out).
sub lines_between {
    my ($file, $from, $to) = @_;
    open my $fh, '<', $file or return ();
    seek $fh, $from, 0;
    read($fh, my $buf, $to - $from) // return ();
    close $fh;
    my @l = split /\n/, $buf, -1;
    shift @l if $from > 0;
    pop @l;
    return @l;
}
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
    vhosts => 0, mpm => small_mpm('PeruidPreforkedWorkers 2'),
    body => <<"EOF2");
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
my ($router_uid) = ids_of('peruid-router');
my @relays = relays($master);
my $relay = $relays[0];
my $caps = ($relay && slurp("/proc/$relay/status") // '')
           =~ /^CapEff:\s*(\w+)/m ? $1 : '-';
ok(@relays == 1 && defined $router_uid
   && (proc_uid($relay) // -1) == $router_uid && $caps =~ /^0+$/,
   'the log relay (pid ' . join(' ', @relays) . ') runs as peruid-router '
   . '(uid ' . ($router_uid // '-') . '), not root: uid '
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

# ------------------------------------------- one relay for the server
# Several workers of several users at once (two kept-alive connections
# per user hold two workers each): one log relay in all, a child of the
# master; each user's workers share their pool's pipes to it, and no
# worker holds another user's.
my $port3 = free_port();
my $dir3 = root() . '/inst-logs-relay';
my $main3 = "$dir3/logs/error_log";
my ($master3) = started_instance(\%started, 'logs-relay', port => $port3,
    vhosts => 0, mpm => <<'EOF', body => <<"EOF2");
StartServers 0
MinSpareServers 0
MaxSpareServers 8
ServerLimit 16
MaxRequestWorkers 10
PeruidRouters 1
EOF
LogLevel info mpm_peruid:debug
$fmt
CustomLog "$dir3/logs/main_access" peruid
<VirtualHost 127.0.0.1:$port3>
    ServerName default.test
    DocumentRoot "$htdocs/default"
</VirtualHost>
<VirtualHost 127.0.0.1:$port3>
    ServerName a.test
    DocumentRoot "$attack"
    AssignUserID peruid_ta peruid_ta
</VirtualHost>
<VirtualHost 127.0.0.1:$port3>
    ServerName b.test
    DocumentRoot "$attack"
    AssignUserID peruid_tb peruid_tb
</VirtualHost>
EOF2
ok($master3, 'instance for the relay started') or exit;
my ($tb) = ids_of('peruid_tb');
my @held;
for my $h ('a.test', 'a.test', 'b.test', 'b.test') {
    my $c = keepalive_connect(port => $port3) or next;
    ka_send($c, $h, "/forge_log.php?m=$mark-warm");
    my $x = ka_read_response($c, 10);
    push @held, $c if ($x->{status} // 0) == 200;
}
my @wa = workers_of_uid($master3, $ta, $port3);
my @wb = workers_of_uid($master3, $tb, $port3);
my @r3 = relays($master3);
ok(@held == 4 && @wa >= 2 && @wb >= 2 && @r3 == 1
   && (proc_ppid($r3[0]) // 0) == $master3,
   'with ' . scalar(@wa) . ' workers of peruid_ta and ' . scalar(@wb)
   . ' of peruid_tb alive, one log relay, a child of the master (relays: '
   . join(' ', map { "$_ (parent " . (proc_ppid($_) // '-') . ')' } @r3)
   . ')');
my %relay_pipes = map { $_ => 1 } values %{ { pipes_of($r3[0] // 0) } };
my %pipes_of_worker = map {
    my %p = pipes_of($_);
    ($_ => join ' ', sort grep { $relay_pipes{$_} } values %p);
} @wa, @wb;
my %by_uid;
push @{ $by_uid{proc_uid($_) // -1} }, $pipes_of_worker{$_} for @wa, @wb;
ok(@wa >= 2 && @wb >= 2 && $pipes_of_worker{$wa[0]} ne ''
   && !grep({ $_ ne $pipes_of_worker{$wa[0]} } @{ $by_uid{$ta} })
   && !grep({ $_ ne $pipes_of_worker{$wb[0]} } @{ $by_uid{$tb} }),
   "each user's workers hold the same pipes to the relay, their pool's "
   . "(peruid_ta: @{[ join ' | ', @{ $by_uid{$ta} || [] } ]}; peruid_tb: "
   . "@{[ join ' | ', @{ $by_uid{$tb} || [] } ]})");
my %a_pipes = map { $_ => 1 } map { split ' ' } @{ $by_uid{$ta} || [] };
my @crossed = grep { $a_pipes{$_} } map { split ' ' } @{ $by_uid{$tb} || [] };
my @with_read_end = grep {
    my $w = $_;
    my %p = pipes_of($w);
    grep {
        $relay_pipes{$p{$_}}
            && (slurp("/proc/$w/fdinfo/$_") // '')
               !~ /^flags:\s*[0-7]*[15]$/m     # O_WRONLY
    } keys %p;
} @wa, @wb;
my @with_log = grep {
    my %t = fd_targets($_);
    grep { $_ eq $main3 || $_ eq "$dir3/logs/main_access" } values %t;
} @wa, @wb;
ok(%a_pipes && !@crossed && !@with_read_end && !@with_log,
   'no worker holds a pipe of another user, nor a read end of its own, '
   . "nor the shared logs (shared: @crossed; workers with a read end: "
   . "@with_read_end; with a shared log: @with_log)");
close $_->{sock} for @held;

# the relay killed: the master starts another, which reads the same
# pipes; lines written after it still arrive, marked
my $old_relay = $r3[0] // 0;
kill 'KILL', $old_relay if $old_relay;
my $new_relay = wait_for(sub {
    my @r = relays($master3);
    @r == 1 && $r[0] != $old_relay ? $r[0] : 0;
}, 10);
ok($new_relay && (proc_uid($new_relay) // -1) == $router_uid
   && (proc_ppid($new_relay) // 0) == $master3,
   "the relay killed ($old_relay), the master started another ("
   . ($new_relay || 'none') . '), as peruid-router');
$r = http('a.test', "/forge_log.php?m=$mark-after", port => $port3,
          timeout => 5);
my @after;
wait_for(sub {
    @after = grep { /\Q$mark\E-after/ } split /\n/, slurp($main3) // '';
    @after >= 2;
}, 10);
ok(($r->{status} // 0) == 200 && @after >= 2
   && !grep({ !/^\[user peruid_ta\] / } @after),
   'lines a.test wrote after the relay was replaced arrive, marked')
    or diag(join "\n", @after);
like(slurp($main3) // '',
     qr/PU00064: master: log relay $old_relay was killed by signal 9/,
     'the master said the relay died (PU00064)');

# a user flooding its stderr: another user's lines still arrive, whole
# and marked, while the flood goes on
my $stop = root() . "/logs-t-flood-stop-$$";
unlink $stop;
my $pos = -s $main3 // 0;
my $flood_at = $pos;
my $flooder = keepalive_connect(port => $port3, timeout => 30);
ka_send($flooder, 'a.test', "/flood_log.php?m=$mark-flood&stop=$stop");
wait_for(sub { (-s $main3 // 0) > $flood_at + (256 << 10) }, 15);
$r = http('b.test', "/forge_log.php?m=$mark-b", port => $port3,
          timeout => 10);
my $b_at = wait_for(sub { find_in_file($main3, \$pos, "$mark-b") }, 15);
my $still = !IO::Select->new($flooder->{sock})->can_read(0);
touch_file($stop);
my $fr = ka_read_response($flooder, 30);
my ($flooded) = ($fr->{body} // '') =~ /^written=(\d+)$/m;
ok(($r->{status} // 0) == 200 && $b_at && $still,
   "b.test's line arrived while a.test's flood went on ("
   . ($b_at ? $b_at - $flood_at : '-') . ' bytes of the log after the '
   . "flood's start)");
my @around = $b_at ? lines_between($main3, $b_at > $flood_at + (256 << 10)
                                   ? $b_at - (256 << 10) : $flood_at,
                                   $b_at + (256 << 10)) : ();
my @b_lines = grep { /\Q$mark\E-b\b/ } @around;
# (the flood's last line, "flood-end MARK-flood", falls in the window
# when the flood stopped soon after b.test's line: a slow machine)
my @bad = grep {
    /\Q$mark\E-flood\b/
        ? !/^\[user peruid_ta\] (?:flood \Q$mark\E-flood x{200}|flood-end \Q$mark\E-flood)$/
        : !/^\[user peruid_tb\] .*\Q$mark\E-b\b/
} @around;
ok(@b_lines >= 2 && @around > 1000 && !@bad,
   'around it (' . scalar(@around) . ' lines) each line is whole and '
   . "marked with its own user (a.test flooded @{[ $flooded // '-' ]} "
   . 'bytes)') or diag(join "\n", grep { defined } @bad[0 .. 4]);
unlink $stop;

# a graceful restart: a line an old worker writes after it is written
my $late = keepalive_connect(port => $port3, timeout => 30);
ka_send($late, 'a.test', "/flood_log.php?m=$mark-late&sleep=2");
select(undef, undef, undef, 0.5);
my $relay_before = (relays($master3))[0] // 0;
kill 'USR1', $master3;
my $lr = ka_read_response($late, 15);
my @late_lines;
wait_for(sub {
    @late_lines = grep { /late \Q$mark\E-late/ }
        split /\n/, slurp($main3) // '';
    @late_lines >= 1;
}, 10);
ok(($lr->{status} // 0) == 200 && @late_lines == 1
   && $late_lines[0] =~ /^\[user peruid_ta\] late /,
   'a line an old worker wrote after a graceful restart arrived, marked')
    or diag(join "\n", 'status ' . ($lr->{status} // '-'), @late_lines);
my @after_restart;
wait_for(sub {
    @after_restart = relays($master3);
    @after_restart == 1 && $after_restart[0] != $relay_before;
}, 15);
ok(@after_restart == 1 && $after_restart[0] != $relay_before,
   "after the restart one relay again, the new generation's (before: "
   . "$relay_before, now: @after_restart)");

# -k stop: what a worker wrote before it exited is written, also what
# still waited in its pipe
my $stop_at = -s $main3 // 0;
my $last = keepalive_connect(port => $port3, timeout => 30);
ka_send($last, 'a.test', "/flood_log.php?m=$mark-stop&stop=$stop");
wait_for(sub { (-s $main3 // 0) > $stop_at + (64 << 10) }, 15);
touch_file($stop);
my $sr = ka_read_response($last, 30);
instance_stop($master3, 15);
delete $started{"$dir3/httpd.conf"};
unlink $stop;
my $tail = `tail -c 4096 \Q$main3\E`;
ok(($sr->{status} // 0) == 200
   && $tail =~ /^\[user peruid_ta\] flood-end \Q$mark\E-stop$/m,
   "after -k stop the flood's last line is in the log, marked")
    or diag($tail);

# ------------------------------------------- PeruidLogMark suffix, off
# (the query string's spaces and brackets escaped)
sub uri_escape_min {
    my ($s) = @_;
    $s =~ s/([^A-Za-z0-9._~-])/sprintf('%%%02X', ord $1)/ge;
    return $s;
}

# suffix: every line of a shared log starts as httpd wrote it (log
# parsers and fail2ban's filters read it unchanged) and ends with its
# writer's mark; a tenant that writes a mark of its own into its line
# still gets the true one last.  off: relayed, unmarked.
for my $where ('suffix', 'off') {
    my $portm = free_port();
    my $dirm = root() . "/inst-logs-$where";
    my ($m_err, $m_acc) = ("$dirm/logs/error_log", "$dirm/logs/main_access");
    my ($masterm) = started_instance(\%started, "logs-$where",
        port => $portm, vhosts => 0, body => <<"EOF");
PeruidLogMark $where
$fmt
CustomLog "$m_acc" peruid
<VirtualHost 127.0.0.1:$portm>
    ServerName default.test
    DocumentRoot "$htdocs/default"
</VirtualHost>
<VirtualHost 127.0.0.1:$portm>
    ServerName a.test
    DocumentRoot "$attack"
    AssignUserID peruid_ta peruid_ta
</VirtualHost>
<VirtualHost 127.0.0.1:$portm>
    ServerName b.test
    DocumentRoot "$attack"
    AssignUserID peruid_tb peruid_tb
</VirtualHost>
EOF
    my $served = 0;
    for my $h ('a.test', 'b.test') {
        # a.test forges b.test's mark at the end of its own lines
        my $m = $h eq 'a.test' ? "$mark-$h [user peruid_tb]" : "$mark-$h";
        my $x = http($h, '/forge_log.php?m=' . uri_escape_min($m),
                     port => $portm, timeout => 5);
        $served++ if ($x->{status} // 0) == 200;
    }
    my ($acc, $err) = ('', '');
    wait_for(sub {
        ($acc, $err) = (slurp($m_acc) // '', slurp($m_err) // '');
        $acc =~ /^b\.test .*\Q$mark\E-b\.test/m
            && $acc =~ /^a\.test .*\Q$mark\E-a\.test/m
            && (() = $err =~ /\Q$mark\E-[ab]\.test/g) >= 4;
    }, 5);
    my @a = grep { /\Q$mark\E/ } split /\n/, $acc;
    my @e = grep { /\Q$mark\E/ } split /\n/, $err;
    if ($where eq 'suffix') {
        ok($served == 2 && @a == 2 && @e >= 4
           && !grep({ !/^[ab]\.test .* \[user peruid_t[ab]\]$/ } @a)
           && (grep { /^a\.test .*\Q$mark\E-a\.test.* \[user peruid_ta\]$/ } @a)
           && (grep { /^b\.test .*\Q$mark\E-b\.test.* \[user peruid_tb\]$/ } @a)
           && !grep({ /^\[user / || !/ \[user peruid_t[ab]\]$/ } @e)
           && (grep { /\Q$mark\E-a\.test \[user peruid_tb\] \[user peruid_ta\]$/ } @e) >= 1,
           'PeruidLogMark suffix: shared lines start as httpd wrote them and '
           . 'end with the true mark, after a forged one')
            or diag(join "\n", "served $served", @a, @e);
    }
    else {
        ok($served == 2 && @a == 2 && @e >= 4
           && !grep({ /\[user peruid_t[ab]\]\s*$/ && !/\Q$mark\E-a\.test \[user peruid_tb\]/ } @a, @e)
           && !grep({ /^\[user / } @a, @e),
           'PeruidLogMark off: shared lines relayed unmarked')
            or diag(join "\n", "served $served", @a, @e);
    }
    instance_stop($masterm, 10);
    delete $started{"$dirm/httpd.conf"};
}
