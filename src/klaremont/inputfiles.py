"""Files a person names (on the command line), read with a refusal that names the option.

:func:`file_problem` says in words why a file could not be read or written; the command
line's entry point says the same for a file a command could not write.

A missing file, a folder, an unreadable file, bytes that are not UTF-8 text or text that is
not JSON each become one readable line naming the option and the rule (exit status 2), not
a traceback. Every command that reads a file it was given reads it through here.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, Final

from klaremont import jsondepth
from klaremont.errors import ValidationFailed

if TYPE_CHECKING:
    from pathlib import Path


NAME_SHOWN: Final = 120  # a longer file name is cut in a refusal


def file_problem(error: OSError) -> str:
    """A file that could not be read or written, in words (never a traceback)."""
    where = str(error.filename)
    if len(where) > NAME_SHOWN:
        where = f"{where[:NAME_SHOWN]}... ({len(where):,} characters)"
    if isinstance(error, IsADirectoryError):
        return f"{where} is a folder, not a file"
    if isinstance(error, FileNotFoundError):
        return f"{where}: no such file, or its folder does not exist"
    if isinstance(error, PermissionError):
        return f"{where}: permission denied"
    return f"{where}: {error.strerror or 'cannot be used'}"


def read_bytes(path: Path, option: str) -> bytes:
    """The file's bytes; refused naming ``option`` when it cannot be read."""
    try:
        return path.read_bytes()
    except OSError as error:
        raise ValidationFailed.single(option, file_problem(error)) from None


def read_text(path: Path, option: str) -> str:
    """The file as UTF-8 text; refused naming ``option`` when it is not."""
    data = read_bytes(path, option)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        rule = f"{path} is not UTF-8 text (byte {error.start + 1} cannot be read as text)"
        raise ValidationFailed.single(option, rule) from None


def read_json(path: Path, option: str) -> Any:
    """The file as JSON; refused naming ``option`` and the line when it is not."""
    text = read_text(path, option)
    try:
        return jsondepth.loads(text)
    except json.JSONDecodeError as error:
        rule = f"{path} is not JSON (line {error.lineno}, column {error.colno}: {error.msg})"
        raise ValidationFailed.single(option, rule) from None
    except jsondepth.TooDeep as error:
        raise ValidationFailed.single(option, f"{path} {error}") from None
