"""Org units (the grid), staff accounts, their assignments, audit of reveals, API tokens."""

from __future__ import annotations

import datetime

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords


class UnitKind(models.TextChoices):
    DISTRICT = "district", _("District (区)")
    COUNTY = "county", _("County (县)")
    TOWNSHIP = "township", _("Township (乡)")
    TOWN = "town", _("Town (镇)")
    STREET = "street", _("Street (街道)")
    VILLAGE = "village", _("Village (村)")
    COMMUNITY = "community", _("Community (社区)")
    GROUP = "group", _("Group (组)")
    BUILDING = "building", _("Building (楼栋)")


class OrgUnit(models.Model):
    """A node of the grid: district → township/street → village/community → group/building.

    `path` is the materialised path of primary keys ("0000001.0000007.") so a subtree is one
    prefix; it is rewritten, with the whole subtree's, when a unit moves.
    """

    # Scoping: an OrgUnit is visible when its own path lies under one of the user's units.
    scope_path_field = "path"

    code = models.CharField(_("division code"), max_length=15, unique=True)
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=16, choices=UnitKind.choices)
    level = models.PositiveSmallIntegerField(_("level"))
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent unit"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    path = models.CharField(_("path"), max_length=255, db_index=True, editable=False)
    opened_on = models.DateField(_("opened on"), default=datetime.date(1949, 10, 1))
    closed_on = models.DateField(_("closed on"), null=True, blank=True)

    history = HistoricalRecords(excluded_fields=["path"])

    class Meta:
        verbose_name = _("org unit")
        verbose_name_plural = _("org units")
        ordering = ["path"]
        permissions = [
            ("restructure_orgunit", _("Can move, merge and split org units")),
            ("import_orgunit", _("Can import org units from a file")),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(level__gte=1, level__lte=4), name="orgunit_level_1_to_4"
            ),
            models.CheckConstraint(
                condition=models.Q(closed_on__isnull=True)
                | models.Q(closed_on__gte=models.F("opened_on")),
                name="orgunit_closed_after_opened",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name}（{self.code}）"

    @property
    def is_open(self) -> bool:
        return self.closed_on is None

    def is_open_on(self, day: datetime.date) -> bool:
        return self.opened_on <= day and (self.closed_on is None or day < self.closed_on)


class ChangeType(models.TextChoices):
    CREATE = "create", _("Created")
    RENAME = "rename", _("Renamed")
    RECODE = "recode", _("Code changed")
    MOVE = "move", _("Moved")
    MERGE = "merge", _("Merged")
    SPLIT = "split", _("Split")
    CLOSE = "close", _("Closed")


class OrgUnitChange(models.Model):
    """A dated change to the grid (乡镇撤并, 村改居, a street renamed …). Append-only.

    `before` and `after` hold the fields the change touched, so the tree in force on any
    date can be rebuilt by undoing later changes.
    """

    scope_path_field = "unit__path"

    unit = models.ForeignKey(
        OrgUnit, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="changes"
    )
    change_type = models.CharField(_("change"), max_length=16, choices=ChangeType.choices)
    effective_on = models.DateField(_("effective on"))
    before = models.JSONField(_("before"), default=dict, blank=True)
    after = models.JSONField(_("after"), default=dict, blank=True)
    related_unit = models.ForeignKey(
        OrgUnit,
        verbose_name=_("related unit"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    reason = models.CharField(_("reason"), max_length=500, blank=True)
    actor = models.ForeignKey(
        "core.User", verbose_name=_("by"), null=True, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("org unit change")
        verbose_name_plural = _("org unit changes")
        ordering = ["effective_on", "id"]
        indexes = [models.Index(fields=["unit", "effective_on"], name="orgunitchange_unit_date")]

    def __str__(self) -> str:
        return f"{self.effective_on} {self.get_change_type_display()} {self.unit_id}"


class Role(models.TextChoices):
    DISTRICT_ADMIN = "district_admin", _("District administrator")
    DISTRICT_STAFF = "district_staff", _("District staff")
    TOWNSHIP_STAFF = "township_staff", _("Township staff")
    GRID_WORKER = "grid_worker", _("Village grid worker")
    FEED_ACCOUNT = "feed_account", _("Department feed account (API only)")
    AUDITOR = "auditor", _("Auditor (read only)")


class User(AbstractUser):
    """A staff account. What it may do comes from `role`; where, from its assigned units."""

    role = models.CharField(_("role"), max_length=32, choices=Role.choices, blank=True)
    full_name = models.CharField(_("full name"), max_length=60, blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    id_number = models.CharField(_("ID number"), max_length=18, blank=True)
    units = models.ManyToManyField(
        OrgUnit,
        verbose_name=_("assigned units"),
        through="Assignment",
        through_fields=("user", "unit"),
        related_name="staff",
        blank=True,
    )

    history = HistoricalRecords(excluded_fields=["password", "last_login"])

    class Meta:
        verbose_name = _("staff account")
        verbose_name_plural = _("staff accounts")
        permissions = [
            ("manage_staff", _("Can manage staff accounts and assignments")),
            ("reveal_id_number", _("Can reveal masked ID numbers")),
            ("view_audit", _("Can view the audit trail")),
        ]

    def __str__(self) -> str:
        return self.full_name or self.username

    @property
    def display_name(self) -> str:
        return self.full_name or self.username


class Assignment(models.Model):
    """Staff responsible for a unit (网格到人、责任到人). Ending one keeps the row."""

    scope_path_field = "unit__path"

    user = models.ForeignKey(
        User, verbose_name=_("staff"), on_delete=models.CASCADE, related_name="assignments"
    )
    unit = models.ForeignKey(
        OrgUnit, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="assignments"
    )
    duty = models.CharField(_("duty"), max_length=100, blank=True)
    since = models.DateField(_("since"), default=datetime.date.today)
    until = models.DateField(_("until"), null=True, blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("assignment")
        verbose_name_plural = _("assignments")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "unit"],
                condition=models.Q(until__isnull=True),
                name="assignment_one_active_per_user_unit",
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} → {self.unit}"


class AccessLog(models.Model):
    """One row per reveal of a masked value or view of a health record. Append-only."""

    user = models.ForeignKey(
        User, verbose_name=_("user"), on_delete=models.PROTECT, related_name="access_logs"
    )
    at = models.DateTimeField(_("at"), auto_now_add=True, db_index=True)
    action = models.CharField(_("action"), max_length=32, default="reveal")
    model = models.CharField(_("record type"), max_length=64)
    object_id = models.CharField(_("record id"), max_length=64)
    field = models.CharField(_("field"), max_length=64)
    unit = models.ForeignKey(
        OrgUnit, verbose_name=_("unit"), null=True, on_delete=models.PROTECT, related_name="+"
    )
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)

    class Meta:
        verbose_name = _("access log entry")
        verbose_name_plural = _("access log")
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.user_id} {self.action} {self.model}.{self.field}"


class ApiToken(models.Model):
    """Bearer token of a department feed account. Only a hash is stored."""

    user = models.ForeignKey(
        User, verbose_name=_("account"), on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(_("prefix"), max_length=8)
    key_hash = models.CharField(_("key hash"), max_length=64, unique=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"
