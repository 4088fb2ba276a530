"""Demo district: a handful of birth applications of real young couples of the demo district,
made through `births.actions` by the demo accounts of the right roles (`renkou demo`).

Each of the two demo townships gets drafts and submissions by its grid worker, single-step
registrations (with a number), a rejection and a withdrawal by its township staff, and an
application for a third child made before 2021-05-31 (再生育审批: township review, then the
district's decision). Deterministic for a seed: the couples are drawn with `random.Random`.
"""

from __future__ import annotations

import datetime
import random
from collections import Counter, defaultdict
from dataclasses import dataclass

from django.utils import timezone

from renkou.births import actions, rules
from renkou.births.models import BirthApplication
from renkou.core.models import OrgUnit, User
from renkou.lib import scoping
from renkou.policy import queries as policy_queries
from renkou.registry.models import Marriage, ParentChild, Person, PersonStatus

Line = tuple[str, str]  # (Chinese, English)

# (township staff, grid worker of a village under that township) of core.demo.DEMO_ACCOUNTS
TEAMS = (("dc_staff", "dm_grid"), ("qs_staff", "qsc_grid"))
DISTRICT_STAFF = "qu_staff"
YOUNG = (20, 40)  # wife's age today
SEARCH_ENTITLED = 60  # couples evaluated to find one entitled to a third child in 2021
THREE_CHILD_APPROVAL_UNTIL = rules.THREE_CHILD_REGISTRATION_FROM - datetime.timedelta(days=1)


@dataclass
class Couple:
    wife: Person
    husband: Person
    married_on: datetime.date
    births: list[datetime.date]  # the wife's children's birth dates, sorted

    def order_on(self, day: datetime.date) -> int:
        """The order of the next child: children born up to `day`, plus one."""
        return sum(1 for born in self.births if born <= day) + 1


@dataclass
class Team:
    staff: User
    grid: User | None
    township: OrgUnit
    village: OrgUnit | None


def _unit_of(user: User) -> OrgUnit | None:
    assignment = user.assignments.select_related("unit").first()
    return assignment.unit if assignment else None


def _teams() -> list[Team]:
    users = {u.username: u for u in User.objects.filter(username__in=sum(TEAMS, ()))}
    teams = []
    for staff_name, grid_name in TEAMS:
        staff = users.get(staff_name)
        if staff is None or _unit_of(staff) is None:
            continue
        grid = users.get(grid_name)
        teams.append(Team(staff, grid, _unit_of(staff), _unit_of(grid) if grid else None))
    return teams


def _couples(unit: OrgUnit) -> list[Couple]:
    """Current marriages with both spouses alive and registered under `unit`."""
    marriages = (
        Marriage.objects.filter(
            scoping.prefix_q("wife__unit__path", unit.path),
            scoping.prefix_q("husband__unit__path", unit.path),
            end_date__isnull=True,
            wife__status=PersonStatus.ALIVE,
            husband__status=PersonStatus.ALIVE,
            wife__sex="F",
            husband__sex="M",
        )
        .select_related("wife__unit", "husband__unit")
        .order_by("pk")
    )
    marriages = list(marriages)
    births: dict[int, list[datetime.date]] = defaultdict(list)
    wives = [m.wife_id for m in marriages]
    for start in range(0, len(wives), 900):
        rows = ParentChild.objects.filter(
            parent_id__in=wives[start : start + 900], kind=ParentChild.Kind.BIOLOGICAL
        ).values_list("parent_id", "child__birth_date")
        for parent_id, born in rows:
            births[parent_id].append(born)
    return [Couple(m.wife, m.husband, m.start_date, sorted(births[m.wife_id])) for m in marriages]


def _age(person: Person, day: datetime.date) -> int:
    born = person.birth_date
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


class _Maker:
    """Creates the applications and counts them by state."""

    def __init__(self, rng: random.Random, today: datetime.date, district_staff: User | None):
        self.rng, self.today, self.district_staff = rng, today, district_staff
        self.used: set[int] = set()
        self.made: list[BirthApplication] = []

    def young(self, couples: list[Couple], inside: OrgUnit | None) -> Couple | None:
        """A young couple (under `inside` when given) not used yet whose next child is 1st–3rd."""
        pool = [
            c
            for c in couples
            if c.wife.pk not in self.used
            and YOUNG[0] <= _age(c.wife, self.today) <= YOUNG[1]
            and c.order_on(self.today) <= 3
            and (inside is None or c.wife.unit.path.startswith(inside.path))
            and (inside is None or c.husband.unit.path.startswith(inside.path))
        ]
        return self._take(pool)

    def before_three_child(
        self, couples: list[Couple], *, prefer_entitled: bool
    ) -> tuple[Couple, datetime.date] | None:
        """A couple with two children before 2021-03-01, married then, not used yet; with
        `prefer_entitled`, one the evaluator found entitled to a third child, if any."""
        day = datetime.date(2021, 3, 1)
        pool = [
            c
            for c in couples
            if c.wife.pk not in self.used and c.married_on < day and c.order_on(day) == 3
        ]
        if not pool:
            return None
        self.rng.shuffle(pool)
        chosen = pool[0]
        if prefer_entitled:
            for couple in pool[:SEARCH_ENTITLED]:
                entitlement = policy_queries.evaluate_couple(couple.husband, couple.wife, day)
                if (entitlement.entitled or 0) >= 3:
                    chosen = couple
                    break
        self.used.add(chosen.wife.pk)
        return chosen, day + datetime.timedelta(days=self.rng.randrange(0, 80))

    def _take(self, pool: list[Couple]) -> Couple | None:
        if not pool:
            return None
        couple = self.rng.choice(pool)
        self.used.add(couple.wife.pk)
        return couple

    def create(
        self, actor: User, couple: Couple, *, applied_on: datetime.date | None = None
    ) -> BirthApplication:
        day = applied_on or self.today - datetime.timedelta(days=self.rng.randrange(3, 60))
        day = max(day, couple.married_on)
        order = couple.order_on(day)
        application = actions.create_application(
            actor=actor,
            wife=couple.wife,
            husband=couple.husband,
            child_order=order,
            applied_on=day,
            expected_birth_date=day + datetime.timedelta(days=self.rng.randrange(120, 260)),
            contact_name=couple.wife.name,
            contact_phone=couple.wife.phone,
            reason="演示数据 / demo data",
        )
        self.made.append(application)
        return application

    def documents(self, actor: User, application: BirthApplication) -> None:
        for code in application.documents.values_list("code", flat=True):
            actions.check_document(actor=actor, application=application, code=code)

    def submitted(self, actor: User, couple: Couple) -> BirthApplication:
        application = self.create(actor, couple)
        self.documents(actor, application)
        return actions.submit(actor=actor, application=application)


