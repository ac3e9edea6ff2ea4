"""A throwaway PostgreSQL server for the tests: `initdb` + `pg_ctl` from Debian's
`postgresql` package (`make test` installs it), a cluster in a temp folder listening on
127.0.0.1 with password authentication, one database per test. Never skipped: without
the server binaries the PostgreSQL tests fail, saying how to install them."""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import uuid
from pathlib import Path

USER, PASSWORD = "provisioner", "pw-" + uuid.uuid4().hex[:12]


def server_bin(name: str) -> str:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), key=lambda p: int(p.split("/")[4]))
    if found:
        return found[-1]
    path = shutil.which(name)
    if path:
        return path
    raise RuntimeError(f"the PostgreSQL server ({name}) is not installed: run `make test` (it installs Debian's "
                       "postgresql package) or apt-get install postgresql")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Cluster:
    """One server; `url(db)` with the password left to PGPASSWORD, `restart()` drops every connection."""

    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="provisioner-pg-"))
        self.data, self.port = self.root / "data", _free_port()
        # initdb refuses to run as root: the cluster belongs to an unprivileged user.
        self.owner = "postgres" if os.geteuid() == 0 else None
        if self.owner:
            entry = pwd.getpwnam(self.owner)
            os.chown(self.root, entry.pw_uid, entry.pw_gid)
        pwfile = self.root / "pw"
        pwfile.write_text(PASSWORD + "\n")
        os.chmod(pwfile, 0o644)
        self._run(server_bin("initdb"), "-D", str(self.data), "-U", USER, "--pwfile", str(pwfile),
                  "--auth-local=trust", "--auth-host=scram-sha-256", "--no-sync", "-E", "UTF8", "--no-instructions")
        pwfile.unlink()
        self.start()

    def _run(self, *args: str) -> None:
        cmd = list(args)
        if self.owner:
            cmd = ["runuser", "-u", self.owner, "--", *cmd]
        done = subprocess.run(cmd, capture_output=True, text=True, cwd=self.root)
        if done.returncode:
            raise RuntimeError(f"{' '.join(args[:2])} failed: {done.stdout}{done.stderr}")

    def start(self) -> None:
        options = (f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off "
                   "-c full_page_writes=off -c max_connections=60")  # commits reach the WAL: a restart keeps them
        self._run(server_bin("pg_ctl"), "-D", str(self.data), "-o", options, "-l", str(self.root / "log"),
                  "-w", "start")

    def stop(self, mode: str = "fast") -> None:
        self._run(server_bin("pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop")

    def restart(self) -> None:
        self.stop("immediate")
        self.start()

    def url(self, database: str = "postgres", password: bool = False) -> str:
        auth = f"{USER}:{PASSWORD}" if password else USER
        return f"postgresql://{auth}@127.0.0.1:{self.port}/{database}"

    def create_database(self) -> str:
        import psycopg

        name = "t_" + uuid.uuid4().hex[:16]
        with psycopg.connect(self.url(password=True), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return name

    def close(self) -> None:
        try:
            self.stop("immediate")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)
