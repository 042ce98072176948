"""``klaremont wifi`` (guest codes, access points, staff devices) and ``klaremont radius``.

The operator at the shell has technical operations' reach; what they do is audited under
their operating-system user name. A code is printed once, when it is issued.
"""

from __future__ import annotations

import signal
import threading
from typing import Annotated

import typer
from rich.table import Table

from klaremont.cli.context import cli_actor, console, get_platform
from klaremont.clock import UK_TIME
from klaremont.wifi import service_ap, service_guest
from klaremont.wifi.server import RadiusServer
from klaremont.wifi.settings import WifiSettings

app = typer.Typer(no_args_is_help=True)
wifi = typer.Typer(
    name="wifi",
    help="Guest and staff wireless: guest codes, access points, staff devices.",
    no_args_is_help=True,
)
radius = typer.Typer(
    name="radius", help="The RADIUS server the access points ask.", no_args_is_help=True
)
app.add_typer(wifi)
app.add_typer(radius)


def _by() -> str:
    return cli_actor().id


@wifi.command()
def issue(
    count: Annotated[int, typer.Option(min=1, max=10_000, help="how many codes (one batch)")] = 1,
    hours: Annotated[
        int | None,
        typer.Option(min=1, max=8760, help="hours each works from first use (policy default)"),
    ] = None,
    devices: Annotated[
        int | None, typer.Option(min=1, max=100, help="devices each may connect (policy default)")
    ] = None,
) -> None:
    """Issue guest codes; each is printed once, here."""
    with get_platform().unit_of_work(actor=cli_actor()) as uow:
        issued = service_guest.issue(
            uow, count=count, by=_by(), valid_hours=hours, max_devices=devices
        )
    for made in issued:
        expires = made.expires_at.astimezone(UK_TIME)
        console.print(
            f"{made.code}  batch {made.batch}, {made.valid_hours} h from first use, "
            f"{made.max_devices} device(s), not after {expires:%d %b %Y %H:%M}"
        )


@wifi.command()
def revoke(
    code: Annotated[str | None, typer.Argument(help="the code to revoke")] = None,
    batch: Annotated[str | None, typer.Option(help="revoke every code of this batch")] = None,
) -> None:
    """Revoke one guest code, or a whole batch."""
    if (code is None) == (batch is None):
        raise typer.BadParameter("give a code or --batch, not both")
    with get_platform().unit_of_work(actor=cli_actor()) as uow:
        count = service_guest.revoke(uow, by=_by(), code=code, batch=batch)
    console.print(f"{count} code(s) revoked")


@wifi.command()
def codes(
    limit: Annotated[int, typer.Option(min=1, max=1000, help="how many of the newest")] = 50,
) -> None:
    """The newest guest codes (their last characters only) and where each stands."""
    table = Table(title="Guest codes (UK times)")
    for column in ("ends", "batch", "issued", "by", "devices", "state"):
        table.add_column(column)
    with get_platform().unit_of_work(actor=cli_actor()) as uow:
        now = uow.clock.now()
        for row in service_guest.recent(uow, limit=limit):
            table.add_row(
                f"…{row.hint}",
                row.batch,
                f"{row.issued_at.astimezone(UK_TIME):%d %b %H:%M}",
                row.issued_by,
                f"{row.devices}/{row.max_devices}",
                row.state(now),
            )
    console.print(table)


@wifi.command("add-access-point")
def add_access_point(
    name: Annotated[str, typer.Option(help="a name for the access point or controller")],
    network: Annotated[str, typer.Option(help="address or range it sends from")],
    secret: Annotated[
        str,
        typer.Option(prompt=True, hide_input=True, help="its RADIUS shared secret (16+ chars)"),
    ],
) -> None:
    """Register an access point (RADIUS client) with its address range and shared secret."""
    with get_platform().unit_of_work(actor=cli_actor()) as uow:
        row = service_ap.add(uow, name=name, network=network, secret=secret, by=_by())
    console.print(f"access point {row.name} registered for {row.network}")


@wifi.command("remove-access-point")
def remove_access_point(name: Annotated[str, typer.Argument(help="its name")]) -> None:
    """Stop answering an access point."""
    with get_platform().unit_of_work(actor=cli_actor()) as uow:
        service_ap.remove(uow, name=name, by=_by())
    console.print(f"access point {name} removed")


@wifi.command("access-points")
def access_points() -> None:
    """The registered access points (never their secrets)."""
    with get_platform().unit_of_work(actor=cli_actor()) as uow:
        rows = service_ap.listed(uow)
    for row in rows:
        console.print(f"{row.name}  {row.network}")
    if not rows:
        console.print("no access points registered")


@radius.command()
def serve(
    host: Annotated[
        str | None, typer.Option(help="address (default KLAREMONT_WIFI_RADIUS_HOST)")
    ] = None,
    port: Annotated[
        int | None,
        typer.Option(
            min=1, max=65535, help="authentication port (default KLAREMONT_WIFI_RADIUS_PORT)"
        ),
    ] = None,
) -> None:
    """Answer the access points' RADIUS requests until interrupted."""
    server = RadiusServer(get_platform(), WifiSettings())
    auth, acct = server.bind(host, port)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    console.print(
        f"RADIUS on {host or server.settings.radius_host}: authentication {auth}, accounting {acct}"
    )
    try:
        server.serve(stop)
    except KeyboardInterrupt:
        pass
    finally:
        server.close()
