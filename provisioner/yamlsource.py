"""Parse one YAML text into plain documents that remember where every value stood.

YAML 1.2 core semantics (`no`, `on`, `010`, `1:30` stay what they look like in 1.2),
duplicate keys rejected naming both lines, only string keys, bounds on alias expansion
("billion laughs"), nesting (checked before composing) and number length, no custom tags
on any node. Knows nothing about kinds or schemas.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode

from . import fastyaml
from .diagnostics import Diagnostic, Path, Severity, error
from .limits import COMPOSE_SAFE_NESTING, MAX_INT_DIGITS, MAX_NESTING, nesting_upper_bound
from .records import quick
from .textlines import LineMap, hide_extra_breaks
from .yamlcore import (  # noqa: F401
    _CORE_PATTERNS, BOOL, FLOAT, INT, MAP, NULL, SEQ, STR, CoreResolver, _Composer, _PyComposer,
)

# Nodes an alias may expand to, per file, before the file is refused.
ALIAS_EXPANSION_LIMIT = 10_000


class Mark(NamedTuple):
    """1-based position of a value (and of its key, when it is a mapping value)."""

    line: int
    column: int
    key_line: int | None = None
    key_column: int | None = None
    raw: str | None = None  # the scalar as written, for messages about YAML's reading
    plain: bool = False  # an unquoted scalar


@quick
@dataclass(frozen=True, slots=True)
class Document:
    file: str
    index: int
    data: Any
    marks: dict[Path, Mark]

    def without_data(self) -> "Document":
        """The same document with its values let go (its marks kept for locating findings);
        `replace(doc, data=None)` at a fraction of the cost, made for every document of an org."""
        return Document(self.file, self.index, None, self.marks)

    def mark(self, path: Path) -> Mark | None:
        """The mark of `path`, or of its nearest located ancestor."""
        while True:
            found = self.marks.get(path)
            if found is not None or not path:
                return found
            path = path[:-1]


# The marks of the documents located last, kept for the next finding in the same document;
# any other is read again when asked for (a large org's warnings would otherwise keep the
# marks of thousands of documents for the whole run).
_RECENT: OrderedDict[int, tuple["LazyMarks", dict]] = OrderedDict()
RECENT_MARKS = 256


class LazyMarks(Mapping):
    """A document's marks, computed on use by `compute` (re-reading its file with marks);
    most documents have no finding and are never located, so they never pay."""

    __slots__ = ("_compute",)

    def __init__(self, compute) -> None:
        self._compute = compute

    def _get(self) -> dict[Path, Mark]:
        key = id(self)
        entry = _RECENT.get(key)
        if entry is not None and entry[0] is self:
            _RECENT.move_to_end(key)
            return entry[1]
        marks = self._compute()
        _RECENT[key] = (self, marks)
        if len(_RECENT) > RECENT_MARKS:
            _RECENT.popitem(last=False)
        return marks

    def __getitem__(self, path: Path) -> Mark:
        return self._get()[path]

    def get(self, path, default=None):
        return self._get().get(path, default)

    def __iter__(self):
        return iter(self._get())

    def __len__(self) -> int:
        return len(self._get())

    def items(self):
        return self._get().items()


class _Refused(Exception):
    def __init__(self, diagnostic: Diagnostic) -> None:
        self.diagnostic = diagnostic


_LINES = LineMap("")  # the marks' own numbering; parse() sets the file's


def _located(code: str, message: str, file: str, mark: yaml.Mark | None, subject: str | None = None,
             lines: LineMap = _LINES) -> Diagnostic:
    line, column = lines(mark.line, mark.column) if mark else (None, None)
    d = error(code, message, subject=subject)
    return Diagnostic(file, line, column, d.code, d.severity, d.message, subject)


def _shown(text: str, width: int = 40) -> str:
    return text if len(text) <= width else text[:width] + "…"


def _too_deep(file: str, mark, lines: LineMap) -> _Refused:
    return _Refused(_located("YAML007", f"collections nested more than {MAX_NESTING} levels deep; refusing "
                             "the file (flatten the structure)", file, mark, lines=lines))


def _check_nesting(text: str, file: str, lines: LineMap) -> None:
    """Scan libyaml's event stream (iterative, cheap) for nesting deeper than MAX_NESTING,
    so that the recursive composer never sees it: at 100,000 levels libyaml segfaults."""
    parser = _Composer(text)
    depth = 0
    try:
        while (event := parser.get_event()) is not None:
            kind = type(event)
            if kind is yaml.MappingStartEvent or kind is yaml.SequenceStartEvent:
                depth += 1
                if depth > MAX_NESTING:
                    raise _too_deep(file, event.start_mark, lines)
            elif kind is yaml.MappingEndEvent or kind is yaml.SequenceEndEvent:
                depth -= 1
            elif kind is yaml.StreamEndEvent:
                return
    except yaml.MarkedYAMLError as exc:
        # libyaml from 0.2.6 (PyYAML 6.0.4) refuses deep flow nesting itself while scanning
        # ahead, before the events reach the depth above: the same finding, where it stopped.
        if "maximum nesting depth" in str(exc.problem) and exc.problem_mark is not None:
            raise _too_deep(file, exc.problem_mark, lines) from None
        raise
    finally:
        if hasattr(parser, "dispose"):
            parser.dispose()


class _Builder:
    def __init__(self, file: str, lines: LineMap = _LINES, restore: dict | None = None,
                 with_marks: bool = True, line_offset: int = 0) -> None:
        self.file = file
        self.with_marks = with_marks
        self.offset = line_offset
        self.lines = lines
        self.restore = restore
        self.depth = 0
        self.marks: dict[Path, Mark] = {}
        self.done: set[int] = set()
        self.active: set[int] = set()
        self.expanded = 0

    def build(self, node: Node, path: Path, key_node: Node | None = None, in_alias: bool = False) -> Any:
        ident = id(node)
        if ident in self.active:
            raise _Refused(_located("YAML004", "recursive alias: a node contains itself", self.file, node.start_mark))
        if ident in self.done and not isinstance(node, ScalarNode):
            in_alias = True
        if in_alias:
            self.expanded += 1
            if self.expanded > ALIAS_EXPANSION_LIMIT:
                raise _Refused(_located(
                    "YAML004",
                    f"aliases expand to more than {ALIAS_EXPANSION_LIMIT} nodes; "
                    "refusing the file (a 'billion laughs' document?)",
                    self.file, node.start_mark))
        if self.with_marks:
            self.marks[path] = self._mark(node, key_node)
        if isinstance(node, ScalarNode):
            return self._scalar(node)
        if node.tag != (MAP if isinstance(node, MappingNode) else SEQ):
            raise self._refuse("YAML006", f"unsupported tag {_shown(node.tag)!r}", node)
        self.depth += 1
        if self.depth > MAX_NESTING:
            raise _too_deep(self.file, node.start_mark, self.lines)
        self.active.add(ident)
        try:
            if isinstance(node, MappingNode):
                value = self._mapping(node, path, in_alias)
            else:
                value = [self.build(item, path + (i,), None, in_alias) for i, item in enumerate(node.value)]
        finally:
            self.active.discard(ident)
            self.done.add(ident)
            self.depth -= 1
        return value

    def _text(self, text: str) -> str:
        return text if self.restore is None else text.translate(self.restore)

    def _refuse(self, code: str, message: str, node: Node) -> _Refused:
        return _Refused(_located(code, message, self.file, node.start_mark, lines=self.lines))

    def _mark(self, node: Node, key_node: Node | None) -> Mark:
        sm = node.start_mark
        scalar = isinstance(node, ScalarNode)
        raw = (node.value if self.restore is None else node.value.translate(self.restore)) if scalar else None
        plain = scalar and not node.style  # None (Python) or '' (libyaml)
        if self.lines.table is None:  # the common case, without a call per position
            if key_node is None:
                return Mark(sm.line + self.offset + 1, sm.column + 1, None, None, raw, plain)
            km = key_node.start_mark
            return Mark(sm.line + self.offset + 1, sm.column + 1, km.line + self.offset + 1, km.column + 1, raw, plain)
        line, column = self.lines(sm.line, sm.column)
        if key_node is not None:
            km = key_node.start_mark
            return Mark(line, column, *self.lines(km.line, km.column), raw, plain)
        return Mark(line, column, None, None, raw, plain)

    def _mapping(self, node: MappingNode, path: Path, in_alias: bool) -> dict:
        out: dict[str, Any] = {}
        first_seen: dict[str, Node] = {}
        for key_node, value_node in node.value:
            if key_node.tag not in (STR, INT, FLOAT, BOOL, NULL, MAP, SEQ):
                raise self._refuse("YAML006", f"unsupported tag {_shown(key_node.tag)!r}", key_node)
            if not isinstance(key_node, ScalarNode) or key_node.tag != STR:
                shown = _shown(key_node.value) if isinstance(key_node, ScalarNode) else "a collection"
                raise self._refuse("YAML003", f"mapping keys must be strings; {shown!r} is read as "
                                   f"{_type_name(key_node)} (quote it)", key_node)
            key = self._text(key_node.value)
            if key in first_seen:
                first = self.lines(first_seen[key].start_mark.line, 0)[0]
                again = self.lines(key_node.start_mark.line, 0)[0]
                raise self._refuse("YAML002", f"duplicate key {_shown(key)!r}: first defined on line {first}, "
                                   f"again on line {again}", key_node)
            first_seen[key] = key_node
            out[key] = self.build(value_node, path + (key,), key_node, in_alias)
        return out

    def _scalar(self, node: ScalarNode) -> Any:
        tag, text = node.tag, node.value
        if tag == STR:
            return self._text(text)
        pattern = _CORE_PATTERNS.get(tag)
        if pattern is None:
            raise self._refuse("YAML006", f"unsupported tag {_shown(tag)!r}", node)
        if not pattern.match(text):  # an explicit `!!int abc`
            raise self._refuse("YAML006", f"{_shown(text)!r} is not what the tag {tag!r} describes", node)
        if tag == INT and len(text.lstrip("+-")) > MAX_INT_DIGITS and not text.startswith(("0o", "0x")):
            raise self._refuse("YAML008", f"a number of {len(text.lstrip('+-'))} digits; numbers here have at most "
                               f"{MAX_INT_DIGITS} digits (quote it if it is text)", node)
        if tag == NULL:
            return None
        if tag == BOOL:
            return text.lower() == "true"
        if tag == INT:
            if not text.startswith(("0o", "0x")):
                return int(text, 10)
            value = int(text[2:], 8 if text[1] == "o" else 16)
            if value >= 10 ** MAX_INT_DIGITS:  # in decimal (as every report writes it), past the limit too
                raise self._refuse("YAML008", f"{_shown(text)!r} is a number of more than {MAX_INT_DIGITS} digits; "
                                   f"numbers here have at most {MAX_INT_DIGITS} digits (quote it if it is text)",
                                   node)
            return value
        if tag == FLOAT:
            number = float(text.replace(".inf", "inf").replace(".Inf", "inf").replace(".INF", "inf")
                           .replace(".nan", "nan").replace(".NaN", "nan").replace(".NAN", "nan"))
            if not math.isfinite(number):  # `.inf`, `.nan`, `1e999`: no limit or count is either
                raise self._refuse("YAML008", f"{_shown(text)!r} is not a finite number; numbers here are finite "
                                   "(quote it if it is text)", node)
            return number
        raise self._refuse("YAML006", f"unsupported tag {_shown(tag)!r}", node)


def _type_name(node: Node) -> str:
    if not isinstance(node, ScalarNode):
        return "a collection"
    return {INT: "a number", FLOAT: "a number", BOOL: "a boolean", NULL: "null"}.get(node.tag, node.tag)


def _char_at(text: str, line: int, column: int) -> str | None:
    lines = text.split("\n", line + 1)
    if line < len(lines) and column < len(lines[line]):
        return lines[line][column]
    return None


_BOUNDED = object()  # kept instead of a document's value: its bounds are known to be exact


class _FileMarks:
    """The marks of the documents of one file, from a second reading with marks (the same
    composer, text and checks as the first, so the same nodes at the same places). A file
    broken only by `\\n` is re-read one document at a time, from the line its value starts
    on; the document read must equal the one kept, else (and for any other file) the whole
    file is re-read."""

    def __init__(self, text: str, file: str, lines: LineMap, restore: dict | None, composer_class) -> None:
        self.args = (text, file, lines, restore, composer_class)
        self.by_index: dict[int, dict[Path, Mark]] | None = None
        # (index, first line, offset of that line, data) of each document kept
        self.starts: list[tuple[int, int, int, Any]] = []
        self.plain = lines.table is None and restore is None and not any(c in text for c in "\r\x85\u2028\u2029")
        self._cursor = (0, 0)  # a line and its offset, for documents kept without one
        self._where: dict[int, int] | None = None

    def keep(self, index: int, line: int, data: Any, offset: int | None = None) -> None:
        if not self.plain:
            return
        if offset is None:  # documents come in order: walk on from the last one
            at, offset = self._cursor
            text = self.args[0]
            while at < line:
                offset = text.index("\n", offset) + 1
                at += 1
            self._cursor = (at, offset)
        self.starts.append((index, line, offset, data))
        self._where = None

    def of(self, index: int):
        def compute() -> dict[Path, Mark]:
            if self.by_index is None and self.plain:
                found = self._one(index)
                if found is not None:
                    return found
            # The whole file, as the exact reader reads it; no marks (never an error) if it
            # holds no such document, so a finding is still reported, by file alone.
            return self._whole().get(index, {})
        return compute

    def _whole(self) -> dict[int, dict[Path, Mark]]:
        if self.by_index is None:
            docs, _ = _parse(*self.args, with_marks=True)
            self.by_index = {d.index: d.marks for d in docs}
            self.starts, self._where = [], None
        return self.by_index

    def _one(self, index: int) -> dict[Path, Mark] | None:
        text, file, lines, restore, composer_class = self.args
        if self._where is None:  # index → place in `starts`, made once (a file holds hundreds of documents)
            self._where = {kept[0]: i for i, kept in enumerate(self.starts)}
        at = self._where.get(index)
        if at is None:
            return None
        _, first, start, data = self.starts[at]
        end = self.starts[at + 1][2] if at + 1 < len(self.starts) else len(text)
        part = text[start:end]
        composer = composer_class(part)
        try:
            node = composer.get_node() if composer.check_node() else None
            if node is None:
                return None
            builder = _Builder(file, lines, restore, True, line_offset=first)
            if builder.build(node, ()) != data and data is not _BOUNDED:
                return None
        except (_Refused, yaml.YAMLError, RecursionError):
            return None
        finally:
            if hasattr(composer, "dispose"):
                composer.dispose()
        return builder.marks


def parse(text: str, file: str, *, marks: str = "lazy") -> tuple[list[Document], list[Diagnostic]]:
    """Parse every document of `text`. On the first structural problem the whole file is
    refused (returns no documents) with one located diagnostic. Each value's mark is kept
    (`marks="eager"`) or, by default, read again from the file when first asked for; then
    a file `fastyaml` can read exactly is read by it, and every other by libyaml here.
    `marks="exact"` reads every file here, its marks read when first asked for."""
    if marks not in ("lazy", "eager", "exact"):
        raise ValueError(f"marks={marks!r}: lazy, eager or exact")
    text, restore = hide_extra_breaks(text)
    if marks == "lazy" and restore is None and (found := fastyaml.documents(text)) is not None:
        return fast_documents(text, file, found), []
    return _parse(text, file, LineMap(text), restore, _Composer, with_marks=marks == "eager")


def read_fast(text: str) -> list | None:
    """What `parse` reads of `text` with the fast reader (`fastyaml.documents`: index, first
    line, offset and value of each document), or None when it reads `text` otherwise."""
    hidden, restore = hide_extra_breaks(text)
    return fastyaml.documents(hidden) if restore is None else None


def fast_documents(text: str, file: str, found: list) -> list[Document]:
    """The documents `parse` makes of what the fast reader read of `text` (`read_fast`)."""
    lazy = _FileMarks(text, file, LineMap(text), None, _Composer)
    docs = []
    for index, first, offset, data in found:
        # No value to compare a re-read with: the fast reader's documents are bounded by
        # plain `---` lines, with no directive, tag or anchor that could cross them.
        lazy.keep(index, first, _BOUNDED, offset)
        docs.append(Document(file, index, data, LazyMarks(lazy.of(index))))
    return docs


def _parse(text: str, file: str, lines: LineMap, restore: dict | None, composer_class,
           with_marks: bool) -> tuple[list[Document], list[Diagnostic]]:
    docs: list[Document] = []
    composer = None
    lazy = None if with_marks else _FileMarks(text, file, lines, restore, composer_class)
    try:
        if nesting_upper_bound(text) > COMPOSE_SAFE_NESTING:
            _check_nesting(text, file, lines)
        composer = composer_class(text)
        index = 0
        while composer.check_node():
            node = composer.get_node()
            # An empty document (a trailing `---`, or one whose every line is commented out)
            # holds nothing; it is skipped like an empty file.
            if node is not None and not (isinstance(node, ScalarNode) and node.tag == NULL and not node.value):
                builder = _Builder(file, lines, restore, with_marks)
                data = builder.build(node, ())
                if lazy is not None:
                    lazy.keep(index, node.start_mark.line, data)
                docs.append(Document(file, index, data, builder.marks if lazy is None else LazyMarks(lazy.of(index))))
            index += 1
    except _Refused as refused:
        return [], [refused.diagnostic]
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or "invalid YAML"
        if mark is not None and _char_at(text, mark.line, mark.column) == "\t":
            return [], [_located("YAML001", "a tab character where YAML expects indentation or a value: "
                                 "YAML indents with spaces only", file, mark, lines=lines)]
        if exc.context:
            problem = f"{problem} ({exc.context})"
        return [], [_located("YAML001", f"YAML syntax error: {problem}", file, mark, lines=lines)]
    except yaml.reader.ReaderError as exc:  # control characters and the like
        line = text.count("\n", 0, exc.position) + 1
        column = exc.position - (text.rfind("\n", 0, exc.position) + 1) + 1
        return [], [Diagnostic(file, line, column, "YAML001", Severity.ERROR,
                               f"character #x{exc.character:04x} is not allowed in YAML", None)]
    except yaml.YAMLError as exc:
        mark = getattr(exc, "mark", None) or None
        return [], [_located("YAML001", f"YAML error: {exc}", file, mark, lines=lines)]
    except RecursionError:  # only the pure-Python composer recurses before the bound applies
        return [], [Diagnostic(file, None, None, "YAML007", Severity.ERROR,
                               f"collections nested more than {MAX_NESTING} levels deep; refusing the file", None)]
    finally:
        if composer is not None and hasattr(composer, "dispose"):
            composer.dispose()
    return docs, []
