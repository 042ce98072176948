"""JSON from outside, read with a bound on how deeply it nests.

Python's parser and every walk over what it returns recurse once a level: a body of
100,000 ``[`` exhausts the interpreter's stack (``RecursionError``, not ``ValueError``),
which escaped as a 500 from every JSON route. Nothing a person or a script sends us needs
more than a few levels; :func:`loads` refuses more than :data:`MAX_DEPTH` as malformed
input, a :class:`ValueError` like any other, so callers that refuse bad JSON refuse this too.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any, Final

MAX_DEPTH: Final = 64
TOO_DEEP: Final = f"nests more than {MAX_DEPTH} levels deep"


class TooDeep(ValueError):
    """The JSON nests more deeply than :data:`MAX_DEPTH` allows."""

    def __init__(self) -> None:
        super().__init__(TOO_DEEP)


def depth(value: Any) -> int:
    """How many arrays and objects deep ``value`` nests (0 for a scalar), without
    recursion."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        node, level = stack.pop()
        if isinstance(node, dict):
            children: Iterable[Any] = node.values()
        elif isinstance(node, list):
            children = node
        else:
            continue
        level += 1
        deepest = max(deepest, level)
        stack.extend((child, level) for child in children if isinstance(child, (dict, list)))
    return deepest


def loads(text: str | bytes) -> Any:
    """``json.loads``, refusing what nests deeper than :data:`MAX_DEPTH` with
    :class:`TooDeep` (a :class:`ValueError`); malformed JSON raises
    ``json.JSONDecodeError`` as usual."""
    try:
        value = json.loads(text)
    except RecursionError:
        raise TooDeep from None
    if _openers(text) > MAX_DEPTH and depth(value) > MAX_DEPTH:  # no walk for a small body
        raise TooDeep
    return value


def _openers(text: str | bytes) -> int:
    """How many arrays and objects ``text`` could open at most (in C, before any walk)."""
    if isinstance(text, bytes):
        return text.count(b"[") + text.count(b"{")
    return text.count("[") + text.count("{")
