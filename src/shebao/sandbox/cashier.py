"""`/sandbox/{provider}/cashier/{out_trade_no}` and its `/pay` and `/cancel`: the simulated cashier pages
for people, one router for the three cashier providers. Plain forms, no JavaScript.

Each provider's `cashier.py` declares its `Cashier`: its page (title, template, status labels, its links
back), where the browser came from, and where it goes after paying or cancelling. Paying and cancelling
are those of the provider's `TradeDesk` with its default options (the notification is sent), so the
cashier and the trade API change a trade the same way.
"""

# No `from __future__ import annotations`: the endpoints are built per provider, and FastAPI reads their
# annotations (the provider's dependencies) as objects.

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel
from sqlalchemy.orm import Session

from shebao.config import Settings
from shebao.deps import Clock, RuntimeDep, WriteSession
from shebao.errors import BadRequest
from shebao.sandbox.options import Refusal
from shebao.sandbox.trade_api import TradeDesk
from shebao.web.openapi import errors
from shebao.web.security import csrf_protect
from shebao.web.templating import render

# A provider's signed order, checked and recorded: (session, its params, settings, now) → the trade; a
# refusal raises the provider's `Refusal`.
OpenOrder = Callable[[Session, dict[str, str], Settings, datetime], Any]


def order_router(
    summary: str, form: Callable[..., Any], received: type[BaseModel], open_order: OpenOrder
) -> APIRouter:
    """`POST /orders`, where the adapter hands over the signed order the browser would carry to the
    gateway: the sandbox records the trade at once, so it can be paid by the API before any browser
    opened the cashier. `form` reads the provider's parameters (a FastAPI dependency); a refusal is a
    400 with its reason and code."""
    router = APIRouter()
    Params = Annotated[dict[str, str], Depends(form)]  # noqa: N806

    @router.post("/orders", status_code=201, response_model=received, summary=summary, responses=errors(400))
    def receive_order(params: Params, session: WriteSession, runtime: RuntimeDep, clock: Clock) -> Any:
        try:
            trade = open_order(session, params, runtime.settings, clock.now())
        except Refusal as refused:
            raise BadRequest(refused.said) from refused
        return received.model_validate(trade, from_attributes=True)

    return router


def nowhere() -> str:
    """Where the browser came from, for a provider whose cashier is not told: nowhere."""
    return ""


# Where the browser goes after paying (True) or cancelling (False): (trade, where it came from, settings,
# now, paid); None is back to the cashier page.
Onward = Callable[[Any, str, Settings, datetime, bool], str | None]


@dataclass(frozen=True)
class Cashier:
    """One provider's cashier, at `/sandbox/{provider}/cashier/...` in `sandbox/{provider}_cashier.html`
    (which extends `sandbox/cashier.html`).
    `links(trade, back)` is the page's part that leads away (`back_href` and the like); `onward`, where the
    browser goes after paying or cancelling. `came_from` reads where the browser came from on the page's
    GET, `pay_from` on the posted forms, `cancel_from` on the cancel form if it differs (FastAPI
    dependencies; `nowhere` where none is sent). The trade's noun (交易不存在) is its `TradeDesk`'s."""

    provider: str
    title: str
    labels: Mapping[str, str]
    links: Callable[[Any, str], dict[str, Any]]
    onward: Onward
    came_from: Callable[..., str] = nowhere
    pay_from: Callable[..., str] = nowhere
    cancel_from: Callable[..., str] | None = None

    def page(
        self,
        request: Request,
        trade: Any,
        *,
        back: str = "",
        error: str | None = None,
        status_code: int = 200,
    ) -> HTMLResponse:
        context = {
            "title": self.title,
            "trade": trade,
            "status_label": self.labels.get(trade.status, trade.status) if trade else "",
            "error": error,
            **self.links(trade, back),
        }
        return render(request, f"sandbox/{self.provider}_cashier.html", context, status_code=status_code)

    def show(self, request: Request, trade: Any, *, back: str, missing: str) -> HTMLResponse:
        """The page of `trade`, or the 404 page saying it is `missing`."""
        if trade is None:
            return self.page(request, None, error=missing, status_code=404)
        return self.page(request, trade, back=back)


def cashier_router(cashier: Cashier, desk: TradeDesk) -> APIRouter:
    """The three routes of `cashier`, paying and cancelling through `desk`, to include under the
    provider's `/sandbox/{provider}` prefix."""
    router = APIRouter(include_in_schema=False, dependencies=[Depends(csrf_protect)])
    CameFrom = Annotated[str, Depends(cashier.came_from)]  # noqa: N806
    missing = f"{desk.noun}不存在"

    @router.get("/cashier/{out_trade_no}", response_class=HTMLResponse)
    def show(
        out_trade_no: str, request: Request, session: WriteSession, clock: Clock, back: CameFrom
    ) -> HTMLResponse:
        trade = desk.trades.find(session, out_trade_no, for_update=True)
        if trade is not None:
            desk.trades.expire_if_due(trade, clock.now())
        return cashier.show(request, trade, back=back, missing=missing)

    def posted(action: str, came_from: Callable[..., str]) -> None:
        """`/pay` or `/cancel` of the locked trade; the provider's refusal is the page with its reason
        (409)."""
        paying = action == "pay"
        Back = Annotated[str, Depends(came_from)]  # noqa: N806

        @router.post(f"/cashier/{{out_trade_no}}/{action}")
        def act(
            out_trade_no: str,
            request: Request,
            session: WriteSession,
            runtime: RuntimeDep,
            clock: Clock,
            back: Back,
        ) -> Response:
            trade = desk.trades.find(session, out_trade_no, for_update=True)
            if trade is None:
                return cashier.page(request, None, error=missing, status_code=404)
            now = clock.now()
            try:
                if paying:
                    desk.do_pay(session, trade, now, desk.pay_options())
                else:
                    desk.do_cancel(session, trade, now, desk.cancel_options())
            except Refusal as refused:
                return cashier.page(request, trade, back=back, error=str(refused), status_code=409)
            onward = cashier.onward(trade, back, runtime.settings, now, paying)
            return RedirectResponse(
                onward or f"/sandbox/{cashier.provider}/cashier/{out_trade_no}", status_code=303
            )

    posted("pay", cashier.pay_from)
    posted("cancel", cashier.cancel_from or cashier.pay_from)
    return router
