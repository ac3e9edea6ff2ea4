"""Launch scim2-server (python-scim's reference server, PyPI `scim2-server`) through its own
`scim2-server` command run with this interpreter (run_scim2_server.py): in memory, on
127.0.0.1, with a fixed bearer token and, unless told otherwise, our User extension
declared and attached to User."""

from __future__ import annotations

import functools
import json
import sys
import tempfile
from pathlib import Path

from scim2_server.utils import load_json_resource

from .process import HOST, ServerProcess, ServerStartError, free_port
from .servers import TEST_TOKEN, ScimServer

HERE = Path(__file__).parent
EXTENSION_SCHEMA_PATH = HERE.parents[2] / "provisioner" / "targets" / "scim-extension.json"  # ours, as shipped
START_TIMEOUT = 20.0


@functools.cache
def discovery_options() -> tuple[str, ...]:
    """The command-line options of a server with our extension (files written once per run)."""
    return tuple(discovery_files(Path(tempfile.mkdtemp(prefix="scim2-server-"))))


def discovery_files(folder: Path) -> list[str]:
    """Write the RFC 7643 schemas plus ours, and the resource types with ours on User, into
    `folder`; return the command-line options that make the server use them."""
    extension = json.loads(EXTENSION_SCHEMA_PATH.read_text(encoding="utf-8"))
    schemas = [*load_json_resource("default-schemas.json"), extension]
    resource_types = load_json_resource("default-resource-types.json")
    for resource_type in resource_types:
        if resource_type["id"] == "User":
            resource_type.setdefault("schemaExtensions", []).append(
                {"schema": extension["id"], "required": False})
    (folder / "schemas.json").write_text(json.dumps(schemas), encoding="utf-8")
    (folder / "resource-types.json").write_text(json.dumps(resource_types), encoding="utf-8")
    return ["--schema", str(folder / "schemas.json"), "--resource-type", str(folder / "resource-types.json")]


def wsgi_app(*, extension: bool = True, token: str = TEST_TOKEN):
    """The same application the command serves, built in this process (no HTTP): for
    measuring the server's own rate, e.g. with `httpx.Client(transport=httpx.WSGITransport(app))`."""
    from scim2_models import ResourceType, Schema, ScimProvider
    from scim2_server.memory import InMemoryStorage
    from scim2_server.service import ScimService
    from scim2_server.testserver.application import BEARER_TOKEN_SCHEME, BearerTokenApplication
    from scim2_server.utils import load_default_service_provider_config

    schemas = load_json_resource("default-schemas.json")
    resource_types = load_json_resource("default-resource-types.json")
    if extension:
        options = discovery_options()
        schemas = json.loads(Path(options[1]).read_text(encoding="utf-8"))
        resource_types = json.loads(Path(options[3]).read_text(encoding="utf-8"))
    config = load_default_service_provider_config()
    if token:
        config.authentication_schemes = [BEARER_TOKEN_SCHEME]
    provider = ScimProvider.from_discovery([Schema.model_validate(s) for s in schemas],
                                           [ResourceType.model_validate(r) for r in resource_types], config=config)
    return BearerTokenApplication(InMemoryStorage(), provider, service=ScimService(provider, secret="in-process"),
                                  bearer_tokens=[token] if token else [])


def start_scim2_server(*, extension: bool = True, token: str = TEST_TOKEN, attempts: int = 3) -> ScimServer:
    """A running scim2-server; call `.stop()` when done. Base URL ends in /v2."""
    name = "scim2-server" if extension else "scim2-server-no-extension"
    options = ["--bearer-token", token] if token else []
    if extension:
        options += discovery_options()
    last_error: Exception | None = None
    for _ in range(attempts):  # the free port may be taken between our probe and its bind
        port = free_port()
        process = ServerProcess(
            [sys.executable, str(HERE / "run_scim2_server.py"), "--hostname", HOST, "--port", str(port),
             *options], name=name)
        base_url = f"http://{HOST}:{port}/v2"
        try:
            process.wait_ready(f"{base_url}/ServiceProviderConfig", token, START_TIMEOUT)
        except ServerStartError as error:
            last_error = error
            continue
        return ScimServer(name=name, base_url=base_url, token=token, extension=extension, process=process,
                          restart_with=lambda: start_scim2_server(extension=extension, token=token))
    raise last_error or ServerStartError(f"{name} did not start")
