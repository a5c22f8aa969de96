"""Download StableToolBench's solvable test queries at a pinned upstream commit.

The six files of ``solvable_queries/test_instruction/`` are fetched from the upstream
repository at :data:`PINNED_COMMIT` into a user cache folder (see :func:`data_dir` and
:func:`stabletoolbench_dir`), each checked against its SHA-256 digest at that commit, pinned
in :data:`PINNED_SHA256`: a file that does not match is refused. (A file whose digest a
release does not pin, ``None``, would be trusted on first use: its digest recorded in
``SHA256SUMS`` next to it, with an :class:`UnpinnedFileWarning`, and every later fetch held
to it. This release pins all six.) ``SHA256SUMS`` lists the digest of every file fetched.

Downloads stream into a temporary file in the destination folder that is checked (digest,
then "parses as a JSON list") and only then renamed into place, so an interrupted or
rejected download never leaves a partial file behind. Files already present with the
right digest are not downloaded again unless ``force=True``.

Nothing here touches the network unless :func:`fetch_stabletoolbench` is called.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from steptool_env.errors import CatalogueError, ConfigError, ProviderError, StepToolError, require
from steptool_env.stabletoolbench.queries import QUERY_FILES as _STEMS

UPSTREAM_REPO = "THUNLP-MT/StableToolBench"
PINNED_COMMIT = "aa4ed9f4737ad98bd706663f01d63623c3427812"
UPSTREAM_FOLDER = "solvable_queries/test_instruction"

QUERY_FILES: dict[str, str] = {f"{stem}.json": subset for stem, subset in _STEMS.items()}
"""File name -> test subset of the six solvable-query files."""

#: SHA-256 of each file at :data:`PINNED_COMMIT` (``None`` would mean "not pinned": the
#: file is then trusted on first use and recorded in ``SHA256SUMS``).
PINNED_SHA256: dict[str, str | None] = {
    "G1_instruction.json": "500aa0105ed451538448f6ea04f10661536b013f3e1a293840fe401688160e7c",
    "G1_category.json": "123cb9073c8b6e6473df91c8a51170277087e1c263eba2eb6077170edbe849c3",
    "G1_tool.json": "05d0c180bbec9d060fd267cc79399bda05beddd0a6d0de68b5488926a9029a1a",
    "G2_instruction.json": "82d569cd0fc8fc742a15a3011fb5cd6a8b11e0a5b344c884602347439f43cad7",
    "G2_category.json": "71e18112f7940934f159d623b1c2b4740b1b4dc58a0b596c63b8151abbf8267e",
    "G3_instruction.json": "f923d1a9452646bd1a415b266117d90675d0f8fc04cf014db58d3cd78c25634f",
}

SUMS_FILE = "SHA256SUMS"
DEFAULT_BASE_URL = (
    f"https://raw.githubusercontent.com/{UPSTREAM_REPO}/{PINNED_COMMIT}/{UPSTREAM_FOLDER}"
)
BROWSE_URL = f"https://github.com/{UPSTREAM_REPO}/tree/{PINNED_COMMIT}/{UPSTREAM_FOLDER}"
_CHUNK = 1 << 16


class UnpinnedFileWarning(UserWarning):
    """A file whose digest this release does not pin was trusted and its digest recorded."""


@dataclass(frozen=True)
class FetchResult:
    """What :func:`fetch_stabletoolbench` did for one file."""

    file: str
    path: Path
    sha256: str
    status: str  # "downloaded" | "cached"
    pinned: bool  # True when the digest was checked against PINNED_SHA256


def data_dir() -> Path:
    """The root of steptool's downloaded data.

    ``$STEPTOOL_DATA_DIR`` if set, else ``$XDG_CACHE_HOME/steptool`` (when that variable
    holds an absolute path, as the XDG spec asks), else ``~/.cache/steptool``.
    """
    explicit = os.environ.get("STEPTOOL_DATA_DIR")
    if explicit:
        return Path(explicit).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    if xdg and Path(xdg).is_absolute():
        return Path(xdg) / "steptool"
    return Path.home() / ".cache" / "steptool"


def stabletoolbench_dir(root: Path | None = None) -> Path:
    """The folder of the query files: ``{root}/stabletoolbench/{commit[:12]}/test_instruction``.

    ``root`` defaults to :func:`data_dir`.
    """
    base = data_dir() if root is None else Path(root)
    return base / "stabletoolbench" / PINNED_COMMIT[:12] / "test_instruction"


def file_sha256(path: Path) -> str:
    """The hex SHA-256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(_CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def read_sums(folder: Path) -> dict[str, str]:
    """The digests recorded in ``folder/SHA256SUMS`` (``sha256sum`` format), by file name."""
    path = folder / SUMS_FILE
    if not path.is_file():
        return {}
    sums: dict[str, str] = {}
    for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        digest, sep, name = line.partition(" ")
        name = name.lstrip(" *") if sep else ""
        if len(digest) != 64 or not name or any(c not in "0123456789abcdef" for c in digest):
            raise CatalogueError(f"{path}:{lineno}: not a 'sha256  filename' line: {line!r}")
        sums[name] = digest
    return sums


def _write_sums(folder: Path, sums: dict[str, str]) -> None:
    order = {name: i for i, name in enumerate(QUERY_FILES)}
    names = sorted(sums, key=lambda n: (order.get(n, len(order)), n))
    text = "".join(f"{sums[n]}  {n}\n" for n in names)
    with _temp_file(folder, SUMS_FILE) as (tmp, fh):
        fh.write(text.encode("utf-8"))
        fh.close()
        os.replace(tmp, folder / SUMS_FILE)


@contextlib.contextmanager
def _temp_file(folder: Path, name: str) -> Iterator[tuple[Path, IO[bytes]]]:
    """A temporary file next to ``folder/name``, removed on exit unless renamed away."""
    fd, raw = tempfile.mkstemp(dir=folder, prefix=f".{name}.", suffix=".part")
    tmp = Path(raw)
    fh = os.fdopen(fd, "wb")
    try:
        yield tmp, fh
    finally:
        fh.close()
        tmp.unlink(missing_ok=True)


def _check_json_list(path: Path, name: str) -> None:
    try:
        data = json.loads(path.read_bytes())
    except (ValueError, UnicodeDecodeError) as exc:
        raise CatalogueError(
            f"{name} is not valid JSON ({exc}); expected a list of queries"
        ) from None
    if not isinstance(data, list):
        raise CatalogueError(f"{name} holds a JSON {type(data).__name__}, expected a list")


def _offline_hint(dest: Path) -> str:
    return (
        f"you may be offline. To install the files by hand, download "
        f"{', '.join(QUERY_FILES)} from {BROWSE_URL} and place them in {dest} "
        f"(they are checked on the next fetch)"
    )


def _download(
    client: Any,
    httpx: Any,
    url: str,
    name: str,
    dest: Path,
    *,
    expected: str | None,
    pinned: bool,
    progress: bool,
) -> str:
    """Stream ``url`` into ``dest/name`` through a checked temporary file; its digest."""
    from tqdm.auto import tqdm

    with _temp_file(dest, name) as (tmp, fh):
        digest = hashlib.sha256()
        try:
            with client.stream("GET", url) as response:
                if response.status_code != 200:
                    raise ProviderError(
                        f"GET {url} answered HTTP {response.status_code} "
                        f"{response.reason_phrase}".rstrip()
                    )
                size = response.headers.get("content-length")
                total = int(size) if size and size.isdigit() else None
                with tqdm(
                    total=total,
                    desc=name,
                    unit="B",
                    unit_scale=True,
                    unit_divisor=1024,
                    disable=not progress,
                    leave=False,
                ) as bar:
                    seen = 0
                    for chunk in response.iter_bytes(_CHUNK):
                        digest.update(chunk)
                        fh.write(chunk)
                        bar.update(response.num_bytes_downloaded - seen)
                        seen = response.num_bytes_downloaded
        except (httpx.UnsupportedProtocol, httpx.InvalidURL) as exc:
            raise ConfigError("base_url", url, f"not an http(s) URL ({exc})") from None
        except (httpx.ConnectError, httpx.TimeoutException) as exc:
            raise ProviderError(
                f"could not reach {url} ({type(exc).__name__}: {exc}); {_offline_hint(dest)}"
            ) from None
        except httpx.TransportError as exc:
            raise ProviderError(
                f"downloading {url} failed ({type(exc).__name__}: {exc}); {_offline_hint(dest)}"
            ) from None
        fh.close()
        got = digest.hexdigest()
        if expected is not None and got != expected:
            where = (
                "pinned in this release"
                if pinned
                else f"recorded in {dest / SUMS_FILE} on first download; delete that line "
                "to trust the new content"
            )
            raise CatalogueError(
                f"{name}: SHA-256 mismatch for {url}: expected {expected} ({where}), got {got}; "
                "the download was discarded"
            )
        _check_json_list(tmp, name)
        os.replace(tmp, dest / name)
    return got


def fetch_stabletoolbench(
    dest: Path | None = None,
    *,
    base_url: str | None = None,
    force: bool = False,
    timeout_s: float = 60.0,
    progress: bool = True,
    files: Sequence[str] | None = None,
) -> list[FetchResult]:
    """Download (or find cached) StableToolBench's solvable test-query files.

    ``dest`` is the folder the files go to (default :func:`stabletoolbench_dir`);
    ``base_url`` replaces the raw-GitHub folder URL of :data:`PINNED_COMMIT` (tests serve
    files from a loopback server); ``files`` restricts the fetch to some of
    :data:`QUERY_FILES`; ``force`` downloads again files already present.

    Raises :class:`ProviderError` when the server cannot be reached or does not answer
    200, :class:`CatalogueError` when a file's digest differs from its pinned or recorded
    one or it is not a JSON list, :class:`ConfigError` for bad arguments. Emits an
    :class:`UnpinnedFileWarning` for each file trusted on first use.
    """
    names = list(QUERY_FILES) if files is None else list(files)
    for name in names:
        if name not in QUERY_FILES:
            raise ConfigError("files", name, "not a StableToolBench query file", QUERY_FILES)
    if isinstance(timeout_s, bool) or not isinstance(timeout_s, int | float) or timeout_s <= 0:
        raise ConfigError("timeout_s", timeout_s, "must be a number of seconds > 0")
    folder = stabletoolbench_dir() if dest is None else Path(dest).expanduser()
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError("dest", str(folder), f"cannot create the folder ({exc})") from None
    base = (base_url or DEFAULT_BASE_URL).rstrip("/")
    sums = read_sums(folder)
    results: list[FetchResult] = []
    client = None
    httpx: Any = None
    try:
        for name in names:
            pin = PINNED_SHA256[name]
            pinned = pin is not None
            expected = pin if pin is not None else sums.get(name)
            path = folder / name
            if not force and path.is_file():
                have = file_sha256(path)
                if expected is None:  # an unpinned file placed by hand: trust it now
                    _check_json_list(path, name)
                    _warn_unpinned(name, have, folder, "found in")
                if expected is None or have == expected:
                    results.append(FetchResult(name, path, have, "cached", pinned))
                    if sums.get(name) != have:
                        sums[name] = have
                        _write_sums(folder, sums)
                    continue
            if client is None:
                httpx = require("httpx", "bench")
                client = httpx.Client(timeout=httpx.Timeout(timeout_s), follow_redirects=True)
            got = _download(
                client,
                httpx,
                f"{base}/{name}",
                name,
                folder,
                expected=expected,
                pinned=pinned,
                progress=progress,
            )
            if expected is None:
                _warn_unpinned(name, got, folder, "downloaded to")
            results.append(FetchResult(name, path, got, "downloaded", pinned))
            if sums.get(name) != got:
                sums[name] = got
                _write_sums(folder, sums)
    except OSError as exc:
        raise StepToolError(f"could not write StableToolBench files in {folder}: {exc}") from exc
    finally:
        if client is not None:
            client.close()
    return results


def _warn_unpinned(name: str, digest: str, folder: Path, verb: str) -> None:
    warnings.warn(
        f"{name} is not pinned in this release: trusting the copy {verb} {folder} "
        f"(sha256 {digest}) on first use and recording it in {folder / SUMS_FILE}",
        UnpinnedFileWarning,
        stacklevel=3,
    )
