"""The Simplified Chinese catalogue: complete, compiled, in use, and covering the source.

No database: these tests read the committed catalogue and, for coverage, re-extract the
strings from a temporary copy of the package with Django's `makemessages`.
"""

from __future__ import annotations

import gettext
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.utils import translation

import renkou

PACKAGE_DIR = Path(renkou.__file__).resolve().parent
PROJECT_DIR = PACKAGE_DIR.parent
LOCALE = "zh_Hans"
PO_RELATIVE = Path("locale") / LOCALE / "LC_MESSAGES" / "django.po"
PO_PATH = PACKAGE_DIR / PO_RELATIVE
MO_PATH = PO_PATH.with_suffix(".mo")
CI = os.environ.get("CI", "").lower() == "true"


# --- a small .po reader (no dependency) ----------------------------------------------------


@dataclass
class Entry:
    msgid: str = ""
    msgid_plural: str | None = None
    msgctxt: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)
    line: int = 0

    @property
    def key(self) -> str:
        return self.msgid if self.msgctxt is None else f"{self.msgctxt}\x04{self.msgid}"


_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\", "a": "\a", "b": "\b"}
_ESCAPE_RE = re.compile(r"\\(.)")


def _unquote(token: str, where: str) -> str:
    token = token.strip()
    if len(token) < 2 or token[0] != '"' or token[-1] != '"':
        raise ValueError(f"{where}: expected a quoted string, got {token!r}")
    return _ESCAPE_RE.sub(lambda m: _ESCAPES.get(m.group(1), m.group(0)), token[1:-1])


def parse_po(path: Path) -> list[Entry]:
    """Every live entry of a .po file, header included; obsolete (#~) entries are skipped."""
    entries: list[Entry] = []
    current: Entry | None = None
    target: tuple[str, int | None] | None = None  # which field a continuation line extends
    pending_flags: set[str] = set()

    def finish() -> None:
        nonlocal current, target
        if current is not None:
            entries.append(current)
        current, target = None, None

    for number, raw in enumerate(path.read_text("utf-8").splitlines(), start=1):
        line = raw.strip()
        where = f"{path.name}:{number}"
        if not line:
            finish()
            continue
        if line.startswith("#~"):
            continue
        if line.startswith("#"):
            if current is not None and current.msgstr:
                finish()
            if line.startswith("#,"):
                pending_flags |= {f.strip() for f in line[2:].split(",") if f.strip()}
            continue
        keyword, _, rest = line.partition(" ")
        if keyword.startswith('"'):
            if current is None or target is None:
                raise ValueError(f"{where}: continuation line outside an entry")
            name, index = target
            text = _unquote(line, where)
            if name == "msgstr":
                current.msgstr[index] += text
            else:
                setattr(current, name, getattr(current, name) + text)
            continue
        if keyword in {"msgctxt", "msgid"} and current is not None and current.msgstr:
            finish()  # an entry not separated by a blank line from the previous one
        if current is None:
            current = Entry(flags=pending_flags, line=number)
            pending_flags = set()
        if keyword in {"msgctxt", "msgid", "msgid_plural"}:
            setattr(current, keyword, _unquote(rest, where))
            target = (keyword, None)
        elif keyword == "msgstr":
            current.msgstr[0] = _unquote(rest, where)
            target = ("msgstr", 0)
        elif (match := re.fullmatch(r"msgstr\[(\d+)\]", keyword)) is not None:
            index = int(match.group(1))
            current.msgstr[index] = _unquote(rest, where)
            target = ("msgstr", index)
        else:
            raise ValueError(f"{where}: unexpected line {raw!r}")
    finish()
    return entries


def split_header(entries: list[Entry]) -> tuple[Entry, list[Entry]]:
    header = [e for e in entries if e.msgid == "" and e.msgctxt is None]
    assert len(header) == 1, "the catalogue must have exactly one header entry"
    return header[0], [e for e in entries if e is not header[0]]


def header_fields(header: Entry) -> dict[str, str]:
    fields = {}
    for row in header.msgstr[0].splitlines():
        name, sep, value = row.partition(":")
        if sep:
            fields[name.strip()] = value.strip()
    return fields


# --- (a) complete ---------------------------------------------------------------------------


def test_catalogue_header():
    header, _messages = split_header(parse_po(PO_PATH))
    fields = header_fields(header)
    assert "fuzzy" not in header.flags
    assert fields["Language"] == LOCALE
    assert "charset=UTF-8" in fields["Content-Type"]
    assert fields["Plural-Forms"] == "nplurals=1; plural=0;"
    assert fields["Project-Id-Version"].startswith("Renkou")


