"""The anchor file: the state's last commit, written by every apply beside the org as
`<org>/.audit/state-anchor.json` and committed to the repository, so the repository's
history anchors the audit chain. A hidden folder: the loader never reads it as config.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Mapping

from ..privatefile import replace_private
from .backend import StateError

ANCHOR_DIR = ".audit"
ANCHOR_FILE = "state-anchor.json"
ANCHOR_MAX_BYTES = 1 << 20  # one entry per state lineage: a few hundred bytes each
ABOUT = ("The audit head of this org's state, written by `provisioner apply`. Commit it with the "
         "config: `provisioner state verify ORG_DIR` refuses a state whose history does not match it.")


def anchor_path(org_dir: str | Path) -> Path:
    return Path(org_dir) / ANCHOR_DIR / ANCHOR_FILE


def read_anchor(org_dir: str | Path | None) -> dict | None:
    """The parsed anchor of `org_dir`, None when there is none. Read as the org's files are
    (orgfiles.read_file): a regular file inside the folder, bounded; never a FIFO, a device
    or a link out of the folder, and never deeper than a saved plan may nest."""
    from ..canonical import loads as strict_loads
    from ..limits import MAX_NESTING
    from ..orgfiles import Refused, read_file
    from ..plan.planfile import too_deep_or_compacted

    if org_dir is None:
        return None
    path = anchor_path(org_dir)
    if not path.exists() and not path.is_symlink():
        return None
    try:
        text = read_file(path, ANCHOR_MAX_BYTES, inside=Path(org_dir)).decode("utf-8")
    except (Refused, UnicodeDecodeError) as exc:
        raise StateError(f"cannot read the state anchor {path}: {exc}; restore it from the repository") from None
    try:
        data = strict_loads(text)  # NaN and Infinity are no JSON: an anchor holding one was not written here
    except RecursionError:
        data = None
    except ValueError as exc:
        raise StateError(f"{path}:{getattr(exc, 'lineno', 1)}: the state anchor is not JSON ({exc}); restore it "
                         "from the repository") from None
    if data is None or too_deep_or_compacted(data, MAX_NESTING, compact=False):
        raise StateError(f"{path}: nested more than {MAX_NESTING} levels deep: not a state anchor; restore it "
                         "from the repository")
    if not isinstance(data, dict) or not isinstance(data.get("states", {}), dict):
        raise StateError(f"{path}: not a state anchor (no `states` object); restore it from the repository")
    return data


def write_anchor(org_dir: str | Path, org: str, lineage: str, entry: Mapping) -> Path:
    """Record `entry` (integrity.anchor_entry of the last commit) for `lineage`."""
    path = anchor_path(org_dir)
    try:
        data = read_anchor(org_dir) or {}
    except StateError:
        data = {}
    states = dict(data.get("states") or {})
    states[lineage] = dict(entry)
    doc = {"about": ABOUT, "format_version": "1", "org": org, "states": states}
    if path.parent.is_symlink():  # `.audit` linked out of the folder: the anchor would be written there
        raise StateError(f"cannot write the state anchor {path}: {path.parent} is a link; make it a plain folder")
    try:  # never through a link planted in the org folder (it could name the state database)
        replace_private(path, (json.dumps(doc, indent=2, sort_keys=True) + "\n",))
    except OSError as exc:
        raise StateError(f"cannot write the state anchor {path}: {exc}") from None
    return path
