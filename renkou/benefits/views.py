"""Benefit pages: programmes (and the district's programme builder), the qualification cycle
with every candidate's explanation, rosters with exports and the bank-result upload, and the
reconciliation worklist. Scoped: 404 outside the user's units, 403 without the permission."""

from __future__ import annotations

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from renkou.benefits import actions, exports, forms, programmes, queries, rules, tasks
from renkou.benefits.filters import CandidateFilters, CaseFilters
from renkou.benefits.models import Candidate, Case, Objection
from renkou.core.filters import filters_from_query
from renkou.core.forms import add_action_errors
from renkou.lib import paging, scoping
from renkou.lib.http import require
from renkou.lib.inputcheck import model_max_length, posted_text
from renkou.lib.masking import mask_bank_account
from renkou.lib.uploads import saved_upload

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _messages(request: HttpRequest, error: ValidationError) -> None:
    for message in error.messages:
        messages.error(request, message)


def _download(content: bytes, name: str, kind: str) -> HttpResponse:
    response = HttpResponse(content, content_type=kind)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


# --- programmes ---------------------------------------------------------------------------------


@login_required
def programme_list(request: HttpRequest) -> HttpResponse:
    require(request, "benefits.view_programme")
    rows = queries.programmes_visible_to(request.user)
    return render(request, "benefits/programme_list.html", {"programmes": rows})


@login_required
def programme_detail(request: HttpRequest, pk: int) -> HttpResponse:
    programme = queries.get_programme_for(request.user, pk)
    require(request, "benefits.view_programme")
    spec = programmes.spec_of(programme)
    blocks = [(rules.label(block), block) for block in spec.rule]
    context = {
        "programme": programme,
        "blocks": blocks,
        "cycles": queries.cycles_visible_to(request.user).filter(programme=programme),
        "districts": queries.district_units(request.user),
        "this_year": datetime.date.today().year,
    }
    return render(request, "benefits/programme_detail.html", context)


@login_required
def programme_new(request: HttpRequest) -> HttpResponse:
    require(request, "benefits.add_programme")
    districts = queries.district_units(request.user)
    form = forms.ProgrammeForm(request.POST or None, districts=districts)
    if request.method == "POST" and form.is_valid():
        try:
            programme = actions.save_programme(actor=request.user, **form.programme_fields())
        except ValidationError as error:
            add_action_errors(form, error)
        else:
            messages.success(request, _("Programme saved."))
            return redirect("benefits-programme", programme.pk)
    return render(request, "benefits/programme_form.html", {"form": form, "blocks": rules.BLOCKS})


@login_required
@require_POST
def cycle_open(request: HttpRequest, pk: int) -> HttpResponse:
    programme = queries.get_programme_for(request.user, pk)
    require(request, "benefits.add_cycle")
    district = scoping.get_in_scope(
        queries.district_units(request.user), request.user, pk=request.POST.get("district") or 0
    )
    try:
        year = int(request.POST.get("year", ""))
        cycle = actions.open_cycle(
            actor=request.user, programme=programme, year=year, district=district
        )
    except (ValueError, ValidationError) as error:
        if isinstance(error, ValidationError):
            _messages(request, error)
        else:
            messages.error(request, _("Enter a year."))
        return redirect("benefits-programme", programme.pk)
    return redirect("benefits-cycle", cycle.pk)


# --- the cycle ----------------------------------------------------------------------------------


@login_required
def cycle_detail(request: HttpRequest, pk: int) -> HttpResponse:
    cycle = queries.get_cycle_for(request.user, pk)
    require(request, "benefits.view_cycle")
    filters, _valid = filters_from_query(CandidateFilters, request.GET)
    page = paging.page_of(request, queries.filtered_candidates(request.user, cycle, filters), 50)
    context = {
        "cycle": cycle,
        "page": page,
        "show": filters.show or "",
        "counts": _counts(queries.candidates_visible_to(request.user).filter(cycle=cycle)),
        "rosters": queries.rosters_visible_to(request.user).filter(cycle=cycle),
        "units": _roster_units(request, cycle),
        "today": datetime.date.today(),
    }
    return render(request, "benefits/cycle_detail.html", context)


def _counts(candidates) -> dict[str, int]:
    counts = {"eligible": 0, "unknown": 0, "exit": 0, "found": 0, "confirmed": 0, "approved": 0}
    for outcome, kind, state in candidates.values_list("outcome", "kind", "state"):
        counts["exit" if kind == "exit" else outcome] = (
            counts.get("exit" if kind == "exit" else outcome, 0) + 1
        )
        counts[state] = counts.get(state, 0) + 1
    return counts


