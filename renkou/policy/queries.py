"""Reads for the policy: regimes from the database, and a couple's facts from the registry as
they stood on a date.

`FamilyData` loads, in a few batched queries, everything the evaluator reads about a set of
parents: their children (alive or dead), their children's other parents, their own parents and
siblings (only-child status), their marriages, their dated household-registration changes and
the facts declared for them. `couple_facts` builds one couple's `CoupleFacts` from it. The
single evaluation (API, command) and the bulk classification use the same code.
"""

from __future__ import annotations

import datetime
import os
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import QuerySet

from renkou.core.models import User
from renkou.lib import scoping
from renkou.policy import regimes as regime_files
from renkou.policy import rules
from renkou.policy.models import BirthClassification, DeclaredFact, Regime
from renkou.registry.models import Event, EventKind, EventState, Marriage, ParentChild, Person

BIOLOGICAL = ParentChild.Kind.BIOLOGICAL
CHUNK = 900  # ids per IN (…): under SQLite's 999 bound parameters
# The filter with the IN list comes last in each query below: a queryset method applied after
# it would clone the query, and with it (deepcopy) the list of ids, at a real cost in bulk.


def policy_province() -> str:
    """The province whose regimes apply here: setting or environment RENKOU_PROVINCE."""
    value = getattr(settings, "RENKOU_PROVINCE", None) or os.environ.get("RENKOU_PROVINCE")
    return str(value or "51")[:2]


# --- regimes -------------------------------------------------------------------------------------


@dataclass
class RegimeSet:
    """The regimes of the database as specs, and each one's primary key."""

    specs: list[rules.RegimeSpec]
    ids: dict[str, int]

    @property
    def has_district_regimes(self) -> bool:
        return any(spec.scope == "district" for spec in self.specs)

    def for_area(self, province: str, district: str | None = None) -> list[rules.RegimeSpec]:
        return rules.regimes_for_area(self.specs, province, district)


def load_regimes() -> RegimeSet:
    rows = list(Regime.objects.all())
    return RegimeSet([regime_files.spec(row) for row in rows], {row.code: row.pk for row in rows})


def regimes_on(
    day: datetime.date, province: str | None = None, district: str | None = None
) -> rules.RegimeSpec | None:
    """The regime in force on `day` here (the most specific scope wins)."""
    area = load_regimes().for_area(province or policy_province(), district)
    return rules.select_regime(area, day)


def regimes_visible_to(user: User) -> QuerySet[Regime]:
    """Regimes are not unit-owned: every account with the view permission sees all of them."""
    return Regime.objects.order_by("effective_from", "scope", "scope_code", "code")


def classifications_visible_to(user: User) -> QuerySet[BirthClassification]:
    return scoping.scope(BirthClassification.objects.all(), user)


def declared_facts_visible_to(user: User) -> QuerySet[DeclaredFact]:
    return scoping.scope(DeclaredFact.objects.all(), user)


# --- the registry, as of a date ----------------------------------------------------------------


@dataclass(frozen=True)
class PersonRow:
    id: int
    sex: str
    birth_date: datetime.date
    death_date: datetime.date | None
    ethnic_group: str
    hukou_type: str
    hukou_type_since: datetime.date | None
    unit_id: int


@dataclass(frozen=True)
class MarriageRow:
    id: int
    husband_id: int
    wife_id: int
    start_date: datetime.date
    end_date: datetime.date | None
    husband_kind: str
    wife_kind: str


@dataclass(frozen=True)
class DeclaredRow:
    value: bool
    since: datetime.date | None
    evidence: str


PERSON_FIELDS = (
    "id", "sex", "birth_date", "death_date", "ethnic_group", "hukou_type", "hukou_type_since",
    "unit_id",
)  # fmt: skip
MARRIAGE_FIELDS = (
    "id", "husband_id", "wife_id", "start_date", "end_date", "husband_kind", "wife_kind",
)  # fmt: skip


def chunks(ids: Iterable[int], size: int = CHUNK) -> Iterator[list[int]]:
    ordered = sorted(set(ids))
    for start in range(0, len(ordered), size):
        yield ordered[start : start + size]


