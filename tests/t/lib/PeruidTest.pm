package PeruidTest;
# Helpers of the peruid integration suite: raw HTTP over IO::Socket::IP
# (the router's answers and the worker's refusals are about exact bytes,
# so no LWP), /proc inspection, the error log, test-private httpd
# instances.  Everything talks to loopback only: 127.0.0.1 by default,
# ::1 where a test asks for it (option addr).

use strict;
use warnings;

use Exporter 'import';
use IO::Socket::INET ();
use IO::Socket::IP ();
use IO::Select ();
use POSIX qw(:sys_wait_h);
use Time::HiRes qw(time sleep);
use Errno qw(EAGAIN EINTR EWOULDBLOCK);
use File::Path qw(make_path);
use Apache::Test ();

our @EXPORT_OK = qw(
    vars port root logs http request_raw parse_response kv
    keepalive_connect ka_send ka_read_response read_all connect_to
    ids_of groups_of proc_status proc_ppid proc_uid children_of
    fd_targets socket_inodes tcp_table unix_inodes listen_inodes
    master_pid routers log_relays workers_of_uid
    error_log_mark error_log_since error_log_wait wait_for
    free_port instance_conf instance_start instance_stop instance_pids
    pid_alive slurp in_parallel stop_instances started_instance
    initgroups_of check_routed ours in_own_netns small_mpm
    php_fixture
);
our %EXPORT_TAGS = (all => \@EXPORT_OK);

# ------------------------------------------------------ network namespace

# in_own_netns(@addresses): run the calling test file again inside a
# network namespace of its own, whose loopback device also holds
# @addresses (e.g. '192.0.2.10/32', '2001:db8::10/128'), and exit with its
# status; the namespace is deleted afterwards.  Returns (the namespace's
# name) only in the copy that runs inside.  A server there may listen on
# every address ("Listen 80", dual-stack) and still be reachable from
# nowhere else; clients there may use the extra addresses.  Call it
# before plan: the copy inside prints the test's output.
sub in_own_netns {
    my (@addrs) = @_;
    my $key = 'PERUID_TEST_NETNS';
    return $ENV{$key} if $ENV{$key};
    my $ns = "peruid-t-$$";
    my @setup = ("ip netns add $ns", "ip -n $ns link set lo up",
                 map { "ip -n $ns addr add $_ dev lo"
                       . (/:/ ? ' nodad' : '') } @addrs);
    for my $cmd (@setup) {
        next if system($cmd) == 0;
        Test::More::plan(tests => 1);
        Test::More::fail("a network namespace for the test: '$cmd' failed");
        system("ip netns del $ns 2>/dev/null");
        exit 1;
    }
    local $ENV{$key} = $ns;
    system('ip', 'netns', 'exec', $ns, $^X, (map { "-I$_" } @INC), $0);
    my $rc = $? >> 8;
    system('ip', 'netns', 'del', $ns);
    exit $rc;
}

# ------------------------------------------------------------ configuration

sub vars { Apache::Test::vars(@_) }
sub port { vars('port') }
sub root { vars('peruid_root') }
sub logs { vars('t_logs') }

sub slurp {
    my $f = shift;
    open my $fh, '<', $f or return undef;
    local $/;
    my $s = <$fh>;
    return defined $s ? $s : '';
}

# wait_for(sub { ... }, $timeout_s, $step_s): the first true value, or undef
sub wait_for {
    my ($cond, $timeout, $step) = @_;
    $timeout ||= 10;
    $step ||= 0.1;
    my $end = time + $timeout;
    while (1) {
        my $v = $cond->();
        return $v if $v;
        return undef if time > $end;
        sleep $step;
    }
}

# -------------------------------------------------------------------- HTTP

# connect_to($port, $timeout, $addr): a TCP connection to $addr (a
# loopback address: 127.0.0.1 when undef, or ::1)
sub connect_to {
    my ($port, $timeout, $addr) = @_;
    $addr = '127.0.0.1' unless defined $addr;
    die "connect_to: $addr is not a loopback address\n"
        unless $addr =~ /^(?:127\.\d+\.\d+\.\d+|::1)$/;
    return IO::Socket::IP->new(
        PeerHost => $addr,
        PeerPort => $port || port(),
        Proto    => 'tcp',
        Timeout  => $timeout || 10,
    );
}

