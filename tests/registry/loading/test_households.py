"""Households (`loading.households`) and the rows that depend on a rejected one."""

from __future__ import annotations

from renkou.registry.loading.loader import load_directory
from renkou.registry.models import Household
from tests.registry.loading.data import HOUSEHOLDS, write_directory


def test_rows_of_a_rejected_household_and_marriage_are_rejected_too(cast, tmp_path):
    households = [*HOUSEHOLDS, ("H009", "510198001001001", "邻区")]  # the other district: fine
    households[1] = ("H002", "510199009009009", "")  # unknown unit
    directory = write_directory(tmp_path / "cascade", households=households)
    report = load_directory(directory)
    reasons = {(r.file, r.key): (r.field, r.code, r.reason) for r in report.rejected}
    assert reasons["households.csv", "H002"] == (
        "unit_code", "unknown_unit",
        "未知的单位代码“510199009009009”（不是本系统的单位） / "
        "unknown unit code '510199009009009' (not a unit of this system)",
    )  # fmt: skip
    assert reasons["persons.csv", "P03"] == (
        "household_no", "household_rejected",
        "户第3行被拒绝 / household row 3 was rejected",
    )  # fmt: skip
    # …and so everything that refers to P03 (line 4 of persons.csv): the links, the marriage
    # (its husband) and the events (the marriage event is P03's own: the person is checked
    # before the marriage it names).
    p03_rejected = "人员第4行被拒绝 / person row 4 was rejected"
    assert reasons["parent_child.csv", "P01>P03"] == ("child_key", "person_rejected", p03_rejected)
    assert reasons["marriages.csv", "M01"] == ("husband_key", "person_rejected", p03_rejected)
    assert reasons["events.csv", "E01"] == ("person_key", "person_rejected", p03_rejected)
    assert reasons["events.csv", "E02"] == (  # P06's birth: P06 is of household H002 too
        "person_key", "person_rejected", "人员第7行被拒绝 / person row 7 was rejected",
    )  # fmt: skip
    assert Household.objects.filter(number="H009").exists()
