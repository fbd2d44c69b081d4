#!/bin/sh
# tests/check_directives.sh -- the directives the module registers against
# docs/directives.md.  The registered names are the AP_INIT_*("Name", ...)
# entries of the command_rec tables in mpm_peruid/*.c (comments left
# out), and the names of httpd's macros those tables use
# (LISTEN_COMMANDS, AP_GRACEFUL_SHUTDOWN_TIMEOUT_COMMAND: their names are
# listed below and, when httpd's headers are installed, checked against
# ap_listen.h and mpm_common.h).  Fails, naming the directive, when
#   - a registered directive has no "## Name" section in the page;
#   - a section lacks one of the rows Description, Syntax, Default,
#     Context, Status, Module, Compatibility (| Row | value |), has one
#     twice or empty;
#   - a section's Module row does not name the module that registers it
#     ("mpm_peruid" for the MPM's table, "mpm_peruid (as
#     mpm_itk_module)" for itk.c's), or a directive of the MPM's or
#     itk's table has another Status than MPM;
#   - the page documents a directive the code does not register, unless
#     it is one of httpd's own that peruid reads (the READ list below);
#     a directive of the READ list must not claim to be peruid's;
#   - a directive has two sections, or no link "[Name](#name)" in the
#     page's index.
# A "## " heading of one word is a directive's section when the code
# registers that name, when it is of the READ list or when its section
# has any of the seven rows; other sections ("## Sizing") are prose.  No
# build needed.
#
# With --contexts (needs the built module and apache2, as root), each
# registered directive is also tried by "apache2 -t" in the server
# config, in a <VirtualHost> and in a <Directory>, with placeholder
# arguments of the right count; it fails when the contexts httpd accepts
# (any answer but httpd's "cannot occur within" / "not allowed in") are
# not those of the Context row, or when apache2 -t crashes.
#
#   sh tests/check_directives.sh [--contexts] [TOP]   (TOP: default ..)
#   PERUID_MODULE=path/to/mod_mpm_peruid.so  the module --contexts loads
#                  (default TOP/mpm_peruid/.libs/mod_mpm_peruid.so)
set -eu
contexts=0
if [ "${1:-}" = --contexts ]; then
    contexts=1
    shift
fi
top=${1:-$(cd "$(dirname "$0")/.." && pwd)}
inc=$( (apxs -q INCLUDEDIR || apxs2 -q INCLUDEDIR) 2>/dev/null || true)
[ -n "$inc" ] || inc=/usr/include/apache2
httpd=$( (apxs -q SBINDIR) 2>/dev/null || echo /usr/sbin)/apache2
exec perl -e '
use strict;
use warnings;
use File::Temp qw(tempdir);
use File::Spec;
my ($top, $inc, $contexts, $httpd) = @ARGV;
my (%reg, @bad);

# httpd directives peruid reads with a meaning of its own, registered by
# httpd (core, mod_unixd), not by mpm_peruid
my %read = map { $_ => 1 } qw(MaxConnectionsPerChild User Group MaxMemFree
                               AcceptFilter CoreDumpDirectory);
# httpd macros a command table may use, and the names they register
my %macro = (
    LISTEN_COMMANDS => [qw(ListenBacklog ListenCoresBucketsRatio Listen
                           SendBufferSize ReceiveBufferSize
                           ListenTCPDeferAccept)],
    AP_GRACEFUL_SHUTDOWN_TIMEOUT_COMMAND => [qw(GracefulShutdownTimeout)],
);
my %macro_type = (Listen => "TAKE_ARGV");  # the others are TAKE1
my %macro_header = (LISTEN_COMMANDS => "ap_listen.h",
                    AP_GRACEFUL_SHUTDOWN_TIMEOUT_COMMAND => "mpm_common.h");

sub slurp {
    my $f = shift;
    open(my $fh, "<", $f) or die "check_directives: $f: $!\n";
    local $/;
    my $s = <$fh>;
    close $fh;
    return $s;
}

