# t/isolation.t -- every vhost runs (PHP, CGI) and reads files (static)
# as its own user; one user's 0600 file is served to its own vhost and
# unreadable from the others.
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/lib";
use Apache::Test qw(-withtestmore);
use PeruidTest qw(:all);

plan tests => 9;

my ($ta_uid, $ta_gid) = ids_of('peruid_ta');
my ($tb_uid, $tb_gid) = ids_of('peruid_tb');
my ($td_uid, $td_gid) = ids_of('peruid_td');
my $tx_gid = (getgrnam('peruid_tx'))[2];
my $master = master_pid();
my $nid = vars('peruid_noname_id');     # no passwd/group entry


# host => [uid, gid, groups, document root name]
my %expect = (
    'default.test' => [$td_uid, $td_gid, join(',', groups_of('peruid_td')),
                       'default'],
    'a.test'    => [$ta_uid, $ta_gid, join(',', groups_of('peruid_ta')), 'a'],
    'a2.test'   => [$ta_uid, $ta_gid, join(',', groups_of('peruid_ta')), 'a2'],
    'b.test'    => [$tb_uid, $tb_gid, join(',', groups_of('peruid_tb')), 'b'],
    'bnum.test' => [$tb_uid, $tb_gid, join(',', groups_of('peruid_tb')), 'b'],
    'bx.test'   => [$tb_uid, $tx_gid, initgroups_of('peruid_tb', $tx_gid),
                    'b'],
    'noname.test' => [$nid, $nid, "$nid", 'a2'],
);
# a Host no vhost names goes to the first vhost of the address
$expect{'unknown.example'} = [ @{ $expect{'default.test'} } ];

subtest 'sanity: the test users are distinct and unprivileged' => sub {
    Test::More::plan(tests => 6);
    ok(defined $ta_uid && defined $tb_uid && defined $td_uid
       && defined $tx_gid, 'peruid_ta, peruid_tb, peruid_td, peruid_tx exist');
    ok($ta_uid && $tb_uid && $td_uid, 'none of them is uid 0');
    isnt($ta_uid, $tb_uid, 'peruid_ta and peruid_tb differ');
    isnt($ta_uid, $td_uid, 'peruid_ta and User differ');
    like(join(',', groups_of('peruid_ta')), qr/(^|,)$tx_gid(,|$)/,
         'peruid_ta is in peruid_tx');
    unlike(join(',', groups_of('peruid_tb')), qr/(^|,)$tx_gid(,|$)/,
           'peruid_tb is not in peruid_tx');
};

subtest 'PHP (mod_php, inside the worker) runs as the vhost user' => sub {
    Test::More::plan(tests => scalar(keys %expect) * 8);
    for my $host (sort keys %expect) {
        my ($uid, $gid, $groups, $site) = @{ $expect{$host} };
        my $r = http($host, '/whoami.php');
        my $v = kv($r->{body});
        is($r->{status}, 200, "$host: whoami.php 200");
        is($v->{site}, $site, "$host: served from the $site document root");
        is($v->{uid}, $uid, "$host: PHP getuid");
        is($v->{euid}, $uid, "$host: PHP geteuid");
        is($v->{gid}, $gid, "$host: PHP getgid");
        is($v->{egid}, $gid, "$host: PHP getegid");
        is($v->{groups}, $groups, "$host: PHP getgroups");
        is($v->{ppid}, $master, "$host: the PHP process is a child of the "
           . "master (a worker)");
    }
};