def _roster_units(request: HttpRequest, cycle):
    from renkou.core.queries import units_visible_to

    return (
        units_visible_to(request.user)
        .filter(scoping.prefix_q("path", cycle.unit.path), level__lte=2)
        .order_by("path")
    )


@login_required
@require_POST
def cycle_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    cycle = queries.get_cycle_for(request.user, pk)
    require(request, "benefits.confirm_candidate")
    ids = [int(v) for v in request.POST.getlist("candidate") if v.isdigit()]
    if request.POST.get("all") == "1":
        ids = list(
            queries.candidates_visible_to(request.user)
            .filter(cycle=cycle, state="found")
            .exclude(outcome="not_eligible")
            .values_list("pk", flat=True)
        )
    try:
        count = actions.confirm_candidates(
            actor=request.user, cycle=cycle, candidate_ids=ids,
            reject=request.POST.get("reject") == "1", reason=request.POST.get("reason", "")[:500],
        )  # fmt: skip
    except ValidationError as error:
        _messages(request, error)
    else:
        messages.success(request, _("%(count)d candidate(s) updated.") % {"count": count})
    return redirect("benefits-cycle", cycle.pk)


@login_required
@require_POST
def cycle_post(request: HttpRequest, pk: int) -> HttpResponse:
    cycle = queries.get_cycle_for(request.user, pk)
    require(request, "benefits.change_cycle")
    form = forms.PostingForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Enter the posting dates."))
        return redirect("benefits-cycle", cycle.pk)
    try:
        actions.post_cycle(actor=request.user, cycle=cycle, **form.cleaned_data)
    except ValidationError as error:
        _messages(request, error)
    else:
        messages.success(request, _("The list is posted."))
    return redirect("benefits-cycle", cycle.pk)


@login_required
@require_POST
def cycle_approve(request: HttpRequest, pk: int) -> HttpResponse:
    cycle = queries.get_cycle_for(request.user, pk)
    require(request, "benefits.approve_cycle")
    try:
        actions.approve_cycle(actor=request.user, cycle=cycle)
    except ValidationError as error:
        _messages(request, error)
    else:
        messages.success(request, _("Approved."))
    return redirect("benefits-cycle", cycle.pk)


@login_required
@require_POST
def cycle_sample(request: HttpRequest, pk: int) -> HttpResponse:
    cycle = queries.get_cycle_for(request.user, pk)
    require(request, "benefits.change_cycle")
    size = request.POST.get("size", "")
    try:
        count = actions.draw_sample(
            actor=request.user, cycle=cycle, size=int(size) if size.isdigit() else 10
        )
    except ValidationError as error:
        _messages(request, error)
    else:
        messages.success(request, _("%(count)d drawn for the random check.") % {"count": count})
    return redirect(f"{cycle_url(cycle)}?show=sampled")


def cycle_url(cycle) -> str:
    from django.urls import reverse

    return reverse("benefits-cycle", args=[cycle.pk])


@login_required
def cycle_posting_xlsx(request: HttpRequest, pk: int) -> HttpResponse:
    cycle = queries.get_cycle_for(request.user, pk)
    require(request, "benefits.view_candidate")
    rows = (
        queries.candidates_visible_to(request.user)
        .filter(cycle=cycle)
        .exclude(state="rejected", kind="new")
        .exclude(outcome="not_eligible", kind="new")
        .order_by("unit__path", "person_id")
    )
    content = exports.posting_xlsx(cycle, rows)
    return _download(content, f"posting-{cycle.programme.code}-{cycle.year}.xlsx", XLSX)


@login_required
def candidate_detail(request: HttpRequest, pk: int) -> HttpResponse:
    candidate = queries.get_candidate_for(request.user, pk)
    require(request, "benefits.view_candidate")
    context = {
        "candidate": candidate,
        "objections": candidate.objections.order_by("pk"),
        "decisions": candidate.decisions.select_related("actor"),
        "objection_form": forms.ObjectionForm(),
    }
    return render(request, "benefits/candidate_detail.html", context)


