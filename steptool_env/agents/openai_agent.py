"""An agent for models served behind an OpenAI-compatible chat-completions endpoint (httpx).

Works with vLLM, SGLang, llama.cpp's server, TGI, Ollama and hosted APIs alike: it POSTs to
``{base_url}/chat/completions``. Two modes:

- ``mode="tools"`` (default): native function calling. The env's functions go out as
  ``tools=``, the conversation as assistant ``tool_calls`` and ``tool`` messages; the first
  tool call of the answer becomes the action (rendered in the env's action format).
- ``mode="text"``: the env's own system prompt (ReAct, JSON or Hermes format) and plain
  messages (tool results as ``Observation:`` user turns); the answer text is the action.

**Token-in/token-out** (``return_tokens=True``): each request also asks for the sampled
tokens (``logprobs``, and vLLM's ``return_token_ids`` and ``return_tokens_as_token_ids``),
and every reply carries a :class:`ServedSample` (``Reply.sample``, kept on the step record):
the prompt's token ids as the server tokenised them, the generated ids and their
log-probabilities, so a trainer learns from served rollouts without tokenising anything
again. Ids are read from vLLM's ``prompt_token_ids`` and ``token_ids`` fields, or from the
log-prob entries (``"token_id:N"`` tokens, or an ``id`` field as llama.cpp's server writes);
an answer without prompt ids, action ids or log-probs (stock SGLang and llama.cpp chat
endpoints do not return the prompt's ids) is a :class:`~steptool_env.errors.ProviderError`
that names what is missing, never a sample that would need re-tokenising.

Requests in one batch run concurrently, at most ``max_concurrency`` at a time. 429 and 5xx
answers, connection errors and timeouts are retried with exponential backoff (honouring a
numeric ``Retry-After``); when the retries are spent, that episode ends as an
infrastructure error (the run goes on). The API key is read from the environment variable
named by ``api_key_env`` and never recorded.
"""

from __future__ import annotations

import contextlib
import json
import os
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from steptool_env.agents.base import Reply, TurnView
from steptool_env.envs.prompts import format_action, tools_system_prompt
from steptool_env.errors import ConfigError, ProviderError, require
from steptool_env.seeding import derive_seed

MODES = ("tools", "text")
RETRY_STATUSES = frozenset({408, 409, 429, 500, 502, 503, 504})


@dataclass(frozen=True)
class OpenAIAgentConfig:
    """Settings of :class:`OpenAIAgent` (every field is recorded, ``return_tokens`` when on;
    the key's value never)."""

    model: str
    """Model name sent in each request."""
    base_url: str = "http://127.0.0.1:8000/v1"
    """Endpoint root; requests go to ``{base_url}/chat/completions``."""
    api_key_env: str | None = None
    """Name of the environment variable holding the API key (None: no Authorization)."""
    mode: str = "tools"
    """``tools`` (native function calling) or ``text`` (the env's text action format)."""
    temperature: float = 0.0
    """Sampling temperature (0 = greedy)."""
    max_tokens: int = 512
    """Most tokens generated per action."""
    seed: int | None = 0
    """Base of the per-request ``seed`` (derived from the episode seed and step); None
    sends no seed."""
    timeout_s: float = 60.0
    """Per-request timeout in seconds (connect, read and write)."""
    max_retries: int = 3
    """Retries after the first attempt, on 408/409/429/5xx, connection errors and timeouts."""
    backoff_s: float = 1.0
    """First retry delay; doubled on each further retry."""
    max_backoff_s: float = 30.0
    """Cap of any retry delay (also caps ``Retry-After``)."""
    max_concurrency: int = 8
    """Requests in flight at once."""
    extra_body: Mapping[str, Any] = field(default_factory=dict)
    """Extra JSON fields merged into every request (e.g. ``top_p``)."""
    return_tokens: bool = False
    """Ask for the sampled token ids and log-probs and keep them on each reply as a
    :class:`ServedSample` (see the module doc); the request fields it adds can be changed
    through ``extra_body``."""

    def __post_init__(self) -> None:
        if not isinstance(self.model, str) or not self.model:
            raise ConfigError("model", self.model, "must be a non-empty string")
        if not isinstance(self.base_url, str) or not self.base_url.startswith(
            ("http://", "https://")
        ):
            raise ConfigError("base_url", self.base_url, "must start with http:// or https://")
        if self.api_key_env is not None and (
            not isinstance(self.api_key_env, str) or not self.api_key_env
        ):
            raise ConfigError("api_key_env", self.api_key_env, "must name a variable")
        if self.mode not in MODES:
            raise ConfigError("mode", self.mode, choices=MODES)
        for name, low in (
            ("temperature", 0.0),
            ("timeout_s", 1e-3),
            ("backoff_s", 0.0),
            ("max_backoff_s", 0.0),
        ):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int | float) or v < low:
                raise ConfigError(name, v, f"must be a number >= {low}")
        for name, low in (("max_tokens", 1), ("max_retries", 0), ("max_concurrency", 1)):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int) or v < low:
                raise ConfigError(name, v, f"must be an integer >= {low}")
        if self.seed is not None and (
            isinstance(self.seed, bool) or not isinstance(self.seed, int)
        ):
            raise ConfigError("seed", self.seed, "must be an integer or None")
        if not isinstance(self.extra_body, Mapping):
            raise ConfigError("extra_body", self.extra_body, "must be a table")
        if not isinstance(self.return_tokens, bool):
            raise ConfigError("return_tokens", self.return_tokens, "must be true or false")


