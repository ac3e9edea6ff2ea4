"""Which org folders a list of changed files belongs to (what the pre-commit hook is handed):
a file's org folder is the nearest folder above it that directly holds the Organization
document. Reads only enough of each YAML file to spot `kind: Organization`."""

from __future__ import annotations

import re
from pathlib import Path

from .orgfiles import Refused, read_file

YAML_SUFFIXES = (".yaml", ".yml", ".yaml.j2", ".yml.j2")
# `kind: Organization` at the top level: quoted or not, after a byte-order mark, in a file
# saved with CRLF line ends.
_ORGANIZATION = re.compile(r"""^\ufeff?(["']?)kind\1[ \t]*:[ \t]*(["']?)Organization\2[ \t]*(#[^\r\n]*)?\r?$""",
                           re.MULTILINE)


def is_yaml(path: Path) -> bool:
    return path.name.endswith(YAML_SUFFIXES)


def holds_organization(folder: Path) -> bool:
    """Whether a YAML file directly in `folder` has a top-level `kind: Organization`."""
    try:
        candidates = sorted(p for p in folder.iterdir() if p.is_file() and is_yaml(p))
    except OSError:
        return False
    for path in candidates:
        try:  # a plain file inside the folder, of at most MAX_FILE_BYTES
            text = read_file(path, inside=folder).decode("utf-8", errors="replace")
        except Refused:
            continue
        if _ORGANIZATION.search(text):
            return True
    return False


def org_folders(files: list[str | Path]) -> tuple[list[Path], list[Path]]:
    """(org folders, in first-seen order; files that belong to none). Folders are searched
    from each file's own folder upwards; each folder is read at most once."""
    known: dict[Path, bool] = {}
    found: dict[Path, None] = {}
    orphans: list[Path] = []
    for name in files:
        path = Path(name)
        folder = (path if path.is_dir() else path.parent).resolve()
        for candidate in [folder, *folder.parents]:
            if candidate not in known:
                known[candidate] = holds_organization(candidate)
            if known[candidate]:
                found.setdefault(_shown(candidate))
                break
        else:
            orphans.append(path)
    return list(found), orphans


def _shown(folder: Path) -> Path:
    """The folder as the user would type it: relative to the working directory if below it."""
    try:
        return folder.relative_to(Path.cwd().resolve())
    except ValueError:
        return folder