@login_required
@require_POST
def objection_add(request: HttpRequest, pk: int) -> HttpResponse:
    candidate = queries.get_candidate_for(request.user, pk)
    require(request, "benefits.add_objection")
    form = forms.ObjectionForm(request.POST)
    if form.is_valid():
        try:
            actions.record_objection(actor=request.user, candidate=candidate, **form.cleaned_data)
        except ValidationError as error:
            _messages(request, error)
    else:
        messages.error(request, _("Enter the objection and its date."))
    return redirect("benefits-candidate", candidate.pk)


@login_required
@require_POST
def objection_settle(request: HttpRequest, pk: int) -> HttpResponse:
    objection = scoping.get_in_scope(
        queries.objections_visible_to(request.user), request.user, pk=pk
    )
    require(request, "benefits.change_objection")
    try:
        actions.settle_objection(
            actor=request.user, objection=objection,
            upheld=request.POST.get("upheld") == "1",
            resolution=posted_text(
                request.POST, "resolution", max_length=model_max_length(Objection, "resolution")
            ),
        )  # fmt: skip
    except ValidationError as error:
        _messages(request, error)
    return redirect("benefits-candidate", objection.candidate_id)


@login_required
@require_POST
def candidate_check(request: HttpRequest, pk: int) -> HttpResponse:
    candidate = queries.get_candidate_for(request.user, pk)
    require(request, "benefits.change_cycle")
    try:
        actions.record_check(
            actor=request.user, candidate=candidate, result=request.POST.get("result", ""),
            note=posted_text(
                request.POST, "note", max_length=model_max_length(Candidate, "check_note")
            ),
        )  # fmt: skip
    except ValidationError as error:
        _messages(request, error)
    return redirect("benefits-candidate", candidate.pk)


# --- rosters ------------------------------------------------------------------------------------


@login_required
@require_POST
def roster_build(request: HttpRequest, pk: int) -> HttpResponse:
    cycle = queries.get_cycle_for(request.user, pk)
    require(request, "benefits.add_roster")
    from renkou.core.queries import units_visible_to

    unit = scoping.get_in_scope(
        units_visible_to(request.user), request.user, pk=request.POST.get("unit") or 0
    )
    try:
        roster = actions.build_roster(actor=request.user, cycle=cycle, unit=unit)
    except ValidationError as error:
        _messages(request, error)
        return redirect("benefits-cycle", cycle.pk)
    return redirect("benefits-roster", roster.pk)


@login_required
def roster_detail(request: HttpRequest, pk: int) -> HttpResponse:
    roster = queries.get_roster_for(request.user, pk)
    require(request, "benefits.view_roster")
    lines = queries.roster_lines(request.user, roster)
    page = paging.page_of(request, lines, 100)
    rows = [(line, mask_bank_account(line.account_no)) for line in page]
    totals = _totals(lines)
    context = {
        "roster": roster,
        "page": page,
        "rows": rows,
        "totals": totals,
        "cases": queries.cases_visible_to(request.user)
        .filter(roster=roster)
        .order_by("status", "kind")[:200],
        "imports": roster.imports.defer("content").order_by("-imported_at"),
        "bank_limit": actions.bank_file_max_bytes(),
    }
    return render(request, "benefits/roster_detail.html", context)


def _totals(lines) -> dict:
    from django.db.models import Count, Sum

    by_unit = lines.values("unit__name").annotate(
        n=Count("pk"), amount=Sum("amount"), central=Sum("central"),
        provincial=Sum("provincial"), local=Sum("local"),
    ).order_by("unit__name")  # fmt: skip
    grand = lines.aggregate(
        n=Count("pk"), amount=Sum("amount"), central=Sum("central"),
        provincial=Sum("provincial"), local=Sum("local"),
    )  # fmt: skip
    return {"by_unit": by_unit, "grand": grand}


def _lines_for_export(request: HttpRequest, roster):
    return queries.roster_lines(request.user, roster).values_list(*exports.LINE_FIELDS)


@login_required
def roster_xlsx(request: HttpRequest, pk: int) -> HttpResponse:
    roster = queries.get_roster_for(request.user, pk)
    require(request, "benefits.view_rosterline")
    content = exports.roster_xlsx(roster, _lines_for_export(request, roster))
    name = f"roster-{roster.cycle.programme.code}-{roster.cycle.year}-{roster.unit.code}.xlsx"
    return _download(content, name, XLSX)


@login_required
def roster_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    # The PDF is the whole roster: only for its unit's staff (scope first, then permission).
    roster = queries.get_whole_roster_for(request.user, pk)
    require(request, "benefits.view_rosterline")
    name = f"roster-{roster.cycle.programme.code}-{roster.cycle.year}-{roster.unit.code}.pdf"
    return _download(exports.roster_pdf(roster), name, "application/pdf")


