"""The console's 统计 page (`/console/dashboards`): a date-range form, then each figure's chart beside
its table and its CSV export. A range that cannot be used comes back as the form, its message beside
the field, with a 422 and no figures."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, FastAPI, Query, Request
from fastapi.responses import HTMLResponse

from shebao.console.dashboards import presenters
from shebao.console.dashboards.figures import Dimension
from shebao.console.dashboards.service import Dashboards
from shebao.console.deps import AnyStaff
from shebao.deps import Work
from shebao.errors import ValidationFailed
from shebao.kit.clock import to_shanghai
from shebao.web.forms import form_errors
from shebao.web.templating import render

router = APIRouter(include_in_schema=False)

FIELDS = ("start", "end", "tax_office")
Text = Annotated[str, Query(max_length=20)]


@router.get("/console/dashboards", response_class=HTMLResponse)
def dashboards_page(
    request: Request, staff: AnyStaff, work: Work, start: Text = "", end: Text = "", tax_office: Text = ""
) -> HTMLResponse:
    typed = {"start": start, "end": end, "tax_office": tax_office}
    with work.step(write=False) as step:
        dashboards = Dashboards(step.session, staff)
        context = {
            "title": "统计",
            "typed": typed,
            "offices": dashboards.office_choices() if staff.tax_office_code is None else [],
            "staff": staff,
        }
        try:
            query = dashboards.query(
                start=start, end=end, tax_office=tax_office, today=to_shanghai(step.now).date()
            )
        except ValidationFailed as refused:
            context["errors"] = form_errors(refused, FIELDS)
            return render(request, "console/dashboards.html", context, status_code=refused.status_code)
        span = query.span
        params = {
            "start": span.start.isoformat(),
            "end": span.end.isoformat(),
            "tax_office": query.scope.office or "",
        }
        charts = [
            presenters.collections_chart(by, span, dashboards.collections(by, query), params)
            for by in Dimension
        ]
        charts.append(presenters.status_chart(dashboards.payments_by_status(query), params))
        charts.append(presenters.outcomes_chart(dashboards.batch_outcomes(query), params))
        context.update(
            typed={"start": params["start"], "end": params["end"], "tax_office": query.scope.office or ""},
            scope=query.scope,
            charts=charts,
        )
        return render(request, "console/dashboards.html", context)


def include(app: FastAPI) -> None:
    app.include_router(router)
