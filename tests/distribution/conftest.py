"""Fixtures: one set of parties per module (keys, release builds, the log), a fresh repository
and client state per test, python-tuf's clock pinned to the kit's NOW (expiry is tested by
moving it), and a local HTTP server per test."""

from __future__ import annotations

import datetime as dt
import hashlib
import types
from pathlib import Path

import pytest

from tcenter.distribution.client import UpdateClient
from tests.distribution.kit import NOW, Center, Server


@pytest.fixture(scope="module")
def center(tmp_path_factory) -> Center:
    return Center(tmp_path_factory.mktemp("center"))


@pytest.fixture
def clock(monkeypatch):
    """Set the time python-tuf's client judges expiry by (default: the kit's NOW)."""
    import tuf.ngclient._internal.trusted_metadata_set as trusted

    def set_time(when: dt.datetime) -> None:
        class Frozen(dt.datetime):
            @classmethod
            def now(cls, tz=None):  # noqa: ANN001, ANN206
                return when

        monkeypatch.setattr(trusted, "datetime", types.SimpleNamespace(datetime=Frozen, timezone=dt.timezone))

    set_time(NOW)
    return set_time


@pytest.fixture
def server(tmp_path):
    with Server(tmp_path / "served") as running:
        yield running


def client(center: Center, repo, url: str, state: Path, **options) -> UpdateClient:
    return UpdateClient(state, url, repo.signing_class, trusted_root=center.root_bytes(repo),
                        now=int(NOW.timestamp()), **options)


def tree_digest(folder: Path) -> str:
    """Every file and link under FOLDER (names, link targets, bytes): the client's whole state."""
    digest = hashlib.sha256()
    for path in sorted(folder.rglob("*")):
        if path.is_dir() and not path.is_symlink():
            continue  # an empty directory holds no state
        digest.update(str(path.relative_to(folder)).encode())
        if path.is_symlink():
            digest.update(b"->" + str(path.readlink()).encode())
        elif path.is_file():
            digest.update(path.read_bytes())
    return digest.hexdigest()
