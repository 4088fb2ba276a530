"""Scoped reads of the benefits app, and the registry facts the evaluator runs on.

`RegistryFacts.load(district)` reads, with a handful of `values_list` queries (no per-person query),
what every programme needs about the district's persons: persons, parent links, current
marriages, birth classifications and benefit facts, into numpy arrays. `evaluate_bulk` then
narrows the persons each programme could accept with numpy (each block's prefilter), builds a
`rules.Facts` for the survivors only and runs the same pure `rules.evaluate` as a single
evaluation does.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
from django.conf import settings
from django.db import connection
from django.db.models import CharField, Q, QuerySet
from django.db.models.functions import Cast

from renkou.benefits import rules
from renkou.benefits.models import (
    BankAccount,
    BankImport,
    BenefitFact,
    Candidate,
    Case,
    Cycle,
    Objection,
    Programme,
    Roster,
    RosterLine,
)
from renkou.core.models import OrgUnit, User
from renkou.lib import scoping
from renkou.policy.models import BirthClassification
from renkou.registry.models import Event, EventKind, EventState, Marriage, ParentChild, Person

CHUNK = 900
DEATH_NONE = 10**7  # ordinal beyond any date: "not dead"


# --- scoped reads -------------------------------------------------------------------------------


def _ancestor_paths(user: User) -> list[str]:
    paths = set()
    for path in scoping.unit_paths(user):
        parts = path.rstrip(".").split(".")
        paths.update(".".join(parts[:i]) + "." for i in range(1, len(parts) + 1))
    return sorted(paths)


def overlap_q(user: User, field: str = "unit__path") -> Q | None:
    """Records of a unit that contains one of the user's units or lies in one (a district's
    cycle is the township's too); None: no filter."""
    inner = scoping.scope_q(user, field)
    if inner is None:
        return None
    return inner | Q(**{f"{field}__in": _ancestor_paths(user)})


def _overlapping(queryset: QuerySet, user: User, field: str = "unit__path") -> QuerySet:
    condition = overlap_q(user, field)
    return queryset if condition is None else queryset.filter(condition)


def programmes_visible_to(user: User) -> QuerySet[Programme]:
    """National programmes for everyone; a district's own programmes for its staff."""
    condition = overlap_q(user)
    queryset = Programme.objects.all()
    if condition is None:
        return queryset
    return queryset.filter(Q(unit__isnull=True) | condition)


def get_programme_for(user: User, pk: int) -> Programme:
    return _get(programmes_visible_to(user), pk)


def _get(queryset: QuerySet, pk) -> object:
    try:
        return queryset.get(pk=pk)
    except (queryset.model.DoesNotExist, ValueError, TypeError, OverflowError) as exc:
        raise scoping.OutOfScope() from exc


def cycles_visible_to(user: User) -> QuerySet[Cycle]:
    return _overlapping(Cycle.objects.select_related("programme", "unit"), user)


def get_cycle_for(user: User, pk: int) -> Cycle:
    return _get(cycles_visible_to(user), pk)


def candidates_visible_to(user: User) -> QuerySet[Candidate]:
    return scoping.scope(Candidate.objects.select_related("person", "unit", "cycle"), user)


def get_candidate_for(user: User, pk: int) -> Candidate:
    return _get(candidates_visible_to(user), pk)


def objections_visible_to(user: User) -> QuerySet[Objection]:
    return scoping.scope(Objection.objects.all(), user)


def rosters_visible_to(user: User) -> QuerySet[Roster]:
    return _overlapping(Roster.objects.select_related("cycle__programme", "unit"), user)


def get_roster_for(user: User, pk: int) -> Roster:
    return _get(rosters_visible_to(user), pk)


def get_bank_import_for(user: User, pk: int) -> BankImport:
    """A bank file of a roster the user sees (404 otherwise); the upload itself is not
    loaded."""
    imports = BankImport.objects.defer("content").select_related("roster__cycle__programme")
    return _get(imports.filter(roster__in=rosters_visible_to(user)), pk)


def get_whole_roster_for(user: User, pk: int) -> Roster:
    """A roster whose unit lies in the user's scope (its every line is theirs to see); 404 for
    a roster of a unit above theirs (they see only their own lines of it), as for a missing
    one. For the documents that show the whole roster at once (the PDF)."""
    roster = get_roster_for(user, pk)
    if not scoping.path_in_scope(user, roster.unit.path):
        raise scoping.OutOfScope()
    return roster


