"""What is typed on the command line: one readable line naming the option, never a traceback.

Files (below), control characters in any argument, numbers out of range, a value that is
not one of a list, a URL that is not a database's.

A missing file, a folder, bytes that are not text, text that is not JSON, a report to be
written into a folder that does not exist: each is refused in words with exit status 2, by
every command that reads or writes a file it was given (the readers go through
``klaremont.inputfiles``; anything written is caught by the entry point).
"""

from __future__ import annotations

import sys
import typing

import pytest
from typer.main import get_group

from klaremont.cli import main
from klaremont.cli.context import use_platform
from klaremont.sanitize import service as sanitize


@pytest.fixture
def run(platform, monkeypatch, capsys):
    """Run ``klaremont ARGS`` through the real entry point; (exit status, stderr)."""
    use_platform(platform)

    def invoke(*args: str) -> tuple[int, str]:
        monkeypatch.setattr(sys, "argv", ["klaremont", *args])
        try:
            main.main()
        except SystemExit as done:
            code = int(done.code or 0)
        else:
            code = 0
        return code, " ".join(capsys.readouterr().err.split())

    yield invoke
    use_platform(None)


@pytest.fixture
def given(tmp_path):
    """Files of each bad kind."""
    binary = tmp_path / "random.bin"
    binary.write_bytes(b"\x87\x92\x00\xff" * 8)
    not_json = tmp_path / "changes.json"
    not_json.write_text("{not json", encoding="utf-8")
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 200 + "]" * 200, encoding="utf-8")
    return {
        "binary": str(binary),
        "not_json": str(not_json),
        "deep": str(deep),
        "missing": str(tmp_path / "nowhere.txt"),
        "folder": str(tmp_path),
        "unwritable": str(tmp_path / "no-such-folder" / "report.html"),
    }


CASES = [
    (("rights", "fulfil", "DSR-AAAAAAAA", "--corrections", "{binary}"),
     "--corrections: {binary} is not UTF-8 text"),
    (("rights", "fulfil", "DSR-AAAAAAAA", "--corrections", "{not_json}"),
     "--corrections: {not_json} is not JSON (line 1, column 2"),
    (("rights", "fulfil", "DSR-AAAAAAAA", "--corrections", "{deep}"),
     "--corrections: {deep} nests more than 64 levels deep"),
    (("rights", "fulfil", "DSR-AAAAAAAA", "--corrections", "{missing}"),
     "--corrections: {missing}: no such file"),
    (("rights", "fulfil", "DSR-AAAAAAAA", "--corrections", "{folder}"),
     "--corrections: {folder} is a folder, not a file"),
    (("consent", "notice", "publish", "{binary}"), "TEXT_FILE: {binary} is not UTF-8 text"),
    (("incidents", "member-reports", "add", "INC-2026-0001", "--member", "ivan",
      "--file", "{binary}"),
     "--file: {binary} is not UTF-8 text"),
    (("compliance", "verify", "{missing}"), "pack: {missing}: no such file"),
    (("compliance", "verify", "{folder}"), "pack: {folder} is a folder, not a file"),
    (("sanitize", "run", "--to", "sqlite:///{folder}/copy.db", "--key-file", "{missing}"),
     "--key-file: {missing}: no such file"),
    (("accuracy", "report", "--html", "{unwritable}"),
     "{unwritable}: no such file, or its folder does not exist"),
    (("accuracy", "report", "--csv", "{folder}"), "{folder} is a folder, not a file"),
]  # fmt: skip


@pytest.mark.parametrize(("args", "said"), CASES, ids=[" ".join(c[0][:2]) for c in CASES])
def test_a_file_that_cannot_be_used_is_refused_in_one_line(run, given, args, said):
    """Exit status 2 and one line in words naming the option and the file; no traceback."""
    code, err = run(*(a.format(**given) for a in args))
    assert code == 2, err
    assert f"error: {said.format(**given)}" in err
    assert "Traceback" not in err
    assert "Errno" not in err