# Read until EOF or until $timeout seconds pass without the peer closing.
# Returns ($data, $eof, $error): $eof 1 when the peer closed (FIN),
# $error the errno string of a failed read (e.g. a reset).
sub read_all {
    my ($sock, $timeout) = @_;
    $timeout ||= 10;
    my $sel = IO::Select->new($sock);
    my $data = '';
    my $end = time + $timeout;
    while (1) {
        my $left = $end - time;
        return ($data, 0, undef) if $left <= 0;
        next unless $sel->can_read($left);
        my $n = sysread($sock, my $buf, 65536);
        if (!defined $n) {
            next if $! == EINTR || $! == EAGAIN;
            return ($data, 1, "$!");
        }
        return ($data, 1, undef) if $n == 0;
        $data .= $buf;
    }
}

# One exchange on a fresh connection: send $payload (string, or an array
# of [string, delay-before-next]), read until the server closes.
# Options: port, timeout, addr (connect_to), half_close.
# Returns a hash: raw, eof, error, elapsed, plus the parsed response.
sub request_raw {
    my ($payload, %o) = @_;
    my $sock = connect_to($o{port}, $o{timeout}, $o{addr})
        or return { error => "connect: $!", raw => '', eof => 0 };
    my $t0 = time;
    my @parts = ref $payload ? @$payload : ([$payload, 0]);
    for my $p (@parts) {
        my ($bytes, $delay) = ref $p ? @$p : ($p, 0);
        local $SIG{PIPE} = 'IGNORE';
        syswrite($sock, $bytes) if length $bytes;
        sleep $delay if $delay;
    }
    shutdown($sock, 1) if $o{half_close};
    my ($data, $eof, $err) = read_all($sock, $o{timeout} || 10);
    my $elapsed = time - $t0;
    close $sock;
    my $r = parse_response($data);
    return { %$r, raw => $data, eof => $eof, error => $err,
             elapsed => $elapsed };
}

# http($host, $path, %opt): GET (or $opt{method}) with Host: $host on a
# fresh connection, "Connection: close".  $host undef: no Host header.
sub http {
    my ($host, $path, %o) = @_;
    my $method = $o{method} || 'GET';
    my $proto  = $o{proto}  || 'HTTP/1.1';
    my $req = "$method $path $proto\r\n";
    $req .= "Host: $host\r\n" if defined $host;
    $req .= "$_\r\n" for @{ $o{headers} || [] };
    $req .= "Connection: close\r\n\r\n";
    return request_raw($req, %o);
}

# Parse one HTTP/1.x response from the front of $data.  Returns a hash:
# status (undef when no status line), reason, headers (lower-case names;
# repeated names joined by ", "), body (de-chunked), complete (1 when the
# body is complete per Content-Length/chunked), rest (bytes after it).
sub parse_response {
    my ($data) = @_;
    my %r = (status => undef, headers => {}, body => '', complete => 0,
             rest => '');
    return \%r unless defined $data && length $data;
    my $he = index($data, "\r\n\r\n");
    return \%r if $he < 0;
    my $head = substr($data, 0, $he);
    my $rest = substr($data, $he + 4);
    my ($sl, @lines) = split /\r\n/, $head;
    return \%r unless $sl =~ m{^HTTP/(\d\.\d) (\d{3})(?: (.*))?$};
    @r{qw(version status reason)} = ($1, $2, defined $3 ? $3 : '');
    for (@lines) {
        my ($k, $v) = /^([^:]+):\s*(.*?)\s*$/ or next;
        $k = lc $k;
        $r{headers}{$k} = exists $r{headers}{$k}
            ? "$r{headers}{$k}, $v" : $v;
    }
    my $h = $r{headers};
    if (($h->{'transfer-encoding'} || '') =~ /chunked/i) {
        my $body = '';
        while (1) {
            my $le = index($rest, "\r\n");
            last if $le < 0;
            my ($size) = substr($rest, 0, $le) =~ /^([0-9a-fA-F]+)/;
            last unless defined $size;
            $size = hex $size;
            if ($size == 0) {
                my $te = index($rest, "\r\n\r\n", $le);
                # a last chunk without trailers ends with CRLF CRLF
                if ($te >= 0 || substr($rest, $le) eq "\r\n\r\n") {
                    $r{complete} = 1;
                    $rest = $te >= 0 ? substr($rest, $te + 4) : '';
                }
                last;
            }
            last if length($rest) < $le + 2 + $size + 2;
            $body .= substr($rest, $le + 2, $size);
            $rest = substr($rest, $le + 2 + $size + 2);
        }
        $r{body} = $body;
        $r{rest} = $r{complete} ? $rest : '';
    }
    elsif (defined $h->{'content-length'}) {
        my $cl = $h->{'content-length'};
        $r{body} = substr($rest, 0, $cl);
        $r{complete} = length($rest) >= $cl ? 1 : 0;
        $r{rest} = length($rest) > $cl ? substr($rest, $cl) : '';
    }
    else {
        $r{body} = $rest;          # until close
        $r{complete} = 1;
    }
    return \%r;
}