def lines_visible_to(user: User) -> QuerySet[RosterLine]:
    return scoping.scope(RosterLine.objects.select_related("person", "unit"), user)


def cases_visible_to(user: User) -> QuerySet[Case]:
    return scoping.scope(Case.objects.select_related("unit", "person"), user)


def get_case_for(user: User, pk: int) -> Case:
    return _get(cases_visible_to(user), pk)


def facts_visible_to(user: User) -> QuerySet[BenefitFact]:
    return scoping.scope(BenefitFact.objects.all(), user)


def accounts_visible_to(user: User) -> QuerySet[BankAccount]:
    return scoping.scope(BankAccount.objects.all(), user)


def district_units(user: User) -> QuerySet[OrgUnit]:
    """The districts (level 1) a user works in: where cycles are run."""
    return scoping.scope(OrgUnit.objects.filter(level=1), user)


def previous_beneficiaries(cycle: Cycle) -> set[int]:
    """Persons approved in the programme's latest earlier cycle of the district (and not exited)."""
    previous = (
        Cycle.objects.filter(
            programme=cycle.programme, unit=cycle.unit, year__lt=cycle.year, status="approved"
        )
        .order_by("-year")
        .first()
    )
    if previous is None:
        return set()
    return set(
        previous.candidates.filter(state="approved")
        .exclude(kind="exit")
        .values_list("person_id", flat=True)
    )


def district_of(unit: OrgUnit) -> OrgUnit:
    """The district (level 1) a unit lies in, itself if it is one: where its cycles run."""
    from renkou.core.queries import ancestors

    return next(u for u in (*ancestors(unit), unit) if u.level <= 1)


def province() -> str:
    value = getattr(settings, "RENKOU_PROVINCE", None)
    if value:
        return str(value)[:2]
    from renkou.policy.queries import policy_province

    return policy_province()


# --- the registry facts of a district ---------------------------------------------------------

PERSON_FIELDS = (
    "id", "sex", "birth_date", "death_date", "status", "hukou_type", "hukou_unit_id",
    "residence_unit_id", "unit_id", "only_child_cert_no", "hukou_type_since",
)  # fmt: skip


