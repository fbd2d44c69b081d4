# t/tls_keys.t -- a worker holds the TLS private keys and session ticket
# keys of its own user only; routers hold none (tlskeys.c).
#
# One TLS address with three name-based vhosts, each with a key and a
# self-signed certificate made here: tdefault.test (the address's
# default, User, an EC key), a.test (peruid_ta, RSA) and b.test
# (peruid_tb, RSA).  A PHP script of a.test, given a random marker,
# reports its worker's pid; the test, root, reads that process's whole
# memory (every readable mapping of /proc/PID/maps, through
# /proc/PID/mem) and looks for:
#   - the marker (the scan sees the tenant's heap),
#   - 24-byte pieces of a.test's own primes and private exponent (a
#     positive control: the scan finds a key where one is),
#   - 24-byte pieces of b.test's primes and private exponent, in both
#     byte orders (OpenSSL keeps BIGNUMs as little-endian words), and of
#     tdefault.test's EC private scalar,
#   - a base64 line of b.test's key file (PEM),
#   - the master secret of a TLS 1.2 session with b.test (from the
#     client's key log),
#   - the name of the ticket key that encrypted b.test's session ticket
#     (the ticket's first 16 bytes; a.test's own is found);
# it must find the first two and none of the others.  The same scan of
# b.test's worker finds none of a.test's key, and of a router neither
# user's.  A second instance with preforked workers: one bound to
# a.test's user later is just as clean.  Sessions: a TLS 1.2 session (by
# ticket, and by session id alone) and a TLS 1.3 ticket of a.test are
# resumed across connections (so across a.test's workers: their ticket
# keys are their user's); a ticket b.test issued is not resumed by
# a.test.  After a graceful restart a.test's new worker is as clean.
# The master says what it swept (PU00090).  Refused at "apache2 -t": an
# encrypted key, SSLSessionTicketKeyFile.
use strict;
use warnings FATAL => 'all';
no warnings 'portable';    # hex() of 64-bit addresses
use FindBin;
use lib "$FindBin::Bin/lib";
use Apache::Test qw(-withtestmore);
use PeruidTest qw(:all);
use Digest::MD5 qw(md5_hex);
use Time::HiRes qw(time sleep);

my $libexec = vars('peruid_libexec');
plan skip_all => 'PHP (mod_php) is not installed' unless vars('peruid_php');
plan skip_all => 'mod_ssl is not installed'
    unless -e "$libexec/mod_ssl.so" && -e "$libexec/mod_socache_shmcb.so";
plan skip_all => 'openssl is not installed'
    unless system('openssl version >/dev/null 2>&1') == 0;
plan tests => 35;

my %started;    # conf file => master pid, for the END block
END { stop_instances(\%started) }

my $htdocs = root() . '/htdocs';
my ($ta) = ids_of('peruid_ta');
my ($tb) = ids_of('peruid_tb');
my $tag = sprintf('%x%x', $$, int(time));
my $work = root() . "/tls-keys-$tag";
mkdir $work or die "$work: $!";
END { system('rm', '-rf', $work) if $work && -d $work }

# ------------------------------------------------------------- keys

# a key and a self-signed certificate for each name, made for this run
my %key = (
    'tdefault.test' => ['-newkey', 'ec', '-pkeyopt',
                        'ec_paramgen_curve:prime256v1'],
    'a.test' => ['-newkey', 'rsa:2048'],
    'b.test' => ['-newkey', 'rsa:2048'],
);
for my $n (sort keys %key) {
    my $args = join ' ', map { quotemeta } @{ $key{$n} };
    system("openssl req -x509 $args -nodes -days 2 -subj /CN=$n "
           . "-keyout \Q$work/$n.key\E -out \Q$work/$n.crt\E 2>/dev/null") == 0
        or die "openssl req for $n failed";
    chmod 0600, "$work/$n.key";
}

# the private numbers of a key file, big-endian bytes: name => bytes
sub private_numbers {
    my $file = shift;
    my $text = `openssl pkey -in \Q$file\E -text -noout`;
    my $names = qr/privateExponent|prime1|prime2|exponent1|exponent2|priv/;
    my (%n, $cur);
    for (split /\n/, $text) {
        if (/^($names):\s*$/) {
            $cur = $1;
            next;
        }
        if (defined $cur && /^\s+([0-9a-f:]+)\s*$/) {
            (my $h = $1) =~ s/://g;
            $n{$cur} .= $h;
            next;
        }
        undef $cur;
    }
    for (keys %n) {
        my $b = pack('H*', $n{$_});
        $b =~ s/^\x00+//;
        $n{$_} = $b;
    }
    return \%n;
}

