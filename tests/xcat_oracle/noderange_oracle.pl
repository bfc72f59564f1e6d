#!/usr/bin/perl
# Runs xCAT's own NodeRange.pm, unmodified, over a fixture of tables, to derive
# expected values for tests/test_noderange_xcat.py. Not run by the suite (xCAT's
# code is not part of this repository); run by hand:
#   cd tests/xcat_oracle && perl noderange_oracle.pl XCAT_CORE/perl-xCAT < fixture.json > expected.json
# (the ^file items name files relative to this folder).
# The fixture (JSON on stdin): {"nodelist": {node: groups}, "nodegroup": [rows],
# "tables": {table: {node: {column: value}}}, "ranges": [[noderange, source], ...]}.
# Prints {noderange: {"nodes": [...], "missing": [...]} or {"error": text}}.
use strict;
use warnings;
use JSON::PP;
no warnings 'once';

my $libdir = shift or die "usage: $0 PATH/TO/perl-xCAT < fixture.json\n";
my $fixture = decode_json(do { local $/; <STDIN> });

# A stand-in for xCAT::Table serving the fixture: only the calls NodeRange.pm makes.
BEGIN {
    $INC{'xCAT/Table.pm'} = 1;
    package xCAT::Table;
    our $FIXTURE;
    sub new {
        my ($class, $name) = @_;
        return bless { name => $name }, $class;
    }
    sub _set_use_cache { }
    sub _build_cache   { }
    sub getAllAttribs {
        my ($self) = @_;
        my $nl = $FIXTURE->{nodelist};
        return map { { node => $_, groups => $nl->{$_} } } sort keys %$nl;
    }
    sub getAllEntries {
        my ($self) = @_;
        return [ @{ $FIXTURE->{nodegroup} || [] } ];
    }
    sub getNodesAttribs {
        my ($self, $nodes, $cols) = @_;
        my $rows = $self->{name} eq 'nodelist'
          ? { map { $_ => { groups => $FIXTURE->{nodelist}{$_} } } keys %{ $FIXTURE->{nodelist} } }
          : ($FIXTURE->{tables}{ $self->{name} } || {});
        my %out;
        foreach my $node (@$nodes) {
            $out{$node} = [ $rows->{$node} ] if $rows->{$node};
        }
        return \%out;
    }
    sub DESTROY { }
}
BEGIN {
    # The columns nodesbycriteria checks a criterion's column against (perl-xCAT Schema.pm).
    $INC{'xCAT/Schema.pm'} = 1;
    %xCAT::Schema::tabspec = (
        nodelist => { cols => [qw(node groups status statustime appstatus appstatustime primarysn hidden updatestatus updatestatustime zonename comments disable)] },
        nodehm   => { cols => [qw(node power mgt cons termserver termport conserver serialport serialspeed serialflow getmac cmdmapping consoleondemand consoleenabled comments disable)] },
        vm       => { cols => [qw(node mgr host migrationdest storage storagemodel storagecache storageformat cfgstore memory cpus nics nicmodel bootorder clockoffset virtflags master vncport textconsole powerstate beacon datacenter cluster guestostype othersettings physlots vidmodel vidproto vidpassword comments disable)] },
    );
}
$xCAT::Table::FIXTURE = $fixture;
push @INC, $libdir;
require xCAT::NodeRange;

my %result;
foreach my $item (@{ $fixture->{ranges} }) {
    my $range = ref $item ? $item->[0] : $item;
    my @nodes = eval { xCAT::NodeRange::noderange($range) };
    if ($@) {
        (my $error = $@) =~ s/\s+at \S+ line \d+.*//s;
        $result{$range} = { error => $error };
    } else {
        $result{$range} = { nodes => \@nodes, missing => [ xCAT::NodeRange::nodesmissed() ] };
    }
}
print JSON::PP->new->canonical->pretty->encode(\%result);
__END__
