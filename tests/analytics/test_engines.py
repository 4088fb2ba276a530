"""The same catalogue on DuckDB and on Spark (local mode) over one snapshot: equal results.

Spark starts once for the test session (about 10 s); keep the Spark tests few."""

from __future__ import annotations

import io
import json

import pandas as pd
import pytest
from django.core.management import call_command

from renkou.analytics.catalogue import Query, active
from renkou.analytics.engines import Engine, spark_session


@pytest.fixture(scope="session")
def spark():
    from renkou.analytics import engines

    session = spark_session()
    yield session
    # stop the JVM before interpreter exit, or py4j logs to closed streams at shutdown
    session.stop()
    engines._spark_session = None


def test_duckdb_and_spark_agree(known, spark):
    query = Query.of("2024", ("township", "group"))  # two levels: the roll-up too
    duck = Engine(known.snapshot, "duckdb").run(query)
    on_spark = Engine(known.snapshot, "spark", session=spark).run(query)
    # every indicator has rows but moves in (none in 2024)
    assert set(duck.indicator) == {item.code for item in active()} - {"moves_in"}
    assert len(duck) > 100
    pd.testing.assert_frame_equal(duck, on_spark, check_dtype=False)
    # and the results are not trivially equal: the SRB interval is there on both
    srb = on_spark[(on_spark.indicator == "sex_ratio_at_birth") & (on_spark.unit == "510199001000")]
    assert srb.lower.iloc[0] == pytest.approx(31.206019)


def test_indicators_command_on_spark(known, spark):
    out = io.StringIO()
    call_command(
        "indicators", "--period", "2024Q2", "--level", "township", "--engine", "spark",
        "--indicator", "births", "--format", "json", "--snapshot", str(known.snapshot),
        stdout=out,
    )  # fmt: skip
    rows = json.loads(out.getvalue())
    assert [(r["unit"], r["period"], r["value"]) for r in rows] == [("510199001000", "2024Q2", 2.0)]
