# t/segment_release.t -- a user's copy of OPcache's segment is given
# back once the user has no worker left (segments.c,
# peruid_segments_release_idle).  Before, the master held every copy a
# worker had filled until the next restart: 1,991 copies, 4.6 GiB, no
# process mapped after the idle timeout with 2,000 users
# (docs/sizing.md).
#
# With Debian's php.ini (OPcache on), PeruidIdleTimeout 1 and
# MinSpareServers 0: a.test serves a script; the master's descriptor of
# a.test's copy (the memfd its worker maps) holds data.  b.test is kept
# busy meanwhile.  Once a.test's worker has left (the idle timeout), the
# master's descriptor of that number is a new empty memfd (another inode,
# size 0, no blocks, still close-on-exec), PU00158 names the uid and the
# bytes, and b.test's copy, whose worker is still there, is untouched.
# a.test served again: answered as its user by a worker that maps the
# new copy, which the master's descriptor shows filled; OPcache is on,
# counts hits again, and starts cold: the script cached before the
# release is no longer listed.
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/lib";
use Apache::Test qw(-withtestmore);
use PeruidTest qw(:all);
use POSIX ();
use Time::HiRes qw(time);

plan skip_all => 'PHP (mod_php) is not installed' unless vars('peruid_php');
plan tests => 24;

my %started;    # conf file => master pid, for the END block
END { stop_instances(\%started) }

my $htdocs = root() . '/htdocs';
my $tag = sprintf('%x%x', $$, int(time));
my ($ta) = ids_of('peruid_ta');
my ($tb) = ids_of('peruid_tb');

# a script of $user's, mode 0644, an hour old (PeruidTest.pm)
sub fixture { php_fixture($_[0], $_[1], 0644, $_[2]) }

# who answers, and its OPcache: on, hits, scripts cached; ?s= holds it
my $status_php = <<'EOF';
<?php
header('Content-Type: text/plain');
$st = opcache_get_status(true);
printf("uid=%d\npid=%d\nenabled=%d\nhits=%d\n", posix_geteuid(),
       getmypid(), $st['opcache_enabled'] ? 1 : 0,
       $st['opcache_statistics']['hits']);
echo implode('', array_map(fn($s) => "script=$s\n",
                           array_keys($st['scripts'] ?? [])));
usleep((int)(1000000 * (float)($_GET['s'] ?? 0)));
EOF
my $marker = "$htdocs/a/segrel_marker_$tag.php";
fixture("$htdocs/a/segrel_status_$tag.php", 'peruid_ta', $status_php);
fixture("$htdocs/b/segrel_status_$tag.php", 'peruid_tb', $status_php);
fixture($marker, 'peruid_ta', "<?php echo \"marker ran\\n\";\n");

my ($master, $port, undef, $dir) = started_instance(\%started, 'segrel',
    mpm => small_mpm('PeruidIdleTimeout 1'),
    body => "LogLevel info mpm_peruid:debug\n");
ok($master, 'instance started') or exit;
my $log = "$dir/logs/error_log";
my $get = sub { http($_[0], $_[1], port => $port, timeout => 20) };

# the master's copies: fd => [inode, size, blocks]
sub master_copies {
    my %t = fd_targets($master);
    my %c;
    for my $fd (grep { $t{$_} =~ m{/memfd:peruid-segments } } keys %t) {
        my @st = stat("/proc/$master/fd/$fd") or next;
        $c{$fd} = [$st[1], $st[7], $st[12]];
    }
    return \%c;
}

# the inode of the copy $pid maps over the segment
sub mapped_copy {
    my $pid = shift;
    for (split /\n/, slurp("/proc/$pid/maps") // '') {
        return $1 if m{^\S+ \S+ \S+ \S+ (\d+)\s+/memfd:peruid-segments };
    }
    return undef;
}

# the master's fd of the copy whose inode is $ino
sub fd_of {
    my ($c, $ino) = @_;
    my ($fd) = grep { $c->{$_}[0] == $ino } keys %$c;
    return $fd;
}

