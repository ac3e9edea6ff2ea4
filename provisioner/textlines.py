"""Line numbers as a reader of the file counts them, in one place.

YAML 1.2 breaks lines only at LF, CR and CRLF; libyaml (a YAML 1.1 reader) and Python's
`str.splitlines` also break at NEL, U+2028 and U+2029, which would shift every line
number after one. `split_lines` and `LineMap` undo that; `remap` moves the marks of parsed
documents and their diagnostics (e.g. from rendered template text back to the template).
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Callable

_REAL = re.compile(r"\r\n|\r|\n")
_YAML11 = re.compile(r"\r\n|[\r\n\x85\u2028\u2029]")
_EXTRA = ("\x85", "\u2028", "\u2029")

# (1-based line, 1-based column or None) -> the same, somewhere else
Mover = Callable[[int, "int | None"], "tuple[int, int | None]"]


# Stand-ins (private use) that libyaml reads as ordinary characters, one per extra break.
_STAND_INS = {"\x85": "\uf8f0", "\u2028": "\uf8f1", "\u2029": "\uf8f2"}


def hide_extra_breaks(text: str) -> tuple[str, dict | None]:
    """`text` with NEL, U+2028 and U+2029 swapped for stand-ins, so that a YAML 1.1 reader
    neither breaks lines nor folds scalars there, and the table that swaps them back in
    the values read (None when nothing was swapped: then `LineMap` corrects the marks)."""
    if not any(c in text for c in _EXTRA) or any(c in text for c in _STAND_INS.values()):
        return text, None
    return text.translate(str.maketrans(_STAND_INS)), str.maketrans({v: k for k, v in _STAND_INS.items()})


def split_lines(text: str) -> list[str]:
    """The lines of `text`, broken only where YAML 1.2 breaks them."""
    lines = text.split("\n") if "\r" not in text else _REAL.split(text)  # the same lines, four times faster
    if lines and lines[-1] == "":
        lines.pop()
    return lines


class LineMap:
    """Turn a 0-based (line, column) counted by a YAML 1.1 reader into 1-based real ones."""

    def __init__(self, text: str) -> None:
        self.table: list[tuple[int, int]] | None = None
        if not any(c in text for c in _EXTRA):
            return
        table, real_line, real_start = [(0, 0)], 0, 0
        for m in _YAML11.finditer(text):
            if m.group() in ("\r\n", "\r", "\n"):
                real_line, real_start = real_line + 1, m.end()
            table.append((real_line, m.end() - real_start))
        self.table = table

    def __call__(self, line: int, column: int) -> tuple[int, int]:
        if self.table is None or not 0 <= line < len(self.table):
            return line + 1, column + 1
        real, offset = self.table[line]
        return real + 1, column + offset + 1


def remap(documents: list, diagnostics: list, move: Mover) -> tuple[list, list]:
    """Documents and diagnostics with every line (and column) passed through `move`."""
    docs = []
    for doc in documents:
        marks = {}
        for path, mark in doc.marks.items():
            line, column = move(mark.line, mark.column)
            key_line, key_column = (move(mark.key_line, mark.key_column) if mark.key_line is not None
                                    else (None, None))
            marks[path] = mark._replace(line=line, column=column, key_line=key_line, key_column=key_column)
        docs.append(replace(doc, marks=marks))
    diags = []
    for d in diagnostics:
        if d.line is not None:
            line, column = move(d.line, d.column)
            d = replace(d, line=line, column=column)
        diags.append(d)
    return docs, diags
