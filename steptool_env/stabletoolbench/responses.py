"""Response sources of ``StepTool/StableToolBench-v0``: cache, deterministic mock, error.

A call ``(api, arguments)`` is answered by the first source that can answer it, in the order
of :data:`SOURCES`:

1. ``"cache"``: the user's StableToolBench ``tool_response_cache`` folder
   (:class:`ResponseCache`). Its layout, as written by StableToolBench's server, is
   ``{category_folder(category)}/{standardize(tool)}_for_{category_folder(category)}/
   {standardize_api_name(api)}.json``; each file is one JSON object mapping a rendering of the
   call's arguments (Python ``str(dict)`` such as ``"{'name': 'messi', 'page': 1}"``, or JSON
   text) to ``{"error": str, "response": <any JSON>}``. Keys are parsed with
   :func:`ast.literal_eval`, falling back to :func:`json.loads` (never ``eval``), and matched
   through :func:`canonical_key`, so argument order, surrounding whitespace, ``1`` against
   ``"1"`` or ``1.0``, and defaults sent as ``""`` do not cause misses. When several keys of
   one file have the same canonical key, an entry without an error wins over one with an
   error; otherwise the first one in the file wins.
   A cached entry with an empty ``error`` is ``Status.OK``; a non-empty ``error`` is mapped
   to an API-side status by keywords, tried in this order (case-insensitive):
   ``rate limit`` / ``too many requests`` -> ``RATE_LIMITED``; ``timed out`` / ``timeout``
   -> ``TIMEOUT``; ``unauthorized`` / ``blocked`` / ``credential`` -> ``UNAUTHORIZED``;
   ``subscribe`` -> ``NOT_SUBSCRIBED``; ``quota`` -> ``QUOTA_EXCEEDED``; anything else
   -> ``SERVER_ERROR``.
2. ``"mock"``: :func:`mock_response`, a deterministic response shaped like the API's
   ``template_response`` (only when the :class:`Responder` has ``mock=True``, the default).
3. ``"error"``: ``Status.UNAVAILABLE`` with the message :data:`NO_RESPONSE_MESSAGE`
   (``"No cached response for this call and mocking is off."``) and ``response=None``.

Mock rules (:func:`mock_response`). Every value is derived from a SHA-256 digest of
``(category, tool name, api name, canonical_key(arguments), seed)`` combined with the
value's path inside the response, so the same call gives the same response in every run
and process, and different leaves of one response get independent values (distinct
strings; numbers and booleans drawn separately per leaf):

- ``"str"`` -> a short string ``"{key}_{8 hex digits}"`` (``key`` is the standardised name
  of the enclosing object key, or ``"item"``, cut to 24 characters); but when the leaf's key
  equals an argument name (exactly, or after :func:`standardize`), the argument's value is
  echoed as a string, so responses stay consistent with the request (only outside lists,
  whose items would otherwise all be equal);
- ``"int"`` -> an integer in ``[0, 1000)``; ``"float"`` -> a float in ``[0, 1000)`` with
  two decimals; ``"bool"`` -> ``True`` or ``False``; ``"NoneType"`` -> ``None``;
- ``"empty list"`` -> ``[]``;
- ``"list of T with length N"`` -> ``min(N, 3)`` items, each made by the rule of ``T``
  (``list`` -> ``[]``, ``dict`` -> ``{}``, an unknown ``T`` -> strings);
- a list template ``[{..., "_list_length": N}]`` -> ``min(N, 3)`` objects made from the
  object template (``N`` missing or invalid counts as 1); any other list template -> one
  item per template item, at most 3. :data:`MAX_LIST_ITEMS` (3) keeps responses small;
- an object template -> an object with the same keys, each made by these rules; the key
  ``_list_length`` never appears in the output; ``{}`` -> ``{}``;
- any other leaf string is kept as it is; JSON numbers, booleans and ``null`` in a
  template are kept as they are; below :data:`MAX_TEMPLATE_DEPTH` levels, ``None``;
- a template held as a string is parsed as JSON first; a ``None`` template, or a string
  template that is not valid JSON (StableToolBench's are often cut short), gives
  ``{"message": "Mock response of {api} ({tool}): result {8 hex digits}."}``.
"""

