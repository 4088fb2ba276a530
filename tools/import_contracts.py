"""An import-linter contract import-linter lacks: no app imports another app's private names.

`from renkou.births.actions import _permission_for` (or `actions._permission_for(...)` after
`from renkou.births import actions`) reaches past another app's public surface. A module may
use its own app's private names; tests are not checked (they are outside the root package).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import grimp
from importlinter import Contract, ContractCheck, fields, output

PRIVATE = re.compile(r"^_[A-Za-z0-9]\w*$")


def _app(module: str) -> str:
    parts = module.split(".")
    return ".".join(parts[:2])


class PrivateNamesContract(Contract):
    """Modules of one app may not use a private (`_name`) attribute of another app's module.

    Configuration options:
        - apps: the app packages checked (e.g. renkou.core); names are checked across them.
    """

    type_name = "private_names"
    apps = fields.ListField(subfield=fields.StringField())

    def check(self, graph: grimp.ImportGraph, verbose: bool) -> ContractCheck:
        apps = set(self.apps)  # type: ignore[arg-type]
        violations: list[str] = []
        for module in sorted(graph.modules):
            if _app(module) not in apps:
                continue
            path = _source_path(module)
            if path is None:
                continue
            violations.extend(_private_uses(module, path, apps))
        return ContractCheck(kept=not violations, metadata={"violations": violations})

    def render_broken_contract(self, check: ContractCheck) -> None:
        for line in check.metadata["violations"]:
            output.print_error(line)
            output.new_line()


def _source_path(module: str) -> Path | None:
    base = Path.cwd() / Path(*module.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.exists():
            return candidate
    return None


def _private_uses(module: str, path: Path, apps: set[str]) -> list[str]:
    """`from other_app.x import _y` and `alias._y` where alias names another app's module."""
    own = _app(module)
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    foreign_aliases: dict[str, str] = {}
    found: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            source_app = _app(node.module)
            if source_app not in apps or source_app == own:
                continue
            for alias in node.names:
                if PRIVATE.match(alias.name):
                    found.append(f"{module}:{node.lineno} imports {node.module}.{alias.name}")
                else:
                    foreign_aliases[alias.asname or alias.name] = f"{node.module}.{alias.name}"
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if _app(alias.name) in apps and _app(alias.name) != own and alias.asname:
                    foreign_aliases[alias.asname] = alias.name
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id in foreign_aliases
            and PRIVATE.match(node.attr)
        ):
            target = foreign_aliases[node.value.id]
            found.append(f"{module}:{node.lineno} uses {target}.{node.attr}")
    return found
