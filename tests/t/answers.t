# t/answers.t -- the router decides routing, httpd decides the answer.
#
# The same httpd configuration runs under prefork and under peruid in
# this one test, under HttpProtocolOptions Strict and under Unsafe; each
# head of the table below goes to both on a fresh connection, and what
# came back must be the same: the status lines (several for pipelined
# requests), the document root that served each answer (site=...), and
# whether the server closed the connection.  Differences that are
# justified in docs/security.md ("Answers that differ from prefork") are
# listed in %differs with what each MPM gives; any other fails.
#
# The over-long line and field are 9000 bytes: over httpd's
# LimitRequestLine and LimitRequestFieldSize (8190), under the router's
# PeruidPeekMaxBytes (64 KB by default).  Timeout 3 (PeruidPeekTimeout
# 2), so that heads that never end are closed within the read's 6 s.
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/lib";
use Apache::Test qw(-withtestmore);
use PeruidTest qw(:all);

my %started;
END { stop_instances(\%started) }

my $long = 'x' x 9000;

# [label, bytes sent (then nothing more; undef: none), 'half-close' to
# shutdown(SHUT_WR) after them]
my @cases = (
    ['bad method (not a token)',
     "G\@T /site.txt HTTP/1.1\r\nHost: a.test\r\nConnection: close\r\n\r\n"],
    ['unknown method',
     "FOO /site.txt HTTP/1.1\r\nHost: a.test\r\nConnection: close\r\n\r\n"],
    ['lower-case method',
     "get /site.txt HTTP/1.1\r\nHost: a.test\r\nConnection: close\r\n\r\n"],
    ['bad URI (control byte)',
     "GET /a\x01b HTTP/1.1\r\nHost: a.test\r\nConnection: close\r\n\r\n"],
    ['bad URI (no slash)',
     "GET site.txt HTTP/1.1\r\nHost: a.test\r\nConnection: close\r\n\r\n"],
    ['bad URI (%00)',
     "GET /site%00.txt HTTP/1.1\r\nHost: a.test\r\nConnection: close\r\n\r\n"],
    ['over-long request line',
     "GET /$long HTTP/1.1\r\nHost: a.test\r\nConnection: close\r\n\r\n"],
    ['over-long header field',
     "GET /site.txt HTTP/1.1\r\nHost: a.test\r\nX-Long: $long\r\n"
     . "Connection: close\r\n\r\n"],
    ['NUL in the request line',
     "GET /site.txt\0 HTTP/1.1\r\nHost: a.test\r\nConnection: close\r\n\r\n"],
    ['NUL in a header value',
     "GET /site.txt HTTP/1.1\r\nHost: a.test\r\nX-N: a\0b\r\n"
     . "Connection: close\r\n\r\n"],
    ['NUL in the Host value',
     "GET /site.txt HTTP/1.1\r\nHost: b.test\0a.test\r\n"
     . "Connection: close\r\n\r\n"],
    ['duplicate Host',
     "GET /site.txt HTTP/1.1\r\nHost: a.test\r\nHost: b.test\r\n"
     . "Connection: close\r\n\r\n"],
    ['absolute-form URI naming another host',
     "GET http://b.test/site.txt HTTP/1.1\r\nHost: a.test\r\n"
     . "Connection: close\r\n\r\n"],
    ['absolute-form URI, HTTP/1.0, no Host',
     "GET http://a.test/site.txt HTTP/1.0\r\n\r\n"],
    ['Host with a port',
     "GET /site.txt HTTP/1.1\r\nHost: a.test:8080\r\nConnection: close\r\n\r\n"],
    ['IPv6 literal Host',
     "GET /site.txt HTTP/1.1\r\nHost: [::1]\r\nConnection: close\r\n\r\n"],
    ['IPv6 literal Host with a port',
     "GET /site.txt HTTP/1.1\r\nHost: [::1]:80\r\nConnection: close\r\n\r\n"],
    ['Host with a trailing dot',
     "GET /site.txt HTTP/1.1\r\nHost: a.test.\r\nConnection: close\r\n\r\n"],
    ['Host in upper case',
     "GET /site.txt HTTP/1.1\r\nHost: B.TEST\r\nConnection: close\r\n\r\n"],
    ['Host with a slash',
     "GET /site.txt HTTP/1.1\r\nHost: a.test/x\r\nConnection: close\r\n\r\n"],
    ['empty Host',
     "GET /site.txt HTTP/1.1\r\nHost:\r\nConnection: close\r\n\r\n"],
    ['missing Host, HTTP/1.1',
     "GET /site.txt HTTP/1.1\r\nConnection: close\r\n\r\n"],
    ['missing Host, HTTP/1.0', "GET /site.txt HTTP/1.0\r\n\r\n"],
    ['HTTP/0.9', "GET /site.txt\r\n"],
    ['HTTP/0.9 written out', "GET /site.txt HTTP/0.9\r\nHost: a.test\r\n\r\n"],
    ['HTTP/1.2', "GET /site.txt HTTP/1.2\r\nHost: a.test\r\n"
                 . "Connection: close\r\n\r\n"],
    ['HTTP/2 preface', "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"],
    ['non-HTTP bytes (a TLS ClientHello)',
     "\x16\x03\x01\x00\x2e\x01\x00\x00\x2a\x03\x03" . ("\x00" x 32)
     . "\x00\x00\x02\x00\x2f\x01\x00\r\n\r\n"],
    ['non-HTTP bytes (SSH)', "SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n"],
    ['non-HTTP bytes, no line end', "\x05\x01\x00"],
    ['an immediate close', undef],
    ['obs-fold', "GET /site.txt HTTP/1.1\r\nX-A: b\r\n c\r\nHost: a.test\r\n"
                 . "Connection: close\r\n\r\n"],
    ['obs-fold in Host', "GET /site.txt HTTP/1.1\r\nHost:\r\n b.test\r\n"
                         . "Connection: close\r\n\r\n"],
    ['obs-fold first', "GET /site.txt HTTP/1.1\r\n Host: a.test\r\n"
                       . "Connection: close\r\n\r\n"],
    ['LF-only lines', "GET /site.txt HTTP/1.1\nHost: a.test\n"
                      . "Connection: close\n\n"],
    ['LF-only last line', "GET /site.txt HTTP/1.1\r\nHost: a.test\r\n"
                          . "Connection: close\r\n\n"],
    ['bare CR in a header', "GET /site.txt HTTP/1.1\r\nHost: a.test\r\n"
                            . "X: a\rb\r\nConnection: close\r\n\r\n"],
    ['space before the colon', "GET /site.txt HTTP/1.1\r\nHost : b.test\r\n"
                               . "Connection: close\r\n\r\n"],
    ['header line without a colon', "GET /site.txt HTTP/1.1\r\nHost: a.test"
                                    . "\r\nNoColon\r\nConnection: close"
                                    . "\r\n\r\n"],
    ['two spaces in the request line',
     "GET  /site.txt HTTP/1.1\r\nHost: a.test\r\nConnection: close\r\n\r\n"],
    ['empty lines before the request',
     "\r\n\r\nGET /site.txt HTTP/1.1\r\nHost: b.test\r\n"
     . "Connection: close\r\n\r\n"],
    ['eleven empty lines before the request',
     ("\r\n" x 11) . "GET /site.txt HTTP/1.1\r\nHost: b.test\r\n"
     . "Connection: close\r\n\r\n"],
    ['a head that never ends',
     "GET /site.txt HTTP/1.1\r\nHost: a.test\r\nX-More: 1\r\n"],
    ['a head cut short by a half-close',
     "GET /site.txt HTTP/1.1\r\nHost: a.test\r\n", 'half-close'],
    ['a request line cut short by a half-close',
     "GET /site.txt HTTP/1.1", 'half-close'],
    ['bare CR at the end, then a half-close', "GET / HTTP/1.0\r\r",
     'half-close'],
    ['absolute-form URI with a port, another Host',
     "GET http://b.test:81/site.txt HTTP/1.0\r\nHost: a.test\r\n\r\n"],
    ['absolute-form URI, bad IPv6 literal',
     "GET http://[4712::abcd::]/ HTTP/1.0\r\n\r\n"],
    ['Host with a backslash', "GET /site.txt HTTP/1.0\r\nHost: abc\\foo\r\n\r\n"],
    ['Host with obs-text', "GET /site.txt HTTP/1.0\r\nHost: abc\xa0\r\n\r\n"],
    ['trailing spaces after the version',
     "GET /site.txt HTTP/1.0  \r\nHost: a.test\r\n\r\n"],
    ['a control byte in a field name', "GET /site.txt HTTP/1.0\r\nF\x01o: bar\r\n\r\n"],
    ['a slash in the method', "G/T /site.txt HTTP/1.0\r\n\r\n"],
    ['two users pipelined on one connection',
     "GET /site.txt HTTP/1.1\r\nHost: a.test\r\n\r\n"
     . "GET /site.txt HTTP/1.1\r\nHost: b.test\r\nConnection: close\r\n\r\n"],
);

