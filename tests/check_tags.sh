#!/bin/sh
# tests/check_tags.sh -- the project's log tags (PU00042, printed by
# PERUID_LOGNO(00042) in mpm_peruid/*.c) against their documentation.
# Fails, naming the tag, when a number is logged in two places, when a
# logged tag has no entry ("### PU00042") in docs/troubleshooting.md, when
# the page has an entry for a tag no code logs, when entries are out of
# number order, or when a logged tag is not below the "Next free number"
# of mpm_peruid/peruid_logno.h.  A tag written out in a string literal
# ("PU00089: " from the log relay, which cannot use ap_log_error) counts
# as logged; tags named in comments do not.  A number no longer logged
# leaves its heading for the page's "Numbers not used" list.  No build
# needed.
#
#   sh tests/check_tags.sh [TOP]      (TOP: the source tree, default ..)
set -eu
top=${1:-$(cd "$(dirname "$0")/.." && pwd)}
exec perl -e '
use strict;
use warnings;
my $top = shift;
my (%used, @bad);

# the tags logged by the sources, comments left out
for my $f (sort glob("$top/mpm_peruid/*.c"), sort glob("$top/mpm_peruid/*.h")) {
    open(my $fh, "<", $f) or die "check_tags: $f: $!\n";
    local $/;
    my $src = <$fh>;
    close $fh;
    (my $name = $f) =~ s{^\Q$top\E/}{};
    # comments out (their newlines kept), string and char literals kept
    $src =~ s{("(?:[^"\\\n]|\\.)*"|\x27(?:[^\x27\\\n]|\\.)*\x27)|/\*.*?\*/|//[^\n]*}
             { defined $1 ? $1 : ($& =~ tr/\n//cdr) }gse;
    my @lines = split /\n/, $src, -1;
    for my $i (0 .. $#lines) {
        my $l = $lines[$i];
        my @n = $l =~ /PERUID_LOGNO\(\s*(\d{5})\s*\)/g;
        while ($l =~ /"((?:[^"\\]|\\.)*)"/g) {
            push @n, $1 =~ /\bPU(\d{5})\b/g;
        }
        push @{ $used{$_} }, "$name:" . ($i + 1) for @n;
    }
}

# the counter
my $next;
open(my $h, "<", "$top/mpm_peruid/peruid_logno.h")
    or die "check_tags: mpm_peruid/peruid_logno.h: $!\n";
while (<$h>) {
    $next = $1 if /Next free number:\s*(\d+)/;
}
close $h;
defined $next
    or die "check_tags: no \"Next free number\" in mpm_peruid/peruid_logno.h\n";

# the entries of the troubleshooting page, in page order
my $page = "docs/troubleshooting.md";
my (@entries, %entry);
open(my $p, "<", "$top/$page") or die "check_tags: $page: $!\n";
while (<$p>) {
    next unless /^###\s+PU(\d{5})\b/;
    push @bad, "PU$1: two entries in $page (lines $entry{$1} and $.)"
        if $entry{$1};
    $entry{$1} //= $.;
    push @entries, $1;
}
close $p;

for my $t (sort keys %used) {
    my @at = @{ $used{$t} };
    push @bad, "PU$t: logged in " . scalar(@at) . " places (@at); "
               . "each tag is used once: take a new number from "
               . "mpm_peruid/peruid_logno.h" if @at > 1;
    push @bad, "PU$t: logged at $at[0] but has no entry in $page (add "
               . "\"### PU$t\" in number order)" unless $entry{$t};
    push @bad, "PU$t: logged at $at[0] but not below the next free number "
               . "($next) of mpm_peruid/peruid_logno.h" if $t >= $next;
}
for my $t (sort keys %entry) {
    push @bad, "PU$t: $page (line $entry{$t}) documents a tag no code in "
               . "mpm_peruid logs (a retired number goes to the list under "
               . "\"Numbers not used\", without a heading of its own)"
        unless $used{$t};
}
for my $i (1 .. $#entries) {
    push @bad, "PU$entries[$i]: entry out of number order in $page (after "
               . "PU$entries[$i - 1])" if $entries[$i] le $entries[$i - 1];
}
if (@bad) {
    print STDERR "check_tags: $_\n" for @bad;
    exit 1;
}
printf "check_tags: %d tags, each logged once and documented in %s\n",
       scalar(keys %used), $page;
' "$top"
