"""A local SCIM service for trying targets: scim2-server (python-scim's reference server,
in memory) on 127.0.0.1, with our User extension declared, and a demo bearer token.

    python examples/scim-demo/serve.py [--port 8089]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

from scim2_server.utils import load_json_resource

EXTENSION = Path(__file__).resolve().parents[2] / "provisioner" / "targets" / "scim-extension.json"
TOKEN = "demo-token"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8089)
    args = parser.parse_args()
    extension = json.loads(EXTENSION.read_text(encoding="utf-8"))
    folder = Path(tempfile.mkdtemp(prefix="scim-demo-"))
    resource_types = load_json_resource("default-resource-types.json")
    for rt in resource_types:
        if rt.get("id") == "User":
            rt.setdefault("schemaExtensions", []).append({"schema": extension["id"], "required": False})
    (folder / "schemas.json").write_text(json.dumps([*load_json_resource("default-schemas.json"), extension]))
    (folder / "resource-types.json").write_text(json.dumps(resource_types))
    print(f"SCIM service on http://127.0.0.1:{args.port}/v2 (bearer token {TOKEN!r}); Ctrl-C stops it",
          file=sys.stderr, flush=True)
    os.execv(sys.executable, [sys.executable, "-m", "scim2_server.testserver.cli", "--hostname", "127.0.0.1",
                              "--port", str(args.port), "--bearer-token", TOKEN,
                              "--schema", str(folder / "schemas.json"),
                              "--resource-type", str(folder / "resource-types.json")])


if __name__ == "__main__":
    main()
