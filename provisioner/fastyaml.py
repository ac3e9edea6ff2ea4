"""The fast way to read a YAML file: yaml-rs (a Rust YAML 1.2 parser) builds the values
several times faster than libyaml can compose nodes for `yamlsource` to build from.

It is taken only where it cannot read anything differently from the exact reader in
`yamlsource`, and only for the values: marks (file:line:column) are always re-read by the
exact reader when a finding needs them. A file is left to the exact reader (None is
returned) when its text holds anything the two readers could read differently or that the
exact reader refuses with its own message: tags, anchors and aliases, directives, block
scalars, escapes, tabs, characters outside YAML's printable set, merge keys, lines near
libyaml's length limit for keys, document markers with content, flow collections other
than one line of plain words and quoted strings; when yaml-rs fails for any reason; and
when the values hold a number (YAML 1.2 readers differ on `0X1F`, `1_000`, `0b11`,
`.naN`), a key that is not a string, an empty or null document, or nesting near the
limit. Everything else (strings, booleans, nulls, mappings and sequences) reads the same
in both, which `tests/test_fast_parse.py` checks file by file on the example orgs, the
hostile-input corpus, a generated org with mistakes, generated snippets and every text on
which a differential fuzz once found the two apart.
"""

from __future__ import annotations

import re
import sys
from typing import Any

from .limits import MAX_NESTING

try:
    import yaml_rs
except ImportError:  # pragma: no cover - a platform without its wheel reads everything exactly
    yaml_rs = None

# Characters whose presence anywhere sends the file to the exact reader.
_SLOW_CHARACTERS = ("\t", "\\", "\r", "\x85", "\u2028", "\u2029", "\ufeff", "<<")
# Patterns whose match anywhere does (one by one: a single alternation scans far slower),
# each searched only when the text holds a character its match must start with.
_ANCHOR_OR_TAG = re.compile(  # an anchor, alias or tag (and look-alikes); `&` before a Unicode space is one for yaml-rs
    r"[&*!](?<![^\s\[\]{},:?\-\"'][&*!])(?:(?<=!)|(?![ \t\n]))", re.M)
_MARKER_OR_DIRECTIVE = re.compile(  # a directive, a document end, a marker with content (`---#` is a key)
    r"\n(?:%|\.\.\.|---(?!(?:[ \t]+(?:#[^\n]*)?)?$))", re.M)
