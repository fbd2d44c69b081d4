# t/refused_config.t -- configurations the MPM must refuse: "apache2 -t"
# on small generated configs fails with a message naming AssignUserID;
# AssignUserID in an .htaccess file is a 500 at request time.
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/lib";
use Apache::Test qw(-withtestmore);
use PeruidTest qw(:all);

my %started;    # conf file => master pid, for the END block
END { stop_instances(\%started) }

plan tests => 10;

my $httpd = vars('httpd') || '/usr/sbin/apache2';
my ($tb_uid, $tb_gid) = ids_of('peruid_tb');

# configtest($name, $vhost_body, %o) -> (exit status, output)
my $n = 0;
sub configtest {
    my ($vhost_body, %o) = @_;
    my $port = free_port();
    my $body = $o{outside} // '';
    $body .= "<VirtualHost 127.0.0.1:$port>\n    ServerName x.test\n"
           . "    DocumentRoot \"" . root() . "/htdocs/a\"\n$vhost_body\n"
           . "</VirtualHost>\n" if defined $vhost_body;
    my ($file, $dir) = instance_conf('configtest-' . ++$n, port => $port,
                                     vhosts => 0, no_php => 1,
                                     body => $body);
    my $out = `\Q$httpd\E -t -d \Q$dir\E -f \Q$file\E 2>&1`;
    return ($? >> 8, $out);
}

subtest 'a valid configuration passes -t' => sub {
    Test::More::plan(tests => 10);
    my ($rc, $out) = configtest("    AssignUserID peruid_ta peruid_ta");
    is($rc, 0, 'AssignUserID peruid_ta peruid_ta: exit 0') or diag $out;
    like($out, qr/Syntax OK/, 'Syntax OK');
    ($rc, $out) = configtest("    AssignUserID #$tb_uid #$tb_gid");
    is($rc, 0, "AssignUserID #$tb_uid #$tb_gid: exit 0") or diag $out;
    ($rc, $out) = configtest("    AssignUserID peruid_tb peruid_tx");
    is($rc, 0, 'AssignUserID with a group the user is not in: exit 0')
        or diag $out;
    ($rc, $out) = configtest("    <IfModule mpm_peruid_module>\n"
        . "        AssignUserID peruid_ta peruid_ta\n    </IfModule>");
    is($rc, 0, 'inside <IfModule>: exit 0') or diag $out;
    ($rc, $out) = configtest(undef,
        outside => "AssignUserID peruid_tb peruid_tb\n");
    is($rc, 0, 'in the main server: exit 0') or diag $out;
    # itk's directives before any AssignUserID in a <VirtualHost>, or in
    # one without it (apache2 -t crashed: the MPM's record of that vhost
    # was not made yet)
    my $itk = 'LoadModule mpm_itk_module ' . vars('peruid_module') . "\n";
    ($rc, $out) = configtest("    NiceValue 5\n    MaxClientsVHost 2\n"
                             . "    AssignUserID peruid_ta peruid_ta",
                             outside => $itk);
    ok($rc == 0 && $out =~ /Syntax OK/, 'NiceValue and MaxClientsVHost '
       . 'before AssignUserID: exit 0') or diag "exit $rc: $out";
    ($rc, $out) = configtest("    MaxClientsVHost 2\n    NiceValue 5",
                             outside => $itk);
    ok($rc == 0 && $out =~ /Syntax OK/, '... and in a vhost without '
       . 'AssignUserID: exit 0') or diag "exit $rc: $out";
    ($rc, $out) = configtest("    AssignUserID peruid_ta peruid_ta\n"
                             . "    NiceValue 30", outside => $itk);
    is($rc, 0, 'NiceValue 30 (itk passes it to setpriority): exit 0')
        or diag $out;
    like($out, qr/PU00157: NiceValue 30 \(\S+:\d+\) is outside -20\.\.19; using 19/,
         '... with a warning naming the directive and the value used')
        or diag $out;
};

