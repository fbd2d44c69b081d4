# t/perdir_user.t -- AssignUserID in <Directory>, <Location> and <Files>
# (issue 13, item 3; perdir.c, double_check.c): a vhost of peruid_ta
# whose sub/ directory, /loc location and one <Files> name peruid_tb.
# Its own instance.  Checked:
#   - the vhost's root answers as peruid_ta, sub/, /loc and the <Files>
#     as peruid_tb (a worker of peruid_tb's own pool: no vhost of
#     peruid_tb is needed, the pair gets a pool when the config is read);
#   - one kept-alive connection alternating root and sub/ 6 times: each
#     answer from its own user, on the same client connection (the
#     worker that finds a request for another user hands it over);
#   - a POST to sub/echo.php after a request of the root, on one
#     connection: the body arrives whole, as peruid_tb;
#   - the vhost's CustomLog gets the lines of both users' workers (it is
#     shared by them: through the log relay, marked with the user);
#   - a subrequest (mod_dir's DirectoryIndex lookup) into another user's
#     <Files> is refused, 500 and PU00108: it runs as the client's
#     request's user and cannot be handed over;
#   - AssignUserID in .htaccess is refused (500, "not allowed here"),
#     as are <If> and <Limit> at apache2 -t, naming the section, and a
#     section's user outside LimitUIDRange or that is the routers' user;
#   - on TLS, sub/ gets 421 (a TLS connection cannot be handed over),
#     the root 200 as peruid_ta.
# On the module before, AssignUserID in <Directory> fails apache2 -t:
# the instance does not start, and every check fails.
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/lib";
use Apache::Test qw(-withtestmore);
use PeruidTest qw(:all);
use Digest::MD5 qw(md5_hex);
use File::Copy qw(copy);
use File::Path qw(make_path);

plan skip_all => 'PHP (mod_php) is not installed' unless vars('peruid_php');
plan tests => 15;

my %started;    # conf file => master pid, for the END block
END { stop_instances(\%started) }

my ($ta) = ids_of('peruid_ta');
my ($tb) = ids_of('peruid_tb');
my $libexec = vars('peruid_libexec');
my $common = vars('peruid_top') . '/tests/htdocs/common';

# the vhost's document root, readable by both users: root, sub/, loc/,
# files/ (one <Files>), ht/ (an .htaccess that tries AssignUserID)
my $docs = root() . '/inst-perdir-docs';
for my $d ('', qw(sub loc files ht)) {
    make_path("$docs/$d");
    chmod 0755, "$docs/$d";
    for my $f (qw(whoami.php echo.php)) {
        copy("$common/$f", "$docs/$d/$f") or die "copy $f: $!";
        chmod 0644, "$docs/$d/$f";
    }
}
copy("$docs/files/whoami.php", "$docs/files/tb.php") or die "copy: $!";
chmod 0644, "$docs/files/tb.php";
open my $ht, '>', "$docs/ht/.htaccess" or die "$docs/ht/.htaccess: $!";
print $ht "AssignUserID peruid_tb peruid_tb\n";
close $ht;
chmod 0644, "$docs/ht/.htaccess";

# a key and a self-signed certificate for the TLS vhost
my $certs = root() . '/perdir-certs';
make_path($certs);
my $have_tls = -e "$libexec/mod_ssl.so" && -e "$libexec/mod_socache_shmcb.so"
    && eval { require IO::Socket::SSL; 1 };
if ($have_tls && !-s "$certs/perdir.test.crt") {
    system('openssl', 'req', '-x509', '-newkey', 'ec', '-pkeyopt',
           'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2',
           '-subj', '/CN=perdir.test', '-keyout', "$certs/perdir.test.key",
           '-out', "$certs/perdir.test.crt") == 0 or $have_tls = 0;
}

# the vhost: peruid_ta, with peruid_tb for sub/, /loc and files/tb.php
sub perdir_vhost {
    my ($addr, $tls) = @_;
    my $ssl = $tls ? <<"EOF" : qq{    CustomLog "logs/perdir_access" "%r"\n};
    SSLEngine on
    SSLCertificateFile "$certs/perdir.test.crt"
    SSLCertificateKeyFile "$certs/perdir.test.key"
EOF
    return <<"EOF";
<VirtualHost $addr>
    ServerName perdir.test
    DocumentRoot "$docs"
    AssignUserID peruid_ta peruid_ta
$ssl    <Directory "$docs">
        Require all granted
    </Directory>
    <Directory "$docs/sub">
        AssignUserID peruid_tb peruid_tb
    </Directory>
    <Location /loc>
        AssignUserID peruid_tb peruid_tb
    </Location>
    <Directory "$docs/files">
        DirectoryIndex tb.php
        <Files tb.php>
            AssignUserID peruid_tb peruid_tb
        </Files>
    </Directory>
    <Directory "$docs/ht">
        AllowOverride All
    </Directory>
</VirtualHost>
EOF
}