# 24-byte pieces of a number at its start, middle and end, big-endian
# and little-endian: label => bytes
sub pieces {
    my ($label, $num) = @_;
    my %p;
    my $len = length $num;
    for my $at (0, int(($len - 24) / 2), $len - 24) {
        $p{"$label BE\@$at"} = substr($num, $at, 24);
        $p{"$label LE\@$at"} = substr(scalar reverse($num), $at, 24);
    }
    return %p;
}

my $na = private_numbers("$work/a.test.key");
my $nb = private_numbers("$work/b.test.key");
my $nd = private_numbers("$work/tdefault.test.key");
ok(length($nb->{privateExponent} // '') >= 200
   && length($nb->{prime1} // '') >= 100
   && length($nd->{priv} // '') >= 24,
   'the private numbers of the keys were read (openssl pkey -text)')
    or exit;
my %b_key = (map({ pieces("b.test $_", $nb->{$_}) }
                 qw(privateExponent prime1 prime2)),
             pieces('tdefault.test priv', $nd->{priv}));
my %a_key = map { pieces("a.test $_", $na->{$_}) }
                qw(privateExponent prime1 prime2);
my @b_pem = grep { /^[A-Za-z0-9+\/=]{64}$/ }
                 split /\n/, slurp("$work/b.test.key");
my %b_pem = ('b.test PEM line' => $b_pem[int(@b_pem / 2)]);

# ---------------------------------------------------------- instance

sub fixture {
    my ($path, $user, $text) = @_;
    open my $fh, '>', $path or die "$path: $!";
    print $fh $text;
    close $fh;
    my ($uid, $gid) = ids_of($user);
    chown $uid, $gid, $path or die "chown $path: $!";
}
# the tenant: holds the marker it is given, says who and where it is
my $pid_php = <<'EOF';
<?php
header('Content-Type: text/plain');
$GLOBALS['peruid_marker'] = str_repeat((string)($_GET['m'] ?? ''), 4);
echo "pid=", getmypid(), "\n";
echo "uid=", posix_getuid(), "\n";
EOF
fixture("$htdocs/a/keys_pid_$tag.php", 'peruid_ta', $pid_php);
fixture("$htdocs/b/keys_pid_$tag.php", 'peruid_tb', $pid_php);
END { unlink "$htdocs/a/keys_pid_$tag.php", "$htdocs/b/keys_pid_$tag.php" }

sub tls_body {
    my ($tport) = @_;
    my $body = <<"EOF";
LoadModule socache_shmcb_module $libexec/mod_socache_shmcb.so
LoadModule ssl_module $libexec/mod_ssl.so
SSLSessionCache "shmcb:logs/ssl_scache(512000)"
LogLevel info mpm_peruid:debug
EOF
    for (['tdefault.test', 'default', undef], ['a.test', 'a', 'peruid_ta'],
         ['b.test', 'b', 'peruid_tb']) {
        my ($name, $dir, $user) = @$_;
        my $assign = $user ? "AssignUserID $user $user" : '';
        $body .= <<"EOF";
<VirtualHost 127.0.0.1:$tport>
    ServerName $name
    DocumentRoot "$htdocs/$dir"
    SSLEngine on
    SSLCertificateFile "$work/$name.crt"
    SSLCertificateKeyFile "$work/$name.key"
    $assign
</VirtualHost>
EOF
    }
    return $body;
}

my $mpm = small_mpm();
my ($hport, $tport) = (free_port(), free_port());
my ($master, undef, undef, $dir) = started_instance(\%started, 'tlskeys',
    port => $hport, listen => ["127.0.0.1:$hport", "127.0.0.1:$tport https"],
    body => tls_body($tport), mpm => $mpm);
ok($master, 'an instance with three TLS vhosts of three users started')
    or exit;

# ----------------------------------------------------------- clients

# openssl s_client to the TLS port with SNI $sni, sending a GET of $path
# for Host $sni; extra arguments after.  Returns its whole output.
sub s_client {
    my ($sni, $path, @args) = @_;
    my $req = "$work/req";
    open my $fh, '>', $req or die "$req: $!";
    print $fh "GET $path HTTP/1.1\r\nHost: $sni\r\nConnection: close\r\n\r\n";
    close $fh;
    my $cmd = join ' ', 'openssl s_client -connect', "127.0.0.1:$tport",
        '-servername', $sni, '-ign_eof', map({ quotemeta } @args);
    return scalar `timeout 20 $cmd <\Q$req\E 2>&1`;
}

# a.test's script over TLS: (pid, uid) of the worker that ran it
sub tenant_pid {
    my ($sni, $marker) = @_;
    my $out = s_client($sni, "/keys_pid_$tag.php?m=$marker");
    my $v = kv($out);
    return ($v->{pid}, $v->{uid});
}

# ---------------------------------------------------------- the scan

# Every readable mapping of process $pid (root reads /proc/PID/mem):
# label => how many times it holds each needle (label => bytes), and
# the bytes read.
sub scan_pid {
    my ($pid, %needle) = @_;
    my %by = map { $needle{$_} => $_ } keys %needle;
    my $re = join '|', map { quotemeta } sort keys %by;
    $re = qr/$re/;
    my %count = map { $_ => 0 } keys %needle;
    my $bytes = 0;
    open my $maps, '<', "/proc/$pid/maps" or return (\%count, 0);
    open my $mem, '<:raw', "/proc/$pid/mem" or return (\%count, 0);
    my $chunk = 1 << 20;
    for (<$maps>) {
        my ($s, $e, $perm, $path) =
            /^([0-9a-f]+)-([0-9a-f]+) (\S{4}) \S+ \S+ \S+\s*(.*)$/ or next;
        next if substr($perm, 0, 1) ne 'r'
            || $path =~ /^\[(?:vvar|vsyscall|vvar_vclock)\]$/;
        for (my $at = hex($s); $at < hex($e); $at += $chunk) {
            my $len = hex($e) - $at;
            $len = $chunk + 64 if $len > $chunk + 64;
            sysseek($mem, $at, 0) or last;
            my $n = sysread($mem, my $buf, $len);
            last unless $n;
            $bytes += $n > $chunk ? $chunk : $n;
            while ($buf =~ /$re/g) {
                $count{ $by{$&} }++ if $-[0] < $chunk;
            }
        }
    }
    return (\%count, $bytes);
}

# the labels found (count > 0) among %$count whose label matches $like
sub found {
    my ($count, $like) = @_;
    return grep { $_ =~ $like && $count->{$_} } sort keys %$count;
}

# --------------------------------------------------- b.test's session

my $keylog = "$work/keylog";
my $sb = s_client('b.test', "/keys_pid_$tag.php?m=x", '-tls1_2',
                  '-keylogfile', $keylog);
my ($cr_line) = grep { /^CLIENT_RANDOM / } split /\n/, slurp($keylog) // '';
my $b_master = $cr_line ? pack('H*', (split ' ', $cr_line)[2]) : '';
ok(length($b_master) == 48 && $sb =~ /uid=$tb\b/,
   'a TLS 1.2 session with b.test, served as b\'s uid; its master '
   . 'secret from the client\'s key log') or diag($sb);
my %b_secret = ('b.test master secret' => $b_master,
                'b.test master secret half' => substr($b_master, 24));

# the name of the ticket key that encrypted the session ticket s_client
# printed (its first 16 bytes), or ''
sub ticket_key_name {
    my $out = shift;
    my ($dump) = $out =~ /TLS session ticket:\n((?:\s+[0-9a-f]{4} - .*\n)+)/;
    my $hex = '';
    for (split /\n/, $dump // '') {
        my ($bytes) = /^\s+[0-9a-f]{4} - ((?:[0-9a-f]{2}[ -]){1,16})/ or next;
        $hex .= join '', $bytes =~ /([0-9a-f]{2})/g;
    }
    return length($hex) >= 32 ? pack('H32', $hex) : '';
}
my $b_ticket = ticket_key_name(s_client('b.test', '/index.html', '-tls1_2'));
my $a_ticket = ticket_key_name(s_client('a.test', '/index.html', '-tls1_2'));
ok(length($b_ticket) == 16 && length($a_ticket) == 16
   && $a_ticket ne $b_ticket, 'session tickets of a.test and b.test, '
   . 'encrypted with ticket keys of different names');

# ------------------------------------------------------- a's worker

my $marker = 'PERUID-KEYS-' . md5_hex("$tag " . rand());
my ($apid, $auid) = tenant_pid('a.test', $marker);
ok($apid && defined $auid && $auid == $ta,
   "a.test's script ran as uid $ta over TLS (pid " . ($apid // '-') . ')')
    or exit;
my ($c, $bytes) = scan_pid($apid, 'marker' => $marker, %a_key, %b_key,
                           %b_pem, %b_secret,
                           'a.test ticket key' => $a_ticket,
                           'b.test ticket key' => $b_ticket);
cmp_ok($bytes, '>', 1 << 20, "a.test's worker: its memory was read "
       . "($bytes bytes)");
ok($c->{marker}, "a.test's worker holds the tenant's marker "
   . "($c->{marker} copies)");
ok(found($c, qr/^a\.test /), "a.test's worker holds its own key "
   . '(positive control: ' . join(', ', found($c, qr/^a\.test /)) . ')');
is(join(', ', found($c, qr/^b\.test (?:privateExponent|prime)/)), '',
   "a.test's worker holds no piece of b.test's primes or private exponent");
is(join(', ', found($c, qr/^tdefault\.test/)), '',
   "a.test's worker holds no piece of tdefault.test's EC private key");
is(join(', ', found($c, qr/PEM/)), '',
   "a.test's worker holds no line of b.test's PEM key");
is(join(', ', found($c, qr/master secret/)), '',
   "a.test's worker holds no master secret of b.test's TLS session");
ok($c->{'a.test ticket key'} && !$c->{'b.test ticket key'},
   "a.test's worker holds its user's ticket keys, not the ones that "
   . "encrypted b.test's tickets");

# b's worker: none of a's key
my ($bpid) = tenant_pid('b.test', $marker);
($c) = scan_pid($bpid, %a_key, %b_key);
ok(found($c, qr/^b\.test /), "b.test's worker holds its own key");
is(join(', ', found($c, qr/^a\.test /)), '',
   "b.test's worker holds no piece of a.test's key");

# a router: no key at all
my ($router) = routers($master, $hport);
ok($router, 'a router of the instance') or diag('no router found');
($c, $bytes) = scan_pid($router // 0, %a_key, %b_key, %b_pem);
cmp_ok($bytes, '>', 1 << 20, "the router's memory was read ($bytes bytes)");
is(join(', ', found($c, qr/./)), '',
   'the router holds no piece of any key (neither a.test\'s nor b.test\'s)');

# ----------------------------------------------------------- sessions

# resumed (1), new (0), or undef (no handshake) in s_client's output
sub reused {
    my $out = shift;
    return 1 if $out =~ /^Reused, TLSv1\.[23]/m;
    return 0 if $out =~ /^New, TLSv1\.[23]/m;
    return undef;
}

# $n connections to $sni resuming the session a first one saved:
# how many were resumed
sub resumed_times {
    my ($sni, $n, @args) = @_;
    my $sess = "$work/sess-$sni-" . join('', @args);
    $sess =~ s/[^\w\/.-]//g;
    s_client($sni, '/index.html', @args, '-sess_out', $sess);
    my $k = 0;
    $k += (reused(s_client($sni, '/index.html', @args, '-sess_in', $sess))
           // 0) for 1 .. $n;
    return $k;
}
is(resumed_times('a.test', 4, '-tls1_2'), 4,
   'a.test: a TLS 1.2 session (ticket) is resumed in each of 4 connections');
is(resumed_times('a.test', 4, '-tls1_2', '-no_ticket'), 4,
   'a.test: a TLS 1.2 session (session id) is resumed in each of 4 '
   . 'connections');
is(resumed_times('a.test', 4, '-tls1_3'), 4,
   'a.test: a TLS 1.3 ticket is resumed in each of 4 connections');

# a ticket b.test issued, presented to a.test
for my $v ('-tls1_2', '-tls1_3') {
    my $sess = "$work/sess-b-cross$v";
    s_client('b.test', '/index.html', $v, '-sess_out', $sess);
    my $out = s_client('a.test', '/index.html', $v, '-sess_in', $sess);
    is(reused($out), 0, "a ticket of b.test ($v) presented to a.test: "
       . 'a new session, not resumed') or diag($out);
}

# a graceful restart: the keys are taken again, from the new contexts
my %old = map { $_ => 1 } children_of($master);
my $httpd = vars('httpd') || '/usr/sbin/apache2';
system("\Q$httpd\E -d \Q$dir\E -f \Q$dir/httpd.conf\E -k graceful");
my ($gpid, $guid) = (undef, undef);
wait_for(sub {
    ($gpid, $guid) = tenant_pid('a.test', $marker);
    $gpid && !$old{$gpid};
}, 20, 0.5);
ok($gpid && !$old{$gpid} && ($guid // -1) == $ta && pid_alive($master),
   'after a graceful restart, a.test is served over TLS by a worker of '
   . 'the new generation (' . ($gpid // '-') . '), the same master');
($c) = scan_pid($gpid // 0, 'marker' => $marker, %a_key, %b_key, %b_pem);
ok($c->{marker} && found($c, qr/^a\.test /)
   && !found($c, qr/^(?:b|tdefault)\.test/),
   '... which holds its own key and no piece of another user\'s');

# what the master swept
my $log = "$dir/logs/error_log";
my @swept = (slurp($log) // '') =~ /(PU00090: [^\n]*)/g;
ok(@swept >= 3, 'the master gave each user its keys and swept its memory '
   . 'in each generation (' . scalar(@swept) . ' times)')
    and diag($swept[-1]);
unlike(slurp($log) // '', qr/PU0009[12]:/,
       'no failure of the master\'s or a worker\'s part (PU00091, PU00092)');

# ---------------------------------------- a preforked worker bound later

my ($ph, $pt) = (free_port(), free_port());
my ($pmaster) = started_instance(\%started, 'tlskeys-preforked',
    port => $ph, listen => ["127.0.0.1:$ph", "127.0.0.1:$pt https"],
    body => tls_body($pt), mpm => "${mpm}PeruidPreforkedWorkers 3\n");
ok($pmaster, 'an instance with preforked workers started') or exit;
sleep 1;    # the preforked worker default.test took is replaced
my %before = map { $_ => 1 } children_of($pmaster);
$tport = $pt;
my ($ppid, $puid) = tenant_pid('a.test', $marker);
ok($ppid && $before{$ppid} && ($puid // -1) == $ta,
   "a.test was served by a worker forked before it was bound to a.test's "
   . 'user (' . ($ppid // '-') . ')');
($c) = scan_pid($ppid // 0, 'marker' => $marker, %a_key, %b_key, %b_pem);
ok($c->{marker} && found($c, qr/^a\.test /),
   'the bound preforked worker holds the marker and its own key');
is(join(', ', found($c, qr/^(?:b|tdefault)\.test/)), '',
   'the bound preforked worker holds no piece of another user\'s key');
my ($unbound) = grep { (proc_uid($_) // -1) == 0 } children_of($pmaster);
($c) = scan_pid($unbound // 0, %a_key, %b_key);
ok($unbound, 'an unbound preforked worker (' . ($unbound // '-') . ', root)')
    or diag('none found');
is(join(', ', found($c, qr/./)), '',
   'an unbound preforked worker holds no piece of any key');

# ------------------------------------------- refused at "apache2 -t"

# an encrypted key (mod_ssl would keep its decrypted DER across
# restarts), SSLSessionTicketKeyFile (one set of ticket keys for all)
system("openssl pkey -in \Q$work/b.test.key\E -aes128 -passout pass:x "
       . "-out \Q$work/b.enc.key\E 2>/dev/null") == 0
    or die 'openssl pkey -aes128 failed';
open my $tkf, '>', "$work/ticket.key" or die "$work/ticket.key: $!";
print $tkf 'k' x 80;
close $tkf;
for (['SSLCertificateKeyFile', 'b.enc.key',
      "SSLPassPhraseDialog \"exec:/bin/echo\"\n"],
     ['SSLSessionTicketKeyFile', 'ticket.key', '']) {
    my ($directive, $file, $extra) = @$_;
    my $body = tls_body($tport);
    $body =~ s{(SSLCertificateKeyFile "\Q$work\E/b\.test\.key")}
              {SSLCertificateKeyFile "$work/b.enc.key"}
        if $file eq 'b.enc.key';
    $body .= "SSLSessionTicketKeyFile \"$work/$file\"\n"
        if $directive eq 'SSLSessionTicketKeyFile';
    my ($conf, $cdir) = instance_conf("tlskeys-t-$file", port => free_port(),
        listen => ['127.0.0.1:' . free_port(), "127.0.0.1:$tport https"],
        body => $extra . $body);
    my $out = `\Q$httpd\E -t -d \Q$cdir\E -f \Q$conf\E 2>&1`;
    ok($? != 0 && $out =~ /PU00093: \Q$directive\E .*\Q$file\E.*:\d+\)/,
       "$directive naming $file: refused at apache2 -t, with its file "
       . 'and line (PU00093)') or diag($out);
}
