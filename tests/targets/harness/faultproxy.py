"""A threaded HTTP reverse proxy on 127.0.0.1 between the provisioner and a SCIM server, with
a programmable script of faults (canned answers, lost answers, connection resets, delays,
hangs). It counts and logs every request. It does not change requests it forwards.

    proxy = FaultProxy(server.base_url).start()
    proxy.add(Fault(method="POST", path=r"/Users$", times=2, status=503, headers={"Retry-After": "1"}))
    ... point the client at proxy.base_url ...
    proxy.count("POST", "/Users"); proxy.log; proxy.clear(); proxy.stop()
"""

from __future__ import annotations

import http.client
import json
import re
import socket
import struct
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

# What a matching fault does.
RESPOND = "respond"              # answer status/headers/body without forwarding
LOSE_RESPONSE = "lose_response"  # forward (the request lands), then answer status instead
RESET_BEFORE = "reset_before"    # reset the connection without forwarding
RESET_AFTER = "reset_after"      # forward (the request lands), then reset the connection
DELAY = "delay"                  # forward, then wait `delay` seconds before answering
HANG = "hang"                    # never answer (until the client gives up, or clear()/stop())
PASS = "pass"                    # forward unchanged (e.g. to shield a later rule)
ACTIONS = (RESPOND, LOSE_RESPONSE, RESET_BEFORE, RESET_AFTER, DELAY, HANG, PASS)

HOP_BY_HOP = {"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te",
              "trailers", "transfer-encoding", "upgrade", "content-length"}
HANG_LIMIT = 60.0  # a hung request is closed after this long even if nobody clears it


@dataclass
class Fault:
    """One rule. It matches requests by method (None = any), `path` (a regex searched in
    the path without its query string) and, if given, `request_body` (a regex searched in
    the request body, e.g. one userName). Among the requests it matches (counted from when it
    was added), it fires on the `nth` (1-based; None = the next one) and the `times - 1`
    after it (`times=None`: every one from then on). Rules are tried in the order added;
    the first that fires decides, requests no rule fires on are forwarded."""

    method: str | None = None
    path: str = ".*"
    nth: int | None = None
    times: int | None = 1
    action: str = RESPOND
    status: int = 503
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes | str | dict | None = None
    delay: float = 0.0
    request_body: str | None = None
    matched: int = 0  # requests matched so far
    fired: int = 0    # of which the fault fired on

    def __post_init__(self) -> None:
        if self.action not in ACTIONS:
            raise ValueError(f"unknown fault action {self.action!r}; one of {', '.join(ACTIONS)}")
        self._regex = re.compile(self.path)
        self._body_regex = re.compile(self.request_body) if self.request_body is not None else None

    def matches(self, method: str, path: str, body: bytes = b"") -> bool:
        return ((self.method is None or self.method.upper() == method) and bool(self._regex.search(path))
                and (self._body_regex is None or bool(self._body_regex.search(body.decode("utf-8", "replace")))))

    def take(self, *, may_fire: bool = True) -> bool:
        """Count one matching request; True when the fault fires on it (never when an
        earlier rule already fired on it: `may_fire` False)."""
        self.matched += 1
        due = self.nth is None or self.matched >= self.nth
        if may_fire and due and (self.times is None or self.fired < self.times):
            self.fired += 1
            return True
        return False

    def answer_body(self) -> bytes:
        if self.body is None:
            return json.dumps({"schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"],
                               "status": str(self.status), "detail": f"injected fault: {self.action}"}).encode()
        if isinstance(self.body, dict):
            return json.dumps(self.body).encode()
        return self.body.encode() if isinstance(self.body, str) else self.body


@dataclass(frozen=True)
class LogEntry:
    """One request through the proxy: what came, which fault fired, what the client got
    (`status` None when it got no answer), and whether it reached the server."""

    method: str
    path: str  # with the query string
    action: str  # the fault action, or PASS when none fired
    forwarded: bool
    status: int | None
    upstream_status: int | None
    seconds: float
    at: float


