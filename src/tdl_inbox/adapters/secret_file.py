"""A secret kept in a file of its own, readable by its owner only (never in the config)."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from tdl_inbox.errors import StorageError

SECRET_BYTES = 32


def load_or_create(path: Path) -> bytes:
    """The secret in ``path``, made (mode 0600, atomically: two starts agree) if missing."""
    try:
        return bytes.fromhex(path.read_text(encoding="ascii").strip())
    except FileNotFoundError:
        pass
    except ValueError:
        raise StorageError(f"{path} does not hold a secret key; remove it to make one") from None
    path.parent.mkdir(parents=True, exist_ok=True)
    scratch = path.with_name(f".{path.name}.{secrets.token_hex(4)}")
    fd = os.open(scratch, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as out:
        out.write(secrets.token_hex(SECRET_BYTES) + "\n")
    try:
        os.link(scratch, path)  # fails if another start made one meanwhile: that one wins
    except FileExistsError:
        pass
    finally:
        scratch.unlink()
    return bytes.fromhex(path.read_text(encoding="ascii").strip())
