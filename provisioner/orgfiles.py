"""Find and read the files of an org folder without ever leaving it (LOAD002).

A symlink may point anywhere inside the folder; one that leaves it, dangles or loops is
refused, as are FIFOs, sockets, devices, unreadable and oversized files. Nothing is
skipped in silence: every refusal is a located diagnostic, and refused content is never read.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

from .diagnostics import Diagnostic, Severity
from .identifiers import unprintable_problem
from .limits import MAX_FILE_BYTES

YAML_SUFFIXES = (".yaml", ".yml")
TEMPLATE_SUFFIXES = (".yaml.j2", ".yml.j2")
_KINDS = {stat.S_IFIFO: "a FIFO (named pipe)", stat.S_IFSOCK: "a socket", stat.S_IFCHR: "a character device",
          stat.S_IFBLK: "a block device"}


class Refused(Exception):
    """A file or folder that is not read; `str()` is the reason."""


def display_path(path: Path) -> str:
    """A path as the user would type it: relative to the working directory."""
    try:
        relative = os.path.relpath(path)
    except ValueError:  # another drive on Windows
        return str(path)
    return str(path) if relative.startswith("..") and Path(path).is_absolute() else relative


def refusal(path: Path | str, reason: str) -> Diagnostic:
    from .identifiers import shown  # a name with a line break or an escape sequence is shown escaped

    return Diagnostic(shown(display_path(Path(path))), None, None, "LOAD002", Severity.ERROR, reason, None)


def _wanted(name: str) -> bool:
    return name.endswith(YAML_SUFFIXES + TEMPLATE_SUFFIXES)


def _inside(real: str, root: str) -> bool:
    return real == root or real.startswith(root.rstrip(os.sep) + os.sep)


def _os_reason(exc: OSError) -> str:
    if exc.errno == errno.ELOOP:
        return "a symlink loop: the link leads back to itself; replace it with the file"
    if exc.errno in (errno.EACCES, errno.EPERM):
        return "cannot read: permission denied (make it readable by the user running provisioner)"
    return f"cannot read: {(exc.strerror or str(exc)).lower()}"


def _follow(path: Path, root_real: str) -> str:
    """The real path of a symlink inside the folder, or Refused."""
    target = "a file that is not there"  # readlink itself can fail: the entry went away meanwhile
    try:
        target = os.readlink(path)
        real = os.path.realpath(path, strict=True)
    except FileNotFoundError:
        raise Refused(f"a broken symlink (to {target}): the file it named is gone; restore it or "
                      "delete the link") from None
    except OSError as exc:
        raise Refused(_os_reason(exc)) from None
    if not _inside(real, root_real):
        raise Refused(f"a symlink that points outside the org folder (to {target}); only files inside "
                      "the folder are read: copy the file in instead")
    return real


class TooLarge(Exception):
    """A folder with more entries than a walk was allowed to look at."""


def walk(root: Path, budget: int | None = None) -> tuple[list[Path], list[Path], list[Diagnostic]]:
    """The YAML files and templates below `root` (sorted; hidden names skipped) and the
    entries that were refused. `budget`: the most entries looked at before TooLarge."""
    root_real = os.path.realpath(root)
    plain, templates, problems = [], [], []
    seen = {root_real}
    pending = [(root, root_real)]
    looked = 0
    while pending:
        folder, folder_real = pending.pop()
        try:
            with os.scandir(folder) as it:
                entries = sorted(it, key=lambda e: e.name)
        except OSError as exc:
            problems.append(refusal(folder, _os_reason(exc)))
            continue
        looked += len(entries)
        if budget is not None and looked > budget:
            raise TooLarge(f"more than {budget:,} entries")
        for entry in entries:
            if entry.name.startswith("."):
                continue
            path = Path(folder) / entry.name
            odd = unprintable_problem(entry.name)
            if odd and (_wanted(entry.name) or entry.is_dir(follow_symlinks=False)):  # it would forge output lines
                problems.append(refusal(path, f"its name cannot be shown as it is: {odd}; rename it"))
                continue
            try:
                if entry.is_symlink():
                    real = _follow(path, root_real)
                    mode = os.stat(real).st_mode
                else:
                    real, mode = os.path.join(folder_real, entry.name), entry.stat(follow_symlinks=False).st_mode
                if stat.S_ISDIR(mode):
                    if real in seen or _inside(folder_real, real):
                        raise Refused(f"a symlink loop: this folder leads back to {display_path(Path(real))}")
                    seen.add(real)
                    pending.append((path, real))
                elif _wanted(entry.name):
                    if not stat.S_ISREG(mode):
                        raise Refused(f"not a regular file but {_KINDS.get(stat.S_IFMT(mode), 'a special file')}; "
                                      "an org folder holds plain files only")
                    (templates if entry.name.endswith(TEMPLATE_SUFFIXES) else plain).append(path)
            except Refused as exc:  # a refused link that names no YAML file or folder is never read
                if _wanted(entry.name) or os.path.isdir(path) or "." not in entry.name:
                    problems.append(refusal(path, str(exc)))
            except OSError as exc:
                problems.append(refusal(path, _os_reason(exc)))
    return sorted(plain), sorted(templates), problems


def read_file(path: Path, limit: int = MAX_FILE_BYTES, inside: Path | None = None) -> bytes:
    """The bytes of a regular file, or Refused: never blocks on a FIFO, never follows a
    link swapped in after `walk` (the last component is not followed; with `inside`, the
    org folder, a path whose links now lead out of it is refused), never reads more than `limit`."""
    try:
        real = os.path.realpath(path)
        if inside is not None and not _inside(real, os.path.realpath(inside)):
            raise Refused("a symlink that points outside the org folder (it changed while the folder was read); "
                          "only files inside the folder are read: copy the file in instead")
        fd = os.open(real, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOFOLLOW", 0))
    except OSError as exc:
        raise Refused(_os_reason(exc)) from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise Refused(f"not a regular file but {_KINDS.get(stat.S_IFMT(info.st_mode), 'a special file')}")
        if info.st_size > limit:
            raise Refused(f"the file is larger than {limit:,} bytes ({info.st_size:,}); split it")
        with os.fdopen(fd, "rb", closefd=False) as f:
            data = f.read(limit + 1)
        if len(data) > limit:
            raise Refused(f"the file is larger than {limit:,} bytes; split it")
        return data
    except OSError as exc:
        raise Refused(_os_reason(exc)) from None
    finally:
        os.close(fd)