@dataclass
class FamilyData:
    """What the evaluator reads about the parents in `focus` (see the module docstring)."""

    persons: dict[int, PersonRow] = field(default_factory=dict)
    children: dict[int, set[int]] = field(default_factory=lambda: defaultdict(set))
    parents: dict[int, set[int]] = field(default_factory=lambda: defaultdict(set))
    marriages: dict[int, list[MarriageRow]] = field(default_factory=lambda: defaultdict(list))
    hukou_changes: dict[int, list[tuple[datetime.date, str]]] = field(
        default_factory=lambda: defaultdict(list)
    )
    first_hukou: dict[int, str] = field(default_factory=dict)
    declared: dict[tuple[int, str], DeclaredRow] = field(default_factory=dict)
    focus: set[int] = field(default_factory=set)
    _declared_for: set[int] = field(default_factory=set)

    @classmethod
    def load(cls, parent_ids: Iterable[int]) -> FamilyData:
        data = cls()
        data.add_focus(parent_ids)
        return data

    # -- loading --

    def _links(self, **lookup) -> set[int]:
        """Biological links for `parent_id__in` or `child_id__in`; returns the ids reached."""
        (name, ids), = lookup.items()  # fmt: skip
        reached: set[int] = set()
        for chunk in chunks(ids):
            rows = ParentChild.objects.values_list("parent_id", "child_id").filter(
                kind=BIOLOGICAL, **{name: chunk}
            )
            for parent_id, child_id in rows:
                self.children[parent_id].add(child_id)
                self.parents[child_id].add(parent_id)
                reached.add(child_id if name == "parent_id__in" else parent_id)
        return reached

    def add_focus(self, parent_ids: Iterable[int]) -> None:
        """Load what the evaluator needs about these persons as spouses."""
        new = set(parent_ids) - self.focus
        if not new:
            return
        self.focus |= new
        kids = self._links(parent_id__in=new)
        co_parents = self._links(child_id__in=kids)
        grandparents = self._links(child_id__in=new)
        siblings = self._links(parent_id__in=grandparents)
        self._load_persons(new | kids | co_parents | grandparents | siblings)
        for chunk in chunks(new):
            marriages = Marriage.objects.values_list(*MARRIAGE_FIELDS)
            for row in marriages.filter(husband_id__in=chunk):
                self._add_marriage(MarriageRow(*row))
            for row in marriages.filter(wife_id__in=chunk):
                self._add_marriage(MarriageRow(*row))
            # By person and state only (the person index): with `kind` in the WHERE clause
            # SQLite may pick the (kind, date) index and read every registration change.
            events = Event.objects.values_list("person_id", "date", "hukou_type", "id", "kind")
            changes = [
                row
                for row in events.filter(person_id__in=chunk, state=EventState.ACTIVE)
                if row[4] == EventKind.HUKOU_TYPE
            ]
            for person_id, day, hukou_type, _pk, _kind in sorted(changes, key=lambda r: r[1:4:2]):
                self.hukou_changes[person_id].append((day, hukou_type))
        self._load_first_hukou([pk for pk in new if pk in self.hukou_changes])
        self._load_declared((new | kids) - self._declared_for)

    def _load_persons(self, ids: set[int]) -> None:
        for chunk in chunks(ids - set(self.persons)):
            for row in Person.objects.values_list(*PERSON_FIELDS).filter(pk__in=chunk):
                self.persons[row[0]] = PersonRow(*row)

    def _add_marriage(self, row: MarriageRow) -> None:
        for person_id in (row.husband_id, row.wife_id):
            if all(m.id != row.id for m in self.marriages[person_id]):
                self.marriages[person_id].append(row)

    def _load_first_hukou(self, ids: list[int]) -> None:
        """The type recorded when the person was first entered (before any dated change):
        the oldest history row. A bulk-loaded person has none, and the type stays unknown."""
        history = Person.history.model
        for chunk in chunks(ids):
            rows = (
                history.objects.order_by("id", "history_date", "history_id")
                .values_list("id", "hukou_type")
                .filter(id__in=chunk)
            )
            for person_id, hukou_type in rows:
                self.first_hukou.setdefault(person_id, hukou_type)

    def _load_declared(self, ids: set[int]) -> None:
        self._declared_for |= ids
        for chunk in chunks(ids):
            rows = DeclaredFact.objects.values_list(
                "person_id", "fact", "value", "since", "evidence"
            ).filter(person_id__in=chunk)
            for person_id, fact, value, since, evidence in rows:
                self.declared[(person_id, fact)] = DeclaredRow(value, since, evidence)

    # -- reading --

    def mother_and_father(self, child_id: int) -> tuple[int | None, int | None]:
        mother = father = None
        for parent_id in sorted(self.parents.get(child_id, ())):
            parent = self.persons.get(parent_id)
            if parent is None:
                continue
            if parent.sex == "F":
                mother = mother or parent_id
            else:
                father = father or parent_id
        return mother, father

    def children_of(self, parent_id: int) -> list[PersonRow]:
        kids = [self.persons[c] for c in self.children.get(parent_id, ()) if c in self.persons]
        return sorted(kids, key=lambda child: (child.birth_date, child.id))

    def declared_on(self, person_id: int, fact: str, day: datetime.date):
        """(value, (zh, en)) of a declared fact on `day`; value None when not declared or
        declared only from a later date."""
        row = self.declared.get((person_id, fact))
        if row is None:
            return None, None
        basis = (f"已申报：{row.evidence}", f"declared: {row.evidence}")
        if row.value and row.since is not None and row.since > day:
            return None, (
                f"申报自{row.since}起：{row.evidence}",
                f"declared from {row.since}: {row.evidence}",
            )
        return row.value, basis