# key=value lines of a test page -> hash
sub kv {
    my $body = shift;
    my %h;
    for (split /\n/, defined $body ? $body : '') {
        $h{$1} = $2 if /^(\w+)=(.*)$/;
    }
    return \%h;
}

# ------------------------------------------------------ keep-alive helpers

sub keepalive_connect {
    my (%o) = @_;
    my $s = connect_to($o{port}, $o{timeout}, $o{addr}) or return undef;
    return { sock => $s, buf => '', eof => 0 };
}

sub ka_send {
    my ($c, $host, $path, %o) = @_;
    my $req = ($o{raw_line} || "GET $path HTTP/1.1") . "\r\n";
    $req .= "Host: $host\r\n" if defined $host;
    $req .= "$_\r\n" for @{ $o{headers} || [] };
    $req .= "\r\n";
    local $SIG{PIPE} = 'IGNORE';
    return syswrite($c->{sock}, $req);
}

# Read one complete response from a keep-alive connection (plain or TLS:
# bytes a TLS socket already decrypted count as readable).  Returns the
# parsed response, or a hash with status undef when the server closed
# (eof 1) or nothing complete came within $timeout; bytes 0 means the
# server sent nothing at all.
sub ka_read_response {
    my ($c, $timeout) = @_;
    $timeout ||= 10;
    my $sel = IO::Select->new($c->{sock});
    my $end = time + $timeout;
    my $got = 0;
    while (1) {
        my $r = parse_response($c->{buf});
        if (defined $r->{status} && $r->{complete}
            && (defined $r->{headers}{'content-length'}
                || ($r->{headers}{'transfer-encoding'} || '') =~ /chunked/i)) {
            $c->{buf} = $r->{rest};
            $r->{bytes} = $got;
            return $r;
        }
        my $left = $end - time;
        if ($c->{eof} || $left <= 0) {
            return { status => undef, eof => $c->{eof}, raw => $c->{buf},
                     bytes => $got, error => $c->{error} };
        }
        next unless ($c->{sock}->can('pending') && $c->{sock}->pending)
                    || $sel->can_read($left);
        my $n = sysread($c->{sock}, my $buf, 65536);
        if (!defined $n) {
            next if $! == EINTR || $! == EAGAIN;
            $c->{eof} = 1;
            $c->{error} = "$!";
            next;
        }
        if ($n == 0) {
            $c->{eof} = 1;
            next;
        }
        $got += $n;
        $c->{buf} .= $buf;
    }
}

# ------------------------------------------------------------------ users

# ids_of('peruid_ta') -> (uid, gid)
sub ids_of {
    my @pw = getpwnam(shift) or return;
    return ($pw[2], $pw[3]);
}