subtest 'CGI (mod_cgi, forked by the worker) runs as the vhost user' => sub {
    Test::More::plan(tests => scalar(keys %expect) * 9);
    for my $host (sort keys %expect) {
        my ($uid, $gid, $groups) = @{ $expect{$host} };
        my $r = http($host, '/id.cgi');
        my $v = kv($r->{body});
        is($r->{status}, 200, "$host: id.cgi 200");
        is($v->{uid}, $uid, "$host: id -ru");
        is($v->{euid}, $uid, "$host: id -u");
        is($v->{gid}, $gid, "$host: id -rg");
        is($v->{egid}, $gid, "$host: id -g");
        is($v->{groups}, $groups, "$host: id -G");
        my $parent = $v->{ppid} && proc_ppid($v->{ppid});
        is($parent, $master, "$host: the CGI's parent is a worker (a child "
           . "of the master)");
        # the listing itself must have worked (stdout is mod_cgi's pipe),
        # or "no socket" below would hold for want of any line
        like($r->{body}, qr/^fd 1 pipe:/m, "$host: the CGI listed its "
             . "descriptors");
        my @sockets = grep { /socket:/ } split /\n/, $r->{body};
        is("@sockets", '', "$host: the CGI inherited no socket (listener, "
           . "channel, client connection)");
    }
};

subtest 'static files are served from each vhost\'s document root' => sub {
    Test::More::plan(tests => scalar(keys %expect) * 2);
    for my $host (sort keys %expect) {
        my $site = $expect{$host}[3];
        my $r = http($host, '/site.txt');
        is($r->{status}, 200, "$host: site.txt 200");
        is($r->{body}, "site=$site\n", "$host: site.txt of $site");
    }
};

my $secret_a = slurp(root() . '/htdocs/a/secret.txt');
my $secret_b = slurp(root() . '/htdocs/b/secret.txt');

subtest 'a 0600 file is served to its owner\'s vhost' => sub {
    Test::More::plan(tests => 9);
    my @st = stat(root() . '/htdocs/a/secret.txt');
    is(sprintf('%04o', $st[2] & 07777), '0600', 'a/secret.txt is 0600');
    is($st[4], $ta_uid, 'a/secret.txt belongs to peruid_ta');
    my $r = http('a.test', '/secret.txt');
    is($r->{status}, 200, 'a.test /secret.txt: 200');
    is($r->{body}, $secret_a, 'a.test /secret.txt: the content');
    $r = http('a2.test', '/readfile.php?f=a-secret');   # same user, other vhost
    like($r->{body}, qr/^READ-OK \Q$secret_a\E/, 'a2.test PHP (peruid_ta) '
         . 'reads it');
    $r = http('a.test', '/readfile.php?f=a-secret');
    like($r->{body}, qr/^READ-OK \Q$secret_a\E/, 'a.test PHP reads it');
    $r = http('a.test', '/readfile.cgi?f=a-secret');
    like($r->{body}, qr/^READ-OK \Q$secret_a\E/, 'a.test CGI reads it');
    $r = http('b.test', '/secret.txt');
    is($r->{status}, 200, 'b.test /secret.txt (its own): 200');
    is($r->{body}, $secret_b, 'b.test /secret.txt: its own content');
};

