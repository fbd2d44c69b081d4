# t/optional_fn.t -- the public header include/mpm_peruid.h: a module
# (tests/modules/mod_peruid_probe.c) finds the optional functions and
# they name the user and group that serve the connection, per vhost.
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/lib";
use Apache::Test qw(-withtestmore);
use PeruidTest qw(:all);

plan tests => 3 * 5;

my %expect = (
    'a.test'       => 'peruid_ta',
    'b.test'       => 'peruid_tb',
    'default.test' => 'peruid_td',
);

for my $host (sort keys %expect) {
    my $user = $expect{$host};
    my ($uid, $gid) = ids_of($user);
    my $r = http($host, '/peruid-probe');
    my $v = kv($r->{body});
    is($r->{status}, 200, "$host: the probe answered");
    is($v->{found}, 1, "$host: both optional functions are registered");
    is($v->{rv}, 0, "$host: peruid_conn_credentials returns APR_SUCCESS");
    is("$v->{uid}:$v->{gid}", "$uid:$gid",
       "$host: peruid_conn_credentials names ${user}'s uid and gid");
    is($v->{user}, $user, "$host: peruid_conn_user names $user");
}
