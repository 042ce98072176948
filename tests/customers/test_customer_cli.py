"""``klaremont customers``: the same purpose checks, guard and audit as the web, from the shell."""

from __future__ import annotations

import json

import pytest
from store_support import add_order, audit_events, set_state, subject_of
from typer.testing import CliRunner

from klaremont.cards.actions import CardAction
from klaremont.cli.context import use_platform
from klaremont.cli.main import app
from klaremont.customers.actions import CustomerAction
from klaremont.errors import PurposeRefused, ValidationFailed


@pytest.fixture
def run(platform):
    """Invoke ``klaremont customers ...`` on this test's platform; return the result."""
    runner = CliRunner()
    use_platform(platform)
    yield lambda *args, **kw: runner.invoke(app, ["customers", *args], **kw)
    use_platform(None)


def _json(result) -> object:
    assert result.exit_code == 0, (result.output, result.exception)
    output = result.output
    start = min(i for i in (output.find("{"), output.find("[")) if i >= 0)
    return json.loads(output[start:])  # after any prompt text


@pytest.mark.policy("PP-SRC", "DP-PURPOSE")
def test_create_show_search_and_rectify_from_the_shell(platform, run):
    """The operator creates an account, reads it for support, finds it by phone and corrects it;
    each step is audited as the shell user."""
    created = _json(
        run(
            "create",
            "--name",
            "Mary Seacole",
            "--email",
            "mary@example.com",
            "--channel",
            "phone_order",
            "--mobile",
            "07700 900777",
            "--password",
            input="cobalt-river-anchor-88\ncobalt-river-anchor-88\n",
        )
    )
    assert created["linked"] is False
    shown = _json(run("show", created["reference"], "--purpose", "support"))
    assert shown["name"] == "Mary Seacole"
    assert shown["has_password"] is True
    found = _json(run("search", "--purpose", "support", "--phone", "+447700900777"))
    assert [row["id"] for row in found] == [created["id"]]
    fixed = _json(run("rectify", created["id"], "-p", "support", "--set", "name=Mary J. Seacole"))
    assert fixed["name"] == "Mary J. Seacole"
    listed = _json(run("list", "-p", "support", "--limit", "5"))
    assert listed["items"][0]["reference"] == created["reference"]
    assert audit_events(platform, CustomerAction.PERSONAL_DATA_UPDATE)[-1].actor_id.startswith(
        "cli:"
    )


@pytest.mark.policy("IS-SENS-MASK", "IS-SENS-CVV")
def test_the_shell_refuses_card_numbers_in_free_text_and_never_echoes_them(
    platform, run, customer_id
):
    """A card number typed into a complaint is refused before any command runs, with the
    option and rule named and the digits nowhere in the output; the refusal is audited."""
    result = run(
        "contact",
        str(customer_id),
        "-p",
        "support",
        "--kind",
        "query",
        "--summary",
        "card 4929 1234 5678 9015 cvv 123",
    )
    assert result.exit_code == 2
    assert "--summary holds card data" in result.output
    assert "4929" not in result.output
    assert "4929" not in str(result.exception)
    refused = audit_events(platform, CardAction.CARD_REFUSED)[-1]
    assert json.loads(refused.details) == {"fields": ["--summary"], "rules": ["card-number"]}
    bad = run("rectify", str(customer_id), "-p", "support", "--set", "mobile=4929123456789015")
    assert bad.exit_code == 2
    assert "--set holds card data" in bad.output


@pytest.mark.policy("DP-PURPOSE", "IS-AC-CHD-LOG")
def test_the_shell_is_purpose_bound_and_logs_card_reads(platform, run, clock, customer_id):
    """The operator may not market; orders, invoices and masked cards are read and the card read is
    audited; a restricted person's data is refused for support; a bad field is named, not echoed."""
    add_order(platform, customer_id)
    assert isinstance(run("show", str(customer_id), "-p", "marketing").exception, PurposeRefused)
    assert (
        _json(run("orders", str(customer_id), "-p", "order_processing"))[0]["number"]
        == "KL00000100"
    )
    assert _json(run("invoice", "INV00000100", "-p", "invoicing"))["net_pence"] == 2000
    assert _json(run("order", "KL00000100", "-p", "support"))["status"] == "paid"
    assert _json(run("invoices", str(customer_id), "-p", "invoicing"))[0]["vat_pence"] == 400
    added = _json(
        run(
            "add-card",
            str(customer_id),
            "-p",
            "order_processing",
            "--exp-month",
            "4",
            "--exp-year",
            "2031",
            input="4000 0566 5566 5556\n",
        )
    )
    assert added["masked"] == "•••• 5556"
    assert _json(run("cards", str(customer_id), "-p", "support"))[0]["masked"] == "•••• 5556"
    assert audit_events(platform, CardAction.CARD_READ)[-1].purpose == "support"
    removed = _json(run("remove-card", str(customer_id), added["id"], "-p", "order_processing"))
    assert removed["removed_at"] is not None
    view = _json(run("view", str(customer_id), "-p", "support"))
    assert view["cards"] == []
    set_state(platform, subject_of(platform, customer_id), restricted_at=clock.now())
    assert isinstance(run("show", str(customer_id), "-p", "support").exception, PurposeRefused)
    typo = run(
        "create", "--name", "X", "--email", "x@example.com", "--channel", "contact", "--gender", ""
    )
    assert isinstance(typo.exception, ValidationFailed)
    assert typo.exception.problems[0].field == "gender"


def test_set_password_rejects_a_weak_one(platform, run, customer_id):
    """A customer password must be long and uncommon; a good one is stored as an Argon2id hash."""
    weak = run("set-password", str(customer_id), input="password1234\npassword1234\n")
    assert isinstance(weak.exception, ValidationFailed)
    good = run(
        "set-password",
        str(customer_id),
        input="saffron-violet-harbour-9\nsaffron-violet-harbour-9\n",
    )
    assert good.exit_code == 0, good.output
    shown = _json(run("show", str(customer_id), "-p", "support"))
    assert shown["has_password"] is True
