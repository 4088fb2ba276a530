"""``python -m renkou.simulate --persons N --seed S --out DIR [...]`` (no Django needed)."""

from __future__ import annotations

import sys

from renkou.simulate.cli import main

if __name__ == "__main__":
    sys.exit(main())
