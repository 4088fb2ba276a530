"""Issue 13, item 2: what an access-log line keeps of a URL (docs/operations.md, "Logs").

runserver and `renkou serve` themselves are tested in tests/core/test_serve_log.py.
"""

from __future__ import annotations

from renkou.lib.accesslog import clean, strip_query_values

ID_NUMBER = "51019919620308004X"
MOBILE = "13812345678"


def test_query_values_are_dropped_and_names_kept():
    line = f"GET /api/v1/persons?q={ID_NUMBER}&page=2&phone=%2B86{MOBILE} HTTP/1.1"
    assert strip_query_values(line) == "GET /api/v1/persons?q=…&page=…&phone=… HTTP/1.1"
    assert clean(f"/persons/{ID_NUMBER}/") == "/persons/510199************/"
    assert clean("GET /persons/ HTTP/1.1") == "GET /persons/ HTTP/1.1"
