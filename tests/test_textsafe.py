"""vminv.textsafe: the one place hostile text is made safe for terminals, JSON on a terminal, and CSV."""

from __future__ import annotations

import csv
import io
import json
import unicodedata

import pytest

from vminv.textsafe import csv_cell, csv_text, json_bytes_shown_as_is, json_terminal_safe, terminal_safe

# One of each class a guest or engine can put into a value.
HOSTILE = {
    "ESC (CSI clear screen)": ("a\x1b[2Jb", "a\\x1b[2Jb"),
    "BEL": ("a\x07", "a\\x07"),
    "NUL": ("a\x00b", "a\\x00b"),
    "DEL": ("a\x7fb", "a\\x7fb"),
    "C1 CSI": ("a\x9b31mb", "a\\x9b31mb"),
    "C1 NEL": ("a\x85b", "a\\x85b"),
    "LF": ("web01\nkvm  evil", "web01\\nkvm  evil"),
    "CR": ("a\rb", "a\\rb"),
    "TAB": ("a\tb", "a\\tb"),
    "RLO": ("txt.\u202eexe", "txt.\\u202eexe"),
    "LRE": ("\u202aab", "\\u202aab"),
    "PDF": ("ab\u202c", "ab\\u202c"),
    "LRI": ("\u2066x\u2069", "\\u2066x\\u2069"),
    "FSI": ("\u2068x", "\\u2068x"),
    "ZWSP": ("web\u200b01", "web\\u200b01"),
    "ZWNJ": ("web\u200c01", "web\\u200c01"),
    "ZWJ": ("web\u200d01", "web\\u200d01"),
    "LRM": ("web\u200e01", "web\\u200e01"),
    "RLM": ("web\u200f01", "web\\u200f01"),
    "BOM": ("\ufeffweb01", "\\ufeffweb01"),
    "LINE SEPARATOR": ("a\u2028b", "a\\u2028b"),
    "PARAGRAPH SEPARATOR": ("a\u2029b", "a\\u2029b"),
    "WORD JOINER": ("a\u2060b", "a\\u2060b"),
    "ARABIC LETTER MARK": ("a\u061cb", "a\\u061cb"),
    "SOFT HYPHEN": ("a\u00adb", "a\\xadb"),
    "NBSP": ("web01\u00a0", "web01\\xa0"),
    "TAG LETTER (beyond the BMP)": ("a\U000e0041b", "a\\U000e0041b"),
    "lone surrogate (non-UTF-8 file name)": ("vm-\udce9.xml", "vm-\\udce9.xml"),
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_every_class_of_unsafe_character_is_escaped_visibly(name):
    raw, shown = HOSTILE[name]
    assert terminal_safe(raw) == shown
    assert terminal_safe(raw, keep_backslash=True) == shown


def test_the_result_is_one_printable_line_for_every_code_point():
    # Exhaustive over the BMP and the planes with format characters: whatever a value holds, the
    # result is printable (no control, no format character, no line break) and on one line.
    text = "".join(chr(c) for c in [*range(0x3000), *range(0xD800, 0x10000), *range(0xE0000, 0xE0080)])
    shown = terminal_safe(text)
    assert shown.isprintable()
    assert len(shown.splitlines()) == 1
    for char in shown:
        assert unicodedata.category(char) not in {"Cc", "Cf", "Cs", "Zl", "Zp"}


def test_printable_text_is_left_alone():
    for text in ("web01", "vm-größe", "虚拟机1", "/var/lib/libvirt/images/a b.qcow2", "rbd:pool/image", ""):
        assert terminal_safe(text) == text


def test_backslash_is_doubled_so_a_cell_reads_back_to_one_value():
    assert terminal_safe("a\\x1b") == "a\\\\x1b"  # four printable characters after the 'a'
    assert terminal_safe("a\x1b") == "a\\x1b"  # one ESC
    assert terminal_safe("a\\x1b") != terminal_safe("a\x1b")
    # Message lines keep a backslash (repr already doubled it) but never a control.
    assert terminal_safe("noderange '/web\\\\d+'", keep_backslash=True) == "noderange '/web\\\\d+'"
    assert terminal_safe("a\\b\x1b", keep_backslash=True) == "a\\b\\x1b"


def test_escaping_is_unambiguous_python_literal_syntax():
    # Every escaped cell is the body of a Python string literal that evaluates back to the value.
    for raw, _shown in HOSTILE.values():
        for value in (raw, raw + "\\", "\\" + raw, "\\x1b" + raw):
            if any(0xD800 <= ord(c) <= 0xDFFF for c in value):
                continue  # a lone surrogate cannot round-trip through a literal; shown escaped above
            assert eval('"' + terminal_safe(value).replace('"', '\\"') + '"') == value


def test_non_strings():
    assert terminal_safe(None) == ""
    assert terminal_safe(42) == "42"
    assert terminal_safe(-1.5) == "-1.5"


def test_json_keeps_exact_values_but_shows_no_raw_unsafe_character():
    values = {raw: raw for raw, _shown in HOSTILE.values()}
    values["cjk"] = "虚拟机1"
    text = json_terminal_safe(json.dumps(values, ensure_ascii=False, indent=2))
    assert json.loads(text) == values
    for line in text.splitlines():
        assert line.isprintable()
    assert "虚拟机1" in text  # readable characters stay readable
    assert "\\u202e" in text and "\\u007f" in text and "\\udb40\\udc41" in text


def _has_utf8(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


# A lone surrogate has no UTF-8 bytes: orjson refuses it before any check of its output.
@pytest.mark.parametrize("name", sorted(name for name, (raw, _) in HOSTILE.items() if _has_utf8(raw)))
def test_json_bytes_with_any_hostile_character_are_not_shown_as_is(name):
    raw, _shown = HOSTILE[name]
    text = json.dumps({"cjk": "虚拟机1", "value": raw}, ensure_ascii=False, indent=2)
    # json.dumps escapes C0 controls itself; everything it leaves raw must be caught.
    assert json_bytes_shown_as_is(text.encode("utf-8")) == (json_terminal_safe(text) == text)


def test_json_bytes_of_printable_text_in_any_script_are_shown_as_is():
    text = json.dumps({"a": "虚拟机1", "b": "größe", "c": "😀 ok", "d": "plain"}, ensure_ascii=False, indent=2)
    assert json_bytes_shown_as_is(text.encode("utf-8"))
    assert not json_bytes_shown_as_is((text + "\u202e").encode("utf-8"))


def test_json_of_plain_ascii_is_unchanged():
    text = json.dumps({"a": "b\\c", "n": [1, -2]}, indent=2)
    assert json_terminal_safe(text) is text


@pytest.mark.parametrize("text", ["=1+1", "+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1", "\n=1",
                                  "=HYPERLINK(\"http://x\",\"y\")", "-"])
def test_csv_text_cells_that_a_spreadsheet_would_evaluate_are_prefixed(text):
    assert csv_cell(text) == "'" + text


def test_csv_numbers_written_by_the_tool_stay_numbers():
    assert csv_cell(-3) == -3
    assert csv_cell(-0.5) == -0.5
    assert csv_cell(0) == 0
    assert csv_cell(None) == ""
    assert csv_cell("web01") == "web01"
    assert csv_cell("1024") == "1024"


def test_csv_text_round_trips_through_a_csv_reader():
    rows = [["=cmd|' /C calc'!A0", -3, "a\nb", None, "x,\"y\""]]
    text = csv_text(("name", "delta", "desc", "empty", "quoted"), rows)
    parsed = list(csv.reader(io.StringIO(text)))
    assert parsed == [["name", "delta", "desc", "empty", "quoted"],
                      ["'=cmd|' /C calc'!A0", "-3", "a\nb", "", "x,\"y\""]]
