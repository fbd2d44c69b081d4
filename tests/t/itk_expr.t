# t/itk_expr.t -- mpm-itk's AssignUserIDExpr and AssignGroupIDExpr
# (issue 13, item 3; itk.c reads them, exprpool.c serves them).  Its own
# instance: three Expr vhosts and a tenant with native code.
#   - env.test (AssignUserID peruid_td, SetEnvIf Request_URI
#     ^/files/NAME/ WHO=NAME, AssignUserIDExpr and AssignGroupIDExpr
#     %{reqenv:WHO}, as the karadav example for itk has it): each request
#     served as the user the expression names, peruid_ta and peruid_tb
#     (their own vhosts' pools) and peruid_te, a user the configuration
#     names nowhere else: the master gives it a pool on demand (PU00112);
#   - rw.test (AssignUserID peruid_ta, RewriteRule ... [E=WHO:...],
#     AssignUserIDExpr alone: the group stays peruid_ta's, as itk's):
#     peruid_tb by name and by "#uid", peruid_te by "#uid" (a pool on
#     demand);
#   - grp.test: AssignGroupIDExpr gives the group (peruid_tx) of a
#     peruid_ta request; an unknown group: 500 naming AssignGroupIDExpr;
#   - the attack: a tenant's worker (evil.test, peruid_ta, PHP's FFI:
#     t/handover.t's handover_loop.php) hands a request of env.test over
#     naming peruid_tb as its Expr user, which the expression does not
#     give: peruid_tb's worker evaluates it again and hands it on; it is
#     served as peruid_ta, the expression's, never as peruid_tb; for an
#     unknown user's request naming peruid_tb: 500, never served;
#   - the same tenant asks for pools of six system users: it gets what
#     is left of its share of PeruidExprUsers (2), the rest is refused
#     (PU00113, and 503 at the deadline), and env.test still gets a pool
#     for peruid_te afterwards;
#   - an unknown user: 500 and PU00109 naming AssignUserIDExpr and the
#     value; "#0" and root: 500;
#   - one kept-alive connection alternating four users: each answer from
#     its own user, on the same client connection;
#   - after a graceful restart the pools given stay their users';
#   - at apache2 -t: AssignUserIDExpr in <Directory>, and an expression
#     that does not parse, fail naming the directive.
# On the module before, AssignUserIDExpr fails apache2 -t: the instance
# does not start, and every check fails.
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/lib";
use Apache::Test qw(-withtestmore);
use PeruidTest qw(:all);
use File::Copy qw(copy);
use File::Path qw(make_path);

plan skip_all => 'PHP (mod_php) is not installed' unless vars('peruid_php');
my $libexec = vars('peruid_libexec');
plan skip_all => 'mod_setenvif or mod_rewrite is not installed'
    unless -e "$libexec/mod_setenvif.so" && -e "$libexec/mod_rewrite.so";
plan tests => 20;

my %started;    # conf file => master pid, for the END block
END { stop_instances(\%started) }

# peruid_te: a user no configuration of the suite names
if (!getpwnam('peruid_te')) {
    system('useradd', '--system', '--user-group', '--no-create-home',
           '--home-dir', '/nonexistent', '--shell', '/usr/sbin/nologin',
           'peruid_te') == 0 or die "useradd peruid_te failed";
}
my ($ta, $ta_gid) = ids_of('peruid_ta');
my ($tb, $tb_gid) = ids_of('peruid_tb');
my ($td) = ids_of('peruid_td');
my ($te, $te_gid) = ids_of('peruid_te');
my $tx_gid = getgrnam('peruid_tx') // die "no group peruid_tx";
my $so = vars('peruid_module');
my $common = vars('peruid_top') . '/tests/htdocs/common';
my $attack = root() . '/htdocs/attack';

# the Expr vhosts' document root, readable by every user
my $docs = root() . '/inst-itk-expr-docs';
for my $d ('', map({ "files/$_" } qw(peruid_ta peruid_tb peruid_te
                                      nosuchuserx root)),
           map({ "g/$_" } qw(peruid_tx nosuchgroupx))) {
    make_path("$docs/$d");
    chmod 0755, "$docs/$d";
    copy("$common/whoami.php", "$docs/$d/whoami.php") or die "copy: $!";
    chmod 0644, "$docs/$d/whoami.php";
}
chmod 0755, "$docs/files", "$docs/g";

