"""The content-addressed store: durable puts, and batches named by one sync."""

from __future__ import annotations

import hashlib
import os
import resource
from pathlib import Path

import pytest

from tdl_inbox.adapters import fs_sync
from tdl_inbox.adapters.store import BlobStore
from tdl_inbox.errors import StorageError


@pytest.fixture
def store(tmp_path: Path):  # type: ignore[no-untyped-def]
    blobs = BlobStore(tmp_path / "store")
    blobs.ensure()
    yield blobs
    blobs.close()


def temp_files(store: BlobStore) -> list[str]:
    return sorted(os.listdir(store.tmp_dir))


def test_a_durable_put_is_named_by_its_sha256_at_once(store: BlobStore) -> None:
    digest = store.put(b"solution")

    assert digest == hashlib.sha256(b"solution").hexdigest()
    assert store.read(digest) == b"solution"
    assert store.path_for(digest).parent.stat().st_mode & 0o777 == 0o700
    assert temp_files(store) == []


def test_a_deferred_put_gets_its_name_only_at_sync(store: BlobStore) -> None:
    digests = [store.put(f"blob {n}".encode(), durable=False) for n in range(20)]
    again = store.put(b"blob 3", durable=False)  # the same content twice in one batch

    assert again == digests[3]
    assert not any(store.path_for(d).exists() for d in digests)

    store.sync()

    assert [store.read(d) for d in digests] == [f"blob {n}".encode() for n in range(20)]
    assert all(store.verify(d) for d in digests)
    assert temp_files(store) == []


def test_abandon_drops_the_batch_without_naming_anything(store: BlobStore) -> None:
    digests = [store.put(f"blob {n}".encode(), durable=False) for n in range(5)]

    store.abandon()
    store.sync()  # nothing left to name

    assert not any(store.path_for(d).exists() for d in digests)
    assert temp_files(store) == []


def test_without_syncfs_every_file_and_directory_is_fsynced(
    store: BlobStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    synced: list[str] = []
    real_fsync_path = fs_sync.fsync_path

    def recording_fsync_path(path: str | Path) -> None:
        synced.append(str(path))
        real_fsync_path(path)

    # The fallback for systems without syncfs(2) (not Linux, or an old libc).
    monkeypatch.setattr(fs_sync, "_load_syncfs", lambda: None)
    monkeypatch.setattr(fs_sync, "fsync_path", recording_fsync_path)
    digests = [store.put(f"blob {n}".encode(), durable=False) for n in range(3)]

    store.sync()

    leaves = {str(store.path_for(d).parent) for d in digests}
    assert leaves <= set(synced)
    assert sum(1 for path in synced if path.startswith(str(store.tmp_dir))) == 3
    assert [store.read(d) for d in digests] == [f"blob {n}".encode() for n in range(3)]


@pytest.mark.skipif(
    resource.getrlimit(resource.RLIMIT_FSIZE)[1] != resource.RLIM_INFINITY,
    reason="a file size limit is already set for this process",
)
def test_a_write_the_disk_refuses_fails_the_sync_and_leaves_no_files(store: BlobStore) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    resource.setrlimit(resource.RLIMIT_FSIZE, (100_000, hard))  # EFBIG stands in for ENOSPC
    try:
        small = store.put(b"small", durable=False)
        big = store.put(b"x" * 200_000, durable=False)
        with pytest.raises(StorageError, match="file size limit"):
            store.sync()
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))

    assert not store.path_for(small).exists()
    assert not store.path_for(big).exists()
    assert temp_files(store) == []


def test_the_string_paths_are_path_for(tmp_path: Path) -> None:
    (tmp_path / "real").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "real")
    store = BlobStore(tmp_path / "link" / "store")
    store.ensure()
    digest = store.put(b"solution")
    assert store.path_for(digest) == store.root / "sha256" / digest[:2] / digest[2:4] / digest
    assert store.path_for(digest).is_file()
    assert store.paths()(digest) == str(store.path_for(digest))
    resolved = store.paths(resolved=True)(digest)
    assert resolved == str(store.path_for(digest).resolve())
    assert resolved.startswith(str(tmp_path / "real"))
    store.close()
