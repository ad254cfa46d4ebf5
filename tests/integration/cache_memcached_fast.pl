#!/usr/bin/perl
# Drives Perl's Cache::Memcached::Fast (Debian: libcache-memcached-fast-perl) against the servers
# given and prints one "name: result" line per operation, so
# tests/integration/test_perl_cache_memcached_fast.py can compare a run against memcached with a
# run against nestcached. The client parses `VERSION` as a version number when it connects
# (a server answering anything but x.y.z is refused: "Invalid version format").
#
#   perl cache_memcached_fast.pl 127.0.0.1:11211 [127.0.0.1:11212 ...]
use strict;
use warnings;
use Cache::Memcached::Fast;

my @servers = @ARGV or die "usage: $0 server...\n";
my $memd = Cache::Memcached::Fast->new({
    servers         => \@servers,
    connect_timeout => 2,
    io_timeout      => 2,
    close_on_error  => 1,
});

sub show {
    my ($name, $value) = @_;
    $value = 'undef' unless defined $value;
    print "$name: $value\n";
}

my $versions = $memd->server_versions;
show("versions", join(",", map { $versions->{$_} } sort keys %$versions));
show("flush_all", $memd->flush_all ? 1 : 0);
show("set", $memd->set("greeting", "hello") ? 1 : 0);
show("get", $memd->get("greeting"));
show("add existing", $memd->add("greeting", "x") ? 1 : 0);
show("add new", $memd->add("other", "y") ? 1 : 0);
show("append", $memd->append("greeting", " world") ? 1 : 0);
show("get appended", $memd->get("greeting"));
show("set binary", $memd->set("bin", "a\r\nb\0c\xff") ? 1 : 0);
show("get binary", unpack("H*", $memd->get("bin")));
my $gets = $memd->gets("greeting");
show("cas", $memd->cas("greeting", @$gets[0], "swapped") ? 1 : 0);
show("cas stale", $memd->cas("greeting", @$gets[0], "again") ? 1 : 0);
show("get swapped", $memd->get("greeting"));
show("set counter", $memd->set("n", 10) ? 1 : 0);
show("incr", $memd->incr("n", 5));
show("decr", $memd->decr("n", 100));
$memd->set("m$_", "v$_") for 1 .. 20;
my $multi = $memd->get_multi(map { "m$_" } 1 .. 25);
show("get_multi hits", scalar(keys %$multi));
show("delete", $memd->delete("other") ? 1 : 0);
show("delete again", $memd->delete("other") ? 1 : 0);
show("touch", $memd->touch("greeting", 100) ? 1 : 0);
show("get after touch", $memd->get("greeting"));
