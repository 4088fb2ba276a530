"""The qualification cycle on the registry: candidates with explanations, township
confirmation scoped to units, posting, objections, approval, continuing beneficiaries and
exits with their reasons, the random check."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from renkou.benefits import actions, programmes
from renkou.benefits.models import Candidate, Cycle, Programme
from renkou.registry import actions as registry
from tests.benefits.conftest import D, jiangfu, run_to_approval

pytestmark = pytest.mark.django_db


def _by_name(cycle):
    return {c.person.name: c for c in cycle.candidates.select_related("person")}


def test_programmes_are_loaded_from_the_files():
    codes = set(Programme.objects.values_list("code", flat=True))
    assert {"jiangfu", "tefu_died", "tefu_disabled", "complication", "only_child_reward",
            "childcare"} <= codes  # fmt: skip
    again = programmes.load()
    assert again.created == [] and again.updated == []


def test_candidates_are_found_with_every_criterion_explained(cast, village):
    cycle = actions.open_cycle(
        actor=cast.district_staff, programme=jiangfu(), year=2025, district=cast.unit("district")
    )
    found = _by_name(cycle)
    assert set(found) == {"甲父", "甲母", "乙父", "乙母"}
    for candidate in found.values():
        assert candidate.kind == "new" and candidate.amount == Decimal("960.00")
        assert candidate.shares == {"central": "768.00", "provincial": "96.00", "local": "96.00"}
        assert len(candidate.criteria) == 7
        assert all(c["fact_zh"] and c["fact_en"] and c["source"] for c in candidate.criteria)
    assert found["甲父"].outcome == found["甲母"].outcome == "eligible"
    # 乙's second daughter (1986) is classified "unknown" by the policy engine (whether Sichuan
    # applied the 1.5-child rule is not recorded): the candidate is to verify, not guessed.
    assert found["乙父"].outcome == found["乙母"].outcome == "unknown"
    unknown = [c for c in found["乙母"].criteria if c["met"] is None]
    assert [c["code"] for c in unknown] == ["4:no_birth_outside_policy"]
    children = next(c for c in found["乙母"].criteria if c["code"].endswith("children"))
    assert "女女" in children["fact_zh"]
    # the outsider's couple is not in our cycle; theirs would be in their own
    assert not cycle.candidates.filter(person__name__startswith="邻").exists()


def test_township_confirms_only_its_own_candidates(cast, village):
    cycle = actions.open_cycle(
        actor=cast.district_staff, programme=jiangfu(), year=2025, district=cast.unit("district")
    )
    ids = list(cycle.candidates.values_list("pk", flat=True))
    count = actions.confirm_candidates(actor=cast.township_staff, cycle=cycle, candidate_ids=ids)
    assert count == 2  # 东城街道's 甲 couple; 乙 lives in 青山镇
    states = {c.person.name: c.state for c in cycle.candidates.select_related("person")}
    assert states == {"甲父": "confirmed", "甲母": "confirmed", "乙父": "found", "乙母": "found"}
    with pytest.raises(ValidationError):
        actions.post_cycle(actor=cast.district_staff, cycle=cycle, posting_from=D(2026, 1, 1),
                           posting_to=D(2026, 1, 7))  # fmt: skip


def test_posting_objection_and_approval(cast, village):
    cycle = actions.open_cycle(
        actor=cast.district_staff, programme=jiangfu(), year=2025, district=cast.unit("district")
    )
    ids = list(cycle.candidates.values_list("pk", flat=True))
    actions.confirm_candidates(actor=cast.district_staff, cycle=cycle, candidate_ids=ids)
    actions.post_cycle(actor=cast.district_staff, cycle=cycle, posting_from=D(2026, 1, 5),
                       posting_to=D(2026, 1, 12))  # fmt: skip
    target = _by_name(cycle)["乙父"]
    objection = actions.record_objection(
        actor=cast.township_staff, candidate=target, text="实际为非农户口", raised_on=D(2026, 1, 8)
    )
    with pytest.raises(ValidationError):  # the posting has not ended
        actions.approve_cycle(actor=cast.district_admin, cycle=cycle, today=D(2026, 1, 10))
    with pytest.raises(ValidationError):  # an objection is pending
        actions.approve_cycle(actor=cast.district_admin, cycle=cycle, today=D(2026, 1, 13))
    actions.settle_objection(actor=cast.district_admin, objection=objection, upheld=True,
                             resolution="核实属实")  # fmt: skip
    actions.approve_cycle(actor=cast.district_admin, cycle=cycle, today=D(2026, 1, 13))
    after = _by_name(cycle)
    assert after["乙父"].state == "rejected" and after["乙父"].exit_reason == "objection"
    assert {n for n, c in after.items() if c.state == "approved"} == {"甲父", "甲母", "乙母"}


def test_continuing_beneficiaries_and_exits(cast, village):
    first = run_to_approval(cast, jiangfu(), 2025)
    assert first.candidates.filter(state="approved").count() == 4
    a_father, a_mother = village.a
    b_father, b_mother = village.b
    registry.record_death(actor=cast.district_admin, person=a_father, date=D(2026, 3, 1))
    registry.record_move_out(actor=cast.district_admin, person=b_father, date=D(2026, 4, 1),
                             division_to="440106001001", moves_hukou=True)  # fmt: skip
    second = actions.open_cycle(
        actor=cast.district_staff, programme=jiangfu(), year=2026, district=cast.unit("district")
    )
    found = _by_name(second)
    assert (found["甲父"].kind, found["甲父"].exit_reason) == ("exit", "death")
    assert (found["乙父"].kind, found["乙父"].exit_reason) == ("exit", "moved_away")
    assert found["甲母"].kind == found["乙母"].kind == "continuing"
    alive = next(c for c in found["甲父"].criteria if c["code"].endswith("alive"))
    assert alive["met"] is False and "2026-03-01" in alive["fact_zh"]


def test_age_60_is_reached_on_the_cut_off_date(cast):
    from tests.benefits.conftest import child, couple

    h, w = couple(cast, "戊", born=(1965, 1966), married=1988)
    child(cast, h, w, "F", D(1990, 1, 1))
    cycle = actions.open_cycle(
        actor=cast.district_staff, programme=jiangfu(), year=2025, district=cast.unit("district")
    )
    assert set(_by_name(cycle)) == {"戊父"}  # 60 by 2025-12-31; his wife is 59


def test_random_check_sample(cast, village):
    cycle = run_to_approval(cast, jiangfu(), 2025)
    assert actions.draw_sample(actor=cast.district_staff, cycle=cycle, size=2, seed=7) == 2
    sampled = list(cycle.candidates.filter(sampled=True))
    assert len(sampled) == 2
    actions.record_check(actor=cast.district_staff, candidate=sampled[0], result="correct")
    assert Candidate.objects.get(pk=sampled[0].pk).check_result == "correct"
    not_sampled = cycle.candidates.filter(sampled=False).first()
    with pytest.raises(ValidationError):
        actions.record_check(actor=cast.district_staff, candidate=not_sampled, result="wrong")
    # the same seed draws the same sample
    actions.draw_sample(actor=cast.district_staff, cycle=cycle, size=2, seed=7)
    assert set(cycle.candidates.filter(sampled=True)) == set(sampled)


def test_disability_and_complication_facts_feed_the_evaluator(cast):
    from tests.benefits.conftest import child, couple

    h, w = couple(cast, "己", hukou="non_agricultural", born=(1966, 1968), married=1990)
    son = child(cast, h, w, "M", D(1992, 1, 1))
    actions.record_fact(actor=cast.township_staff, person=son, kind="disability_grade", value=2,
                        evidence="残疾人证 51019919920101001X2")  # fmt: skip
    actions.record_fact(actor=cast.township_staff, person=w, kind="complication_grade", value=3,
                        evidence="鉴定书 2012-05")  # fmt: skip
    district = cast.unit("district")
    tefu = actions.open_cycle(actor=cast.district_staff, year=2025, district=district,
                              programme=Programme.objects.get(code="tefu_disabled"))  # fmt: skip
    assert set(_by_name(tefu)) == {"己父", "己母"}
    assert _by_name(tefu)["己母"].amount == Decimal("9480.00")
    comp = actions.open_cycle(actor=cast.district_staff, year=2025, district=district,
                              programme=Programme.objects.get(code="complication"))  # fmt: skip
    assert set(_by_name(comp)) == {"己母"}
    with pytest.raises(ValidationError):
        actions.record_fact(actor=None, person=son, kind="disability_grade", value=2, evidence=" ")


def test_childcare_is_per_child_and_paid_to_the_mother(cast):
    from tests.benefits.conftest import child, couple

    h, w = couple(cast, "庚", hukou="unified", born=(1993, 1995), married=2020)
    baby = child(cast, h, w, "F", D(2023, 12, 10))
    cycle = actions.open_cycle(actor=cast.district_staff, year=2025, district=cast.unit("district"),
                               programme=Programme.objects.get(code="childcare"))  # fmt: skip
    only = cycle.candidates.get()
    assert only.person_id == baby.pk and only.payee_id == w.pk
    assert only.amount == Decimal("3600.00")


def test_a_district_programme_from_building_blocks(cast, village):
    programme = actions.save_programme(
        actor=cast.district_admin, code="jc-elder-girls", unit=cast.unit("district"),
        name_zh="锦城区独女户老人补助", name_en="Jincheng elderly parents of daughters",
        rule=[{"block": "alive"}, {"block": "in_district", "of": "hukou"},
              {"block": "age_at_least", "years": 65},
              {"block": "children", "mode": "count", "alive_min": 1, "alive_max": 2},
              {"block": "sex", "sex": "F"}],
        amounts=[{"from": "2025-01-01", "monthly": 50}], cost_shares={"local": 1},
    )  # fmt: skip
    cycle = actions.open_cycle(actor=cast.district_staff, programme=programme, year=2025,
                               district=cast.unit("district"))  # fmt: skip
    names = set(_by_name(cycle))
    assert names == {"甲母", "乙母", "丙母", "丁母"}
    assert {c.amount for c in cycle.candidates.all()} == {Decimal("600.00")}
    with pytest.raises(ValidationError):
        actions.save_programme(actor=None, code="bad", unit=None, name_zh="x", name_en="x",
                               rule=[{"block": "age_at_least"}], amounts=[])  # fmt: skip


def test_duplicate_cycle_refused(cast, village):
    district = cast.unit("district")
    actions.open_cycle(actor=None, programme=jiangfu(), year=2025, district=district)
    with pytest.raises(ValidationError):
        actions.open_cycle(actor=None, programme=jiangfu(), year=2025, district=district)
    assert Cycle.objects.filter(programme=jiangfu(), year=2025).count() == 1


def test_the_bulk_prefilter_never_drops_a_candidate(cast, village):
    """Every person the rules accept (or cannot decide) passes each programme's prefilter."""
    from tests.benefits.conftest import child, couple

    h, w = couple(cast, "辛", hukou="unified", born=(1968, 1970), married=1990)
    son = child(cast, h, w, "M", D(1992, 1, 1))
    actions.record_fact(actor=None, person=son, kind="disability_grade", value=3, evidence="证")
    registry.record_death(actor=cast.district_admin, person=village.c[0], date=D(2020, 1, 1))
    # 丁 (urban) have a type recorded only from 2025-06-01: unknown before, so 2015 keeps them
    from renkou.registry.models import Person

    Person.objects.filter(pk__in=[p.pk for p in village.u]).update(hukou_type_since=D(2025, 6, 1))
    from renkou.benefits import queries, rules

    reg = queries.RegistryFacts.load(cast.unit("district"))
    for programme in Programme.objects.all():
        spec = programmes.spec_of(programme)
        for year in (2015, 2025):
            ctx = rules.Context(year, spec.reference_date(year), "51")
            mask = queries.prefilter(reg, spec, ctx)
            for pk in reg.ids.tolist():
                result = rules.evaluate(spec, reg.facts_for(pk, ctx.reference_date), ctx)
                if result.eligible is not False:
                    assert mask[reg.pos[pk]], (programme.code, year, pk)
            kept = {pk for pk in reg.ids[mask].tolist()}
            bulk = queries.evaluate_bulk(reg, spec, ctx)
            assert set(bulk.results) == kept
            if programme.code == "jiangfu" and year == 2015:
                assert bulk.results[village.u[0].pk][0].eligible is None