from __future__ import annotations

import ast
import hashlib
import json
import math
import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Context, Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from steptool_env.errors import CatalogueError, ConfigError
from steptool_env.tools.naming import standardize, standardize_api_name
from steptool_env.tools.spec import ApiSpec
from steptool_env.tools.status import Status

__all__ = [
    "MAX_LIST_ITEMS",
    "MAX_TEMPLATE_DEPTH",
    "NO_RESPONSE_MESSAGE",
    "SOURCES",
    "CacheStats",
    "Responder",
    "Response",
    "ResponseCache",
    "cache_path",
    "canonical_key",
    "category_folder",
    "error_status",
    "mock_response",
]

SOURCES: tuple[str, ...] = ("cache", "mock", "error")
"""The response sources, in the order they are tried."""

MAX_LIST_ITEMS = 3
"""The most items a mocked list holds, whatever the template's length."""

MAX_TEMPLATE_DEPTH = 64
"""Template nesting deeper than this is mocked as ``None``."""

NO_RESPONSE_MESSAGE = "No cached response for this call and mocking is off."
"""The error of a call that no source could answer (status ``UNAVAILABLE``)."""

# ----------------------------------------------------------------------------------------
# Canonical argument keys
# ----------------------------------------------------------------------------------------

_NUMBER_RE = re.compile(r"^[+-]?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]{1,3})?$")
_MAX_NUMBER_CHARS = 64
_DECIMAL = Context(prec=200)


def _number_token(value: Decimal) -> str:
    if value.is_zero():
        return "0"
    return format(value.normalize(_DECIMAL), "f")


