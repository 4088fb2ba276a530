"""Columns, encodings and date spellings of the department files, and the writer."""

from __future__ import annotations

import csv
import datetime
from dataclasses import dataclass
from pathlib import Path

# file → [(key, 中文表头)]; the English keys are used with ``--feed-headers en``.
COLUMNS: dict[str, list[tuple[str, str]]] = {
    "gongan_births": [
        ("reg_no", "登记编号"), ("name", "姓名"), ("sex", "性别"), ("birth_date", "出生日期"),
        ("id_number", "公民身份号码"), ("ethnic_group", "民族"), ("birth_place", "出生地点"),
        ("mother_name", "母亲姓名"), ("mother_id_number", "母亲公民身份号码"),
        ("father_name", "父亲姓名"), ("father_id_number", "父亲公民身份号码"),
        ("household_no", "户号"), ("address", "住址"), ("registration_date", "登记日期"),
        ("police_station", "登记单位"),
    ],
    "gongan_deaths": [
        ("id_number", "公民身份号码"), ("name", "姓名"), ("sex", "性别"),
        ("birth_date", "出生日期"), ("death_date", "死亡日期"), ("cancel_date", "注销日期"),
        ("cancel_reason", "注销原因"),
        ("address", "住址"), ("police_station", "登记单位"),
    ],
    "gongan_moves": [
        ("business", "业务类型"), ("id_number", "公民身份号码"), ("name", "姓名"), ("sex", "性别"),
        ("birth_date", "出生日期"), ("move_date", "办理日期"), ("division_from", "迁出地区划代码"),
        ("division_to", "迁入地区划代码"), ("reason", "迁移原因"), ("police_station", "登记单位"),
    ],
    "hospital_birth_certificates": [
        ("cert_no", "出生医学证明编号"), ("child_name", "新生儿姓名"), ("child_sex", "性别"),
        ("birth_date", "出生日期"), ("birth_weight_g", "出生体重(克)"),
        ("gestation_weeks", "出生孕周"), ("mother_name", "母亲姓名"),
        ("mother_id_number", "母亲有效身份证件号码"), ("father_name", "父亲姓名"),
        ("father_id_number", "父亲有效身份证件号码"), ("hospital", "助产机构名称"),
        ("issue_date", "签发日期"),
    ],
    "minzheng_marriages": [
        ("cert_no", "结婚证字号"), ("registration_date", "登记日期"),
        ("husband_name", "男方姓名"), ("husband_id_number", "男方身份证件号"),
        ("husband_birth_date", "男方出生日期"), ("husband_status", "男方婚姻状况"),
        ("wife_name", "女方姓名"), ("wife_id_number", "女方身份证件号"),
        ("wife_birth_date", "女方出生日期"), ("wife_status", "女方婚姻状况"),
        ("office", "登记机关"),
    ],
    "minzheng_divorces": [
        ("cert_no", "离婚证字号"), ("registration_date", "登记日期"),
        ("husband_name", "男方姓名"), ("husband_id_number", "男方身份证件号"),
        ("wife_name", "女方姓名"), ("wife_id_number", "女方身份证件号"),
        ("marriage_date", "结婚登记日期"), ("office", "登记机关"),
    ],
    "minzheng_deaths": [
        ("cremation_no", "火化编号"), ("name", "姓名"), ("sex", "性别"),
        ("id_number", "公民身份号码"), ("death_date", "死亡日期"), ("cremation_date", "火化日期"),
        ("funeral_home", "殡仪馆"),
        ("hukou_address", "户籍地址"),
    ],
}  # fmt: skip


@dataclass(frozen=True)
class FeedSpec:
    encoding: str
    newline: str
    date_format: str  # "iso" | "slash" | "compact" | "chinese"
    sort_field: str
    name_fields: tuple[str, ...]
    date_fields: tuple[str, ...]
    id_fields: tuple[str, ...]


SPECS: dict[str, FeedSpec] = {
    "gongan_births": FeedSpec("utf-8", "\n", "iso", "registration_date", ("name", "mother_name"),
                              ("birth_date",), ("id_number", "mother_id_number")),
    "gongan_deaths": FeedSpec("utf-8", "\n", "iso", "cancel_date", ("name",),
                              ("death_date", "birth_date"), ("id_number",)),
    "gongan_moves": FeedSpec("utf-8", "\n", "iso", "move_date", ("name",),
                             ("move_date", "birth_date"), ("id_number",)),
    "hospital_birth_certificates": FeedSpec("gb18030", "\r\n", "slash", "issue_date",
                                            ("mother_name",), ("birth_date",),
                                            ("mother_id_number",)),
    "minzheng_marriages": FeedSpec("utf-8", "\n", "compact", "registration_date",
                                   ("husband_name", "wife_name"), ("registration_date",),
                                   ("husband_id_number", "wife_id_number")),
    "minzheng_divorces": FeedSpec("utf-8", "\n", "compact", "registration_date",
                                  ("husband_name", "wife_name"), ("registration_date",),
                                  ("husband_id_number", "wife_id_number")),
    "minzheng_deaths": FeedSpec("utf-8", "\n", "chinese", "cremation_date", ("name",),
                                ("death_date",), ("id_number",)),
}  # fmt: skip
FEED_FILES = tuple(COLUMNS)


def _format_date(value, style: str) -> str:
    if not isinstance(value, datetime.date):
        return "" if value is None else str(value)
    if style == "iso":
        return value.isoformat()
    if style == "slash":
        return f"{value.year}/{value.month}/{value.day}"
    if style == "compact":
        return f"{value:%Y%m%d}"
    return f"{value.year}年{value.month}月{value.day}日"


def write_feed(path: Path, name: str, rows: list[dict], headers: str) -> None:
    """Write one department file in its own encoding, line ends and date spelling."""
    spec = SPECS[name]
    columns = COLUMNS[name]
    header = [key if headers == "en" else zh for key, zh in columns]
    keys = [key for key, _ in columns]
    style = spec.date_format
    with open(path, "w", encoding=spec.encoding, newline="") as handle:
        writer = csv.writer(handle, lineterminator=spec.newline)
        writer.writerow(header)
        writer.writerows(
            [
                _format_date(v, style) if isinstance(v, datetime.date) else v
                for v in map(row.get, keys)
            ]
            for row in rows
        )
