# t/itk.t -- mpm-itk's configurations run unchanged (itk.c): a
# hosting-panel-style configuration, written for mpm-itk, served by
# peruid with mpm_peruid.load's three LoadModule lines (the MPM, the
# prefork place holder, the mpm_itk_module record):
#   - <IfModule mpm_itk_module> and <IfModule mpm_itk.c> blocks take
#     effect: AssignUserId "#uid" "#gid" and by name, MaxClientsVHost,
#     NiceValue, beside php_admin_value; each vhost is served as its user
#     (before, the blocks were skipped and every site ran as User);
#   - AssignUserId inside <Directory>, itself inside the <IfModule>
#     block: that directory is served as its user (the hand-over);
#   - NiceValue: the vhost's worker runs at that nice value;
#   - LimitUIDRange / LimitGIDRange: the workers run under a seccomp
#     filter (the unit test tests/unit/test_uidrange.c runs its calls);
#     an AssignUserID outside the range fails apache2 -t, naming the
#     directive (PU00100);
#   - MaxClientsVHost: above it, a new connection gets 503 from the
#     router (PU00104) and a kept-alive one from the worker (PU00105);
#   - EnableCapabilities is accepted;
#   - an Expr vhost (panel-e.test: SetEnvIf and AssignUserIDExpr inside
#     the <IfModule> block, exprpool.c): each request served as the user
#     its expression names (t/itk_expr.t has the rest);
#   - what peruid reads otherwise than itk fails apache2 -t naming the
#     directive: AssignUserIDExpr, AssignGroupIDExpr and NiceValue in
#     <Directory>.
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/lib";
use Apache::Test qw(-withtestmore);
use PeruidTest qw(:all);
use IO::Select;
use File::Copy qw(copy);
use File::Path qw(make_path);

plan skip_all => 'PHP (mod_php) is not installed' unless vars('peruid_php');
plan tests => 21;

my %started;    # conf file => master pid, for the END block
END { stop_instances(\%started) }

my $htdocs = root() . '/htdocs';
my $so = vars('peruid_module');
my $common = vars('peruid_top') . '/tests/htdocs/common';

# panel-c.test's docroot, with a sub/ that another user serves (both
# users may read it)
my $cdocs = root() . '/inst-itk-docs';
for my $d ('', 'sub') {
    make_path("$cdocs/$d");
    chmod 0755, "$cdocs/$d";
    copy("$common/whoami.php", "$cdocs/$d/whoami.php")
        or die "copy whoami.php: $!";
    chmod 0644, "$cdocs/$d/whoami.php";
}
my ($ta, $ta_gid) = ids_of('peruid_ta');
my ($tb) = ids_of('peruid_tb');

# the vhosts as a panel writes them for mpm-itk
sub panel_body {
    my ($port, %o) = @_;
    my $extra_a = $o{extra_a} // '';
    return <<"EOF";
LoadModule mpm_prefork_module $so
LoadModule mpm_itk_module $so
LoadModule setenvif_module @{[ vars('peruid_libexec') ]}/mod_setenvif.so
LimitUIDRange 100 65000
LimitGIDRange 100 65000
EnableCapabilities On
<VirtualHost 127.0.0.1:$port>
    ServerName default.test
    DocumentRoot "$htdocs/default"
</VirtualHost>
<VirtualHost 127.0.0.1:$port>
    ServerName panel-a.test
    DocumentRoot "$htdocs/a"
    <IfModule mpm_itk_module>
        AssignUserId "#$ta" "#$ta_gid"
        MaxClientsVHost 50
        NiceValue 10
    </IfModule>
    php_admin_value open_basedir "$htdocs/a:/tmp"
$extra_a
</VirtualHost>
<VirtualHost 127.0.0.1:$port>
    ServerName cap.test
    DocumentRoot "$htdocs/a"
    <IfModule mpm_itk_module>
        AssignUserId peruid_ta peruid_ta
        MaxClientsVHost 1
    </IfModule>
</VirtualHost>
<VirtualHost 127.0.0.1:$port>
    ServerName panel-c.test
    DocumentRoot "$cdocs"
    <Directory "$cdocs">
        Require all granted
    </Directory>
    <IfModule mpm_itk_module>
        AssignUserId "#$ta" "#$ta_gid"
        <Directory "$cdocs/sub">
            AssignUserId peruid_tb peruid_tb
        </Directory>
    </IfModule>
</VirtualHost>
<VirtualHost 127.0.0.1:$port>
    ServerName panel-b.test
    DocumentRoot "$htdocs/b"
    <IfModule mpm_itk.c>
        AssignUserId peruid_tb peruid_tb
        NiceValue 5
    </IfModule>
</VirtualHost>
<VirtualHost 127.0.0.1:$port>
    ServerName panel-e.test
    DocumentRoot "$cdocs"
    <Directory "$cdocs">
        Require all granted
    </Directory>
    SetEnvIf Request_URI . OWNER=peruid_ta
    SetEnvIf Request_URI ^/sub/ OWNER=peruid_tb
    <IfModule mpm_itk_module>
        AssignUserId "#$ta" "#$ta_gid"
        AssignUserIDExpr %{reqenv:OWNER}
    </IfModule>
</VirtualHost>
<IfModule !mpm_itk_module>
    Error "the mpm_itk_module record is not loaded"
</IfModule>
EOF
}

