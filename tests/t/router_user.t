# t/router_user.t -- the routers run as a user no tenant code runs as
# (PeruidRouterUser, by default peruid-router, created at start when
# missing), "apache2 -t" refuses a configuration where User or an
# AssignUserID is that user, and the master replaces routers that stop
# accepting, whatever the cause (prlimit --nofile, SIGSTOP), and logs
# router deaths at most once a second with a count.  docs/security.md
# (Routers) names this test.  Instances of its own (inst-ru-*).
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/lib";
use Apache::Test qw(-withtestmore);
use PeruidTest qw(:all);
use Time::HiRes qw(time sleep);

my %started;    # conf file => master pid, for the END block
END { stop_instances(\%started) }

plan tests => 7;

my $RU = 'peruid-router';       # PERUID_ROUTER_USER_DEFAULT
my $httpd = vars('httpd') || '/usr/sbin/apache2';
my ($td_uid, $td_gid) = ids_of('peruid_td');
my ($ta_uid, $ta_gid) = ids_of('peruid_ta');
my $BOUND = 30;     # seconds within which service must come back

# configtest($body, %o): "apache2 -t" of a small config with three
# vhosts (instance_conf) and $body -> (exit status, output)
my $n = 0;
sub configtest {
    my ($body, %o) = @_;
    my ($file, $dir) = instance_conf('ru-t' . ++$n, port => free_port(),
                                     no_php => 1, body => $body, %o);
    my $out = `\Q$httpd\E -t -d \Q$dir\E -f \Q$file\E 2>&1`;
    return ($? >> 8, $out, $file);
}

# the line of $file that holds $text
sub line_of {
    my ($file, $text) = @_;
    my @l = split /\n/, slurp($file) // '';
    for my $i (0 .. $#l) {
        return $i + 1 if index($l[$i], $text) >= 0;
    }
    return 0;
}

# the instance's error log since $mark
sub elog_since {
    my ($dir, $mark) = @_;
    return error_log_since($mark, "$dir/logs/error_log");
}

