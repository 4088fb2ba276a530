"""The layer contracts of `make lint` (import-linter, pyproject.toml) hold on the tree and
fail on each kind of violation, counting imports inside functions (docs/architecture.md)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def _lint(tree: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"],
        cwd=tree,
        capture_output=True,
        text=True,
        env={"PYTHONPATH": str(tree), "PATH": "/usr/bin:/bin"},
        timeout=300,
    )


@pytest.fixture(scope="module")
def tree(tmp_path_factory) -> Path:
    copy = tmp_path_factory.mktemp("tree")
    for name in ("renkou", "tools"):
        shutil.copytree(ROOT / name, copy / name, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", copy / "pyproject.toml")
    return copy


def test_the_tree_keeps_every_contract(tree):
    result = _lint(tree)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


# (module to append to, code, what the broken-contract report must say of it)
VIOLATIONS = [
    ("renkou/lib/text.py", "from renkou.core import models", "renkou.lib.text -> renkou.core"),
    (
        "renkou/core/rules.py",
        "from renkou.births import rules",
        "renkou.core.rules -> renkou.births.rules",
    ),
    (
        "renkou/registry/rules.py",
        "from renkou.policy import rules",
        "renkou.registry.rules -> renkou.policy.rules",
    ),
    (
        "renkou/policy/rules.py",
        "from renkou.benefits import rules",
        "renkou.policy.rules -> renkou.benefits.rules",
    ),
    (
        "renkou/births/rules.py",
        "from renkou.benefits import rules",
        "renkou.births.rules -> renkou.benefits.rules",
    ),
    (
        "renkou/analytics/queries.py",
        "from renkou.web import views",
        "renkou.analytics.queries -> renkou.web.views",
    ),
    (
        "renkou/births/actions.py",
        "from renkou.benefits import views",
        "renkou.births.actions -> renkou.benefits.views",
    ),
    (
        "renkou/registry/models.py",
        "import renkou.simulate",
        "renkou.registry.models -> renkou.simulate",
    ),
    (
        "renkou/simulate/dates.py",
        "from renkou.registry import models",
        "renkou.simulate.dates -> renkou.registry.models",
    ),
    (
        "renkou/benefits/rules.py",
        "from renkou.policy.rules import _hidden",
        "imports renkou.policy.rules._hidden",
    ),
    (
        "renkou/analytics/exporting.py",
        "from renkou.analytics import snapshot",
        "No cycles are allowed in renkou.analytics",
    ),
]


@pytest.fixture(scope="module")
def broken_report(tree, tmp_path_factory) -> str:
    """One copy of the tree with every violation, each inside a function, linted once."""
    broken = tmp_path_factory.mktemp("broken")
    shutil.copytree(tree, broken, dirs_exist_ok=True)
    for number, (path, code, _said) in enumerate(VIOLATIONS):
        with open(broken / path, "a", encoding="utf-8") as handle:
            handle.write(f"\n\ndef _violation_{number}():\n    {code}\n")
    result = _lint(broken)
    assert result.returncode != 0, result.stdout
    return result.stdout.split("Broken contracts")[-1]


@pytest.mark.parametrize(("path", "code", "said"), VIOLATIONS, ids=[v[0] for v in VIOLATIONS])
def test_each_violation_breaks_a_contract(broken_report, path, code, said):
    assert said in broken_report, broken_report
