"""Parse one YAML text into plain documents that remember where every value stood.

YAML 1.2 core semantics (`no`, `on`, `010`, `1:30` stay what they look like in 1.2),
duplicate keys rejected naming both lines, only string keys, a bound on alias expansion
("billion laughs"), no custom tags. Knows nothing about kinds or schemas.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, NamedTuple

import yaml
from yaml.composer import Composer
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from yaml.parser import Parser
from yaml.reader import Reader
from yaml.resolver import BaseResolver
from yaml.scanner import Scanner

from .diagnostics import Diagnostic, Path, Severity, error

# Nodes an alias may expand to, per file, before the file is refused.
ALIAS_EXPANSION_LIMIT = 10_000

STR = "tag:yaml.org,2002:str"
INT = "tag:yaml.org,2002:int"
FLOAT = "tag:yaml.org,2002:float"
BOOL = "tag:yaml.org,2002:bool"
NULL = "tag:yaml.org,2002:null"
MAP = "tag:yaml.org,2002:map"
SEQ = "tag:yaml.org,2002:seq"


class CoreResolver(BaseResolver):
    """The YAML 1.2 core schema: the only implicit types are null, bool, int, float."""


CoreResolver.add_implicit_resolver(
    BOOL, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)
CoreResolver.add_implicit_resolver(
    INT, re.compile(r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$"), list("-+0123456789")
)
CoreResolver.add_implicit_resolver(
    FLOAT,
    re.compile(
        r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
        r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"
    ),
    list("-+0123456789."),
)
CoreResolver.add_implicit_resolver(NULL, re.compile(r"^(?:~|null|Null|NULL|)$"), ["~", "n", "N", ""])


class _PyComposer(Reader, Scanner, Parser, Composer, CoreResolver):
    def __init__(self, text: str) -> None:
        Reader.__init__(self, text)
        Scanner.__init__(self)
        Parser.__init__(self)
        Composer.__init__(self)
        CoreResolver.__init__(self)


try:  # libyaml's parser, when PyYAML was built with it: same nodes and marks, several times faster
    from yaml._yaml import CParser

    class _CComposer(CParser, CoreResolver):
        def __init__(self, text: str) -> None:
            CParser.__init__(self, text)
            CoreResolver.__init__(self)

    _Composer = _CComposer
except ImportError:  # pragma: no cover - pure-Python PyYAML
    _Composer = _PyComposer


class Mark(NamedTuple):
    """1-based position of a value (and of its key, when it is a mapping value)."""

    line: int
    column: int
    key_line: int | None = None
    key_column: int | None = None
    raw: str | None = None  # the scalar as written, for messages about YAML's reading
    plain: bool = False  # an unquoted scalar


@dataclass(frozen=True)
class Document:
    file: str
    index: int
    data: Any
    marks: dict[Path, Mark]

    def mark(self, path: Path) -> Mark | None:
        """The mark of `path`, or of its nearest located ancestor."""
        while True:
            found = self.marks.get(path)
            if found is not None or not path:
                return found
            path = path[:-1]


class _Refused(Exception):
    def __init__(self, diagnostic: Diagnostic) -> None:
        self.diagnostic = diagnostic


def _at(file: str, mark: yaml.Mark | None) -> dict:
    return {"file": file, "line": mark.line + 1 if mark else None, "column": mark.column + 1 if mark else None}


def _located(code: str, message: str, file: str, mark: yaml.Mark | None, subject: str | None = None) -> Diagnostic:
    pos = _at(file, mark)
    d = error(code, message, subject=subject)
    return Diagnostic(pos["file"], pos["line"], pos["column"], d.code, d.severity, d.message, subject)


class _Builder:
    def __init__(self, file: str) -> None:
        self.file = file
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
        self.marks[path] = self._mark(node, key_node)
        self.active.add(ident)
        try:
            if isinstance(node, MappingNode):
                value = self._mapping(node, path, in_alias)
            elif isinstance(node, SequenceNode):
                value = [self.build(item, path + (i,), None, in_alias) for i, item in enumerate(node.value)]
            else:
                value = self._scalar(node)
        finally:
            self.active.discard(ident)
            self.done.add(ident)
        return value

    def _mark(self, node: Node, key_node: Node | None) -> Mark:
        sm = node.start_mark
        raw = node.value if isinstance(node, ScalarNode) else None
        plain = isinstance(node, ScalarNode) and not node.style  # None (Python) or '' (libyaml)
        if key_node is not None:
            km = key_node.start_mark
            return Mark(sm.line + 1, sm.column + 1, km.line + 1, km.column + 1, raw, plain)
        return Mark(sm.line + 1, sm.column + 1, None, None, raw, plain)

    def _mapping(self, node: MappingNode, path: Path, in_alias: bool) -> dict:
        if node.tag not in (MAP,):
            raise _Refused(_located("YAML006", f"unsupported tag {node.tag!r}", self.file, node.start_mark))
        out: dict[str, Any] = {}
        first_seen: dict[str, Node] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, ScalarNode) or key_node.tag != STR:
                shown = key_node.value if isinstance(key_node, ScalarNode) else "a collection"
                raise _Refused(_located(
                    "YAML003",
                    f"mapping keys must be strings; {shown!r} is read as "
                    f"{_type_name(key_node)} (quote it)",
                    self.file, key_node.start_mark))
            key = key_node.value
            if key in first_seen:
                first = first_seen[key].start_mark.line + 1
                raise _Refused(_located(
                    "YAML002",
                    f"duplicate key {key!r}: first defined on line {first}, again on line "
                    f"{key_node.start_mark.line + 1}",
                    self.file, key_node.start_mark))
            first_seen[key] = key_node
            out[key] = self.build(value_node, path + (key,), key_node, in_alias)
        return out

    def _scalar(self, node: ScalarNode) -> Any:
        tag, text = node.tag, node.value
        if tag == STR:
            return text
        if tag == NULL:
            return None
        if tag == BOOL:
            return text.lower() == "true"
        if tag == INT:
            if text.startswith("0o"):
                return int(text[2:], 8)
            if text.startswith("0x"):
                return int(text[2:], 16)
            return int(text, 10)
        if tag == FLOAT:
            return float(text.replace(".inf", "inf").replace(".Inf", "inf").replace(".INF", "inf")
                         .replace(".nan", "nan").replace(".NaN", "nan").replace(".NAN", "nan"))
        raise _Refused(_located("YAML006", f"unsupported tag {tag!r}", self.file, node.start_mark))


def _type_name(node: Node) -> str:
    if not isinstance(node, ScalarNode):
        return "a collection"
    return {INT: "a number", FLOAT: "a number", BOOL: "a boolean", NULL: "null"}.get(node.tag, node.tag)


def _char_at(text: str, line: int, column: int) -> str | None:
    lines = text.split("\n", line + 1)
    if line < len(lines) and column < len(lines[line]):
        return lines[line][column]
    return None


def parse(text: str, file: str) -> tuple[list[Document], list[Diagnostic]]:
    """Parse every document of `text`. On the first structural problem the whole file is
    refused (returns no documents) with one located diagnostic."""
    docs: list[Document] = []
    composer = None
    try:
        composer = _Composer(text)
        index = 0
        while composer.check_node():
            node = composer.get_node()
            # An empty document (a trailing `---`, or one whose every line is commented out)
            # holds nothing; it is skipped like an empty file.
            if node is not None and not (isinstance(node, ScalarNode) and node.tag == NULL and not node.value):
                builder = _Builder(file)
                data = builder.build(node, ())
                docs.append(Document(file, index, data, builder.marks))
            index += 1
    except _Refused as refused:
        return [], [refused.diagnostic]
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or "invalid YAML"
        if mark is not None and _char_at(text, mark.line, mark.column) == "\t":
            return [], [_located("YAML001", "a tab character where YAML expects indentation or a value: "
                                 "YAML indents with spaces only", file, mark)]
        if exc.context:
            problem = f"{problem} ({exc.context})"
        return [], [_located("YAML001", f"YAML syntax error: {problem}", file, mark)]
    except yaml.reader.ReaderError as exc:  # control characters and the like
        line = text.count("\n", 0, exc.position) + 1
        column = exc.position - (text.rfind("\n", 0, exc.position) + 1) + 1
        return [], [Diagnostic(file, line, column, "YAML001", Severity.ERROR,
                               f"character #x{exc.character:04x} is not allowed in YAML", None)]
    except yaml.YAMLError as exc:
        mark = getattr(exc, "mark", None) or None
        return [], [_located("YAML001", f"YAML error: {exc}", file, mark)]
    finally:
        if composer is not None and hasattr(composer, "dispose"):
            composer.dispose()
    return docs, []
