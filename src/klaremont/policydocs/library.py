"""The policy documents the platform ships (package data in ``texts/``), split into sections.

Each file ``texts/<KEY>.txt`` is one document: a ``title:`` line, then sections, each
opened by ``== <number> | <heading> | <owner role>`` and followed by its text. The split
follows the numbering of the clause catalogue (Privacy Policy PP, Data Protection Policy
DP, Information Security Policy IS, Security Personnel SP); the Privacy Policy has no
numbered headings of its own, so its sections are its paragraphs' topics.

A document's content hash is the SHA-256 of its canonical JSON (title and sections), so
the same text always gives the same hash and any edit gives another.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from functools import cache
from importlib import resources

from klaremont.errors import ValidationFailed

DOCUMENT_KEYS = ("PP", "DP", "IS", "SP")
_MARK = "== "


@dataclass(frozen=True, slots=True)
class Section:
    """One numbered section: its number (``DP.1``), heading, owner role and text."""

    number: str
    heading: str
    owner: str
    text: str


@dataclass(frozen=True, slots=True)
class Document:
    """One policy document and its sections, in order."""

    key: str
    title: str
    sections: tuple[Section, ...]

    def to_json(self) -> str:
        """The canonical JSON stored with a version (hashed as it is)."""
        return json.dumps(
            {
                "key": self.key,
                "title": self.title,
                "sections": [
                    {"number": s.number, "heading": s.heading, "owner": s.owner, "text": s.text}
                    for s in self.sections
                ],
            },
            ensure_ascii=False,
            sort_keys=True,
            separators=(",", ":"),
        )

    @property
    def content_hash(self) -> str:
        """SHA-256 of the canonical JSON."""
        return content_hash(self.to_json())


def content_hash(content: str) -> str:
    """SHA-256 (hex) of stored content."""
    return hashlib.sha256(content.encode("utf-8")).hexdigest()


def from_json(content: str) -> Document:
    """A stored version's content as a document."""
    data = json.loads(content)
    return Document(
        key=str(data["key"]),
        title=str(data["title"]),
        sections=tuple(
            Section(str(s["number"]), str(s["heading"]), str(s["owner"]), str(s["text"]))
            for s in data["sections"]
        ),
    )


def parse(key: str, text: str) -> Document:
    """A document file's text as a document (refused, named, when malformed)."""
    lines = text.splitlines()
    if not lines or not lines[0].startswith("title:"):
        raise ValidationFailed.single("document", f"{key}: must start with a 'title:' line")
    title = lines[0].removeprefix("title:").strip()
    sections: list[Section] = []
    head: list[str] | None = None
    body: list[str] = []

    def close() -> None:
        if head is not None:
            sections.append(Section(head[0], head[1], head[2], "\n".join(body).strip()))

    for line in lines[1:]:
        if line.startswith(_MARK):
            close()
            head = [part.strip() for part in line.removeprefix(_MARK).split("|")]
            body = []
            if len(head) != 3 or not all(head):  # noqa: PLR2004 - number, heading, owner
                raise ValidationFailed.single(
                    "document", f"{key}: a section line needs a number, a heading and an owner"
                )
        else:
            body.append(line)
    close()
    if not sections:
        raise ValidationFailed.single("document", f"{key}: has no sections")
    return Document(key=key, title=title, sections=tuple(sections))


@cache
def shipped(key: str) -> Document:
    """The document ``key`` as the platform ships it."""
    if key not in DOCUMENT_KEYS:
        raise ValidationFailed.single("document", f"must be one of {', '.join(DOCUMENT_KEYS)}")
    text = resources.files("klaremont.policydocs").joinpath(f"texts/{key}.txt").read_text("utf-8")
    return parse(key, text)


def all_shipped() -> list[Document]:
    """Every shipped document, in catalogue order."""
    return [shipped(key) for key in DOCUMENT_KEYS]
