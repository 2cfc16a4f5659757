"""The console's 缴费人查询 pages: the search form (/console/payers), a payer's record (/console/payers/{id})
with a section per kind of object, and 查看完整信息 (a reason asked for, the plain data shown once, never
put in a URL). The rules are the API's (console/lookup.py): the same 404s, the same audit rows."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Form, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from shebao.console import payer_schemas as schemas
from shebao.console.deps import AnyStaff, OperatorStaff
from shebao.console.lookup import PayerLookup, Revealed
from shebao.console.staff import Role, Staff
from shebao.deps import Clock, WriteSession, settle
from shebao.errors import NotFound, ShebaoError
from shebao.web.security import csrf_protect
from shebao.web.templating import render

router = APIRouter(include_in_schema=False, dependencies=[Depends(csrf_protect)])

Text = Annotated[str, Form(max_length=500)]
PersonID = Annotated[uuid.UUID, Path()]


def _search_form(request: Request, values: dict[str, str], error: ShebaoError | None = None) -> HTMLResponse:
    context = {"title": "缴费人查询", "values": values, "error": error}
    return render(
        request, "console/payers/search.html", context, status_code=error.status_code if error else 200
    )


@router.get("/console/payers", response_class=HTMLResponse)
def search_page(request: Request, staff: AnyStaff) -> HTMLResponse:
    return _search_form(request, {"id_number": "", "name": ""})


@router.post("/console/payers", response_class=HTMLResponse)
def search_submit(
    request: Request,
    staff: AnyStaff,
    session: WriteSession,
    clock: Clock,
    id_number: Text = "",
    name: Text = "",
) -> Response:
    """The number travels in the form's body, never in a URL; found → the payer's page."""
    values = {"id_number": id_number, "name": name}
    try:
        found = PayerLookup(session, staff, staff.actor, now=clock.now()).find(
            id_number, name=name.strip() or None
        )
    except ShebaoError as error:
        settle(session, error)  # a search that found no one is still in the audit log
        if isinstance(error, NotFound):
            error.fields = {"id_number": error.detail}
        return _search_form(request, values, error)
    return RedirectResponse(f"/console/payers/{found.person.id}", status_code=303)


def _payer_page(
    request: Request,
    staff: Staff,
    payer: schemas.Payer,
    *,
    shown: Revealed | None = None,
    error: ShebaoError | None = None,
    reason: str = "",
) -> HTMLResponse:
    context: dict[str, Any] = {
        "title": "缴费人详情",
        "payer": payer,
        "shown": shown,
        "error": error,
        "reason": reason,
        "may_reveal": staff.at_least(Role.OPERATOR),
    }
    response = render(
        request, "console/payers/payer.html", context, status_code=error.status_code if error else 200
    )
    if shown is not None:
        response.headers["Cache-Control"] = "no-store"
    return response


@router.get("/console/payers/{person_id}", response_class=HTMLResponse)
def payer_page(
    request: Request, person_id: PersonID, staff: AnyStaff, session: WriteSession, clock: Clock
) -> HTMLResponse:
    found = PayerLookup(session, staff, staff.actor, now=clock.now()).view(person_id)
    return _payer_page(request, staff, schemas.payer(found))


@router.post("/console/payers/{person_id}/reveal", response_class=HTMLResponse)
def reveal_submit(
    request: Request,
    person_id: PersonID,
    staff: OperatorStaff,
    session: WriteSession,
    clock: Clock,
    reason: Text = "",
) -> HTMLResponse:
    lookup = PayerLookup(session, staff, staff.actor, now=clock.now())
    try:
        shown, found = lookup.reveal_on_record(person_id, reason)
    except ShebaoError as error:
        if isinstance(error, NotFound):
            raise
        settle(session, error)
        return _payer_page(request, staff, schemas.payer(lookup.view(person_id)), error=error, reason=reason)
    return _payer_page(request, staff, schemas.payer(found), shown=shown)


def include(app: FastAPI) -> None:
    app.include_router(router)
