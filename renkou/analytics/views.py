"""Statistics dashboard, its XLSX downloads and the "make a snapshot" button.

Every figure comes from the latest snapshot's Parquet files (queries.py); the operational
tables are never aggregated here. The unit is resolved within the user's scope first (404),
then the permission is checked (403).
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from renkou.analytics.periods import Period
from renkou.lib.http import require
from renkou.lib.scoping import path_in_scope

# pandas, Ibis and DuckDB load on the first statistics request, not with the URL conf.

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _queries():
    from renkou.analytics import queries

    return queries


def _period(request: HttpRequest, snapshot) -> Period:
    text = request.GET.get("period", "").strip()
    if text:
        try:
            return Period.parse(text)
        except ValueError:
            pass
    return _queries().default_period(snapshot)


def _ancestors(request: HttpRequest, unit) -> list:
    from renkou.core.models import OrgUnit

    pks = [int(seg) for seg in unit.path.split(".") if seg][:-1]
    units = OrgUnit.objects.filter(pk__in=pks).order_by("level")
    return [u for u in units if path_in_scope(request.user, u.path)]


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    from renkou.analytics.catalogue import CATALOGUE

    queries = _queries()
    unit = queries.dashboard_unit(request.user, request.GET.get("unit"))
    require(request, "analytics.view_dashboard")
    snapshot = queries.latest_snapshot()
    if snapshot is None:
        return render(request, "analytics/no_snapshot.html", {"unit": unit})
    period = _period(request, snapshot)
    path = snapshot.path
    charts = {
        "pyramid": queries.pyramid(path, unit, period),
        "srb": queries.srb_by_order(path, unit, period),
        "trend": queries.trend(path, unit, period),
    }
    rows = queries.unit_table(path, unit, period)
    for row in rows:
        row["points"] = queries.sparkline(row["spark"])
        row["cells"] = [row["values"].get(code) for code in queries.UNIT_TABLE]
    children = unit.children.filter(closed_on__isnull=True).order_by("code")
    context = {
        "snapshot": snapshot,
        "unit": unit,
        "period": period,
        "previous": period.previous(),
        "cards": queries.cards(path, unit, period),
        "charts": charts,
        "rows": rows,
        "table_columns": [CATALOGUE[c] for c in queries.UNIT_TABLE],
        "ancestors": _ancestors(request, unit),
        "children": children,
        "years": [str(snapshot.created_at.year - i) for i in range(1, 11)],
        "query": urlencode({"unit": unit.code, "period": period.code}),
    }
    return render(request, "analytics/dashboard.html", context)


@login_required
def export(request: HttpRequest, table: str) -> HttpResponse:
    from renkou.analytics.catalogue import CATALOGUE
    from renkou.analytics.exports import to_xlsx

    queries = _queries()
    unit = queries.dashboard_unit(request.user, request.GET.get("unit"))
    require(request, "analytics.view_dashboard")
    if table not in ("indicators", "units"):
        raise Http404
    snapshot = queries.latest_snapshot()
    if snapshot is None:
        raise Http404
    period = _period(request, snapshot)
    if table == "units":
        frame = queries.unit_table_frame(snapshot.path, unit, period)
        headers = {code: str(CATALOGUE[code].name) for code in queries.UNIT_TABLE}
        content = to_xlsx(frame, title="下级单位", headers=headers)
    else:
        content = to_xlsx(queries.indicators_frame(snapshot.path, unit, period), title="指标")
    response = HttpResponse(content, content_type=XLSX)
    name = f"{table}-{unit.code}-{period.code}.xlsx"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@login_required
@require_POST
def build(request: HttpRequest) -> HttpResponse:
    """Make a snapshot now, in the request (synchronous: seconds for a district)."""
    require(request, "analytics.build_snapshot")
    from renkou.analytics import actions

    queries = _queries()
    snapshot = actions.make_snapshot(actor=request.user)
    queries.warm(snapshot.path, queries.default_period(snapshot))
    messages.success(request, _("Snapshot made at %(time)s.") % {"time": snapshot.created_at})
    return redirect(reverse("analytics-dashboard"))
