"""A small real file system to fill and free: a tmpfs mounted for a test or the fault soak.

Disk-full behaviour is only believable on a disk that is really full, so tests and the fault
soak mount a tmpfs of a few MiB (root is needed: `make test` runs as root on the CI machines)
and fill it with a plain file; deleting the file gives the room back.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

MIB = 1024 * 1024


@contextmanager
def small_disk(where: Path, size_mib: int) -> Iterator[Path]:
    where.mkdir(parents=True, exist_ok=True)
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size_mib}m", "tmpfs", str(where)],
        capture_output=True,
        text=True,
        check=False,
    )
    if mounted.returncode != 0:
        raise RuntimeError(f"cannot mount a tmpfs (root needed): {mounted.stderr.strip()}")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False)


def fill(disk: Path, leave_bytes: int) -> Path:
    """Write a filler file until only about `leave_bytes` are free; returns it (delete to free)."""
    filler = disk / "filler"
    with filler.open("ab") as out:
        while (free := shutil.disk_usage(disk).free) > leave_bytes:
            try:
                out.write(b"\0" * min(MIB, max(4096, free - leave_bytes)))
                out.flush()
            except OSError:
                break
        os.fsync(out.fileno())
    return filler
