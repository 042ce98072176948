"""Privacy-centre page where a signed-in customer confirms their details are still right
(DP-ACCURATE): ``/privacy/my-details``.

It shows when the details were last confirmed or corrected and when they fall due for
review, offers a one-click confirmation, and points to a rectification request when
something is wrong. Signed-out visitors are asked to sign in; nothing personal is shown.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool

from klaremont.accuracy import service
from klaremont.accuracy.models import ReviewChannel
from klaremont.privacy.web.common import Customer, form_ok, page, refused_page, see_other
from klaremont.staff.web.guard import public
from klaremont.web.deps import UowDep, finish

router = APIRouter(prefix="/privacy", include_in_schema=False, dependencies=[Depends(public())])
CONFIRMED = "Thank you: we have recorded that your details are correct."


@router.get("/my-details")
def my_details(request: Request, uow: UowDep, customer: Customer, done: int = 0) -> HTMLResponse:
    """When the person's details were last confirmed, and a button to confirm them now."""
    if customer is None:
        return page(request, uow, "my_details.html", status=None)
    status = service.review_status(uow, customer.customer_id)
    finish(uow)
    return page(request, uow, "my_details.html", status=status, notice=CONFIRMED if done else None)


@router.post("/my-details/confirm")
async def confirm(request: Request, uow: UowDep, customer: Customer) -> Response:
    """Record that the signed-in person confirmed their details are accurate."""
    if customer is None:
        return see_other("/privacy/sign-in?next=/privacy/my-details")
    if not await form_ok(request, uow, customer):
        return refused_page(request, uow)
    customer_id = customer.customer_id

    def record() -> None:  # database work: in the thread pool, never the loop
        service.confirm_accurate(uow, customer_id, channel=ReviewChannel.PRIVACY_CENTRE)
        finish(uow)

    await run_in_threadpool(record)
    return see_other("/privacy/my-details?done=1")
