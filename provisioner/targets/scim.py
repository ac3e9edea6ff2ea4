"""A SCIM 2.0 service (RFC 7644) as a target: discovery, requests with retries, and the
delivery of one operation — idempotent create, PATCH with If-Match, deactivation by
`active: false`, never DELETE (LIFE001).

The bearer token is read from the environment variable the Target names and is never
logged or stored. Transport is httpx (its status codes, headers and timeouts are what the
retry policy reads); scim2-models checks the ServiceProviderConfig.
"""

from __future__ import annotations

import json
import os
import threading
import time
from dataclasses import dataclass, field
from urllib.parse import quote

from ..model import Target
from . import scimjson as sj
from .operations import Operation, OpResult, OpStatus, Shadow
from .retry import RetryPolicy, retryable

PAGE = 500
MAX_LISTED = 2_000_000  # resources one listing reads at most: far past any health system's staff


class TargetError(Exception):
    """A target that cannot be reached or used at all (not one failed operation)."""


MAX_REPLY_BYTES = 256 << 20  # one answer: a page of users is some hundreds of kilobytes
WHOLE_ANSWER_READS = 4  # one whole answer may take this many per-read timeouts


class _Overdue(Exception):
    """The whole answer took longer than the timeout (each read was in time)."""


class _TooLarge(Exception):
    """The answer grew past MAX_REPLY_BYTES."""


class RequestFailed(Exception):
    def __init__(self, message: str, status: int | None = None, body: dict | None = None, attempts: int = 1):
        super().__init__(message)
        self.status, self.body, self.attempts = status, body or {}, attempts


@dataclass
class Capabilities:
    bulk: bool = False
    bulk_max: int = 0
    etag: bool = False
    extension: bool = False
    filter_max: int = PAGE


@dataclass
class Stats:
    retries: int = 0
    requests: int = 0
    pages: int = 0  # listing pages read (`all`)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, requests: int, retries: int) -> None:
        with self.lock:
            self.requests += requests
            self.retries += retries


def _check_url(url: str) -> str:
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    if parts.scheme == "http" and parts.hostname not in ("127.0.0.1", "localhost", "::1"):
        raise TargetError(f"{url}: plain http is only for 127.0.0.1/localhost; use https")
    return url.rstrip("/")


def connection_settings(target: Target, environ=os.environ) -> tuple[str, str | None]:
    """The target's base URL and token from the config and the environment."""
    s = target.settings
    url = s.get("url")
    if not url:
        name = s.get("url_env")
        url = environ.get(name or "")
        if not url:
            raise TargetError(f"target {target.id}: the environment variable {name} (its url_env) is not set")
    token = None
    if s.get("token_env"):
        token = environ.get(str(s["token_env"]))
        if not token:
            raise TargetError(f"target {target.id}: the environment variable {s['token_env']} (its token_env) "
                              "is not set; the bearer token is read from there and never from the config")
    return _check_url(str(url)), token


