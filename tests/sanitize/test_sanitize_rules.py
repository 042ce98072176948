"""Every column has a rule, or the run stops before anything is written (fail closed)."""

from __future__ import annotations

import pytest
from sanitize_support import KEY, OTHER_KEY
from sqlalchemy import Column, String

from klaremont.customers.models import Customer
from klaremont.sanitize.fakes import Faker
from klaremont.sanitize.rules import RuleError, load_rules, parse_rule, plan
from klaremont.sanitize.service import sanitise


@pytest.mark.policy("IS-SENS-DEV")
def test_a_new_column_in_a_personal_table_stops_the_run_with_its_name(platform, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    table = Customer.__table__
    added = Column("nickname", String(40), nullable=True)
    table.append_column(added)
    try:
        with pytest.raises(RuleError) as stopped:
            sanitise(
                platform.settings,
                source_url=None,
                target_url=f"sqlite:///{out / 'dev.db'}",
                key=KEY,
            )
    finally:
        table._columns.remove(added)
    assert stopped.value.problems == [
        "column customers.nickname of personal-data table 'customers' has no rule"
    ]
    assert list(out.iterdir()) == []


@pytest.mark.policy("IS-SENS-DEV")
def test_a_table_without_rules_and_unknown_rules_are_refused():
    rules = load_rules()
    del rules["addresses"]
    rules["orders"]["columns"]["number"] = "pseudonymise:shuffle"
    rules["ghosts"] = {"drop": "no such table"}
    with pytest.raises(RuleError) as stopped:
        plan(rules)
    problems = stopped.value.problems
    assert "personal-data table 'addresses' has no rule" in problems
    assert any("orders.number" in p and "shuffle" in p for p in problems)
    assert "rule for table 'ghosts', which the data store does not have" in problems


def test_every_table_of_the_data_store_has_rules_and_personal_tables_are_found():
    tables = {t.name: t for t in plan().tables}
    assert tables["customers"].personal
    assert tables["customers"].rules["email"].text == "pseudonymise:email"
    assert tables["audit_events"].dropped
    assert not tables["platform_meta"].personal


def test_rule_words_are_checked():
    assert parse_rule("keep").text == "keep"
    with pytest.raises(ValueError, match="unknown rule"):
        parse_rule("scramble")
    with pytest.raises(ValueError, match="unknown generalise way"):
        parse_rule("generalise:blur")


def test_fakes_keep_formats_and_uniqueness():
    faker = Faker(KEY)
    refs = [f"C{n:07d}" for n in range(200)]
    mapped = {faker.reference(r) for r in refs}
    assert len(mapped) == len(refs)
    assert all(m.startswith("C") and len(m) == 8 and m[1:].isdigit() for m in mapped)
    short = faker.reference("INC-2026-0001")  # short numbers are permuted too (a shuffle)
    assert short != "INC-2026-0001"
    assert short.startswith("INC-")
    assert short.endswith("-0001")
    assert short[4:8].isdigit()
    emails = {f"person{n}@shop.test" for n in range(50)}
    faker.prepare_ranks("email", {e.casefold() for e in emails})
    fakes = {faker.email(e) for e in emails}
    assert len(fakes) == len(emails)
    assert all(f.endswith("@example.com") for f in fakes)
    assert faker.phone("x", mobile=True).startswith("07700 900")
    born = faker.date_of_birth("1983-06-15")
    assert born[:3] == "198"
    with pytest.raises(ValueError, match="16 bytes"):
        Faker(b"short")


def test_ids_never_read_as_long_digit_runs_and_hex_hits_are_told_apart(tmp_path):
    from klaremont.sanitize.fakes import quiet_hex  # noqa: PLC0415 - helpers of this test only
    from klaremont.sanitize.verify import inside_hex_token  # noqa: PLC0415 - as above

    faker = Faker(KEY)
    import uuid  # noqa: PLC0415 - as above

    ids = [faker.uuid(uuid.UUID(int=n)) for n in range(1, 400)]
    assert len(set(ids)) == len(ids)
    assert all(quiet_hex(i.hex) for i in ids)
    assert not quiet_hex("123456abcdef")
    assert not quiet_hex("ab" + "4111111111111" + "cd")
    raw = tmp_path / "blob"
    raw.write_bytes(b"\x00\x01c385660440748651a1e7b358d710257abe1d017b9\x00 4111111111111111 \x00")
    assert inside_hex_token(str(raw), 3)
    assert not inside_hex_token(str(raw), 44)
    assert not inside_hex_token(str(raw), None)


def test_numbers_are_permuted_by_ff3_1_as_the_reference_implementation_does():
    # known answer from the FF3-1 reference implementation (zero key, zero tweak)
    from fastfpe import ff3_1  # noqa: PLC0415 - the library under the fakes

    assert ff3_1.encrypt("00" * 16, "00" * 7, "0123456789", "000000123") == "990515222"
    faker = Faker(b"k" * 32)
    numbers = [f"{i:07d}" for i in range(2000)]
    fakes = [faker.digits(n) for n in numbers]
    assert len(set(fakes)) == len(numbers)  # a permutation: no two numbers collide
    assert all(len(f) == 7 and f.isdigit() for f in fakes)
    assert sum(a == b for a, b in zip(numbers, fakes, strict=True)) < 5  # chance alone
    assert faker.reference("KL0000100") != "KL0000100"
    assert faker.reference("KL0000100").startswith("KL")
    assert faker.digits("2026") != "2026"  # too short a domain for FF3-1: a keyed shuffle
    assert len(faker.digits("2026")) == 4


@pytest.mark.policy("IS-SENS-DEV")
def test_numbers_and_references_never_map_to_themselves_and_never_collide():
    """Every width, the whole domain where it is small: a permutation (no two numbers share
    a fake) with no fixed point (no number is its own fake), the same under the same key,
    another under another key; a reference's fake echoes nothing but its letters."""
    faker, again, other = Faker(KEY), Faker(KEY), Faker(OTHER_KEY)
    for width in (1, 2, 3):
        numbers = [f"{n:0{width}d}" for n in range(10**width)]
        fakes = [faker.digits(n) for n in numbers]
        assert sorted(fakes) == numbers  # a permutation of the whole domain
        assert all(f != n for f, n in zip(fakes, numbers, strict=True))
        assert fakes == [again.digits(n) for n in numbers]
        assert fakes != [other.digits(n) for n in numbers]
    sample = [f"{n * 7919 % 10**7:07d}" for n in range(3000)]  # FF3-1's width
    fakes = [faker.digits(n) for n in sample]
    assert len(set(fakes)) == len(sample)
    assert all(f != n and len(f) == 7 and f.isdigit() for f, n in zip(fakes, sample, strict=True))
    for reference in ("C1", "KL-7", "A12", "INC-2026-0001", "KL00001234"):
        made = faker.reference(reference)
        assert made != reference
        assert "\x00" not in made
        assert len(made) == len(reference)
    assert faker.reference("NO-DIGITS-AT-ALL") == "NO-DIGITS-AT-ALL"  # kept: verification fails it


def test_digits_of_neighbouring_values_in_a_copy_are_told_from_a_stored_card(tmp_path):
    import sqlite3  # noqa: PLC0415 - this test's own file

    from klaremont.detectors.bulk import kinds_of  # noqa: PLC0415 - the scanner's kinds
    from klaremont.detectors.cards import luhn_valid  # noqa: PLC0415 - to build the case
    from klaremont.detectors.kinds import Group  # noqa: PLC0415 - as above
    from klaremont.sanitize.verify import classify  # noqa: PLC0415 - under test
    from klaremont.scan.engine import ScanRequest, run  # noqa: PLC0415 - the real scanner

    # an order number whose digits, followed by the next value's year, pass Luhn as a Visa
    number = next(f"4{n:08d}" for n in range(30_000_000, 40_000_000) if luhn_valid(f"4{n:08d}2025"))
    path = tmp_path / "copy.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE orders (number TEXT, placed TEXT)")
        conn.execute("INSERT INTO orders VALUES (?, ?)", (f"KL{number}", "2025-08-31"))
    glued = run(ScanRequest((str(path),), kinds_of([Group.CARDS]))).card_data()
    assert glued  # the file's bytes read the two values as one number
    assert classify(glued) == (0, 0, len(glued))
    stored = tmp_path / "stored.db"
    with sqlite3.connect(stored) as conn:
        conn.execute("CREATE TABLE notes (body TEXT)")
        conn.execute("INSERT INTO notes VALUES (?)", (f"card {number}2025 on file",))
    found = run(ScanRequest((str(stored),), kinds_of([Group.CARDS]))).card_data()
    assert classify(found)[0] >= 1  # a value a row holds is a card finding