my $port = free_port();
my $body = <<"EOF";
LoadModule mpm_itk_module $so
LoadModule setenvif_module $libexec/mod_setenvif.so
LoadModule rewrite_module $libexec/mod_rewrite.so
PeruidExprUsers 10
LogLevel info mpm_peruid:debug
<Directory "$docs">
    Require all granted
</Directory>
<VirtualHost 127.0.0.1:$port>
    ServerName env.test
    DocumentRoot "$docs"
    AssignUserID peruid_td peruid_td
    SetEnvIf Request_URI . WHO=peruid_td
    SetEnvIf Request_URI ^/files/([a-z_]+)/ WHO=\$1
    AssignUserIDExpr %{reqenv:WHO}
    AssignGroupIDExpr %{reqenv:WHO}
</VirtualHost>
<VirtualHost 127.0.0.1:$port>
    ServerName rw.test
    DocumentRoot "$docs"
    AssignUserID peruid_ta peruid_ta
    RewriteEngine On
    RewriteRule ^/u/([^/]+)/(.*)\$ /\$2 [E=WHO:\$1]
    AssignUserIDExpr %{reqenv:WHO}
</VirtualHost>
<VirtualHost 127.0.0.1:$port>
    ServerName grp.test
    DocumentRoot "$docs"
    AssignUserID peruid_ta peruid_ta
    SetEnvIf Request_URI ^/g/([a-z_]+)/ GRP=\$1
    AssignGroupIDExpr %{reqenv:GRP}
</VirtualHost>
<VirtualHost 127.0.0.1:$port>
    ServerName evil.test
    DocumentRoot "$attack"
    AssignUserID peruid_ta peruid_ta
    php_admin_value ffi.enable 1
</VirtualHost>
EOF
my ($master, undef, $conf, $dir) = started_instance(\%started, 'itk-expr',
    port => $port, body => $body);
ok($master, 'three vhosts with AssignUserIDExpr or AssignGroupIDExpr '
   . 'start') or exit;
my $elog = "$dir/logs/error_log";