my $port = free_port();
my ($master, undef, undef, $dir) = started_instance(\%started, 'itk',
    port => $port, vhosts => 0, body => panel_body($port));
ok($master, 'a hosting-panel itk configuration starts unchanged') or exit;

# the nice value of a process (field 19 of /proc/PID/stat)
sub nice_of {
    my $st = slurp("/proc/$_[0]/stat") // return undef;
    $st =~ s/^.*\) //s;
    return (split ' ', $st)[16];
}

my %pid;
for (['panel-a.test', $ta, 10], ['panel-b.test', $tb, 5]) {
    my ($host, $uid, $nice) = @$_;
    my $r = http($host, '/whoami.php', port => $port, timeout => 10);
    my $v = kv($r->{body});
    ok(($r->{status} // 0) == 200 && ($v->{uid} // -1) == $uid
       && ($v->{server} // '') eq $host,
       "$host: served as uid $uid (its <IfModule> AssignUserId)")
        or diag($r->{raw});
    $pid{$host} = $v->{pid};
    is(nice_of($v->{pid} // 0), $nice, "$host: its worker runs at "
       . "NiceValue $nice");
}
# a per-directory user inside the <IfModule> block
for (['/whoami.php', $ta], ['/sub/whoami.php', $tb]) {
    my ($path, $uid) = @$_;
    my $r = http('panel-c.test', $path, port => $port, timeout => 10);
    is(kv($r->{body})->{uid}, $uid, "panel-c.test$path: served as uid "
       . "$uid (<Directory> AssignUserId inside <IfModule>)")
        or diag($r->{raw});
}
# an Expr vhost: SetEnvIf names the user of each request
is(join(', ', map { kv(http('panel-e.test', $_, port => $port,
                            timeout => 10)->{body} // '')->{uid} // '-' }
        qw(/whoami.php /sub/whoami.php)), "$ta, $tb",
   'panel-e.test (AssignUserIDExpr fed by SetEnvIf): the root as '
   . 'peruid_ta, sub/ as peruid_tb');
my $st = slurp("/proc/$pid{'panel-a.test'}/status") // '';
like($st, qr/^Seccomp:\s+2$/m, 'panel-a.test\'s worker runs under a '
     . 'seccomp filter (LimitUIDRange)');
my $r = http('panel-a.test', '/ini.php?n=open_basedir', port => $port,
             timeout => 10);
is(kv($r->{body})->{value}, "$htdocs/a:/tmp",
   'php_admin_value beside the <IfModule> block applies');

# MaxClientsVHost 1: while one request of cap.test is served, a new
# connection gets a 503 from the router (no worker spent on it), and the
# next request of a kept-alive connection one from the worker
{
    # a kept-alive connection to cap.test's user's worker, through another
    # vhost of that user: a request of cap.test's own is released only
    # once its worker has finished with it, which may come after the
    # client read the answer
    my $ka = keepalive_connect(port => $port);
    ka_send($ka, 'panel-a.test', '/whoami.php');
    my $first = ka_read_response($ka, 10);
    my $mark = error_log_mark("$dir/logs/error_log");
    # a request being served: its answer has begun (sleep.php says its
    # pid at once, then takes 3 s)
    my $slow = keepalive_connect(port => $port);
    ka_send($slow, 'cap.test', '/sleep.php?s=3');
    my $sel = IO::Select->new($slow->{sock});
    my $begun = '';
    while ($begun !~ /pid=\d+/ && $sel->can_read(5)) {
        sysread($slow->{sock}, my $buf, 4096) or last;
        $begun .= $buf;
    }
    $slow->{buf} = $begun;
    my $w = http('cap.test', '/whoami.php', port => $port, timeout => 5);
    ok(($first->{status} // 0) == 200 && $begun =~ /pid=\d+/
       && ($w->{status} // 0) == 503,
       'MaxClientsVHost 1: a second request of cap.test while one is '
       . 'served gets 503 (' . ($w->{status} // 'none') . ')')
        or diag("begun: $begun\n", error_log_since($mark,
                                                    "$dir/logs/error_log"));
    like(error_log_since($mark, "$dir/logs/error_log"),
         qr/PU00104: router: MaxClientsVHost 1 of cap\.test reached/,
         '... from the router, which says so naming the vhost');
    ka_send($ka, 'cap.test', '/whoami.php');
    my $second = ka_read_response($ka, 10);
    is($second->{status}, 503, '... and on a kept-alive connection, from '
       . 'the worker (PU00105)');
    like(error_log_wait($mark, "$dir/logs/error_log", qr/PU00105/),
         qr/PU00105: MaxClientsVHost 1 of cap\.test reached; answering 503 \(0 more by this worker/,
         '... which says so naming the vhost');
    my $rest = ka_read_response($slow, 10);
    ok(($rest->{status} // 0) == 200 && ($rest->{body} // '') =~ /DONE/,
       '... while the request being served ends normally');
    my $after = http('cap.test', '/whoami.php', port => $port, timeout => 10);
    is($after->{status}, 200, 'after it, cap.test is served again');
}

# what apache2 -t refuses, naming the directive
sub configtest {
    my ($body, $name) = @_;
    my ($conf, $dir) = instance_conf("itk-t-$name", port => free_port(),
                                     vhosts => 0, body => $body);
    my $bin = vars('httpd') || '/usr/sbin/apache2';
    my $out = `\Q$bin\E -d \Q$dir\E -f \Q$conf\E -t 2>&1`;
    return ($? >> 8, $out);
}
my $p2 = free_port();
my ($rc, $out) = configtest(panel_body($p2) =~ s/LimitUIDRange 100 65000/LimitUIDRange 100 $ta/r
                                        =~ s/"#$ta"/"#@{[$ta + 1]}"/r,
                            'range');
isnt($rc, 0, 'AssignUserId outside LimitUIDRange: -t fails');
like($out, qr/PU00100: uid \d+ of virtual host panel-a\.test .* is outside LimitUIDRange 100 $ta/,
     '... naming LimitUIDRange and the vhost') or diag $out;
for my $c (map({ ["$_ in <Directory>", "    <Directory \"$htdocs/a\">\n"
                  . "        $_ \"%{reqenv:OWNER}\"\n    </Directory>"] }
               qw(AssignUserIDExpr AssignGroupIDExpr)),
           ['NiceValue in <Directory>', "    <Directory \"$htdocs/a\">\n"
            . "        NiceValue 3\n    </Directory>"]) {
    my ($name, $line) = @$c;
    ($rc, $out) = configtest(panel_body($p2, extra_a => $line),
                             lc($name) =~ s/\W+/-/gr);
    my ($d) = $name =~ /^(\w+)/;
    ok($rc != 0 && $out =~ /\Q$d\E/, "$name: -t fails, naming $d")
        or diag $out;
}
