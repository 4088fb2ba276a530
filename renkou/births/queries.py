"""Scoped reads of birth applications, worklists per role, and the public verification."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import QuerySet

from renkou.births import rules
from renkou.births.models import BirthApplication
from renkou.core.models import User
from renkou.lib import scoping
from renkou.lib.masking import mask_name


def applications_visible_to(user: User) -> QuerySet[BirthApplication]:
    queryset = BirthApplication.objects.select_related("husband", "wife", "unit")
    return scoping.scope(queryset, user)


def get_application_for(user: User, pk: int | str) -> BirthApplication:
    """The application if in the user's units; Http404 for missing and out of scope alike."""
    queryset = BirthApplication.objects.select_related(
        "husband", "wife", "unit", "issuing_unit", "created_by"
    )
    return scoping.get_in_scope(queryset, user, pk=pk)


def filtered_applications(user: User, filters) -> QuerySet[BirthApplication]:
    """The applications of the user's units through one `filters.ApplicationFilters`: the
    list page and GET /births/applications alike."""
    return filters.filter(applications_visible_to(user))


@dataclass
class Worklist:
    key: str
    title_zh: str
    title_en: str
    applications: list[BirthApplication]


def worklists_for(user: User, limit: int = 200) -> list[Worklist]:
    """What waits for this user: the township's review or registration of submitted
    applications, the district's approval of reviewed ones, drafts to submit."""
    visible = applications_visible_to(user).order_by("applied_on", "id")
    lists = []
    if user.has_perm("births.review_birthapplication") or user.has_perm(
        "births.register_birthapplication"
    ):
        rows = list(visible.filter(state=rules.SUBMITTED)[:limit])
        lists.append(Worklist("township", "待乡镇审核/登记", "awaiting township review or "
                              "registration", rows))  # fmt: skip
    if user.has_perm("births.approve_birthapplication"):
        rows = list(visible.filter(state=rules.REVIEWED)[:limit])
        lists.append(Worklist("district", "待区县审批", "awaiting district approval", rows))
    if user.has_perm("births.submit_birthapplication"):
        rows = list(visible.filter(state=rules.DRAFT)[:limit])
        lists.append(Worklist("drafts", "待提交的草稿", "drafts to submit", rows))
    return lists


@dataclass(frozen=True)
class Verified:
    """What the public verification page may show: no ID number, names masked."""

    registration_number: str
    issued_on: object
    valid: bool
    state: str
    procedure: str
    child_order: int
    names: list[str]
    issuing_unit: str


def verify(code: str) -> Verified | None:
    if not rules.looks_like_code(code):
        return None
    application = (
        BirthApplication.objects.select_related("husband", "wife", "issuing_unit")
        .filter(verification_code=code)
        .first()
    )
    if application is None or not application.registration_number:
        return None
    names = [mask_name(p.name) for p in (application.husband, application.wife) if p is not None]
    return Verified(
        registration_number=application.registration_number,
        issued_on=application.issued_on,
        valid=application.state in rules.ISSUED_STATES,
        state=application.state,
        procedure=application.procedure,
        child_order=application.child_order,
        names=names,
        issuing_unit=application.issuing_unit.name if application.issuing_unit else "",
    )


def missing_documents(application: BirthApplication) -> list[str]:
    return list(
        application.documents.filter(received=False).order_by("id").values_list("code", flat=True)
    )
