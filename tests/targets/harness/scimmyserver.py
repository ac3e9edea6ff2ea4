"""Launch the scimmy server (scimmy + scimmy-routers on Express, `scimmy/server.js`): install
its locked npm dependencies when node_modules is missing or older than package-lock.json,
then run `node server.js 0` and read the port it prints. Needs Node.js ≥ 18 and npm."""

from __future__ import annotations

from pathlib import Path

from tests.npmfolder import ensure_npm_folder

from .process import ServerProcess, ServerStartError
from .servers import TEST_TOKEN, ScimServer

FOLDER = Path(__file__).parent / "scimmy"
START_TIMEOUT = 20.0


def ensure_node_modules() -> None:
    """`npm ci` (offline cache first, quiet) unless node_modules matches package-lock.json."""
    ensure_npm_folder(FOLDER, "the scimmy test server", ServerStartError)


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
