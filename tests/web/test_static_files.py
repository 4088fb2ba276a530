"""Every file a shipped JS or CSS file references is shipped too.

The production static storage rewrites these references to hashed names and stops
`collectstatic` (and so `renkou serve`) when one is missing: a vendored library's
`sourceMappingURL` to a .map that was not vendored did exactly that.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

RENKOU = Path(__file__).resolve().parents[2] / "renkou"
STATIC_FILES = sorted(
    path
    for path in RENKOU.glob("*/static/**/*")
    if path.is_file() and path.suffix in {".js", ".css"}
)
SOURCE_MAP = re.compile(rb"[/*]#\s*sourceMappingURL=(?P<url>[^\s*]+)")
CSS_URL = re.compile(rb"url\(\s*['\"]?(?P<url>[^'\")]+)['\"]?\s*\)")


def _references(path: Path) -> list[str]:
    content = path.read_bytes()
    urls = [m["url"].decode() for m in SOURCE_MAP.finditer(content)]
    if path.suffix == ".css":
        urls += [m["url"].decode() for m in CSS_URL.finditer(content)]
    return [
        url.split("#")[0].split("?")[0]
        for url in urls
        if not url.startswith(("data:", "http:", "https:", "//", "#", "/"))
    ]


def test_static_files_are_found():
    assert any(path.name == "bootstrap.bundle.min.js" for path in STATIC_FILES)


@pytest.mark.parametrize("path", STATIC_FILES, ids=lambda p: str(p.relative_to(RENKOU)))
def test_every_referenced_file_is_shipped(path: Path):
    missing = [url for url in _references(path) if not (path.parent / url).is_file()]
    assert not missing, f"{path.name} references files that are not shipped: {missing}"
