"""The population registry: persons, households, marriages, parent–child links and events.

Events are the history (append-only; a correction is a new event that supersedes the old
one). A person's current state — status, residence, household registration, floating status,
birth orders — is derived from them by `renkou.registry.derive` and stored here for reading.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from renkou.lib.codes import ETHNIC_GROUPS, FAMILY_RELATIONS


def unique_index(*fields: str, name: str) -> models.UniqueConstraint:
    """A unique constraint created as its own index (CREATE UNIQUE INDEX), not inside CREATE
    TABLE as `unique=True` is on SQLite: there it would be an automatic index that cannot be
    dropped, and the bulk loader drops a table's indexes, inserts in row order and rebuilds
    them from sorted keys (1M ID numbers: ~1 s to build, ~4 s to maintain row by row)."""
    return models.UniqueConstraint(*(models.F(field) for field in fields), name=name)


class Sex(models.TextChoices):
    MALE = "M", _("male")
    FEMALE = "F", _("female")


class HukouType(models.TextChoices):
    """户口性质. Rural benefits (奖扶) depend on it, so each change is dated."""

    AGRICULTURAL = "agricultural", _("agricultural (农业)")
    NON_AGRICULTURAL = "non_agricultural", _("non-agricultural (非农业)")
    UNIFIED = "unified", _("unified resident (居民)")


class PersonStatus(models.TextChoices):
    ALIVE = "alive", _("alive")
    DECEASED = "deceased", _("deceased")
    MOVED_AWAY = "moved_away", _("moved away")


class Floating(models.TextChoices):
    """流动人口: derived from where the hukou is and where the person lives."""

    NONE = "", _("resident")
    INFLOW = "inflow", _("inflow (流入)")
    OUTFLOW = "outflow", _("outflow (流出)")


class Household(models.Model):
    """A registered household (户) at an address, with a number (户号)."""

    scope_path_field = "unit__path"

    number = models.CharField(_("household number"), max_length=32)  # household_number_unique
    address = models.CharField(_("address"), max_length=200, blank=True)
    unit = models.ForeignKey(
        "core.OrgUnit", verbose_name=_("unit"), on_delete=models.PROTECT, related_name="households"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("household")
        verbose_name_plural = _("households")
        constraints = [unique_index("number", name="household_number_unique")]

    def __str__(self) -> str:
        return self.number


class Person(models.Model):
    """A resident, or a person with household registration here, or a relative of one."""

    scope_path_field = "unit__path"

    source_key = models.CharField(
        _("source key"),
        max_length=64,
        null=True,
        blank=True,
        help_text=_("identifier in the loaded source"),
    )
    # Unique when present: person_id_number_unique (NULLs are distinct).
    id_number = models.CharField(_("ID number"), max_length=18, null=True, blank=True)
    name = models.CharField(_("name"), max_length=50)
    former_names = models.CharField(_("former names"), max_length=200, blank=True)
    # Normalised search keys: full pinyin without tones or spaces, and initials.
    # Indexed by person_pinyin_id / person_initials_id (column, id) below, which serve both the
    # prefix range and the search order; a single-column index would only slow bulk loads.
    name_pinyin = models.CharField(_("name in pinyin"), max_length=200, editable=False)
    name_initials = models.CharField(_("initials"), max_length=50, editable=False)
    sex = models.CharField(_("sex"), max_length=1, choices=Sex.choices)
    # No index of its own: birth-date filters run inside a unit's scope (unit index), and each
    # index on this table costs the bulk load (issue 3) about a second per million persons.
    birth_date = models.DateField(_("birth date"))
    ethnic_group = models.CharField(
        _("ethnic group"), max_length=2, default="01", choices=sorted(ETHNIC_GROUPS.items())
    )
    hukou_type = models.CharField(
        _("household-registration type"), max_length=20, choices=HukouType.choices, blank=True
    )
    hukou_type_since = models.DateField(_("registration type since"), null=True, blank=True)
    hukou_division = models.CharField(  # read per person, never searched: no index
        _("household-registration division"), max_length=12, blank=True
    )
    hukou_unit = models.ForeignKey(
        "core.OrgUnit",
        verbose_name=_("household-registration unit"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="hukou_persons",
        db_index=False,  # lists and counts go by `unit` (scoping); merges may scan
    )
    residence_unit = models.ForeignKey(
        "core.OrgUnit",
        verbose_name=_("residence unit"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="residents",
        db_index=False,  # lists and counts go by `unit` (scoping); merges may scan
    )
    # The unit the record belongs to (scoping): where they live here, else where their
    # household is registered here, else the last unit that knew them.
    unit = models.ForeignKey(
        "core.OrgUnit",
        verbose_name=_("responsible unit"),
        on_delete=models.PROTECT,
        related_name="persons",
        db_index=False,  # person_unit_status leads with it
    )
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    status = models.CharField(
        _("status"),
        max_length=12,
        choices=PersonStatus.choices,
        default=PersonStatus.ALIVE,
        # filtered with the unit: person_unit_status
    )
    death_date = models.DateField(_("date of death"), null=True, blank=True)
    floating = models.CharField(
        _("floating status"),
        max_length=8,
        choices=Floating.choices,
        blank=True,
        default="",
        # person_floating (partial) below
    )
    floating_since = models.DateField(_("floating since"), null=True, blank=True)
    only_child_cert_no = models.CharField(
        _("only-child parents' certificate number"), max_length=40, blank=True
    )
    only_child_cert_date = models.DateField(_("only-child certificate date"), null=True, blank=True)
    household = models.ForeignKey(
        Household,
        verbose_name=_("household"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="members",
    )
    relation_to_head = models.CharField(
        _("relation to head"), max_length=2, blank=True, choices=sorted(FAMILY_RELATIONS.items())
    )
    # 孩次 (by child) and 胎次 (by delivery) among the mother's live births, and the child
    # order of the couple (both parents); derived, stored for statistics and policy.
    birth_order_mother = models.PositiveSmallIntegerField(
        _("birth order (mother)"), null=True, blank=True
    )
    parity_mother = models.PositiveSmallIntegerField(
        _("delivery order (mother)"), null=True, blank=True
    )
    birth_order_couple = models.PositiveSmallIntegerField(
        _("birth order (couple)"), null=True, blank=True
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    history = HistoricalRecords(excluded_fields=["name_pinyin", "name_initials", "updated_at"])

    class Meta:
        verbose_name = _("person")
        verbose_name_plural = _("persons")
        indexes = [
            models.Index(fields=["unit", "status"], name="person_unit_status"),
            # Search pages are ordered (column, id): these serve the filter and the order.
            models.Index(fields=["name", "id"], name="person_name"),
            models.Index(fields=["name_pinyin", "id"], name="person_pinyin_id"),
            models.Index(fields=["name_initials", "id"], name="person_initials_id"),
            models.Index(fields=["phone"], name="person_phone"),
            # Most persons are not floating: index only those who are.
            models.Index(
                fields=["floating", "unit"],
                condition=~models.Q(floating=""),
                name="person_floating",
            ),
        ]
        constraints = [
            unique_index("source_key", name="person_source_key_unique"),
            unique_index("id_number", name="person_id_number_unique"),
            models.CheckConstraint(condition=models.Q(sex__in=["M", "F"]), name="person_sex_m_f"),
        ]

    def __str__(self) -> str:
        return self.name


class Marriage(models.Model):
    """A marriage of two persons; ended by divorce or death (婚姻)."""

    scope_path_field = "unit__path"

    class EndReason(models.TextChoices):
        DIVORCE = "divorce", _("divorce")
        DEATH = "death", _("death of a spouse")

    class Kind(models.TextChoices):
        FIRST = "first", _("first marriage")
        REMARRIAGE = "remarriage", _("remarriage")

    source_key = models.CharField(max_length=64, null=True, blank=True)
    husband = models.ForeignKey(
        Person,
        verbose_name=_("husband"),
        on_delete=models.PROTECT,
        related_name="marriages_as_husband",
    )
    wife = models.ForeignKey(
        Person, verbose_name=_("wife"), on_delete=models.PROTECT, related_name="marriages_as_wife"
    )
    start_date = models.DateField(_("married on"))
    end_date = models.DateField(_("ended on"), null=True, blank=True)
    end_reason = models.CharField(
        _("end reason"), max_length=10, choices=EndReason.choices, blank=True
    )
    husband_kind = models.CharField(
        _("husband's marriage"), max_length=10, choices=Kind.choices, default=Kind.FIRST
    )
    wife_kind = models.CharField(
        _("wife's marriage"), max_length=10, choices=Kind.choices, default=Kind.FIRST
    )
    unit = models.ForeignKey(
        "core.OrgUnit", verbose_name=_("unit"), on_delete=models.PROTECT, related_name="marriages"
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("marriage")
        verbose_name_plural = _("marriages")
        constraints = [
            unique_index("source_key", name="marriage_source_key_unique"),
            models.CheckConstraint(
                condition=models.Q(end_date__isnull=True)
                | models.Q(end_date__gte=models.F("start_date")),
                name="marriage_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.husband_id}–{self.wife_id} {self.start_date}"


class ParentChild(models.Model):
    """A parent–child link: biological, adopted or step (亲生/收养/继)."""

    scope_path_field = "child__unit__path"

    class Kind(models.TextChoices):
        BIOLOGICAL = "biological", _("biological")
        ADOPTED = "adopted", _("adopted")
        STEP = "step", _("step")

    parent = models.ForeignKey(
        Person,
        verbose_name=_("parent"),
        on_delete=models.PROTECT,
        related_name="child_links",
        db_index=False,  # parentchild_unique leads with it
    )
    child = models.ForeignKey(
        Person, verbose_name=_("child"), on_delete=models.PROTECT, related_name="parent_links"
    )
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices, default=Kind.BIOLOGICAL)
    since = models.DateField(_("since"), null=True, blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("parent–child link")
        verbose_name_plural = _("parent–child links")
        constraints = [
            unique_index("parent", "child", name="parentchild_unique"),
            models.CheckConstraint(
                condition=~models.Q(parent=models.F("child")), name="parentchild_not_self"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.parent_id} → {self.child_id}"


class EventKind(models.TextChoices):
    BIRTH = "birth", _("birth")
    DEATH = "death", _("death")
    MOVE_IN = "move_in", _("move in")
    MOVE_OUT = "move_out", _("move out")
    MARRIAGE = "marriage", _("marriage")
    DIVORCE = "divorce", _("divorce")
    HUKOU_TYPE = "hukou_type", _("household-registration type change")


class EventState(models.TextChoices):
    ACTIVE = "active", _("in force")
    SUPERSEDED = "superseded", _("corrected")
    VOIDED = "voided", _("deleted")


class Event(models.Model):
    """A vital or migration event. Append-only: a correction supersedes, a deletion voids."""

    scope_path_field = "unit__path"

    source_key = models.CharField(max_length=64, null=True, blank=True)
    kind = models.CharField(_("event"), max_length=12, choices=EventKind.choices)
    date = models.DateField(_("date"), db_index=True)
    person = models.ForeignKey(
        Person,
        verbose_name=_("person"),
        on_delete=models.PROTECT,
        related_name="events",
        db_index=False,  # event_person_state_date leads with it
    )
    unit = models.ForeignKey(
        "core.OrgUnit", verbose_name=_("unit"), on_delete=models.PROTECT, related_name="events"
    )
    state = models.CharField(
        _("state"),
        max_length=10,
        choices=EventState.choices,
        default=EventState.ACTIVE,
        # event_person_state_date covers it
    )
    supersedes = models.OneToOneField(
        "self",
        verbose_name=_("corrects"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="superseded_by",
    )
    # birth
    mother = models.ForeignKey(
        Person,
        verbose_name=_("mother"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="births_as_mother",
        db_index=False,  # event_mother_state leads with it
    )
    father = models.ForeignKey(
        Person,
        verbose_name=_("father"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="births_as_father",
    )
    place = models.CharField(_("place or hospital"), max_length=100, blank=True)
    plurality = models.PositiveSmallIntegerField(_("babies in the delivery"), default=1)
    # death
    cause_category = models.CharField(_("cause category"), max_length=40, blank=True)
    # moves
    division_from = models.CharField(_("from division"), max_length=12, blank=True)
    division_to = models.CharField(_("to division"), max_length=12, blank=True)
    residence_unit = models.ForeignKey(
        "core.OrgUnit",
        verbose_name=_("residence unit"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    moves_hukou = models.BooleanField(_("moves the household registration"), default=False)
    hukou_type = models.CharField(
        _("new registration type"), max_length=20, blank=True, choices=HukouType.choices
    )
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    # marriage / divorce
    marriage = models.ForeignKey(
        Marriage,
        verbose_name=_("marriage"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="events",
    )
    flags = models.JSONField(_("flags"), default=list, blank=True)
    recorded_by = models.ForeignKey(
        "core.User",
        verbose_name=_("recorded by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("event")
        verbose_name_plural = _("events")
        ordering = ["date", "id"]
        constraints = [unique_index("source_key", name="event_source_key_unique")]
        indexes = [
            models.Index(fields=["person", "state", "date"], name="event_person_state_date"),
            models.Index(fields=["kind", "date"], name="event_kind_date"),
            models.Index(fields=["mother", "state"], name="event_mother_state"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.date}"
