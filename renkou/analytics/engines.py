"""Engines: the same catalogue executed by DuckDB in-process (default) or PySpark (local mode
here; a cluster at province scale) over the same snapshot Parquet files."""

from __future__ import annotations

import logging
import os
import sys
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import ibis
import pandas as pd

from renkou.analytics.catalogue import CATALOGUE, Indicator, Query, active
from renkou.analytics.exporting import EXPORTERS, LEVELS

COLUMNS = [
    "indicator",
    "level",
    "unit",
    "period",
    "dim",
    "numerator",
    "denominator",
    "value",
    "lower",
    "upper",
]
DECIMALS = 6  # results are rounded so engines agree to the last printed digit

_spark_session: Any = None
_spark_lock = threading.Lock()


def spark_session():
    """One local Spark session per process (start-up takes ~10 s)."""
    global _spark_session
    with _spark_lock:
        if _spark_session is None:
            from pyspark.sql import SparkSession

            # Workers must run this interpreter (with this venv), not whatever `python3` is first
            # on PATH: a different minor version makes Spark refuse the job.
            os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
            os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
            # py4j logs "closing connection" from __del__ at interpreter exit, to closed streams
            logging.getLogger("py4j").setLevel(logging.WARNING)
            _spark_session = (
                SparkSession.builder.master("local[2]")
                .appName("renkou-analytics")
                .config("spark.ui.enabled", "false")
                .config("spark.sql.shuffle.partitions", "2")
                .config("spark.ui.showConsoleProgress", "false")
                .config("spark.sql.autoBroadcastJoinThreshold", str(64 * 1024 * 1024))
                .config("spark.sql.session.timeZone", "UTC")
                .getOrCreate()
            )
            _spark_session.sparkContext.setLogLevel("ERROR")
        return _spark_session


class Engine:
    """An Ibis backend with the snapshot's tables read from Parquet."""

    def __init__(self, snapshot: Path, engine: str = "duckdb", session: Any = None) -> None:
        self.snapshot = Path(snapshot)
        self.name = engine
        if engine == "duckdb":
            self.con = ibis.duckdb.connect()
        elif engine == "spark":
            self.con = ibis.pyspark.connect(session or spark_session())
        else:
            raise ValueError(f"unknown engine {engine!r} (duckdb or spark)")
        self.tables = {}
        for name in EXPORTERS:
            path = self.snapshot / f"{name}.parquet"
            if path.exists():
                table_name = f"rk_{name}_{abs(hash(str(self.snapshot))) % 10**8}"
                self.tables[name] = self.con.read_parquet(str(path), table_name=table_name)
        self.lock = threading.Lock()
        self._units: pd.DataFrame | None = None

    def units(self) -> pd.DataFrame:
        """The snapshot's units table (small), read once."""
        if self._units is None:
            with self.lock:
                self._units = self.tables["units"].to_pandas()
        return self._units

    def unit_names(self) -> dict[str, str]:
        units = self.units()
        return dict(zip(units.code, units.name, strict=True))

    def expression(self, item: Indicator, query: Query, **labels: str):
        """The indicator's expression with an `indicator` column (and any `labels`)."""
        expr = item.compute(self.tables, query)
        extra = {"indicator": ibis.literal(item.code)}
        extra.update({key: ibis.literal(value) for key, value in labels.items()})
        return expr.mutate(**extra)

    def execute(self, expressions: list) -> pd.DataFrame:
        """DuckDB: one query for many indicator expressions (a UNION ALL), since compiling
        and running twenty small queries costs several times more than one. Spark: one job
        per indicator, since it plans a union of many shuffling branches far more slowly
        than the branches one by one."""
        if not expressions:
            return pd.DataFrame(columns=COLUMNS)
        with self.lock:
            if self.name == "spark":
                frames = [expr.to_pandas() for expr in expressions]
                return pd.concat(frames, ignore_index=True)
            return ibis.union(*expressions, distinct=False).to_pandas()

    def run(
        self, query: Query, indicators: Iterable[str | Indicator] | None = None
    ) -> pd.DataFrame:
        """The catalogue (or the named indicators) for one query, in long form, sorted."""
        items = [CATALOGUE[i] if isinstance(i, str) else i for i in (indicators or active())]
        expressions = []
        for item in items:
            if item.pending:
                continue
            try:
                expressions.append(self.expression(item, query))
            except KeyError:  # a snapshot made before the indicator's table existed
                continue
        return tidy(self.execute(expressions), query)

    def run_all_levels(self, period, indicators=None) -> pd.DataFrame:
        """Every unit of every level for one period, in one query."""
        return self.run(Query.of(period, LEVELS), indicators)


def tidy(frame: pd.DataFrame, query: Query) -> pd.DataFrame:
    """Columns in order, period codes for keys, floats rounded, rows sorted."""
    frame = frame[COLUMNS].copy()
    codes = {p.key: p.code for p in query.periods}
    frame["period"] = [codes.get(int(key), str(key)) for key in frame["period"]]
    for name in ("numerator", "denominator", "value", "lower", "upper"):
        frame[name] = pd.to_numeric(frame[name], errors="coerce").astype("float64").round(DECIMALS)
    frame["dim"] = frame["dim"].fillna("").astype(str)
    frame["unit"] = frame["unit"].astype(str)
    order = {level: i for i, level in enumerate(LEVELS)}
    frame["_level"] = frame["level"].map(order)
    frame = frame.sort_values(["indicator", "_level", "unit", "period", "dim"], kind="stable")
    return frame.drop(columns="_level").reset_index(drop=True)