# "status uid" (and gid with $g) of a whoami.php answer
sub who {
    my ($r, $g) = @_;
    my $v = kv($r->{body} // '');
    return join ' ', $r->{status} // 'none', $v->{uid} // '-',
                     $g ? ($v->{gid} // '-') : ();
}
sub get { http($_[0], $_[1], port => $port, timeout => 10) }

# SetEnvIf feeds the expression
is(join(', ', map { who(get('env.test', $_)) } '/whoami.php',
        '/files/peruid_ta/whoami.php', '/files/peruid_tb/whoami.php'),
   "200 $td, 200 $ta, 200 $tb",
   'env.test (SetEnvIf): the root as peruid_td, files/peruid_ta as '
   . 'peruid_ta, files/peruid_tb as peruid_tb');

# RewriteRule [E=...] feeds it, by name and by "#uid"
is(join(', ', map { who(get('rw.test', $_)) } '/u/peruid_tb/whoami.php',
        "/u/%23$tb/whoami.php"), "200 $tb, 200 $tb",
   'rw.test (RewriteRule [E=]): peruid_tb by name and by #uid');

# rw.test (AssignUserIDExpr alone: the group stays peruid_ta's, as
# itk's): "#uid" of peruid_te, a user no configuration names: a pool on
# demand, given on the asking of peruid_ta's workers
{
    my $mark = error_log_mark($elog);
    is(who(get('rw.test', "/u/%23$te/whoami.php")), "200 $te",
       'rw.test #uid of peruid_te: served as peruid_te, a user no '
       . 'configuration names');
    like(error_log_since($mark, $elog),
         qr/PU00112: master: pool \d+ is uid $te gid $ta_gid now, an Expr user asked for by the workers of uid $ta/,
         '... in a pool the master gave on demand (PU00112)');
}

# AssignGroupIDExpr
{
    my $mark = error_log_mark($elog);
    is(join(', ', map { who(get('grp.test', $_), 1) }
            '/g/peruid_tx/whoami.php', '/g/nosuchgroupx/whoami.php'),
       "200 $ta $tx_gid, 500 - -",
       'grp.test (AssignGroupIDExpr): peruid_ta with group peruid_tx; an '
       . 'unknown group 500');
    like(error_log_wait($mark, $elog, qr/PU00109/),
         qr/PU00109: AssignGroupIDExpr \(\S+\) of vhost grp\.test gave 'nosuchgroupx': no such group/,
         '... logged naming AssignGroupIDExpr and the value');
}

# the tenant's lies: evil.test (peruid_ta's pool, index 1) hands
# env.test's requests over naming peruid_tb as their user
{
    my $mark = error_log_mark($elog);
    my $r = get('evil.test', "/handover_loop.php?pool=1&uid=$tb"
                . "&gid=$tb_gid&host=env.test"
                . '&next=/files/peruid_ta/whoami.php');
    is(who($r), "200 $ta", 'a forged hand-over naming peruid_tb for a '
       . 'request whose expression gives peruid_ta: served as peruid_ta');
    my $log = '';
    wait_for(sub { $log = error_log_since($mark, $elog);
                   $log =~ /PU00097: worker uid $tb handed/ }, 5);
    like($log, qr/PU00097: worker uid $tb handed a request for vhost env\.test \(uid $ta\) back to the routers .*\(hop 2\)/,
         '... peruid_tb\'s worker evaluated it again and handed it on');
    $r = get('evil.test', "/handover_loop.php?pool=1&uid=$tb"
             . "&gid=$tb_gid&host=env.test"
             . '&next=/files/nosuchuserx/whoami.php');
    is(who($r), '500 -', 'the same for an unknown user\'s request: 500, '
       . 'never served as peruid_tb');
}

# the tenant asks for pools of six system users: what is left of its
# share of the slots (PeruidExprUsers 10, two pools ask, peruid_td's and
# peruid_ta's: 5 each; peruid_ta's workers had 3 above: rw.test's
# peruid_tb and peruid_te with group peruid_ta, grp.test's peruid_tx)
{
    my @sys = grep { defined } map { scalar getpwnam($_) }
        qw(daemon bin sys games man lp mail news);
    @sys = @sys[0 .. 5];
    my $mark = error_log_mark($elog);
    my @got = in_parallel(map { my $u = $_; sub {
        who(get('evil.test', "/handover_loop.php?pool=1&uid=$u"
                . "&gid=$tb_gid&host=env.test"
                . '&next=/files/peruid_ta/whoami.php'));
    } } @sys);
    my $log = error_log_since($mark, $elog);
    my @given = $log =~ /PU00112: master: pool \d+ is uid (\d+) gid \d+ now, an Expr user asked for by the workers of uid $ta/g;
    ok(@given == 2 && $log =~ /PU00113: master: no pool for uid \d+ .*share of PeruidExprUsers/,
       'six users asked for by peruid_ta\'s workers: 2 pools given, the '
       . 'rest refused (PU00113)')
        or diag("given: @given\nanswers: @got\n$log");
    is(scalar(grep { $_ eq "200 $ta" } @got), 2, '... the two given serve '
       . 'nothing but hand the requests on to peruid_ta (the others wait '
       . 'and get 503)') or diag("@got");
}

# a user the configuration names nowhere else: a pool on demand
{
    my $mark = error_log_mark($elog);
    is(who(get('env.test', '/files/peruid_te/whoami.php')), "200 $te",
       'env.test files/peruid_te: served as peruid_te, a user no '
       . 'configuration names, after the tenant took its share');
    like(error_log_since($mark, $elog),
         qr/PU00112: master: pool \d+ is uid $te gid $te_gid now, an Expr user asked for by the workers of uid $td/,
         '... whose pool the master gave on peruid_td\'s asking (PU00112)');
}

# what may not serve: 500 and a line naming the directive and the value
{
    my $mark = error_log_mark($elog);
    my @got = map { who(get(@$_)) } ['env.test',
        '/files/nosuchuserx/whoami.php'], ['rw.test', '/u/%230/whoami.php'],
        ['env.test', '/files/root/whoami.php'];
    my $log = error_log_wait($mark, $elog,
                             qr/(?s:PU00109.*PU00109.*PU00109)/);
    is("@got", '500 - 500 - 500 -', 'an unknown user, #0 and root: 500')
        or diag $log;
    ok($log =~ /PU00109: AssignUserIDExpr \(\S+\) of vhost env\.test gave 'nosuchuserx': no such user/
       && $log =~ /PU00109: AssignUserIDExpr \(\S+\) of vhost rw\.test gave '#0' \(uid 0 .*root/
       && $log =~ /PU00109: AssignUserIDExpr \(\S+\) of vhost env\.test gave 'root' \(uid 0 /,
       '... each logged (PU00109), naming AssignUserIDExpr and the value')
        or diag $log;
}

# one kept-alive connection alternating the users of env.test
{
    my $c = keepalive_connect(port => $port);
    my (@got, @want, %remote);
    my @seq = (['/files/peruid_ta', $ta], ['/files/peruid_tb', $tb],
               ['/files/peruid_te', $te], ['', $td]);
    for my $i (0 .. 11) {
        my ($p, $uid) = @{ $seq[$i % 4] };
        ka_send($c, 'env.test', "$p/whoami.php?i=$i");
        my $r = ka_read_response($c, 10);
        push @got, who($r);
        push @want, "200 $uid";
        $remote{kv($r->{body} // '')->{remote} // '-'} = 1;
    }
    my $cport = $c->{sock} ? $c->{sock}->sockport : 0;
    close $c->{sock} if $c->{sock};
    is_deeply(\@got, \@want, 'one kept-alive connection, four users of '
              . 'env.test alternating 3 times: each answer from its user');
    is_deeply([keys %remote], ["127.0.0.1:$cport"],
              '... all on the same client connection');
}

# a graceful restart: the given pools stay their users' (the new
# routers know them from their table), free slots are made again
{
    my $bin = vars('httpd') || '/usr/sbin/apache2';
    my $mark = error_log_mark($elog);
    my $out = `\Q$bin\E -d \Q$dir\E -f \Q$conf\E -k graceful 2>&1`;
    wait_for(sub { error_log_since($mark, $elog) =~ /PU00036/ }, 15);
    my @got = map { who(get(@$_)) } ['env.test',
        '/files/peruid_te/whoami.php'], ['rw.test', "/u/%23$te/whoami.php"],
        ['grp.test', '/g/peruid_tx/whoami.php'];
    my $log = error_log_since($mark, $elog);
    ok("@got" eq "200 $te 200 $te 200 $ta" && $log !~ /PU00112/,
       'after a graceful restart, peruid_te (two pools) and grp.test\'s '
       . 'pair are served by the pools given before (none given anew)')
        or diag("$out\n@got\n$log");
}

# apache2 -t: not in <Directory>; an expression that does not parse
{
    my $bin = vars('httpd') || '/usr/sbin/apache2';
    my @out;
    for my $c (['dir', "<Directory \"$docs\">\n"
                . "    AssignUserIDExpr %{reqenv:WHO}\n</Directory>\n"],
               ['parse', "AssignGroupIDExpr %{reqenv:WHO\n"]) {
        my ($conf, $tdir) = instance_conf("itk-expr-t-$c->[0]",
            port => free_port(), vhosts => 0,
            body => "LoadModule mpm_itk_module $so\n$c->[1]");
        my $out = `\Q$bin\E -d \Q$tdir\E -f \Q$conf\E -t 2>&1`;
        push @out, [$? >> 8, $out];
    }
    ok($out[0][0] != 0 && $out[0][1] =~ /AssignUserIDExpr: .*per virtual host/
       && $out[1][0] != 0 && $out[1][1] =~ /AssignGroupIDExpr: cannot parse/,
       'apache2 -t: AssignUserIDExpr in <Directory> and an expression that '
       . 'does not parse fail, naming the directive')
        or diag(join "\n", map { $_->[1] } @out);
}
