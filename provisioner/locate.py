"""Attach file:line:column to diagnostics, in one place.

Detectors record an `Origin` (file, document, path); this module looks the path up in the
marks the YAML parser kept. A path that is not in the source (a default, say) falls back to
its nearest written ancestor.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Iterable

from .diagnostics import Diagnostic
from .yamlsource import Document


class Locator:
    def __init__(self, documents: Iterable[Document]) -> None:
        self._docs = {(d.file, d.index): d for d in documents}

    def where(self, origin) -> str:
        """`file:line` of an origin (the file alone when the path is not written)."""
        doc = self._docs.get((origin.file, origin.document))
        mark = doc.mark(origin.path) if doc else None
        return f"{origin.file}:{mark.line}" if mark else origin.file

    def locate(self, diagnostic: Diagnostic) -> Diagnostic:
        if diagnostic.related is not None and "{at}" in diagnostic.message:
            diagnostic = replace(diagnostic, message=diagnostic.message.replace("{at}", self.where(diagnostic.related)))
        origin = diagnostic.origin
        if origin is None or diagnostic.line is not None:
            return diagnostic
        doc = self._docs.get((origin.file, origin.document))
        mark = doc.mark(origin.path) if doc else None
        if mark is None:
            return replace(diagnostic, file=origin.file)
        if diagnostic.key and mark.key_line is not None:
            return replace(diagnostic, file=origin.file, line=mark.key_line, column=mark.key_column)
        return replace(diagnostic, file=origin.file, line=mark.line, column=mark.column)

    def position(self, origin) -> tuple[str, int | None]:
        """The file and line where `origin` (or its nearest written ancestor) is written."""
        doc = self._docs.get((origin.file, origin.document))
        mark = doc.mark(origin.path) if doc else None
        return origin.file, (mark.line if mark else None)

    def lines_of(self, file: str, document: int) -> list[int]:
        """Every line on which a value of one document is written, in order."""
        doc = self._docs.get((file, document))
        return sorted({m.line for m in doc.marks.values()} | {m.key_line for m in doc.marks.values()
                                                              if m.key_line}) if doc else []

    def locate_all(self, diagnostics: Iterable[Diagnostic]) -> list[Diagnostic]:
        return sorted((self.locate(d) for d in diagnostics), key=Diagnostic.sort_key)

    def raw(self, file: str, document: int, path) -> tuple[str | None, bool]:
        """The scalar as written at `path` and whether it was unquoted."""
        doc = self._docs.get((file, document))
        mark = doc.marks.get(tuple(path)) if doc else None
        return (mark.raw, mark.plain) if mark else (None, False)
