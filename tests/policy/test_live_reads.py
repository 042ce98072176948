"""Every live check says what it reads: the compliance drill-down shows the line as "the
query behind it", so a new check cannot go without one."""

from __future__ import annotations

import re

from klaremont.policy.catalog import load_catalog
from klaremont.policy.live import REGISTRY, CheckResult, LiveRegistry, live_check, load_all_checks

#: a staff-readable line: short, and free of code identifiers
READS_MAX = 200
CODE_WORD = re.compile(r"[A-Za-z]+_[A-Za-z_]+|[a-z]+[A-Z][A-Za-z]*|\(\)|`")


def _name(check: object) -> str:
    return f"{getattr(check, '__module__', '?')}.{getattr(check, '__qualname__', '?')}"


def test_every_registered_check_declares_what_it_reads() -> None:
    """Each check of every capability has a ``reads=`` line of its own (not its docstring)."""
    report = load_all_checks()
    assert not report.errors
    checks = REGISTRY.checks()
    assert checks
    silent = [_name(check) for check in checks if not REGISTRY.declared_reads(check).strip()]
    assert not silent, f"checks without reads=: {silent}"


def test_every_reads_line_is_short_and_staff_readable() -> None:
    """At most a couple of hundred characters, no clause ID and no code identifier."""
    load_all_checks()
    clause_ids = load_catalog().ids
    wrong: list[str] = []
    for check in REGISTRY.checks():
        line = REGISTRY.declared_reads(check)
        if (
            len(line) > READS_MAX
            or CODE_WORD.search(line)
            or any(clause_id in line for clause_id in clause_ids)
        ):
            wrong.append(f"{_name(check)}: {line!r}")
    assert not wrong, wrong


def test_a_check_without_reads_is_found_and_falls_back_to_its_docstring() -> None:
    """The assertion above can fail: an undeclared check has no declared line."""
    registry = LiveRegistry()

    @live_check("PP-UK", "IS-SENS-TLS", registry=registry)
    def silent(_ctx: object) -> CheckResult:
        """What the docstring says.

        More words."""
        return CheckResult(holds=True, detail="ok")

    @live_check("PP-UK", registry=registry, reads="the settings' storage region")
    def said(_ctx: object) -> CheckResult:
        return CheckResult(holds=True, detail="ok")

    assert registry.checks() == [silent, said]
    assert registry.declared_reads(silent) == ""
    assert registry.reads(silent) == "What the docstring says."
    assert registry.declared_reads(said) == registry.reads(said) == "the settings' storage region"