my ($hport, $tport) = (free_port(), free_port());
my $body = perdir_vhost("127.0.0.1:$hport", 0);
my @listen = ("127.0.0.1:$hport");
if ($have_tls) {
    push @listen, "127.0.0.1:$tport https";
    $body .= <<"EOF" . perdir_vhost("127.0.0.1:$tport", 1);
LoadModule socache_shmcb_module $libexec/mod_socache_shmcb.so
LoadModule ssl_module $libexec/mod_ssl.so
SSLSessionCache "shmcb:logs/ssl_scache(512000)"
EOF
}
my ($master, undef, undef, $dir) = started_instance(\%started, 'perdir',
    port => $hport, listen => \@listen, body => $body);
ok($master, 'a vhost with AssignUserID in <Directory>, <Location> and '
   . '<Files> starts') or exit;

# "status uid" of a whoami.php answer
sub who {
    my ($r) = @_;
    return join ' ', $r->{status} // 'none', kv($r->{body} // '')->{uid}
                                                 // '-';
}

is(who(http('perdir.test', '/whoami.php', port => $hport)), "200 $ta",
   'the vhost root answers as peruid_ta');
is(join(', ', map { who(http('perdir.test', $_, port => $hport)) }
        qw(/sub/whoami.php /loc/whoami.php /files/tb.php)),
   join(', ', ("200 $tb") x 3),
   'sub/ (<Directory>), /loc (<Location>) and files/tb.php (<Files>) '
   . 'answer as peruid_tb');
is(who(http('perdir.test', '/files/whoami.php', port => $hport)),
   "200 $ta", 'beside it, files/whoami.php answers as peruid_ta');