# the macros against the installed headers, when there are any
for my $m (sort keys %macro) {
    my $h = "$inc/$macro_header{$m}";
    next unless -r $h;
    my $src = slurp($h);
    $src =~ /#define\s+\Q$m\E\b((?:[^\n]*\\\n)*[^\n]*)/
        or do { push @bad, "$m: not defined in $h"; next };
    my @names = $1 =~ /AP_INIT_\w+\(\s*"(\w+)"/g;
    my ($a, $b) = (join(" ", sort @names), join(" ", sort @{ $macro{$m} }));
    push @bad, "$m registers \"$a\" in $h, this script lists \"$b\": "
               . "update %macro" if $a ne $b;
}

# the command tables of the sources: table name -> module row wanted
for my $f (sort glob("$top/mpm_peruid/*.c")) {
    my $src = slurp($f);
    (my $name = $f) =~ s{^\Q$top\E/}{};
    $src =~ s{("(?:[^"\\\n]|\\.)*")|/\*.*?\*/|//[^\n]*}
             { defined $1 ? $1 : " " }gse;
    while ($src =~ /command_rec\s+(\w+)\s*\[\s*\]\s*=\s*\{(.*?)\n\};/gs) {
        my ($table, $body) = ($1, $2);
        my $itk = $name =~ m{/itk\.c$};
        my %type = reverse($body =~ /AP_INIT_(\w+)\(\s*"(\w+)"/g);
        my @names = $body =~ /AP_INIT_\w+\(\s*"(\w+)"/g;
        for my $m ($body =~ /^\s*([A-Z][A-Z0-9_]+)\s*,\s*$/mg) {
            if ($macro{$m}) {
                push @names, @{ $macro{$m} };
                $type{$_} = $macro_type{$_} // "TAKE1" for @{ $macro{$m} };
            }
            else {
                push @bad, "$name: table $table uses $m, which this script "
                           . "does not know: add its names to %macro";
            }
        }
        for my $d (@names) {
            push @bad, "$d: registered twice ($reg{$d}{at} and $name)"
                if $reg{$d};
            $reg{$d} = { at => "$name ($table)", itk => $itk,
                         type => $type{$d} };
        }
    }
}
keys %reg or die "check_directives: no command_rec table in $top/mpm_peruid\n";

# the page: its directive sections, their rows, its index links
my $page = "docs/directives.md";
my @rows = qw(Description Syntax Default Context Status Module Compatibility);
my (%sec, $cur, $fence, %link);
for my $line (split /\n/, slurp("$top/$page")) {
    if ($line =~ /^\s*```/) { $fence = !$fence; next; }
    next if $fence;
    $link{$1} = $2 while $line =~ /\[(\w+)\]\(#([\w-]+)\)/g;
    if ($line =~ /^##\s+(\S+)\s*$/) {
        $cur = $1;
        push @bad, "$cur: two sections in $page" if $sec{$cur};
        $sec{$cur} = {};
        next;
    }
    if ($line =~ /^#{1,2}\s/) { undef $cur; next; }
    next unless $cur;
    if ($line =~ /^\|\s*\**(\w+)\**\s*\|\s*(.*?)\s*\|\s*$/) {
        my ($row, $val) = ($1, $2);
        next unless grep { $_ eq $row } @rows;
        push @bad, "$cur: row $row twice in $page" if exists $sec{$cur}{$row};
        $sec{$cur}{$row} = $val;
    }
}

# each of the seven rows, once and not empty, in the section of $d
sub check_rows {
    my $d = shift;
    for my $row (@rows) {
        push @bad, "$d: no \"| $row | ... |\" row in its section of $page"
            unless defined $sec{$d}{$row} && length $sec{$d}{$row};
    }
}

for my $d (sort keys %reg) {
    my $s = $sec{$d};
    unless ($s) {
        push @bad, "$d: registered in $reg{$d}{at} but has no \"## $d\" "
                   . "section in $page";
        next;
    }
    check_rows($d);
    my $mod = $s->{Module} // "";
    if ($reg{$d}{itk}) {
        push @bad, "$d: registered by itk.c (mpm_itk_module) but its Module "
                   . "row says \"$mod\" (want \"mpm_peruid (as "
                   . "mpm_itk_module)\")" unless $mod =~ /^mpm_peruid\b.*mpm_itk_module/;
    }
    elsif (length $mod) {
        push @bad, "$d: registered by the MPM but its Module row says "
                   . "\"$mod\" (want \"mpm_peruid\")"
            unless $mod =~ /^mpm_peruid\b/ && $mod !~ /mpm_itk_module/;
    }
    my $st = $s->{Status} // "";
    push @bad, "$d: Status \"$st\", not MPM" if length $st && $st ne "MPM";
}
for my $d (sort keys %sec) {
    next if $reg{$d};
    next unless $read{$d} || keys %{ $sec{$d} };     # prose: "## Sizing"
    if ($read{$d}) {
        check_rows($d);
        push @bad, "$d: httpd registers it, yet its Module row says "
                   . "mpm_peruid" if ($sec{$d}{Module} // "") =~ /^mpm_peruid/;
        next;
    }
    push @bad, "$d: $page has a section for it, but no command table in "
               . "mpm_peruid/*.c registers it (nor is it one of httpd\x27s "
               . "directives peruid reads)";
}
for my $d (sort keys %sec) {
    next unless $reg{$d} || $read{$d};
    push @bad, "$d: no link [$d](#" . lc($d) . ") in the index of $page"
        unless ($link{$d} // "") eq lc $d;
}
# --contexts: one "apache2 -t" per directive and context; the contexts
# httpd accepts against the Context row
sub contexts_check {
    my $so = $ENV{PERUID_MODULE} || "$top/mpm_peruid/.libs/mod_mpm_peruid.so";
    $so = File::Spec->rel2abs($so);     # LoadModule: relative to ServerRoot
    -r $so or die "check_directives: --contexts: no module $so (build first)\n";
    my $dir = tempdir("check-directives-XXXXXX", TMPDIR => 1, CLEANUP => 1);
    my %arg = (TAKE1 => "1", TAKE2 => "1 1", TAKE12 => "1", FLAG => "On",
               RAW_ARGS => "1", TAKE_ARGV => "127.0.0.1:1");
    my %wrap = (
        "server config" => sub { $_[0] },
        "virtual host"  => sub { "<VirtualHost 127.0.0.1:1>\nServerName x\n"
                                 . "$_[0]\n</VirtualHost>" },
        "directory"     => sub { "<Directory $dir>\n$_[0]\n</Directory>" },
    );
    my $n = 0;
    for my $d (sort keys %reg) {
        my $row = ($sec{$d} // {})->{Context} // next;
        my $line = "$d " . ($arg{ $reg{$d}{type} // "" } // "1");
        my (@ok, @want, $crashed);
        for my $ctx ("server config", "virtual host", "directory") {
            push @want, $ctx if $row =~ /\Q$ctx\E/;
            open(my $fh, ">", "$dir/t.conf") or die "$dir/t.conf: $!\n";
            print $fh "LoadModule mpm_peruid_module $so\n",
                      "LoadModule mpm_itk_module $so\n",
                      "User nobody\nGroup nogroup\nListen 127.0.0.1:1\n",
                      "ServerName x\nErrorLog $dir/error.log\n",
                      "PidFile $dir/pid\nDocumentRoot $dir\n",
                      $wrap{$ctx}->($line), "\n";
            close $fh;
            my $out = `"$httpd" -t -f "$dir/t.conf" 2>&1`;
            my $st = $?;
            $n++;
            if ($st & 127 || ($st >> 8) > 128) {
                push @bad, "$d: apache2 -t crashed (status $st) with "
                           . "\"$line\" in the $ctx";
                $crashed = 1;
                next;
            }
            # a module that did not load would make every context pass
            die "check_directives: --contexts: apache2 -t could not try "
                . "$d: $out" if $out =~ /Cannot load|Invalid command/;
            push @ok, $ctx unless $out =~ /cannot occur within|not allowed in/;
        }
        push @bad, "$d: apache2 -t takes it in: " . join(", ", @ok)
                   . "; its Context row says: $row"
            if !$crashed && join(",", @ok) ne join(",", @want);
    }
    print "check_directives: $n apache2 -t tries of the contexts\n";
}

contexts_check() if $contexts;
if (@bad) {
    print STDERR "check_directives: $_\n" for @bad;
    exit 1;
}
printf "check_directives: %d directives registered, each documented in %s "
       . "with its seven rows (and %d of httpd\x27s that peruid reads)\n",
       scalar(keys %reg), $page, scalar(grep { $sec{$_} } keys %read);
' "$top" "$inc" "$contexts" "$httpd"
