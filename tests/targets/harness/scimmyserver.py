"""Launch the scimmy server (scimmy + scimmy-routers on Express, `scimmy/server.js`): install
its locked npm dependencies when node_modules is missing or older than package-lock.json,
then run `node server.js 0` and read the port it prints. Needs Node.js ≥ 18 and npm."""

from __future__ import annotations

import fcntl
import hashlib
import shutil
import subprocess
from pathlib import Path

from .process import ServerProcess, ServerStartError
from .servers import TEST_TOKEN, ScimServer

FOLDER = Path(__file__).parent / "scimmy"
STAMP = FOLDER / "node_modules" / ".provisioner-lock-sha256"
START_TIMEOUT = 20.0
NPM_TIMEOUT = 300.0


def _lock_digest() -> str:
    return hashlib.sha256((FOLDER / "package-lock.json").read_bytes()).hexdigest()


def ensure_node_modules() -> None:
    """`npm ci` (offline cache first, quiet) unless node_modules matches package-lock.json."""
    for tool in ("node", "npm"):
        if shutil.which(tool) is None:
            raise ServerStartError(f"the scimmy test server needs `{tool}` (Node.js ≥ 18) on PATH")
    digest = _lock_digest()
    with open(FOLDER / "package-lock.json", "rb") as lockfile:
        fcntl.flock(lockfile, fcntl.LOCK_EX)  # two test processes never install at once
        if STAMP.exists() and STAMP.read_text().strip() == digest:
            return
        done = subprocess.run(
            ["npm", "ci", "--prefer-offline", "--no-audit", "--no-fund", "--loglevel=error"],
            cwd=FOLDER, capture_output=True, text=True, timeout=NPM_TIMEOUT)
        if done.returncode != 0:
            raise ServerStartError(f"npm ci in {FOLDER} failed ({done.returncode}):\n{done.stderr[-2000:]}")
        STAMP.write_text(digest + "\n")


def start_scimmy(*, extension: bool = True, token: str = TEST_TOKEN) -> ScimServer:
    """A running scimmy server; call `.stop()` when done. Base URL ends in /scim/v2."""
    ensure_node_modules()
    name = "scimmy" if extension else "scimmy-no-extension"
    env = {"SCIM_TOKEN": token, "SCIM_NO_EXTENSION": "" if extension else "1", "SCIM_HOST": "127.0.0.1"}
    process = ServerProcess(["node", "server.js", "0"], env=env, cwd=FOLDER, name=name)
    line = process.wait_for_line("listening on ", START_TIMEOUT)
    base_url = line.split("listening on ", 1)[1].strip() + "/scim/v2"
    process.wait_ready(f"{base_url}/ServiceProviderConfig", token, START_TIMEOUT)
    return ScimServer(name=name, base_url=base_url, token=token, extension=extension, process=process,
                      restart_with=lambda: start_scimmy(extension=extension, token=token))