@dataclass
class RegistryFacts:
    """The district's persons as arrays (position = index), with their links."""

    ids: np.ndarray
    sex: np.ndarray  # 'M'/'F' as bool: True = female
    birth: np.ndarray  # ordinals
    death: np.ndarray  # ordinals, DEATH_NONE when alive
    deceased: np.ndarray  # status == deceased
    moved: np.ndarray  # status == moved_away
    hukou: np.ndarray  # object array of hukou types (current)
    hukou_since: np.ndarray  # ordinals of hukou_type_since, 0 when not recorded (always)
    hukou_here: np.ndarray
    residence_here: np.ndarray
    cert: np.ndarray
    unit: np.ndarray
    pos: dict[int, int]
    link_parent: np.ndarray
    link_child: np.ndarray
    link_kind: list[str]
    link_since: list[datetime.date | None]
    spouse: dict[int, int]
    policy: dict[int, str]
    facts: dict[tuple[int, str], int]
    hukou_changes: dict[int, list[tuple[datetime.date, str]]] = field(default_factory=dict)
    first_hukou: dict[int, str] = field(default_factory=dict)
    extra: dict[str, np.ndarray] = field(default_factory=dict)  # derived arrays, computed once

    @classmethod
    def load(cls, district: OrgUnit, person_ids: Iterable[int] | None = None) -> RegistryFacts:
        units = set(
            OrgUnit.objects.filter(scoping.prefix_q("path", district.path)).values_list(
                "id", flat=True
            )
        )
        persons = Person.objects.values_list(*PERSON_FIELDS)
        if person_ids is None:
            # Raw rows with the dates as text: Django's and the driver's per-value date
            # converters cost more than the query; numpy parses ISO text in C.
            as_text = {"birth_text": Cast("birth_date", CharField()),
                       "death_text": Cast("death_date", CharField())}  # fmt: skip
            fields = [
                as_text.get(f"{n[:-5]}_text") and f"{n[:-5]}_text" or n for n in PERSON_FIELDS
            ]
            rows = _raw(
                Person.objects.annotate(**as_text)
                .filter(scoping.prefix_q("unit__path", district.path))
                .values_list(*fields)
            )
            links = _raw(
                ParentChild.objects.annotate(since_text=Cast("since", CharField()))
                .filter(kind__in=["biological", "adopted"])
                .values_list("parent_id", "child_id", "kind", "since_text")
            )
        else:
            focus = set(person_ids)
            links = []
            for chunk in _chunks(focus):
                links += ParentChild.objects.values_list(
                    "parent_id", "child_id", "kind", "since"
                ).filter(kind__in=["biological", "adopted"], parent_id__in=chunk)
            spouses = _current_spouses(focus)
            wanted = focus | {c for _p, c, _k, _s in links} | set(spouses.values())
            rows = []
            for chunk in _chunks(wanted):
                rows += persons.filter(pk__in=chunk)
        reg = cls._from_rows(rows, units)
        known = reg.pos
        reg.link_parent, reg.link_child, reg.link_kind, reg.link_since = _link_arrays(links, known)
        reg.spouse = _current_spouses(None) if person_ids is None else _current_spouses(set(known))
        reg.policy, reg.facts = _policy_and_facts(None if person_ids is None else set(known))
        reg.hukou_changes = _hukou_changes(None if person_ids is None else set(known))
        return reg

    @classmethod
    def _from_rows(cls, rows: list[tuple], units: set[int]) -> RegistryFacts:
        n = len(rows)
        cols = list(zip(*rows, strict=True)) if rows else [()] * len(PERSON_FIELDS)
        ids = np.array(cols[0], dtype=np.int64)
        status = np.array(cols[4], dtype=object)
        unit_ids = np.array(sorted(units), dtype=np.int64)
        return cls(
            ids=ids,
            sex=np.array(cols[1], dtype=object) == "F",
            birth=_ordinals(cols[2]),
            death=_ordinals(cols[3]),
            deceased=status == "deceased",
            moved=status == "moved_away",
            hukou=np.array([value or "" for value in cols[5]], dtype=object),
            hukou_since=np.where(_ordinals(cols[10]) == DEATH_NONE, 0, _ordinals(cols[10])),
            hukou_here=np.isin(np.array([v or -1 for v in cols[6]], dtype=np.int64), unit_ids),
            residence_here=np.isin(np.array([v or -1 for v in cols[7]], dtype=np.int64), unit_ids),
            cert=np.fromiter((bool(v) for v in cols[9]), dtype=bool, count=n),
            unit=np.array(cols[8], dtype=np.int64),
            pos={pk: i for i, pk in enumerate(ids.tolist())},
            link_parent=np.zeros(0, dtype=np.int64),
            link_child=np.zeros(0, dtype=np.int64),
            link_kind=[],
            link_since=[],
            spouse={},
            policy={},
            facts={},
        )

    # -- facts of one person --

    def kids_by_parent(self, positions: np.ndarray) -> dict[int, list[int]]:
        """Link indexes of the children of the persons at `positions`."""
        wanted = np.zeros(len(self.ids), dtype=bool)
        wanted[positions] = True
        selected = np.flatnonzero(wanted[self.link_parent])
        grouped: dict[int, list[int]] = defaultdict(list)
        for index, parent in zip(
            selected.tolist(), self.link_parent[selected].tolist(), strict=True
        ):
            grouped[parent].append(index)
        return grouped

    def kid(self, link: int) -> rules.Kid:
        i = int(self.link_child[link])
        child_id = int(self.ids[i])
        death = int(self.death[i])
        grade = self.facts.get((child_id, "disability_grade"))
        return rules.Kid(
            id=child_id,
            sex="F" if self.sex[i] else "M",
            birth_date=datetime.date.fromordinal(int(self.birth[i])),
            death_date=None if death == DEATH_NONE else datetime.date.fromordinal(death),
            kind=self.link_kind[link],
            policy=self.policy.get(child_id, ""),
            disability_grade=grade,
            recovered=bool(self.facts.get((child_id, "recovered"))),
            since=_as_date(self.link_since[link]),
        )

    def hukou_on(self, i: int, day: datetime.date | None) -> str:
        """The registration type on `day` from the dated changes (policy.queries.hukou_on's
        reading); "" when it is not known for that day."""
        current = self.hukou[i]
        if day is None:
            return current
        pk = int(self.ids[i])
        changes = self.hukou_changes.get(pk)
        if not changes:
            return current if int(self.hukou_since[i]) <= day.toordinal() else ""
        before = [kind for when, kind in changes if when <= day]
        if before:
            return before[-1] or ""
        if pk not in self.first_hukou:
            self.first_hukou[pk] = _first_hukou(pk)
        return self.first_hukou[pk]

    def facts_at(self, i: int, links: list[int], day: datetime.date | None = None) -> rules.Facts:
        pk = int(self.ids[i])
        death = int(self.death[i])
        spouse_pk = self.spouse.get(pk)
        j = self.pos.get(spouse_pk) if spouse_pk is not None else None
        status = "deceased" if self.deceased[i] else ("moved_away" if self.moved[i] else "alive")
        return rules.Facts(
            id=pk,
            sex="F" if self.sex[i] else "M",
            birth_date=datetime.date.fromordinal(int(self.birth[i])),
            death_date=None if death == DEATH_NONE else datetime.date.fromordinal(death),
            status=status,
            hukou_type=self.hukou_on(i, day),
            hukou_here=bool(self.hukou_here[i]),
            residence_here=bool(self.residence_here[i]),
            certificate=bool(self.cert[i]),
            children=tuple(self.kid(link) for link in links),
            spouse_id=spouse_pk,
            spouse_sex=None if j is None else ("F" if self.sex[j] else "M"),
            spouse_birth_date=None if j is None else datetime.date.fromordinal(int(self.birth[j])),
            spouse_hukou_type=None if j is None else self.hukou_on(j, day),
            complication_grade=self.facts.get((pk, "complication_grade")),
            unit_id=int(self.unit[i]),
        )

    def facts_for(self, pk: int, day: datetime.date | None = None) -> rules.Facts | None:
        i = self.pos.get(pk)
        if i is None:
            return None
        links = self.kids_by_parent(np.array([i])).get(i, [])
        return self.facts_at(i, links, day)


