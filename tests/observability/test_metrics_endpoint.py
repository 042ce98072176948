"""``GET /metrics``: parsed with Prometheus's own text parser, values that move, labels that
never carry a raw path, capability contributions, scrape access and multiprocess sums."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from prometheus_client import values
from prometheus_client.parser import text_string_to_metric_families
from pydantic import SecretStr

from klaremont import capabilities
from klaremont import metrics as platform_metrics
from klaremont.capabilities import Capability
from klaremont.mail.service import enqueue
from klaremont.mail.templates import VerificationCode
from klaremont.staff.permissions import Role
from klaremont.testing.staff import OFFICE_CLIENT, TEST_ACTOR, make_staff
from klaremont.web.app import create_app

CARD = "4111111111111111"
TOKEN = "metrics-token-0123456789abcdef0123456789"
REPO = Path(__file__).resolve().parents[2]

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def scrape(client: TestClient, **headers: str) -> Samples:
    """Every sample of one scrape, keyed by (sample name, sorted labels)."""
    response = client.get("/metrics", headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    return parse(response.text)


def parse(body: str) -> Samples:
    """The real Prometheus text parser, flattened."""
    found: Samples = {}
    for family in text_string_to_metric_families(body):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def value(samples: Samples, name: str, **labels: str) -> float:
    """One sample's value (0 when absent)."""
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def families(body: str) -> set[str]:
    """The family names in a scrape."""
    return {family.name for family in text_string_to_metric_families(body)}


@pytest.fixture
def office(platform):
    """A client on the loopback: inside the default KLAREMONT_METRICS_NETWORKS."""
    with TestClient(create_app(platform), base_url="https://testserver", client=OFFICE_CLIENT) as c:
        yield c


def test_the_scrape_has_every_family(office) -> None:
    """Requests, latency, errors, audit head and checkpoint, lockouts, outbox, version."""
    office.get("/health/live")
    body = office.get("/metrics").text
    assert {
        "klaremont_http_requests",
        "klaremont_http_request_duration_seconds",
        "klaremont_http_errors",
        "klaremont_audit_chain_head_sequence",
        "klaremont_audit_last_checkpoint_sequence",
        "klaremont_audit_last_checkpoint_timestamp_seconds",
        "klaremont_staff_lockouts_last_hour",
        "klaremont_staff_accounts_locked",
        "klaremont_mail_outbox_messages",
        "klaremont_info",  # klaremont_info{version=...}
        "klaremont_metrics_contribution_failures",
    } <= families(body)


def test_a_request_increments_its_route_template_and_latency(office) -> None:
    """Two requests to a route add two to its counter and to its histogram's count."""
    before = scrape(office)
    office.get("/health/live")
    office.get("/health/live")
    after = scrape(office)
    labels = {"method": "GET", "route": "/health/live", "status_class": "2xx"}
    assert value(after, "klaremont_http_requests_total", **labels) == (
        value(before, "klaremont_http_requests_total", **labels) + 2
    )
    count = "klaremont_http_request_duration_seconds_count"
    assert value(after, count, method="GET", route="/health/live") == (
        value(before, count, method="GET", route="/health/live") + 2
    )


@pytest.mark.policy("IS-SENS-MASK")
def test_labels_carry_templates_never_raw_paths(office) -> None:
    """A card number in a path (an unknown route, and an id of a templated one) appears
    nowhere in the scrape: the unknown path counts as ``unmatched``, the other under its
    template; the refusals are counted as problem answers by status."""
    before = scrape(office)
    assert office.get("/no/such/page/123456").status_code == 404
    assert office.get(f"/no/such/page/{CARD}").status_code == 422  # the card guard refuses
    office.get(f"/api/customers/{CARD}")
    office.get("/api/customers/0b5e9a8e-5f4c-4d43-9d7e-3c1f6f0a2b11")
    body = office.get("/metrics").text
    assert CARD not in body
    assert "4111" not in body
    after = parse(body)
    unmatched = {"method": "GET", "route": "unmatched", "status_class": "4xx"}
    assert value(after, "klaremont_http_requests_total", **unmatched) > value(
        before, "klaremont_http_requests_total", **unmatched
    )
    routes = {labels for (name, labels) in after if name == "klaremont_http_requests_total"}
    assert any(("route", "/api/customers/{customer}") in labels for labels in routes)
    for status in ("404", "422"):
        assert value(after, "klaremont_http_errors_total", status=status) > value(
            before, "klaremont_http_errors_total", status=status
        )
    assert "123456" not in body
    assert "0b5e9a8e" not in body


def test_a_server_error_is_counted_as_an_error(platform) -> None:
    """A route that raises is a 500 problem answer, counted under status 500."""
    app = create_app(platform)

    def _explode() -> None:
        msg = "boom"
        raise RuntimeError(msg)

    app.add_api_route("/api/explode", _explode, methods=["GET"])
    with TestClient(app, base_url="https://testserver", client=OFFICE_CLIENT) as client:
        assert client.get("/api/explode").status_code == 500
        after = scrape(client)
    assert value(after, "klaremont_http_errors_total", status="500") == 1
    explode = {"method": "GET", "route": "/api/explode", "status_class": "5xx"}
    assert value(after, "klaremont_http_requests_total", **explode) == 1


