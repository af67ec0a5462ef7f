"""Where the shared real-world mail corpus lives, and the policy when it is absent."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

CORPUS_DIR = Path(__file__).resolve().parents[1].parent / "shared" / "corpus" / "real"


def corpus_files() -> list[Path]:
    """The corpus messages; skip (or, under CI=true, fail) when the corpus is not present."""
    files = sorted(CORPUS_DIR.glob("*.eml")) if CORPUS_DIR.is_dir() else []
    if not files:
        reason = f"real-world mail corpus not found at {CORPUS_DIR}"
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    return files


def with_line_endings(raw: bytes, ending: bytes) -> bytes:
    lf = raw.replace(b"\r\n", b"\n")
    return lf if ending == b"\n" else lf.replace(b"\n", b"\r\n")
