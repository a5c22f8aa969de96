"""IsSolved for StableToolBench queries: a deterministic rule, or an optional model judge.

**Rule** (the default, :func:`rule_is_solved`): the agent gave an answer (``Finish`` with
``give_answer`` and a non-empty ``final_answer``) and called the query's relevant APIs
successfully: all of them -> 1.0, some -> 0.5, none -> 0.0. No answer -> 0.0.

**Judge** (off by default): any callable ``judge(query, answer, called) -> float`` in
{1, 0.5, 0}. :class:`ChatJudge` asks a model behind an OpenAI-compatible chat-completions
endpoint whether the answer solves the query and maps its one-word verdict (``Solved``,
``Unsure``, ``Unsolved``) to 1, 0.5, 0. A judge that fails (network, bad reply) raises
:class:`~steptool_env.errors.ProviderError`: an infrastructure failure is never scored 0.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from typing import Any

from steptool_env.errors import ConfigError, ProviderError, require

Judge = Callable[[str, str, Sequence[str]], float]
"""``judge(query, final_answer, relevant functions called successfully) -> IsSolved``."""

VERDICTS = {"solved": 1.0, "unsure": 0.5, "unsolved": 0.0}


def rule_is_solved(answer: str, relevant_called: int, relevant_total: int) -> float:
    """The deterministic rule (see the module docstring)."""
    if not answer.strip() or relevant_called <= 0 or relevant_total <= 0:
        return 0.0
    return 1.0 if relevant_called >= relevant_total else 0.5


_PROMPT = (
    "You judge whether an assistant solved a user's query with tools.\n"
    "Query: {query}\n"
    "Relevant APIs it called successfully: {called}\n"
    "Final answer: {answer}\n\n"
    "Reply with exactly one word: Solved (the answer fully addresses the query), Unsure, "
    "or Unsolved."
)


class ChatJudge:
    """A model judge behind ``{base_url}/chat/completions`` (temperature 0).

    Args:
        model: the model name sent with each request.
        base_url: endpoint root, ``http://`` or ``https://``.
        api_key_env: name of the environment variable holding the key (never recorded).
        timeout_s: per-request timeout.
        transport: an ``httpx`` transport (tests pass a fake one).
    """

    def __init__(
        self,
        model: str,
        base_url: str = "http://127.0.0.1:8000/v1",
        api_key_env: str | None = None,
        timeout_s: float = 60.0,
        transport: Any = None,
    ) -> None:
        if not isinstance(model, str) or not model:
            raise ConfigError("model", model, "name the judge model")
        if not isinstance(base_url, str) or not base_url.startswith(("http://", "https://")):
            raise ConfigError("base_url", base_url, "must start with http:// or https://")
        self.model = model
        self.base_url = base_url.rstrip("/")
        self.api_key_env = api_key_env
        self.timeout_s = timeout_s
        self._transport = transport

    def __call__(self, query: str, answer: str, called: Sequence[str]) -> float:
        httpx = require("httpx", "bench")
        headers = {}
        if self.api_key_env:
            key = os.environ.get(self.api_key_env)
            if not key:
                raise ProviderError(f"the judge's key variable {self.api_key_env} is not set")
            headers["Authorization"] = f"Bearer {key}"
        body = {
            "model": self.model,
            "temperature": 0,
            "messages": [
                {
                    "role": "user",
                    "content": _PROMPT.format(
                        query=query, answer=answer, called=", ".join(called) or "none"
                    ),
                }
            ],
        }
        url = f"{self.base_url}/chat/completions"
        try:
            with httpx.Client(transport=self._transport, timeout=self.timeout_s) as client:
                reply = client.post(url, json=body, headers=headers)
        except httpx.HTTPError as exc:
            raise ProviderError(f"judge request to {url} failed: {exc!r}") from exc
        if reply.status_code != 200:
            raise ProviderError(f"judge at {url} answered HTTP {reply.status_code}")
        try:
            text = reply.json()["choices"][0]["message"]["content"]
        except (ValueError, KeyError, IndexError, TypeError) as exc:
            raise ProviderError(f"judge at {url} sent a malformed reply: {exc!r}") from exc
        words = str(text or "").strip().split()
        verdict = words[0].strip(".,:;!\"'*").lower() if words else ""
        if verdict not in VERDICTS:
            raise ProviderError(f"judge verdict {text!r:.80} is not Solved, Unsure or Unsolved")
        return VERDICTS[verdict]
