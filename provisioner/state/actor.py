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
    """The actor; a StateError for one given (`--actor`, a CI variable) that holds a control
    character, a line break or a bidi control: it goes into the audit log, where it could
    forge a row of `provisioner log`."""
    environ = os.environ if environ is None else environ
    if explicit:
        return _checked(explicit, "--actor")
    for name in CI_ACTOR_VARIABLES:
        if environ.get(name):
            return _checked(environ[name], f"${name}")
    email = _git_email()
    if email:
        return email
    try:
        return getpass.getuser()
    except Exception:  # no user database entry (some containers)
        return "unknown"


def _checked(actor: str, where: str) -> str:
    from ..identifiers import unprintable_problem
    from .backend import StateError

    problem = unprintable_problem(actor)
    if problem:
        raise StateError(f"the actor given by {where} ({actor!r}) cannot be recorded: {problem}; nothing was "
                         "changed")
    return actor
