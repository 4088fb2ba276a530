"""URL names of this app that a scoping test covers (read by tests/core/test_scoping_matrix.py)."""

COVERED: set[str] = set()
