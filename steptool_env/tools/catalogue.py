"""The tool catalogue: every tool and API of a suite, indexed by OpenAI function name."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from steptool_env.errors import CatalogueError
from steptool_env.tools.spec import ApiSpec, ToolSpec, check_category_name, tool_from_dict

FINISH = "Finish"
"""The name of the pseudo-function that ends an episode."""

FINISH_SCHEMA: dict[str, Any] = {
    "name": FINISH,
    "description": 'End the episode. With return_type "give_answer", final_answer is the '
    "only text the user sees, so it must state every fact the task asks for. With "
    'return_type "give_up_and_restart", the attempt is abandoned.',
    "parameters": {
        "type": "object",
        "properties": {
            "return_type": {"type": "string", "enum": ["give_answer", "give_up_and_restart"]},
            "final_answer": {
                "type": "string",
                "description": "The answer shown to the user; required when return_type "
                'is "give_answer".',
            },
        },
        "required": ["return_type"],
    },
}


@dataclass(frozen=True)
class Catalogue:
    """An immutable set of tools with lookups by function name, tool and category."""

    tools: tuple[ToolSpec, ...]
    by_function: Mapping[str, ApiSpec] = field(init=False, repr=False)
    by_key: Mapping[tuple[str, str], ApiSpec] = field(init=False, repr=False)
    by_tool: Mapping[str, ToolSpec] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        by_function: dict[str, ApiSpec] = {}
        by_key: dict[tuple[str, str], ApiSpec] = {}
        by_tool: dict[str, ToolSpec] = {}
        for tool in self.tools:
            if tool.tool_name in by_tool:
                raise CatalogueError(f"tool {tool.tool_name!r} is defined twice")
            by_tool[tool.tool_name] = tool
            for api in tool.apis:
                other = by_function.get(api.function_name)
                if other is not None:
                    raise CatalogueError(
                        f"function name {api.function_name!r} of {api.key} collides with "
                        f"{other.key}"
                    )
                if api.function_name == FINISH:
                    raise CatalogueError(f"{api.key}: the name {FINISH!r} is reserved")
                by_function[api.function_name] = api
                by_key[api.key] = api
        object.__setattr__(self, "by_function", by_function)
        object.__setattr__(self, "by_key", by_key)
        object.__setattr__(self, "by_tool", by_tool)

    def __iter__(self) -> Iterator[ApiSpec]:
        for tool in self.tools:
            yield from tool.apis

    def __len__(self) -> int:
        return len(self.by_function)

    @property
    def categories(self) -> tuple[str, ...]:
        return tuple(sorted({t.category for t in self.tools}))

    def tools_in(self, category: str) -> tuple[ToolSpec, ...]:
        return tuple(t for t in self.tools if t.category == category)

    def api(self, tool_name: str, api_name: str) -> ApiSpec:
        try:
            return self.by_key[(tool_name, api_name)]
        except KeyError:
            raise CatalogueError(f"no API {api_name!r} in tool {tool_name!r}") from None

    def to_toolbench(self) -> dict[str, list[dict[str, Any]]]:
        """Category → list of ToolBench tool dictionaries."""
        out: dict[str, list[dict[str, Any]]] = {}
        for tool in self.tools:
            out.setdefault(tool.category, []).append(tool.to_toolbench())
        return out

    def content_hash(self) -> str:
        blob = json.dumps(self.to_toolbench(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(blob.encode()).hexdigest()

    @classmethod
    def from_tools(cls, tools: Iterable[ToolSpec]) -> Catalogue:
        return cls(tuple(sorted(tools, key=lambda t: (t.category, t.tool_name))))

    @classmethod
    def load_dir(cls, root: Path) -> Catalogue:
        """Load ``root/<Category>/<tool>.json`` files (ToolBench's ``toolenv/tools`` layout)."""
        if not root.is_dir():
            raise CatalogueError(f"{root}: tool catalogue folder not found")
        tools: list[ToolSpec] = []
        for cat_dir in sorted(p for p in root.iterdir() if p.is_dir()):
            check_category_name(cat_dir.name, str(cat_dir))
            for file in sorted(cat_dir.glob("*.json")):
                try:
                    raw = json.loads(file.read_text(encoding="utf-8"))
                except json.JSONDecodeError as exc:
                    raise CatalogueError(f"{file}: not valid JSON ({exc})") from exc
                tools.append(tool_from_dict(raw, category=cat_dir.name, where=str(file)))
        if not tools:
            raise CatalogueError(f"{root}: no tool files found")
        return cls.from_tools(tools)