def _scalar_token(value: Any) -> str:
    """The canonical string of a scalar: numbers, numeric strings and booleans normalised."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        try:
            return _number_token(Decimal(value))
        except ValueError:  # more digits than int -> str allows
            return "0x" + format(value, "x")
    if isinstance(value, float):
        if not math.isfinite(value):
            return repr(value)
        return _number_token(Decimal(repr(value)))
    if isinstance(value, str):
        text = value.strip()
        low = text.lower()
        if low in ("true", "false"):
            return low
        if len(text) <= _MAX_NUMBER_CHARS and _NUMBER_RE.match(text):
            try:
                return _number_token(Decimal(text))
            except InvalidOperation:  # pragma: no cover - the pattern only admits numbers
                return text
        return text
    return str(value).strip()


def _dropped(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _canonical(value: Any) -> Any:
    if isinstance(value, Mapping):
        out: dict[str, Any] = {}
        for key in sorted(value, key=lambda k: str(k)):
            item = value[key]
            if _dropped(item):
                continue
            out[str(key).strip()] = _canonical(item)
        return out
    if isinstance(value, (list, tuple)):
        return [None if v is None else _canonical(v) for v in value]
    if isinstance(value, (set, frozenset)):
        return sorted((_canonical(v) for v in value), key=lambda v: json.dumps(v, sort_keys=True))
    return _scalar_token(value)


def canonical_key(arguments: Mapping[str, Any]) -> str:
    """Order- and formatting-independent key of a call's arguments.

    Keys are sorted and stripped; string values are stripped; numbers, numeric strings and
    booleans are normalised (``1``, ``"1"``, ``1.0`` and ``" 1 "`` are the same; ``True``,
    ``"true"`` and ``"True"`` are the same; strings with leading zeros such as ``"007"``
    stay strings); lists and objects are handled recursively; ``None`` and empty-string
    values of an object are dropped (StableToolBench callers send unset defaults as ``""``).
    The key is compact JSON with sorted keys.
    """
    if not isinstance(arguments, Mapping):
        raise TypeError(f"arguments must be a mapping, got {type(arguments).__name__}")
    return json.dumps(_canonical(arguments), sort_keys=True, separators=(",", ":"))


# ----------------------------------------------------------------------------------------
# The cache folder
# ----------------------------------------------------------------------------------------


def category_folder(category: str) -> str:
    """StableToolBench's folder name of a category: ``" "``, ``","`` and ``"/"`` become
    ``"_"``, then ``"__"`` becomes ``"_"`` (``"News, Media"`` -> ``"News_Media"``)."""
    folder = category.replace(" ", "_").replace(",", "_").replace("/", "_")
    return folder.replace("__", "_")


def _unsafe_segment(name: str) -> bool:
    return name in ("", ".", "..") or "\\" in name or "\x00" in name


def cache_path(root: Path, category: str, tool_name: str, api_name: str) -> Path:
    """The cache file of one API: ``root/{cat}/{standardize(tool)}_for_{cat}/{api}.json``
    with ``cat = category_folder(category)`` and ``api = standardize_api_name(api_name)``.

    Raises :class:`CatalogueError` when the category would leave ``root`` (``".."``).
    """
    cat = category_folder(category)
    if _unsafe_segment(cat):
        raise CatalogueError(f"category {category!r} cannot name a cache folder")
    tool_folder = f"{standardize(tool_name)}_for_{cat}"
    return Path(root) / cat / tool_folder / f"{standardize_api_name(api_name)}.json"


_KEY_ERRORS = (ValueError, SyntaxError, TypeError, MemoryError, RecursionError)


def _parse_key(text: str) -> Any:
    """A cache key as a Python object: ``ast.literal_eval``, else ``json.loads``, else None."""
    try:
        return ast.literal_eval(text.strip())
    except _KEY_ERRORS:
        pass
    try:
        return json.loads(text)
    except _KEY_ERRORS:
        return None


@dataclass
class CacheStats:
    """Counters of a :class:`ResponseCache`."""

    hits: int = 0
    misses: int = 0
    files_loaded: int = 0
    skipped_keys: int = 0
    """Keys that did not parse to an object, or whose value was not an object."""


_Table = dict[str, dict[str, Any]]


class ResponseCache:
    """A StableToolBench ``tool_response_cache`` folder, read lazily: one file per API,
    loaded on its first use and kept in memory (a missing file is remembered as empty).

    Thread-safe. Raises :class:`ConfigError` when ``root`` is not a directory.
    """

    def __init__(self, root: str | Path) -> None:
        path = Path(root).expanduser()
        if not path.is_dir():
            raise ConfigError("cache", str(root), "must be an existing directory")
        self.root = path
        self.stats = CacheStats()
        self._tables: dict[Path, _Table] = {}
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"ResponseCache({str(self.root)!r})"

    def _load(self, path: Path) -> _Table:
        if not path.is_file():
            return {}
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, ValueError, RecursionError) as exc:
            raise CatalogueError(f"{path}: not a readable JSON cache file ({exc})") from exc
        if not isinstance(raw, dict):
            raise CatalogueError(
                f"{path}: a cache file must hold a JSON object, got {type(raw).__name__}"
            )
        table: _Table = {}
        skipped = 0
        for text, value in raw.items():
            args = _parse_key(text)
            if not isinstance(args, dict) or not isinstance(value, dict):
                skipped += 1
                continue
            try:
                key = canonical_key(args)
            except (TypeError, ValueError, RecursionError):
                skipped += 1
                continue
            error = value.get("error")
            entry = {
                "error": "" if error is None else str(error),
                "response": value.get("response"),
            }
            old = table.get(key)
            if old is None or (old["error"] and not entry["error"]):
                table[key] = entry
        self.stats.files_loaded += 1
        self.stats.skipped_keys += skipped
        return table

    def _table(self, api: ApiSpec) -> _Table:
        if _unsafe_segment(category_folder(api.category)):
            return {}
        path = cache_path(self.root, api.category, api.tool_name, api.api_name)
        table = self._tables.get(path)
        if table is None:
            table = self._load(path)
            self._tables[path] = table
        return table

    def lookup(self, api: ApiSpec, arguments: Mapping[str, Any]) -> dict[str, Any] | None:
        """The cached ``{"error": str, "response": ...}`` of this call (a fresh copy of the
        top-level dict), or ``None`` on a miss.

        Raises :class:`CatalogueError` naming the file when the API's cache file is not
        valid JSON or does not hold an object.
        """
        key = canonical_key(arguments)
        with self._lock:
            entry = self._table(api).get(key)
            if entry is None:
                self.stats.misses += 1
                return None
            self.stats.hits += 1
            return dict(entry)


# ----------------------------------------------------------------------------------------
# Mock responses
# ----------------------------------------------------------------------------------------

_LIST_OF_RE = re.compile(r"^list of (\w+) with length (\d+)$")
_LEAF_KEY_CHARS = 24


def _call_digest(api: ApiSpec, arguments: Mapping[str, Any], seed: int) -> bytes:
    text = "\x1f".join(
        (api.category, api.tool_name, api.api_name, canonical_key(arguments), str(seed))
    )
    return hashlib.sha256(text.encode("utf-8")).digest()


def _leaf_int(digest: bytes, path: str) -> int:
    h = hashlib.sha256(digest + b"\x1e" + path.encode("utf-8", "surrogatepass")).digest()
    return int.from_bytes(h[:8], "big")


def _echo_text(value: Any) -> str:
    if isinstance(value, str):
        return value.strip()
    canon = _canonical(value)
    if isinstance(canon, str):
        return canon
    return json.dumps(canon, sort_keys=True, separators=(",", ":"))


def _list_length(raw: Any) -> int:
    if isinstance(raw, bool):
        return 1
    if isinstance(raw, int):
        return max(0, min(raw, MAX_LIST_ITEMS))
    if isinstance(raw, str) and raw.strip().isdigit():
        digits = raw.strip()
        return MAX_LIST_ITEMS if len(digits) > 6 else min(int(digits), MAX_LIST_ITEMS)
    return 1


class _Mocker:
    def __init__(self, digest: bytes, echoes: Mapping[str, str]) -> None:
        self.digest = digest
        self.echoes = echoes

    def _echo(self, key: str | None) -> str | None:
        if key is None:
            return None
        found = self.echoes.get(key.strip())
        if found is None:
            found = self.echoes.get(standardize(key))
        return found

    def leaf(self, kind: str, key: str | None, path: str, echo_ok: bool = True) -> Any:
        if kind == "str":
            echo = self._echo(key) if echo_ok else None
            if echo is not None:
                return echo
            name = (standardize(key) if key else "")[:_LEAF_KEY_CHARS] or "item"
            return f"{name}_{_leaf_int(self.digest, path) & 0xFFFFFFFF:08x}"
        if kind == "int":
            return _leaf_int(self.digest, path) % 1000
        if kind == "float":
            return (_leaf_int(self.digest, path) % 100_000) / 100
        if kind == "bool":
            return bool(_leaf_int(self.digest, path) & 1)
        if kind == "NoneType":
            return None
        if kind == "list":
            return []
        if kind == "dict":
            return {}
        return None

    def string(self, text: str, key: str | None, path: str, in_list: bool) -> Any:
        stripped = text.strip()
        if stripped in ("str", "int", "float", "bool", "NoneType"):
            return self.leaf(stripped, key, path, not in_list)
        if stripped == "empty list":
            return []
        match = _LIST_OF_RE.match(stripped)
        if match:
            kind, digits = match.groups()
            count = MAX_LIST_ITEMS if len(digits) > 6 else min(int(digits), MAX_LIST_ITEMS)
            if kind not in ("str", "int", "float", "bool", "NoneType", "list", "dict"):
                kind = "str"
            return [self.leaf(kind, key, f"{path}[{i}]", False) for i in range(count)]
        return text

    def render(
        self, template: Any, key: str | None, path: str, depth: int, in_list: bool = False
    ) -> Any:
        if depth > MAX_TEMPLATE_DEPTH:
            return None
        if isinstance(template, str):
            return self.string(template, key, path, in_list)
        if isinstance(template, Mapping):
            return {
                str(k): self.render(v, str(k), f"{path}.{json.dumps(str(k))}", depth + 1, in_list)
                for k, v in template.items()
                if k != "_list_length"
            }
        if isinstance(template, (list, tuple)):
            if len(template) == 1 and isinstance(template[0], Mapping):
                item = template[0]
                count = _list_length(item.get("_list_length", 1))
                return [
                    self.render(item, key, f"{path}[{i}]", depth + 1, True) for i in range(count)
                ]
            return [
                self.render(item, key, f"{path}[{i}]", depth + 1, True)
                for i, item in enumerate(template[:MAX_LIST_ITEMS])
            ]
        if template is None or isinstance(template, (bool, int, float)):
            return template
        return str(template)


def _message(api: ApiSpec, digest: bytes) -> dict[str, Any]:
    token = _leaf_int(digest, "$message") & 0xFFFFFFFF
    return {"message": f"Mock response of {api.api_name} ({api.tool_name}): result {token:08x}."}


def mock_response(api: ApiSpec, arguments: Mapping[str, Any], seed: int = 0) -> Any:
    """A deterministic response conforming to ``api.template_response`` (rules in the module
    docstring): the same API, canonical arguments and seed give the same response in every
    run and process."""
    digest = _call_digest(api, arguments, seed)
    template = api.template_response
    if isinstance(template, str):
        try:
            template = json.loads(template)
        except (ValueError, RecursionError):
            template = None
    if template is None:
        return _message(api, digest)
    echoes: dict[str, str] = {}
    for name, value in arguments.items():
        if _dropped(value):
            continue
        text = _echo_text(value)
        echoes.setdefault(str(name).strip(), text)
        echoes.setdefault(standardize(str(name)), text)
    return _Mocker(digest, echoes).render(template, None, "$", 0)


# ----------------------------------------------------------------------------------------
# The responder
# ----------------------------------------------------------------------------------------

_ERROR_KEYWORDS: tuple[tuple[tuple[str, ...], Status], ...] = (
    (("rate limit", "too many requests"), Status.RATE_LIMITED),
    (("timed out", "timeout"), Status.TIMEOUT),
    (("unauthorized", "blocked", "credential"), Status.UNAUTHORIZED),
    (("subscribe",), Status.NOT_SUBSCRIBED),
    (("quota",), Status.QUOTA_EXCEEDED),
)


def error_status(error: str) -> Status:
    """The status of a cached entry's ``error``: ``OK`` when empty, else by keywords (see
    the module docstring), ``SERVER_ERROR`` when none matches."""
    text = error.strip().lower()
    if not text:
        return Status.OK
    for words, status in _ERROR_KEYWORDS:
        if any(w in text for w in words):
            return status
    return Status.SERVER_ERROR


@dataclass(frozen=True)
class Response:
    """The answer to one call."""

    status: Status
    response: Any
    """JSON-serialisable; ``None`` when no source could answer."""
    error: str
    """``""`` when the call succeeded."""
    source: str
    """One of :data:`SOURCES`."""


class Responder:
    """Answers calls from a cache, then a deterministic mock, then an error status.

    ``cache`` is a :class:`ResponseCache`, the path of a cache folder, or ``None`` (no
    cache); ``mock`` turns the mock source on or off; ``seed`` varies the mock responses.
    """

    def __init__(
        self,
        cache: ResponseCache | str | Path | None = None,
        mock: bool = True,
        seed: int = 0,
    ) -> None:
        if isinstance(cache, (str, Path)):
            cache = ResponseCache(cache)
        elif cache is not None and not isinstance(cache, ResponseCache):
            raise ConfigError("cache", cache, "must be a ResponseCache, a folder path or None")
        if not isinstance(mock, bool):
            raise ConfigError("mock", mock, "must be a boolean", choices=(True, False))
        if isinstance(seed, bool) or not isinstance(seed, int):
            raise ConfigError("seed", seed, "must be an integer")
        self.cache = cache
        self.mock = mock
        self.seed = seed

    def respond(self, api: ApiSpec, arguments: Mapping[str, Any]) -> Response:
        """Answer one call; see the module docstring for the order and the statuses."""
        if self.cache is not None:
            entry = self.cache.lookup(api, arguments)
            if entry is not None:
                error = entry["error"]
                return Response(error_status(error), entry["response"], error, "cache")
        if self.mock:
            return Response(Status.OK, mock_response(api, arguments, self.seed), "", "mock")
        return Response(Status.UNAVAILABLE, None, NO_RESPONSE_MESSAGE, "error")
