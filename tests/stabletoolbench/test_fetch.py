"""`steptool data fetch stabletoolbench`: pinned and trust-on-first-use digests, caching,
atomic downloads and clear errors, against a loopback HTTP server only."""

from __future__ import annotations

import functools
import hashlib
import http.server
import json
import socket
import threading
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from steptool_env import cli
from steptool_env.errors import CatalogueError, ConfigError, ProviderError
from steptool_env.stabletoolbench import fetch as F
from tests.conftest import STABLETOOLBENCH_FILES

REAL = {f.name: f for f in STABLETOOLBENCH_FILES}
"""The real copies this machine has (the upstream files at the pinned commit)."""


@dataclass
class Served:
    url: str
    root: Path
    requests: list[str] = field(default_factory=list)

    def put(self, name: str, data: bytes) -> None:
        (self.root / name).write_bytes(data)


def _fake(name: str, tag: str = "") -> bytes:
    return json.dumps([{"query": f"a query of {name}{tag}", "query_id": 1}]).encode()


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    # keep every request on 127.0.0.1, whatever the environment says
    for var in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.delenv("all_proxy", raising=False)


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    """A loopback server for ``tmp_path/upstream``; files go in its ``sq/`` folder."""
    top = tmp_path / "upstream"
    (top / "sq").mkdir(parents=True)
    state = Served("", top / "sq")

    class Handler(http.server.SimpleHTTPRequestHandler):
        def do_GET(self) -> None:
            state.requests.append(self.path)
            super().do_GET()

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(Handler, directory=str(top))
    )
    state.url = f"http://127.0.0.1:{server.server_address[1]}/sq"
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


@pytest.fixture
def upstream(monkeypatch: pytest.MonkeyPatch) -> dict[str, bytes]:
    """The six files as the loopback server serves them: the real copies where this machine
    has them; for the others a stand-in, pinned (for the test) to its own digest."""
    content = {}
    for name in F.QUERY_FILES:
        if name in REAL:
            content[name] = REAL[name].read_bytes()
        else:
            content[name] = _fake(name)
            monkeypatch.setitem(F.PINNED_SHA256, name, _sha(content[name]))
    return content


def _serve_all(served: Served, upstream: dict[str, bytes]) -> None:
    for name, data in upstream.items():
        served.put(name, data)


def _fetch(served: Served, dest: Path, **kw: object) -> list[F.FetchResult]:
    return F.fetch_stabletoolbench(dest, base_url=served.url, progress=False, **kw)


def test_pin_table_is_honest() -> None:
    assert list(F.QUERY_FILES) == list(F.PINNED_SHA256)
    assert F.QUERY_FILES["G1_tool.json"] == "I1-Tool"
    for name, digest in F.PINNED_SHA256.items():  # all six are pinned
        assert isinstance(digest, str) and len(digest) == 64 and int(digest, 16) >= 0, name
    for name, path in REAL.items():  # the copies this machine has are the pinned ones
        assert F.file_sha256(path) == F.PINNED_SHA256[name], name
    assert F.DEFAULT_BASE_URL == (
        "https://raw.githubusercontent.com/THUNLP-MT/StableToolBench/"
        "aa4ed9f4737ad98bd706663f01d63623c3427812/solvable_queries/test_instruction"
    )


def test_full_fetch_then_cached_without_requests(
    served: Served, upstream: dict[str, bytes], tmp_path: Path
) -> None:
    _serve_all(served, upstream)
    dest = tmp_path / "cache"
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # every file is pinned: nothing is trusted on first use
        results = _fetch(served, dest)
    assert [r.file for r in results] == list(F.QUERY_FILES)
    assert {r.status for r in results} == {"downloaded"}
    assert sorted(served.requests) == sorted(f"/sq/{n}" for n in F.QUERY_FILES)
    for r in results:
        assert r.path == dest / r.file
        assert r.pinned is True
        assert r.sha256 == _sha(r.path.read_bytes()) == F.PINNED_SHA256[r.file]
    sums = F.read_sums(dest)
    assert sums == {r.file: r.sha256 for r in results}
    assert sorted(p.name for p in dest.iterdir()) == sorted([*F.QUERY_FILES, "SHA256SUMS"])

    served.requests.clear()
    again = _fetch(served, dest)
    assert {r.status for r in again} == {"cached"}
    assert [r.sha256 for r in again] == [r.sha256 for r in results]
    assert served.requests == []


