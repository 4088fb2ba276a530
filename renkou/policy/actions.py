"""The only write path of the policy app: birth classifications (derived, recomputed when a
fact they used changes), declared facts, and edits of the database copy of a regime.

docs/architecture.md §0: a classification serves benefit eligibility and aggregate
statistics only; nothing here starts any workflow against a person.

Classification of a birth: the regime in force at the birth date (the most specific scope for
the district wins), the couple's facts as the registry knew them the day before the birth,
and the order the birth takes among the children counted for the couple (the couple's own,
and each spouse's with other partners; the mother's children where the father is unknown).
Order ≤ entitled → within; order > the number the unknown facts could at most allow →
outside; in between → unknown; no regime → not applicable. A plural delivery is judged by its
first baby: if that one is within, every baby of the delivery is within.
"""

from __future__ import annotations

import datetime
import functools
import hashlib
import json
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _

from renkou.core.actions import require_in_scope, require_perm
from renkou.core.models import OrgUnit, User
from renkou.lib import scoping
from renkou.lib.i18n import pick
from renkou.policy import queries, regimes, rules
from renkou.policy.models import BirthClassification, DeclaredFact, Regime
from renkou.registry.models import ParentChild, Person

BIOLOGICAL = ParentChild.Kind.BIOLOGICAL
BATCH_MOTHERS = 2000

Progress = Callable[[int, int], None]  # (births done, births in all)


# --- computing ---------------------------------------------------------------------------------


@dataclass
class Computed:
    child_id: int
    mother_id: int | None
    father_id: int | None
    birth_date: datetime.date
    regime_code: str | None
    regime_version: int | None
    order_used: int | None
    delivery_order: int | None
    plurality: int
    entitled: int | None
    possible: int | None
    status: str
    reasons: dict
    digest: str


def _digest(*parts) -> str:
    """A digest of plain values and (frozen) dataclasses: their repr is deterministic."""
    return hashlib.sha1(repr(parts).encode("utf-8"), usedforsecurity=False).hexdigest()


@functools.lru_cache(maxsize=256)
def _regime_digest(regime: rules.RegimeSpec | None) -> str:
    return _digest(regime)


def _regime_summary(regime: rules.RegimeSpec | None) -> dict | None:
    if regime is None:
        return None
    return {
        "code": regime.code, "name_zh": regime.name_zh, "name_en": regime.name_en,
        "scope": regime.scope, "scope_code": regime.scope_code, "version": regime.version,
        "effective_from": regime.effective_from.isoformat(),
        "effective_to": regime.effective_to.isoformat() if regime.effective_to else None,
        "base_children": regime.base_children,
    }  # fmt: skip


def _compute(
    child: queries.PersonRow,
    mother_id: int,
    father_id: int | None,
    facts: rules.CoupleFacts,
    area: list[rules.RegimeSpec],
    position: int,
    plurality: int,
) -> Computed:
    entitlement = rules.evaluate(facts, area, child.birth_date)
    delivery = facts.children_counted + 1
    result = rules.classify(entitlement, delivery + position - 1, delivery)
    regime = entitlement.regime
    reasons = {
        "summary_zh": result.summary_zh,
        "summary_en": result.summary_en,
        "entitlement_zh": entitlement.summary_zh,
        "entitlement_en": entitlement.summary_en,
        "regime": _regime_summary(regime),
        "entitled": entitlement.entitled,
        "possible": entitlement.possible,
        "children_counted": entitlement.children_counted,
        "father_known": father_id is not None,
        "requirements": [c.as_dict() for c in entitlement.requirements],
        "conditions": [c.as_dict() for c in entitlement.conditions],
    }
    digest = _digest(
        facts, _regime_digest(regime), position, plurality, mother_id, father_id, child.birth_date
    )
    return Computed(
        child.id, mother_id, father_id, child.birth_date,
        regime.code if regime else None, regime.version if regime else None,
        result.order_used, result.delivery_order, plurality, entitlement.entitled,
        entitlement.possible, result.status, reasons, digest,
    )  # fmt: skip


def _motherless(child: queries.PersonRow, father_id: int | None) -> Computed:
    reasons = {
        "summary_zh": "母亲未在登记系统中，孩次不详",
        "summary_en": "the mother is not in the registry: the birth order is unknown",
        "regime": None, "entitled": None, "possible": None, "father_known": father_id is not None,
        "requirements": [], "conditions": [],
    }  # fmt: skip
    return Computed(
        child.id, None, father_id, child.birth_date, None, None, None, None, 1, None, None,
        rules.UNKNOWN, reasons, _digest("motherless", child.birth_date, father_id),
    )  # fmt: skip


