# t/status.t -- mod_status per user (issue 15, item 2; status.c): with
# mod_status loaded, server-status (HTML and ?auto) shows each process
# of the MPM -- role, pid, user, virtual hosts -- and a table of the user
# pools -- workers, idle, busy, connections, hand-overs, cold starts,
# 503s at a cap --, through mod_status's own status_hook.  Three users
# (a.test and evil.test as peruid_ta, b.test and b2.test as peruid_tb,
# default.test as User peruid_td) serve requests first; then the figures
# must cover what the test did: the requests each user got, a hand-over
# on a kept-alive connection alternating two users, a 503 at b2.test's
# MaxClientsVHost 1.  The page comes from a sealed memfd only the master
# writes: the workers of the main server's user (User, here peruid_td:
# default.test and evild.test) map it read-only and hold no descriptor
# of it, and native code (PHP's FFI) there cannot make it writable.  The
# other users' workers -- tenants' code -- do not map it at all (they
# would read every user's traffic there): their server-status says
# where the tables are.  The module before printed none of this.
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/lib";
use Apache::Test qw(-withtestmore);
use PeruidTest qw(:all);
use IO::Select ();

my $libexec = vars('peruid_libexec');
plan skip_all => 'PHP (mod_php) is not installed' unless vars('peruid_php');
plan skip_all => 'mod_status is not installed'
    unless -e "$libexec/mod_status.so" && -e "$libexec/mod_authz_host.so";
plan tests => 28;

my %started;    # conf file => master pid, for the END block
END { stop_instances(\%started) }

my $htdocs = root() . '/htdocs';
my ($ta) = ids_of('peruid_ta');
my ($tb, $tb_gid) = ids_of('peruid_tb');
my ($td) = ids_of('peruid_td');
my %user_of = ($ta => 'peruid_ta', $tb => 'peruid_tb', $td => 'peruid_td');

my $port = free_port();
my ($master, undef, undef, $dir) = started_instance(\%started, 'status',
    port => $port,
    # a worker forked for each user at the start (a cold start each), and
    # one preforked worker waiting for a pool
    mpm => small_mpm('StartServers 3', 'PeruidPreforkedWorkers 1'),
    body => <<"EOF");
LoadModule mpm_itk_module @{[ vars('peruid_module') ]}
LoadModule status_module $libexec/mod_status.so
LoadModule authz_host_module $libexec/mod_authz_host.so
ExtendedStatus On
<Location /server-status>
    SetHandler server-status
    Require local
</Location>
<VirtualHost 127.0.0.1:$port>
    ServerName b2.test
    DocumentRoot "$htdocs/b"
    AssignUserID peruid_tb peruid_tb
    MaxClientsVHost 1
</VirtualHost>
<VirtualHost 127.0.0.1:$port>
    ServerName evil.test
    DocumentRoot "$htdocs/attack"
    AssignUserID peruid_ta peruid_ta
    php_admin_value ffi.enable 1
</VirtualHost>
<VirtualHost 127.0.0.1:$port>
    ServerName evild.test
    DocumentRoot "$htdocs/attack"
    php_admin_value ffi.enable 1
</VirtualHost>
EOF
ok($master, 'instance started (mod_status, three users)') or exit 1;

# ?auto (of default.test, served as User) as a hash, and the processes
# and pools in it as lists of hashes
sub auto_status {
    my ($host) = @_;
    my $r = http($host // 'default.test', '/server-status?auto',
                 port => $port, timeout => 10);
    my (%kv, @procs, @pools);
    for (split /\n/, $r->{body} // '') {
        my ($k, $v) = /^([^:]+): (.*)$/ or next;
        $kv{$k} = $v;
        $procs[$1]{$2} = $v if $k =~ /^PeruidProcess(\d+)(\w+)$/;
        $pools[$1]{$2} = $v if $k =~ /^PeruidPool(\d+)(\w+)$/;
    }
    return { status => $r->{status}, body => $r->{body} // '', kv => \%kv,
             procs => \@procs, pools => \@pools };
}