def test_force_downloads_again(served: Served, upstream: dict[str, bytes], tmp_path: Path) -> None:
    name = "G2_category.json"
    served.put(name, upstream[name])
    _fetch(served, tmp_path / "d", files=[name])
    [cached] = _fetch(served, tmp_path / "d", files=[name])
    assert cached.status == "cached"
    [forced] = _fetch(served, tmp_path / "d", files=[name], force=True)
    assert forced.status == "downloaded"
    assert served.requests == [f"/sq/{name}", f"/sq/{name}"]


def test_tampered_pinned_file_is_rejected_and_removed(served: Served, tmp_path: Path) -> None:
    name = "G1_instruction.json"
    bad = _fake(name, " tampered")
    served.put(name, bad)
    dest = tmp_path / "d"
    with pytest.raises(CatalogueError) as info:
        _fetch(served, dest, files=[name])
    msg = str(info.value)
    assert name in msg
    assert F.PINNED_SHA256[name] in msg
    assert _sha(bad) in msg
    assert list(dest.iterdir()) == []  # no file, no temp file, no SHA256SUMS


def test_corrupt_local_pinned_file_is_replaced(served: Served, tmp_path: Path) -> None:
    # a pinned file on disk that does not match its pin is downloaded again, and the
    # (here tampered) upstream copy is rejected without touching the local one
    name = "G1_tool.json"
    dest = tmp_path / "d"
    dest.mkdir()
    (dest / name).write_bytes(b"[]")
    served.put(name, b"[1]")
    with pytest.raises(CatalogueError, match="mismatch"):
        _fetch(served, dest, files=[name])
    assert served.requests == [f"/sq/{name}"]
    assert (dest / name).read_bytes() == b"[]"
    assert sorted(p.name for p in dest.iterdir()) == [name]


