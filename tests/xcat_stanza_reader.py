"""A stanza reader that follows xCAT's ``DBobjUtils.pm readFileInput`` rule by rule.

Written for the tests from reading that function (no xCAT code copied): every
stanza file vminv writes is read back with it, as ``mkdef -z`` would read it.

The rules, in readFileInput's order, per line (the file split on ``\\n`` only):

* blank lines and lines whose first non-space is ``#`` are skipped;
* a line ending in ``:`` (spaces after it allowed) is a header: the name is
  what stands before the last ``:``; a name holding ``=`` makes the header
  invalid, and every attribute line up to the next valid header is ignored;
* a header ``default-<word>`` (no further ``-``) starts the defaults of object
  type ``<word>``; the name ``default`` is listed as an object but its
  attributes are defaults too (of the last ``default-<word>`` type);
* other lines holding ``=`` are attributes once a valid header was seen: split
  at the first ``=``, both sides stripped, then one ``"`` (with spaces next to
  it) removed from each end of the value;
* any other line is an error that, like an invalid header, makes the reader
  ignore attribute lines until the next valid header;
* ``objtype=X`` copies the defaults of type X into the object, later
  attributes overriding them.

"Space" is Perl's ``\\s`` on bytes: space, tab, newline, CR, form feed, VT.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_SPACE = " \t\n\r\f\v"
_BLANK = re.compile(r"[ \t\n\r\f\v]*")
_COMMENT = re.compile(r"[ \t\n\r\f\v]*#")
_HEADER_END = re.compile(r":[ \t\n\r\f\v]*\Z")
_DEFAULTS = re.compile(r"default-([^-]+)")
_LEADING_QUOTE = re.compile(r'\A[ \t\n\r\f\v]*"[ \t\n\r\f\v]*')
_TRAILING_QUOTE = re.compile(r'[ \t\n\r\f\v]*"[ \t\n\r\f\v]*\Z')


@dataclass
class StanzaFile:
    names: list[str] = field(default_factory=list)  # @::fileobjnames
    objects: dict[str, dict[str, str]] = field(default_factory=dict)  # %::FILEATTRS
    defaults: dict[str | None, dict[str, str]] = field(default_factory=dict)  # %::defAttrs
    skipped_lines: int = 0  # lines the reader ignored as errors (or after one)


def read_stanza(text: str) -> StanzaFile:
    result = StanzaFile()
    look_for_colon = 1
    name: str | None = None
    objtype: str | None = None
    for line in text.split("\n"):
        if _BLANK.fullmatch(line) or _COMMENT.match(line):
            continue
        if _HEADER_END.search(line):
            look_for_colon = 0
            line = line.rstrip(_SPACE)
            head, _, junk = line.rpartition(":")
            if junk or "=" in head:
                look_for_colon += 1
                result.skipped_lines += 1
                continue
            name = head.strip(_SPACE)
            defaults = _DEFAULTS.fullmatch(name)
            if defaults:
                objtype, name = defaults.group(1), "default"
                continue
            result.names.append(name)
        elif "=" in line and not look_for_colon:
            attr, _, value = line.partition("=")
            attr, value = attr.strip(_SPACE), value.strip(_SPACE)
            value = _TRAILING_QUOTE.sub("", _LEADING_QUOTE.sub("", value, count=1), count=1)
            if name == "default":
                result.defaults.setdefault(objtype, {})[attr] = value
            else:
                assert name is not None
                attributes = result.objects.setdefault(name, {})
                attributes[attr] = value
                if attr == "objtype":
                    attributes.update(result.defaults.get(value, {}))
        else:
            look_for_colon += 1
            result.skipped_lines += 1
    return result