EPOCH = datetime.date(1970, 1, 1).toordinal()


def _raw(queryset: QuerySet) -> list[tuple]:
    """The rows of a values_list queryset as the database driver returns them (SQLite: dates
    as ISO strings; PostgreSQL: date objects), without Django's per-value converters."""
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _ordinals(values: Iterable) -> np.ndarray:
    """Dates (ISO strings or date objects; None for none) as ordinals; None → DEATH_NONE."""
    values = list(values)
    missing = np.fromiter((v is None or v == "" for v in values), dtype=bool, count=len(values))
    filled = [datetime.date.max if m else v for v, m in zip(values, missing, strict=True)]
    days = np.array(filled, dtype="datetime64[D]").astype(np.int64) + EPOCH
    days[missing] = DEATH_NONE
    return days


def _as_date(value) -> datetime.date | None:
    if value is None or value == "" or isinstance(value, datetime.date):
        return value or None
    return datetime.date.fromisoformat(str(value)[:10])


def _chunks(ids: Iterable[int], size: int = CHUNK):
    ordered = sorted(set(ids))
    for start in range(0, len(ordered), size):
        yield ordered[start : start + size]


def _link_arrays(links: list[tuple], known: dict[int, int]):
    kept = [row for row in links if row[0] in known and row[1] in known]
    parent = np.fromiter((known[r[0]] for r in kept), dtype=np.int64, count=len(kept))
    child = np.fromiter((known[r[1]] for r in kept), dtype=np.int64, count=len(kept))
    return parent, child, [r[2] for r in kept], [r[3] for r in kept]


def _current_spouses(focus: set[int] | None) -> dict[int, int]:
    marriages = Marriage.objects.values_list("husband_id", "wife_id").filter(end_date__isnull=True)
    pairs: list[tuple[int, int]] = []
    if focus is None:
        pairs = list(marriages)
    else:
        for chunk in _chunks(focus):
            pairs += marriages.filter(Q(husband_id__in=chunk) | Q(wife_id__in=chunk))
    spouse: dict[int, int] = {}
    for husband, wife in pairs:
        spouse[husband], spouse[wife] = wife, husband
    return spouse


def _hukou_changes(focus: set[int] | None) -> dict[int, list[tuple[datetime.date, str]]]:
    """Dated registration-type changes (events in force), oldest first."""
    events = Event.objects.filter(kind=EventKind.HUKOU_TYPE, state=EventState.ACTIVE)
    rows: list[tuple] = []
    if focus is None:
        rows = list(events.values_list("person_id", "date", "hukou_type", "id"))
    else:
        for chunk in _chunks(focus):
            rows += events.filter(person_id__in=chunk).values_list(
                "person_id", "date", "hukou_type", "id"
            )
    changes: dict[int, list[tuple[datetime.date, str]]] = defaultdict(list)
    for person_id, day, kind, _pk in sorted(rows, key=lambda r: (r[0], r[1], r[3])):
        changes[person_id].append((day, kind))
    return dict(changes)