@login_required
@require_POST
def roster_bank(request: HttpRequest, pk: int) -> HttpResponse:
    roster = queries.get_roster_for(request.user, pk)
    require(request, "benefits.change_roster")
    upload = request.FILES.get("file")
    if upload is None:
        messages.error(request, _("Choose the bank's result file."))
        return redirect("benefits-roster", roster.pk)
    limit = actions.bank_file_max_bytes()
    if upload.size is not None and upload.size > limit:
        messages.error(
            request,
            _("The file is too large (%(size)d bytes; the limit is %(limit)d): split it.")
            % {"size": upload.size, "limit": limit},
        )
        return redirect("benefits-roster", roster.pk)
    with saved_upload(upload) as path:
        try:
            bank_import, created = tasks.queue_bank_import(
                actor=request.user, roster=roster, path=path, file_name=upload.name
            )
        except ValidationError as error:
            _messages(request, error)
            return redirect("benefits-roster", roster.pk)
    if created:
        messages.success(request, _("The file is received; it is processed in the background."))
    else:
        messages.info(request, _("This file was imported before; nothing changed."))
    return redirect("benefits-import", bank_import.pk)


def _import_context(request: HttpRequest, pk: int) -> dict:
    bank_import = queries.get_bank_import_for(request.user, pk)
    require(request, "benefits.view_roster")
    percent = 100 if bank_import.status in ("done", "failed") else 0
    if bank_import.status == "running" and bank_import.total:
        percent = min(99, bank_import.progress * 100 // bank_import.total)
    return {"imp": bank_import, "percent": percent, "finished": percent == 100}


@login_required
def bank_import_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One bank file: its progress (polled while it is processed), then its outcome: the
    first problems with their count and the full report, or the roster's cases."""
    return render(request, "benefits/bank_import.html", _import_context(request, pk))


@login_required
def bank_import_progress(request: HttpRequest, pk: int) -> HttpResponse:
    """The progress partial the import page polls (htmx) until the file is processed."""
    return render(request, "benefits/bank_import_progress.html", _import_context(request, pk))


@login_required
def bank_import_report(request: HttpRequest, pk: int) -> HttpResponse:
    """Every problem of a refused file as CSV (UTF-8 with BOM for Excel; cells that a
    spreadsheet would run as a formula are escaped)."""
    bank_import = queries.get_bank_import_for(request.user, pk)
    require(request, "benefits.view_roster")
    content = ("\ufeff" + bank_import.error_report).encode("utf-8")
    return _download(content, f"bank-import-{bank_import.pk}-problems.csv", "text/csv")


# --- cases --------------------------------------------------------------------------------------


@login_required
def case_list(request: HttpRequest) -> HttpResponse:
    require(request, "benefits.view_case")
    filters, _valid = filters_from_query(CaseFilters, request.GET)
    page = paging.page_of(request, queries.filtered_cases(request.user, filters), 50)
    context = {
        "page": page, "status": filters.status, "kind": filters.kind or "",
        "kinds": Case.Kind.choices,
    }  # fmt: skip
    return render(request, "benefits/case_list.html", context)


@login_required
@require_POST
def case_resolve(request: HttpRequest, pk: int) -> HttpResponse:
    case = queries.get_case_for(request.user, pk)
    require(request, "benefits.change_case")
    try:
        actions.resolve_case(
            actor=request.user,
            case=case,
            resolution=posted_text(
                request.POST, "resolution", max_length=model_max_length(Case, "resolution")
            ),
        )
    except ValidationError as error:
        _messages(request, error)
    return redirect("benefits-cases")


@login_required
def case_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One case with its history (every resolution and reopening)."""
    case = queries.get_case_for(request.user, pk)
    require(request, "benefits.view_case")
    context = {"case": case, "events": case.events.select_related("actor")}
    return render(request, "benefits/case_detail.html", context)


@login_required
@require_POST
def case_reopen(request: HttpRequest, pk: int) -> HttpResponse:
    """Reopen a resolved case: the explicit step, with its reason."""
    case = queries.get_case_for(request.user, pk)
    require(request, "benefits.change_case")
    try:
        actions.reopen_case(
            actor=request.user, case=case, reason=request.POST.get("reason", "")[:500]
        )
    except ValidationError as error:
        _messages(request, error)
    else:
        messages.success(request, _("The case is open again."))
    return redirect("benefits-case", case.pk)