subtest 'refused: unknown user or group, root, gid 0, bad ids' => sub {
    my @cases = (
        ['peruid_nosuchuser peruid_ta', qr/AssignUserID: unknown user 'peruid_nosuchuser'/],
        ['peruid_ta peruid_nosuchgroup', qr/AssignUserID: unknown group 'peruid_nosuchgroup'/],
        ['root peruid_ta',   qr/AssignUserID: refusing to serve a virtual host as uid 0/],
        ['#0 peruid_ta',     qr/AssignUserID: refusing to serve a virtual host as uid 0/],
        ['#00 #1000',        qr/AssignUserID: refusing to serve a virtual host as uid 0/],
        ['peruid_ta root',   qr/AssignUserID: refusing to serve a virtual host as gid 0/],
        ['peruid_ta #0',     qr/AssignUserID: refusing to serve a virtual host as gid 0/],
        ['root root',        qr/AssignUserID: refusing .* (uid|gid) 0/],
        ['#abc peruid_ta',   qr/AssignUserID: invalid user id '#abc'/],
        ['peruid_ta #-1',    qr/AssignUserID: invalid group id '#-1'/],
        ['#4294967296 peruid_ta', qr/AssignUserID: invalid user id/],
        ['# peruid_ta',      qr/AssignUserID: invalid user id '#'/],
    );
    Test::More::plan(tests => 2 * @cases);
    for my $c (@cases) {
        my ($args, $re) = @$c;
        my ($rc, $out) = configtest("    AssignUserID $args");
        isnt($rc, 0, "AssignUserID $args: -t fails");
        like($out, $re, "AssignUserID $args: the message names "
             . "AssignUserID and the reason") or diag $out;
    }
};

subtest 'refused: wrong number of arguments' => sub {
    my @cases = ('peruid_ta', 'peruid_ta peruid_ta peruid_ta', '');
    Test::More::plan(tests => 2 * @cases);
    for my $args (@cases) {
        my ($rc, $out) = configtest("    AssignUserID $args");
        isnt($rc, 0, "AssignUserID with '$args': -t fails");
        like($out, qr/AssignUserID takes two arguments/,
             "AssignUserID with '$args': the message names AssignUserID")
            or diag $out;
    }
};

# <Directory>, <Location>, <Files> take it (t/perdir_user.t); <If> and
# <Limit> do not (httpd allows <Limit> in a section only)
subtest 'refused inside <If>, <Limit>, <LimitExcept>' => sub {
    my @ctx = (['<If "true">', '</If>', 'If', '<If>'],
               ["<Directory \"/tmp\">\n    <Limit GET>",
                "</Limit>\n    </Directory>", 'Limit', '<Limit>'],
               ["<Location \"/x\">\n    <LimitExcept GET>",
                "</LimitExcept>\n    </Location>", 'LimitExcept',
                '<LimitExcept>'],
               ["<Directory \"/tmp\">\n    <If \"true\">",
                "</If>\n    </Directory>", 'If', '<If> in <Directory>']);
    Test::More::plan(tests => 2 * @ctx);
    for my $c (@ctx) {
        my ($open, $close, $name, $label) = @$c;
        my ($rc, $out) = configtest("    $open\n        AssignUserID "
                                    . "peruid_ta peruid_ta\n    $close");
        isnt($rc, 0, "inside $label: -t fails");
        like($out, qr/AssignUserID: not allowed in <$name>/,
             "inside $label: the message names AssignUserID and <$name>")
            or diag $out;
    }
};

subtest 'refused at request time: AssignUserID in .htaccess' => sub {
    Test::More::plan(tests => 5);
    ok(-e root() . '/htdocs/a/override/.htaccess',
       'a/override/.htaccess exists (AllowOverride All there)');
    my $mark = error_log_mark();
    my $r = http('a.test', '/override/');
    is($r->{status}, 500, 'a.test /override/: 500');
    unlike($r->{body}, qr/^override$/m, 'the directory\'s page is not '
           . 'served');
    my $log = '';
    wait_for(sub {
        $log = error_log_since($mark);
        $log =~ /AssignUserID not allowed here/;
    }, 3);
    like($log, qr/\.htaccess: AssignUserID not allowed here/,
         'error log: ".htaccess: AssignUserID not allowed here"');
    $r = http('a.test', '/site.txt');
    is($r->{status}, 200, 'the rest of a.test still works');
};

subtest 'User root is refused (by httpd itself)' => sub {
    Test::More::plan(tests => 2);
    # User root is httpd's own refusal, before the MPM runs
    my ($rc, $out) = configtest(undef, outside => "User root\n");
    isnt($rc, 0, 'User root: -t fails');
    like($out, qr/running as root/, 'the message is httpd\'s about '
         . 'running as root') or diag $out;
};