class _Area:
    """The regimes for each child's district (district-scope regimes are rare: cached)."""

    def __init__(self, regime_set: queries.RegimeSet, province: str):
        self.regime_set, self.province = regime_set, province
        self.default = regime_set.for_area(province)
        self.units: dict[int, str] = {}
        if regime_set.has_district_regimes:
            self.units = {pk: code[:6] for pk, code in OrgUnit.objects.values_list("pk", "code")}
        self._cache: dict[str, list[rules.RegimeSpec]] = {}

    def for_unit(self, unit_id: int) -> list[rules.RegimeSpec]:
        if not self.units:
            return self.default
        district = self.units.get(unit_id, "")
        if district not in self._cache:
            self._cache[district] = self.regime_set.for_area(self.province, district)
        return self._cache[district]


def compute_for_mothers(
    data: queries.FamilyData, mother_ids: Iterable[int], area: _Area
) -> list[Computed]:
    """Classify every child of these mothers (the data must hold them and their partners)."""
    computed = []
    for mother_id in mother_ids:
        children = data.children_of(mother_id)
        by_day: dict[datetime.date, list[queries.PersonRow]] = {}
        for child in children:
            by_day.setdefault(child.birth_date, []).append(child)
        facts_cache: dict[tuple[int | None, datetime.date], rules.CoupleFacts] = {}
        for child in children:
            mother, father = data.mother_and_father(child.id)
            if mother != mother_id:
                continue
            key = (father, child.birth_date)
            if key not in facts_cache:
                facts_cache[key] = queries.couple_facts_from(
                    data, father, mother_id, child.birth_date
                )
            delivery = [
                c for c in by_day[child.birth_date] if data.mother_and_father(c.id)[1] == father
            ]
            position = [c.id for c in delivery].index(child.id) + 1
            computed.append(
                _compute(child, mother_id, father, facts_cache[key], area.for_unit(child.unit_id),
                         position, len(delivery))
            )  # fmt: skip
    return computed


# --- writing -----------------------------------------------------------------------------------


@dataclass
class ClassifyReport:
    births: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0
    by_status: Counter = field(default_factory=Counter)
    seconds: float = 0.0


INSERT_COLUMNS = (
    "child_id", "mother_id", "father_id", "birth_date", "regime_id", "regime_version",
    "order_used", "delivery_order", "plurality", "entitled", "possible", "status", "reasons",
    "facts_digest", "computed_at",
)  # fmt: skip
INSERT_BATCH = 2000


def _insert(rows: list[tuple]) -> None:
    """Raw batched inserts: `bulk_create` spends most of a big run building SQL (SQLite caps
    a statement at 999 parameters, so 66 rows each); one prepared statement is reused here."""
    table = connection.ops.quote_name(BirthClassification._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(c) for c in INSERT_COLUMNS)
    marks = ", ".join(["%s"] * len(INSERT_COLUMNS))
    sql = f"INSERT INTO {table} ({columns}) VALUES ({marks})"  # noqa: S608 (names, not values)
    with connection.cursor() as cursor:
        for start in range(0, len(rows), INSERT_BATCH):
            cursor.executemany(sql, rows[start : start + INSERT_BATCH])


def _write(computed: list[Computed], regime_ids: dict[str, int], report: ClassifyReport) -> None:
    if not computed:
        return
    ops = connection.ops
    now = ops.adapt_datetimefield_value(timezone.now())
    existing: dict[int, tuple[int, str]] = {}
    for chunk in queries.chunks([c.child_id for c in computed]):
        rows = BirthClassification.objects.values_list("pk", "child_id", "facts_digest")
        for pk, child_id, digest in rows.filter(child_id__in=chunk):
            existing[child_id] = (pk, digest)
    fresh, stale = [], []
    for item in computed:
        report.births += 1
        report.by_status[item.status] += 1
        old = existing.get(item.child_id)
        if old is not None and old[1] == item.digest:
            report.unchanged += 1
            continue
        if old is not None:
            stale.append(old[0])
            report.updated += 1
        else:
            report.created += 1
        fresh.append((
            item.child_id, item.mother_id, item.father_id,
            ops.adapt_datefield_value(item.birth_date),
            regime_ids.get(item.regime_code) if item.regime_code else None,
            item.regime_version, item.order_used, item.delivery_order, item.plurality,
            item.entitled, item.possible, item.status,
            json.dumps(item.reasons, ensure_ascii=False), item.digest, now,
        ))  # fmt: skip
    with transaction.atomic():
        for chunk in queries.chunks(stale):
            BirthClassification.objects.filter(pk__in=chunk).delete()
        _insert(fresh)