# --- one spouse's facts --------------------------------------------------------------------------

HUKOU_LABELS = {"agricultural": "农业", "non_agricultural": "非农业", "unified": "居民"}


def hukou_on(data: FamilyData, person: PersonRow, day: datetime.date):
    """(type or None, (zh, en)): the registration type on `day`, from the dated changes; a type
    recorded with no dated change counts for every date ("as registered")."""
    changes = data.hukou_changes.get(person.id, [])
    if not changes:
        if person.hukou_type and (
            person.hukou_type_since is None or person.hukou_type_since <= day
        ):
            if person.hukou_type_since is None:
                return person.hukou_type, (
                    "登记时记录，无变更",
                    "as registered, no change recorded",
                )
            since = person.hukou_type_since
            return person.hukou_type, (f"自{since}起", f"since {since}")
        if person.hukou_type:
            since = person.hukou_type_since
            return None, (f"{since}起的类型已知，此前不详", f"known from {since}, unknown before")
        return None, ("未记录", "not recorded")
    before = [(when, kind) for when, kind in changes if when <= day]
    if before:
        when, kind = before[-1]
        return kind or None, (f"自{when}起", f"since {when}")
    first = data.first_hukou.get(person.id) or None
    when = changes[0][0]
    if first:
        return first, (f"{when}变更前的登记类型", f"as registered before the change of {when}")
    return None, (f"{when}前的类型未记录", f"not recorded before {when}")


def only_child_on(data: FamilyData, person: PersonRow, day: datetime.date):
    """(True/False/None, (zh, en)): whether the person's parents had exactly one child, from
    the registry's biological parent links (siblings born by `day`). A declared fact wins."""
    declared, basis = data.declared_on(person.id, DeclaredFact.Fact.ONLY_CHILD, day)
    if basis is not None and declared is not None:
        return declared, basis
    parents = sorted(data.parents.get(person.id, ()))
    if not parents:
        return None, ("父母未在登记系统中", "parents not in the registry")
    counts = []
    for parent_id in parents:
        born = [c for c in data.children_of(parent_id) if c.birth_date <= day]
        counts.append(max(len(born), 1))
    if any(count > 1 for count in counts):
        return False, (f"父母登记有{max(counts)}个子女", f"the parents have {max(counts)} children")
    if len(parents) >= 2:
        return True, ("父母双方登记仅此一个子女", "both parents have only this child recorded")
    return None, ("只登记了父母一方", "only one parent is in the registry")


def spouse_facts(
    data: FamilyData,
    person_id: int | None,
    day: datetime.date,
    *,
    marriage_kind: str | None,
    other_children: int | None,
) -> rules.SpouseFacts:
    person = data.persons.get(person_id) if person_id is not None else None
    if person is None:
        return rules.SpouseFacts.unknown()
    hukou, hukou_basis = hukou_on(data, person, day)
    only, only_basis = only_child_on(data, person, day)
    overseas, overseas_basis = data.declared_on(person.id, DeclaredFact.Fact.RETURNED_OVERSEAS, day)
    basis = {"hukou_type": hukou_basis, "only_child": only_basis}
    if overseas_basis:
        basis["returned_overseas"] = overseas_basis
    return rules.SpouseFacts(
        known=True,
        birth_date=person.birth_date,
        ethnic_group=person.ethnic_group or "",
        hukou_type=hukou,
        is_only_child=only,
        returned_overseas=overseas,
        marriage_kind=marriage_kind,
        other_children=other_children,
        basis=basis,
    )


# --- the couple ----------------------------------------------------------------------------------