# docs/architecture.md: refused at apache2 -t: mod_cgid (its daemon runs
# CGI as User, not as the vhost's user).  Listeners with a protocol other
# than http pass: routers route them by address alone (t/protocol.t
# serves one), and https by the ClientHello.
subtest 'refused: mod_cgid; an ftp and an https listener pass' => sub {
    Test::More::plan(tests => 5);
    my $libexec = vars('peruid_libexec');
    my ($rc, $out) = configtest("    AssignUserID peruid_ta peruid_ta",
        outside => "LoadModule cgid_module $libexec/mod_cgid.so\n");
    isnt($rc, 0, 'LoadModule cgid_module: -t fails');
    # the MPM's own refusal, not some other error that names the module
    like($out, qr/PU00008: mod_cgid cannot run CGI programs as each vhost's AssignUserID user/,
         'the MPM refuses mod_cgid (PU00008)') or diag $out;
    my $p = free_port();
    ($rc, $out) = configtest("    AssignUserID peruid_ta peruid_ta",
        outside => "Listen 127.0.0.1:$p ftp\n");
    is($rc, 0, 'Listen ... ftp: -t passes') or diag $out;
    unlike($out, qr/PU00009/, 'no refusal of the listener (PU00009 retired)');
    ($rc, $out) = configtest("    AssignUserID peruid_ta peruid_ta",
        outside => "Listen 127.0.0.1:$p https\n");
    is($rc, 0, 'Listen ... https: -t passes') or diag $out;
};

# Group root passes httpd's own checks; the MPM refuses it at -t, as any
# server (the main one included) that would run as gid 0.
subtest 'refused: Group root, time and size directives out of range' => sub {
    Test::More::plan(tests => 20);
    my ($rc, $out) = configtest(undef, outside => "Group root\n");
    isnt($rc, 0, 'Group root: -t fails');
    like($out, qr/PU00042: the main server would run as uid \d+ gid 0: the peruid MPM never serves as root/,
         'the message says the main server would run as gid 0') or diag $out;
    for my $c (['PeruidPeekTimeout 0', qr/PeruidPeekTimeout: '0' is not a time between 1ms and one day/],
               ['PeruidIdleTimeout 90000', qr/PeruidIdleTimeout: '90000' is not a time between 1ms and one day/],
               ['PeruidPeekMaxBytes 100', qr/PeruidPeekMaxBytes: '100' is not an integer >= 1024/],
               ['PeruidPreforkedWorkers 65', qr/PeruidPreforkedWorkers: '65' is more than 64/],
               ['PeruidPreforkedWorkers -1', qr/PeruidPreforkedWorkers: '-1' is not an integer >= 0/],
               ['PeruidMaxUserShare 0', qr/PeruidMaxUserShare: '0' is not a percentage from 1 to 100/],
               ['PeruidMaxUserShare 101%', qr/PeruidMaxUserShare: '101' is not a percentage from 1 to 100/],
               ['PeruidMaxUserShare half', qr/PeruidMaxUserShare: 'half' is not a percentage from 1 to 100/],
               ['PeruidLogMark middle', qr/PeruidLogMark: 'middle' is not prefix, suffix or off/]) {
        my ($line, $re) = @$c;
        ($rc, $out) = configtest(undef, outside => "$line\n");
        isnt($rc, 0, "$line: -t fails");
        like($out, $re, "$line: the message names the directive") or diag $out;
    }
};