def _classify_mothers(
    mother_ids: set[int],
    report: ClassifyReport,
    regime_set: queries.RegimeSet | None = None,
    area: _Area | None = None,
) -> None:
    regime_set = regime_set or queries.load_regimes()
    area = area or _Area(regime_set, queries.policy_province())
    data = queries.FamilyData.load(mother_ids)
    fathers = {
        father
        for mother in mother_ids
        for child in data.children.get(mother, ())
        if (father := data.mother_and_father(child)[1]) is not None
    }
    data.add_focus(fathers)
    _write(compute_for_mothers(data, sorted(mother_ids), area), regime_set.ids, report)


def _classify_motherless(child_ids: set[int], report: ClassifyReport) -> None:
    """Births with a biological parent link but no mother in the registry."""
    data = queries.FamilyData()
    data._links(child_id__in=child_ids)
    data._load_persons(child_ids | {p for c in child_ids for p in data.parents.get(c, ())})
    computed = []
    for child_id in sorted(child_ids):
        if child_id not in data.persons:
            continue
        mother, father = data.mother_and_father(child_id)
        if mother is None:
            computed.append(_motherless(data.persons[child_id], father))
    _write(computed, {}, report)


def _mothers_of(child_ids: Iterable[int]) -> tuple[set[int], set[int]]:
    """(mothers of these children, children without a mother link)."""
    mothers: set[int] = set()
    with_mother: set[int] = set()
    ids = set(child_ids)
    for chunk in queries.chunks(ids):
        rows = ParentChild.objects.filter(
            kind=BIOLOGICAL, child_id__in=chunk, parent__sex="F"
        ).values_list("parent_id", "child_id")
        for parent_id, child_id in rows:
            mothers.add(parent_id)
            with_mother.add(child_id)
    return mothers, ids - with_mother


def _remove_unlinked(child_ids: Iterable[int], report: ClassifyReport) -> None:
    """Drop the classification of a person who is no longer anyone's child (a voided birth)."""
    for chunk in queries.chunks(child_ids):
        linked = set(
            ParentChild.objects.filter(kind=BIOLOGICAL, child_id__in=chunk).values_list(
                "child_id", flat=True
            )
        )
        gone = [pk for pk in chunk if pk not in linked]
        if gone:
            deleted, _detail = BirthClassification.objects.filter(child_id__in=gone).delete()
            report.removed += deleted


@transaction.atomic
def classify_births(child_ids: Iterable[int]) -> ClassifyReport:
    """(Re)classify these births — and, with them, every birth of the same mothers."""
    report = ClassifyReport()
    ids = set(child_ids)
    mothers, motherless = _mothers_of(ids)
    if mothers:
        _classify_mothers(mothers, report)
    if motherless:
        _classify_motherless(motherless, report)
    _remove_unlinked(ids, report)
    return report


def classify_birth(child: Person) -> BirthClassification | None:
    """Classify one registry birth; None if the person is no registry birth (no parent link)."""
    classify_births([child.pk])
    return BirthClassification.objects.filter(child=child).first()


def reclassify_family(person: Person) -> ClassifyReport:
    """Recompute the stored classifications that may use a fact of `person`. The registry's
    actions call this after every change of a fact the policy reads."""
    return classify_births(queries.affected_births(person))


