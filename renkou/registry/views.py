"""Registry pages: search, person, household, unit lists; one form per event type."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from renkou.core import actions as core_actions
from renkou.core import queries as core_queries
from renkou.core.filters import filters_from_query
from renkou.core.forms import add_action_errors, reveal_reason
from renkou.core.lockout import client_address
from renkou.lib import disclosure, paging
from renkou.lib.disclosure import birth_month
from renkou.lib.http import require
from renkou.lib.masking import mask_id_number
from renkou.registry import actions, forms, queries
from renkou.registry.exports import persons_xlsx
from renkou.registry.filters import PersonFilters
from renkou.registry.models import Person


@login_required
def person_search(request: HttpRequest) -> HttpResponse:
    """The search box: the same filters and query as GET /api/v1/persons."""
    require(request, "registry.view_person")
    form = forms.SearchForm(request.GET or None)
    filters, _valid = filters_from_query(PersonFilters, request.GET)
    text = (filters.q or "").strip()
    found = queries.find_persons(request.user, filters) if text else Person.objects.none()
    page = paging.paginate(found, paging.page_number(request.GET.get("page")), 20)
    context = {
        "form": form, "q": text, "rows": page.rows, "page": page.number,
        "has_next": page.has_next,
    }  # fmt: skip
    template = "registry/partials/search_results.html" if request.htmx else "registry/search.html"
    return render(request, template, context)


@login_required
def person_detail(request: HttpRequest, pk: int) -> HttpResponse:
    person = queries.get_person_for(request.user, pk)  # scope first (404), then permission
    require(request, "registry.view_person")
    context = {
        "person": person,
        "masked_id": mask_id_number(person.id_number or ""),
        "family": queries.family_of(person),
        "timeline": queries.timeline(person),
        "history": person.history.select_related("history_user").order_by("-history_date")[:50],
        "event_forms": EVENT_FORMS if request.user.has_perm("registry.change_person") else {},
    }
    return render(request, "registry/person_detail.html", context)


@login_required
@require_POST
def person_reveal(request: HttpRequest, pk: int) -> HttpResponse:
    person = queries.get_person_for(request.user, pk)
    require(request, "core.reveal_id_number")  # 403 before any complaint about the reason
    try:
        reason = reveal_reason(request.POST)
    except ValidationError as error:
        return HttpResponse(" ".join(error.messages), status=400)
    number = core_actions.reveal_id_number(
        actor=request.user,
        obj=person,
        field="id_number",
        reason=reason,
        ip_address=client_address(request),
    )
    return render(request, "core/partials/revealed.html", {"value": number})


@login_required
def person_create(request: HttpRequest) -> HttpResponse:
    require(request, "registry.change_person")
    units = core_queries.units_visible_to(request.user).filter(level=4, closed_on__isnull=True)
    form = forms.PersonForm(request.POST or None, units=units.order_by("path"))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            person = actions.register_person(actor=request.user, **data)
        except ValidationError as error:
            add_action_errors(form, error)
        else:
            messages.success(request, _("Person registered."))
            return redirect("person-detail", pk=person.pk)
    return render(request, "registry/form.html", {"form": form, "title": _("Register a person")})


# kind → (form, title); the action each calls is in _record below.
EVENT_FORMS = {
    "birth": (forms.BirthForm, _("Record a birth")),
    "death": (forms.DeathForm, _("Record a death")),
    "move_out": (forms.MoveOutForm, _("Record a move out")),
    "move_in": (forms.MoveInForm, _("Record a move in")),
    "marriage": (forms.MarriageForm, _("Record a marriage")),
    "hukou_type": (forms.HukouTypeForm, _("Change the registration type")),
}


def _form_for(request: HttpRequest, kind: str, person: Person, data=None):
    form_class = EVENT_FORMS[kind][0]
    if kind == "birth":
        return form_class(data, fathers=queries.possible_fathers(request.user, person))
    if kind == "move_in":
        units = core_queries.units_visible_to(request.user).filter(level=4, closed_on__isnull=True)
        return form_class(data, units=units.order_by("path"))
    if kind == "marriage":
        return form_class(data, spouses=queries.possible_spouses(request.user, person))
    return form_class(data)


def _record(request: HttpRequest, kind: str, person: Person, data: dict):
    subject = {"birth": "mother"}.get(kind, "person")
    recorded = actions.record_event(actor=request.user, kind=kind, **{subject: person}, **data)
    return recorded.person if kind == "birth" else person


@login_required
def event_record(request: HttpRequest, pk: int, kind: str) -> HttpResponse:
    person = queries.get_person_for(request.user, pk)
    if kind not in EVENT_FORMS:
        raise Http404
    require(request, "registry.change_person")
    if kind == "birth" and person.sex != "F":
        raise Http404
    form = _form_for(request, kind, person, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            _record(request, kind, person, dict(form.cleaned_data))
        except ValidationError as error:
            add_action_errors(form, error)
        else:
            messages.success(request, _("Recorded."))
            return redirect("person-detail", pk=person.pk)
    title = f"{EVENT_FORMS[kind][1]} · {person.name}"
    return render(request, "registry/form.html", {"form": form, "title": title, "person": person})


@login_required
def event_correct(request: HttpRequest, pk: int) -> HttpResponse:
    event = queries.get_event_for(request.user, pk)
    require(request, "registry.change_person")
    initial = {"date": event.date} if _day_shown(request, event) else {}
    form = forms.CorrectionForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            actions.correct_event(
                actor=request.user,
                event=event,
                date=form.cleaned_data["date"],
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as error:
            add_action_errors(form, error)
        else:
            messages.success(request, _("Corrected."))
            return redirect("person-detail", pk=event.person_id)
    title = _("Correct %(event)s") % {"event": _event_label(request, event)}
    return render(
        request, "registry/form.html", {"form": form, "title": title, "person": event.person}
    )


def _day_shown(request: HttpRequest, event) -> bool:
    """A birth event's date is a birth date: exact only for users who may see those."""
    return event.kind != "birth" or disclosure.may_see_birth_date(request.user)