def test_hukou_type_is_read_on_the_cut_off_date(cast, village):
    """甲 become non-agricultural on 2026-03-01: still rural on 2025-12-31 (as registered
    before the change), not on 2026-12-31 — an exit of continuing beneficiaries."""
    a_father, a_mother = village.a
    first = run_to_approval(cast, jiangfu(), 2025)
    assert {c.person.name for c in first.candidates.filter(state="approved")} >= {"甲父", "甲母"}
    for p in village.a:
        registry.change_hukou_type(actor=cast.district_admin, person=p, date=D(2026, 3, 1),
                                   hukou_type="non_agricultural")  # fmt: skip
    from renkou.benefits import queries, rules

    spec = programmes.spec_of(jiangfu())
    ctx25 = rules.Context(2025, D(2025, 12, 31), "51")
    result, facts = queries.explain(a_father, spec, ctx25, cast.unit("district"))
    assert facts.hukou_type == "agricultural" and result.eligible is True
    second = actions.open_cycle(actor=None, programme=jiangfu(), year=2026,
                                district=cast.unit("district"))  # fmt: skip
    found = _by_name(second)
    assert (found["甲父"].kind, found["甲父"].exit_reason) == ("exit", "no_longer")
    hukou = next(c for c in found["甲母"].criteria if c["code"].endswith("hukou_type"))
    assert hukou["met"] is False and "非农业" in hukou["fact_zh"]
