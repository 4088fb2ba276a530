"""The persons the simulation keeps for the registry's load tables, and their keys.

Shared by the table builders (`load_tables`, `events`) and the feeds (`feeds`, `summary`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from renkou.simulate.households import Households
from renkou.simulate.population import Simulation

STATUS_NAMES = ("alive", "deceased", "moved_away")
ALIVE, DECEASED, MOVED_AWAY = 0, 1, 2


@dataclass
class KeptRecords:
    sim: Simulation
    end_day: int
    kept: np.ndarray  # sim indices, ascending
    pos: np.ndarray  # sim index → row in ``kept`` or -1
    key: pa.Array
    status: np.ndarray
    name: pa.Array
    surname: np.ndarray
    given: np.ndarray
    first17: np.ndarray  # 0 = no ID number yet
    id_number: pa.Array
    reg_day: np.ndarray
    hukou_group: np.ndarray
    res_group: np.ndarray
    households: Households
    tables: dict[str, pa.Table] = field(default_factory=dict)
    # for the feeds: marriage rows kept (marriage table order) and their keys; moves kept;
    # event keys by source ("birth"/"death": per kept person, "move": per kept move,
    # "marriage"/"divorce": per kept marriage, husband's event)
    marriage_rows: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    marriage_keys: list[str] = field(default_factory=list)
    moves: dict[str, np.ndarray] = field(default_factory=dict)
    event_rank: dict[str, np.ndarray] = field(default_factory=dict)
    cache: dict[str, np.ndarray] = field(default_factory=dict)

    def key_of(self, sim_index: np.ndarray) -> pa.Array:
        """Person keys of sim indices (null where not kept or -1)."""
        index = np.asarray(sim_index, dtype=np.int64)
        rows = np.where(index >= 0, self.pos[np.maximum(index, 0)], -1)
        keys = self.key.take(pa.array(np.maximum(rows, 0)))
        return pc.if_else(pa.array(rows >= 0), keys, pa.scalar(None, pa.string()))

    def group_code(self, group: np.ndarray) -> pa.Array:
        codes = pa.array(self.sim.geo.group_codes, type=pa.string())
        g = np.asarray(group, dtype=np.int64)
        return pc.if_else(pa.array(g >= 0), codes.take(pa.array(np.maximum(g, 0))),
                          pa.scalar(None, pa.string()))  # fmt: skip
