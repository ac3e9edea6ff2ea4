"""Read an org folder: find its files, decode them, render `.yaml.j2` templates and parse
every document. I/O lives here; modelling happens later, and so do the schema checks,
except that a large org (from SPLIT_FROM bytes) is read on two cores: a child process
reads the second half of the files and checks their schemas while this one reads the
first half and checks its own, and `check_documents` skips what passed.

Files are read in sorted order so results never depend on the file system.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from .beside import AVAILABLE, Beside
from .diagnostics import Diagnostic, Severity
from .orgfiles import TEMPLATE_SUFFIXES, YAML_SUFFIXES, Refused, display_path, read_file, refusal, walk  # noqa: F401
from .textlines import remap, split_lines
from .readcache import ReadCache
from .schemacheck import passes
from .yamlsource import Document, fast_documents, parse, read_fast


class SourceLines(Mapping):
    """File → its lines as a reader counts them, split when first asked for: only files
    with a finding to echo are ever split."""

    def __init__(self) -> None:
        self._texts: dict[str, str] = {}
        self._lines: dict[str, list[str]] = {}

    def add(self, file: str, text: str) -> None:
        self._texts[file] = text
        self._lines.pop(file, None)

    def __getitem__(self, file: str) -> list[str]:
        found = self._lines.get(file)
        if found is None:
            found = self._lines[file] = split_lines(self._texts[file])
        return found

    def __iter__(self):
        return iter(self._texts)

    def __len__(self) -> int:
        return len(self._texts)


@dataclass
class Source:
    """Everything read from an org folder: documents, source lines for display, problems."""

    root: str
    documents: list[Document] = field(default_factory=list)
    lines: SourceLines = field(default_factory=SourceLines)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    # The files whose documents passed their schema checks already (read on two cores).
    checked: set[str] = field(default_factory=set)


def discover(root: Path) -> tuple[list[Path], list[Path]]:
    """The YAML files and templates that are read (refused entries left out)."""
    plain, templates, _ = walk(Path(root))
    return plain, templates


def _decode(data: bytes, file: str) -> tuple[str | None, Diagnostic | None]:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        return None, Diagnostic(file, line, column, "YAML005", Severity.ERROR,
                                f"file is not UTF-8: byte 0x{data[exc.start]:02x} cannot be decoded "
                                "(save the file as UTF-8)", None)
    if text.startswith("\ufeff"):
        text = text[1:]
    return text, None


def load_folder(root: str | Path, cache: ReadCache | None = None) -> Source:
    """Read and parse every YAML file under `root` (recursively). With a `cache`, a file
    whose bytes were read before is taken from it (readcache.py)."""
    root = Path(root)
    source = Source(display_path(root))
    if not root.is_dir():
        source.diagnostics.append(Diagnostic(display_path(root), None, None, "LOAD001", Severity.ERROR,
                                             "not a folder: an org is a folder of YAML files", None))
        return source
    plain, templates, refused = walk(root)
    source.diagnostics.extend(refused)
    if not plain and not templates and not refused:
        source.diagnostics.append(Diagnostic(display_path(root), None, None, "LOAD001", Severity.ERROR,
                                             "no *.yaml, *.yml or *.yaml.j2 files in this folder", None))
        return source
    first, second = _halves(plain)
    apart = Beside(_read_apart, second, root, cache) if second else None  # the second half, on the other core
    try:
        for path in first:
            _load_text(source, path, None, cache)
        if apart is not None:
            _check_here(source)  # this half's schema checks, as the child does its half's
    except BaseException:  # an interrupt, an error: the child is stopped, not left to finish
        if apart is not None:
            apart.cancel()
        raise
    if apart is not None:
        for path, read in zip(second, apart.result(lambda: [None] * len(second))):
            if read is None:  # refused, not UTF-8, for the exact reader, or the child failed: read here
                _load_text(source, path, None, cache)
            else:
                _take(source, read)
    variables = _org_vars(source.documents)
    for path in templates:
        _load_text(source, path, variables)
    if cache is not None:
        cache.tidy()
    return source


def _load_text(source: Source, path: Path, variables: dict | None, cache: ReadCache | None = None) -> None:
    file = display_path(path)
    try:
        data = read_file(path, inside=Path(source.root))
    except Refused as exc:
        source.diagnostics.append(refusal(path, str(exc)))
        return
    text, problem = _decode(data, file)
    if problem:
        source.diagnostics.append(problem)
        return
    exact = False
    if cache is not None and variables is None:
        read = _cached(cache, data, file, text)
        if read is not None:
            _take(source, read)
            return
        exact = True  # the fast reader declined it just now
    source.lines.add(file, text)
    move = None
    if variables is not None:
        from .templating import render_template  # Jinja2 is loaded only for orgs that use templates

        text, move, problem = render_template(text, file, variables)
        if problem:
            source.diagnostics.append(problem)
            return
    docs, problems = parse(text, file, marks="exact" if exact else "lazy")
    if move is not None:  # findings in the rendered text point at the template's own lines
        docs, problems = remap(docs, problems, move)
    source.documents.extend(docs)
    source.diagnostics.extend(problems)


SPLIT_FROM = 1 << 20  # bytes of YAML from which the files are read on two cores


def _halves(plain: list[Path]) -> tuple[list[Path], list[Path]]:
    """The files this process reads, and those a child reads meanwhile: about half the
    bytes each, in order. All of them here for a small org, or without `os.fork`."""
    sizes = []
    for path in plain:
        try:
            sizes.append(os.stat(path).st_size)
        except OSError:
            sizes.append(0)
    total = sum(sizes)
    if not AVAILABLE or len(plain) < 2 or total < SPLIT_FROM:
        return plain, []
    done = 0
    for i, size in enumerate(sizes[:-1]):
        done += size
        if done * 2 >= total:
            return plain[:i + 1], plain[i + 1:]
    return plain[:-1], plain[-1:]


@dataclass
class _Read:
    """What the child made of one file: its text, what the fast reader read of it, and
    whether every document passed its schema."""

    file: str
    text: str
    found: list
    checked: bool


def _read_apart(paths: list[Path], root: Path, cache: ReadCache | None = None) -> list[_Read | None]:
    """In the child: each file read as `_load_text` reads it by the fast reader (None for
    any other: the caller reads those), its documents schema-checked."""
    return [_read_one(path, root, cache) for path in paths]


def _read_one(path: Path, root: Path, cache: ReadCache | None = None) -> _Read | None:
    file = display_path(path)
    try:
        data = read_file(path, inside=root)
    except Refused:
        return None
    text, problem = _decode(data, file)
    if problem:
        return None
    if cache is not None:
        return _cached(cache, data, file, text)
    found = read_fast(text)
    if found is None:
        return None
    return _Read(file, text, found, all(passes(value) for _, _, _, value in found))


def _cached(cache: ReadCache, data: bytes, file: str, text: str) -> _Read | None:
    """The file as the fast reader reads it, from the cache or read now and kept there;
    None for a file the exact reader reads (not kept: it is read as before)."""
    kept = cache.get(data, text)
    if kept is not None:
        return _Read(file, text, *kept)
    found = read_fast(text)
    if found is None:
        return None
    checked = all(passes(value) for _, _, _, value in found)
    cache.put(data, found, checked)
    return _Read(file, text, found, checked)


def _check_here(source: Source) -> None:
    """Mark the files read so far whose every document passes its schema checks (so
    `check_documents` skips them), as the child marks its own."""
    failed = {doc.file for doc in source.documents if doc.file not in source.checked and not passes(doc.data)}
    source.checked.update(file for file in source.lines if file not in failed)


def _take(source: Source, read: _Read) -> None:
    """A file the child read, added as `_load_text` would have added it."""
    source.lines.add(read.file, read.text)
    source.documents.extend(fast_documents(read.text, read.file, read.found))
    if read.checked:
        source.checked.add(read.file)


def _org_vars(documents: list[Document]) -> dict:
    for doc in documents:
        if isinstance(doc.data, dict) and doc.data.get("kind") == "Organization":
            found = doc.data.get("vars")
            return dict(found) if isinstance(found, dict) else {}
    return {}
