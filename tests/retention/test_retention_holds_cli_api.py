"""Litigation holds, the API and the command line: the DPO places and lifts holds, which
erasure respects too; every refusal names its field; the schedule prints; runs and dry runs
work at the shell with a progress bar, JSON and HTML."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from retention_support import TEST_ACTOR, YEAR, seed_aged
from typer.testing import CliRunner, Result

from klaremont.cli import main
from klaremont.cli.context import use_platform
from klaremont.errors import Conflict, NotFound, ValidationFailed
from klaremont.platform import Platform
from klaremont.policy.model import DataCategory
from klaremont.retention import litigation
from klaremont.rights import erasure, intake
from klaremont.rights.ports import CustomerIdentity
from klaremont.rights.states import RequestKind
from klaremont.staff.permissions import Role
from klaremont.testing.staff import make_staff, staff_client

REASON = "A county court claim about a refund"


@pytest.fixture
def run(platform: Platform) -> Iterator[Callable[..., Result]]:
    use_platform(platform)
    runner = CliRunner()
    yield lambda *args: runner.invoke(main.app, list(args))
    use_platform(None)


@pytest.fixture
def people(platform: Platform) -> Callable[[str], TestClient]:
    roles = {"dina": Role.DPO, "iris": Role.ISO, "tess": Role.TECHNICAL_OPERATIONS}
    roles["mark"] = Role.MARKETING
    for name, role in roles.items():
        make_staff(platform, name, role)
    made: dict[str, TestClient] = {}

    def client(name: str) -> TestClient:
        if name not in made:
            made[name] = staff_client(platform, name)
        return made[name]

    return client


@pytest.mark.policy("PP-KEEP")
def test_a_litigation_hold_refuses_erasure_until_lifted(platform: Platform) -> None:
    person = seed_aged(platform, "claim", idle=YEAR)
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        hold = litigation.place(
            uow, f"claim.{person.reference[1:].lstrip('0')}@example.com", REASON
        )
        assert hold.customer_reference == person.reference
        request = intake.submit_signed_in(
            uow, CustomerIdentity(person.subject_id, person.customer_id), RequestKind.ERASURE
        )
    with platform.unit_of_work(actor=TEST_ACTOR) as uow, pytest.raises(erasure.ErasureHeld) as held:
        erasure.erase(uow, request.id)
    assert f"litigation hold {hold.reference}" in str(held.value)
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        litigation.lift(uow, hold.reference, "The claim was withdrawn in writing")
        erasure.erase(uow, request.id)


@pytest.mark.parametrize(
    ("customer", "reason", "field", "words"),
    [
        ("", REASON, "customer", "account reference or e-mail"),
        ("C9999999", REASON, "customer", "no customer has"),
        ("{ref}", "short", "reason", "at least"),
        ("{ref}", "Card 4111 1111 1111 1111 in the claim", "reason", "card number"),
    ],
)
def test_a_bad_hold_names_its_field(
    platform: Platform, customer: str, reason: str, field: str, words: str
) -> None:
    person = seed_aged(platform, "bad", idle=YEAR)
    with platform.unit_of_work(actor=TEST_ACTOR) as uow, pytest.raises(ValidationFailed) as bad:
        litigation.place(uow, customer.format(ref=person.reference), reason)
    [problem] = bad.value.problems
    assert problem.field == field
    assert words in problem.rule


def test_a_hold_is_placed_once_and_lifted_once(platform: Platform) -> None:
    person = seed_aged(platform, "twice", idle=YEAR)
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        hold = litigation.place(uow, person.reference, REASON)
    with platform.unit_of_work(actor=TEST_ACTOR) as uow, pytest.raises(Conflict):
        litigation.place(uow, person.reference, REASON)
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        litigation.lift(uow, hold.reference.lower(), "Settled at mediation")
    with platform.unit_of_work(actor=TEST_ACTOR) as uow, pytest.raises(Conflict):
        litigation.lift(uow, hold.reference, "Settled at mediation")
    with platform.unit_of_work(actor=TEST_ACTOR) as uow, pytest.raises(NotFound):
        litigation.lift(uow, "LH-1999-0001", "Settled at mediation")
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        assert litigation.listing(uow) == []
        assert [h.reference for h in litigation.listing(uow, include_lifted=True)] == [
            hold.reference
        ]


@pytest.mark.policy("PP-KEEP", "DP-RETAIN")
def test_the_api_by_role(platform: Platform, people: Callable[[str], TestClient]) -> None:
    person = seed_aged(platform, "api", idle=4 * YEAR)
    dina, iris, tess, mark = (people(n) for n in ("dina", "iris", "tess", "mark"))
    schedule = iris.get("/api/retention/schedule").json()
    assert [row["category"] for row in schedule] == [c.value for c in DataCategory]
    assert all(row["justification"] for row in schedule)
    assert mark.get("/api/retention/schedule").status_code == 403
    body = {"customer": person.reference, "reason": REASON}
    assert iris.post("/api/retention/holds", json=body).status_code == 403
    bad = dina.post("/api/retention/holds", json={"customer": person.reference, "reason": "x"})
    assert bad.status_code == 422
    assert bad.headers["content-type"].startswith("application/problem+json")
    assert "reason" in bad.text
    placed = dina.post("/api/retention/holds", json=body)
    assert placed.status_code == 201, placed.text
    reference = placed.json()["reference"]
    preview = iris.post("/api/retention/dry-run").json()
    addresses = {p["target"]: p for p in preview["plans"]}["customers.addresses"]
    assert addresses["due"] == 0
    assert any(why.startswith(f"litigation hold {reference}") for why in addresses["kept"])
    assert iris.post("/api/retention/runs").status_code == 403
    lifted = dina.post(f"/api/retention/holds/{reference}/lift", json={"reason": "Claim settled"})
    assert lifted.status_code == 200
    done = tess.post("/api/retention/runs", params={"batch_size": 1})
    assert done.status_code == 201, done.text
    assert {p["target"]: p for p in done.json()["plans"]}["customers.addresses"]["done"] == 1
    runs = iris.get("/api/retention/runs").json()
    assert [r["dry_run"] for r in runs][:2] == [False, True]
    assert tess.post("/api/retention/runs", params={"batch_size": 0}).status_code == 422


@pytest.mark.policy("DP-RETAIN")
def test_the_command_line(platform: Platform, run: Callable[..., Result], tmp_path: Path) -> None:
    person = seed_aged(platform, "shell", idle=4 * YEAR)
    shown = run("retention", "show", "--json")
    assert shown.exit_code == 0, shown.output
    rows = json.loads(shown.output)
    assert {r["category"] for r in rows} == {c.value for c in DataCategory}
    assert {r["category"]: r["action"] for r in rows}["orders"] == "anonymise"
    table = run("retention", "show")
    assert "Kept for 6 years after the invoice was issued, then deleted." in table.output
    assert "Kept by law: 6y: HMRC" in table.output
    report = tmp_path / "preview.html"
    preview = run("retention", "run", "--dry-run", "--json", "--html", str(report))
    assert preview.exit_code == 0, preview.output
    assert "Retention dry run" in report.read_text()
    assert person.rows["addresses"][0].hex in preview.output
    placed = run("retention", "hold", "place", "--customer", person.reference, "--reason", REASON)
    assert placed.exit_code == 0, placed.output
    assert person.reference in run("retention", "hold", "list").output
    bad = run("retention", "run", "--batch-size", "0")
    assert bad.exit_code == 2
    said = " ".join(bad.output.split())
    assert "'--batch-size': Input should be greater than or equal to 1" in said
    held = run("retention", "run")
    assert held.exit_code == 0, held.output
    assert "litigation hold" in held.output
    reference = placed.output.split()[2]
    assert run("retention", "hold", "lift", reference, "--reason", "Claim settled").exit_code == 0
    done = run("retention", "run", "--batch-size", "1")
    assert done.exit_code == 0, done.output
    assert "data keys destroyed" in done.output
