"""Shared fixtures: small org folders written into tmp_path, good and bad."""

from __future__ import annotations

import datetime as dt
import shutil
import textwrap
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"
TODAY = dt.date(2026, 11, 23)


@pytest.fixture
def org_dir(tmp_path, monkeypatch) -> Path:
    """A copy of the minimal valid org; tests add or overwrite files in it. The working
    directory is tmp_path so that reported paths are short and predictable."""
    target = tmp_path / "org"
    shutil.copytree(FIXTURES / "minimal", target)
    monkeypatch.chdir(tmp_path)
    return target


def write(folder: Path, name: str, text: str | bytes) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path
