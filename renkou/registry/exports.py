"""XLSX exports of person lists, with Chinese headers and masked ID numbers."""

from __future__ import annotations

import io
from collections.abc import Iterable

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.utils import get_column_letter

from renkou.lib.disclosure import birth_month
from renkou.lib.exportcells import safe_sheet, safe_title
from renkou.lib.masking import mask_id_number, mask_phone
from renkou.registry.models import Person


def persons_xlsx(
    persons: Iterable[Person], title: str, *, full_birth_dates: bool = False
) -> tuple[bytes, int]:
    """A write-only workbook (streams rows; fine for 100k lines) and its row count.

    Birth dates are year-month (出生年月) unless `full_birth_dates` (the reader holds the
    reveal permission; docs/privacy.md); ID numbers show only their region code."""
    workbook = Workbook(write_only=True)
    sheet = safe_sheet(workbook.create_sheet(title=safe_title(title, "persons")))
    born = _("Birth date") if full_birth_dates else _("Birth month")
    headers = [_("Name"), _("Sex"), born, _("ID number"), _("Unit"),
               _("Household-registration division"), _("Floating status"), _("Status"),
               _("Phone")]  # fmt: skip
    widths = [10, 6, 12, 22, 24, 16, 10, 10, 14]
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.append(headers)
    count = 0
    for person in persons:
        count += 1
        sheet.append([
            person.name, person.get_sex_display(),
            person.birth_date if full_birth_dates else birth_month(person.birth_date),
            mask_id_number(person.id_number or ""), person.unit.name, person.hukou_division,
            person.get_floating_display(), person.get_status_display(),
            mask_phone(person.phone),
        ])  # fmt: skip
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue(), count