# a request that may have to wait for new routers: 200 from whoami.php
sub answered {
    my ($host, $port) = @_;
    my $r = http($host, '/whoami.php', port => $port, timeout => $BOUND);
    return ($r->{status} // 0) == 200 ? kv($r->{body})->{uid} : undef;
}

# -------------------------------------------------------------------
# The default user is created at start when missing (PU00080); the
# routers run as it, not as User.
my ($master, $port, $conf, $dir);
subtest 'the routers run as peruid-router, created at start' => sub {
    Test::More::plan(tests => 11);
    # start from a machine without it (as after a source install)
    system('userdel', '-f', $RU) if getpwnam($RU);
    ok(!getpwnam($RU), "no user $RU before the start");
    my ($rc, $out) = configtest('');
    is($rc, 0, "-t passes without $RU (useradd can create it)")
        or diag $out;
    like($out, qr/PU00080: PeruidRouterUser peruid-router \(the default, the routers' user\) does not exist yet; the server creates it at start/,
         '-t says it will be created at start') or diag $out;
    ($master, $port, $conf, $dir) = started_instance(\%started, 'ru-main');
    ok($master, 'instance started') or return;
    my @pw = getpwnam($RU);
    ok(@pw, "user $RU exists after the start: uid " . ($pw[2] // '-'));
    @pw = (undef, undef, -1, -1) unless @pw;    # (the module before)
    like(slurp("$dir/logs/error_log") // '', qr/PU00080: PeruidRouterUser peruid-router \(the default, the routers' user\) did not exist and was created: \S*useradd --system --user-group --no-create-home/,
         'the error log says the master created it, and how');
    my @r = routers($master, $port);
    is(scalar(@r), 2, "2 routers: @r");
    is(join(' ', map { proc_uid($_) // '-' } @r), join(' ', ($pw[2]) x 2),
       "every router runs as $RU (uid $pw[2])");
    my $st = proc_status($r[0] // 0) || { Gid => '-' };
    is((split ' ', $st->{Gid})[0], $pw[3], "gid $pw[3], $RU\'s group");
    isnt($pw[2], $td_uid, 'not User (peruid_td)');
    # tenant code of User's vhosts can no longer signal (or prlimit)
    # them; its own worker it can (the control)
    my $pid = $r[0] // 0;
    my $res = http('default.test', "/signal.php?pid=$pid&sig=0",
                   port => $port);
    like($res->{body}, qr/^FAILED/, "default.test PHP (User) cannot signal "
         . "router $pid") or diag $res->{body};
};

# -------------------------------------------------------------------
subtest '-t refuses a router user that User or an AssignUserID has' => sub {
    Test::More::plan(tests => 14);
    my ($ru_uid, $ru_gid) = ids_of($RU);
    ($ru_uid, $ru_gid) = (-1, -1) unless defined $ru_uid;
    my ($rc, $out, $file) = configtest("PeruidRouterUser peruid_td\n");
    isnt($rc, 0, 'PeruidRouterUser peruid_td (User): -t fails');
    my $ru_line = line_of($file, 'PeruidRouterUser');
    my $u_line = line_of($file, 'User peruid_td');
    like($out, qr/PU00081: PeruidRouterUser peruid_td \(\Q$file\E:$ru_line, uid $td_uid\) is also User peruid_td \(\Q$file\E:$u_line\)/,
         'the message names both directives, with file and line')
        or diag $out;
    ($rc, $out, $file) = configtest("PeruidRouterUser peruid_ta peruid_ta\n");
    isnt($rc, 0, 'PeruidRouterUser peruid_ta (a.test\'s AssignUserID): -t '
         . 'fails');
    my $a_line = line_of($file, 'ServerName a.test') - 1;
    like($out, qr/PU00081: PeruidRouterUser peruid_ta peruid_ta \(\Q$file\E:\d+, uid $ta_uid\) is also the AssignUserID of virtual host a\.test \(\Q$file\E:$a_line\)/,
         'the message names the virtual host and its file and line')
        or diag $out;
    # the default user, by uid in an AssignUserID
    ($rc, $out, $file) = configtest('', a_assign => "#$ru_uid #$ru_gid");
    isnt($rc, 0, "AssignUserID #$ru_uid #$ru_gid (peruid-router's uid): "
         . '-t fails');
    like($out, qr/PU00081: PeruidRouterUser peruid-router \(the default, uid $ru_uid\) is also the AssignUserID of virtual host a\.test/,
         'the message names the default and the virtual host') or diag $out;
    # User itself
    ($rc, $out, $file) = configtest("User $RU\n");
    isnt($rc, 0, "User $RU: -t fails");
    like($out, qr/PU00081: PeruidRouterUser peruid-router \(the default, uid $ru_uid\) is also User peruid-router/,
         'the message names User') or diag $out;
    ($rc, $out) = configtest("PeruidRouterUser peruid_nosuchuser\n");
    isnt($rc, 0, 'PeruidRouterUser of an unknown user: -t fails');
    like($out, qr/PeruidRouterUser: unknown user 'peruid_nosuchuser' \(create it first/,
         'the message names the directive and says what to do') or diag $out;
    ($rc, $out) = configtest("PeruidRouterUser root\n");
    isnt($rc, 0, 'PeruidRouterUser root: -t fails');
    like($out, qr/PeruidRouterUser: refusing to run the routers as uid 0/,
         'root is refused') or diag $out;
    ($rc, $out) = configtest("PeruidRouterUser peruid_tb\n");
    like($out, qr/PU00081: .* is also the AssignUserID of virtual host b\.test/,
         'b.test\'s user as PeruidRouterUser: refused') or diag $out;
    ($rc, $out) = configtest("PeruidRouterUser nobody nogroup\n");
    is($rc, 0, 'PeruidRouterUser nobody nogroup (no vhost runs as it): -t '
       . 'passes') or diag $out;
};

# -------------------------------------------------------------------
# The issue's attack: a process of the routers' uid (then User's vhosts)
# limited the routers to 3 open files: every accept4() failed with
# EMFILE and every site stayed unanswered for good.  Done here by a
# process of the routers' own uid (root may lack CAP_SYS_RESOURCE in a
# container, and lowering one's own uid's limits needs none).
subtest 'routers limited to 3 open files are replaced' => sub {
    Test::More::plan(tests => 8);
    ok($master && pid_alive($master), 'instance running') or return;
    my @r = routers($master, $port);
    my $mark = error_log_mark("$dir/logs/error_log");
    my ($ru_uid, $ru_gid) = ids_of($RU);
    ($ru_uid, $ru_gid) = ($td_uid, $td_gid) unless defined $ru_uid;
    for my $pid (@r) {
        system('setpriv', "--reuid=$ru_uid", "--regid=$ru_gid",
               '--clear-groups', 'prlimit', "--pid=$pid", '--nofile=3:3')
            == 0 or diag "prlimit $pid failed";
    }
    like(slurp("/proc/$r[0]/limits") // '', qr/Max open files\s+3\s+3/,
         "router $r[0] is limited to 3 open files");
    my $t0 = time;
    my @uids = in_parallel(map { my $h = $_; sub { answered($h, $port)
                                                   // 'none' } }
                           qw(a.test b.test default.test));
    is("@uids", join(' ', $ta_uid, (ids_of('peruid_tb'))[0], $td_uid),
       sprintf('a.test, b.test and default.test answered (%.1f s)',
               time - $t0));
    my @now = routers($master, $port);
    ok(@now == 2 && !grep({ my $o = $_; grep { $_ == $o } @now } @r),
       "new routers: @now (old: @r)");
    my $log = '';
    wait_for(sub { $log = elog_since($dir, $mark); $log =~ /PU00084/ }, 5);
    like($log, qr/PU00083: master: \d+ connections? waited over \d+ s in the listeners' accept queues while no router took (it|them); killed the 2 routers \(\d+, \d+\) and starting new ones/,
         'PU00083 says why the routers were killed');
    like($log, qr/PU00084: master: router \d+ was killed by signal 9 \([^)]*\); \d+ router deaths? nobody asked for since the last such line/,
         'PU00084 logs their deaths');
    is(answered('a.test', $port), $ta_uid, 'a.test answers again');
    unlike(slurp("/proc/$now[0]/limits") // '', qr/Max open files\s+3\s/,
           'the new router has the master\'s limit');
};

# -------------------------------------------------------------------
subtest 'stopped routers (SIGSTOP) are replaced' => sub {
    Test::More::plan(tests => 4);
    ok($master && pid_alive($master), 'instance running') or return;
    my @r = routers($master, $port);
    kill 'STOP', @r;
    my $t0 = time;
    my @uids = in_parallel(map { my $h = $_; sub { answered($h, $port)
                                                   // 'none' } }
                           qw(a.test default.test));
    is("@uids", "$ta_uid $td_uid", sprintf('a.test and default.test '
       . 'answered (%.1f s)', time - $t0));
    ok(wait_for(sub { !grep { pid_alive($_) } @r }, 10),
       "the stopped routers (@r) are gone");
    my @now = routers($master, $port);
    is(scalar(@now), 2, "2 new routers: @now");
};

# -------------------------------------------------------------------
# Router deaths are logged at most once a second, each line with the
# count since the last one; none is lost.
subtest 'router deaths: logged, at most once a second, with a count'
    => sub {
    Test::More::plan(tests => 4);
    ok($master && pid_alive($master), 'instance running') or return;
    sleep 2;    # the lines of the deaths above are all written by now
    my $mark = error_log_mark("$dir/logs/error_log");
    my $kills = 0;
    my $t0 = time;
    for (1 .. 8) {
        my ($victim) = routers($master, $port) or last;
        kill 'KILL', $victim;
        $kills++;
        wait_for(sub { my @now = routers($master, $port);
                       @now == 2 && !grep { $_ == $victim } @now }, 5, 0.02);
    }
    my $span = time - $t0;
    my $log = '';
    wait_for(sub {
        $log = elog_since($dir, $mark);
        my $sum = 0;
        $sum += $1 while $log =~ /PU00084: .*?; (\d+) router deaths?/g;
        $sum >= $kills;
    }, 5);
    my @lines = $log =~ /(PU00084: [^\n]*)/g;
    my $sum = 0;
    $sum += $_ for map { /; (\d+) router deaths?/ ? $1 : 0 } @lines;
    is($sum, $kills, "the lines count all $kills deaths");
    ok(@lines >= 1 && @lines <= int($span) + 2,
       scalar(@lines) . " lines for $kills deaths in "
       . sprintf('%.1f s', $span)) or diag join("\n", @lines);
    is(answered('b.test', $port), (ids_of('peruid_tb'))[0],
       'b.test answers afterwards');
};

# -------------------------------------------------------------------
# A busy server whose routers accept is left alone: connections pass
# through the accept queue all the time, none waits.
subtest 'routers that accept are never killed' => sub {
    Test::More::plan(tests => 2);
    ok($master && pid_alive($master), 'instance running') or return;
    my @r = routers($master, $port);
    my $ok = 0;
    my $t0 = time;
    while (time - $t0 < 6) {
        my @res = in_parallel(map { sub { answered('a.test', $port)
                                          // 'none' } } 1 .. 4);
        $ok += grep { $_ eq $ta_uid } @res;
    }
    my @now = routers($master, $port);
    is("@now", "@r", "after $ok requests over 6 s the routers are the same");
};

subtest 'a stopped instance leaves no router behind' => sub {
    Test::More::plan(tests => 1);
    my @pids = instance_pids($master);
    my @left = instance_stop($master, 10, @pids);
    is("@left", '', 'every process of the instance exited');
    delete $started{$conf};
};