# groups_of('peruid_ta') -> sorted list of gids, as `id -G` reports them
sub groups_of {
    my $user = shift;
    my $out = `id -G \Q$user\E 2>/dev/null`;
    return sort { $a <=> $b } split ' ', $out;
}

# ------------------------------------------------------------------- /proc

sub proc_status {
    my $pid = shift;
    my $s = slurp("/proc/$pid/status");
    return undef unless defined $s;
    my %h;
    for (split /\n/, $s) {
        $h{$1} = $2 if /^([^:]+):\s*(.*?)\s*$/;
    }
    return \%h;
}

sub proc_ppid {
    my $pid = shift;
    my $s = slurp("/proc/$pid/stat");
    return undef unless defined $s;
    # pid (comm) state ppid ...; comm may hold spaces or parentheses
    $s =~ /\)\s+\S+\s+(\d+)/ or return undef;
    return $1;
}

sub proc_uid {
    my $st = proc_status(shift) or return undef;
    return (split ' ', $st->{Uid})[0];
}

sub pid_alive {
    my $pid = shift;
    return 0 unless $pid;
    # a zombie (exited, not yet reaped) is not alive for our purpose
    my $st = proc_status($pid) or return 0;
    return $st->{State} !~ /^[ZX]/;
}

sub children_of {
    my $ppid = shift;
    my @kids;
    opendir my $d, '/proc' or return;
    for my $pid (grep { /^\d+$/ } readdir $d) {
        my $p = proc_ppid($pid);
        push @kids, $pid if defined $p && $p == $ppid;
    }
    return sort { $a <=> $b } @kids;
}

# fd number -> readlink target of every open descriptor of $pid
sub fd_targets {
    my $pid = shift;
    my %t;
    opendir my $d, "/proc/$pid/fd" or return;
    for my $fd (grep { /^\d+$/ } readdir $d) {
        my $l = readlink "/proc/$pid/fd/$fd";
        $t{$fd} = $l if defined $l;
    }
    return %t;
}

# the socket inodes $pid holds: fd -> inode
sub socket_inodes {
    my %t = fd_targets(shift);
    my %s;
    for my $fd (keys %t) {
        $s{$fd} = $1 if $t{$fd} =~ /^socket:\[(\d+)\]$/;
    }
    return %s;
}

sub hexaddr {
    my ($h) = @_;
    my ($a, $p) = split /:/, $h;
    my $ip = length($a) == 8
        ? join('.', reverse map { hex } unpack('(A2)4', $a))
        : $a;
    return ($ip, hex $p);
}

# inode -> { state (hex, 0A listen, 01 established), lip, lport, rip,
# rport, proto } for /proc/net/tcp and tcp6
sub tcp_table {
    my %t;
    for my $proto (qw(tcp tcp6)) {
        my $s = slurp("/proc/net/$proto") or next;
        for (split /\n/, $s) {
            my @f = split ' ';
            next unless @f > 9 && $f[0] =~ /^\d+:$/;
            my ($lip, $lport) = hexaddr($f[1]);
            my ($rip, $rport) = hexaddr($f[2]);
            $t{$f[9]} = { state => uc $f[3], lip => $lip, lport => $lport,
                          rip => $rip, rport => $rport, proto => $proto };
        }
    }
    return \%t;
}

# set of the inodes of unix sockets (/proc/net/unix)
sub unix_inodes {
    my %u;
    my $s = slurp('/proc/net/unix') or return \%u;
    for (split /\n/, $s) {
        my @f = split ' ';
        $u{$f[6]} = 1 if @f >= 7 && $f[6] =~ /^\d+$/;
    }
    return \%u;
}

# the inodes of the listening sockets on 127.0.0.1:$port
sub listen_inodes {
    my $port = shift || port();
    my $t = tcp_table();
    return grep {
        $t->{$_}{state} eq '0A' && $t->{$_}{lport} == $port
    } keys %$t;
}

sub master_pid {
    my $pf = shift || vars('t_pid_file');
    my $pid = slurp($pf);
    return undef unless defined $pid && $pid =~ /(\d+)/;
    return $1;
}

