"""Dashboard and the small shared pages."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from renkou.core import queries


@login_required
def home(request: HttpRequest) -> HttpResponse:
    user = request.user
    by_kind = queries.counts_by_kind(user)
    chart = {"labels": [label for _k, label, _n in by_kind], "values": [n for *_x, n in by_kind]}
    context = {
        "by_kind": by_kind,
        "chart": chart,
        "staff_count": queries.staff_visible_to(user).filter(is_active=True).count(),
        "recent_changes": queries.changes_visible_to(user).order_by("-recorded_at")[:10],
    }
    return render(request, "web/home.html", context)


def healthz(request: HttpRequest) -> HttpResponse:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})