def _first_hukou(pk: int) -> str:
    """The type recorded when the person was entered (the oldest history row); "" if none."""
    row = (
        Person.history.model.objects.filter(id=pk)
        .order_by("history_date", "history_id")
        .values_list("hukou_type", flat=True)
        .first()
    )
    return row or ""


def _policy_and_facts(focus: set[int] | None):
    classes = BirthClassification.objects.values_list("child_id", "status")
    facts = BenefitFact.objects.values_list("person_id", "kind", "value")
    if focus is None:
        return dict(classes), {(p, k): v for p, k, v in facts}
    policy, found = {}, {}
    for chunk in _chunks(focus):
        policy.update(classes.filter(child_id__in=chunk))
        found.update({(p, k): v for p, k, v in facts.filter(person_id__in=chunk)})
    return policy, found


# --- prefilters: which persons a block could accept (never fewer than it accepts) ------------


def _years_before(day: datetime.date, years: int) -> int:
    try:
        return day.replace(year=day.year - years).toordinal()
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28).toordinal()


def _spouse_birth(reg: RegistryFacts) -> np.ndarray:
    """Each man's wife's birth (his own when unmarried), for `age_at_least` of the wife."""
    cached = reg.extra.get("spouse_birth")
    if cached is not None:
        return cached
    result = reg.birth.copy()
    for pk, other in reg.spouse.items():
        i, j = reg.pos.get(pk), reg.pos.get(other)
        if i is not None and j is not None and not reg.sex[i]:
            result[i] = reg.birth[j]
    reg.extra["spouse_birth"] = result
    return result


def prefilter(reg: RegistryFacts, spec: rules.ProgrammeSpec, ctx: rules.Context) -> np.ndarray:
    """A boolean mask of the persons the programme could accept (eligible or unknown)."""
    ref = ctx.reference_date.toordinal()
    mask = np.ones(len(reg.ids), dtype=bool)
    for block in spec.rule:
        name = block["block"]
        if name == "alive":
            mask &= (reg.death > ref) & ~(reg.deceased & (reg.death == DEATH_NONE))
        elif name == "in_district":
            here = reg.hukou_here if block.get("of", "hukou") == "hukou" else reg.residence_here
            mask &= here & ~reg.moved
        elif name == "hukou_type":
            types = set(block.get("types", ["agricultural"]))
            if "agricultural" in types:
                types |= rules.UNDECIDED_HUKOU
            changed = np.zeros(len(reg.ids), dtype=bool)
            changed[[reg.pos[p] for p in reg.hukou_changes if p in reg.pos]] = True
            # the type on the cut-off date may differ from today's: changed or dated later
            mask &= np.isin(reg.hukou, list(types)) | changed | (reg.hukou_since > ref)
        elif name == "born_on_or_after":
            mask &= reg.birth >= datetime.date.fromisoformat(block["date"]).toordinal()
        elif name == "born_before":
            mask &= reg.birth < datetime.date.fromisoformat(block["date"]).toordinal()
        elif name == "age_at_least":
            limit = _years_before(ctx.reference_date, int(block["years"]))
            births = _spouse_birth(reg) if block.get("who") == "wife_or_self" else reg.birth
            mask &= births <= limit
        elif name == "age_below":
            mask &= reg.birth > _years_before(ctx.reference_date, int(block["years"]))
        elif name == "sex":
            mask &= reg.sex == (block["sex"] == "F")
        elif name == "children" and block["mode"] in ("jiangfu", "died", "disabled"):
            mask &= _children_mask(reg, block, ref)
        elif name == "certificate":
            mask &= reg.cert
        elif name == "complication_grade":
            graded = [reg.pos[p] for (p, kind) in reg.facts
                      if kind == "complication_grade" and p in reg.pos]  # fmt: skip
            flags = np.zeros(len(reg.ids), dtype=bool)
            flags[graded] = True
            mask &= flags
        elif name == "child_months":
            start = datetime.date.fromisoformat(block.get("from") or f"{ctx.year}-01-01")
            low = max(start, datetime.date(ctx.year, 1, 1))
            mask &= reg.birth >= _years_before(low, int(block["years"])) - 31
            mask &= reg.birth <= datetime.date(ctx.year, 12, 31).toordinal()
    return mask


