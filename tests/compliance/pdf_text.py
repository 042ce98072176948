"""The text of a PDF fpdf2 drew with a core font, without a PDF library: each content
stream inflated, each string shown with ``Tj`` unescaped, one per line."""

from __future__ import annotations

import re
import zlib

#: a stream's bytes up to ``endstream``, with the line break before it: a compressed
#: stream may end in a byte that reads as a carriage return, so the break is not cut here
#: (inflating stops at the stream's own end and leaves the break over)
_STREAM = re.compile(rb"stream\r?\n(.*?)endstream", re.DOTALL)
_SHOWN = re.compile(rb"\(((?:\\.|[^\\)])*)\)\s*Tj")
_ESCAPED = re.compile(rb"\\(.)", re.DOTALL)


def pdf_text(content: bytes) -> str:
    """Every string the PDF's pages show, in drawing order, one a line."""
    lines: list[str] = []
    for stream in _STREAM.finditer(content):
        try:
            data = zlib.decompressobj().decompress(stream.group(1))
        except zlib.error:
            data = stream.group(1)
        lines.extend(
            _ESCAPED.sub(rb"\1", shown.group(1)).decode("latin-1")
            for shown in _SHOWN.finditer(data)
        )
    return "\n".join(lines)
