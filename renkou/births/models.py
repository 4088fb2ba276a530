"""Birth registration (生育登记) and approval of a further birth (再生育审批).

An application is made for a couple of the registry (or one parent where the regime in force
allows an unmarried applicant) for one child order. The policy engine's answer is kept with
it (`evaluation`, from `actions.entitlement_record`); the procedure (single-step registration
or township review + district approval) follows from `rules.procedure_for`. Every change of
state is a `Transition` row; the application itself keeps its history (simple-history). All
writes go through `actions`.
docs/architecture.md §0: no fees, no penalties — an application is a service to the resident.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from renkou.births import rules

# Open or issued: the states in which an application blocks another for the same child order.
ACTIVE_STATES = [*rules.OPEN_STATES, *rules.ISSUED_STATES]


class State(models.TextChoices):
    DRAFT = rules.DRAFT, _("draft (草稿)")
    SUBMITTED = rules.SUBMITTED, _("submitted (已提交)")
    TOWNSHIP_REVIEWED = rules.REVIEWED, _("reviewed by the township (乡镇已审核)")
    APPROVED = rules.APPROVED, _("approved (已审批)")
    REGISTERED = rules.REGISTERED, _("registered (已登记)")
    REJECTED = rules.REJECTED, _("rejected (不予登记)")
    WITHDRAWN = rules.WITHDRAWN, _("withdrawn (已撤回)")
    CANCELLED = rules.CANCELLED, _("cancelled (已注销)")


class Procedure(models.TextChoices):
    REGISTRATION = rules.REGISTRATION, _("birth registration (生育登记)")
    APPROVAL = rules.APPROVAL, _("approval of a further birth (再生育审批)")


class BirthApplication(models.Model):
    """A couple's application to register (or have approved) a birth of a given order
    (生育登记/再生育审批申请)."""

    scope_path_field = "unit__path"

    husband = models.ForeignKey(
        "registry.Person",
        verbose_name=_("husband"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="birth_applications_as_husband",
        help_text=_("empty: an unmarried applicant, where the regime allows it"),
    )
    wife = models.ForeignKey(
        "registry.Person",
        verbose_name=_("wife"),
        on_delete=models.PROTECT,
        related_name="birth_applications_as_wife",
    )
    child_order = models.PositiveSmallIntegerField(_("child order applied for"))
    applied_on = models.DateField(_("application date"))
    expected_birth_date = models.DateField(_("expected birth date"), null=True, blank=True)
    actual_birth_date = models.DateField(_("actual birth date"), null=True, blank=True)
    contact_name = models.CharField(_("applicant"), max_length=50, blank=True)
    contact_phone = models.CharField(_("applicant's phone"), max_length=20, blank=True)
    unit = models.ForeignKey(
        "core.OrgUnit",
        verbose_name=_("unit"),
        on_delete=models.PROTECT,
        related_name="birth_applications",
        help_text=_("the couple's unit (the wife's): decides who sees the application"),
    )
    procedure = models.CharField(_("procedure"), max_length=12, choices=Procedure.choices)
    state = models.CharField(_("state"), max_length=20, choices=State.choices, default=State.DRAFT)
    evaluation = models.JSONField(_("evaluation at submission"), default=dict, blank=True)
    entitled = models.PositiveSmallIntegerField(_("entitled (known facts)"), null=True, blank=True)
    possible = models.PositiveSmallIntegerField(
        _("entitled if unknown facts hold"), null=True, blank=True
    )
    registration_number = models.CharField(
        _("registration number"), max_length=20, unique=True, null=True, blank=True
    )
    verification_code = models.CharField(
        _("verification code"), max_length=16, unique=True, null=True, blank=True
    )
    issued_on = models.DateField(_("issued on"), null=True, blank=True)
    issuing_unit = models.ForeignKey(
        "core.OrgUnit",
        verbose_name=_("issuing unit"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    decision_reason = models.CharField(_("reason"), max_length=300, blank=True)
    created_by = models.ForeignKey(
        "core.User",
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        verbose_name = _("birth application")
        verbose_name_plural = _("birth applications")
        ordering = ["-applied_on", "-id"]
        permissions = [
            ("submit_birthapplication", _("Can submit a birth application")),
            ("check_birthdocument", _("Can tick the document checklist")),
            ("review_birthapplication", _("Can review a birth application (township)")),
            ("register_birthapplication", _("Can register a birth (single step)")),
            ("approve_birthapplication", _("Can approve a further birth (district)")),
            ("reject_birthapplication", _("Can reject a birth application")),
            ("cancel_birthapplication", _("Can cancel an issued registration")),
        ]
        indexes = [
            models.Index(fields=["state", "unit"], name="birthapp_state_unit"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(state__in=list(rules.STATES)), name="birthapp_state_known"
            ),
            models.CheckConstraint(
                condition=models.Q(procedure__in=[rules.REGISTRATION, rules.APPROVAL]),
                name="birthapp_procedure_known",
            ),
            models.CheckConstraint(
                condition=models.Q(child_order__gte=1), name="birthapp_order_positive"
            ),
            # One open or issued application per couple and child order: the check in
            # `actions.create_application` gives the clear message, these make a duplicate
            # impossible when two requests pass that check at the same moment. Two partial
            # indexes because NULL (an unmarried applicant) never equals NULL in an index.
            models.UniqueConstraint(
                fields=["wife", "husband", "child_order"],
                condition=models.Q(state__in=ACTIVE_STATES, husband__isnull=False),
                name="birthapp_one_active_per_couple_order",
            ),
            models.UniqueConstraint(
                fields=["wife", "child_order"],
                condition=models.Q(state__in=ACTIVE_STATES, husband__isnull=True),
                name="birthapp_one_active_per_mother_order",
            ),
        ]

    def __str__(self) -> str:
        return self.registration_number or f"#{self.pk}"

    @property
    def within_entitlement(self) -> bool | None:
        return rules.within_entitlement(self.child_order, self.entitled, self.possible)

    @property
    def legal_actions(self) -> list[str]:
        return rules.legal_actions(self.state, self.procedure)


class DocumentItem(models.Model):
    """One item of an application's document checklist (材料清单): received yes/no, by whom
    and when."""

    scope_path_field = "application__unit__path"

    application = models.ForeignKey(
        BirthApplication,
        verbose_name=_("application"),
        on_delete=models.CASCADE,
        related_name="documents",
    )
    code = models.CharField(_("document"), max_length=30)
    received = models.BooleanField(_("received"), default=False)
    checked_by = models.ForeignKey(
        "core.User",
        verbose_name=_("checked by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    checked_at = models.DateTimeField(_("checked at"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("checklist item")
        verbose_name_plural = _("checklist items")
        ordering = ["application", "id"]
        constraints = [
            models.UniqueConstraint(fields=["application", "code"], name="birthdoc_app_code"),
        ]

    def __str__(self) -> str:
        return f"{self.application_id} {self.code}"

    @property
    def label(self) -> tuple[str, str]:
        document = rules.DOCUMENTS.get(self.code)
        return (document.name_zh, document.name_en) if document else (self.code, self.code)


class Transition(models.Model):
    """One change of an application's state: from, to, who, when, note (append-only)."""

    scope_path_field = "application__unit__path"

    application = models.ForeignKey(
        BirthApplication,
        verbose_name=_("application"),
        on_delete=models.CASCADE,
        related_name="transitions",
    )
    action = models.CharField(_("action"), max_length=20)
    from_state = models.CharField(_("from"), max_length=20, blank=True)
    to_state = models.CharField(_("to"), max_length=20)
    actor = models.ForeignKey(
        "core.User",
        verbose_name=_("staff"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    at = models.DateTimeField(_("time"), auto_now_add=True)
    note = models.CharField(_("note"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("application transition")
        verbose_name_plural = _("application transitions")
        ordering = ["application", "at", "id"]

    def __str__(self) -> str:
        return f"{self.application_id}: {self.from_state} → {self.to_state}"


class VerificationRequest(models.Model):
    """协查: a spouse's household registration is in another district, so that district is
    asked to verify the couple's record. Created by `actions.request_verification`; the
    exchange module sends it (status due → sent → answered)."""

    scope_path_field = "application__unit__path"

    class Status(models.TextChoices):
        DUE = "due", _("due (待发送)")
        SENT = "sent", _("sent (已发送)")
        ANSWERED = "answered", _("answered (已回复)")

    application = models.ForeignKey(
        BirthApplication,
        verbose_name=_("application"),
        on_delete=models.CASCADE,
        related_name="verification_requests",
    )
    person = models.ForeignKey(
        "registry.Person", verbose_name=_("person"), on_delete=models.PROTECT, related_name="+"
    )
    division_code = models.CharField(_("household-registration division"), max_length=12)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default="due")
    answer = models.TextField(_("answer"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("verification request (协查)")
        verbose_name_plural = _("verification requests (协查)")
        indexes = [models.Index(fields=["status"], name="birthverify_status")]
        constraints = [
            models.UniqueConstraint(
                fields=["application", "person"], name="birthverify_app_person"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.application_id} {self.division_code} {self.status}"


class NumberSeries(models.Model):
    """The last registration serial issued per district and year; rows are locked while a
    number is allocated (select_for_update), so concurrent approvals never share a number."""

    district_code = models.CharField(_("district code"), max_length=6)
    year = models.PositiveSmallIntegerField(_("year"))
    last = models.PositiveIntegerField(_("last serial"), default=0)

    class Meta:
        verbose_name = _("registration number series")
        verbose_name_plural = _("registration number series")
        constraints = [
            models.UniqueConstraint(fields=["district_code", "year"], name="birthseries_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.district_code}-{self.year}: {self.last}"
