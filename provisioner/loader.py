"""Read an org folder: find its files, decode them, render `.yaml.j2` templates and parse
every document. I/O lives here; schema checks and modelling happen later.

Files are read in sorted order so results never depend on the file system.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from .diagnostics import Diagnostic, Severity
from .yamlsource import Document, parse

YAML_SUFFIXES = (".yaml", ".yml")
TEMPLATE_SUFFIXES = (".yaml.j2", ".yml.j2")


@dataclass
class Source:
    """Everything read from an org folder: documents, source lines for display, problems."""

    root: str
    documents: list[Document] = field(default_factory=list)
    lines: dict[str, list[str]] = field(default_factory=dict)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    texts: dict[str, bytes] = field(default_factory=dict)


def display_path(path: Path) -> str:
    """A path as the user would type it: relative to the working directory."""
    try:
        relative = os.path.relpath(path)
    except ValueError:  # another drive on Windows
        return str(path)
    return str(path) if relative.startswith("..") and Path(path).is_absolute() else relative


def discover(root: Path) -> tuple[list[Path], list[Path]]:
    plain, templates = [], []
    for path in sorted(root.rglob("*")):
        if not path.is_file() or any(part.startswith(".") for part in path.relative_to(root).parts):
            continue
        name = path.name
        if name.endswith(TEMPLATE_SUFFIXES):
            templates.append(path)
        elif name.endswith(YAML_SUFFIXES):
            plain.append(path)
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


def load_folder(root: str | Path) -> Source:
    """Read and parse every YAML file under `root` (recursively)."""
    root = Path(root)
    source = Source(display_path(root))
    if not root.is_dir():
        source.diagnostics.append(Diagnostic(display_path(root), None, None, "LOAD001", Severity.ERROR,
                                             "not a folder: an org is a folder of YAML files", None))
        return source
    plain, templates = discover(root)
    if not plain and not templates:
        source.diagnostics.append(Diagnostic(display_path(root), None, None, "LOAD001", Severity.ERROR,
                                             "no *.yaml, *.yml or *.yaml.j2 files in this folder", None))
        return source
    for path in plain:
        _load_text(source, path, None)
    variables = _org_vars(source.documents)
    for path in templates:
        _load_text(source, path, variables)
    return source


def _load_text(source: Source, path: Path, variables: dict | None) -> None:
    file = display_path(path)
    data = path.read_bytes()
    source.texts[file] = data
    text, problem = _decode(data, file)
    if problem:
        source.diagnostics.append(problem)
        return
    if variables is not None:
        from .templating import render_template  # Jinja2 is loaded only for orgs that use templates

        text, problem = render_template(text, file, variables)
        if problem:
            source.diagnostics.append(problem)
            return
    source.lines[file] = text.splitlines()
    docs, problems = parse(text, file)
    source.documents.extend(docs)
    source.diagnostics.extend(problems)


def _org_vars(documents: list[Document]) -> dict:
    for doc in documents:
        if isinstance(doc.data, dict) and doc.data.get("kind") == "Organization":
            found = doc.data.get("vars")
            return dict(found) if isinstance(found, dict) else {}
    return {}
