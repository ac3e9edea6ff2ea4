"""A minimal Language Server Protocol client over stdio, enough to drive the YAML language
server the way VS Code and Neovim do: initialize, answer `workspace/configuration` with
our settings, open documents, collect published diagnostics, ask for completion and hover.

Also installs the pinned server (tests/editor/yamlls/package-lock.json) with `npm ci` when
node_modules is missing or older than the lock file."""

from __future__ import annotations

import json
import os
import queue
import subprocess
import threading
import time
from pathlib import Path

from tests.npmfolder import ensure_npm_folder

FOLDER = Path(__file__).parent / "yamlls"
SERVER = FOLDER / "node_modules" / "yaml-language-server" / "bin" / "yaml-language-server"


class ServerError(RuntimeError):
    """The language server could not be installed, started, or did not answer."""


def installed_version() -> str:
    return json.loads((FOLDER / "node_modules" / "yaml-language-server" / "package.json").read_text())["version"]


def ensure_server() -> None:
    """`npm ci` (offline cache first) unless node_modules matches package-lock.json."""
    ensure_npm_folder(FOLDER, "the editor tests", ServerError, installed=SERVER)


class LanguageServer:
    """One `yaml-language-server --stdio` process. `settings` answers workspace/configuration
    requests by section name (`yaml`, `http`, `[yaml]`, `editor`)."""

    def __init__(self, root: Path, settings: dict[str, object]):
        ensure_server()
        self.root = root
        self.settings = settings
        self.proc = subprocess.Popen(
            ["node", str(SERVER), "--stdio"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL, cwd=root, env={**os.environ, "NO_COLOR": "1"})
        self._next_id = 0
        self._responses: dict[int, queue.Queue] = {}
        self._lock = threading.Lock()
        self.diagnostics: dict[str, list[dict]] = {}
        self._diag_changed = threading.Condition()
        self._versions: dict[str, int] = {}
        self._reader = threading.Thread(target=self._read_loop, daemon=True)
        self._reader.start()

    # -- wire -------------------------------------------------------------------------------
    def _send(self, message: dict) -> None:
        body = json.dumps({"jsonrpc": "2.0", **message}).encode()
        with self._lock:
            self.proc.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
            self.proc.stdin.flush()

    def _read_loop(self) -> None:
        stream = self.proc.stdout
        while True:
            length = None
            while True:
                line = stream.readline()
                if not line:
                    return
                line = line.strip()
                if not line:
                    break
                name, _, value = line.partition(b":")
                if name.lower() == b"content-length":
                    length = int(value)
            message = json.loads(stream.read(length))
            self._dispatch(message)

    def _dispatch(self, message: dict) -> None:
        if "id" in message and "method" not in message:
            box = self._responses.get(message["id"])
            if box is not None:
                box.put(message)
        elif "id" in message:  # a request from the server: answer it
            self._send({"id": message["id"], "result": self._answer(message["method"], message.get("params"))})
        elif message.get("method") == "textDocument/publishDiagnostics":
            with self._diag_changed:
                self.diagnostics[message["params"]["uri"]] = message["params"]["diagnostics"]
                self._diag_changed.notify_all()

    def _answer(self, method: str, params: dict | None):
        if method == "workspace/configuration":
            return [self.settings.get(item.get("section"), None) for item in params["items"]]
        return None  # client/registerCapability, window/workDoneProgress/create, …

    def request(self, method: str, params: dict, timeout: float = 10.0):
        self._next_id += 1
        ident = self._next_id
        box: queue.Queue = queue.Queue()
        self._responses[ident] = box
        self._send({"id": ident, "method": method, "params": params})
        try:
            reply = box.get(timeout=timeout)
        except queue.Empty:
            raise ServerError(f"no answer to {method} within {timeout} s") from None
        if "error" in reply:
            raise ServerError(f"{method}: {reply['error']}")
        return reply.get("result")

    def notify(self, method: str, params: dict) -> None:
        self._send({"method": method, "params": params})

    # -- what an editor does ----------------------------------------------------------------
    def initialize(self) -> dict:
        result = self.request("initialize", {
            "processId": os.getpid(),
            "rootUri": self.root.as_uri(),
            "workspaceFolders": [{"uri": self.root.as_uri(), "name": self.root.name}],
            "capabilities": {
                "workspace": {"configuration": True, "didChangeConfiguration": {"dynamicRegistration": True}},
                "textDocument": {
                    "publishDiagnostics": {"relatedInformation": True},
                    "completion": {"completionItem": {"snippetSupport": True,
                                                      "documentationFormat": ["markdown", "plaintext"]}},
                    "hover": {"contentFormat": ["markdown", "plaintext"]},
                },
            },
        }, timeout=20.0)
        self.notify("initialized", {})
        self.notify("workspace/didChangeConfiguration", {"settings": self.settings})
        return result

    def open(self, path: Path, text: str | None = None) -> str:
        uri = path.resolve().as_uri()
        version = self._versions.get(uri, 0) + 1
        self._versions[uri] = version
        with self._diag_changed:
            self.diagnostics.pop(uri, None)
        self.notify("textDocument/didOpen", {"textDocument": {
            "uri": uri, "languageId": "yaml", "version": version,
            "text": path.read_text(encoding="utf-8") if text is None else text}})
        return uri

    def close(self, uri: str) -> None:
        self.notify("textDocument/didClose", {"textDocument": {"uri": uri}})

    def wait_diagnostics(self, uri: str, timeout: float = 10.0, *, until=None) -> list[dict]:
        """The diagnostics published for `uri` since it was opened (the first publication
        for which `until(diagnostics)` holds, when given)."""
        deadline = time.monotonic() + timeout
        with self._diag_changed:
            while uri not in self.diagnostics or (until is not None and not until(self.diagnostics[uri])):
                left = deadline - time.monotonic()
                if left <= 0:
                    raise ServerError(f"no diagnostics published for {uri} within {timeout} s")
                self._diag_changed.wait(left)
            return self.diagnostics[uri]

    def completion(self, uri: str, line: int, character: int) -> list[dict]:
        result = self.request("textDocument/completion", {
            "textDocument": {"uri": uri}, "position": {"line": line, "character": character}})
        return result["items"] if isinstance(result, dict) else (result or [])

    def hover(self, uri: str, line: int, character: int) -> str:
        result = self.request("textDocument/hover", {
            "textDocument": {"uri": uri}, "position": {"line": line, "character": character}})
        if not result:
            return ""
        contents = result["contents"]
        if isinstance(contents, dict):
            return contents.get("value", "")
        if isinstance(contents, list):
            return "\n".join(c if isinstance(c, str) else c.get("value", "") for c in contents)
        return contents

    def stop(self) -> None:
        try:
            self.request("shutdown", {}, timeout=5.0)
            self.notify("exit", {})
            self.proc.wait(timeout=5)
        except (ServerError, OSError, subprocess.TimeoutExpired):
            self.proc.kill()
            self.proc.wait()