TOKEN_REQUEST_FIELDS: Mapping[str, Any] = {
    "logprobs": True,
    "return_token_ids": True,
    "return_tokens_as_token_ids": True,
}
"""What ``return_tokens`` adds to each request: OpenAI's ``logprobs`` and vLLM's two token-id
switches (prompt and output ids; ids in the log-prob entries)."""


@dataclass(frozen=True)
class ServedSample:
    """The tokens of one served action, as the server produced them (the fields a trainer
    reads from :class:`~steptool_env.agents.lm_agent.LMSample` too)."""

    context_ids: np.ndarray
    """Token ids of the prompt as the server tokenised it (int64)."""
    action_ids: np.ndarray
    """The generated token ids (int64)."""
    logprobs: np.ndarray
    """Log-probability of each generated token, as the server reported it (float32)."""
    stopped: bool = True
    """False when generation stopped at ``max_tokens`` (``finish_reason`` ``length``)."""
    finish_reason: str = ""


class OpenAIAgent:
    """Acts by calling an OpenAI-compatible chat-completions endpoint (see module doc)."""

    name = "openai"

    def __init__(self, config: OpenAIAgentConfig | None = None, **options: Any) -> None:
        if config is None:
            known = OpenAIAgentConfig.__dataclass_fields__
            for key in options:
                if key not in known:
                    raise ConfigError(key, options[key], "unknown option", choices=known)
            if "model" not in options:
                raise ConfigError("model", None, "missing: the served model's name")
            config = OpenAIAgentConfig(**options)
        self.cfg = config
        self._key = ""
        if config.api_key_env:
            key = os.environ.get(config.api_key_env, "")
            if not key:
                raise ConfigError(
                    "api_key_env", config.api_key_env, "that environment variable is not set"
                )
            self._key = key
        self._url = config.base_url.rstrip("/") + "/chat/completions"
        self._client: Any = None
        self._pool: ThreadPoolExecutor | None = None
        self._lock = threading.Lock()
        self.sleep: Callable[[float], None] = time.sleep
        """How the agent waits between retries (tests may replace it)."""

    @property
    def native_tools(self) -> bool:
        """True when the model gets the functions as ``tools=`` (recorded as the template)."""
        return self.cfg.mode == "tools"

    def config(self) -> dict[str, Any]:
        cfg = asdict(self.cfg)
        cfg["extra_body"] = dict(self.cfg.extra_body)
        if not cfg["return_tokens"]:  # off: recorded as before it existed (same config hash,
            del cfg["return_tokens"]  # so earlier runs resume)
        return {"agent": self.name, **cfg}

    # ------------------------------------------------------------------ batching
    def act(self, views: Sequence[TurnView]) -> list[Reply]:
        if not views:
            return []
        with self._lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(
                    self.cfg.max_concurrency, thread_name_prefix="steptool-openai"
                )
            pool = self._pool
        return list(pool.map(self._act_one, views))

    def close(self) -> None:
        """Close the connection pool and worker threads (also done at garbage collection)."""
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None
        if self._client is not None:
            self._client.close()
            self._client = None

    def __del__(self) -> None:  # pragma: no cover - best effort
        with contextlib.suppress(Exception):
            self.close()

    # ------------------------------------------------------------------ one request
    def _act_one(self, view: TurnView) -> Reply:
        payload = self.request(view)
        try:
            data = self._post(payload)
            return self._reply(view, data)
        except ProviderError as exc:
            return Reply(infra_error=f"ProviderError: {exc}")

    def request(self, view: TurnView) -> dict[str, Any]:
        """The JSON body sent for this turn."""
        cfg = self.cfg
        body: dict[str, Any] = {
            "model": cfg.model,
            "messages": self.messages(view),
            "temperature": cfg.temperature,
            "max_tokens": cfg.max_tokens,
        }
        if cfg.mode == "tools":
            body["tools"] = [{"type": "function", "function": s} for s in view.tools]
        if cfg.seed is not None:
            body["seed"] = derive_seed("openai", cfg.seed, view.episode_seed, view.step) % 2**31
        if cfg.return_tokens:
            body.update(TOKEN_REQUEST_FIELDS)
        body.update(cfg.extra_body)
        return body

    def messages(self, view: TurnView) -> list[dict[str, Any]]:
        """The conversation in this agent's mode."""
        msgs = view.messages
        if self.cfg.mode == "tools":
            out: list[dict[str, Any]] = [{"role": "system", "content": tools_system_prompt()}]
            for m in msgs[1:]:
                if m["role"] == "assistant" and m.get("tool_calls"):
                    out.append(
                        {"role": "assistant", "content": None, "tool_calls": m["tool_calls"]}
                    )
                else:
                    out.append(dict(m))
            return out
        out = []
        for m in msgs:
            if m["role"] == "tool":
                out.append({"role": "user", "content": f"Observation: {m['content']}"})
            else:
                out.append({"role": m["role"], "content": m["content"]})
        return out

    def _reply(self, view: TurnView, data: Any) -> Reply:
        try:
            choice = data["choices"][0]
            message = choice["message"]
            if not isinstance(message, dict):
                raise TypeError("message is not an object")
        except (KeyError, IndexError, TypeError) as exc:
            raise ProviderError(f"malformed chat-completions response ({exc!r})") from None
        usage = data.get("usage") if isinstance(data.get("usage"), dict) else {}
        tokens_in = _count(usage.get("prompt_tokens"))
        tokens_out = _count(usage.get("completion_tokens"))
        sample = served_sample(data, choice, self._url) if self.cfg.return_tokens else None
        if sample is not None:
            tokens_in = tokens_in or len(sample.context_ids)
            tokens_out = tokens_out or len(sample.action_ids)
        content = message.get("content")
        content = content if isinstance(content, str) else ""
        calls = message.get("tool_calls")
        if self.cfg.mode == "tools" and isinstance(calls, list) and calls:
            text = _call_text(view.parser, calls[0], content)
        else:
            text = content
        return Reply(text, tokens_in, tokens_out, sample=sample)

    def _post(self, payload: dict[str, Any]) -> Any:
        httpx = require("httpx", "bench")
        if self._client is None:
            with self._lock:
                if self._client is None:
                    limits = httpx.Limits(max_connections=self.cfg.max_concurrency)
                    self._client = httpx.Client(timeout=self.cfg.timeout_s, limits=limits)
        headers = {"Content-Type": "application/json"}
        if self._key:
            headers["Authorization"] = f"Bearer {self._key}"
        # Encoded here, ASCII-only: the conversation holds the model's own text, which may
        # hold lone surrogates (from "\ud800" escapes in its calls) that UTF-8 cannot encode;
        # as JSON escapes they travel and the server reads back what the model wrote.
        data = json.dumps(payload, ensure_ascii=True).encode("ascii")
        attempts = self.cfg.max_retries + 1
        problem = ""
        for attempt in range(attempts):
            wait = min(self.cfg.backoff_s * 2**attempt, self.cfg.max_backoff_s)
            try:
                resp = self._client.post(self._url, content=data, headers=headers)
            except httpx.TimeoutException:
                problem = f"timeout after {self.cfg.timeout_s:g} s"
            except httpx.TransportError as exc:
                problem = f"connection error: {exc!r}"
            else:
                if resp.status_code == 200:
                    try:
                        return resp.json()
                    except (ValueError, RecursionError) as exc:
                        why = "nested too deeply" if isinstance(exc, RecursionError) else "not JSON"
                        raise ProviderError(f"malformed response from {self._url}: {why}") from None
                problem = f"HTTP {resp.status_code}: {resp.text[:200]!r}"
                if resp.status_code not in RETRY_STATUSES:
                    raise ProviderError(f"{problem} from {self._url} (not retried)")
                after = _retry_after(resp.headers.get("retry-after"))
                if after is not None:
                    wait = min(after, self.cfg.max_backoff_s)
            if attempt + 1 < attempts:
                self.sleep(wait)
        raise ProviderError(f"{problem} from {self._url} ({attempts} attempts)")


