# t/optional_fn.t -- the public header include/mpm_peruid.h: a module
# (tests/modules/mod_peruid_probe.c) finds the optional functions and
# they name the user and group that serve the connection, per vhost:
# the pool's group (not the user's primary one) for bx.test, and no user
# name for a #uid without a passwd entry (noname.test).
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/lib";
use Apache::Test qw(-withtestmore);
use PeruidTest qw(:all);

my $nid = vars('peruid_noname_id');
my $tx_gid = (getgrnam('peruid_tx'))[2];

# host => [uid, gid, user name as peruid_conn_user answers it]
my %expect = (
    'a.test'       => [ids_of('peruid_ta'), 'peruid_ta'],
    'b.test'       => [ids_of('peruid_tb'), 'peruid_tb'],
    'bx.test'      => [(ids_of('peruid_tb'))[0], $tx_gid, 'peruid_tb'],
    'default.test' => [ids_of('peruid_td'), 'peruid_td'],
    'noname.test'  => [$nid, $nid, '(null)'],
);

plan tests => 5 * keys %expect;

for my $host (sort keys %expect) {
    my ($uid, $gid, $user) = @{ $expect{$host} };
    my $r = http($host, '/peruid-probe');
    my $v = kv($r->{body});
    is($r->{status}, 200, "$host: the probe answered");
    is($v->{found}, 1, "$host: both optional functions are registered");
    is($v->{rv}, 0, "$host: peruid_conn_credentials returns APR_SUCCESS");
    is(($v->{uid} // '-') . ':' . ($v->{gid} // '-'), "$uid:$gid",
       "$host: peruid_conn_credentials names uid $uid and gid $gid");
    is($v->{user}, $user, "$host: peruid_conn_user names $user");
}