@pytest.mark.policy("IS-PW-LOCK3")
def test_a_lockout_shows(office, platform) -> None:
    """Three wrong passwords lock an account: the lockout and the locked account are counted."""
    make_staff(platform, "olive", Role.SUPPORT_AGENT)
    before = scrape(office)
    assert value(before, "klaremont_staff_accounts_locked") == 0
    for _ in range(3):
        office.post("/api/auth/login", json={"username": "olive", "password": "wrong-wrong-1"})
    after = scrape(office)
    assert value(after, "klaremont_staff_lockouts_last_hour") == (
        value(before, "klaremont_staff_lockouts_last_hour") + 1
    )
    assert value(after, "klaremont_staff_accounts_locked") == 1


def test_the_outbox_depth_moves(office, platform) -> None:
    """A queued message raises the pending depth by one."""
    before = scrape(office)
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        from klaremont.db.subjects import Subject  # noqa: PLC0415 - only this test makes one

        subject = Subject(created_at=uow.clock.now())
        uow.session.add(subject)
        uow.session.flush()
        enqueue(
            uow,
            subject_id=subject.id,
            to_address="ada.lovelace@example.com",
            mail=VerificationCode(code="12345678", valid_minutes=60),
        )
    after = scrape(office)
    pending = "klaremont_mail_outbox_messages"
    assert value(after, pending, status="pending") == value(before, pending, status="pending") + 1
    assert value(after, pending, status="failed") == value(before, pending, status="failed")


@pytest.mark.policy("IS-USE-MONITOR")
def test_the_audit_head_and_checkpoint_move(office, platform) -> None:
    """An audited change moves the chain head; once sealed, the checkpoint follows it."""
    before = scrape(office)
    make_staff(platform, "pearl", Role.SUPPORT_AGENT)
    platform.audit.close()  # seal what is pending now (the sealer restarts on the next commit)
    after = scrape(office)
    head = value(after, "klaremont_audit_chain_head_sequence")
    assert head > value(before, "klaremont_audit_chain_head_sequence")
    assert value(after, "klaremont_audit_last_checkpoint_sequence") == head
    assert value(after, "klaremont_audit_last_checkpoint_timestamp_seconds") > 0


# Throwaway contributions to the extension point, registered for one test.
def _good(_platform: object) -> list[object]:
    from prometheus_client.core import GaugeMetricFamily  # noqa: PLC0415 - throwaway

    return [GaugeMetricFamily("throwaway_widgets", "Widgets.", value=7)]


def _also_good(_platform: object) -> list[object]:
    from prometheus_client.core import CounterMetricFamily  # noqa: PLC0415 - throwaway

    return [CounterMetricFamily("throwaway_runs", "Runs.", value=3)]


def _broken(_platform: object) -> list[object]:
    msg = "this contribution fails"
    raise RuntimeError(msg)


@pytest.fixture
def throwaway_contributions():
    """Three throwaway capabilities plugged into ``"metrics"``: two work, one raises."""
    names = []
    for name, function in (("zz_one", "_good"), ("zz_two", "_also_good"), ("zz_three", "_broken")):
        capabilities.register(
            Capability(
                name=name,
                summary="throwaway metrics contribution",
                package=__name__,
                extensions=(("metrics", f"{__name__}:{function}"),),
            )
        )
        names.append(name)
    yield
    for name in names:
        capabilities.unregister(name)


def test_any_number_of_contributions_appear(throwaway_contributions, office) -> None:
    """Every contribution is scraped; a failing one is counted and hides nothing else."""
    after = scrape(office)
    assert value(after, "throwaway_widgets") == 7
    assert value(after, "throwaway_runs_total") == 3
    assert value(after, "klaremont_metrics_contribution_failures") == 1
    assert value(after, "klaremont_audit_chain_head_sequence") >= 0
    assert ("klaremont_staff_accounts_locked", ()) in after


def test_a_client_outside_the_metrics_networks_is_refused(platform) -> None:
    """An address outside KLAREMONT_METRICS_NETWORKS gets a 403 problem and no metric."""
    app = create_app(platform)
    with TestClient(app, base_url="https://testserver", client=("203.0.113.9", 5000)) as client:
        response = client.get("/metrics")
    assert response.status_code == 403
    assert response.headers["content-type"] == "application/problem+json"
    assert "klaremont_http" not in response.text