subtest 'A\'s 0600 file is unreadable from the other vhosts' => sub {
    my @hosts = qw(b.test bx.test bnum.test default.test unknown.example
                   noname.test);
    Test::More::plan(tests => @hosts * 6);
    for my $host (@hosts) {
        my $r = http($host, '/readfile.php?f=a-secret');
        is($r->{status}, 200, "$host: readfile.php ran");
        like($r->{body}, qr/^READ-FAILED /,
             "$host: PHP file_get_contents(a/secret.txt) fails");
        unlike($r->{body}, qr/SECRET-OF-A/, "$host: PHP got no byte of it");
        $r = http($host, '/readfile.cgi?f=a-secret');
        like($r->{body}, qr/^READ-FAILED .*Permission denied/,
             "$host: CGI cat a/secret.txt fails (EACCES)");
        unlike($r->{body}, qr/SECRET-OF-A/, "$host: CGI got no byte of it");
        # static: a symlink in b's and default's document roots points at
        # A's file; the other hosts share those roots
        $r = http($host, '/a-secret-link.txt');
        ok(defined $r->{status} && $r->{status} == 403
           && $r->{body} !~ /SECRET-OF-A/,
           "$host: static request via a symlink to A's file: 403 "
           . "(got " . ($r->{status} // 'nothing') . ")");
    }
};

subtest 'B\'s 0600 file is unreadable from A' => sub {
    Test::More::plan(tests => 4);
    my $r = http('a.test', '/readfile.php?f=b-secret');
    like($r->{body}, qr/^READ-FAILED /, 'a.test PHP cannot read b/secret.txt');
    unlike($r->{body}, qr/SECRET-OF-B/, 'a.test PHP got no byte of it');
    $r = http('a.test', '/readfile.cgi?f=b-secret');
    like($r->{body}, qr/^READ-FAILED /, 'a.test CGI cannot read b/secret.txt');
    unlike($r->{body}, qr/SECRET-OF-B/, 'a.test CGI got no byte of it');
};

subtest 'supplementary and AssignUserID groups grant access' => sub {
    # shared/group-tx.txt is root:peruid_tx 0640
    my %can = ('a.test' => 1, 'bx.test' => 1, 'b.test' => 0,
               'default.test' => 0, 'noname.test' => 0);
    Test::More::plan(tests => 2 * keys %can);
    for my $host (sort keys %can) {
        for my $kind (qw(php cgi)) {
            my $r = http($host, "/readfile.$kind?f=group-tx");
            if ($can{$host}) {
                like($r->{body}, qr/^READ-OK GROUP-TX-FILE/,
                     "$host $kind: reads the peruid_tx file");
            }
            else {
                like($r->{body}, qr/^READ-FAILED /,
                     "$host $kind: cannot read the peruid_tx file");
            }
        }
    }
};

# One pool per user/group pair: the worker that served one vhost on a
# kept-alive connection serves the other vhosts of its pair too (the
# double-check lets them through; t/double_check.t has the refusals);
# bx.test (peruid_tb with group peruid_tx) has workers of its own, whose
# kernel credentials carry that group.
subtest 'the vhosts of one user share its pool, others do not' => sub {
    Test::More::plan(tests => 6);
    my $same_worker = sub {
        my ($h1, $h2) = @_;
        my $c = keepalive_connect() or die "connect: $!";
        ka_send($c, $h1, '/whoami.php');
        my $v1 = kv(ka_read_response($c)->{body});
        ka_send($c, $h2, '/whoami.php');
        my $v2 = kv(ka_read_response($c)->{body});
        close $c->{sock};
        return ($v1->{pid} // 'none', $v2->{pid} // 'none');
    };
    my ($p1, $p2) = $same_worker->('a.test', 'a2.test');
    is($p2, $p1, 'a.test and a2.test (peruid_ta): the same worker serves '
       . 'both on one connection');
    ($p1, $p2) = $same_worker->('b.test', 'bnum.test');
    is($p2, $p1, 'b.test and bnum.test (#uid #gid of peruid_tb): the same '
       . 'worker serves both');
    # keep both connections open while /proc is read
    my %c;
    for my $host (qw(b.test bx.test)) {
        $c{$host} = keepalive_connect() or die "connect: $!";
        ka_send($c{$host}, $host, '/whoami.php');
        $c{$host}{pid} = kv(ka_read_response($c{$host})->{body})->{pid} // 0;
    }
    isnt($c{'bx.test'}{pid}, $c{'b.test'}{pid}, 'bx.test and b.test: '
         . 'different workers');
    my ($bst, $xst) = map { proc_status($c{$_}{pid}) || {} }
                      qw(b.test bx.test);
    is((split ' ', $bst->{Gid} // '')[0], $tb_gid, "b.test's worker "
       . "$c{'b.test'}{pid}: gid peruid_tb");
    is((split ' ', $xst->{Gid} // '')[0], $tx_gid, "bx.test's worker "
       . "$c{'bx.test'}{pid}: gid peruid_tx");
    is((split ' ', $xst->{Uid} // '')[0], $tb_uid, "bx.test's worker: "
       . 'uid peruid_tb');
    close $_->{sock} for values %c;
};
