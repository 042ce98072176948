"""A published notice as a person reads it: headings, paragraphs and lists, not a text dump.

The stored text is what was published (its SHA-256 is the proof of what a person saw) and
stays as it is; this only reads its shape: a line of bullets (``•``) is a list item, a short
line without a full stop followed by other text is a heading, anything else a paragraph.
Lines a web page's navigation left in the text when it was copied ("Skip to main content")
are not part of the notice and are not shown.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

#: navigation text copied along with a notice from a web page, never the notice's words
_ARTEFACTS = frozenset({"skip to main content"})
_BULLETS = ("•", "-", "*", "·")
HEADING_MAX = 60


@dataclass
class Block:
    """One heading, paragraph or list."""

    kind: Literal["heading", "paragraph", "list"]
    text: str = ""
    items: list[str] = field(default_factory=list)


def blocks(text: str) -> list[Block]:
    """The notice's text as blocks, in order."""
    found: list[Block] = []
    lines = [line.strip() for line in text.splitlines()]
    for index, line in enumerate(lines):
        if not line or line.lower() in _ARTEFACTS:
            continue
        if line.startswith(_BULLETS):
            item = line.lstrip("".join(_BULLETS)).strip()
            if found and found[-1].kind == "list":
                found[-1].items.append(item)
            else:
                found.append(Block("list", items=[item]))
            continue
        following = next((later for later in lines[index + 1 :] if later), "")
        if _is_heading(line, following):
            found.append(Block("heading", line))
        else:
            found.append(Block("paragraph", line))
    return found


def _is_heading(line: str, following: str) -> bool:
    short = len(line) <= HEADING_MAX and not line.endswith((".", ",", ";", ":"))
    return short and bool(following)
