#!/usr/bin/perl
# Drives Perl's Cache::Memcached (Debian: libcache-memcached-perl) against the servers given and
# prints one "name: result" line per operation, so tests/integration/test_perl_cache_memcached.py
# can compare a run against memcached with a run against nestcached, and check the results.
#
#   perl cache_memcached.pl basic 127.0.0.1:11211 [127.0.0.1:11212 ...]
#   perl cache_memcached.pl fill|check NAMESPACE 127.0.0.1:11211
use strict;
use warnings;
use Cache::Memcached;

my $mode = shift @ARGV or die "usage: $0 basic|fill|check [namespace] server...\n";
my $namespace = $mode eq 'basic' ? '' : shift @ARGV;
my @servers = @ARGV or die "no servers\n";

my $memd = Cache::Memcached->new({
    servers            => \@servers,
    namespace          => $namespace,
    compress_threshold => 1000,
    connect_timeout    => 2,
    select_timeout     => 2,
});

sub show {
    my ($name, $value) = @_;
    $value = 'undef' unless defined $value;
    print "$name: $value\n";
}

# A reference's contents, in a stable order.
sub flat {
    my ($v) = @_;
    return 'undef' unless defined $v;
    return "[" . join(",", map { flat($_) } @$v) . "]" if ref $v eq 'ARRAY';
    return "{" . join(",", map { "$_=" . flat($v->{$_}) } sort keys %$v) . "}" if ref $v eq 'HASH';
    return $v;
}

if ($mode eq 'basic') {
    show('flush_all', $memd->flush_all ? 1 : 0);
    show('set scalar', $memd->set('scalar', 'hello'));
    show('get scalar', $memd->get('scalar'));
    show('set empty', $memd->set('empty', ''));
    show('get empty', $memd->get('empty'));
    show('set binary', $memd->set('binary', "a\r\nb\0c\xff"));
    show('get binary', unpack('H*', $memd->get('binary')));
    show('set hash', $memd->set('hash', { name => 'alice', langs => ['perl', 'c'] }));
    show('get hash', flat($memd->get('hash')));
    my $big = 'nestcache ' x 500;  # 5000 bytes: compressed above compress_threshold
    show('set big', $memd->set('big', $big));
    my $got = $memd->get('big');
    show('get big', defined $got && $got eq $big ? 'same' : 'different');
    show('add existing', $memd->add('scalar', 'x') ? 1 : 0);
    show('add new', $memd->add('added', 'a') ? 1 : 0);
    show('replace missing', $memd->replace('nope', 'x') ? 1 : 0);
    show('replace existing', $memd->replace('added', 'b') ? 1 : 0);
    show('get replaced', $memd->get('added'));
    show('append', $memd->append('added', 'cd') ? 1 : 0);
    show('prepend', $memd->prepend('added', 'a') ? 1 : 0);
    show('get appended', $memd->get('added'));
    show('append missing', $memd->append('nope', 'x') ? 1 : 0);
    show('set counter', $memd->set('counter', 10));
    show('incr', $memd->incr('counter'));
    show('incr 5', $memd->incr('counter', 5));
    show('decr 100', $memd->decr('counter', 100));
    show('incr missing', $memd->incr('nope', 1));
    show('incr non-numeric', $memd->incr('scalar', 1));
    my @keys = map { "k$_" } 1 .. 40;
    $memd->set($_, "value of $_") for @keys;
    my $multi = $memd->get_multi(@keys, 'missing1', 'missing2');
    my @hits = grep { defined $multi->{$_} && $multi->{$_} eq "value of $_" } @keys;
    show('get_multi hits', scalar @hits);
    show('get_multi keys', scalar keys %$multi);
    # Before any delete or expiry: nestcached settles curr_items in the background after those.
    my $stats = $memd->stats(['misc']);
    for my $name (qw(curr_items total_items cmd_get cmd_set get_hits get_misses bytes)) {
        my $all = 0;
        my $seen = 0;
        for my $host (keys %{ $stats->{hosts} }) {
            my $v = $stats->{hosts}{$host}{misc}{$name};
            if (defined $v) { $all += $v; $seen++; }
        }
        show("stats $name present", $seen == scalar @servers ? 1 : 0);
        show("stats $name", $all) if $name =~ /^(curr_items|get_hits|get_misses|cmd_set)$/;
    }
    show('set expiring', $memd->set('gone', 'x', -1));
    show('get expiring', $memd->get('gone'));
    show('delete', $memd->delete('k1') ? 1 : 0);
    show('delete again', $memd->delete('k1') ? 1 : 0);
    show('get deleted', $memd->get('k1'));
    show('flush_all again', $memd->flush_all ? 1 : 0);
    show('get after flush', $memd->get('scalar'));
} elsif ($mode eq 'fill') {
    for my $user (1 .. 20) {
        $memd->set("user$user:name", "name $user") or die "set failed\n";
        $memd->set("user$user:cart", [1 .. $user]) or die "set failed\n";
    }
    my $all = $memd->get_multi(map { ("user$_:name", "user$_:cart") } 1 .. 20);
    show('filled', scalar keys %$all);
} elsif ($mode eq 'check') {
    my $all = $memd->get_multi(map { ("user$_:name", "user$_:cart") } 1 .. 20);
    show('left', scalar keys %$all);
    show('cart 7', flat($all->{'user7:cart'}));
} else {
    die "unknown mode $mode\n";
}
$memd->disconnect_all;
