# t/stop_speed.t -- restarts and stops as quick as prefork's (issue 14):
# the same configuration under prefork and under peruid, in the same run:
# 60 vhosts, each under a user of its own (numeric AssignUserID ids
# without passwd entries, inside <IfModule mpm_peruid_module>, so that
# prefork reads the very same vhosts), MinSpareServers 4, mod_php loaded
# when the suite has it.  Each vhost is served once, then:
#   - a steady client (one request after the other, new connections)
#     across "apache2 -k restart": its longest wait between two answers;
#   - "apache2 -k stop": from the command until every process is gone;
#   - after a new start, "apache2 -k graceful-stop", measured the same way.
# peruid must stay within prefork's time plus 3 s for each (a generous
# bound: the speed goal, prefork's plus 1 s, is make bench's scenario
# (g)), and its error log must hold no AH00045 (httpd killing children
# that did not exit) and no PU00070 (the MPM's own SIGKILL after a stop's
# grace period).  Runs two instances of its own (inst-stopspeed-*),
# stopped by pid at the end.
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/lib";
use Apache::Test qw(-withtestmore);
use PeruidTest qw(:all);
use POSIX ();
use Time::HiRes qw(time sleep);

my $users = 60;
my $first = 63000;      # ids without passwd or group entries
for my $id ($first, $first + $users - 1) {
    plan skip_all => "uid $id exists on this machine" if getpwuid($id);
}
plan tests => 12;

my $slack = 3;          # seconds
my %started;            # conf file => master pid, for the END block
my %seen;               # conf file => every pid of that instance we saw
END {
    stop_instances(\%started);
    for my $conf (keys %seen) {
        kill 'KILL', grep { ours($_, $conf) } @{ $seen{$conf} };
    }
}

my $docroot = root() . '/htdocs/default';

# the configuration of one MPM ('prefork' or 'peruid') on port $port
sub conf_of {
    my ($mpm, $port) = @_;
    my $body = '';
    for my $i (0 .. $users - 1) {
        my $id = $first + $i;
        $body .= "<VirtualHost 127.0.0.1:$port>\n    ServerName u$i.test\n"
               . "    DocumentRoot \"$docroot\"\n"
               . "    <IfModule mpm_peruid_module>\n"
               . "        AssignUserID #$id #$id\n    </IfModule>\n"
               . "</VirtualHost>\n";
    }
    my $mpm_block = "StartServers 5\nMinSpareServers 4\nMaxSpareServers 10\n"
                  . "ServerLimit 128\nMaxRequestWorkers 128\n";
    return instance_conf("stopspeed-$mpm", port => $port, body => $body,
                         mpm => $mpm_block,
                         ($mpm eq 'prefork' ? (prefork => 1) : ()));
}

sub start {
    my ($mpm, $conf, $dir, $port) = @_;
    my $m = $started{$conf} = instance_start($conf, $dir, $port);
    return $m;
}