def test_a_run_key_file_of_random_bytes_is_a_key(tmp_path):
    """32 random bytes written as they are (the simplest way to make a key) are the key;
    fewer than 16 are refused; base64 text is decoded as before."""
    raw = tmp_path / "raw.key"
    raw.write_bytes(b"\xff\x87" * 16)
    assert sanitize.run_key(raw) == b"\xff\x87" * 16
    short = tmp_path / "short.key"
    short.write_bytes(b"\xff" * 8)
    with pytest.raises(sanitize.KeyMissing, match="at least 16 bytes"):
        sanitize.run_key(short)
    text = tmp_path / "text.key"
    text.write_text("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n", encoding="utf-8")
    assert sanitize.run_key(text) == bytes(range(32))


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (("keys", "retire", "a\x00b"), "argument 3"),
        (("rights", "refuse", "DSR-AAAAAAAA", "--reason=x\x1b[2J"), "--reason"),
        (("staff", "show", "\x07ivan"), "argument 3"),
        (("rights", "refuse", "DSR-\udcff", "because"), "argument 3"),
    ],
)
def test_a_control_character_in_any_argument_is_refused_before_anything_runs(run, args, named):
    """A NUL, an escape, a bell or a lone surrogate in any argument of any command: one line
    naming the argument (never its value), exit status 2, nothing run."""
    code, err = run(*args)
    assert code == 2, err
    assert f"error: {named}: must not contain control characters; nothing was run" in err
    assert "Traceback" not in err


def test_line_breaks_and_tabs_in_an_argument_are_text(run):
    """A reason typed over two lines is text: the command runs (and finds no such request)."""
    code, err = run("rights", "refuse", "DSR-AAAAAAAA", "line one\n\tline two")
    assert code == 2
    assert "error: no such request" in err


def _commands(group, path=()):
    for name, command in group.commands.items():
        if hasattr(command, "commands"):
            yield from _commands(command, (*path, name))
        else:
            yield (*path, name), command


def test_every_number_on_the_command_line_has_bounds():
    """Every whole-number or decimal option and argument of every command declares its
    smallest and largest value: a number beyond what the database holds is refused by the
    parser in words (it reached SQLite as an OverflowError traceback). A new command with an
    unbounded number fails here."""
    unbounded = []
    for path, command in _commands(get_group(main.app)):
        for param in command.params:
            annotation = param.type_descriptor.annotation
            number = {int, float} & {*typing.get_args(annotation), annotation}
            if number and (param.min is None or param.max is None):
                unbounded.append(f"{' '.join(path)} {param.name}")
    assert unbounded == []


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (("mail", "send-pending", "--limit", "99999999999999999999"),
         "Invalid value for '--limit'"),
        (("wifi", "codes", "--limit", "-5"), "Invalid value for '--limit'"),
        (("rights", "list", "--state", "bogus"), "Invalid value for '--state'"),
        (("keys", "retire", "x" * 500),
         "error: KEK_ID: a key id as `klaremont keys status` shows it"),
        (("sanitize", "run", "--to", "ZZZ-0001", "--key-file", "{key}"),
         "error: --to: not a database URL: write sqlite:///FILE or postgresql://HOST/NAME"),
        (("sanitize", "run", "--to", "sqlite:///{folder}/c.db", "--from", "ZZZ", "--key-file",
          "{key}"), "error: --from: not a database URL"),
        (("sanitize", "run", "--to", "sqlite:///{folder}/c.db", "--from",
          "sqlite:///{folder}/none.db", "--key-file", "{key}"),
         "error: --from: no SQLite file at {folder}/none.db"),
        (("sanitize", "run", "--to", "sqlite:///{key}", "--key-file", "{key}"),
         "error: --to: {key} already exists; a copy is written fresh"),
    ],
)  # fmt: skip
def test_a_value_out_of_range_or_of_no_kind_is_refused_in_words(run, tmp_path, args, said):
    """Exit status 2 and the option named in words; nothing run, no traceback."""
    key = tmp_path / "run.key"
    key.write_bytes(bytes(range(32)))
    where = {"key": str(key), "folder": str(tmp_path)}
    code, err = run(*(a.format(**where) for a in args))
    assert code == 2, err
    assert said.format(**where) in err
    assert "Traceback" not in err
    assert not (tmp_path / "c.db").exists()
    assert not (tmp_path / "none.db").exists()