# a.test serves; its worker fills its user's copy
my $r = $get->('a.test', "/segrel_marker_$tag.php");
like($r->{body} // '', qr/^marker ran$/m, 'a.test ran the marker script');
my $a1 = kv($get->('a.test', "/segrel_status_$tag.php")->{body});
is($a1->{uid}, $ta, "a.test answered as its user ($ta)");
my $ino_a = $a1->{pid} ? mapped_copy($a1->{pid}) : undef;
ok($ino_a, 'a.test\'s worker maps a copy (inode ' . ($ino_a // '-') . ')');
my $copies = master_copies();
my $fd_a = defined $ino_a ? fd_of($copies, $ino_a) : undef;
ok(defined $fd_a, 'the master holds that copy (fd ' . ($fd_a // '-') . ')')
    or BAIL_OUT('no copy of a.test\'s user found in the master');
my ($ino0, $size0, $blocks0) = @{ $copies->{$fd_a} };
ok($size0 > 0 && $blocks0 > 0, "a.test's copy holds data ($size0 bytes, "
   . $blocks0 * 512 . ' allocated)');

# b.test's worker stays busy through what follows
pipe(my $rd, my $wr) or die "pipe: $!";
my $bpid = fork // die "fork: $!";
if (!$bpid) {
    close $rd;
    print $wr $get->('b.test', "/segrel_status_$tag.php?s=12")->{body} // '';
    close $wr;
    POSIX::_exit(0);
}
close $wr;
my @bw = @{ wait_for(sub { my @w = workers_of_uid($master, $tb, $port);
                           my @m = grep { mapped_copy($_) } @w;
                           @m ? \@m : undef }, 10) // [] };
my $ino_b = @bw ? mapped_copy($bw[0]) : undef;
my $fd_b = defined $ino_b ? fd_of(master_copies(), $ino_b) : undef;
ok(defined $fd_b, 'b.test\'s busy worker maps its own copy (master fd '
   . ($fd_b // '-') . ')');

# a.test's worker leaves (PeruidIdleTimeout 1); its copy is released
ok(wait_for(sub { !workers_of_uid($master, $ta, $port) }, 15),
   'a.test\'s workers all left after the idle timeout');
my $after = wait_for(sub {
    my $c = master_copies()->{$fd_a};
    $c && $c->[0] != $ino0 ? $c : undef }, 5);
ok($after, "the master's fd $fd_a is another memfd (inode $ino0, then "
   . ($after ? $after->[0] : 'the same') . ')');
ok($after && $after->[1] == 0 && $after->[2] == 0,
   'it is empty: size 0, no block allocated ('
   . ($after ? "$after->[1] bytes, $after->[2] blocks" : '-') . ')');
my $fdinfo = slurp("/proc/$master/fdinfo/$fd_a") // '';
my ($flags) = $fdinfo =~ /^flags:\s*([0-7]+)/m;
ok(defined $flags && (oct($flags) & 02000000), "still close-on-exec "
   . '(flags ' . ($flags // '-') . ')');
my $mark = wait_for(sub {
    (slurp($log) // '') =~ /PU00158: .*uid $ta .*?(\d+) bytes/ ? $1 : undef
}, 5);
ok($mark, "PU00158 names uid $ta and the bytes released ("
   . ($mark // '-') . ')');
cmp_ok($mark // 0, '>=', $blocks0 * 512, 'the bytes are those the copy '
       . 'held');
ok(scalar(workers_of_uid($master, $tb, $port)),
   'b.test still has its worker');
my $bnow = defined $fd_b ? master_copies()->{$fd_b} : undef;
ok($bnow && $bnow->[0] == $ino_b && $bnow->[1] > 0,
   'b.test\'s copy, in use, is kept (same inode, ' . ($bnow ? $bnow->[1]
   : '-') . ' bytes)');

# a.test again: a new worker fills and maps the new copy
my $a2 = kv($get->('a.test', "/segrel_status_$tag.php")->{body});
is($a2->{uid}, $ta, "a.test answered again as its user ($ta)");
ok($a2->{pid} && $a2->{pid} != ($a1->{pid} // 0),
   'by a new worker (' . ($a1->{pid} // '-') . ', then '
   . ($a2->{pid} // '-') . ')');
my $ino_a2 = $a2->{pid} ? mapped_copy($a2->{pid}) : undef;
ok($ino_a2 && $after && $ino_a2 == $after->[0], 'it maps the new copy '
   . '(inode ' . ($ino_a2 // '-') . ')');
my $refilled = master_copies()->{$fd_a};
ok($refilled && $refilled->[0] == ($ino_a2 // -1) && $refilled->[1] > 0
   && $refilled->[2] > 0, "the master's fd $fd_a shows it filled ("
   . ($refilled ? $refilled->[1] . ' bytes' : '-') . ')');
is($a2->{enabled}, 1, 'OPcache is on (opcache_get_status)');
my @scripts = ($get->('a.test', "/segrel_status_$tag.php")->{body} // '')
    =~ /^script=(.*)$/mg;
ok(!grep({ $_ eq $marker } @scripts), 'the cache starts cold: the marker '
   . 'script cached before is not listed (' . scalar(@scripts)
   . ' script(s))');
my $a3 = kv($get->('a.test', "/segrel_status_$tag.php")->{body});
cmp_ok($a3->{hits} // 0, '>', $a2->{hits} // 0, 'its hit counter rises '
       . '(' . ($a2->{hits} // '-') . ', then ' . ($a3->{hits} // '-')
       . ')');

my $bbody = do { local $/; <$rd> } // '';
waitpid($bpid, 0);
is(kv($bbody)->{uid}, $tb, 'b.test\'s long request was answered as its '
   . 'user');
unlike(slurp($log) // '', qr/PU00078|PU00159/,
       'no worker was refused its copy (PU00078), no release failed '
       . '(PU00159)');