sub pool_of {
    my ($st, $user) = @_;
    my ($p) = grep { ($_->{User} // '') eq $user } @{ $st->{pools} };
    return $p;
}

# --- what the test does, and counts ---------------------------------
my %sent = (peruid_ta => 0, peruid_tb => 0, peruid_td => 0);
my %host_user = ('a.test' => 'peruid_ta', 'b.test' => 'peruid_tb',
                 'default.test' => 'peruid_td');
my $all_ok = 1;
for my $round (1 .. 3) {
    for my $host (qw(a.test b.test default.test)) {
        my $r = http($host, '/whoami.php', port => $port, timeout => 10);
        $all_ok &&= ($r->{status} // 0) == 200;
        $sent{ $host_user{$host} }++;
    }
}
ok($all_ok, 'nine requests, three per user, each on its own connection, '
   . 'answered 200');

# one kept-alive connection alternating a.test and b.test: each switch
# is a hand-over from the worker that read the request
my $ka = keepalive_connect(port => $port) or die "connect: $!";
my @answers;
for my $i (0 .. 3) {
    my $host = $i % 2 ? 'b.test' : 'a.test';
    ka_send($ka, $host, "/whoami.php?i=$i");
    my $r = ka_read_response($ka, 10);
    push @answers, ($r->{status} // 'none') . ' '
                   . (kv($r->{body})->{uid} // '-');
}
close $ka->{sock};
is("@answers", "200 $ta 200 $tb 200 $ta 200 $tb",
   'a kept-alive connection alternating a.test and b.test is answered by '
   . 'each user');

# a 503 at b2.test's MaxClientsVHost 1, from the router, while a request
# of b2.test is being served
my $slow = keepalive_connect(port => $port) or die "connect: $!";
ka_send($slow, 'b2.test', '/sleep.php?s=3');
my $sel = IO::Select->new($slow->{sock});
my $begun = '';
while ($begun !~ /pid=\d+/ && $sel->can_read(10)) {
    sysread($slow->{sock}, my $buf, 4096) or last;
    $begun .= $buf;
}
my $capped = http('b2.test', '/whoami.php', port => $port, timeout => 10);
is($capped->{status}, 503,
   'a second request of b2.test while one is served: 503 '
   . '(MaxClientsVHost 1)');
read_all($slow->{sock}, 10);
close $slow->{sock};

# --- the ?auto report --------------------------------------------------
# the master writes the page once a second: wait for a write that has
# seen everything above
my $st = wait_for(sub {
    my $s = auto_status();
    my ($pa, $pb) = (pool_of($s, 'peruid_ta'), pool_of($s, 'peruid_tb'));
    return $pa && $pb && ($pa->{Handovers} // 0) >= 1
           && ($pb->{Refused503} // 0) >= 1 ? $s : 0;
}, 10, 0.2) // auto_status();
is($st->{status}, 200, 'server-status?auto answered 200');
ok(defined $st->{kv}{PeruidStatusAge} && $st->{kv}{PeruidStatusAge} <= 2,
   'PeruidStatusAge: the master wrote the page within the last seconds ('
   . ($st->{kv}{PeruidStatusAge} // 'none') . ')')
    or diag(substr($st->{body}, 0, 2000));

# processes: roles, pids, users, vhosts, as the kernel shows them
my @procs = @{ $st->{procs} };
is($st->{kv}{PeruidProcesses}, scalar(@procs),
   "PeruidProcesses counts the processes listed (" . scalar(@procs) . ')');
my %by_role;
push @{ $by_role{ $_->{Role} } }, $_ for @procs;
my @routers = sort { $a <=> $b } routers($master, $port);
my ($relay) = log_relays($master);
is_deeply([map { "$_->{Pid} $_->{User}" } @{ $by_role{master} || [] }],
          ["$master root"], 'one master, its pid, as root');
is_deeply([sort { $a <=> $b } map { $_->{Pid} } @{ $by_role{router} || [] }],
          \@routers, 'the routers, by pid (' . "@routers" . ')');
is_deeply([map { "$_->{Pid} $_->{User}" } @{ $by_role{'log relay'} || [] }],
          [(defined $relay ? $relay : '-') . ' peruid-router'],
          'the log relay, as the routers\' user');

# every worker listed runs as the user it is shown with, and shows its
# pool's vhosts
my %want_vhosts = (peruid_ta => 'a.test evil.test',
                   peruid_tb => 'b.test b2.test');
my @bad;
for my $w (@{ $by_role{worker} || [] }) {
    my $uid = proc_uid($w->{Pid});
    push @bad, "$w->{Pid}: uid " . ($uid // 'gone') . " shown as $w->{User}"
        unless defined $uid && ($user_of{$uid} // '') eq $w->{User};
    my $v = $want_vhosts{ $w->{User} };
    push @bad, "$w->{Pid}: vhosts $w->{Vhosts}, want $v"
        if defined $v && $w->{Vhosts} ne $v;
    push @bad, "$w->{Pid}: vhosts $w->{Vhosts}, want default.test among them"
        if $w->{User} eq 'peruid_td' && $w->{Vhosts} !~ /\bdefault\.test\b/;
}
my %worker_users = map { $_->{User} => 1 } @{ $by_role{worker} || [] };
ok(!@bad && $worker_users{peruid_ta} && $worker_users{peruid_tb}
   && $worker_users{peruid_td},
   'workers of all three users, each shown with the user it runs as and '
   . 'its pool\'s virtual hosts') or diag(join "\n", @bad);
my @pre = @{ $by_role{preforked} || [] };
ok(@pre && !grep({ $_->{User} ne 'root' || $_->{Vhosts} ne '-' } @pre),
   'a preforked worker, root, with no virtual host ('
   . join(', ', map { "$_->{Pid} $_->{User} $_->{Vhosts}" } @pre) . ')');

# pools: the figures cover what the test did
my @pools = @{ $st->{pools} };
note(join "\n", map {
    my $p = $_;
    join ' ', map { "$_=" . ($p->{$_} // '') } qw(User Vhosts Workers Idle
        Busy Connections Handovers ColdStarts Refused503);
} @pools);
is($st->{kv}{PeruidPools}, scalar(@pools),
   'PeruidPools counts the pools listed (' . scalar(@pools) . ')');
my @short;
for my $user (sort keys %sent) {
    my $p = pool_of($st, $user);
    if (!$p) {
        push @short, "$user: no pool";
        next;
    }
    my ($uid, $gid) = ids_of($user);
    push @short, "$user: ids $p->{Uid}/$p->{Gid}, want $uid/$gid"
        unless $p->{Uid} == $uid && $p->{Gid} == $gid;
    push @short, "$user: $p->{Connections} connections for $sent{$user} "
                 . 'requests'
        unless $p->{Connections} >= $sent{$user};
    push @short, "$user: $p->{ColdStarts} cold starts"
        unless $p->{ColdStarts} >= 1;
    push @short, "$user: $p->{Workers} workers, $p->{Idle} idle, "
                 . "$p->{Busy} busy"
        unless $p->{Workers} >= 1 && $p->{Idle} =~ /^\d+$/
               && $p->{Busy} =~ /^\d+$/
               && $p->{Idle} + $p->{Busy} <= $p->{Workers};
}
ok(!@short, 'each user\'s pool: its ids, connections >= the requests '
   . 'sent, a cold start, idle + busy within its workers')
    or diag(join "\n", @short);
my %fig = map {
    my $p = pool_of($st, $_) || {};
    ($_ => { map { $_ => $p->{$_} // -1 } qw(Handovers Refused503) });
} qw(peruid_ta peruid_tb peruid_td);
ok($fig{peruid_ta}{Handovers} >= 1 && $fig{peruid_tb}{Handovers} >= 1,
   'hand-overs counted for both users of the alternating connection ('
   . "$fig{peruid_ta}{Handovers}, $fig{peruid_tb}{Handovers})");
ok($fig{peruid_tb}{Refused503} >= 1 && $fig{peruid_td}{Refused503} == 0,
   '503 at a cap counted for b2.test\'s user, none for a user never '
   . "capped ($fig{peruid_tb}{Refused503}, $fig{peruid_td}{Refused503})");
is($st->{kv}{PeruidRequestLines}, "this worker's own",
   'PeruidRequestLines says whose request lines the page shows');

# --- the HTML report ---------------------------------------------------
my $html = http('default.test', '/server-status', port => $port,
                timeout => 10);
my $body = $html->{body} // '';
ok(($html->{status} // 0) == 200
   && $body =~ m{<h2>Processes \(mpm_peruid\)</h2>}
   && $body =~ m{<h2>User pools \(mpm_peruid\)</h2>}
   && $body =~ m{<th>Hand-overs</th><th>Cold starts</th><th>503 at a cap</th>}
   && $body =~ m{<tr><td>peruid_tb</td><td>$tb</td><td>$tb_gid</td><td>b\.test b2\.test</td>}
   && $body =~ m{<tr><td>router</td><td>$routers[0]</td><td>peruid-router</td>},
   'the HTML page has both tables, the pools\' and the processes\' rows')
    or diag(substr($body, index($body, '<h2>Processes'), 3000));
like($body, qr/Request lines in this page are this worker's own/,
     '... and says whose request lines it shows');
my $plain = http('default.test', '/server-status?notable', port => $port,
                 timeout => 10)->{body} // '';
like($plain, qr{<p>User: peruid_tb, Uid: $tb, Gid: $tb_gid, Virtual hosts: b\.test b2\.test, Workers: \d+},
     '?notable: the pools as lines, without tables');

# --- a tenant's worker is not given the tables -------------------------
my $ta_auto = auto_status('a.test');
ok(($ta_auto->{status} // 0) == 200
   && ($ta_auto->{kv}{PeruidStatus} // '') eq 'withheld'
   && !grep({ /^Peruid(?:Pool|Process)/ } keys %{ $ta_auto->{kv} }),
   'a.test (peruid_ta): server-status?auto says PeruidStatus: withheld, '
   . 'no process or pool') or diag($ta_auto->{body});
my $tb_html = http('b.test', '/server-status', port => $port,
                   timeout => 10)->{body} // '';
ok($tb_html =~ /shown by server-status of a virtual host that runs as the server's own user \(peruid_td, uid $td\)/
   && $tb_html !~ /User pools \(mpm_peruid\)/,
   'b.test (peruid_tb): its HTML page says where the tables are, and has '
   . 'none') or diag(substr($tb_html, -1500));

# --- the page is the master's, read-only everywhere else ---------------
# every child of the main server's user, the routers and the log relay
# map it read-only (r--s), no other user's worker maps it, and none
# holds a descriptor of it
my (@maps_bad, $seen);
for my $pid (children_of($master)) {
    my @m = grep { /peruid-status/ } split /\n/,
        slurp("/proc/$pid/maps") // '';
    my $uid = proc_uid($pid) // -1;
    $seen += @m;
    push @maps_bad, "$pid (uid $uid, a tenant's): $_"
        for grep { $uid == $ta || $uid == $tb } @m;
    push @maps_bad, "$pid: $_" for grep { !/^\S+ r--s / } @m;
    my %t = fd_targets($pid);
    push @maps_bad, "$pid: fd $_ -> $t{$_}"
        for grep { $t{$_} =~ /peruid-status/ } keys %t;
}
ok($seen && !@maps_bad, "children map the page read-only only, no "
   . "tenant's worker maps it, none holds a descriptor of it ($seen "
   . "mappings)") or diag(join "\n", @maps_bad);
my @mm = grep { /peruid-status/ } split /\n/, slurp("/proc/$master/maps")
    // '';
ok(scalar(grep { /^\S+ rw-s / } @mm) == 1,
   'the master alone maps it read-write') or diag(join "\n", @mm);

# native code in a worker of the main server's user: mprotect(PROT_WRITE)
# on it fails; a tenant's (evil.test, peruid_ta) finds no page at all
my $r = http('evild.test', '/status_page.php', port => $port, timeout => 10);
my $v = kv($r->{body});
ok(($r->{status} // 0) == 200 && ($v->{found} // 0) >= 1
   && ($v->{perms} // '') eq 'r--s' && ($v->{mprotect} // '') eq '-1'
   && ($v->{errno} // '') eq '13',
   'FFI in a worker of User finds the page read-only and cannot mprotect '
   . 'it writable (EACCES)') or diag($r->{body} // 'no body');
$r = http('evil.test', '/status_page.php', port => $port, timeout => 10);
$v = kv($r->{body});
ok(($r->{status} // 0) == 200 && ($v->{found} // '') eq '0',
   'a tenant\'s FFI (peruid_ta) finds no status page in its worker')
    or diag($r->{body} // 'no body');

# a graceful restart keeps the page (made once, at the first start) and
# its counts; the new generation's workers are listed
my $conns = (pool_of(auto_status(), 'peruid_ta') || {})->{Connections} // 0;
kill 'USR1', $master;
my $st2 = wait_for(sub {
    # a request of a.test, so that a worker of the new generation serves
    # peruid_ta (the page is read from default.test)
    http('a.test', '/whoami.php', port => $port, timeout => 10);
    my $s = auto_status();
    my ($p) = grep { $_->{Role} eq 'worker' && $_->{Generation} >= 1
                     && $_->{User} eq 'peruid_ta' } @{ $s->{procs} };
    return $p ? $s : 0;
}, 15, 0.3);
ok($st2 && ((pool_of($st2, 'peruid_ta') || {})->{Connections} // 0)
          >= $conns
   && $st2->{kv}{PeruidStatusAge} <= 2,
   'after a graceful restart: a worker of generation 1 listed, the counts '
   . "kept (connections of peruid_ta: $conns before, "
   . ($st2 ? pool_of($st2, 'peruid_ta')->{Connections} : 'none') . ' after)');

# without mod_status nothing prints the page: workers do not keep it
# (the master has made it all the same)
my ($plain_master, $plain_port) = started_instance(\%started, 'status-none',
    mpm => small_mpm('StartServers 2'));
my @plain_workers;
if ($plain_master) {
    http('a.test', '/whoami.php', port => $plain_port, timeout => 10);
    @plain_workers = map { workers_of_uid($plain_master, $_, $plain_port) }
                     $ta, $tb, $td;
}
my @kept = grep { (slurp("/proc/$_/maps") // '') =~ /peruid-status/ }
           @plain_workers;
ok($plain_master && @plain_workers && !@kept
   && (slurp("/proc/$plain_master/maps") // '') =~ /peruid-status/,
   'a server without mod_status: its workers ('
   . join(', ', @plain_workers) . ') do not map the page');