def _prepared(maker: _Maker, team: Team, couples: list[Couple]) -> tuple[User, Couple | None]:
    """The grid worker with a couple of the village, else the township staff with any couple."""
    if team.grid and team.village and (couple := maker.young(couples, team.village)):
        return team.grid, couple
    return team.staff, maker.young(couples, None)


def _team_applications(maker: _Maker, team: Team, couples: list[Couple]) -> None:
    """Draft and submitted (by the grid worker where the village has couples), registered ×2,
    rejected (township staff) and withdrawn."""
    actor, couple = _prepared(maker, team, couples)
    if couple:
        maker.create(actor, couple)
    actor, couple = _prepared(maker, team, couples)
    if couple:
        maker.submitted(actor, couple)
    for _ in range(2):
        if couple := maker.young(couples, None):
            application = maker.submitted(team.staff, couple)
            actions.register(actor=team.staff, application=application, note="材料齐全，予以登记")
    if couple := maker.young(couples, None):
        application = maker.submitted(team.staff, couple)
        actions.reject(
            actor=team.staff,
            application=application,
            reason="申请人已在户籍地办理本孩次生育登记，不重复登记 / "
            "already registered at the household-registration place",
        )
    actor, couple = _prepared(maker, team, couples)
    if couple:
        application = maker.submitted(actor, couple)
        actions.withdraw(actor=actor, application=application, note="申请人撤回 / withdrawn")


def _approval(maker: _Maker, team: Team, couples: list[Couple], *, decide: bool) -> None:
    """再生育审批 for a third child applied for before 2021-05-31: the township reviews; the
    district approves it if the couple was entitled to a third child then, else rejects it
    with the evaluator's answer (or, `decide` False, it waits for the district)."""
    found = maker.before_three_child(couples, prefer_entitled=decide)
    if found is None:
        return
    couple, day = found
    application = maker.create(team.staff, couple, applied_on=min(day, THREE_CHILD_APPROVAL_UNTIL))
    maker.documents(team.staff, application)
    application = actions.submit(actor=team.staff, application=application)
    application = actions.review(actor=team.staff, application=application, note="乡镇审核通过")
    district = maker.district_staff
    if not decide or district is None:
        return
    entitlement = policy_queries.evaluate_couple(
        couple.husband, couple.wife, application.applied_on
    )
    if entitlement.entitled is not None and entitlement.entitled >= 3:
        actions.approve(actor=district, application=application, note="符合再生育条件")
    else:
        actions.reject(
            actor=district,
            application=application,
            reason=f"申请时不符合再生育条件：{entitlement.summary_zh} / "
            f"not entitled on the application date: {entitlement.summary_en}"[:300],
        )


def populate(*, seed: int = 2026, today: datetime.date | None = None) -> list[Line]:
    """Make the demo applications; one summary line with the count by state."""
    teams = _teams()
    if not teams:
        return [("未找到演示账号，未生成申请", "no demo accounts: no applications made")]
    district_staff = User.objects.filter(username=DISTRICT_STAFF).first()
    maker = _Maker(random.Random(seed), today or timezone.localdate(), district_staff)
    for index, team in enumerate(teams):
        couples = _couples(team.township)
        _team_applications(maker, team, couples)
        _approval(maker, team, couples, decide=index == 0)
    states = Counter(
        a.state for a in BirthApplication.objects.filter(pk__in=[a.pk for a in maker.made])
    )
    numbers = BirthApplication.objects.filter(
        pk__in=[a.pk for a in maker.made], registration_number__isnull=False
    ).count()
    zh = "，".join(f"{rules.STATE_LABELS[s][0]} {n}" for s, n in sorted(states.items()))
    en = ", ".join(f"{s} {n}" for s, n in sorted(states.items()))
    return [
        (
            f"生育登记申请 {len(maker.made)} 件（{zh}；已发登记号 {numbers} 个）",
            f"{len(maker.made)} birth applications ({en}; {numbers} numbers issued)",
        )
    ]
