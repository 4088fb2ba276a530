"""Org-unit, staff and audit pages. Thin: read through queries, write through actions."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from renkou.core import actions, queries
from renkou.core.filters import UnitFilters, filters_from_query
from renkou.core.forms import (
    AssignForm,
    AuditFilterForm,
    CloseForm,
    DisableForm,
    RenameForm,
    SplitForm,
    StaffCreateForm,
    UnitChoiceForm,
    UnitCreateForm,
    add_action_errors,
    reveal_reason,
)
from renkou.core.lockout import client_address, recent_failures
from renkou.core.models import Assignment, OrgUnit
from renkou.lib import paging, scoping
from renkou.lib.http import require
from renkou.lib.masking import mask_id_number


@login_required
def unit_tree(request: HttpRequest) -> HttpResponse:
    root = queries.current_unit(request)
    include_closed = request.GET.get("closed") == "1"
    nodes = queries.unit_tree(request.user, root, include_closed=include_closed) if root else []
    return render(
        request,
        "core/unit_tree.html",
        {"root": root, "nodes": nodes, "include_closed": include_closed},
    )


@login_required
def unit_detail(request: HttpRequest, pk: int) -> HttpResponse:
    unit = queries.get_unit_for(request.user, pk)
    context = {
        "unit": unit,
        "ancestors": queries.ancestors(unit),
        "children": unit.children.order_by("code"),
        "staff": queries.staff_of_unit(unit),
        "changes": unit.changes.select_related("actor", "related_unit").order_by(
            "-effective_on", "-id"
        ),
    }
    return render(request, "core/unit_detail.html", context)


def _unit_form_page(request, unit, form, template_title, on_valid):
    """GET shows the form; a valid POST runs `on_valid(form)` (an action) and goes back."""
    if request.method == "POST" and form.is_valid():
        try:
            target = on_valid(form.cleaned_data)
        except ValidationError as error:
            add_action_errors(form, error)
        else:
            messages.success(request, _("Saved."))
            return redirect("unit-detail", pk=(target or unit).pk)
    return render(
        request, "core/unit_form.html", {"unit": unit, "form": form, "title": template_title}
    )


@login_required
def unit_create(request: HttpRequest, pk: int) -> HttpResponse:
    parent = queries.get_unit_for(request.user, pk)  # scope first (404), then permission (403)
    require(request, "core.add_orgunit")
    form = UnitCreateForm(request.POST or None, parent=parent)
    return _unit_form_page(
        request,
        parent,
        form,
        _("New unit under %(unit)s") % {"unit": parent.name},
        lambda data: actions.create_unit(
            actor=request.user,
            parent=parent,
            code=data["code"],
            name=data["name"],
            kind=data["kind"],
            opened_on=data["opened_on"],
            reason=data["reason"],
        ),
    )


@login_required
def unit_rename(request: HttpRequest, pk: int) -> HttpResponse:
    unit = queries.get_unit_for(request.user, pk)
    require(request, "core.change_orgunit")
    form = RenameForm(request.POST or None, initial={"name": unit.name})
    return _unit_form_page(
        request,
        unit,
        form,
        _("Rename %(unit)s") % {"unit": unit.name},
        lambda data: actions.rename_unit(
            actor=request.user,
            unit=unit,
            name=data["name"],
            effective_on=data["effective_on"],
            reason=data["reason"],
        ),
    )


@login_required
def unit_close(request: HttpRequest, pk: int) -> HttpResponse:
    unit = queries.get_unit_for(request.user, pk)
    require(request, "core.change_orgunit")
    form = CloseForm(request.POST or None)
    return _unit_form_page(
        request,
        unit,
        form,
        _("Close %(unit)s") % {"unit": unit.name},
        lambda data: actions.close_unit(
            actor=request.user, unit=unit, closed_on=data["effective_on"], reason=data["reason"]
        ),
    )


def _same_level(request, unit: OrgUnit, level: int):
    return (
        queries.units_visible_to(request.user)
        .filter(level=level, closed_on__isnull=True)
        .exclude(pk=unit.pk)
        .order_by("path")
    )


@login_required
def unit_move(request: HttpRequest, pk: int) -> HttpResponse:
    unit = queries.get_unit_for(request.user, pk)
    require(request, "core.restructure_orgunit")
    targets = _same_level(request, unit, unit.level - 1)
    form = UnitChoiceForm(request.POST or None, targets=targets, target_label=_("New parent"))
    return _unit_form_page(
        request,
        unit,
        form,
        _("Move %(unit)s") % {"unit": unit.name},
        lambda data: actions.move_unit(
            actor=request.user,
            unit=unit,
            new_parent=data["target"],
            effective_on=data["effective_on"],
            reason=data["reason"],
        ),
    )


@login_required
def unit_merge(request: HttpRequest, pk: int) -> HttpResponse:
    unit = queries.get_unit_for(request.user, pk)
    require(request, "core.restructure_orgunit")
    targets = _same_level(request, unit, unit.level)
    form = UnitChoiceForm(request.POST or None, targets=targets, target_label=_("Merge into"))
    return _unit_form_page(
        request,
        unit,
        form,
        _("Merge %(unit)s into another unit") % {"unit": unit.name},
        lambda data: (
            actions.merge_units(
                actor=request.user,
                absorbed=unit,
                into=data["target"],
                effective_on=data["effective_on"],
                reason=data["reason"],
            ).unit
        ),
    )


@login_required
def unit_split(request: HttpRequest, pk: int) -> HttpResponse:
    unit = queries.get_unit_for(request.user, pk)
    require(request, "core.restructure_orgunit")
    form = SplitForm(request.POST or None, unit=unit)

    def split(data):
        part = actions.SplitPart(
            code=data["code"],
            name=data["name"],
            kind=data["kind"],
            child_ids=tuple(child.pk for child in data["children"]),
        )
        return actions.split_unit(
            actor=request.user,
            unit=unit,
            parts=[part],
            effective_on=data["effective_on"],
            close_source=data["close_source"],
            reason=data["reason"],
        )[0]

    return _unit_form_page(request, unit, form, _("Split %(unit)s") % {"unit": unit.name}, split)


PICKER_ROWS = 30  # the first units in tree order; typing narrows them


@login_required
def unit_picker(request: HttpRequest) -> HttpResponse:
    """GET: units matching `q` (htmx); POST: make one the current unit of the session."""
    if request.method == "POST":
        unit = queries.get_unit_for(request.user, request.POST.get("unit", ""))
        request.session[queries.CURRENT_UNIT_SESSION_KEY] = unit.pk
        target = request.POST.get("next", "")
        if not url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
            target = "unit-tree"
        return redirect(target or "unit-tree")
    filters, _valid = filters_from_query(UnitFilters, request.GET)
    units = queries.find_units(request.user, filters)
    return render(
        request,
        "core/partials/unit_options.html",
        {"units": units[:PICKER_ROWS], "q": (filters.q or "").strip()},
    )


# --- staff ---------------------------------------------------------------------------------


@login_required
def staff_list(request: HttpRequest) -> HttpResponse:
    require(request, "core.view_user")
    page = paging.page_of(
        request, queries.staff_visible_to(request.user).prefetch_related("assignments__unit")
    )
    return render(request, "core/staff_list.html", {"page": page})


@login_required
def staff_detail(request: HttpRequest, pk: int) -> HttpResponse:
    staff = queries.get_staff_for(request.user, pk)
    require(request, "core.view_user")
    context = {
        "staff": staff,
        "masked_id": mask_id_number(staff.id_number),
        "assignments": staff.assignments.select_related("unit").order_by("-since"),
        "disable_form": DisableForm(),
        "failed_sign_ins": recent_failures(staff.get_username()),
        "assign_form": _assign_form(request),
    }
    return render(request, "core/staff_detail.html", context)


def _assign_form(request: HttpRequest, data=None) -> AssignForm:
    units = queries.units_visible_to(request.user).filter(closed_on__isnull=True).order_by("path")
    return AssignForm(data, units=units)


@login_required
@require_POST
def staff_assign(request: HttpRequest, pk: int) -> HttpResponse:
    staff = queries.get_staff_for(request.user, pk)
    require(request, "core.manage_staff")
    form = _assign_form(request, request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            actions.assign_staff(
                actor=request.user,
                user=staff,
                unit=data["unit"],
                duty=data["duty"],
                since=data["since"],
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("Assigned."))
    else:
        messages.error(request, " ".join(str(e) for e in form.errors.values()))
    return redirect("staff-detail", pk=staff.pk)


@login_required
@require_POST
def assignment_end(request: HttpRequest, pk: int) -> HttpResponse:
    assignment = scoping.get_in_scope(
        Assignment.objects.select_related("unit", "user"), request.user, pk=pk
    )
    require(request, "core.manage_staff")
    actions.end_assignment(actor=request.user, assignment=assignment)
    messages.success(request, _("Assignment ended."))
    return redirect("staff-detail", pk=assignment.user_id)


@login_required
@require_POST
def staff_reveal(request: HttpRequest, pk: int) -> HttpResponse:
    staff = queries.get_staff_for(request.user, pk)
    require(request, "core.reveal_id_number")  # 403 before any complaint about the reason
    try:
        reason = reveal_reason(request.POST)
    except ValidationError as error:
        return HttpResponse(" ".join(error.messages), status=400)
    number = actions.reveal_staff_id_number(
        actor=request.user,
        staff=staff,
        reason=reason,
        ip_address=client_address(request),
    )
    return render(request, "core/partials/revealed.html", {"value": number})


@login_required
def staff_create(request: HttpRequest) -> HttpResponse:
    require(request, "core.manage_staff")
    units = queries.units_visible_to(request.user).filter(closed_on__isnull=True)
    form = StaffCreateForm(request.POST or None, units=units.order_by("path"))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            staff = actions.create_staff_user(
                actor=request.user,
                username=data["username"],
                password=data["password"],
                role=data["role"],
                unit=data["unit"],
                full_name=data["full_name"],
                phone=data["phone"],
                id_number=data["id_number"],
                duty=data["duty"],
            )
        except ValidationError as error:
            add_action_errors(form, error)
        else:
            messages.success(request, _("Account created."))
            return redirect("staff-detail", pk=staff.pk)
    return render(request, "core/staff_form.html", {"form": form})


@login_required
@require_POST
def staff_disable(request: HttpRequest, pk: int) -> HttpResponse:
    staff = queries.get_staff_for(request.user, pk)
    form = DisableForm(request.POST)
    if form.is_valid():
        try:
            actions.disable_user(actor=request.user, user=staff, reason=form.cleaned_data["reason"])
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("Account disabled; its sessions have ended."))
    else:
        messages.error(request, _("Give a reason."))
    return redirect("staff-detail", pk=staff.pk)


@login_required
@require_POST
def staff_unlock(request: HttpRequest, pk: int) -> HttpResponse:
    staff = queries.get_staff_for(request.user, pk)
    require(request, "core.manage_staff")
    form = DisableForm(request.POST)
    if form.is_valid():
        try:
            actions.unlock_sign_in(
                actor=request.user, user=staff, reason=form.cleaned_data["reason"]
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("Sign-in unlocked."))
    else:
        messages.error(request, _("Give a reason."))
    return redirect("staff-detail", pk=staff.pk)


# --- audit ---------------------------------------------------------------------------------


@login_required
def audit(request: HttpRequest) -> HttpResponse:
    require(request, "core.view_audit")
    form = AuditFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    unit = None
    if filters.get("unit"):
        unit = queries.get_unit_for(request.user, filters["unit"])
    kwargs = {
        "actor_id": filters.get("user"),
        "unit": unit,
        "since": filters.get("since"),
        "until": filters.get("until"),
    }
    context = {
        "form": form,
        "filter_unit": unit,
        "history": queries.history_visible_to(request.user, **kwargs),
        "reveals": paging.page_of(request, queries.access_log_visible_to(request.user, **kwargs)),
        "staff_choices": queries.staff_visible_to(request.user),
    }
    return render(request, "core/audit.html", context)
