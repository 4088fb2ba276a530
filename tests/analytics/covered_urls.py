"""URL names of this app that a scoping test covers (read by tests/core/test_scoping_matrix.py).

tests/analytics/test_views.py: outsider → 404, feed account / township staff (snapshot) → 403,
allowed roles → 200."""

COVERED: set[str] = {"analytics-dashboard", "analytics-export", "analytics-build-snapshot"}
