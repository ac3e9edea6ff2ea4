"""Install a test tool's locked npm dependencies once: `npm ci` (offline cache first, quiet)
into FOLDER/node_modules unless a stamp there says it already matches package-lock.json.
Used by the SCIM test server (scimmy) and the YAML language server tests."""

from __future__ import annotations

import fcntl
import hashlib
import shutil
import subprocess
from pathlib import Path

NPM_TIMEOUT = 300.0
STAMP_NAME = ".provisioner-lock-sha256"


def ensure_npm_folder(folder: Path, needs: str, error: type[Exception] = RuntimeError,
                      installed: Path | None = None) -> None:
    """Raise `error` (naming `needs`, what wants Node) when node or npm is missing or `npm ci`
    fails; `installed` is a file that must exist besides a matching stamp."""
    for tool in ("node", "npm"):
        if shutil.which(tool) is None:
            raise error(f"{needs} needs `{tool}` (Node.js ≥ 18) on PATH")
    lock = folder / "package-lock.json"
    stamp = folder / "node_modules" / STAMP_NAME
    digest = hashlib.sha256(lock.read_bytes()).hexdigest()
    with open(lock, "rb") as lockfile:
        fcntl.flock(lockfile, fcntl.LOCK_EX)  # two test processes never install at once
        if stamp.exists() and stamp.read_text().strip() == digest and (installed is None or installed.exists()):
            return
        done = subprocess.run(["npm", "ci", "--prefer-offline", "--no-audit", "--no-fund", "--loglevel=error"],
                              cwd=folder, capture_output=True, text=True, timeout=NPM_TIMEOUT)
        if done.returncode != 0:
            raise error(f"npm ci in {folder} failed ({done.returncode}):\n{done.stderr[-2000:]}")
        stamp.write_text(digest + "\n")
