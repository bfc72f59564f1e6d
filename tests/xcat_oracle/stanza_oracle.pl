#!/usr/bin/perl
# Runs xCAT's own DBobjUtils.pm readFileInput, unmodified, over stanza texts, to
# record what xCAT reads from them (tests/xcat_oracle/stanza_cases.json, used by
# tests/test_stanza_reader_vs_xcat.py). Not run by the suite; by hand:
#   perl stanza_oracle.pl XCAT_CORE/perl-xCAT < texts.json
# Input: a JSON list of texts. Output: per text {names, objects, defaults}.
# The modules DBobjUtils.pm requires are not needed by readFileInput: marked loaded.
use strict; use warnings; use JSON::PP;
BEGIN { for my $m (qw(NodeRange Schema Table Utils MsgUtils NetworkUtils ServiceNodeUtils)) { $INC{"xCAT/$m.pm"} = 1; } }
push @INC, shift;
require xCAT::DBobjUtils;
my $texts = decode_json(do { local $/; <STDIN> });
my @out;
foreach my $t (@$texts) {
    @::fileobjnames = (); %::FILEATTRS = (); %::defAttrs = (); @::fileobjtypes = ();
    my $bytes = $t; utf8::encode($bytes);
    xCAT::DBobjUtils->readFileInput($bytes);
    my %attrs = %::FILEATTRS; my %defs = %::defAttrs;
    push @out, { names => [@::fileobjnames], objects => \%attrs, defaults => \%defs };
}
my $json = JSON::PP->new->canonical; print $json->encode(\@out);
