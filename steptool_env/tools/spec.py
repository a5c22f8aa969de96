"""Typed records of the tool catalogue in ToolBench's JSON shape, and their OpenAI schemas.

A ToolBench tool file is ``{tool_name, tool_description, title, standardized_name,
api_list: [{name, description, method, required_parameters, optional_parameters}]}``
and lives in a folder named for its category. Each parameter is
``{name, type, description, default}`` (our own files may add ``enum``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from steptool_env.errors import CatalogueError
from steptool_env.tools.naming import function_name, standardize


class ParamType(str, Enum):
    STRING = "STRING"
    NUMBER = "NUMBER"
    INTEGER = "INTEGER"
    BOOLEAN = "BOOLEAN"
    ENUM = "ENUM"
    ARRAY = "ARRAY"
    OBJECT = "OBJECT"
    DATE = "DATE"

    @classmethod
    def parse(cls, raw: object) -> ParamType:
        """Map every type spelling found in ToolBench files to a :class:`ParamType`.

        Unknown or missing types are treated as ``STRING`` (ToolBench's own behaviour).
        """
        if not isinstance(raw, str):
            return cls.STRING
        key = raw.strip().upper()
        if key.startswith("DATE"):
            return cls.DATE
        return _TYPE_ALIASES.get(key, cls.STRING)


_TYPE_ALIASES: dict[str, ParamType] = {
    "STRING": ParamType.STRING,
    "STR": ParamType.STRING,
    "TEXT": ParamType.STRING,
    "NUMBER": ParamType.NUMBER,
    "FLOAT": ParamType.NUMBER,
    "DOUBLE": ParamType.NUMBER,
    "INTEGER": ParamType.INTEGER,
    "INT": ParamType.INTEGER,
    "BOOLEAN": ParamType.BOOLEAN,
    "BOOL": ParamType.BOOLEAN,
    "ENUM": ParamType.ENUM,
    "ARRAY": ParamType.ARRAY,
    "LIST": ParamType.ARRAY,
    "OBJECT": ParamType.OBJECT,
    "JSON": ParamType.OBJECT,
    "DICT": ParamType.OBJECT,
}

_JSON_TYPE = {
    ParamType.STRING: "string",
    ParamType.NUMBER: "number",
    ParamType.INTEGER: "integer",
    ParamType.BOOLEAN: "boolean",
    ParamType.ENUM: "string",
    ParamType.ARRAY: "array",
    ParamType.OBJECT: "object",
    ParamType.DATE: "string",
}


@dataclass(frozen=True, slots=True)
class ParamSpec:
    """One parameter of an API."""

    name: str
    type: ParamType
    description: str = ""
    default: Any = None
    required: bool = True
    enum: tuple[str, ...] | None = None
    raw_type: str = ""

    def json_schema(self) -> dict[str, Any]:
        schema: dict[str, Any] = {"type": _JSON_TYPE[self.type]}
        desc = self.description.strip()
        if self.type is ParamType.DATE:
            desc = (desc + " " if desc else "") + "(date, YYYY-MM-DD)"
        if desc:
            schema["description"] = desc
        if self.enum:
            schema["enum"] = list(self.enum)
        if not self.required and self.default not in (None, ""):
            schema["default"] = self.default
        return schema

    def to_toolbench(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "name": self.name,
            "type": self.raw_type or self.type.value,
            "description": self.description,
            "default": self.default if self.default is not None else "",
        }
        if self.enum is not None:
            out["enum"] = list(self.enum)
        return out


@dataclass(frozen=True, slots=True)
class ApiSpec:
    """One API of one tool, with its OpenAI function name and schema."""

    category: str
    tool_name: str
    api_name: str
    description: str
    method: str
    required: tuple[ParamSpec, ...]
    optional: tuple[ParamSpec, ...]
    function_name: str
    template_response: Any = None
    params: Mapping[str, ParamSpec] = field(default_factory=dict, compare=False, repr=False)

    @property
    def key(self) -> tuple[str, str]:
        """``(tool_name, api_name)``: the key of the implementation table."""
        return (self.tool_name, self.api_name)

    def openai_schema(self) -> dict[str, Any]:
        """The OpenAI function-calling schema ``{name, description, parameters}``."""
        props = {p.name: p.json_schema() for p in (*self.required, *self.optional)}
        desc = self.description.strip() or f"{self.api_name} of {self.tool_name}"
        return {
            "name": self.function_name,
            "description": f"{desc} [tool: {self.tool_name}]",
            "parameters": {
                "type": "object",
                "properties": props,
                "required": [p.name for p in self.required],
                "optional": [p.name for p in self.optional],
            },
        }

    def to_toolbench(self) -> dict[str, Any]:
        return {
            "name": self.api_name,
            "description": self.description,
            "method": self.method,
            "required_parameters": [p.to_toolbench() for p in self.required],
            "optional_parameters": [p.to_toolbench() for p in self.optional],
        }


@dataclass(frozen=True, slots=True)
class ToolSpec:
    """One tool: a named group of APIs in one category."""

    category: str
    tool_name: str
    standardized_name: str
    title: str
    description: str
    apis: tuple[ApiSpec, ...]

    def to_toolbench(self) -> dict[str, Any]:
        return {
            "tool_name": self.tool_name,
            "tool_description": self.description,
            "title": self.title,
            "standardized_name": self.standardized_name,
            "api_list": [a.to_toolbench() for a in self.apis],
        }


# ----------------------------------------------------------------------------------------
# Parsing ToolBench-shaped dictionaries
# ----------------------------------------------------------------------------------------

_REQUIRED_TOOL_KEYS = ("tool_name", "api_list")


def _param_from_dict(raw: Any, *, required: bool, where: str) -> ParamSpec:
    if not isinstance(raw, Mapping):
        raise CatalogueError(f"{where}: a parameter must be an object, got {type(raw).__name__}")
    name = raw.get("name")
    if not isinstance(name, str) or not name.strip():
        raise CatalogueError(f"{where}: parameter field 'name' is missing or empty")
    enum = raw.get("enum")
    if enum is not None and not (
        isinstance(enum, Sequence) and all(isinstance(e, str) for e in enum)
    ):
        raise CatalogueError(f"{where}: parameter {name!r} field 'enum' must be a list of strings")
    default = raw.get("default")
    return ParamSpec(
        name=name,
        type=ParamType.parse(raw.get("type")),
        description=str(raw.get("description") or ""),
        default=default,
        required=required,
        enum=tuple(enum) if enum is not None else None,
        raw_type=str(raw.get("type") or ""),
    )


def _params(raw: Any, *, required: bool, where: str) -> tuple[ParamSpec, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, Sequence) or isinstance(raw, str):
        kind = "required_parameters" if required else "optional_parameters"
        raise CatalogueError(f"{where}: field {kind!r} must be a list")
    return tuple(_param_from_dict(p, required=required, where=where) for p in raw)


def api_from_dict(raw: Any, *, category: str, tool_name: str, tool_std: str, where: str) -> ApiSpec:
    """Build an :class:`ApiSpec` from a ToolBench ``api_list`` entry."""
    if not isinstance(raw, Mapping):
        raise CatalogueError(f"{where}: an api_list entry must be an object")
    name = raw.get("name", raw.get("api_name"))
    if not isinstance(name, str) or not name.strip():
        raise CatalogueError(f"{where}: api field 'name' is missing or empty")
    where = f"{where} api {name!r}"
    req = _params(raw.get("required_parameters"), required=True, where=where)
    opt = _params(raw.get("optional_parameters"), required=False, where=where)
    seen: set[str] = set()
    for p in (*req, *opt):
        if p.name in seen:
            raise CatalogueError(f"{where}: parameter {p.name!r} is declared twice")
        seen.add(p.name)
    return ApiSpec(
        category=category,
        tool_name=tool_name,
        api_name=name,
        description=str(raw.get("description", raw.get("api_description")) or ""),
        method=str(raw.get("method") or "GET"),
        required=req,
        optional=opt,
        function_name=function_name(name, tool_std or tool_name),
        template_response=raw.get("template_response"),
        params={p.name: p for p in (*req, *opt)},
    )


def tool_from_dict(raw: Any, *, category: str, where: str) -> ToolSpec:
    """Build a :class:`ToolSpec` from a ToolBench tool file's content."""
    if not isinstance(raw, Mapping):
        raise CatalogueError(f"{where}: a tool file must hold a JSON object")
    for key in _REQUIRED_TOOL_KEYS:
        if key not in raw:
            raise CatalogueError(f"{where}: field {key!r} is missing")
    tool_name = raw["tool_name"]
    if not isinstance(tool_name, str) or not tool_name.strip():
        raise CatalogueError(f"{where}: field 'tool_name' must be a non-empty string")
    std = str(raw.get("standardized_name") or standardize(tool_name))
    api_list = raw["api_list"]
    if not isinstance(api_list, Sequence) or isinstance(api_list, str):
        raise CatalogueError(f"{where}: field 'api_list' must be a list")
    apis = tuple(
        api_from_dict(a, category=category, tool_name=tool_name, tool_std=std, where=where)
        for a in api_list
    )
    return ToolSpec(
        category=category,
        tool_name=tool_name,
        standardized_name=std,
        title=str(raw.get("title") or tool_name),
        description=str(raw.get("tool_description") or ""),
        apis=apis,
    )


_CATEGORY_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")


def check_category_name(name: str, where: str) -> None:
    if not _CATEGORY_RE.match(name):
        raise CatalogueError(f"{where}: category name {name!r} must match {_CATEGORY_RE.pattern}")
