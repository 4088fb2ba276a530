"""Birth-policy regimes (as data), facts declared for the policy, and the stored
classification of every registry birth.

docs/architecture.md §0: a birth's policy status is computed only for benefit eligibility
and aggregate statistics — never for penalties. Nothing here starts a workflow against a person.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords


class Scope(models.TextChoices):
    NATION = "nation", _("nation (全国)")
    PROVINCE = "province", _("province (省)")
    DISTRICT = "district", _("district (区县)")


class Regime(models.Model):
    """A versioned birth-policy rule set: base number of children, named conditions that
    raise it, effective dates and scope. Loaded from `renkou/policy/data/regimes/*.json`
    (`renkou policy load`); the database copy is what the evaluator uses, and a district admin
    may edit it (`edited_locally`: a later load keeps the edit)."""

    code = models.CharField(_("code"), max_length=40, unique=True)
    name_zh = models.CharField(_("name (Chinese)"), max_length=100)
    name_en = models.CharField(_("name (English)"), max_length=200)
    scope = models.CharField(_("scope"), max_length=10, choices=Scope.choices)
    scope_code = models.CharField(
        _("scope code"), max_length=6, blank=True, help_text=_("province: 2 digits; district: 6")
    )
    effective_from = models.DateField(_("effective from"))
    effective_to = models.DateField(_("effective to (inclusive)"), null=True, blank=True)
    base_children = models.PositiveSmallIntegerField(_("children per couple"))
    requires_marriage = models.BooleanField(_("entitlement requires marriage"), default=True)
    conditions = models.JSONField(_("conditions"), default=list, blank=True)
    source = models.TextField(_("source"))
    version = models.PositiveIntegerField(_("version"), default=1)
    file_version = models.PositiveIntegerField(_("version in the file"), null=True, blank=True)
    file_digest = models.CharField(_("digest of the file text"), max_length=40, blank=True)
    loaded_from = models.CharField(_("loaded from"), max_length=100, blank=True)
    edited_locally = models.BooleanField(_("edited in the database"), default=False)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("birth-policy regime")
        verbose_name_plural = _("birth-policy regimes")
        ordering = ["effective_from", "scope", "scope_code", "code"]
        permissions = [("evaluate_entitlement", _("Can evaluate a couple's entitlement"))]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(effective_to__isnull=True)
                | models.Q(effective_to__gte=models.F("effective_from")),
                name="regime_ends_after_start",
            ),
            models.CheckConstraint(
                condition=models.Q(scope__in=["nation", "province", "district"]),
                name="regime_scope_known",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} v{self.version}"


class DeclaredFact(models.Model):
    """A fact the policy needs and the registry does not record, entered by staff with the
    evidence seen: a certified non-hereditary disability, returned-overseas-Chinese status, or
    only-child status where the person's parents are not in the registry. A declared fact
    overrides what the registry derives."""

    scope_path_field = "person__unit__path"

    class Fact(models.TextChoices):
        ONLY_CHILD = "only_child", _("only child (独生子女)")
        RETURNED_OVERSEAS = "returned_overseas", _("returned overseas Chinese (归侨)")
        DISABILITY = "non_hereditary_disability", _("non-hereditary disability (非遗传性残疾)")

    person = models.ForeignKey(
        "registry.Person",
        verbose_name=_("person"),
        on_delete=models.PROTECT,
        related_name="declared_facts",
    )
    fact = models.CharField(_("fact"), max_length=30, choices=Fact.choices)
    value = models.BooleanField(_("value"))
    since = models.DateField(
        _("since"), null=True, blank=True, help_text=_("empty: as long as the person is known")
    )
    evidence = models.CharField(_("evidence"), max_length=200)
    recorded_by = models.ForeignKey(
        "core.User",
        verbose_name=_("recorded by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    recorded_at = models.DateTimeField(_("recorded at"), auto_now=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("declared fact")
        verbose_name_plural = _("declared facts")
        constraints = [
            models.UniqueConstraint(fields=["person", "fact"], name="declaredfact_person_fact"),
        ]

    def __str__(self) -> str:
        return f"{self.person_id} {self.fact}={self.value}"


class Status(models.TextChoices):
    WITHIN = "within", _("within the regime (政策内)")
    OUTSIDE = "outside", _("outside the regime (政策外)")
    NOT_APPLICABLE = "not_applicable", _("no regime (不适用)")
    UNKNOWN = "unknown", _("unknown (不详)")


class BirthClassification(models.Model):
    """A registry birth classified as within / outside the regime in force at its date, with
    the evaluator's reasons. Derived: recomputed whenever a fact it used changes. Used only by
    benefit eligibility and aggregate statistics (docs/architecture.md §0)."""

    scope_path_field = "child__unit__path"

    child = models.OneToOneField(
        "registry.Person",
        verbose_name=_("child"),
        on_delete=models.CASCADE,
        related_name="policy_classification",
    )
    mother = models.ForeignKey(
        "registry.Person",
        verbose_name=_("mother"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    father = models.ForeignKey(
        "registry.Person",
        verbose_name=_("father"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    birth_date = models.DateField(_("birth date"))
    regime = models.ForeignKey(
        Regime,
        verbose_name=_("regime"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="classifications",
    )
    regime_version = models.PositiveIntegerField(_("regime version"), null=True, blank=True)
    order_used = models.PositiveSmallIntegerField(
        _("birth order used"),
        null=True,
        blank=True,
        help_text=_("the couple's children counted (or the mother's where the father is unknown)"),
    )
    delivery_order = models.PositiveSmallIntegerField(
        _("order of the delivery's first baby"), null=True, blank=True
    )
    plurality = models.PositiveSmallIntegerField(_("babies in the delivery"), default=1)
    entitled = models.PositiveSmallIntegerField(_("entitled (known facts)"), null=True, blank=True)
    possible = models.PositiveSmallIntegerField(
        _("entitled if unknown facts hold"), null=True, blank=True
    )
    status = models.CharField(_("status"), max_length=16, choices=Status.choices)
    reasons = models.JSONField(_("reasons"), default=dict)
    facts_digest = models.CharField(_("digest of the facts used"), max_length=40)
    computed_at = models.DateTimeField(_("computed at"))

    class Meta:
        verbose_name = _("birth classification")
        verbose_name_plural = _("birth classifications")
        indexes = [
            models.Index(fields=["status", "birth_date"], name="birthclass_status_date"),
            models.Index(fields=["regime", "status"], name="birthclass_regime_status"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=["within", "outside", "not_applicable", "unknown"]),
                name="birthclass_status_known",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.child_id} {self.status}"
