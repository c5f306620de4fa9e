"""Pre-filled event stores at the growth sizes, built once per run and kept as snapshots.

One working store grows through every size of the ladder; at each size it is closed (which
checkpoints SQLite's WAL into the file) and its file copied, so a benchmark asking for 100k
events after 1M were written still gets a store of exactly 100k. Filling goes through
`hub.service.handle` in big batches, one transaction per batch: the full ingest path at 1M
messages would take hours, and ingest is measured on its own.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

from bench.core import Context, note, timed
from bench.messages import prefill_commands
from hub.bootstrap import bootstrap
from hub.settings import load_settings

BATCH = 2000  # commands per handle() call, i.e. per store transaction


@dataclass(frozen=True)
class Snapshot:
    events: int  # alert events on the stream (the store holds as many receipts again)
    path: Path  # an events.sqlite file (its key store beside it); never written to afterwards
    fill_rate: float  # stream events per second while growing to this size
    file_mib: float


class Ladder:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.work = ctx.folder("ladder")
        self.snapshots: dict[int, Snapshot] = {}
        self.filled = 0

    def at(self, size: int) -> Snapshot:
        """A store holding exactly `size` alert events (grows the working store if needed)."""
        for step in [*sorted(s for s in self.ctx.sizes.ladder if s <= size), size]:
            if step not in self.snapshots:
                self._grow_to(step)
        return self.snapshots[size]

    def _grow_to(self, size: int) -> None:
        if size < self.filled:
            raise ValueError(
                f"ladder already past {size} ({self.filled}); sizes must be asked in order"
            )
        note(f"pre-filling the store to {size:,} events")
        settings = load_settings(
            data_dir=self.work / "data", run_projector=False, log_level="WARNING"
        )
        hub = bootstrap(settings, configure_logs=True)
        added = size - self.filled
        try:
            with timed() as wall:
                while self.filled < size:
                    batch = prefill_commands(min(BATCH, size - self.filled))
                    result = hub.service.handle(batch)
                    self.filled += sum(len(a.events) for a in result.accepted)
        finally:
            hub.close()
        folder = self.work / f"snapshot-{size}"
        folder.mkdir()
        target = folder / "events.sqlite"
        shutil.copyfile(settings.events_db, target)
        for kept in (settings.keys_db, settings.master_key_path):  # its sealed events' keys
            shutil.copy(kept, folder / kept.name)  # the master key keeps its mode 0600
        mib = target.stat().st_size / 2**20
        self.snapshots[size] = Snapshot(size, target, added / wall[0], mib)


def ladder(ctx: Context) -> Ladder:
    found: Ladder = ctx.once(("ladder",), lambda: Ladder(ctx))
    return found


def hub_folder(ctx: Context, snapshot: Snapshot, name: str, *, copy: bool = False) -> Path:
    """A data folder whose event store is the snapshot: linked when read only, copied for writes."""
    data = ctx.folder(name) / "data"
    data.mkdir()
    for key_file in ("keys.sqlite", "master.key"):  # small, and written to: always copied
        shutil.copy(snapshot.path.with_name(key_file), data / key_file)
    if copy:
        shutil.copyfile(snapshot.path, data / "events.sqlite")
    else:
        (data / "events.sqlite").symlink_to(snapshot.path)
    return data
