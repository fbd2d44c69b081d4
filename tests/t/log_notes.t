# t/log_notes.t -- the serving user in the access log: every request a
# worker serves carries the notes peruid-user, peruid-uid, peruid-group
# and peruid-gid (reqnote.c), so that LogFormat "... %{peruid-user}n"
# names the user, including httpd's own error answers:
#   - note-a.test (peruid_ta) and note-b.test (peruid_tb), each with a
#     CustomLog of its own: a 200 of each names its user;
#   - a 404 of note-a.test, answered through an ErrorDocument (an
#     internal redirect: mod_log_config reads the last request's notes);
#   - two 400s that httpd answers before post_read_request: an HTTP/1.1
#     request without Host and a malformed request line; the router
#     gives both to the address's default vhost (default.test, the main
#     User peruid_td), logged in the main CustomLog (shared by every
#     user, so relayed with "[user peruid_td] " in front);
#   - a request of note-p.test (peruid_ta) for its override/ directory,
#     whose <Directory> says AssignUserID peruid_tb: peruid_ta's worker
#     hands it over (its line: 421, peruid_ta) and peruid_tb's worker
#     serves it (200, peruid_tb).
# The module before set no note: every field was "-".
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/lib";
use Apache::Test qw(-withtestmore);
use PeruidTest qw(:all);

plan tests => 9;

my %started;    # conf file => master pid, for the END block
END { stop_instances(\%started) }

my $htdocs = root() . '/htdocs';
my $port = free_port();
my %who = map {
    my ($uid, $gid) = ids_of($_);
    ($_ => join(' ', $_, $uid, scalar(getgrgid($gid)) // "#$gid", $gid));
} qw(peruid_ta peruid_tb peruid_td);

my $fmt = '%h %l %u %t \"%r\" %>s %b %{peruid-user}n %{peruid-uid}n '
        . '%{peruid-group}n %{peruid-gid}n';
my ($master, undef, undef, $dir) = started_instance(\%started, 'log_notes',
    port => $port, body => <<"EOF");
LogFormat "$fmt" peruid
CustomLog "logs/main_access" peruid
<VirtualHost 127.0.0.1:$port>
    ServerName note-a.test
    DocumentRoot "$htdocs/a"
    AssignUserID peruid_ta peruid_ta
    ErrorDocument 404 /site.txt
    CustomLog "logs/a_access" peruid
</VirtualHost>
<VirtualHost 127.0.0.1:$port>
    ServerName note-b.test
    DocumentRoot "$htdocs/b"
    AssignUserID peruid_tb peruid_tb
    CustomLog "logs/b_access" peruid
</VirtualHost>
<VirtualHost 127.0.0.1:$port>
    ServerName note-p.test
    DocumentRoot "$htdocs/a"
    AssignUserID peruid_ta peruid_ta
    CustomLog "logs/p_access" peruid
    <Directory "$htdocs/a/override">
        AssignUserID peruid_tb peruid_tb
    </Directory>
</VirtualHost>
EOF
ok($master, 'instance with LogFormat "... %{peruid-user}n ..." started')
    or exit;

# The lines of logs/$name whose request line begins with $req (httpd
# logs what it understood of a malformed one) and status $status
# (waiting up to 10 s: a shared log's lines come through the relay), as
# "PREFIX|NOTES" (PREFIX: the relay's "[user NAME]", or "").
sub logged {
    my ($name, $req, $status, $n) = @_;
    my @got;
    wait_for(sub {
        @got = ();
        open my $fh, '<', "$dir/logs/$name" or return 0;
        while (my $l = <$fh>) {
            chomp $l;
            next unless $l =~ /^(\[user [^\]]+\] )?\S+ \S+ \S+ \[[^\]]+\] "(.*)" (\d{3}) \S+ (\S+ \S+ \S+ \S+)$/;
            my ($pre, $r, $s, $notes) = ($1 // '', $2, $3, $4);
            push @got, "$pre|$notes"
                if index($r, $req) == 0 && $s == $status;
        }
        close $fh;
        @got >= ($n // 1);
    }, 10, 0.2);
    return join ', ', @got;
}

my $r = http('note-a.test', '/site.txt', port => $port);
is(($r->{status} // '-') . ' ' . logged('a_access', 'GET /site.txt HTTP/1.1',
                                        200),
   "200 |$who{peruid_ta}", 'note-a.test: a 200, logged with peruid_ta');
$r = http('note-b.test', '/site.txt', port => $port);
is(($r->{status} // '-') . ' ' . logged('b_access', 'GET /site.txt HTTP/1.1',
                                        200),
   "200 |$who{peruid_tb}", 'note-b.test: a 200, logged with peruid_tb');

my $site = slurp("$htdocs/a/site.txt") // '';
$r = http('note-a.test', '/no-such-file', port => $port);
is(($r->{status} // '-') . ' ' . ($r->{body} eq $site ? 'ErrorDocument'
                                                      : 'other body'),
   '404 ErrorDocument', 'note-a.test: a 404 answered with its '
   . 'ErrorDocument (an internal redirect)');
is(logged('a_access', 'GET /no-such-file HTTP/1.1', 404),
   "|$who{peruid_ta}", '... logged with peruid_ta');

# httpd's 400s, before post_read_request
$r = http(undef, '/nohost', port => $port);
is(($r->{status} // '-') . ' ' . logged('main_access',
                                        'GET /nohost HTTP/1.1', 400),
   "400 [user peruid_td] |$who{peruid_td}", 'an HTTP/1.1 request without '
   . 'Host: 400 from the default vhost, logged with peruid_td');
$r = request_raw("GET /bad line HTTP/1.1\r\nHost: note-a.test\r\n"
                 . "Connection: close\r\n\r\n", port => $port);
is(($r->{status} // '-') . ' ' . logged('main_access', 'GET /bad line',
                                        400),
   "400 [user peruid_td] |$who{peruid_td}", 'a malformed request line: '
   . '400, logged with peruid_td');

# a per-directory user: handed over from peruid_ta to peruid_tb
$r = http('note-p.test', '/override/index.html', port => $port);
is($r->{status} // '-', 200, 'note-p.test/override/ (AssignUserID '
   . 'peruid_tb in its <Directory>) answers 200');
is(logged('p_access', 'GET /override/index.html HTTP/1.1', 421) . ' / '
   . logged('p_access', 'GET /override/index.html HTTP/1.1', 200),
   "[user peruid_ta] |$who{peruid_ta} / [user peruid_tb] |$who{peruid_tb}",
   '... logged by both workers, each with its own user: 421 by '
   . 'peruid_ta\'s (handed over), 200 by peruid_tb\'s');