def test_recorded_unpinned_file_changed_upstream(
    served: Served, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    name = "G3_instruction.json"
    monkeypatch.setitem(F.PINNED_SHA256, name, None)  # as if this release did not pin it
    first = _fake(name)
    served.put(name, first)
    dest = tmp_path / "d"
    with pytest.warns(F.UnpinnedFileWarning, match="not pinned"):
        [r] = _fetch(served, dest, files=[name])
    assert (r.status, r.pinned, r.sha256) == ("downloaded", False, _sha(first))
    assert F.read_sums(dest) == {name: _sha(first)}

    changed = _fake(name, " v2")
    served.put(name, changed)
    with pytest.raises(CatalogueError) as info:
        _fetch(served, dest, files=[name], force=True)
    msg = str(info.value)
    assert name in msg and _sha(first) in msg and _sha(changed) in msg
    assert "SHA256SUMS" in msg
    assert (dest / name).read_bytes() == first  # the good copy is kept
    assert sorted(p.name for p in dest.iterdir()) == sorted([name, "SHA256SUMS"])


def test_hand_placed_unpinned_file_is_recorded(
    served: Served, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    name = "G1_category.json"
    monkeypatch.setitem(F.PINNED_SHA256, name, None)  # as if this release did not pin it
    dest = tmp_path / "d"
    dest.mkdir()
    (dest / name).write_bytes(_fake(name, " by hand"))
    with pytest.warns(F.UnpinnedFileWarning, match="found in"):
        [r] = _fetch(served, dest, files=[name])
    assert r.status == "cached"
    assert served.requests == []
    assert F.read_sums(dest) == {name: _sha(_fake(name, " by hand"))}


def test_not_a_json_list_is_rejected(
    served: Served, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    name = "G2_category.json"
    served.put(name, b'{"not": "a list"}')
    monkeypatch.setitem(F.PINNED_SHA256, name, _sha(b'{"not": "a list"}'))  # right digest
    dest = tmp_path / "d"
    with pytest.raises(CatalogueError, match=f"{name}.*expected a list"):
        _fetch(served, dest, files=[name])
    assert list(dest.iterdir()) == []


def test_http_404_names_url_and_status(served: Served, tmp_path: Path) -> None:
    with pytest.raises(ProviderError) as info:
        _fetch(served, tmp_path / "d", files=["G1_category.json"])
    assert f"{served.url}/G1_category.json" in str(info.value)
    assert "404" in str(info.value)
    assert list((tmp_path / "d").iterdir()) == []


def test_offline_is_a_clear_provider_error(tmp_path: Path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    dest = tmp_path / "d"
    with pytest.raises(ProviderError) as info:
        F.fetch_stabletoolbench(
            dest, base_url=f"http://127.0.0.1:{port}", progress=False, timeout_s=5
        )
    msg = str(info.value)
    assert f"http://127.0.0.1:{port}/G1_instruction.json" in msg
    assert "you may be offline" in msg  # (tmp_path itself contains "offline")
    assert str(dest) in msg
    assert list(dest.iterdir()) == []


def test_bad_arguments_are_config_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"G4_instruction\.json"):
        F.fetch_stabletoolbench(tmp_path, files=["G4_instruction.json"], progress=False)
    with pytest.raises(ConfigError, match="timeout_s"):
        F.fetch_stabletoolbench(tmp_path, timeout_s=0, progress=False)


def test_data_dir_and_default_dest(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("STEPTOOL_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert F.data_dir() == tmp_path / "data"
    assert F.stabletoolbench_dir() == (
        tmp_path / "data" / "stabletoolbench" / "aa4ed9f4737a" / "test_instruction"
    )
    monkeypatch.delenv("STEPTOOL_DATA_DIR")
    assert F.data_dir() == tmp_path / "xdg" / "steptool"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert F.data_dir() == tmp_path / "home" / ".cache" / "steptool"


def test_default_dest_follows_data_dir(
    served: Served, upstream: dict[str, bytes], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("STEPTOOL_DATA_DIR", str(tmp_path / "data"))
    name = "G1_category.json"
    served.put(name, upstream[name])
    [r] = F.fetch_stabletoolbench(base_url=served.url, progress=False, files=[name])
    assert r.path == F.stabletoolbench_dir(tmp_path / "data") / name
    assert r.path.is_file()


def test_cli_fetch(
    served: Served, upstream: dict[str, bytes], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _serve_all(served, upstream)
    dest = tmp_path / "cli"
    argv = ["data", "fetch", "stabletoolbench", "--dest", str(dest), "--base-url", served.url]
    assert cli.main([*argv, "--no-progress"]) == 0
    out, err = capsys.readouterr()
    assert f"destination: {dest}" in out
    lines = {line.split()[0]: line for line in out.splitlines() if line.endswith("pinned")}
    assert list(lines) == list(F.QUERY_FILES)
    for name, line in lines.items():
        assert F.QUERY_FILES[name] in line and "downloaded" in line
        assert F.PINNED_SHA256[name][:12] in line
        assert "not pinned" not in line
    assert err == ""

    assert cli.main([*argv, "--no-progress"]) == 0
    out, err = capsys.readouterr()
    assert out.count("ok (cached)") == len(F.QUERY_FILES)
    assert err == ""


def test_cli_error_returns_2(
    served: Served, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    dest = tmp_path / "cli"
    argv = ["data", "fetch", "stabletoolbench", "--dest", str(dest), "--base-url", served.url]
    assert cli.main([*argv, "--no-progress"]) == 2
    out, err = capsys.readouterr()
    assert err.startswith("steptool: error:")
    assert "404" in err
    assert "destination:" not in out


def test_progress_bar_goes_to_stderr(
    served: Served,
    upstream: dict[str, bytes],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    name = "G2_category.json"
    served.put(name, upstream[name])
    [r] = F.fetch_stabletoolbench(tmp_path / "d", base_url=served.url, files=[name])
    assert r.status == "downloaded"
    out, err = capsys.readouterr()
    assert out == ""
    assert name in err