def served_sample(data: Mapping[str, Any], choice: Any, url: str = "the server") -> ServedSample:
    """The :class:`ServedSample` of one chat-completions answer (``data``, its first
    ``choice``), or a :class:`ProviderError` naming what the answer lacks."""
    prompt = data.get("prompt_token_ids")
    if prompt is None:
        prompt = choice.get("prompt_token_ids")
    entries = (choice.get("logprobs") or {}).get("content")
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        raise ProviderError(
            f"{url} returned no log-probs (logprobs.content) although return_tokens asked for them"
        )
    logprobs = [e.get("logprob") for e in entries]
    from_entries = [_entry_id(e) for e in entries]
    ids = choice.get("token_ids")
    if ids is None and entries and None not in from_entries:
        ids = from_entries
    missing = [
        name
        for name, value in (("prompt token ids", prompt), ("generated token ids", ids))
        if not _ids(value)
    ]
    if missing:
        raise ProviderError(
            f"{url} returned no {' and no '.join(missing)}: return_tokens needs a server that "
            "sends them (vLLM: prompt_token_ids and token_ids with return_token_ids)"
        )
    if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in logprobs):
        raise ProviderError(f"{url} returned log-probs that are not numbers")
    if len(ids) != len(logprobs):
        raise ProviderError(
            f"{url} returned {len(ids)} generated token ids but {len(logprobs)} log-probs"
        )
    if None not in from_entries and from_entries != list(ids):
        raise ProviderError(f"{url} returned token ids that disagree with its log-prob entries")
    reason = choice.get("finish_reason")
    return ServedSample(
        np.asarray(prompt, dtype=np.int64),
        np.asarray(ids, dtype=np.int64),
        np.asarray(logprobs, dtype=np.float32),
        stopped=reason != "length",
        finish_reason=reason if isinstance(reason, str) else "",
    )