_BLOCK_SCALAR = re.compile(r"[|>](?<![^ \t:\-?\n][|>])[-+0-9]*[ \t]*(?:#[^\n]*)?$", re.M)  # (and look-alikes)
_NOT_PRINTABLE = re.compile(r"[^\n\x20-\x7e\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
# Flow collections (`[a, b]`, `{k: v}`): libyaml and yaml-rs part on `?`, `:`, `|`, `>`, `-`
# and `@` inside them, on empty entries and on collections spanning lines. A file is read
# fast only if each one, from its bracket to the end of its line, is one collection of plain
# words or quoted strings (one level of nesting), with no more on the line than a comment.
_PLAIN = r"[A-Za-z0-9_./][A-Za-z0-9_./@+=()\- ]*"
_QUOTED = r"\"[^\"\n]*\"|'(?:[^'\n]|'')*'"
_SCALAR = rf"(?:{_QUOTED}|{_PLAIN})"
_KEY = rf"(?:{_QUOTED}|[A-Za-z0-9_./][A-Za-z0-9_./@+=()\-]*)"


def _flow_sequence(item: str) -> str:
    return rf"\[ *(?:{item}(?: *, *{item})*)? *\]"


def _flow_mapping(value: str) -> str:
    return rf"\{{ *(?:{_KEY}: +{value}(?: *, *{_KEY}: +{value})*)? *\}}"


_FLOW_ITEM = rf"(?:{_flow_sequence(_SCALAR)}|{_flow_mapping(_SCALAR)}|{_SCALAR})"
_FLOW = re.compile(rf"(?:{_flow_sequence(_FLOW_ITEM)}|{_flow_mapping(_FLOW_ITEM)})(?: +#[^\n]*)? *")
_FLOW_START = re.compile(r"[\[{][^\n]*")
# libyaml refuses an implicit key longer than 1024 characters; yaml-rs need not.
_LONG_LINE = 1000
_MARKER = re.compile(r"---(?<![^\n]---)(?:[ \t]+(?:#[^\n]*)?)?$", re.M)  # `^---`, found by its literal
_CONTENT = re.compile(r"^[ \t]*[^\s#]", re.M)
_BLANK_OR_MARK = frozenset(("", " ", "\t", "\n", "#", "-"))
_LIMIT_DEPTH = MAX_NESTING - 2  # deeper files are measured by the exact reader (yaml-rs stops at 256)
_SHORT = 24  # strings shorter than this are interned
_intern = sys.intern


def available() -> bool:
    return yaml_rs is not None


def documents(text: str) -> list[tuple[int, int, int, Any]] | None:
    """(index, 0-based first line, offset of that line, value) of each non-empty document
    of `text`, as the exact reader would number and read them; None when the file must be
    read exactly."""
    if yaml_rs is None or _needs_exact_reader(text):
        return None
    regions = _regions(text)
    try:
        loaded = yaml_rs.loads(text, parse_datetime=False)
    except Exception:  # noqa: BLE001 - any failure: the exact reader says what is wrong
        return None
    if not regions:
        return [] if loaded is None else None
    if len(regions) == 1:
        values = [loaded]
    elif type(loaded) is list and len(loaded) == len(regions):
        values = loaded
    else:
        return None
    out = []
    for index, ((first, offset, content), value) in enumerate(zip(regions, values)):
        if not content:  # an empty document: skipped, as the exact reader skips it
            if value is not None:
                return None
            continue
        if type(value) is not dict:
            return None
        try:
            out.append((index, first, offset, _compact(value)))
        except _NotPlain:
            return None
    return out


def _needs_exact_reader(text: str) -> bool:
    if any(c in text for c in _SLOW_CHARACTERS):
        return True
    end = text.find("\n")
    head = "\n" + (text if end < 0 else text[:end])  # the first line, as the pattern sees every other
    if _MARKER_OR_DIRECTIVE.search(text) or _MARKER_OR_DIRECTIVE.match(head):
        return True
    if ("&" in text or "*" in text or "!" in text) and _ANCHOR_OR_TAG.search(text):
        return True
    if ("|" in text or ">" in text) and _BLOCK_SCALAR.search(text):
        return True
    if not text.replace("\n", "").isprintable() if text.isascii() else _NOT_PRINTABLE.search(text):
        return True  # (in ASCII, YAML's printable set is str.isprintable's, with line breaks)
    if max(map(len, text.split("\n"))) >= _LONG_LINE:
        return True
    if "[" in text or "{" in text:  # each line's collections once, however many lines repeat them
        full = _FLOW.fullmatch
        return any(full(found) is None for found in set(_FLOW_START.findall(text)))
    return False


def _regions(text: str) -> list[tuple[int, int, bool]]:
    """(0-based first line, its offset, holds content) of each document, as the markers
    delimit them: the text before the first marker is a document only when it holds content."""
    markers = list(_MARKER.finditer(text))
    if not markers:
        return [(0, 0, True)] if _CONTENT.search(text) else []
    regions = [(0, 0, True)] if _CONTENT.search(text, 0, markers[0].start()) else []
    line, previous = 0, 0
    for i, marker in enumerate(markers):
        line += text.count("\n", previous, marker.start())
        previous = marker.start()
        end = markers[i + 1].start() if i + 1 < len(markers) else len(text)
        after = text[marker.end() + 1:marker.end() + 2]  # the usual case: a key right on the next line
        content = (after not in _BLANK_OR_MARK) or _CONTENT.search(text, marker.end(), end) is not None
        regions.append((line + 1, marker.end() + 1, content))
    return regions


class _NotPlain(Exception):
    pass


def _compact(value: dict | list, depth: int = 1) -> dict | list:
    """The document with every key and every short string interned (a large org repeats
    `kind`, `email`, office ids and permission names hundreds of thousands of times: one
    string each halves the memory its values take): mappings rebuilt (a key cannot be
    replaced in place), sequences changed in place (the reader's own, shared with nothing).
    Raises _NotPlain for anything but strings, booleans, nulls, string-keyed mappings and
    sequences, and for nesting near the limit."""
    if depth > _LIMIT_DEPTH:
        raise _NotPlain
    if type(value) is dict:
        out = {}
        for key, child in value.items():
            kind = type(child)
            if kind is str:
                if len(child) < _SHORT:
                    child = _intern(child)
            elif kind is dict or kind is list:
                child = _compact(child, depth + 1)
            elif kind is not bool and child is not None:
                raise _NotPlain
            try:
                out[_intern(key)] = child  # intern() takes nothing but text
            except TypeError:
                raise _NotPlain from None
        return out
    for i, child in enumerate(value):
        kind = type(child)
        if kind is str:
            if len(child) < _SHORT:
                value[i] = _intern(child)
        elif kind is dict or kind is list:
            value[i] = _compact(child, depth + 1)
        elif kind is not bool and child is not None:
            raise _NotPlain
    return value