class FaultProxy:
    """The proxy. `base_url` is the upstream base URL with the proxy's host and port."""

    def __init__(self, upstream_url: str, *, timeout: float = 30.0):
        parts = urlsplit(upstream_url.rstrip("/"))
        self.upstream_host = parts.hostname or "127.0.0.1"
        self.upstream_port = parts.port or 80
        self.base_path = parts.path
        self.timeout = timeout
        self.faults: list[Fault] = []
        self.log: list[LogEntry] = []
        self._lock = threading.Lock()
        self._release = threading.Event()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # --- script --------------------------------------------------------------------------
    def add(self, fault: Fault) -> Fault:
        with self._lock:
            self.faults.append(fault)
        return fault

    def clear(self) -> None:
        """Drop every fault and release hung requests; the log and counts stay."""
        with self._lock:
            self.faults.clear()
        self._release.set()
        self._release = threading.Event()

    def reset_log(self) -> None:
        with self._lock:
            self.log.clear()

    def count(self, method: str | None = None, path: str | None = None) -> int:
        """Requests received (method None = any; `path` a regex searched in the path)."""
        regex = re.compile(path) if path else None
        with self._lock:
            return sum(1 for e in self.log if (method is None or e.method == method.upper())
                       and (regex is None or regex.search(e.path.split("?", 1)[0])))

    @property
    def counts(self) -> dict[tuple[str, str], int]:
        """Requests received per (method, path without query)."""
        totals: dict[tuple[str, str], int] = {}
        with self._lock:
            for entry in self.log:
                key = (entry.method, entry.path.split("?", 1)[0])
                totals[key] = totals.get(key, 0) + 1
        return totals

    def _decide(self, method: str, path: str, body: bytes) -> Fault | None:
        with self._lock:
            fired = None
            for fault in self.faults:
                if fault.matches(method, path, body) and fault.take(may_fire=fired is None):
                    fired = fault
            return fired

    def _record(self, entry: LogEntry) -> None:
        with self._lock:
            self.log.append(entry)

    # --- lifecycle -----------------------------------------------------------------------
    @property
    def port(self) -> int:
        assert self._server is not None, "start() the proxy first"
        return self._server.server_address[1]

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}{self.base_path}"

    def start(self) -> "FaultProxy":
        handler = type("Handler", (_Handler,), {"proxy": self})
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,),
                                        name="fault-proxy", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._release.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> "FaultProxy":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


class _Reset(Exception):
    """Close the client's connection with a TCP reset."""


class _UpstreamFailed(Exception):
    """The upstream server could not be reached or did not answer."""


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    proxy: FaultProxy

    def log_message(self, format, *args) -> None:  # the proxy keeps its own log
        pass

    def setup(self) -> None:
        super().setup()
        # Headers and body go out in two writes: without this, Nagle's algorithm and the
        # client's delayed ACK add ~40 ms to every answer.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def _forward(self, body: bytes) -> tuple[int, list[tuple[str, str]], bytes]:
        """One request upstream on a connection of its own (a reused connection that turned
        out stale would need a retry, and a retried POST could land twice)."""
        headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
        conn = http.client.HTTPConnection(self.proxy.upstream_host, self.proxy.upstream_port,
                                          timeout=self.proxy.timeout)
        try:
            conn.connect()
            conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            conn.request(self.command, self.path, body=body or None, headers=headers)
            answer = conn.getresponse()
            return answer.status, answer.getheaders(), answer.read()
        except (OSError, http.client.HTTPException) as error:
            raise _UpstreamFailed(str(error)) from error
        finally:
            conn.close()

    def _read_body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    self.rfile.readline()
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def _send(self, status: int, headers: list[tuple[str, str]], body: bytes) -> None:
        self.send_response(status)
        for name, value in headers:
            if name.lower() not in HOP_BY_HOP:
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        self.wfile.flush()

    def _reset(self) -> None:
        """Close at once with SO_LINGER 0: the kernel sends RST, not FIN."""
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.close_connection = True
        self.rfile.close()  # the socket's file descriptor closes only when no file object holds it
        self.connection.close()
        raise _Reset

    def _handle(self) -> None:
        started = time.monotonic()
        body = self._read_body()
        method, path = self.command, self.path
        fault = self.proxy._decide(method, path.split("?", 1)[0], body)
        action = fault.action if fault else PASS
        forwarded, status, upstream_status = False, None, None

        recorded = False

        def record() -> None:
            nonlocal recorded
            if not recorded:
                recorded = True
                self.proxy._record(LogEntry(method, path, action, forwarded, status, upstream_status,
                                            time.monotonic() - started, time.time()))

        def answer(code: int, headers, payload: bytes) -> None:
            """Log first, then answer: a client that has its answer finds the request logged."""
            nonlocal status
            status = code
            record()
            self._send(code, headers, payload)

        try:
            if action == HANG:
                self.proxy._release.wait(HANG_LIMIT)
                self.close_connection = True
                return
            if action == RESET_BEFORE:
                record()
                self._reset()
            if action == RESPOND:
                answer(fault.status, [*fault.headers.items(), ("Content-Type", "application/scim+json")],
                       fault.answer_body())
                return
            upstream_status, headers, answer_body = self._forward(body)
            forwarded = True
            if action == RESET_AFTER:
                record()
                self._reset()
            if action == LOSE_RESPONSE:
                answer(fault.status, [*fault.headers.items(), ("Content-Type", "application/scim+json")],
                       fault.answer_body())
                return
            if action == DELAY:
                time.sleep(fault.delay)
            answer(upstream_status, headers, answer_body)
        except _UpstreamFailed as error:
            # The server did not answer (it is down, or it dropped the request): a gateway error.
            self.close_connection = True
            try:
                answer(502, [("Content-Type", "text/plain")], f"fault proxy: upstream failed: {error}".encode())
            except OSError:
                status = None
        except OSError:
            # The client went away (e.g. it timed out during a delay).
            status = None
            self.close_connection = True
        finally:
            record()

    def handle_one_request(self) -> None:
        try:
            self.raw_requestline = self.rfile.readline(65537)
            if not self.raw_requestline:
                self.close_connection = True
                return
            if not self.parse_request():
                return
            self._handle()
        except (_Reset, OSError):
            self.close_connection = True

    def finish(self) -> None:
        try:
            super().finish()
        except OSError:
            pass
