"""Fixtures of the loader tests: the family directory and the one with bad rows mixed in."""

from __future__ import annotations

import pytest

from tests.registry.loading.data import (
    BAD_EVENTS,
    BAD_LINKS,
    BAD_MARRIAGES,
    BAD_PERSONS,
    EVENTS,
    LINKS,
    MARRIAGES,
    PERSONS,
    write_directory,
)


@pytest.fixture
def family_dir(tmp_path):
    return write_directory(tmp_path / "family")


@pytest.fixture
def mixed_dir(tmp_path):
    return write_directory(
        tmp_path / "mixed",
        persons=PERSONS + BAD_PERSONS,
        links=LINKS + BAD_LINKS,
        marriages=MARRIAGES + BAD_MARRIAGES,
        events=EVENTS + BAD_EVENTS,
    )
