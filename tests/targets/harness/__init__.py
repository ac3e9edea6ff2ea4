"""Real SCIM 2.0 servers for the target tests, started on 127.0.0.1 by the tests themselves
(scim2-server from PyPI; scimmy + scimmy-routers on Node), a fault-injection proxy to put
between the provisioner and them, direct edits behind the provisioner's back, and a plain
client loop that measures a server's own create rate. Quirks of each server: README.md."""

from .baseline import CreateRate, baseline_create_rate, baseline_user, inprocess_create_rate
from .direct import direct_create, direct_patch
from .faultproxy import (ACTIONS, DELAY, HANG, LOSE_RESPONSE, PASS, RESET_AFTER, RESET_BEFORE, RESPOND,
                         Fault, FaultProxy, LogEntry)
from .process import ServerStartError, free_port
from .scim2server import EXTENSION_SCHEMA_PATH, start_scim2_server, wsgi_app
from .scimmyserver import start_scimmy
from .servers import EXTENSION_URN, GROUP_URN, PATCH_URN, TEST_TOKEN, USER_URN, ScimServer

LAUNCHERS = {"scim2-server": start_scim2_server, "scimmy": start_scimmy}

__all__ = [
    "ACTIONS", "DELAY", "EXTENSION_SCHEMA_PATH", "EXTENSION_URN", "GROUP_URN", "HANG", "LAUNCHERS",
    "LOSE_RESPONSE", "PASS", "PATCH_URN", "RESET_AFTER", "RESET_BEFORE", "RESPOND", "TEST_TOKEN", "USER_URN",
    "CreateRate", "Fault", "FaultProxy", "LogEntry", "ScimServer", "ServerStartError", "baseline_create_rate",
    "baseline_user", "direct_create", "inprocess_create_rate", "wsgi_app", "direct_patch", "free_port", "start_scim2_server", "start_scimmy",
]