# Justified differences (docs/security.md, "Answers that differ from
# prefork"): "mode: label" => [peruid's result, prefork's result].
my %differs = (
);

# What came back on one connection, as a comparable line.
sub answer {
    my ($port, $bytes, $how) = @_;
    my $s = connect_to($port, 5) or return "connect failed: $!";
    local $SIG{PIPE} = 'IGNORE';
    syswrite($s, $bytes) if defined $bytes;
    shutdown($s, 1) if !defined $bytes || ($how // '') eq 'half-close';
    my ($data, $eof) = read_all($s, 6);
    close $s;
    my @status = $data =~ m{^(HTTP/\d\.\d \d{3}[^\r\n]*)}mg;
    my @site = $data =~ m{^site=(\w+)$}mg;
    return join(' | ', @status ? @status : ('no status line')) . '; '
        . (@site ? 'site=' . join(',', @site) : 'no site') . '; '
        . ($eof ? 'closed' : 'open');
}

sub start_mpm {
    my ($mpm, $mode) = @_;
    my $body = <<"EOF";
HttpProtocolOptions $mode
Timeout 3
EOF
    my ($master, $port) = started_instance(\%started, "answers-$mpm-$mode",
        prefork => $mpm eq 'prefork', body => $body);
    return ($master, $port);
}

my @modes = qw(Strict Unsafe);
plan tests => @modes * (2 + @cases) + 5;

my %result;
for my $mode (@modes) {
    my %port;
    for my $mpm (qw(peruid prefork)) {
        my ($master, $port) = start_mpm($mpm, $mode);
        ok($master, "$mpm with HttpProtocolOptions $mode started");
        $port{$mpm} = $port if $master;
    }
    for my $c (@cases) {
        my ($label, $bytes, $how) = @$c;
        my %got;
        # both MPMs at once: the heads that time out wait side by side
        my @r = in_parallel(map {
            my $p = $port{$_};
            sub { $p ? answer($p, $bytes, $how) : 'not started' }
        } qw(peruid prefork));
        @got{qw(peruid prefork)} = @r;
        $result{$mode}{$label} = \%got;
        my $known = $differs{"$mode: $label"};
        if ($known) {
            is_deeply([@got{qw(peruid prefork)}], $known,
                      "$mode: $label: the documented difference")
                or diag("peruid:  $got{peruid}\nprefork: $got{prefork}");
        }
        else {
            is($got{peruid}, $got{prefork}, "$mode: $label: as prefork")
                or diag("peruid:  $got{peruid}\nprefork: $got{prefork}");
        }
    }
}

# a few answers that must be what they are under both MPMs (so that the
# comparison cannot pass on two servers that both fail)
like($result{Strict}{'absolute-form URI naming another host'}{peruid},
     qr/^HTTP\/1\.1 200 OK; site=b; closed$/,
     'absolute-form URI: the URI\'s host (b.test) serves it');
like($result{Unsafe}{'obs-fold'}{peruid}, qr/^HTTP\/1\.1 200 OK; site=a;/,
     'obs-fold: httpd joins the lines, a.test serves it');
like($result{Strict}{'two users pipelined on one connection'}{peruid},
     qr/^HTTP\/1\.1 200 OK \| HTTP\/1\.1 200 OK; site=a,b; closed$/,
     'two users on one connection: each served by its vhost');
like($result{Strict}{'over-long request line'}{peruid},
     qr/^HTTP\/1\.1 414 /, 'over-long request line: 414 (LimitRequestLine)');
like($result{Strict}{'over-long header field'}{peruid},
     qr/^HTTP\/1\.1 400 /,
     'over-long header field: 400 (LimitRequestFieldSize)');