def _children_mask(reg: RegistryFacts, block: dict, ref: int) -> np.ndarray:
    """The `children` block on counts: born by the cut-off, alive on it, living boys."""
    size = len(reg.ids)
    child = reg.link_child
    born = reg.birth[child] <= ref
    alive = born & (reg.death[child] > ref)
    n_born = np.bincount(reg.link_parent[born], minlength=size)
    n_alive = np.bincount(reg.link_parent[alive], minlength=size)
    mode = block["mode"]
    if mode == "jiangfu":
        boys = np.bincount(reg.link_parent[alive & ~reg.sex[child]], minlength=size)
        return (n_alive == 1) | ((n_alive == 2) & (boys == 0)) | ((n_alive == 0) & (n_born > 0))
    if mode == "died":
        return (n_born > 0) & (n_alive == 0)
    graded = {p for (p, kind) in reg.facts if kind == "disability_grade"}
    has = np.fromiter((int(pk) in graded for pk in reg.ids[child].tolist()), dtype=bool,
                      count=len(child))  # fmt: skip
    return (n_alive == 1) & (np.bincount(reg.link_parent[alive & has], minlength=size) > 0)


@dataclass
class BulkResult:
    results: dict[int, tuple[rules.Result, rules.Facts]]
    considered: int
    total: int


def evaluate_bulk(
    reg: RegistryFacts,
    spec: rules.ProgrammeSpec,
    ctx: rules.Context,
    *,
    also: Iterable[int] = (),
) -> BulkResult:
    """Evaluate the programme for every person the prefilter keeps, plus `also` (last year's
    beneficiaries, who must be re-checked whatever they look like now)."""
    mask = prefilter(reg, spec, ctx)
    for pk in also:
        if pk in reg.pos:
            mask[reg.pos[pk]] = True
    positions = np.flatnonzero(mask)
    grouped = reg.kids_by_parent(positions)
    results = {}
    for i in positions.tolist():
        facts = reg.facts_at(i, grouped.get(i, []), ctx.reference_date)
        results[facts.id] = (rules.evaluate(spec, facts, ctx), facts)
    return BulkResult(results, len(positions), len(reg.ids))


def explain(person: Person, spec: rules.ProgrammeSpec, ctx: rules.Context, district: OrgUnit):
    """One person's evaluation (few queries): (result, facts)."""
    reg = RegistryFacts.load(district, [person.pk])
    facts = reg.facts_for(person.pk, ctx.reference_date)
    return rules.evaluate(spec, facts, ctx), facts


def payee_of(child_id: int) -> int | None:
    """Who is paid for a child: the mother, else the father (育儿补贴)."""
    parents = dict(
        ParentChild.objects.filter(child_id=child_id).values_list("parent__sex", "parent_id")
    )
    return parents.get("F") or parents.get("M")


def payees_of(child_ids: Iterable[int]) -> dict[int, int]:
    found: dict[int, dict[str, int]] = defaultdict(dict)
    for chunk in _chunks(child_ids):
        rows = ParentChild.objects.filter(child_id__in=chunk).values_list(
            "child_id", "parent__sex", "parent_id"
        )
        for child, sex, parent in rows:
            found[child][sex] = parent
    return {c: p.get("F") or p.get("M") for c, p in found.items()}


# --- the lists of the pages and the API ---------------------------------------------------------


def filtered_candidates(user: User, cycle: Cycle, filters) -> QuerySet[Candidate]:
    """The cycle's candidates in the user's units through one `filters.CandidateFilters`:
    the cycle page and GET /benefits/cycles/{id}/candidates alike."""
    return filters.filter(candidates_visible_to(user).filter(cycle=cycle))


def filtered_cases(user: User, filters) -> QuerySet[Case]:
    """The reconciliation cases of the user's units through one `filters.CaseFilters`: the
    case list page and GET /benefits/cases alike."""
    return filters.filter(cases_visible_to(user).select_related("roster__cycle__programme"))


def roster_lines(user: User, roster: Roster) -> QuerySet[RosterLine]:
    """The roster's lines in the user's units, by line number (page, API, exports)."""
    return lines_visible_to(user).filter(roster=roster).order_by("line_no")
