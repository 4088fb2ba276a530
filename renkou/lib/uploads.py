"""An uploaded file saved to a temporary path, for readers that take a path (lib.formats)."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any


@contextmanager
def saved_upload(upload: Any) -> Iterator[str]:
    """The path of a temporary copy of `upload` (a Django or django-ninja UploadedFile), kept
    while the block runs and removed after. The suffix of the upload's name is kept (at most
    five characters: `.xlsx`, `.csv`), since readers choose the format by it."""
    suffix = Path(getattr(upload, "name", "") or "").suffix.lower()[:5]
    with tempfile.NamedTemporaryFile(suffix=suffix) as handle:
        for chunk in upload.chunks():
            handle.write(chunk)
        handle.flush()
        yield handle.name