def _ids(value: Any) -> bool:
    """True for a list of token ids (non-negative integers); an empty list is not one."""
    return (
        isinstance(value, list)
        and bool(value)
        and all(isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in value)
    )


def _entry_id(entry: Mapping[str, Any]) -> int | None:
    """The token id of one log-prob entry: its ``id`` (llama.cpp) or a ``"token_id:N"``
    token (vLLM's ``return_tokens_as_token_ids``); None when it has neither."""
    given = entry.get("id")
    if isinstance(given, int) and not isinstance(given, bool):
        return given
    token = entry.get("token")
    if isinstance(token, str) and token.startswith("token_id:"):
        digits = token[len("token_id:") :]
        if digits.isdigit():
            return int(digits)
    return None


def _count(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else 0


def _retry_after(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        seconds = float(value)
    except ValueError:
        return None
    return seconds if seconds >= 0 else None


def _call_text(parser: str, call: Any, thought: str) -> str:
    """A structured tool call rendered in the env's action format (data, never code).

    Arguments that are not a JSON object, or that cannot be decoded or encoded again (too
    deep, a number with too many digits), are passed on as the text the model sent, so the
    env answers with its bad-input observation.
    """
    fn = call.get("function") if isinstance(call, dict) else None
    if not isinstance(fn, dict):
        return thought
    given = fn.get("name")
    name = given if isinstance(given, str) else ""
    raw = fn.get("arguments", "{}")
    try:
        args = (json.loads(raw) if raw.strip() else {}) if isinstance(raw, str) else raw
        if isinstance(args, dict):
            return format_action(parser, name, args, thought=thought.strip())
        text = raw if isinstance(raw, str) else json.dumps(raw)
    except (ValueError, RecursionError):  # undecodable text, or an unencodable object
        text = raw if isinstance(raw, str) else "<arguments that cannot be encoded as JSON>"
    if parser == "react":
        return f"Thought: {thought.strip()}\nAction: {name}\nAction Input: {text}"
    return json.dumps({"name": name, "arguments": text})