def classify_all(
    *, unit: OrgUnit | None = None, progress: Progress | None = None, batch: int = BATCH_MOTHERS
) -> ClassifyReport:
    """Classify every registry birth (of `unit`'s subtree), in batches of mothers; unchanged
    classifications are not rewritten. Each batch commits on its own."""
    started = time.monotonic()
    report = ClassifyReport()
    regime_set = queries.load_regimes()
    area = _Area(regime_set, queries.policy_province())
    links = ParentChild.objects.filter(kind=BIOLOGICAL)
    if unit is not None:
        links = links.filter(scoping.prefix_q("child__unit__path", unit.path))
    mothers = sorted(
        set(links.filter(parent__sex="F").values_list("parent_id", flat=True).distinct())
    )
    total = links.values("child_id").distinct().count()
    for start in range(0, len(mothers), batch):
        _classify_mothers(set(mothers[start : start + batch]), report, regime_set, area)
        if progress is not None:
            progress(report.births, total)
    # Anti-joins as NOT EXISTS: PostgreSQL answers NOT IN (subquery) over a big table with a
    # plan that compares every pair of rows (minutes at a million links).
    a_mother = ParentChild.objects.filter(
        child_id=OuterRef("child_id"), kind=BIOLOGICAL, parent__sex="F"
    )
    motherless = set(links.filter(~Exists(a_mother)).values_list("child_id", flat=True).distinct())
    if motherless:
        with transaction.atomic():
            _classify_motherless(motherless, report)
    a_parent = ParentChild.objects.filter(child_id=OuterRef("child_id"), kind=BIOLOGICAL)
    stale = BirthClassification.objects.filter(~Exists(a_parent))
    if unit is not None:
        stale = stale.filter(scoping.prefix_q("child__unit__path", unit.path))
    stale_ids = list(stale.values_list("pk", flat=True))
    for chunk in queries.chunks(stale_ids):
        report.removed += BirthClassification.objects.filter(pk__in=chunk).delete()[0]
    if progress is not None:
        progress(report.births, total)
    report.seconds = time.monotonic() - started
    return report


# --- declared facts -----------------------------------------------------------------------------


@transaction.atomic
def record_declared_fact(
    *,
    actor: User | None,
    person: Person,
    fact: str,
    value: bool,
    evidence: str,
    since: datetime.date | None = None,
    reason: str = "",
) -> DeclaredFact:
    """Record (or correct) a fact the registry does not hold, with the evidence seen; the
    classifications that use it are recomputed."""
    require_in_scope(actor, person.unit)
    require_perm(actor, "policy.change_declaredfact")
    if fact not in DeclaredFact.Fact.values:
        raise ValidationError({"fact": _("Unknown fact.")})
    if not evidence.strip():
        raise ValidationError({"evidence": _("Give the evidence seen (certificate, document).")})
    row = DeclaredFact.objects.filter(person=person, fact=fact).first() or DeclaredFact(
        person=person, fact=fact
    )
    row.value, row.since, row.evidence, row.recorded_by = value, since, evidence.strip(), actor
    row._change_reason = reason or _("declared fact recorded")
    row._history_user = actor
    row.full_clean(exclude=["person", "recorded_by"])
    row.save()
    reclassify_family(person)
    return row


# --- regimes --------------------------------------------------------------------------------------

EDITABLE = {
    "name_zh", "name_en", "effective_from", "effective_to", "base_children", "requires_marriage",
    "conditions", "source",
}  # fmt: skip


@transaction.atomic
def update_regime(*, actor: User | None, regime: Regime, reason: str, **fields) -> Regime:
    """A district admin's edit of the database copy of a regime: checked like a file, the row
    version goes up, and later loads of the file keep the edit. Run `renkou policy classify`
    afterwards to bring the stored classifications up to date."""
    require_perm(actor, "policy.change_regime")
    unknown = set(fields) - EDITABLE
    if unknown:
        raise ValidationError({sorted(unknown)[0]: _("This field cannot be edited.")})
    if not reason.strip():
        raise ValidationError({"reason": _("Give the reason for the change.")})
    data = {
        "code": regime.code, "name_zh": regime.name_zh, "name_en": regime.name_en,
        "scope": regime.scope, "scope_code": regime.scope_code,
        "effective_from": str(regime.effective_from),
        "effective_to": str(regime.effective_to) if regime.effective_to else None,
        "base_children": regime.base_children, "requires_marriage": regime.requires_marriage,
        "conditions": regime.conditions, "source": regime.source,
    }  # fmt: skip
    for name, value in fields.items():
        data[name] = str(value) if isinstance(value, datetime.date) else value
    try:
        checked = regimes.check_regime(data, regime.code)
        checked["conditions"] = regimes.check_conditions(checked["conditions"], regime.code)
        others = [
            {"code": r.code, "scope": r.scope, "scope_code": r.scope_code,
             "effective_from": r.effective_from, "effective_to": r.effective_to}
            for r in Regime.objects.exclude(pk=regime.pk)
        ]  # fmt: skip
        regimes.check_overlaps([*others, checked])
    except regimes.RegimeError as error:
        raise ValidationError({"__all__": pick(error.message_zh, error.message_en)}) from error
    for name in EDITABLE:
        setattr(regime, name, checked[name])
    regime.version += 1
    regime.edited_locally = True
    regime._change_reason = reason
    regime._history_user = actor
    regime.save()
    return regime
