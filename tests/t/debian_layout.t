# t/debian_layout.t -- the MPM installed the Debian way, in a scratch copy
# of /etc/apache2 (APACHE_CONFDIR=$PERUID_ITEST_ROOT/inst-debian/apache2;
# the real /etc/apache2 is only read): mpm_peruid.load as "make install"
# writes it (from mpm_peruid/mpm_peruid.load.in), the switch from prefork
# with a2dismod/a2enmod exactly as README's "Install" says, on a host with
# PHP (php8.2.load depends on mpm_prefork), and a later "a2enmod php8.2".
# Then, in that layout: sites enabled with a2ensite (two AssignUserID
# vhosts, Debian's default site, an IP-based vhost), Debian's "Listen
# PORT" (dual-stack) plus "Listen [::1]:PORT2", PHP and CGI as each
# vhost's user over 127.0.0.1 and ::1, the real client and server
# addresses, Debian's status.conf ("Require local"), suEXEC, mod_fcgid
# (what passes "apache2ctl -t" serves; what is refused is refused there,
# naming the directive), HTTPS with a2enmod ssl on Debian's "Listen 443",
# and the way back to prefork.
#
# It runs in a network namespace of its own (in_own_netns), so "Listen
# PORT" reaches loopback only.  The server it starts writes its pid to
# inst-debian/logs/httpd.pid (the driver stops it there too) and is
# stopped by pid in the END block.  Servers are started with
# "apache2ctl -k start", never "apache2ctl start", which would ask
# systemd to start the real apache2 service.
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/lib";
use Apache::Test qw(-withtestmore);
use PeruidTest qw(:all);
use File::Path qw(make_path remove_tree);
use IO::Socket::SSL;

in_own_netns();

plan tests => 15;

my $inst    = root() . '/inst-debian';
my $etc     = "$inst/apache2";          # APACHE_CONFDIR
my $state   = "$inst/state";            # APACHE_STATE_DIRECTORY
my $logs    = "$inst/logs";
my $pidfile = "$logs/httpd.pid";
my $htdocs  = root() . '/htdocs';
my ($p, $p2) = (free_port(), free_port());
$p2 = free_port() while $p2 == $p;
my ($ta_uid) = ids_of('peruid_ta');
my ($tb_uid) = ids_of('peruid_tb');
my ($www_uid) = ids_of('www-data');

# The masters this test started (by pid): stopped at the end, each only
# while it is still an apache2 started with this scratch directory.
my @masters;
END {
    # (not in the copy of this file outside the namespace, which has
    # started nothing and has none of these paths set)
    if (defined $etc) {
        for my $m (@masters, master_pid($pidfile) // ()) {
            instance_stop($m, 10) if ours($m, $etc);
        }
    }
}

# What the real Debian directories hold (names, link targets, sizes,
# times): the test must leave them as they are.
sub real_state {
    my $fmt = '%p %l %s %T@ %C@\n';
    return scalar `find /etc/apache2 /var/lib/apache2 -printf '$fmt' | sort`;
}
my $real_before = real_state();

# The Debian tools read these; the envvars of the copy set them too.
$ENV{APACHE_CONFDIR} = $etc;
$ENV{APACHE_STATE_DIRECTORY} = $state;
delete @ENV{qw(APACHE_ENVVARS APACHE_ARGUMENTS APACHE_HTTPD
               APACHE_MODS_ENABLED APACHE_MODS_AVAILABLE
               APACHE_SITES_ENABLED APACHE_SITES_AVAILABLE
               APACHE_CONF_ENABLED APACHE_CONF_AVAILABLE)};

# run($cmd): run a shell command (a2enmod ..., apache2ctl ...) with
# stderr merged; returns (exit status, output).
sub run {
    my $cmd = shift;
    my $out = `$cmd 2>&1`;
    return ($? >> 8, $out);
}

sub write_file {
    my ($file, $text) = @_;
    open my $fh, '>', $file or die "$file: $!";
    print $fh $text;
    close $fh or die "$file: $!";
}

# edit_file($file, sub { s/.../.../ for $_ }): edit a file of the copy
sub edit_file {
    my ($file, $edit) = @_;
    my $text = slurp($file);
    die "$file: cannot read\n" unless defined $text;
    local $_ = $text;
    $edit->();
    write_file($file, $_);
}

sub enabled { -e "$etc/mods-enabled/$_[0].load" ? 1 : 0 }

# whoami($host, $addr, $port): GET /whoami.php; (key=value hash, response)
sub whoami {
    my ($host, $addr, $port, $path) = @_;
    my $r = http($host, $path || '/whoami.php', port => $port,
                 addr => $addr, timeout => 10);
    return (kv($r->{body}), $r);
}

