"""No password, TOTP secret, recovery code, token or session key reaches audit or logs."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from staff_support import NEW_PASSWORD, PASSWORD, make_staff, signed_in

from klaremont.staff.permissions import Role
from klaremont.staff.service_mfa import STEP_SECONDS, current_code


@pytest.mark.policy("IS-PW-HASH", "IS-AC-LOGIN-LOG")
def test_secrets_stay_out_of_audit_and_logs(platform, office, clock, capsys, caplog):
    """A full credential life cycle leaves none of its secrets in audit rows or log output."""
    iso = make_staff(platform, "oscar", Role.ISO)
    pat = make_staff(platform, "pat")
    secrets: list[str] = [PASSWORD, NEW_PASSWORD, "a-wrong-guess-for-pat"]
    office.post("/api/auth/login", json={"username": "pat", "password": secrets[2]})
    headers = signed_in(office, pat)
    secrets.append(office.cookies.get("klaremont_staff"))
    enrol = office.post("/api/auth/mfa/enrol", json={"password": PASSWORD}, headers=headers).json()
    secrets.append(enrol["secret"])
    code = current_code(enrol["secret"], int(clock.now().timestamp()) // STEP_SECONDS)
    recovery = office.post("/api/auth/mfa/confirm", json={"code": code}, headers=headers).json()
    secrets.extend(recovery["recovery_codes"])
    token = office.post(
        "/api/auth/tokens",
        json={
            "username": "pat",
            "password": PASSWORD,
            "name": "t",
            "scopes": ["read"],
            "code": recovery["recovery_codes"][0],
        },
    ).json()["token"]
    secrets.append(token)
    changed = office.post(
        "/api/auth/password",
        json={"current_password": PASSWORD, "new_password": NEW_PASSWORD},
        headers=headers,
    )
    assert changed.status_code == 200
    office.cookies.clear()
    admin = signed_in(office, iso)
    secrets.append(office.cookies.get("klaremont_staff"))
    one_time = office.post(f"/api/staff/{pat.id}/reset-password", headers=admin).json()[
        "one_time_password"
    ]
    secrets.append(one_time)
    with platform.unit_of_work() as uow:
        audit_text = " ".join(
            " ".join(str(v) for v in row)
            for row in uow.session.execute(text("SELECT * FROM audit_events"))
        )
        staff_text = " ".join(
            " ".join(str(v) for v in row)
            for row in uow.session.execute(text("SELECT * FROM staff_accounts"))
        )
    captured = capsys.readouterr()
    logs = captured.out + captured.err + caplog.text
    for secret in secrets:
        assert secret not in audit_text
        assert secret not in logs
        assert secret not in staff_text
    assert "auth.mfa.enrol" in audit_text


@pytest.mark.policy("IS-AC-LOGIN-LOG", "IS-PW-LOCK3")
def test_card_number_typed_as_a_username_is_not_recorded(platform, office):
    """A card number typed as a username is refused by the card guard, naming only the field."""
    response = office.post(
        "/api/auth/login", json={"username": "4111 1111 1111 1111", "password": "whatever-it-is"}
    )
    assert response.status_code == 422
    assert "username" in response.text
    assert "4111" not in response.text
    with platform.unit_of_work() as uow:
        audit_text = " ".join(
            str(row[0]) for row in uow.session.execute(text("SELECT details FROM audit_events"))
        )
    assert "4111" not in audit_text


@pytest.mark.policy("IS-SENS-MASK")
def test_free_text_refuses_card_numbers(platform, office):
    """Reasons and token names that hold a card number are refused, naming the field only."""
    iso = make_staff(platform, "olga", Role.ISO)
    target = make_staff(platform, "tim")
    headers = signed_in(office, iso)
    response = office.post(
        f"/api/staff/{target.id}/disable", json={"reason": "4111-1111-1111-1111"}, headers=headers
    )
    assert response.status_code == 422
    assert "4111" not in response.text
    assert "card number" in response.text
