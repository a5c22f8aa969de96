"""ToolBench status codes, as returned for every step.

0 to 4 describe the agent's action; 5 to 12 are failures on the API side (the agent is not
at fault: the environment flags them with ``info["api_failure"] = True``).
"""

from __future__ import annotations

from enum import IntEnum


class Status(IntEnum):
    OK = 0
    """The call was executed and the API answered normally."""
    NO_SUCH_FUNCTION = 1
    """The function does not exist or is not offered for this query."""
    BAD_INPUT = 2
    """The action could not be parsed, or its arguments were missing, wrongly typed or invalid."""
    FINAL_ANSWER = 3
    """The agent called ``Finish`` with ``return_type="give_answer"``."""
    GIVE_UP = 4
    """The agent called ``Finish`` with ``return_type="give_up_and_restart"``."""
    TIMEOUT = 5
    """The API did not answer in time."""
    RATE_LIMITED = 6
    """HTTP 429: too many requests."""
    NOT_SUBSCRIBED = 7
    """The API plan does not include this endpoint."""
    UNAUTHORIZED = 8
    """The API rejected the credentials."""
    QUOTA_EXCEEDED = 9
    """The monthly quota of the API is used up."""
    SERVER_ERROR = 10
    """HTTP 5xx: the API failed internally."""
    UNAVAILABLE = 11
    """The API is down or unreachable."""
    MALFORMED_RESPONSE = 12
    """The API answered with something that is not a valid response."""

    @property
    def is_api_failure(self) -> bool:
        return self >= Status.TIMEOUT


API_FAILURES: frozenset[Status] = frozenset(s for s in Status if s.is_api_failure)
