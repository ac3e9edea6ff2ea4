"""The anchor file: the state's last commit, written by every apply beside the org as
`<org>/.audit/state-anchor.json` and committed to the repository, so the repository's
history anchors the audit chain. A hidden folder: the loader never reads it as config.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Mapping

from .backend import StateError

ANCHOR_DIR = ".audit"
ANCHOR_FILE = "state-anchor.json"
ABOUT = ("The audit head of this org's state, written by `provisioner apply`. Commit it with the "
         "config: `provisioner state verify ORG_DIR` refuses a state whose history does not match it.")


def anchor_path(org_dir: str | Path) -> Path:
    return Path(org_dir) / ANCHOR_DIR / ANCHOR_FILE


def read_anchor(org_dir: str | Path | None) -> dict | None:
    """The parsed anchor of `org_dir`, None when there is none."""
    if org_dir is None:
        return None
    path = anchor_path(org_dir)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        raise StateError(f"cannot read the state anchor {path}: {exc}") from None
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise StateError(f"{path}:{getattr(exc, 'lineno', 1)}: the state anchor is not JSON ({exc}); restore it "
                         "from the repository") from None
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
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    try:
        tmp.write_text(json.dumps(doc, indent=2, sort_keys=True) + "\n", encoding="utf-8")
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise StateError(f"cannot write the state anchor {path}: {exc}") from None
    return path
