"""Support shares (PP-SUPPORT): the partner's single-use, expiring confirmation link, the
overdue share in the DPO's list and the live check, and minimisation of the partner's file."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import timedelta

import pytest
from processors_support import DPO
from rights_support import seed_person
from sqlalchemy import select

from klaremont.customers.models import Customer
from klaremont.errors import ValidationFailed
from klaremont.mail.models import OutboxMessage
from klaremont.processors import checks, my_work, support, support_export, support_link
from klaremont.processors.models import SupportShare
from klaremont.processors.permissions import ProcessorPermission

PARTNER = "sahyadri-it"


class _Principal:
    def __init__(self, *permissions):
        self.account_id = None
        self.permissions = frozenset(permissions)


@pytest.fixture
def partner(register):
    with register.unit_of_work(actor=DPO) as uow:
        support.set_contact(uow, PARTNER, "privacy@sahyadri-it.example")
    return register


def _open(platform, people, fields, *, pseudonymised=False, ticket="T-2026-0142"):
    with platform.unit_of_work(actor=DPO) as uow:
        made = support.open_share(
            uow,
            ticket=ticket,
            processor=PARTNER,
            customers=[p.reference for p in people],
            fields=fields,
            pseudonymised=pseudonymised,
            reason="checkout fails for these orders; partner must reproduce it",
        )
        return made.reference


def _resolve(platform, reference):
    with platform.unit_of_work(actor=DPO) as uow:
        _share, path = support_link.resolve(uow, reference)
    return path.split("token=", 1)[1]


def _confirm(platform, token, **kw):
    with platform.unit_of_work(actor=DPO) as uow:
        return support_link.confirm(
            uow, token, method="deleted", name="Asha Rao", confirmed=True, **kw
        ).reference


@pytest.mark.policy("PP-SUPPORT")
def test_the_confirmation_link_works_once_and_is_mailed(partner):
    person = seed_person(partner, "Sup")
    ref = _open(partner, [person], ["order_numbers"])
    token = _resolve(partner, ref)
    with partner.unit_of_work(actor=DPO) as uow:
        share = support.find(uow, ref)
        assert share.token_digest != token
        assert token not in share.token_digest
        mail = uow.session.scalars(select(OutboxMessage)).all()
        assert len(mail) == 1
        assert token in mail[0].body
        assert mail[0].to_address == "privacy@sahyadri-it.example"
    assert _confirm(partner, token) == ref
    with pytest.raises(support_link.LinkRefused, match="already been used"):
        _confirm(partner, token)
    with partner.unit_of_work(actor=DPO) as uow:
        done = support.find(uow, ref)
        assert done.confirmed_by == "Asha Rao"
        assert done.confirmed_method == "deleted"
        assert support.state_of(done, uow.clock.now().date()) is support.ShareState.CONFIRMED


@pytest.mark.policy("PP-SUPPORT")
def test_an_expired_link_is_refused(partner, clock):
    person = seed_person(partner, "Exp")
    token = _resolve(partner, _open(partner, [person], ["order_numbers"]))
    clock.advance(timedelta(days=14 + support_link.LINK_DAYS_AFTER_DUE + 1))
    with pytest.raises(support_link.LinkRefused, match="expired"):
        _confirm(partner, token)


@pytest.mark.policy("PP-SUPPORT")
def test_the_token_of_share_a_cannot_confirm_share_b(partner):
    person = seed_person(partner, "AB")
    a = _open(partner, [person], ["order_numbers"], ticket="T-A")
    b = _open(partner, [person], ["delivery_town"], ticket="T-B")
    token_a = _resolve(partner, a)
    _resolve(partner, b)
    assert _confirm(partner, token_a) == a
    with pytest.raises(support_link.LinkRefused):
        _confirm(partner, token_a)
    with pytest.raises(support_link.LinkRefused, match="not one we sent"):
        _confirm(partner, token_a[:-2] + "xx")
    with partner.unit_of_work(actor=DPO) as uow:
        assert support.find(uow, b).confirmed_at is None


@pytest.mark.policy("PP-SUPPORT")
def test_an_overdue_share_fails_the_live_check_and_shows_in_the_dpo_list(partner, clock):
    person = seed_person(partner, "Late")
    ref = _open(partner, [person], ["order_numbers"])
    _resolve(partner, ref)
    check = checks.support_partners_confirm_deletion_on_time
    assert check(partner).holds
    clock.advance(timedelta(days=15))
    result = check(partner)
    assert not result.holds
    assert ref in result.detail
    dpo = _Principal(ProcessorPermission.PROCESSORS_MANAGE)
    with partner.unit_of_work(actor=DPO) as uow:
        titles = [i.title for i in my_work.items(uow, dpo)]
    assert "Support share deletion not confirmed: ticket T-2026-0142" in titles


@pytest.mark.policy("PP-SUPPORT")
def test_fields_not_chosen_are_absent_from_the_file(partner):
    person = seed_person(partner, "Min")
    ref = _open(partner, [person], ["order_numbers", "email"])
    with partner.unit_of_work(actor=DPO) as uow:
        _name, body = support_export.export(uow, ref, "json")
    document = json.loads(body)
    [row] = document["people"]
    assert set(row) == {"person", "order_numbers", "email"}
    assert row["email"] == person.email
    assert row["order_numbers"]
    text = body.decode()
    assert person.canaries["customers.name"] not in text
    with partner.unit_of_work(actor=DPO) as uow, pytest.raises(Exception, match="already"):
        support_export.export(uow, ref, "csv")


@pytest.mark.policy("PP-SUPPORT")
def test_a_pseudonymised_file_has_no_name_or_email(partner):
    person = seed_person(partner, "Pse")
    with pytest.raises(ValidationFailed, match="pseudonymised"):
        _open(partner, [person], ["email"], pseudonymised=True)
    ref = _open(partner, [person], ["order_numbers", "product_lines", "delivery_town"],
                pseudonymised=True)  # fmt: skip
    with partner.unit_of_work(actor=DPO) as uow:
        _name, body = support_export.export(uow, ref, "csv")
    text = body.decode()
    assert person.canaries["customers.name"] not in text
    assert person.email not in text
    assert person.reference not in text
    assert re.search(r"P-[0-9a-f]{12}", text)
    assert "@" not in text


@pytest.mark.policy("PP-SUPPORT")
def test_card_data_is_never_offered(partner):
    assert not any("card" in f.value for f in support.SupportField)
    person = seed_person(partner, "Pay")
    for asked in ("payment_cards", "card_number", "last4"):
        with pytest.raises(ValidationFailed, match="card data is never shared"):
            _open(partner, [person], ["order_numbers", asked])
    ref = _open(partner, [person], [f.value for f in support.SupportField])
    with partner.unit_of_work(actor=DPO) as uow:
        _name, body = support_export.export(uow, ref, "json")
    text = body.decode().lower()
    for word in ("last4", "brand", "exp_month", "card", "provider_token"):
        assert word not in text
    with partner.unit_of_work(actor=DPO) as uow:
        assert uow.session.scalar(select(SupportShare.fields)) == ",".join(
            f.value for f in support.SupportField
        )


@pytest.mark.policy("PP-SUPPORT")
def test_a_cell_a_spreadsheet_would_run_is_written_as_text(partner):
    """A customer whose name is a formula: the partner's staff open the CSV in a spreadsheet,
    so the cell starts with an apostrophe and is shown, not run (CWE-1236); the JSON file
    keeps the name as held."""
    person = seed_person(partner, "Formula")
    formula = '=HYPERLINK("http://evil.example/","Refund")'
    with partner.unit_of_work(actor=DPO) as uow:
        uow.session.get(Customer, person.customer_id).name = formula
    ref = _open(partner, [person], ["name", "order_numbers"])
    with partner.unit_of_work(actor=DPO) as uow:
        _name, body = support_export.export(uow, ref, "csv")
    (row,) = csv.DictReader(io.StringIO(body.decode()))
    assert row["name"] == "'" + formula
    assert not any(cell.startswith(("=", "+", "-", "@")) for cell in row.values())
