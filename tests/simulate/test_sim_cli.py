"""``python -m renkou.simulate`` and the management command."""

from __future__ import annotations

import io
import subprocess
import sys

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from renkou.simulate.management.commands.simulate import Command


def test_python_dash_m(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "renkou.simulate", "--persons", "800", "--seed", "2", "--out",
         str(tmp_path / "d"), "--quiet"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "d" / "persons.csv").exists()
    assert not (tmp_path / "d" / "feeds").exists()


def test_management_command(tmp_path):
    out = io.StringIO()
    call_command(Command(), persons=800, seed=2, out=str(tmp_path / "d"), feeds=True,
                 feed_headers="en", stdout=out)  # fmt: skip
    assert "persons" in out.getvalue()
    header = (tmp_path / "d" / "feeds" / "gongan_births.csv").read_text().split("\n")[0]
    assert header.startswith("reg_no,name,sex,birth_date,id_number")


def test_bad_arguments_are_refused(tmp_path):
    with pytest.raises(CommandError):
        call_command(Command(), persons=10, out=str(tmp_path / "d"), stdout=io.StringIO())