class ScimService:
    """One SCIM service: requests with retries, discovery and lookups."""

    def __init__(self, target: Target, environ=os.environ, sleep=time.sleep) -> None:
        import httpx  # imported when a SCIM target is used: validate and plan never need it

        self.target = target
        self.url, token = connection_settings(target, environ)
        s = target.settings
        self.policy = RetryPolicy(int(s.get("max_attempts", 5)), float(s.get("backoff_seconds", 0.5)))
        self.concurrency = int(s.get("concurrency", 4))
        headers = {"Accept": "application/scim+json, application/json",
                   "Content-Type": "application/scim+json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        limits = httpx.Limits(max_connections=self.concurrency + 2, max_keepalive_connections=self.concurrency + 2)
        self._http = httpx.Client(base_url=self.url, headers=headers, limits=limits,
                                  timeout=float(s.get("timeout_seconds", 30)))
        self._httpx = httpx
        self._sleep = sleep
        self.stats = Stats()
        self.caps = Capabilities()

    def close(self) -> None:
        self._http.close()

    # -- requests -----------------------------------------------------------------------
    def request(self, method: str, path: str, body: dict | None = None, headers: dict | None = None,
                retry: bool = True) -> tuple[int, dict, dict]:
        """(status, JSON body, headers) of a 2xx answer, or RequestFailed after the policy's
        attempts (a 4xx other than 408/429 is final at once)."""
        attempt = 0
        while True:
            attempt += 1
            status, reply, hdrs, problem = None, {}, {}, ""
            try:
                status, hdrs, content = self._exchange(method, path, body, headers)
                try:
                    reply = json.loads(content) if content else {}
                except (ValueError, RecursionError):  # not JSON, or nested past the decoder
                    reply = {"detail": content[:200].decode("utf-8", "replace")}
                if 200 <= status < 300:
                    self.stats.add(attempt, attempt - 1)
                    return status, reply if isinstance(reply, dict) else {}, hdrs
                detail = reply.get("detail") if isinstance(reply, dict) else None
                problem = f"HTTP {status}" + (f": {str(detail)[:200]}" if detail else "")
            except self._httpx.TimeoutException:
                problem = f"no answer within {self._http.timeout.read}s"
            except (_Overdue, _TooLarge) as exc:  # the service answered, too slowly or too much: not sent again
                problem = (f"no whole answer within {self._whole_answer_seconds()}s" if isinstance(exc, _Overdue)
                           else f"an answer larger than {MAX_REPLY_BYTES:,} bytes")
                retry = False
            except self._httpx.TransportError as exc:
                problem = f"connection failed ({type(exc).__name__})"
            if not retry or not retryable(status) or attempt >= self.policy.max_attempts:
                self.stats.add(attempt, attempt - 1)
                raise RequestFailed(f"{method} {path}: {problem}" + (f" after {attempt} attempts" if attempt > 1 else ""),
                                    status, reply if isinstance(reply, dict) else {}, attempt)
            self._sleep(self.policy.delay(attempt, hdrs.get("retry-after") or hdrs.get("Retry-After")))

    def _whole_answer_seconds(self) -> float:
        """How long one whole answer may take: four times the per-read timeout (a slow page
        of a large listing is not cut off; a service dripping bytes is)."""
        return WHOLE_ANSWER_READS * float(self._http.timeout.read or 30)

    def _exchange(self, method: str, path: str, body: dict | None, headers: dict | None) -> tuple[int, dict, bytes]:
        """(status, headers, body bytes) of one request. httpx bounds each read, not the whole
        answer: a service that drips its answer a byte at a time is cut off once the whole
        answer has taken longer than the timeout, and one that never stops at MAX_REPLY_BYTES."""
        deadline = time.monotonic() + self._whole_answer_seconds()
        with self._http.stream(method, path, json=body, headers=headers) as r:
            chunks, size = [], 0
            for chunk in r.iter_bytes():
                size += len(chunk)
                if size > MAX_REPLY_BYTES:
                    raise _TooLarge
                chunks.append(chunk)
                if time.monotonic() > deadline:
                    raise _Overdue
            return r.status_code, dict(r.headers), b"".join(chunks)

    # -- discovery ----------------------------------------------------------------------
    def discover(self) -> Capabilities:
        """What the service offers (/ServiceProviderConfig) and whether it holds our extension
        (/Schemas lists it and /ResourceTypes attaches it to User)."""
        from scim2_models import ServiceProviderConfig

        try:
            _, spc, _ = self.request("GET", "/ServiceProviderConfig")
        except RequestFailed as exc:
            raise TargetError(f"target {self.target.id} ({self.url}) cannot be reached: {exc}") from None
        try:
            config = ServiceProviderConfig.model_validate(spc)
        except Exception as exc:  # pydantic's ValidationError: the server's document is malformed
            raise TargetError(f"target {self.target.id}: its /ServiceProviderConfig is not valid SCIM "
                              f"({str(exc).splitlines()[0]})") from None
        caps = Capabilities()
        if config.bulk and config.bulk.supported and self.target.settings.get("bulk", True):
            caps.bulk, caps.bulk_max = True, int(config.bulk.max_operations or 0)
        caps.etag = bool(config.etag and config.etag.supported)
        if config.filter and config.filter.max_results:
            caps.filter_max = int(config.filter.max_results)
        try:
            _, schemas, _ = self.request("GET", "/Schemas")
            listed = schemas.get("Resources")
            caps.extension = any(isinstance(s, dict) and s.get("id") == sj.EXTENSION
                                 for s in (listed if isinstance(listed, list) else ()))
        except RequestFailed:
            try:
                self.request("GET", "/Schemas/" + sj.EXTENSION, retry=False)
                caps.extension = True
            except RequestFailed:
                caps.extension = False
        if caps.extension:  # declared; is it attached to User? (a service may serve it elsewhere)
            try:
                _, types, _ = self.request("GET", "/ResourceTypes", retry=False)
                listed = types.get("Resources")
                user = next((t for t in (listed if isinstance(listed, list) else ()) if isinstance(t, dict)
                             and t.get("name") == "User"), None)
                if user is not None:
                    caps.extension = any(e.get("schema") == sj.EXTENSION for e in (user.get("schemaExtensions") if isinstance(user.get("schemaExtensions"), list) else ())
                                         if isinstance(e, dict))
            except RequestFailed:
                pass  # no /ResourceTypes: /Schemas decides
        self.caps = caps
        return caps

    # -- lookups ------------------------------------------------------------------------
    def find(self, endpoint: str, attribute: str, value: str) -> list[dict]:
        flt = f'{attribute} eq "{value.replace(chr(92), chr(92) * 2).replace(chr(34), chr(92) + chr(34))}"'
        _, reply, _ = self.request("GET", f"/{endpoint}?filter={quote(flt)}")
        return [r for r in reply.get("Resources") or () if isinstance(r, dict)]

    def all(self, endpoint: str, attributes: str | None = None) -> list[dict]:
        """Every resource of `endpoint` (paged), with only `attributes` (None: all of them)."""
        out, start, pages = [], 1, 0
        count = min(PAGE, self.caps.filter_max or PAGE)
        only = f"&attributes={attributes}" if attributes else ""
        while True:
            _, reply, _ = self.request("GET", f"/{endpoint}?startIndex={start}&count={count}{only}")
            with self.stats.lock:
                self.stats.pages += 1
            page = [r for r in reply.get("Resources") or () if isinstance(r, dict)]
            out += page
            try:
                total = int(reply.get("totalResults") or 0)
            except (TypeError, ValueError):
                raise RequestFailed(f"GET /{endpoint}: totalResults is {str(reply.get('totalResults'))[:40]!r}, "
                                    "not a number", None, {}, 1) from None
            if not page or len(out) >= total:
                return out
            pages += 1
            if len(out) >= MAX_LISTED or pages > MAX_LISTED // count + 10:  # a listing that never ends
                raise RequestFailed(f"GET /{endpoint}: {len(out):,} resources in {pages:,} pages and the service "
                                    f"says {total:,}; refusing to read on (at most {MAX_LISTED:,})", None, {}, 1)
            start += len(page)

    def get(self, endpoint: str, remote_id: str) -> tuple[dict, str | None]:
        _, reply, hdrs = self.request("GET", f"/{endpoint}/{quote(remote_id, safe='')}")
        return reply, version_of(reply, hdrs)


def version_of(reply: dict, headers: dict) -> str | None:
    meta = reply.get("meta") if isinstance(reply, dict) else None
    version = headers.get("etag") or headers.get("ETag") or (meta.get("version") if isinstance(meta, dict) else None)
    return str(version) if version is not None else None


def shadow_of(target: str, key: str, reply: dict, headers: dict) -> Shadow:
    return Shadow(target, key, str(reply.get("id")), version_of(reply, headers), reply.get("externalId"),
                  reply.get("userName"))


def result(op: Operation, status: OpStatus, attempts: int, error: str | None = None, shadow: Shadow | None = None,
           **detail) -> OpResult:
    return OpResult(op.id, str(status), op.attempts + attempts, error, shadow,
                    op.takes_over if (shadow is not None and op.takes_over) else None, detail)