# Modules beside the MPM that cannot serve under it are refused at -t,
# each with the MPM's own message naming the module or directive and what
# to write instead: mod_fcgid (its process manager runs as User), TLS
# upgrades inside HTTP (SSLEngine optional).  SSLEngine on passes (t/tls.t
# serves it).
subtest 'refused: mod_fcgid, SSLEngine optional; SSLEngine on passes' => sub {
    my $libexec = vars('peruid_libexec');
    my $ssl = "LoadModule ssl_module $libexec/mod_ssl.so\n"
            . "LoadModule socache_shmcb_module $libexec/mod_socache_shmcb.so\n";
    my @cases = (
        ['LoadModule fcgid_module', "$libexec/mod_fcgid.so",
         "LoadModule fcgid_module $libexec/mod_fcgid.so\n", '',
         qr/PU00050: mod_fcgid starts FastCGI applications from one process manager running as User.*mod_proxy_fcgi with a php-fpm pool per user/],
        ['SSLEngine optional in a vhost', "$libexec/mod_ssl.so", $ssl,
         "    SSLEngine optional\n",
         qr/PU00051: SSLEngine optional \(\S+httpd\.conf:\d+\): TLS upgrades inside HTTP \(RFC 2817\) are not served/],
        ['SSLEngine optional in the main server', "$libexec/mod_ssl.so",
         $ssl . "SSLEngine optional\n", '',
         qr/PU00051: SSLEngine optional \(\S+httpd\.conf:\d+\)/],
    );
    Test::More::plan(tests => 2 * @cases + 3);
    for my $c (@cases) {
        my ($label, $so, $outside, $inside, $re) = @$c;
      SKIP: {
            skip "$so is not installed (tests/deps.sh installs it)", 2
                unless -f $so;
            my ($rc, $out) = configtest(
                "    AssignUserID peruid_ta peruid_ta\n$inside",
                outside => $outside);
            isnt($rc, 0, "$label: -t fails");
            like($out, $re, "$label: the MPM's message names it and says "
                 . "what to do instead") or diag $out;
        }
    }
  SKIP: {
        skip 'mod_ssl is not installed', 3 unless -f "$libexec/mod_ssl.so";
        my ($rc, $out) = configtest(
            "    AssignUserID peruid_ta peruid_ta\n    SSLEngine off\n",
            outside => $ssl);
        is($rc, 0, 'mod_ssl loaded, SSLEngine off: -t passes') or diag $out;
        unlike($out, qr/PU00051/, 'and the MPM says nothing about TLS');
        ($rc, $out) = configtest(
            "    AssignUserID peruid_ta peruid_ta\n    SSLEngine on\n",
            outside => $ssl);
        is($rc, 0, 'SSLEngine on in a vhost: -t passes') or diag $out;
    }
};

# suEXEC: the wrapper runs only for User's group, and a worker is already
# the vhost's user.  SuexecUserGroup naming the server's own user and
# group holds: its CGI programs run as that user (started by the worker
# itself).  One naming another user is refused at -t with what to write.
subtest "suEXEC: SuexecUserGroup of the vhost's own user serves; "
        . 'another user is refused' => sub {
    my $libexec = vars('peruid_libexec');
    plan skip_all => 'suEXEC is not installed (tests/deps.sh installs '
        . 'apache2-suexec-pristine)'
        unless -f "$libexec/mod_suexec.so" && -u '/usr/lib/apache2/suexec';
    Test::More::plan(tests => 9);
    my $load = "LoadModule suexec_module $libexec/mod_suexec.so\n";
    my ($tb_u, $tb_g) = ids_of('peruid_tb');
    my ($rc, $out) = configtest(
        "    AssignUserID peruid_ta peruid_ta\n"
        . "    SuexecUserGroup peruid_tb peruid_tb\n", outside => $load);
    isnt($rc, 0, 'SuexecUserGroup peruid_tb in a vhost of peruid_ta: -t '
         . 'fails');
    like($out, qr/PU00049: SuexecUserGroup #$tb_u #$tb_g in virtual host x\.test \(\S+:\d+\): under the peruid MPM CGI programs run as the server's own user.*write "AssignUserID #$tb_u #$tb_g" in that server instead/,
         'the message names SuexecUserGroup, the vhost and what to write')
        or diag $out;
    ($rc, $out) = configtest("    SuexecUserGroup peruid_tb peruid_tb\n",
                             outside => $load);
    isnt($rc, 0, 'SuexecUserGroup peruid_tb in a vhost of User '
         . '(peruid_td): -t fails');
    like($out, qr/PU00049: .*\(User\/Group\)/,
         'the message says the vhost runs as User/Group') or diag $out;

    # the vhost's own user: passes -t, and its CGI runs as that user
    my $port = free_port();
    my $docroot = root() . '/htdocs/a';
    my ($master) = started_instance(\%started, 'suexec', port => $port,
        body => $load
            . "<VirtualHost 127.0.0.1:$port>\n"
            . "    ServerName s.test\n"
            . "    DocumentRoot \"$docroot\"\n"
            . "    AssignUserID peruid_ta peruid_ta\n"
            . "    SuexecUserGroup peruid_ta peruid_ta\n"
            . "</VirtualHost>\n");
    ok($master, 'SuexecUserGroup peruid_ta in a vhost of peruid_ta: '
       . 'passes -t and starts') or return;
    my ($ta_u, $ta_g) = ids_of('peruid_ta');
    for my $path ('/id.cgi', '/whoami.php') {
        my $r = http('s.test', $path, port => $port);
        my $v = kv($r->{body});
        is($r->{status}, 200, "s.test $path: 200") or diag $r->{raw};
        is(($v->{uid} // '-') . '/' . ($v->{gid} // '-'), "$ta_u/$ta_g",
           "s.test $path runs as peruid_ta");
    }
};