def _event_label(request: HttpRequest, event) -> str:
    day = event.date.isoformat() if _day_shown(request, event) else birth_month(event.date)
    return f"{event.get_kind_display()} {day}"


@login_required
def event_void(request: HttpRequest, pk: int) -> HttpResponse:
    event = queries.get_event_for(request.user, pk)
    require(request, "registry.change_person")
    form = forms.VoidForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            actions.void_event(actor=request.user, event=event, reason=form.cleaned_data["reason"])
        except ValidationError as error:
            add_action_errors(form, error)
        else:
            messages.success(request, _("Deleted; the record is kept and marked."))
            return redirect("person-detail", pk=event.person_id)
    title = _("Delete %(event)s") % {"event": _event_label(request, event)}
    return render(
        request, "registry/form.html", {"form": form, "title": title, "person": event.person}
    )


@login_required
def household_detail(request: HttpRequest, pk: int) -> HttpResponse:
    household = queries.get_household_for(request.user, pk)  # scope first, then permission
    require(request, "registry.view_household")
    members = queries.persons_visible_to(request.user).filter(household=household)
    return render(
        request,
        "registry/household_detail.html",
        {"household": household, "members": members.order_by("relation_to_head")},
    )


LIST_TITLES = {
    "residents": _("Residents"),
    "inflow": _("Inflow population"),
    "outflow": _("Outflow population"),
    "deceased": _("Deceased"),
    "moved_away": _("Moved away"),
}


@login_required
def unit_persons(request: HttpRequest, pk: int, kind: str) -> HttpResponse:
    unit = core_queries.get_unit_for(request.user, pk)  # scope first, then permission
    require(request, "registry.view_person")
    if kind not in LIST_TITLES:
        raise Http404
    sex = request.GET.get("sex", "")
    filters = PersonFilters(unit=unit.pk, listing=kind, sex=sex if sex in {"M", "F"} else None)
    persons = queries.find_persons(request.user, filters)
    persons = persons.select_related("unit", "residence_unit", "household")
    title = f"{unit.name} · {LIST_TITLES[kind]}"
    if request.GET.get("format") == "xlsx":
        full = disclosure.may_see_birth_date(request.user)
        content, count = persons_xlsx(
            persons.iterator(chunk_size=2000), str(LIST_TITLES[kind]), full_birth_dates=full
        )
        if full:
            core_actions.log_access(
                actor=request.user, record=unit, field="birth_date", unit=unit,
                action="export", reason=f"persons-{kind}.xlsx: {count} rows",
                ip_address=client_address(request),
            )  # fmt: skip
        response = HttpResponse(
            content,
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
        response["Content-Disposition"] = f'attachment; filename="persons-{unit.code}-{kind}.xlsx"'
        return response
    page = paging.page_of(request, persons, 50, count=False)
    return render(request, "registry/unit_persons.html", {
        "unit": unit, "kind": kind, "title": title, "rows": page.rows, "page": page.number,
        "has_next": page.has_next, "lists": LIST_TITLES, "sex": sex,
    })  # fmt: skip