# every vhost once: each user is served (as on a shared host)
sub serve_each {
    my ($port) = @_;
    my $ok = 0;
    for my $i (0 .. $users - 1) {
        my $r = http("u$i.test", '/site.txt', port => $port, timeout => 10);
        $ok++ if ($r->{status} // 0) == 200;
    }
    sleep 1.5;          # the spares settle
    return $ok;
}

sub ctl {
    my ($conf, $dir, $what) = @_;
    my $bin = PeruidTest::httpd_bin();
    system("\Q$bin\E -d \Q$dir\E -f \Q$conf\E -k $what >/dev/null 2>&1");
}

# the longest wait (s) of a client asking one request after the other
# across "-k $what"; undef if no answer came within 30 s of it
sub steady_gap {
    my ($conf, $dir, $port, $what) = @_;
    my $out = "$dir/steady.out";
    my $stop = "$dir/steady.stop";
    unlink $out, $stop;
    my $parent = $$;
    my $pid = fork // die "fork: $!";
    if (!$pid) {
        # never outlives the test (the harness waits for its stdout)
        my $end = time + 90;
        open my $fh, '>', $out or POSIX::_exit(1);
        $fh->autoflush(1);
        while (!-e $stop && getppid() == $parent && time < $end) {
            my $r = http('u0.test', '/site.txt', port => $port,
                         timeout => 30);
            if (($r->{status} // 0) == 200) {
                printf $fh "%.6f\n", time;
            }
            else {
                sleep 0.001;
            }
        }
        close $fh;
        POSIX::_exit(0);
    }
    sleep 0.5;
    my $t0 = time;
    ctl($conf, $dir, $what);
    my @t;
    wait_for(sub {
        @t = map { 0 + $_ } split /\n/, slurp($out) // '';
        my @after = grep { $_ > $t0 } @t;
        @after && $t[-1] - $after[0] >= 0.5;
    }, 30, 0.05);
    open my $fh, '>', $stop or die "$stop: $!";
    close $fh;
    waitpid($pid, 0);
    @t = map { 0 + $_ } split /\n/, slurp($out) // '';
    my @before = grep { $_ <= $t0 } @t;
    my @after = grep { $_ > $t0 } @t;
    return undef unless @after;
    my @all = (@before ? $before[-1] : $t0, @after);
    my $gap = 0;
    for my $i (1 .. $#all) {
        $gap = $all[$i] - $all[$i - 1] if $all[$i] - $all[$i - 1] > $gap;
    }
    return $gap;
}

# seconds from "-k $what" until the master and all its processes are gone
sub stop_time {
    my ($conf, $dir, $master, $what) = @_;
    my @pids = instance_pids($master);
    push @{ $seen{$conf} }, @pids;
    my $t0 = time;
    ctl($conf, $dir, $what);
    my $gone = wait_for(sub { !grep { pid_alive($_) } @pids }, 60, 0.01);
    my $t = time - $t0;
    delete $started{$conf} if $gone;
    return $gone ? $t : undef;
}

my (%gap, %stop, %gstop, %elog);
for my $mpm (qw(prefork peruid)) {
    my $port = free_port();
    my ($conf, $dir) = conf_of($mpm, $port);
    $elog{$mpm} = "$dir/logs/error_log";
    unlink $elog{$mpm};
    my $m = start($mpm, $conf, $dir, $port);
    ok($m, "$mpm: instance with $users vhosts under $users users started")
        or next;
    push @{ $seen{$conf} }, instance_pids($m);
    my $ok = serve_each($port);
    $gap{$mpm} = steady_gap($conf, $dir, $port, 'restart');
    diag(sprintf '%s: -k restart: longest wait %.3f s', $mpm,
         $gap{$mpm} // -1);
    push @{ $seen{$conf} }, instance_pids($m);
    $ok += serve_each($port);
    $stop{$mpm} = stop_time($conf, $dir, $m, 'stop');
    diag(sprintf '%s: -k stop: %.3f s', $mpm, $stop{$mpm} // -1);
    $m = start($mpm, $conf, $dir, $port);
    $ok += $m ? serve_each($port) : 0;
    $gstop{$mpm} = $m ? stop_time($conf, $dir, $m, 'graceful-stop') : undef;
    diag(sprintf '%s: -k graceful-stop: %.3f s', $mpm, $gstop{$mpm} // -1);
    is($ok, 3 * $users, "$mpm: every vhost answered before each step");
    ok(defined $gap{$mpm} && defined $stop{$mpm} && defined $gstop{$mpm},
       "$mpm: it came back after -k restart, and -k stop and -k "
       . 'graceful-stop ended every process within 60 s');
}

for my $x ([\%gap, '-k restart: longest wait of a steady client'],
           [\%stop, '-k stop: until every process is gone'],
           [\%gstop, '-k graceful-stop: until every process is gone']) {
    my ($v, $what) = @$x;
    my ($d, $p) = ($v->{peruid}, $v->{prefork});
    ok(defined $d && defined $p && $d < $p + $slack,
       sprintf('%s: peruid %.2f s < prefork %.2f s + %d s', $what,
               $d // -1, $p // -1, $slack));
}

my $log = slurp($elog{peruid}) // '';
my @kills = $log =~ /^.*(?:AH00045|AH00046|PU00070|PU00071).*$/mg;
is(scalar @kills, 0, 'peruid: no child killed after a grace period '
   . '(AH00045, AH00046, PU00070, PU00071)') or diag(join "\n", @kills[0 .. ($#kills < 4 ? $#kills : 4)]);
my $restarts = () = $log =~ /PU00034: SIGHUP received/g;
is($restarts, 1, 'peruid: the restart was a hard one (PU00034)');
my $stops = () = $log =~ /PU00032: caught SIGTERM or SIGWINCH/g;
is($stops, 2, 'peruid: two stops logged (PU00032)');