def test_a_token_when_configured_is_required(platform) -> None:
    """With KLAREMONT_METRICS_TOKEN set, no token or a wrong one is 401; the token is 200."""
    platform.settings = platform.settings.model_copy(update={"metrics_token": SecretStr(TOKEN)})
    app = create_app(platform)
    with TestClient(app, base_url="https://testserver", client=OFFICE_CLIENT) as client:
        missing = client.get("/metrics")
        wrong = client.get("/metrics", headers={"Authorization": "Bearer not-the-token"})
        right = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert missing.status_code == wrong.status_code == 401
    assert missing.headers["www-authenticate"].startswith("Bearer")
    assert TOKEN not in missing.text + wrong.text
    assert right.status_code == 200
    assert "klaremont_http_requests" in families(right.text)


def test_a_forwarded_address_counts_only_from_a_trusted_proxy(platform) -> None:
    """X-Forwarded-For from the loopback proxy names the client (outside: refused); from an
    untrusted address it is ignored."""
    app = create_app(platform)
    forwarded = {"X-Forwarded-For": "203.0.113.9"}
    with TestClient(app, base_url="https://testserver", client=OFFICE_CLIENT) as client:
        assert client.get("/metrics", headers=forwarded).status_code == 403
    platform.settings = platform.settings.model_copy(update={"trusted_proxies": []})
    app = create_app(platform)
    with TestClient(app, base_url="https://testserver", client=OFFICE_CLIENT) as client:
        assert client.get("/metrics", headers=forwarded).status_code == 200


_CHILD = textwrap.dedent(
    """
    import sys
    from fastapi.testclient import TestClient
    from klaremont.config import Environment, Settings
    from klaremont.platform import Platform
    from klaremont.web.app import create_app

    settings = Settings(environment=Environment.TEST, var_dir=sys.argv[1],
                        database_url=sys.argv[2], keystore_url=sys.argv[3])
    platform = Platform.build(settings)
    with TestClient(create_app(platform), client=("127.0.0.1", 5000)) as client:
        for _ in range(3):
            assert client.get("/health/live").status_code == 200
    platform.dispose()
    """
)


@pytest.fixture
def multiprocess_dir(tmp_path, monkeypatch):
    """Multiprocess mode in a fresh directory for this test; single-process mode after."""
    directory = tmp_path / "prom"
    monkeypatch.setenv(platform_metrics.MULTIPROC_ENV, str(directory))
    (directory).mkdir()
    (directory / "counter_999999.db").write_bytes(b"stale")  # a previous run's file
    yield directory
    monkeypatch.delenv(platform_metrics.MULTIPROC_ENV)
    values.ValueClass = values.get_value_class()


def test_several_processes_add_up(multiprocess_dir, platform, settings, tmp_path) -> None:
    """Two real server processes each answer three requests: a scrape counts six."""
    prepared = platform_metrics.prepare_multiprocess_dir()
    assert prepared == multiprocess_dir
    assert not (multiprocess_dir / "counter_999999.db").exists()  # emptied
    env = {**os.environ, platform_metrics.MULTIPROC_ENV: str(prepared)}
    for n in range(2):
        subprocess.run(  # noqa: S603 - our own interpreter running a fixed script
            [
                sys.executable,
                "-c",
                _CHILD,
                str(tmp_path / f"var{n}"),
                settings.database_url,
                settings.keystore_url,
            ],
            env=env,
            check=True,
            cwd=REPO,
            timeout=300,
        )
    body = platform_metrics.exposition(platform, ()).decode()
    samples = parse(body)
    labels = {"method": "GET", "route": "/health/live", "status_class": "2xx"}
    assert value(samples, "klaremont_http_requests_total", **labels) == 6
    assert "klaremont_audit_chain_head_sequence" in families(body)


def test_static_files_count_under_the_mount_and_unknown_clients_are_refused(office, platform):
    """A stylesheet counts under ``/static/{path}``; a client with no IP address is refused."""
    assert office.get("/static/staff.css").status_code == 200
    after = scrape(office)
    static = {"method": "GET", "route": "/static/{path}", "status_class": "2xx"}
    assert value(after, "klaremont_http_requests_total", **static) == 1
    with TestClient(create_app(platform), base_url="https://testserver") as nameless:
        refused = nameless.get("/metrics")  # the test client's address is "testclient"
    assert refused.status_code == 403
    assert refused.json()["detail"] == "the client address is unknown"


def test_the_newest_checkpoint_skips_a_torn_last_line(tmp_path) -> None:
    """A half-written last line (a crash mid-append) is skipped; no file is no checkpoint."""
    from klaremont.audit.metrics import newest_checkpoint  # noqa: PLC0415 - one helper

    path = tmp_path / "checkpoints.jsonl"
    assert newest_checkpoint(path) is None
    good = (
        '{"at":"2026-03-02T09:30:00.000000Z","hash":"' + "a" * 64 + '","key_id":"k",'
        '"seq":5,"sig":"s"}\n'
    )
    path.write_text(good + '{"at":"2026-03-02T09:31', encoding="utf-8")
    newest = newest_checkpoint(path)
    assert newest is not None
    assert newest.seq == 5
    path.write_text("not json\n", encoding="utf-8")
    assert newest_checkpoint(path) is None