# The routers of a master: its children holding a listening socket of
# $port (workers close the listeners right after fork).
sub routers {
    my ($master, $port) = @_;
    my %listen = map { $_ => 1 } listen_inodes($port);
    return grep {
        my %s = socket_inodes($_);
        grep { $listen{$_} } values %s;
    } children_of($master);
}

# The log relay of a master: its child named peruid-logs (one for the
# server, mpm_peruid/logs.c), not a worker.
sub log_relays {
    my ($master) = @_;
    return grep { (slurp("/proc/$_/comm") // '') eq "peruid-logs\n" }
        children_of($master);
}

sub workers_of_uid {
    my ($master, $uid, $port) = @_;
    my %r = map { $_ => 1 } routers($master, $port);
    return grep {
        !$r{$_} && defined(proc_uid($_)) && proc_uid($_) == $uid
    } children_of($master);
}

# ---------------------------------------------------------------- error log

sub error_log_file { vars('t_logs') . '/error_log' }

sub error_log_mark {
    my $f = shift || error_log_file();
    return -s $f || 0;
}

sub error_log_since {
    my ($mark, $f) = @_;
    $f ||= error_log_file();
    open my $fh, '<', $f or return '';
    seek $fh, $mark, 0;
    local $/;
    my $s = <$fh>;
    return defined $s ? $s : '';
}

# What error log $f (default: the suite's) got since $mark, once it
# matches $re or after $secs (10) seconds.  A line a worker writes to a
# log it shares with other users comes through the log relay, a moment
# after the answer: a check reads the log once the line is there.
sub error_log_wait {
    my ($mark, $f, $re, $secs) = @_;
    my $log = '';
    wait_for(sub { ($log = error_log_since($mark, $f)) =~ $re },
             $secs // 10);
    return $log;
}

# ------------------------------------------------- test-private instances

sub free_port {
    my $s = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => 0,
                                  Proto => 'tcp', Listen => 1,
                                  ReuseAddr => 1) or die "free_port: $!";
    my $p = $s->sockport;
    close $s;
    return $p;
}

# started_instance(\%started, $name, %o): instance_conf($name, %o) on a
# free port (unless $o{port} names one), started with instance_start and
# recorded in %started (conf file => master pid) for stop_instances.
# Returns (master pid or undef, port, conf file, instance dir).
sub started_instance {
    my ($started, $name, %o) = @_;
    $o{port} ||= free_port();
    my ($conf, $dir) = instance_conf($name, %o);
    my $master = $started->{$conf}
        = instance_start($conf, $dir, $o{port}, $o{addr});
    return ($master, $o{port}, $conf, $dir);
}

# initgroups_of($user, $gid): the supplementary groups a worker of
# "AssignUserID $user <group $gid>" must have, as initgroups($user, $gid)
# gives them: $user's groups without its primary one, plus $gid; a
# sorted comma-separated list.
sub initgroups_of {
    my ($user, $gid) = @_;
    my $primary = (getpwnam($user))[3];
    my %g = map { $_ => 1 } grep { $_ != $primary } groups_of($user);
    $g{$gid} = 1;
    return join ',', sort { $a <=> $b } keys %g;
}

# check_routed($label, $raw_request, $uid, $server): send the request to
# the main test server; it is answered 200 by whoami.php of vhost $server
# running as $uid (3 tests).
sub check_routed {
    my ($label, $req, $uid, $server) = @_;
    my $r = request_raw($req);
    my $v = kv($r->{body});
    Test::More::is($r->{status}, 200, "$label: 200");
    Test::More::is($v->{uid}, $uid, "$label: served as uid $uid");
    Test::More::is($v->{server}, $server, "$label: vhost $server");
}

# stop_instances(\%started): for an END block; %started maps conf file =>
# master pid.  Stops each master still running with that conf file.
sub stop_instances {
    my $started = shift;
    for my $conf (keys %$started) {
        my $m = $started->{$conf} or next;
        instance_stop($m, 10) if ours($m, $conf);
    }
}

# ours($pid, $conf): $pid is alive and is an httpd started with $conf
# (so a pid reused by another process is never signalled)
sub ours {
    my ($pid, $conf) = @_;
    my $cmd = slurp("/proc/$pid/cmdline") // '';
    return pid_alive($pid) && index($cmd, $conf) >= 0;
}

# in_parallel(@subs): run each sub in a child process at once; returns
# the first line each one returned (as a string), in order.
sub in_parallel {
    my @kids;
    for my $sub (@_) {
        pipe(my $rd, my $wr) or die "pipe: $!";
        my $pid = fork // die "fork: $!";
        if (!$pid) {
            close $rd;
            print $wr $sub->(), "\n";
            close $wr;
            POSIX::_exit(0);
        }
        close $wr;
        push @kids, [$pid, $rd];
    }
    my @res;
    for my $k (@kids) {
        my $line = readline($k->[1]) // '';
        chomp $line;
        waitpid($k->[0], 0);
        push @res, $line;
    }
    return @res;
}

# instance_conf($name, %o): a small httpd.conf for an instance of our own
# under $root/inst-$name (the driver stops what is left of these by pid).
# $o{port}; $o{body}: extra directives; $o{vhosts}: 0 for none (a bare
# config for "-t" checks); $o{mpm}: MPM directives replacing the default;
# $o{a_assign}: AssignUserID arguments of a.test (default peruid_ta's);
# $o{listen}: the Listen arguments (array ref, default ["127.0.0.1:PORT"],
# e.g. ["PORT"] for a dual-stack socket); $o{vhost_addr}: the address of
# the three vhosts (default "127.0.0.1:PORT"); $o{prefork}: load
# mpm_prefork instead of the peruid MPM (AssignUserID is then left out),
# the reference for httpd's own answers.
# Returns (conf file, instance dir).
sub instance_conf {
    my ($name, %o) = @_;
    my $dir = root() . "/inst-$name";
    make_path("$dir/logs");
    my $libexec = vars('peruid_libexec');
    my $php = vars('peruid_php');
    my $htdocs = root() . '/htdocs';
    my $port = $o{port} || 0;
    my $mpm_load = $o{prefork}
        ? "mpm_prefork_module $libexec/mod_mpm_prefork.so"
        : "mpm_peruid_module @{[ vars('peruid_module') ]}";
    my $listen = join '', map { "Listen $_\n" }
        @{ $o{listen} || ["127.0.0.1:$port"] };
    my $vaddr = $o{vhost_addr} || "127.0.0.1:$port";
    my $conf = <<"EOF";
# generated by t/lib/PeruidTest.pm for $name
ServerRoot "$dir"
LoadModule $mpm_load
LoadModule authz_core_module $libexec/mod_authz_core.so
LoadModule mime_module $libexec/mod_mime.so
LoadModule dir_module $libexec/mod_dir.so
LoadModule cgi_module $libexec/mod_cgi.so
EOF
    $conf .= "LoadModule php_module $php\n" if $php && !$o{no_php};
    $conf .= <<"EOF";
TypesConfig /etc/mime.types
ServerName 127.0.0.1
User peruid_td
Group peruid_td
${listen}PidFile "$dir/logs/httpd.pid"
ErrorLog "$dir/logs/error_log"
LogLevel info
DefaultRuntimeDir "$dir/logs"
DocumentRoot "$htdocs/default"
KeepAlive On
KeepAliveTimeout 5
<Directory />
    AllowOverride None
    Require all denied
</Directory>
<Directory "$htdocs">
    Options +ExecCGI
    Require all granted
</Directory>
AddHandler cgi-script .cgi
<FilesMatch "\\.php\$">
    SetHandler application/x-httpd-php
</FilesMatch>
DirectoryIndex index.html
EOF
    $conf .= defined $o{mpm} ? $o{mpm} : $o{prefork} ? <<"PREFORK" : <<"EOF";
StartServers 2
MinSpareServers 1
MaxSpareServers 4
PREFORK
StartServers 2
MinSpareServers 0
MaxSpareServers 4
ServerLimit 32
MaxRequestWorkers 24
PeruidRouters 2
PeruidPeekTimeout 2
GracefulShutdownTimeout 15
EOF
    if (!defined $o{vhosts} || $o{vhosts}) {
        my $a_assign = $o{a_assign} || 'peruid_ta peruid_ta';
        my ($as_a, $as_b) = $o{prefork} ? ('#', '#')
            : ("AssignUserID $a_assign", 'AssignUserID peruid_tb peruid_tb');
        $conf .= <<"EOF";
<VirtualHost $vaddr>
    ServerName default.test
    DocumentRoot "$htdocs/default"
</VirtualHost>
<VirtualHost $vaddr>
    ServerName a.test
    DocumentRoot "$htdocs/a"
    $as_a
</VirtualHost>
<VirtualHost $vaddr>
    ServerName b.test
    DocumentRoot "$htdocs/b"
    $as_b
</VirtualHost>
EOF
    }
    $conf .= $o{body} if defined $o{body};
    my $file = "$dir/httpd.conf";
    open my $fh, '>', $file or die "$file: $!";
    print $fh $conf;
    close $fh;
    return ($file, $dir);
}

sub httpd_bin { vars('httpd') || '/usr/sbin/apache2' }

# php_fixture($path, $user, $mode, $text): write a script for a vhost:
# $user's, mode $mode, its mtime an hour ago (OPcache does not cache a
# file younger than opcache.file_update_protection, 2 s).
sub php_fixture {
    my ($path, $user, $mode, $text) = @_;
    open my $fh, '>', $path or die "$path: $!";
    print $fh $text;
    close $fh;
    my ($uid, $gid) = ids_of($user);
    chown $uid, $gid, $path or die "chown $path: $!";
    chmod $mode, $path or die "chmod $path: $!";
    my $t = time - 3600;
    utime $t, $t, $path or die "utime $path: $!";
}

# small_mpm(@directives): the MPM block (instance_conf's mpm) of a small
# instance that starts no worker before one is needed, one router, then
# @directives, one a line.
sub small_mpm {
    return join '', map { "$_\n" } 'StartServers 0', 'MinSpareServers 0',
        'MaxSpareServers 4', 'ServerLimit 16', 'MaxRequestWorkers 8',
        'PeruidRouters 1', @_;
}

# Start an instance (it daemonizes); wait until its pid file names a live
# master and the port answers on $addr (127.0.0.1 when undef).  Returns
# the master pid or undef.
sub instance_start {
    my ($file, $dir, $port, $addr) = @_;
    my $pf = "$dir/logs/httpd.pid";
    unlink $pf;
    my $bin = httpd_bin();
    # startup messages (e.g. adjusted limits) go to a file, not the TAP
    my $out = `\Q$bin\E -d \Q$dir\E -f \Q$file\E -k start 2>&1`;
    if ($? != 0) {
        Test::More::diag("$bin -k start failed: $out");
        return undef;
    }
    if (open my $fh, '>>', "$dir/logs/startup.out") {
        print $fh $out;
        close $fh;
    }
    my $pid = wait_for(sub {
        my $p = master_pid($pf);
        $p && pid_alive($p) ? $p : 0;
    }, 15) or return undef;
    wait_for(sub {
        my $r = http('default.test', '/index.html', port => $port,
                     timeout => 3, addr => $addr);
        defined $r->{status} && $r->{status} == 200;
    }, 15) or return undef;
    return $pid;
}

# The master and every child of it now.
sub instance_pids {
    my $master = shift;
    return ($master, children_of($master));
}

# SIGTERM the master, wait until it and all the pids given are gone
# (escalating to SIGKILL after $timeout).  Returns the pids still alive
# after the SIGTERM grace period (empty list: clean stop).
sub instance_stop {
    my ($master, $timeout, @pids) = @_;
    $timeout ||= 15;
    return () unless $master;
    @pids = instance_pids($master) unless @pids;
    kill 'TERM', $master if pid_alive($master);
    wait_for(sub { !grep { pid_alive($_) } @pids }, $timeout, 0.1);
    my @left = grep { pid_alive($_) } @pids;
    kill 'KILL', @left if @left;
    return @left;
}

1;
