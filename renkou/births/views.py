"""Birth-registration pages: list, worklists, create, detail with the legal transitions,
checklist, certificate (PDF) and the public verification page. Thin: reads through
`queries`, writes through `actions`."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from renkou.births import actions, forms, queries, rules
from renkou.births.certificate import render_pdf
from renkou.births.filters import ApplicationFilters
from renkou.births.models import DocumentItem
from renkou.core import queries as core_queries
from renkou.core.filters import filters_from_query
from renkou.core.forms import add_action_errors
from renkou.lib import paging
from renkou.lib.http import require
from renkou.lib.i18n import pick
from renkou.lib.inputcheck import model_max_length, posted_text
from renkou.lib.masking import mask_id_number, mask_phone
from renkou.registry import queries as registry_queries
from renkou.registry.models import Person

VIEW = "births.view_birthapplication"


@login_required
def application_list(request: HttpRequest) -> HttpResponse:
    require(request, VIEW)
    units = core_queries.units_visible_to(request.user).filter(level__lte=3).order_by("path")
    form = forms.FilterForm(request.GET or None, units=units)
    filters, _valid = filters_from_query(ApplicationFilters, request.GET)
    page = paging.page_of(request, queries.filtered_applications(request.user, filters), 50)
    return render(request, "births/list.html", {"form": form, "page": page})


@login_required
def worklist(request: HttpRequest) -> HttpResponse:
    require(request, VIEW)
    lists = queries.worklists_for(request.user)
    return render(request, "births/worklist.html", {"lists": lists})


def _prefill(request: HttpRequest) -> dict:
    """`?person=<pk>` from the person page: that person, the current spouse, next order."""
    text = request.GET.get("person", "")
    if not text.isdigit() or len(text) > 18:
        return {}
    user = request.user
    person = registry_queries.get_person_for(user, text)
    marriage = registry_queries.current_marriage_for(user, person)
    if person.sex == "F":
        wife = person
        husband_id = marriage.husband_id if marriage else None
    else:
        if marriage is None:
            return {"husband": person.pk}
        wife, husband_id = marriage.wife, person.pk
        try:
            wife = registry_queries.get_person_for(user, wife.pk)
        except Http404:
            return {"husband": person.pk}  # she is not of the user's units
    children = registry_queries.biological_children_count(user, wife)
    return {"wife": wife.pk, "husband": husband_id, "child_order": children + 1}


def _person_or_error(request: HttpRequest, form, field: str) -> Person | None:
    pk = form.cleaned_data.get(field)
    if pk is None:
        return None
    try:
        return registry_queries.get_person_for(request.user, pk)
    except Http404:
        form.add_error(field, _("No such person in your units."))
        return None


@login_required
def application_create(request: HttpRequest) -> HttpResponse:
    require(request, "births.add_birthapplication")
    form = forms.ApplicationForm(request.POST or None, initial=_prefill(request))
    if request.method == "POST" and form.is_valid():
        wife = _person_or_error(request, form, "wife")
        husband = _person_or_error(request, form, "husband")
        if wife is not None and not form.errors:
            data = {k: v for k, v in form.cleaned_data.items() if k not in {"wife", "husband"}}
            try:
                application = actions.create_application(
                    actor=request.user, wife=wife, husband=husband, **data
                )
            except ValidationError as error:
                add_action_errors(form, error)
            else:
                messages.success(request, _("Application created."))
                return redirect("birth-detail", pk=application.pk)
    return render(request, "births/form.html", {"form": form})


def _buttons(request: HttpRequest, application) -> list[dict]:
    buttons = []
    for action in application.legal_actions:
        perm = rules.permission_for(action, application.state)
        if request.user.has_perm(perm):
            spec = rules.TRANSITIONS[action]
            buttons.append({
                "action": action, "label": pick(spec.label_zh, spec.label_en),
                "needs_reason": spec.needs_reason,
            })  # fmt: skip
    return buttons


def _conditions(evaluation: dict) -> list[dict]:
    rows = []
    for item in [*evaluation.get("requirements", []), *evaluation.get("conditions", [])]:
        rows.append({
            "name": pick(item["name_zh"], item["name_en"]),
            "fact": pick(item["fact_zh"], item["fact_en"]),
            "met": item["met"], "grants": item["grants"],
        })  # fmt: skip
    return rows


@login_required
def application_detail(request: HttpRequest, pk: int) -> HttpResponse:
    application = queries.get_application_for(request.user, pk)
    require(request, VIEW)
    evaluation = application.evaluation or {}
    regime = evaluation.get("regime") or {}
    documents = [
        {"item": item, "label": pick(*item.label)}
        for item in application.documents.select_related("checked_by")
    ]
    context = {
        "application": application,
        "wife_id": mask_id_number(application.wife.id_number),
        "husband_id": mask_id_number(application.husband.id_number) if application.husband else "",
        "phone": mask_phone(application.contact_phone),
        "regime_name": pick(regime.get("name_zh", ""), regime.get("name_en", "")),
        "summary": pick(evaluation.get("summary_zh", ""), evaluation.get("summary_en", "")),
        "conditions": _conditions(evaluation),
        "documents": documents,
        "can_check": request.user.has_perm("births.check_birthdocument")
        and application.state in rules.OPEN_STATES,
        "transitions": application.transitions.select_related("actor"),
        "verifications": application.verification_requests.all(),
        "buttons": _buttons(request, application),
        "procedure_label": pick(*rules.PROCEDURE_LABELS[application.procedure]),
        "state_labels": {k: pick(*v) for k, v in rules.STATE_LABELS.items()},
    }
    return render(request, "births/detail.html", context)


@login_required
@require_POST
def application_transition(request: HttpRequest, pk: int) -> HttpResponse:
    application = queries.get_application_for(request.user, pk)
    form = forms.TransitionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("The request was incomplete."))
        return redirect("birth-detail", pk=application.pk)
    data = form.cleaned_data
    try:
        actions.transition(
            actor=request.user, application=application, action=data["action"],
            note=data["note"], reason=data["reason"],
        )  # fmt: skip
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("Done."))
    return redirect("birth-detail", pk=application.pk)


@login_required
@require_POST
def document_check(request: HttpRequest, pk: int, code: str) -> HttpResponse:
    application = queries.get_application_for(request.user, pk)
    try:
        actions.check_document(
            actor=request.user, application=application, code=code,
            received=request.POST.get("received", "1") == "1",
            note=posted_text(
                request.POST, "note", max_length=model_max_length(DocumentItem, "note")
            ),
        )  # fmt: skip
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    return redirect(reverse("birth-detail", args=[application.pk]) + "#checklist")


@login_required
def certificate(request: HttpRequest, pk: int) -> HttpResponse:
    application = queries.get_application_for(request.user, pk)
    require(request, VIEW)
    if not application.registration_number:
        raise Http404
    url = request.build_absolute_uri(reverse("birth-verify", args=[application.verification_code]))
    response = HttpResponse(render_pdf(application, url), content_type="application/pdf")
    name = f"birth-{application.registration_number}.pdf"
    response["Content-Disposition"] = f'inline; filename="{name}"'
    return response


def verify(request: HttpRequest, code: str) -> HttpResponse:
    """Public (no sign-in): whether a certificate's number is valid; names masked, no ID."""
    result = queries.verify(code.strip().upper())
    context = {
        "result": result,
        "code": code,
        "state_label": pick(*rules.STATE_LABELS[result.state]) if result else "",
        "procedure_label": pick(*rules.PROCEDURE_LABELS[result.procedure]) if result else "",
    }
    return render(request, "births/verify.html", context, status=200 if result else 404)
