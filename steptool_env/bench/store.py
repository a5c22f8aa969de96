"""The episode store: ``episodes.jsonl``, appended one complete line per finished episode.

Crash safety. Each record is one JSON line written by a single ``write`` on a file opened
with ``O_APPEND``, as soon as its episode ends. A process killed at any moment (``kill -9``)
leaves every finished record intact; at worst the line being written is cut short. Loading
drops such a torn last line (it is the only place one can be) and truncates the file back
to its last complete record before anything new is appended, so a resumed run never writes
after garbage. A torn or undecodable line anywhere else means the file was changed by
something else: that is reported with its line number, never silently dropped.

Identity. A record is identified by :func:`episode_key` (agent label and config hash, env
id, suite hash, scoring (reward mode and IsSolved rule, see ``provenance.scoring``), subset,
seed, sample, task id); records written before a field existed have it as None. A
resumed run runs only the keys it lacks. One lock file per folder stops two runners from
writing to the same store at once.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from steptool_env.errors import ConfigError

EPISODES_FILE = "episodes.jsonl"
KEY_FIELDS = (
    "agent",
    "agent_config_hash",
    "env_id",
    "suite_hash",
    "scoring",
    "subset",
    "seed",
    "sample",
    "task_id",
)
LATER_KEY_FIELDS = frozenset({"scoring"})
"""Key fields that records of older versions lack (their value is then None)."""

Key = tuple[Any, ...]


class SharedFields:
    """Fields shared by many records (provenance of one agent on one env), JSON-encoded once.

    ``prefix`` is the encoded object without its closing brace, followed by ``", "``, so a
    line is ``prefix + json.dumps(rest)[1:]``: one valid JSON object, no key twice (the
    caller keeps the key sets disjoint; :meth:`EpisodeStore.append` is the only user).
    """

    def __init__(self, fields: dict[str, Any]) -> None:
        self.fields = fields
        self.prefix = json.dumps(fields, ensure_ascii=True)[:-1] + ", "


def episode_key(record: Any) -> Key:
    """The identity of an episode record, a JSON object or an
    :class:`~steptool_env.bench.record.EpisodeRecord` (what a resumed run checks for)."""
    if not isinstance(record, Mapping):
        return tuple(record.key)
    return tuple(record.get(k) if k in LATER_KEY_FIELDS else record[k] for k in KEY_FIELDS)


class EpisodeStore:
    """Append-only, crash-safe JSON-lines file of episode records (see module doc)."""

    def __init__(self, folder: Path, name: str = EPISODES_FILE) -> None:
        self.folder = Path(folder)
        self.path = self.folder / name
        self._fd: int | None = None
        self._lock_fd: int | None = None
        self.repaired_bytes = 0
        """Bytes of a torn last line removed by :meth:`load` (0 when the file was clean)."""

    # ------------------------------------------------------------------ reading
    def load(self, repair: bool = False) -> list[dict[str, Any]]:
        """Every complete record, in file order. A torn last line is skipped; with
        ``repair`` (only while holding the lock, see :meth:`open`) it is also cut off."""
        self.repaired_bytes = 0
        try:
            data = self.path.read_bytes()
        except FileNotFoundError:
            return []
        records: list[dict[str, Any]] = []
        pos = 0
        lines = data.split(b"\n")
        for number, line in enumerate(lines, start=1):
            last = number == len(lines)
            if not line.strip():
                pos += len(line) + 1
                continue
            try:
                rec = json.loads(line)
                if not isinstance(rec, dict):
                    raise ValueError("not an object")
                if last:  # complete JSON but no newline: a write cut short just before it
                    raise ValueError("no end of line")
            except ValueError as exc:
                if last:
                    if repair and len(data) > pos:
                        self.repaired_bytes = len(data) - pos
                        with self.path.open("r+b") as fh:
                            fh.truncate(pos)
                    break
                raise ConfigError(
                    "episodes", f"{self.path}:{number}", f"corrupt record ({exc})"
                ) from None
            records.append(rec)
            pos += len(line) + 1
        return records

    # ------------------------------------------------------------------ writing
    def open(self) -> None:
        """Take the folder's lock and open the file for appending."""
        self.folder.mkdir(parents=True, exist_ok=True)
        lock = os.open(self.folder / ".lock", os.O_CREAT | os.O_RDWR, 0o644)
        try:
            import fcntl

            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(lock)
            raise ConfigError(
                "out", str(self.folder), "another steptool bench is writing to this folder"
            ) from None
        except ImportError:  # pragma: no cover - no fcntl (Windows): no lock
            pass
        self._lock_fd = lock
        self._fd = os.open(self.path, os.O_CREAT | os.O_WRONLY | os.O_APPEND, 0o644)

    def append(self, record: dict[str, Any], shared: SharedFields | None = None) -> None:
        """Write one record as one line, in one ``write`` call.

        With ``shared``, the record holds only the other fields: the line is the shared
        fields' JSON (encoded once per run) followed by this record's.
        """
        if self._fd is None:
            raise RuntimeError("EpisodeStore.open() first")
        body = json.dumps(record, ensure_ascii=True)
        text = f"{shared.prefix}{body[1:]}\n" if shared is not None else body + "\n"
        view = memoryview(text.encode())
        while view:
            n = os.write(self._fd, view)
            view = view[n:]

    def rewrite(self, records: Iterable[dict[str, Any]]) -> None:
        """Replace the file's content atomically (write a temporary file, then rename)."""
        tmp = self.path.with_suffix(".jsonl.tmp")
        with tmp.open("w", encoding="utf-8") as fh:
            for rec in records:
                fh.write(json.dumps(rec, ensure_ascii=True) + "\n")
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, self.path)
        if self._fd is not None:  # reopen: the old descriptor points at the replaced file
            os.close(self._fd)
            self._fd = os.open(self.path, os.O_CREAT | os.O_WRONLY | os.O_APPEND, 0o644)

    def close(self) -> None:
        if self._fd is not None:
            os.fsync(self._fd)
            os.close(self._fd)
            self._fd = None
        if self._lock_fd is not None:
            os.close(self._lock_fd)
            self._lock_fd = None

    def __enter__(self) -> EpisodeStore:
        self.open()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
