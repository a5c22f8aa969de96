"""Layer 1: the tool catalogue (ToolBench JSON shape), OpenAI schemas, naming, status codes
and argument validation."""

from steptool_env.tools.catalogue import FINISH, FINISH_SCHEMA, Catalogue
from steptool_env.tools.spec import ApiSpec, ParamSpec, ParamType, ToolSpec
from steptool_env.tools.status import Status
from steptool_env.tools.validation import InvalidArguments, validate_arguments

__all__ = [
    "FINISH",
    "FINISH_SCHEMA",
    "ApiSpec",
    "Catalogue",
    "InvalidArguments",
    "ParamSpec",
    "ParamType",
    "Status",
    "ToolSpec",
    "validate_arguments",
]