# a subrequest runs as the client's request's user: files/ is peruid_ta's,
# its DirectoryIndex tb.php peruid_tb's; mod_dir's lookup is refused
# (PU00108) and the request answered 500, never served as peruid_ta
{
    my $mark = error_log_mark("$dir/logs/error_log");
    my $r = http('perdir.test', '/files/', port => $hport);
    my $log = error_log_wait($mark, "$dir/logs/error_log",
                             qr/PU00108: .*subrequest \/files\/tb\.php .*\(uid $tb gid \d+\)/);
    ok(($r->{status} // 0) == 500
       && $log =~ /PU00108: .*subrequest \/files\/tb\.php .*\(uid $tb gid \d+\)/,
       'files/ whose DirectoryIndex is another user\'s <Files>: 500, the '
       . 'subrequest refused (PU00108)')
        or diag("status " . ($r->{status} // 'none') . "\n$log");
}

# one connection alternating the root and sub/
{
    my $c = keepalive_connect(port => $hport);
    my (@got, @want, %remote);
    for my $i (0 .. 11) {
        my $sub = $i % 2;
        ka_send($c, 'perdir.test', ($sub ? '/sub' : '') . "/whoami.php?i=$i");
        my $r = ka_read_response($c, 10);
        push @got, who($r);
        push @want, '200 ' . ($sub ? $tb : $ta);
        $remote{kv($r->{body} // '')->{remote} // '-'} = 1;
    }
    my $port = $c->{sock} ? $c->{sock}->sockport : 0;
    close $c->{sock} if $c->{sock};
    is_deeply(\@got, \@want, 'one kept-alive connection, root and sub/ '
              . 'alternating 6 times: each answer from its own user');
    is_deeply([keys %remote], ["127.0.0.1:$port"],
              '... all on the same client connection');
}

# a POST with a body to sub/echo.php after a request of the root
{
    my $payload = join '', map { chr(32 + ($_ * 7) % 90) } 1 .. 20000;
    my $c = keepalive_connect(port => $hport);
    ka_send($c, 'perdir.test', '/whoami.php');
    my $r1 = ka_read_response($c, 10);
    local $SIG{PIPE} = 'IGNORE';
    syswrite($c->{sock}, "POST /sub/echo.php HTTP/1.1\r\nHost: perdir.test"
             . "\r\nContent-Length: " . length($payload) . "\r\n\r\n"
             . $payload);
    my $r2 = ka_read_response($c, 10);
    close $c->{sock};
    my $v = kv($r2->{body} // '');
    is(join(' ', who($r1), $r2->{status} // 'none', $v->{length} // '-',
            $v->{md5} // '-', $v->{uid} // '-'),
       join(' ', "200 $ta", 200, length($payload), md5_hex($payload), $tb),
       'a POST to sub/echo.php after the root: the body arrives whole, '
       . 'as peruid_tb');
}

# the vhost's own CustomLog has the lines of both users' workers: shared
# by them, through the log relay, each marked with its user
{
    my $f = "$dir/logs/perdir_access";
    my $ok = wait_for(sub {
        my $log = slurp($f) // '';
        $log =~ m{^\[user peruid_tb\] POST /sub/echo\.php }m
            && $log =~ m{^\[user peruid_ta\] GET /whoami\.php }m;
    }, 10);
    ok($ok, 'the vhost\'s CustomLog has the lines of sub/ (peruid_tb) and '
       . 'of the root (peruid_ta), each marked with its user')
        or diag(slurp($f) // "no $f");
}

# .htaccess: refused as before (the error log is shared, so its lines come
# through the log relay: wait for the line rather than read at once)
{
    my $mark = error_log_mark("$dir/logs/error_log");
    my $r = http('perdir.test', '/ht/whoami.php', port => $hport);
    my $log = '';
    wait_for(sub {
        $log = error_log_since($mark, "$dir/logs/error_log") // '';
        $log =~ /AssignUserID not allowed here/;
    }, 10);
    ok(($r->{status} // 0) == 500 && $log =~ /AssignUserID not allowed here/,
       'AssignUserID in .htaccess: 500, "not allowed here"')
        or diag("status " . ($r->{status} // 'none') . "\n$log");
}

# <If> and <Limit>: refused at apache2 -t, naming the section
for my $s (['If', '<If "%{QUERY_STRING} =~ /tb/">', '</If>'],
           ['Limit', '<Limit POST>', '</Limit>']) {
    my ($name, $open, $close) = @$s;
    my ($conf, $tdir) = instance_conf("perdir-t-$name", port => free_port(),
        body => "<VirtualHost 127.0.0.1:1>\n    ServerName x.test\n"
              . "    <Directory \"$docs\">\n        $open\n"
              . "            AssignUserID peruid_tb peruid_tb\n"
              . "        $close\n    </Directory>\n</VirtualHost>\n");
    my $bin = vars('httpd') || '/usr/sbin/apache2';
    my $out = `\Q$bin\E -d \Q$tdir\E -f \Q$conf\E -t 2>&1`;
    ok($? != 0 && $out =~ /AssignUserID: not allowed in <$name>/,
       "AssignUserID in <$name>: apache2 -t fails, naming <$name>")
        or diag $out;
}

# a section's user is checked as a vhost's: inside LimitUIDRange, and not
# the routers' user
{
    my ($td) = ids_of('peruid_td');
    my $so = vars('peruid_module');
    my $section = "<VirtualHost 127.0.0.1:1>\n    ServerName x.test\n"
        . "    <Directory \"$docs/sub\">\n"
        . "        AssignUserID peruid_tb peruid_tb\n    </Directory>\n"
        . "</VirtualHost>\n";
    my $bin = vars('httpd') || '/usr/sbin/apache2';
    for my $c (['range', "LoadModule mpm_itk_module $so\n"
                . "LimitUIDRange $td $td\n",
                qr/PU00100: uid $tb of virtual host x\.test .*outside LimitUIDRange/,
                'a section\'s user outside LimitUIDRange: -t fails (PU00100)'],
               ['router', "PeruidRouterUser peruid_tb\n",
                qr/PU00081: .*the AssignUserID at .*httpd\.conf:\d+/,
                'a section naming the routers\' user: -t fails (PU00081)']) {
        my ($name, $extra, $want, $label) = @$c;
        my ($conf, $tdir) = instance_conf("perdir-t-$name",
            port => free_port(), vhosts => 0, body => $extra . $section);
        my $out = `\Q$bin\E -d \Q$tdir\E -f \Q$conf\E -t 2>&1`;
        ok($? != 0 && $out =~ $want, $label) or diag $out;
    }
}

# TLS: sub/ cannot be handed over: 421
SKIP: {
    skip 'mod_ssl or IO::Socket::SSL is not installed', 1 unless $have_tls;
    my @got;
    for my $path (qw(/whoami.php /sub/whoami.php)) {
        my $s = IO::Socket::SSL->new(PeerHost => '127.0.0.1',
            PeerPort => $tport, SSL_hostname => 'perdir.test',
            SSL_verify_mode => 0, Timeout => 10);
        if (!$s) {
            push @got, 'connect failed';
            next;
        }
        print $s "GET $path HTTP/1.1\r\nHost: perdir.test\r\n"
               . "Connection: close\r\n\r\n";
        my $raw = do { local $/; <$s> } // '';
        close $s;
        push @got, who(parse_response($raw));
    }
    is(join(', ', @got), "200 $ta, 421 -", 'TLS: the root as peruid_ta, '
       . 'sub/ 421 (a TLS connection cannot be handed over)');
}
