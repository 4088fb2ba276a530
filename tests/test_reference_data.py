"""Reference data loaded by data migrations survives a transactional test's flush.

pytest-django runs transactional tests last, in file order: the first flushes every table at
teardown (as every browser test does); the second needs the regimes that the policy app's data
migration loaded.
"""

from __future__ import annotations

import pytest

from renkou.policy.models import Regime


@pytest.mark.django_db(transaction=True)
def test_a_transactional_test_sees_the_regimes():
    assert Regime.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_the_next_test_still_sees_them():
    assert Regime.objects.exists()
