"""A district programme run through every state, for the scoping tests: a 2025 cycle approved
with a roster, an objection and a case; a 2024 cycle posted; a 2026 cycle open."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from renkou.benefits import actions
from renkou.benefits.models import Case
from tests.benefits.conftest import D, accounts_for, person


@dataclass
class World:
    programme: object
    cycle: object
    posted: object
    open: object
    candidate: object
    objection: object
    roster: object
    case: object
    elder: object
    other_elder: object


def _confirm_all(cast, cycle):
    ids = list(cycle.candidates.values_list("pk", flat=True))
    actions.confirm_candidates(actor=cast.district_staff, cycle=cycle, candidate_ids=ids)


def build_world(cast) -> World:
    district = cast.unit("district")
    elder = person(cast, "老人甲", "F", D(1950, 1, 1), "group")
    other_elder = person(cast, "老人乙", "M", D(1951, 1, 1), "group3")
    programme = actions.save_programme(
        actor=cast.district_admin, code="jc-elders", unit=district,
        name_zh="锦城区高龄补助", name_en="Jincheng elders' allowance", source="区办法第3条",
        rule=[{"block": "alive"}, {"block": "in_district", "of": "hukou"},
              {"block": "age_at_least", "years": 60}],
        amounts=[{"from": "2020-01-01", "monthly": 50}], cost_shares={"local": 1},
    )  # fmt: skip
    cycle = actions.open_cycle(actor=cast.district_staff, programme=programme, year=2025,
                               district=district)  # fmt: skip
    _confirm_all(cast, cycle)
    actions.post_cycle(
        actor=None, cycle=cycle, posting_from=D(2025, 1, 5), posting_to=D(2025, 1, 12)
    )
    candidate = cycle.candidates.get(person=elder)
    objection = actions.record_objection(
        actor=None, candidate=candidate, text="核实", raised_on=D(2025, 1, 6)
    )
    actions.settle_objection(actor=None, objection=objection, upheld=False, resolution="不成立")
    actions.approve_cycle(actor=None, cycle=cycle, today=D(2025, 1, 13))
    actions.draw_sample(actor=None, cycle=cycle, size=5, seed=1)
    accounts_for(cast, [elder, other_elder])
    roster = actions.build_roster(actor=None, cycle=cycle, unit=district)
    case = Case.objects.create(
        key="world", kind="missing_line", unit=elder.unit, roster=roster,
        line=roster.lines.get(person=elder), person=elder, detail_zh="测试", detail_en="test",
    )  # fmt: skip
    posted = actions.open_cycle(actor=None, programme=programme, year=2024, district=district)
    _confirm_all(cast, posted)
    actions.post_cycle(
        actor=None, cycle=posted, posting_from=D(2024, 1, 5), posting_to=D(2024, 1, 12)
    )
    opened = actions.open_cycle(actor=None, programme=programme, year=2026, district=district)
    assert roster.total == Decimal("1200.00")
    return World(programme, cycle, posted, opened, candidate, objection, roster, case, elder,
                 other_elder)  # fmt: skip
