"""Who is applying: `--actor`, else a CI identity, else `git config user.email`, else the
OS user. Recorded in the audit log and the lock."""

from __future__ import annotations

import getpass
import os
import subprocess

CI_ACTOR_VARIABLES = ("PROVISIONER_ACTOR", "GITHUB_ACTOR", "GITLAB_USER_LOGIN", "BUILDKITE_BUILD_CREATOR",
                      "CIRCLE_USERNAME", "BUILD_REQUESTEDFOREMAIL")


def _git_email() -> str | None:
    try:
        out = subprocess.run(["git", "config", "user.email"], capture_output=True, text=True, timeout=5)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None


def resolve_actor(explicit: str | None = None, environ=None) -> str:
    environ = os.environ if environ is None else environ
    if explicit:
        return explicit
    for name in CI_ACTOR_VARIABLES:
        if environ.get(name):
            return environ[name]
    email = _git_email()
    if email:
        return email
    try:
        return getpass.getuser()
    except Exception:  # no user database entry (some containers)
        return "unknown"