# split "ip:port" as whoami.php prints it (an IPv6 address has colons)
sub addr_port {
    my ($s) = @_;
    return ('', '') unless defined $s && $s =~ /^(.*):(\d+|-)$/;
    return ($1, $2);
}

# served_as($label, $host, $addr, $port, $uid, $site, $local_ip): the
# request is answered by whoami.php of the vhost whose DocumentRoot is
# htdocs/$site (SERVER_NAME is the Host header: UseCanonicalName Off, as
# Debian has it), running as $uid, and PHP sees the real addresses:
# REMOTE_ADDR the client's, SERVER_ADDR and SERVER_PORT the ones
# connected to (UseCanonicalPhysicalPort On) (5 tests).
sub served_as {
    my ($label, $host, $addr, $port, $uid, $site, $local_ip) = @_;
    my ($v, $r) = whoami($host, $addr, $port);
    is($r->{status}, 200, "$label: 200")
        or diag("$r->{raw}" . ($r->{error} // ''));
    is($v->{uid}, $uid, "$label: served as uid $uid");
    is($v->{site}, $site, "$label: by the vhost of htdocs/$site");
    my ($rip) = addr_port($v->{remote});
    my ($lip, $lport) = addr_port($v->{local});
    is($rip, $addr eq '::1' ? '::1' : '127.0.0.1',
       "$label: REMOTE_ADDR is the client's address");
    is("$lip:$lport", "$local_ip:$port",
       "$label: SERVER_ADDR:SERVER_PORT are the address connected to");
}

# status_by_address($label): /status-v4 ("Require ip 127.0.0.1") and
# /status-v6 ("Require ip ::1") each admit their own address only: with
# every address 0.0.0.0 both would refuse both (4 tests)
sub status_by_address {
    my ($label) = @_;
    my %want = ('/status-v4 127.0.0.1' => 200, '/status-v4 ::1' => 403,
                '/status-v6 ::1' => 200, '/status-v6 127.0.0.1' => 403);
    for my $k (sort keys %want) {
        my ($path, $addr) = split ' ', $k;
        my $r = http('localhost', $path, addr => $addr,
                     port => $addr eq '::1' ? $p2 : $p);
        is($r->{status}, $want{$k}, "$label$path over $addr: $want{$k}");
    }
}

# start the server of the copy (a daemon); its master pid, or undef
sub start_server {
    unlink $pidfile;
    my ($rc, $out) = run('apache2ctl -k start');
    if ($rc != 0) {
        diag("apache2ctl -k start: exit $rc: $out");
        return undef;
    }
    my $m = wait_for(sub {
        my $pid = master_pid($pidfile);
        $pid && pid_alive($pid) ? $pid : 0;
    }, 15) or return undef;
    push @masters, $m;
    wait_for(sub {
        my $r = http('localhost', '/', port => $p, timeout => 3);
        defined $r->{status};
    }, 15);
    return $m;
}

# the tests of a subtest that needs the server when none started
sub no_server {
    fail('no server') for 1 .. shift;
    return;
}

sub stop_server {
    my $m = shift;
    return 'not ours' unless $m && ours($m, $etc);
    my @left = instance_stop($m, 10);
    return "@left";
}

# ----------------------------------------------------------- the copy
subtest 'a scratch copy of /etc/apache2, a PHP host on prefork' => sub {
    plan tests => 9;
    remove_tree($inst);
    make_path($logs, "$inst/run", "$inst/lock", $state);
    is(system('cp', '-a', '/etc/apache2', $etc), 0, "cp -a /etc/apache2 $etc")
        or return;
    # every runtime path of the copy inside the scratch directory
    my %dir = (APACHE_PID_FILE => $pidfile, APACHE_RUN_DIR => "$inst/run",
               APACHE_LOCK_DIR => "$inst/lock", APACHE_LOG_DIR => $logs);
    edit_file("$etc/envvars", sub {
        for my $k (sort keys %dir) {
            s/^export $k=.*$/export $k=$dir{$k}/m
                or die "envvars: no $k line\n";
        }
        $_ .= "export APACHE_STATE_DIRECTORY=$state\n";
    });
    my $env = `env - sh -c '. $etc/envvars && env'`;
    my @bad = grep { /^APACHE_/ && m{=/var/(run|log|lock)/apache2} }
              split /\n/, $env;
    is("@bad", '', 'envvars of the copy: nothing in /var/run, /var/log, '
       . '/var/lock/apache2');
    like($env, qr/^APACHE_PID_FILE=\Q$pidfile\E$/m,
         'envvars of the copy: the pid file is inst-debian/logs/httpd.pid');

    # mpm_peruid.load as "make install" writes it, for the build under test
    my $in = slurp(vars('peruid_top') . '/mpm_peruid/mpm_peruid.load.in');
    ok(defined $in && $in =~ /\@PERUID_SO\@/,
       'mpm_peruid/mpm_peruid.load.in has the @PERUID_SO@ place holder');
    (my $load = $in // '') =~ s/\@PERUID_SO\@/vars('peruid_module')/ge;
    write_file("$etc/mods-available/mpm_peruid.load", $load);

    # the starting point, whatever the real host has enabled: Debian's
    # event MPM (a2query -M would say "event"), no PHP, only the default
    # site; then PHP installed, which needs prefork.  mod_fcgid, mod_cgid,
    # mpm_itk and mod_ssl are refused, some tested below, not part of the
    # start.
    run('a2dismod -q -f php8.2 mpm_prefork mpm_worker mpm_itk fcgid cgid '
        . 'ssl');
    run("a2dissite -q '*'");
    my ($rc, $out) = run('a2enmod mpm_event');
    ok(enabled('mpm_event') && !enabled('mpm_prefork'),
       'the copy starts as an mpm_event host') or diag $out;
    ($rc, $out) = run('a2enmod mpm_peruid');
    isnt($rc, 0, 'a2enmod mpm_peruid on an mpm_event host fails');
    my $re = 'Module mpm_event is enabled - cannot proceed due to conflicts'
           . '.*Could not enable dependency mpm_prefork for mpm_peruid, '
           . 'aborting';
    like($out, qr/$re/s,
         'a2enmod says mpm_event conflicts') or diag $out;
    run('a2dismod -q mpm_event');
    ($rc, $out) = run('a2enmod php8.2');
    ok($rc == 0 && enabled('php8.2') && enabled('mpm_prefork'),
       'a2enmod php8.2 enables mpm_prefork with it (its Depends)')
        or diag $out;
    # the symptom of issue 9: README's old "a2dismod mpm_prefork" fails
    ($rc, $out) = run('a2dismod mpm_prefork');
    like($out, qr/depend on mpm_prefork and need to be disabled first: php8\.2/,
         'a2dismod mpm_prefork is refused: php8.2 depends on it')
        or diag $out;
};

# ------------------------------------------------------ README's switch
subtest 'the switch as README says: a2dismod mpm_event mpm_worker; a2enmod mpm_peruid' => sub {
    plan tests => 11;
    my ($rc, $out) = run('a2dismod mpm_event mpm_worker');
    is($rc, 0, 'a2dismod mpm_event mpm_worker: exit 0') or diag $out;
    ($rc, $out) = run('a2enmod mpm_peruid');
    is($rc, 0, 'a2enmod mpm_peruid: exit 0') or diag $out;
    like($out, qr/Enabling module mpm_peruid\./, 'it enables mpm_peruid');
    ok(enabled('mpm_peruid') && enabled('mpm_prefork') && enabled('php8.2'),
       'mpm_peruid, mpm_prefork and php8.2 enabled');
    ($rc, $out) = run('apache2ctl configtest');
    is($rc, 0, 'apache2ctl configtest: exit 0') or diag $out;
    like($out, qr/AH01574: module mpm_prefork_module is already loaded, skipping/,
         'mpm_prefork.load is skipped (AH01574, a warning)');
    ($rc, $out) = run('apache2ctl -V');
    like($out, qr/^Server MPM:\s+peruid$/m,
         'apache2ctl -V: Server MPM: peruid')
        or diag $out;
    ($rc, $out) = run('apache2ctl -M');
    like($out, qr/^ mpm_peruid_module \(shared\)$/m, '-M: mpm_peruid_module');
    like($out, qr/^ mpm_prefork_module \(shared\)$/m,
         '-M: mpm_prefork_module, the place holder (no second MPM: -t passed)');
    like($out, qr/^ mpm_itk_module \(shared\)$/m,
         '-M: mpm_itk_module, itk\'s directives (mod_mpm_peruid.so)');
    unlike($out, qr/mpm_(event|worker)_module/, '-M: no other MPM');
};

# ------------------------------------------------------------ the sites
subtest 'Debian layout: ports.conf, a2ensite, a2enconf, a2enmod cgi suexec' => sub {
    plan tests => 7;
    # ports.conf stays "Listen 80"-style: no address, so dual-stack
    edit_file("$etc/ports.conf", sub {
        s/^Listen 80$/Listen $p\nListen [::1]:$p2/m
            or die "ports.conf: no 'Listen 80'\n";
    });
    edit_file("$etc/sites-available/000-default.conf", sub {
        s/<VirtualHost \*:80>/<VirtualHost *:$p>/ or die "000-default\n";
        s{DocumentRoot /var/www/html}{DocumentRoot $htdocs/default}
            or die "000-default: DocumentRoot\n";
    });
    write_file("$etc/conf-available/peruid-itest.conf", <<"EOF");
# t/debian_layout.t: the test's document roots, CGI, and two status
# pages that admit one address each (with every address 0.0.0.0, both
# would refuse; "Require local" would admit); SERVER_PORT is the port
# connected to
UseCanonicalPhysicalPort On
<Directory "$htdocs">
    Options +ExecCGI
    AllowOverride None
    Require all granted
</Directory>
AddHandler cgi-script .cgi
<Location "/status-v4">
    SetHandler server-status
    Require ip 127.0.0.1
</Location>
<Location "/status-v6">
    SetHandler server-status
    Require ip ::1
</Location>
EOF
    my $vhost = sub {
        my ($addrs, $name, $dir, $user, $extra) = @_;
        return "<VirtualHost $addrs>\n    ServerName $name\n"
             . "    DocumentRoot \"$htdocs/$dir\"\n"
             . "    AssignUserID $user $user\n" . ($extra // '')
             . "    ErrorLog \${APACHE_LOG_DIR}/error.log\n"
             . "</VirtualHost>\n";
    };
    # a.test's CGI goes through suEXEC's directive, naming its own user
    write_file("$etc/sites-available/peruid-a.conf",
        $vhost->("*:$p *:$p2", 'a.test', 'a', 'peruid_ta',
                 "    SuexecUserGroup peruid_ta peruid_ta\n"));
    # b.test lends /as-ta to peruid_ta: a per-directory user, decided
    # after the mapping, reached by the hand-over
    write_file("$etc/sites-available/peruid-b.conf",
        $vhost->("*:$p *:$p2", 'b.test', 'b', 'peruid_tb',
                 "    Alias /as-ta \"$htdocs/b\"\n"
               . "    <Location \"/as-ta\">\n"
               . "        AssignUserID peruid_ta peruid_ta\n"
               . "    </Location>\n"));
    # IP-based: every request to 127.0.0.2:$p or [::1]:$p, whatever its
    # Host, on the dual-stack socket
    write_file("$etc/sites-available/peruid-ip.conf",
        $vhost->("127.0.0.2:$p [::1]:$p", 'ip.test', 'a2', 'peruid_ta'));
    my ($rc, $out) = run('a2ensite 000-default peruid-a peruid-b peruid-ip');
    is($rc, 0, 'a2ensite 000-default peruid-a peruid-b peruid-ip')
        or diag $out;
    ($rc, $out) = run('a2enconf peruid-itest');
    is($rc, 0, 'a2enconf peruid-itest') or diag $out;
    # a2enmod cgi asks "apache2ctl -V" whether the MPM is threaded
    ($rc, $out) = run('a2enmod cgi');
    is($rc, 0, 'a2enmod cgi') or diag $out;
    unlike($out, qr/threaded/, 'a2enmod cgi: not taken for threaded, so '
           . 'mod_cgi, not mod_cgid') or diag $out;
    ok(enabled('cgi') && !enabled('cgid'), 'cgi enabled, cgid not');
    ($rc, $out) = run('a2enmod suexec');
    is($rc, 0, 'a2enmod suexec') or diag $out;
    ($rc, $out) = run('apache2ctl -t');
    is($rc, 0, 'apache2ctl -t: Syntax OK') or diag $out;
};

# ------------------------------------------------------------- serving
my $master;
subtest 'served: PHP and CGI as each vhost\'s user, over 127.0.0.1 and ::1, real addresses' => sub {
    plan tests => 41;
    $master = start_server();
    ok($master, "apache2ctl -k start: master $master") or return;
    # a dual-stack socket on $p: one [::] listener
    my $t = tcp_table();
    my @l = grep { $t->{$_}{state} eq '0A' && $t->{$_}{lport} == $p }
            keys %$t;
    is(join(',', map { "$t->{$_}{proto} $t->{$_}{lip}" } @l),
       'tcp6 00000000000000000000000000000000',
       "Listen $p: one dual-stack socket ([::]:$p)");

    served_as("a.test over 127.0.0.1:$p", 'a.test', '127.0.0.1', $p,
              $ta_uid, 'a', '127.0.0.1');
    served_as("b.test over 127.0.0.1:$p", 'b.test', '127.0.0.1', $p,
              $tb_uid, 'b', '127.0.0.1');
    served_as("a.test over [::1]:$p2", 'a.test', '::1', $p2,
              $ta_uid, 'a', '::1');
    served_as("b.test over [::1]:$p2", 'b.test', '::1', $p2,
              $tb_uid, 'b', '::1');
    # the default site (no AssignUserID: User, www-data)
    served_as("an unknown Host: 000-default, as www-data", 'nosuch.test',
              '127.0.0.1', $p, $www_uid, 'default', '127.0.0.1');
    # IP-based vhost on the dual-stack socket: Host b.test does not matter
    served_as("Host b.test to [::1]:$p", 'b.test', '::1', $p,
              $ta_uid, 'a2', '::1');
    served_as("Host b.test to 127.0.0.2:$p", 'b.test', '127.0.0.2', $p,
              $ta_uid, 'a2', '127.0.0.2');
    # CGI: a.test's with SuexecUserGroup of its own user, b.test's without
    for my $c (['a.test', $ta_uid], ['b.test', $tb_uid]) {
        my ($cv, $r) = whoami($c->[0], '127.0.0.1', $p, '/id.cgi');
        is($r->{status}, 200, "$c->[0] /id.cgi: 200")
            or diag($r->{raw});
        is($cv->{uid}, $c->[1], "$c->[0] /id.cgi runs as uid $c->[1]");
    }
};

# One kept-alive connection per address, alternating a.test, b.test and
# b.test's /as-ta (peruid_ta's): the worker's double-check hands the
# connection over for every other request, and the router that takes it
# back checks the socket against its listeners, for both families and on
# the dual-stack socket.  On [::1]:$p the IP-based vhost takes every
# request whatever its Host, so nothing is handed over there.
subtest 'kept-alive across users over 127.0.0.1, ::1 and the dual-stack socket: hand-over' => sub {
    my @paths = (['a.test', '/whoami.php', 'a', $ta_uid],
                 ['b.test', '/whoami.php', 'b', $tb_uid],
                 ['b.test', '/as-ta/whoami.php', 'b', $ta_uid]);
    my @conns = (['127.0.0.1', $p, 0], ['::1', $p, 1], ['::1', $p2, 0]);
    plan tests => 2 * @conns;
    return no_server(2 * @conns) unless $master;
    for my $cn (@conns) {
        my ($addr, $port, $ip_based) = @$cn;
        my $c = keepalive_connect(addr => $addr, port => $port)
            or die "connect [$addr]:$port: $!";
        my (@got, @want, %remote);
        for my $i (0 .. 8) {
            my ($host, $path, $site, $uid) = @{ $paths[$i % 3] };
            ($path, $site, $uid) = ('/whoami.php', 'a2', $ta_uid)
                if $ip_based;
            ka_send($c, $host, "$path?i=$i");
            my $r = ka_read_response($c, 10);
            my $v = kv($r->{body});
            push @got, join ' ', $r->{status} // 'none', $v->{site} // '-',
                                 $v->{uid} // '-';
            push @want, "200 $site $uid";
            $remote{$v->{remote} // '-'} = 1;
        }
        my $local = $c->{sock}->sockport;
        close $c->{sock};
        is_deeply(\@got, \@want, "[$addr]:$port: 9 requests on one "
                  . 'connection, each from its own vhost and user')
            or diag(join "\n", @got);
        is_deeply([keys %remote], ["$addr:$local"],
                  "[$addr]:$port: every answer for the same client "
                  . 'connection');
    }
};

subtest 'status.conf: Require local admits 127.0.0.1 and ::1; Require ip tells them apart' => sub {
    plan tests => 14;
    return no_server(14) unless $master;
    for my $c (['127.0.0.1', $p], ['::1', $p2], ['::1', $p]) {
        my $r = http('localhost', '/server-status?auto', addr => $c->[0],
                     port => $c->[1]);
        is($r->{status}, 200, "/server-status over $c->[0] port $c->[1]: 200");
        like($r->{body}, qr/^ServerMPM: peruid$/m, '... the peruid MPM\'s')
            if $c->[0] eq '127.0.0.1';
        # the MPM's tables come only from a site that runs as User: Host
        # localhost reaches the default site over 127.0.0.1:$p; over
        # [::1]:$p2 the first vhost of *:$p2 (a.test) and over [::1]:$p
        # the IP-based ip.test, both peruid_ta's: the tables withheld
        if ($c->[0] eq '127.0.0.1') {
            like($r->{body}, qr/^PeruidPool\d+User: peruid_ta$/m,
                 "... with the user pools' table (the default site, User)");
        }
        else {
            ok($r->{body} =~ /^PeruidStatus: withheld$/m
               && $r->{body} !~ /^PeruidPool/m, "... the tables withheld "
               . "(a vhost of peruid_ta answers over $c->[0] port $c->[1])")
                or diag($r->{body});
        }
    }
    # a.test (peruid_ta) over the dual-stack socket from 127.0.0.1
    my $ra = http('a.test', '/server-status?auto', addr => '127.0.0.1',
                  port => $p);
    ok(($ra->{status} // 0) == 200
       && $ra->{body} =~ /^PeruidStatus: withheld$/m
       && $ra->{body} !~ /^PeruidPool/m,
       "a.test's /server-status over 127.0.0.1 port $p: the tables withheld")
        or diag($ra->{body});
    status_by_address('');
    # and over 127.0.0.2 (loopback too, not 127.0.0.1)
    my $r = http('localhost', '/status-v4', addr => '127.0.0.2', port => $p);
    is($r->{status}, 200, '/status-v4 to 127.0.0.2 (client 127.0.0.1): 200');
    $r = http('localhost', '/server-status?auto', addr => '127.0.0.2',
              port => $p);
    is($r->{status}, 200, '/server-status to 127.0.0.2: 200');
};

# a2query reads /etc/apache2 and /var/lib/apache2 only: ask it in a
# mount namespace of its own where the copy is bound there (private
# propagation: the real directories are neither changed nor hidden
# anywhere else)
subtest 'a2query, as maintainer scripts ask it' => sub {
    plan tests => 3;
    my $q = sub {
        run("unshare --mount --propagation private sh -c "
            . "'mount --bind $etc /etc/apache2 && "
            . "mount --bind $state /var/lib/apache2 && $_[0]'");
    };
    my ($rc, $out) = $q->('a2query -M');
    like($out, qr/^peruid$/m, 'a2query -M: peruid (from apache2ctl -V)')
        or diag $out;
    ($rc, $out) = $q->('a2query -m mpm_prefork');
    is($rc, 0, 'a2query -m mpm_prefork: enabled, so apache2_switch_mpm '
       . 'prefork (php8.2\'s postinst) has nothing to do') or diag $out;
    ($rc, $out) = $q->('a2query -m mpm_peruid');
    is($rc, 0, 'a2query -m mpm_peruid: enabled') or diag $out;
};

subtest 'a2enmod php8.2 again, and php8.2 disabled and enabled: still peruid' => sub {
    plan tests => 10;
    my ($rc, $out) = run('a2enmod php8.2');
    is($rc, 0, 'a2enmod php8.2: exit 0') or diag $out;
    like($out, qr/Module php8\.2 already enabled/, '... already enabled');
    ($rc, $out) = run('a2dismod php8.2');
    is($rc, 0, 'a2dismod php8.2') or diag $out;
    ($rc, $out) = run('a2enmod php8.2');
    is($rc, 0, 'a2enmod php8.2') or diag $out;
    ok(enabled('mpm_peruid') && enabled('mpm_prefork') && enabled('php8.2'),
       'mpm_peruid, mpm_prefork and php8.2 still enabled');
    ($rc, $out) = run('apache2ctl -t');
    is($rc, 0, 'apache2ctl -t: exit 0') or diag $out;
    ($rc, $out) = run('apache2ctl -V');
    like($out, qr/^Server MPM:\s+peruid$/m, 'Server MPM: peruid');
    return no_server(3) unless $master;
    ($rc, $out) = run('apache2ctl graceful');
    is($rc, 0, 'apache2ctl graceful') or diag $out;
    my $v = wait_for(sub {
        my ($w, $r) = whoami('a.test', '::1', $p2);
        ($r->{status} // 0) == 200 && $w;
    }, 10) || {};
    is($v->{uid}, $ta_uid, 'after the graceful restart: a.test PHP as '
       . 'peruid_ta over ::1');
    ok(pid_alive($master), 'the same master');
};

# ------------------------------------------------------------- refusals
# configtest_with($what, $apply, $undo): -t on the copy changed by $apply;
# $undo puts it back.  Returns (exit status, output).
sub configtest_with {
    my ($apply, $undo) = @_;
    $apply->();
    my @r = run('apache2ctl -t');
    $undo->();
    return @r;
}

sub site_line {
    my ($site, $from, $to) = @_;
    my $f = "$etc/sites-available/$site.conf";
    return sub {
        edit_file($f, sub { s/\Q$from\E/$to/ or die "$site: no '$from'\n" });
    };
}

subtest 'refused at apache2ctl -t: suEXEC of another user, mod_fcgid' => sub {
    plan tests => 11;
    my ($rc, $out) = configtest_with(
        site_line('peruid-a', 'SuexecUserGroup peruid_ta peruid_ta',
                  'SuexecUserGroup peruid_tb peruid_tb'),
        site_line('peruid-a', 'SuexecUserGroup peruid_tb peruid_tb',
                  'SuexecUserGroup peruid_ta peruid_ta'));
    isnt($rc, 0, 'SuexecUserGroup peruid_tb in a.test (AssignUserID '
         . 'peruid_ta): -t fails');
    like($out, qr/PU00049: SuexecUserGroup #\d+ #\d+ in virtual host a\.test /,
         '... PU00049 names SuexecUserGroup and the vhost') or diag $out;

    ($rc, $out) = configtest_with(
        site_line('000-default', 'DocumentRoot',
                  "SuexecUserGroup peruid_ta peruid_ta\n\tDocumentRoot"),
        site_line('000-default', "SuexecUserGroup peruid_ta peruid_ta\n\t",
                  ''));
    isnt($rc, 0, 'SuexecUserGroup peruid_ta in 000-default (User '
         . 'www-data): -t fails');
    like($out, qr/PU00049: SuexecUserGroup/, '... PU00049') or diag $out;

    ($rc, $out) = configtest_with(sub { run('a2enmod fcgid') },
                                  sub { run('a2dismod fcgid') });
    isnt($rc, 0, 'a2enmod fcgid: -t fails');
    like($out, qr/PU00050: mod_fcgid .*mod_proxy_fcgi/,
         '... PU00050 names mod_fcgid and what to use instead') or diag $out;

    # a real prefork loaded before mpm_peruid.load: httpd refuses two MPMs
    ($rc, $out) = run('apache2ctl -t -C "LoadModule mpm_prefork_module '
                      . vars('peruid_libexec') . '/mod_mpm_prefork.so"');
    isnt($rc, 0, 'the real prefork loaded first: -t fails');
    like($out, qr/AH00534: apache2: Configuration error: More than one MPM loaded/,
         '... AH00534: More than one MPM loaded') or diag $out;
    # (not with -c: httpd counts the MPMs before it reads -c directives)
    my $late = "$etc/conf-enabled/zz-peruid-itest-event.conf";
    ($rc, $out) = configtest_with(sub {
        write_file($late, 'LoadModule mpm_event_module '
                   . vars('peruid_libexec') . "/mod_mpm_event.so\n");
    }, sub { unlink $late });
    like($out, qr/AH00534: .*More than one MPM loaded/,
         'mpm_event loaded in a conf-enabled file: AH00534 too') or diag $out;

    ($rc, $out) = run('apache2ctl -t');
    is($rc, 0, 'all put back: -t passes again') or diag $out;
    ok(!enabled('fcgid') && !enabled('ssl'), 'fcgid and ssl disabled again');
};

# the server of the copy still serves after all that
subtest 'still serving' => sub {
    plan tests => 2;
    return no_server(2) unless $master;
    my ($v) = whoami('b.test', '127.0.0.1', $p);
    is($v->{uid}, $tb_uid, 'b.test PHP as peruid_tb');
    my $r = http('a.test', '/id.cgi', port => $p2, addr => '::1');
    like($r->{body}, qr/^uid=$ta_uid$/m, 'a.test CGI as peruid_ta over ::1');
};

# mod_ssl as Debian enables it: a2enmod ssl (ports.conf then has "Listen
# 443", dual-stack; ssl.conf a shmcb session cache and Debian's "Mutex
# file:"), a TLS site with AssignUserID, a graceful restart: HTTPS over
# 127.0.0.1 and ::1, served as the vhost's user; then all put back.
subtest 'a2enmod ssl and a TLS site: HTTPS on Listen 443 as the vhost\'s user' => sub {
    plan tests => 8;
    return no_server(8) unless $master;
    my $certs = "$inst/tls";
    make_path($certs);
    is(system('openssl', 'req', '-x509', '-newkey', 'ec', '-pkeyopt',
              'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2',
              '-subj', '/CN=tls.test', '-keyout', "$certs/tls.key",
              '-out', "$certs/tls.crt"), 0, 'a key and certificate for tls.test');
    my $site = "$etc/sites-available/peruid-tls.conf";
    write_file($site, "<VirtualHost *:443>\n    ServerName tls.test\n"
               . "    DocumentRoot $htdocs/b\n"
               . "    AssignUserID peruid_tb peruid_tb\n    SSLEngine on\n"
               . "    SSLCertificateFile $certs/tls.crt\n"
               . "    SSLCertificateKeyFile $certs/tls.key\n</VirtualHost>\n");
    my ($rc1) = run('a2enmod ssl');
    my ($rc2) = run('a2ensite peruid-tls');
    my ($rc, $out) = run('apache2ctl -t');
    is($rc1 + $rc2 + $rc, 0, 'a2enmod ssl, a2ensite peruid-tls: -t passes')
        or diag $out;
    # a graceful restart of our master, by pid ("apache2ctl -k graceful"
    # would start a server of its own if ours had gone)
    kill 'USR1', $master if ours($master, $etc);
    for my $addr ('127.0.0.1', '::1') {
        my ($v, $cn) = ({}, '');
        wait_for(sub {
            my $s = IO::Socket::SSL->new(PeerAddr => $addr, PeerPort => 443,
                SSL_verify_mode => 0, SSL_hostname => 'tls.test',
                Timeout => 5) or return 0;
            $cn = $s->peer_certificate('commonName');
            print $s "GET /whoami.php HTTP/1.1\r\nHost: tls.test\r\n"
                   . "Connection: close\r\n\r\n";
            my $raw = '';
            while (sysread($s, my $buf, 65536)) {
                $raw .= $buf;
            }
            $v = kv(parse_response($raw)->{body} // '');
            defined $v->{uid};
        }, 15);
        is($v->{uid}, $tb_uid, "https://tls.test/ over $addr:443: PHP as "
           . 'peruid_tb');
        is($cn, 'tls.test', "... with tls.test's certificate");
    }
    my ($v) = whoami('a.test', '127.0.0.1', $p);
    is($v->{uid}, $ta_uid, 'plain HTTP: a.test still PHP as peruid_ta');
    run('a2dissite peruid-tls');
    run('a2dismod ssl');
    unlink $site;
    kill 'USR1', $master if ours($master, $etc);
    sleep 1;
    ok(!enabled('ssl') && pid_alive($master),
       'ssl disabled again, a graceful restart, the same master');
};

subtest 'stopped by pid' => sub {
    plan tests => 1;
    return no_server(1) unless $master;
    is(stop_server($master), '', 'master and children gone after SIGTERM');
};

# ------------------------------------------------------- the way back
subtest 'back to prefork: a2dismod mpm_peruid' => sub {
    plan tests => 7;
    my ($rc, $out) = run('a2dismod mpm_peruid');
    is($rc, 0, 'a2dismod mpm_peruid') or diag $out;
    ok(enabled('mpm_prefork') && enabled('php8.2') && !enabled('mpm_peruid'),
       'mpm_prefork and php8.2 stay enabled, mpm_peruid is not');
    ($rc, $out) = run('apache2ctl -t');
    isnt($rc, 0, 'with AssignUserID in the sites, -t fails (no vhost '
         . 'silently served as www-data)');
    like($out, qr/Invalid command 'AssignUserID'/, '... naming AssignUserID')
        or diag $out;
    # the sites without AssignUserID (and a.test, with its suEXEC, off)
    for my $site (qw(peruid-b peruid-ip)) {
        edit_file("$etc/sites-available/$site.conf",
                  sub { s/^\s*AssignUserID .*\n//mg });
    }
    ($rc, $out) = run('a2dissite peruid-a');
    is($rc, 0, 'a2dissite peruid-a') or diag $out;
    ($rc, $out) = run('apache2ctl -t');
    is($rc, 0, 'without AssignUserID: -t passes') or diag $out;
    ($rc, $out) = run('apache2ctl -V');
    like($out, qr/^Server MPM:\s+prefork$/m, 'Server MPM: prefork');
};

# prefork in the same layout: the reference for what the checks above
# expect of vhosts, addresses and status pages (everything as www-data)
subtest 'prefork, the reference: the same vhosts, addresses and status answers' => sub {
    plan tests => 28;
    my $m = start_server();
    ok($m, 'prefork started') or return;
    served_as("prefork: b.test over 127.0.0.1:$p", 'b.test', '127.0.0.1',
              $p, $www_uid, 'b', '127.0.0.1');
    served_as("prefork: b.test over [::1]:$p2", 'b.test', '::1', $p2,
              $www_uid, 'b', '::1');
    served_as("prefork: Host b.test to [::1]:$p", 'b.test', '::1', $p,
              $www_uid, 'a2', '::1');
    served_as("prefork: Host b.test to 127.0.0.2:$p", 'b.test', '127.0.0.2',
              $p, $www_uid, 'a2', '127.0.0.2');
    for my $c (['127.0.0.1', $p], ['::1', $p2]) {
        my $r = http('localhost', '/server-status?auto', addr => $c->[0],
                     port => $c->[1]);
        is($r->{status}, 200, "prefork: /server-status over $c->[0]: 200");
    }
    status_by_address('prefork: ');
    is(stop_server($m), '', 'prefork stopped');
};

subtest 'the real /etc/apache2 and /var/lib/apache2 untouched' => sub {
    plan tests => 1;
    is(real_state(), $real_before, 'the same files, links, sizes and times');
};