def test_every_msgid_is_translated_and_none_is_fuzzy():
    _header, messages = split_header(parse_po(PO_PATH))
    assert messages, f"{PO_PATH} has no messages"
    fuzzy = [e.msgid for e in messages if "fuzzy" in e.flags]
    untranslated = [
        e.msgid for e in messages if not e.msgstr or not all(s.strip() for s in e.msgstr.values())
    ]
    assert not fuzzy, "fuzzy entries (review, then drop the flag):\n" + "\n".join(fuzzy)
    assert not untranslated, "untranslated msgids:\n" + "\n".join(untranslated)


def test_placeholders_are_kept():
    _header, messages = split_header(parse_po(PO_PATH))
    placeholder = re.compile(r"%\(\w+\)[sd]|\{\w+\}")
    broken = [
        e.msgid
        for e in messages
        for s in e.msgstr.values()
        if s and sorted(placeholder.findall(e.msgid)) != sorted(placeholder.findall(s))
    ]
    assert not broken, "placeholders differ between msgid and msgstr:\n" + "\n".join(broken)


# --- (b) compiled ---------------------------------------------------------------------------


def test_compiled_catalogue_matches_the_po():
    assert MO_PATH.exists(), f"{MO_PATH} is missing: run `renkou compilemessages`"
    with MO_PATH.open("rb") as handle:
        mo = gettext.GNUTranslations(handle)
    _header, messages = split_header(parse_po(PO_PATH))
    stale = []
    expected_keys = set()
    for entry in messages:
        if entry.msgid_plural is None:
            expected_keys.add(entry.key)
            if mo._catalog.get(entry.key) != entry.msgstr[0]:
                stale.append(entry.msgid)
        else:
            for index, text in entry.msgstr.items():
                expected_keys.add((entry.key, index))
                if mo._catalog.get((entry.key, index)) != text:
                    stale.append(entry.msgid)
    extra = set(mo._catalog) - expected_keys - {""}
    assert not stale, "django.mo is out of date; run `renkou compilemessages`:\n" + "\n".join(stale)
    assert not extra, f"django.mo has entries the .po lacks: {sorted(map(str, extra))}"
    assert mo.gettext("Org units") == "组织机构"


# --- (c) used at run time -------------------------------------------------------------------


def test_chinese_is_served_and_english_stays_english():
    from renkou.core.models import Role

    with translation.override("zh-hans"):
        assert translation.gettext("Org units") == "组织机构"
        assert str(Role.DISTRICT_ADMIN.label) == "区级管理员"
        assert str(Role.GRID_WORKER.label) == "村（社区）网格员"
    with translation.override("en"):
        assert translation.gettext("Org units") == "Org units"
        assert str(Role.DISTRICT_ADMIN.label) == "District administrator"


# --- (d) coverage: every string in the source is in the committed catalogue -----------------


def test_catalogue_covers_every_string_in_the_source(tmp_path):
    missing_tools = [tool for tool in ("xgettext", "msguniq") if shutil.which(tool) is None]
    if missing_tools:
        message = f"GNU gettext is not installed (no {', '.join(missing_tools)})"
        if CI:
            pytest.fail(message + "; CI must install the `gettext` package")
        pytest.skip(message)

    root = tmp_path / "src"
    copy = root / "renkou"
    shutil.copytree(
        PACKAGE_DIR, copy, ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "*.mo")
    )
    shutil.copy2(PROJECT_DIR / "manage.py", root / "manage.py")
    (copy / PO_RELATIVE).unlink()  # extract afresh: no merging, no fuzzy matching

    env = {
        **os.environ,
        "PYTHONPATH": str(root),
        "DJANGO_SETTINGS_MODULE": "renkou.settings",
        "RENKOU_DATA_DIR": str(tmp_path / "data"),
    }
    # The copy must shadow the installed (editable) package, or makemessages would write
    # into the real tree.
    probe = subprocess.run(
        [sys.executable, "-c", "import renkou; print(renkou.__file__)"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert Path(probe.stdout.strip()).resolve().is_relative_to(root.resolve()), probe.stdout

    result = subprocess.run(
        [sys.executable, "manage.py", "makemessages", "--locale", LOCALE, "--no-location"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    regenerated = copy / PO_RELATIVE
    assert regenerated.exists(), result.stdout + result.stderr

    _h, in_source = split_header(parse_po(regenerated))
    _h, committed = split_header(parse_po(PO_PATH))
    committed_keys = {e.key for e in committed}
    missing = sorted({e.key for e in in_source} - committed_keys)
    assert not missing, (
        f"{len(missing)} msgid(s) in the source are missing from {PO_RELATIVE}; run "
        "makemessages, translate them and run compilemessages (see docs/translations.md):\n"
        + "\n".join(missing)
    )