def marriage_on(data: FamilyData, husband_id: int | None, wife_id: int, day: datetime.date):
    """(married, marriage row, (zh, en)): were the two married on `day`, or at some time in the
    pregnancy before it? Unknown (None) when no marriage between them is recorded at all."""
    if husband_id is None:
        return None, None, ("父亲未登记", "the father is not recorded")
    between = sorted(
        (m for m in data.marriages.get(wife_id, []) if m.husband_id == husband_id),
        key=lambda m: (m.start_date, m.id),
    )
    if not between:
        return None, None, ("登记系统中无二人的婚姻记录", "no marriage of the two is recorded")
    earliest = rules.window_start(day)
    covering = [
        m for m in between
        if m.start_date <= day and (m.end_date is None or m.end_date >= earliest)
    ]  # fmt: skip
    if covering:
        marriage = covering[-1]
        return True, marriage, (f"{marriage.start_date}结婚", f"married {marriage.start_date}")
    later = [m for m in between if m.start_date > day]
    if later:
        start = later[0].start_date
        return False, later[0], (f"{start}才结婚", f"married only on {start}")
    last = between[-1]
    return False, last, (f"婚姻已于{last.end_date}结束", f"the marriage ended on {last.end_date}")


def _born_before(children: list[PersonRow], day: datetime.date) -> list[PersonRow]:
    return [child for child in children if child.birth_date < day]


def couple_facts_from(
    data: FamilyData, husband_id: int | None, wife_id: int, day: datetime.date
) -> rules.CoupleFacts:
    """The couple as the registry knew them on `day` (children born before `day`). With no
    husband (a birth whose father is unknown) the mother's children all count."""
    married, marriage, married_basis = marriage_on(data, husband_id, wife_id, day)
    wife_children = _born_before(data.children_of(wife_id), day)
    if husband_id is None:
        joint, wife_others, husband_others = wife_children, 0, None
    else:
        joint = [c for c in wife_children if data.mother_and_father(c.id)[1] == husband_id]
        wife_others = len(wife_children) - len(joint)
        husband_children = _born_before(data.children_of(husband_id), day)
        husband_others = sum(
            1 for c in husband_children if data.mother_and_father(c.id)[0] != wife_id
        )
    children = tuple(
        rules.ChildFacts(
            birth_date=child.birth_date,
            sex=child.sex,
            alive=child.death_date is None or child.death_date >= day,
            disabled=data.declared_on(child.id, DeclaredFact.Fact.DISABILITY, day)[0],
        )
        for child in joint
    )
    return rules.CoupleFacts(
        on_date=day,
        husband=spouse_facts(
            data,
            husband_id,
            day,
            marriage_kind=marriage.husband_kind if marriage else None,
            other_children=husband_others,
        ),  # fmt: skip
        wife=spouse_facts(
            data,
            wife_id,
            day,
            marriage_kind=marriage.wife_kind if marriage else None,
            other_children=wife_others,
        ),  # fmt: skip
        children=children,
        married=married,
        married_basis=married_basis,
    )


def couple_facts(husband: Person | None, wife: Person, on_date: datetime.date) -> rules.CoupleFacts:
    """The couple's facts from the registry as of `on_date` (see `couple_facts_from`)."""
    ids = [wife.pk] + ([husband.pk] if husband is not None else [])
    data = FamilyData.load(ids)
    return couple_facts_from(data, husband.pk if husband is not None else None, wife.pk, on_date)


def district_of(person: Person) -> str:
    return (person.unit.code or "")[:6] if person.unit_id else ""


def evaluate_couple(
    husband: Person | None, wife: Person, on_date: datetime.date, *, province: str | None = None
) -> rules.Entitlement:
    """`rules.evaluate` on the registry's facts and the database's regimes for this area."""
    facts = couple_facts(husband, wife, on_date)
    area = load_regimes().for_area(province or policy_province(), district_of(wife))
    return rules.evaluate(facts, area, on_date)


def affected_births(person: Person) -> set[int]:
    """The births whose classification may use a fact of `person`: their children's (as a
    parent), their siblings' and their own (as a child: order, deaths), and their siblings'
    children (the siblings' only-child status depends on the person's birth)."""
    pk = person.pk
    parents = set(
        ParentChild.objects.filter(child_id=pk, kind=BIOLOGICAL).values_list("parent_id", flat=True)
    )
    siblings = set(
        ParentChild.objects.filter(parent_id__in=parents, kind=BIOLOGICAL).values_list(
            "child_id", flat=True
        )
    )
    spouses_of_children = siblings | {pk}
    births = set(
        ParentChild.objects.filter(parent_id__in=spouses_of_children, kind=BIOLOGICAL).values_list(
            "child_id", flat=True
        )
    )
    return births | siblings | {pk}
