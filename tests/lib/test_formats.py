"""Tests for renkou.lib.formats (no Django, no database).  Files are written for real."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from pathlib import Path

import openpyxl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from renkou.lib import formats
from renkou.lib.formats import InvalidDate, Row, TableError, parse_date, read_table

FULLWIDTH_DIGITS = str.maketrans({str(d): chr(ord(str(d)) + 0xFEE0) for d in range(10)})

PEOPLE_CSV = (
    "姓名,身份证号,出生日期,社区\n"
    "张伟,11010519491231002X,1949-12-31,和平里社区\n"
    "王芳,110105491231002,1949/12/31,安贞里社区\n"
    "李娜,,1949年12月31日,小关社区\n"
)
EXPECTED_PEOPLE = [
    Row(2, {"姓名": "张伟", "身份证号": "11010519491231002X", "出生日期": "1949-12-31",
            "社区": "和平里社区"}),
    Row(3, {"姓名": "王芳", "身份证号": "110105491231002", "出生日期": "1949/12/31",
            "社区": "安贞里社区"}),
    Row(4, {"姓名": "李娜", "身份证号": "", "出生日期": "1949年12月31日", "社区": "小关社区"}),
]  # fmt: skip


# --------------------------------------------------------------------------- normalise_digits


def test_normalise_digits() -> None:
    assert formats.normalise_digits("１２３ａｂｃＸ\u3000张三，") == "123abcX 张三，"


# --------------------------------------------------------------------------- parse_date


@pytest.mark.parametrize(
    "text",
    [
        "2024-03-05",
        "20240305",
        "2024/3/5",
        "2024.3.5",
        "2024-3-5",
        "2024/03/05",
        "2024年3月5日",
        "2024年03月05日",
        "2024 年 3 月 5 日",
        "  2024-03-05\t",
        "２０２４－０３－０５",
        "２０２４年３月５日",
        "\u30002024/3/5\u3000",
    ],
)
def test_parse_date_formats(text: str) -> None:
    assert parse_date(text) == datetime.date(2024, 3, 5)


def test_parse_date_accepts_date_objects() -> None:
    assert parse_date(datetime.date(2024, 3, 5)) == datetime.date(2024, 3, 5)
    assert parse_date(datetime.datetime(2024, 3, 5, 14, 30)) == datetime.date(2024, 3, 5)


@pytest.mark.parametrize("text", ["", "   ", "\u3000", None])
def test_parse_date_empty(text: str | None) -> None:
    with pytest.raises(InvalidDate) as caught:
        parse_date(text)
    assert caught.value.code == "empty"
    assert str(caught.value) == "日期为空 / the date is empty"


def test_parse_date_month_out_of_range() -> None:
    with pytest.raises(InvalidDate) as caught:
        parse_date("2024-13-01")
    error = caught.value
    assert error.code == "value"
    assert error.message_zh == "无法识别的日期“2024-13-01”：月份应为1–12"
    assert error.message_en == "unrecognised date '2024-13-01': month must be 1–12"
    assert str(error) == f"{error.message_zh} / {error.message_en}"
    assert isinstance(error, ValueError)


@pytest.mark.parametrize(
    ("text", "zh", "en"),
    [
        ("2023-02-29", "2023年2月的日期应为1–28", "day must be 1–28 in 2023-02"),
        ("2024-02-30", "2024年2月的日期应为1–29", "day must be 1–29 in 2024-02"),
        ("2024年4月31日", "2024年4月的日期应为1–30", "day must be 1–30 in 2024-04"),
        ("20241200", "2024年12月的日期应为1–31", "day must be 1–31 in 2024-12"),
        ("2024.0.5", "月份应为1–12", "month must be 1–12"),
        ("0000-01-01", "年份不能为0", "year must be 1 or later"),
    ],
)
def test_parse_date_impossible_dates(text: str, zh: str, en: str) -> None:
    with pytest.raises(InvalidDate) as caught:
        parse_date(text)
    assert caught.value.code == "value"
    assert caught.value.message_zh == f"无法识别的日期“{text}”：{zh}"
    assert caught.value.message_en == f"unrecognised date '{text}': {en}"
    assert caught.value.text == text


@pytest.mark.parametrize(
    "text",
    ["2024-03", "03/05/2024", "5.3.2024", "2024-03/05", "2024035", "yesterday", "24-3-5"],
)
def test_parse_date_unrecognised_format(text: str) -> None:
    with pytest.raises(InvalidDate) as caught:
        parse_date(text)
    assert caught.value.code == "format"
    assert f"“{text}”" in caught.value.message_zh
    assert "2024年3月5日" in caught.value.message_zh
    assert f"'{text}'" in caught.value.message_en


@pytest.mark.parametrize("number", [45356, 45356.0, 20240305, True])
def test_parse_date_rejects_numbers(number: object) -> None:
    with pytest.raises(InvalidDate) as caught:
        parse_date(number)  # type: ignore[arg-type]
    assert caught.value.code == "format"
    assert "Excel" in caught.value.message_zh
    assert "Excel serial" in caught.value.message_en


DATE_WRITERS: list[Callable[[datetime.date], str]] = [
    lambda d: d.isoformat(),
    lambda d: f"{d:%Y%m%d}",
    lambda d: f"{d.year}/{d.month}/{d.day}",
    lambda d: f"{d.year}.{d.month}.{d.day}",
    lambda d: f"{d.year}-{d.month}-{d.day}",
    lambda d: f"{d:%Y/%m/%d}",
    lambda d: f"{d.year}年{d.month}月{d.day}日",
    lambda d: f"{d:%Y}年{d:%m}月{d:%d}日",
]


@given(
    st.dates(min_value=datetime.date(1900, 1, 1), max_value=datetime.date(2100, 12, 31)),
    st.sampled_from(DATE_WRITERS),
    st.booleans(),
    st.sampled_from(["", " ", "\u3000", "\t"]),
)
def test_parse_date_round_trip(
    day: datetime.date,
    writer: Callable[[datetime.date], str],
    fullwidth: bool,
    padding: str,
) -> None:
    text = writer(day)
    if fullwidth:
        text = text.translate(FULLWIDTH_DIGITS)
    assert parse_date(padding + text + padding) == day


# --------------------------------------------------------------------------- detect_encoding


def test_detect_encoding() -> None:
    assert formats.detect_encoding("姓名".encode("utf-8-sig")) == "utf-8-sig"
    assert formats.detect_encoding("姓名".encode()) == "utf-8"
    assert formats.detect_encoding(b"name,age") == "utf-8"
    assert formats.detect_encoding("姓名,社区".encode("gb18030")) == "gb18030"


def test_detect_encoding_rejects_undecodable_bytes() -> None:
    with pytest.raises(TableError) as caught:
        formats.detect_encoding(b"\xff\xff\x80abc")
    assert "GB18030" in caught.value.message_zh
    assert "GB18030" in caught.value.message_en


def test_detect_encoding_rejects_utf16() -> None:
    with pytest.raises(TableError, match="UTF-16"):
        formats.detect_encoding("姓名".encode("utf-16"))


# --------------------------------------------------------------------------- read_table: text


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
def test_read_csv_in_each_encoding(tmp_path: Path, encoding: str) -> None:
    path = tmp_path / "people.csv"
    path.write_bytes(PEOPLE_CSV.encode(encoding))
    assert list(read_table(path)) == EXPECTED_PEOPLE


def test_gb18030_file_that_is_not_utf8_is_detected(tmp_path: Path) -> None:
    data = PEOPLE_CSV.encode("gb18030")
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    assert formats.detect_encoding(data) == "gb18030"
    path = tmp_path / "gbk.csv"
    path.write_bytes(data)
    assert [row.values["姓名"] for row in read_table(path)] == ["张伟", "王芳", "李娜"]


def test_bom_is_removed_from_first_header(tmp_path: Path) -> None:
    path = tmp_path / "bom.csv"
    path.write_bytes(PEOPLE_CSV.encode("utf-8-sig"))
    first = next(read_table(path, required=["姓名"]))
    assert list(first.values)[0] == "姓名"


def test_tab_separated(tmp_path: Path) -> None:
    path = tmp_path / "people.txt"
    path.write_text("姓名\t社区\t备注\n张伟\t和平里社区\t已核实, 无误\n", encoding="utf-8")
    assert list(read_table(path)) == [
        Row(2, {"姓名": "张伟", "社区": "和平里社区", "备注": "已核实, 无误"})
    ]


def test_semicolon_separated(tmp_path: Path) -> None:
    path = tmp_path / "people.csv"
    path.write_text("姓名;社区\n王芳;安贞里社区\n", encoding="utf-8")
    assert list(read_table(path)) == [Row(2, {"姓名": "王芳", "社区": "安贞里社区"})]


def test_single_column_defaults_to_comma(tmp_path: Path) -> None:
    path = tmp_path / "names.csv"
    path.write_text("姓名\n张伟\n", encoding="utf-8")
    assert list(read_table(path)) == [Row(2, {"姓名": "张伟"})]


def test_blank_lines_skipped_but_line_numbers_true(tmp_path: Path) -> None:
    path = tmp_path / "gaps.csv"
    path.write_text(
        " 姓名 , 社区 \r\n张伟, 和平里社区 \r\n\r\n,\r\n  ,  \r\n李娜,小关社区\r\n",
        encoding="utf-8",
    )
    rows = list(read_table(path))
    assert rows == [
        Row(2, {"姓名": "张伟", "社区": "和平里社区"}),
        Row(6, {"姓名": "李娜", "社区": "小关社区"}),
    ]


def test_multiline_quoted_cell_reports_starting_line(tmp_path: Path) -> None:
    path = tmp_path / "notes.csv"
    path.write_text('姓名,备注\n张伟,"第一行\n第二行"\n王芳,无\n', encoding="utf-8")
    rows = list(read_table(path))
    assert [(row.line, row.values["姓名"]) for row in rows] == [(2, "张伟"), (4, "王芳")]
    assert rows[0].values["备注"] == "第一行\n第二行"


def test_short_rows_are_padded(tmp_path: Path) -> None:
    path = tmp_path / "short.csv"
    path.write_text("姓名,社区,电话\n张伟\n", encoding="utf-8")
    assert list(read_table(path)) == [Row(2, {"姓名": "张伟", "社区": "", "电话": ""})]


def test_value_beyond_last_header_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "wide.csv"
    path.write_text("姓名,社区\n张伟,和平里社区,多余\n", encoding="utf-8")
    rows = read_table(path)
    with pytest.raises(TableError) as caught:
        next(rows)
    assert caught.value.message_zh == "第2行第3列有数据但没有表头"
    assert caught.value.message_en == "line 2, column 3 has a value but no header"


def test_trailing_empty_headers_are_ignored(tmp_path: Path) -> None:
    path = tmp_path / "trailing.csv"
    path.write_text("姓名,社区,,\n张伟,和平里社区,,\n", encoding="utf-8")
    assert list(read_table(path)) == [Row(2, {"姓名": "张伟", "社区": "和平里社区"})]


def test_missing_required_columns(tmp_path: Path) -> None:
    path = tmp_path / "people.csv"
    path.write_text(PEOPLE_CSV, encoding="utf-8")
    with pytest.raises(TableError) as caught:
        read_table(path, required=["姓名", "性别", "户籍地址"])
    assert caught.value.message_zh == "缺少必需的列：性别、户籍地址"
    assert caught.value.message_en == "missing required column(s): 性别, 户籍地址"
    assert str(caught.value) == f"{caught.value.message_zh} / {caught.value.message_en}"


def test_required_columns_present(tmp_path: Path) -> None:
    path = tmp_path / "people.csv"
    path.write_text(PEOPLE_CSV, encoding="utf-8")
    assert len(list(read_table(path, required=("姓名", "身份证号")))) == 3


def test_duplicate_headers(tmp_path: Path) -> None:
    path = tmp_path / "dup.csv"
    path.write_text("姓名,社区, 姓名 \n张伟,和平里社区,张伟\n", encoding="utf-8")
    with pytest.raises(TableError) as caught:
        read_table(path)
    assert caught.value.message_zh == "表头“姓名”重复（第1列和第3列）"
    assert caught.value.message_en == "duplicate header '姓名' (columns 1 and 3)"


def test_empty_header_between_columns(tmp_path: Path) -> None:
    path = tmp_path / "hole.csv"
    path.write_text("姓名,,社区\n张伟,x,和平里社区\n", encoding="utf-8")
    with pytest.raises(TableError) as caught:
        read_table(path)
    assert caught.value.message_zh == "第2列的表头为空"
    assert caught.value.message_en == "column 2 has an empty header"


@pytest.mark.parametrize("content", [b"", b"\n\n  \n", b",,\n"])
def test_empty_file(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "empty.csv"
    path.write_bytes(content)
    with pytest.raises(TableError, match="empty"):
        read_table(path)


def test_header_only_gives_no_rows(tmp_path: Path) -> None:
    path = tmp_path / "header.csv"
    path.write_text("姓名,社区\n", encoding="utf-8")
    assert list(read_table(path, required=["姓名"])) == []


def test_undecodable_text_file(tmp_path: Path) -> None:
    path = tmp_path / "binary.csv"
    path.write_bytes(b"\xff\xfe\xff\x80\x00garbage")
    with pytest.raises(TableError):
        read_table(path)


def test_legacy_xls_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "old.xls"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100)
    with pytest.raises(TableError, match=r"\.xls"):
        read_table(path)


# --------------------------------------------------------------------------- read_table: XLSX


def write_people_xlsx(path: Path) -> None:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "人口"
    sheet.append(["\ufeff姓名 ", "身份证号", "出生日期", "户数", "面积", "社区", "登记时间"])
    sheet.append(
        ["张伟", "11010519491231002X", datetime.date(1949, 12, 31), 3.0, 12.5, " 和平里社区 ",
         datetime.datetime(2024, 3, 5, 9, 30)]
    )  # fmt: skip
    sheet.append([])  # blank row 3
    sheet.append(
        ["王芳", "110105491231002", datetime.datetime(1949, 12, 31), 2, None, "安贞里社区"]
    )
    sheet.cell(row=2, column=2).number_format = "@"
    # A second sheet must be ignored: only the first is read.
    workbook.create_sheet("说明").append(["请勿修改"])
    workbook.save(path)


def test_read_xlsx(tmp_path: Path) -> None:
    path = tmp_path / "people.xlsx"
    write_people_xlsx(path)
    rows = list(read_table(path, required=["姓名", "身份证号"]))
    assert rows == [
        Row(2, {"姓名": "张伟", "身份证号": "11010519491231002X", "出生日期": "1949-12-31",
                "户数": "3", "面积": "12.5", "社区": "和平里社区",
                "登记时间": "2024-03-05 09:30:00"}),
        Row(4, {"姓名": "王芳", "身份证号": "110105491231002", "出生日期": "1949-12-31",
                "户数": "2", "面积": "", "社区": "安贞里社区", "登记时间": ""}),
    ]  # fmt: skip


def test_xlsx_detected_by_content_not_extension(tmp_path: Path) -> None:
    path = tmp_path / "really-a-workbook.csv"
    write_people_xlsx(path)
    assert path.read_bytes().startswith(b"PK\x03\x04")
    assert [row.line for row in read_table(path)] == [2, 4]


def test_xlsx_id_number_stored_as_number_looks_excel_mangled(tmp_path: Path) -> None:
    from renkou.lib import idnumber

    path = tmp_path / "numbers.xlsx"
    workbook = openpyxl.Workbook()
    workbook.active.append(["身份证号"])
    # What Excel keeps of 11010519491231002X typed into a General cell: 15 significant digits.
    workbook.active.append([1.10105194912310e17])
    workbook.save(path)
    (row,) = read_table(path)
    assert row.values["身份证号"] == "110105194912310000"
    with pytest.raises(idnumber.InvalidIdNumber) as caught:
        idnumber.parse(row.values["身份证号"])
    assert caught.value.code == "excel_mangled"


def test_xlsx_missing_required_and_duplicates(tmp_path: Path) -> None:
    path = tmp_path / "bad.xlsx"
    workbook = openpyxl.Workbook()
    workbook.active.append(["姓名", "社区", "姓名"])
    workbook.save(path)
    with pytest.raises(TableError, match="duplicate header '姓名'"):
        read_table(path)
    workbook.active.delete_rows(1)
    workbook.active.append(["姓名", "社区"])
    workbook.save(path)
    with pytest.raises(TableError, match="身份证号"):
        read_table(path, required=["身份证号"])


def test_xlsx_header_below_blank_rows(tmp_path: Path) -> None:
    path = tmp_path / "offset.xlsx"
    workbook = openpyxl.Workbook()
    workbook.active["A3"] = "姓名"
    workbook.active["A5"] = "李娜"
    workbook.save(path)
    assert list(read_table(path)) == [Row(5, {"姓名": "李娜"})]


def test_empty_xlsx(tmp_path: Path) -> None:
    path = tmp_path / "empty.xlsx"
    openpyxl.Workbook().save(path)
    with pytest.raises(TableError, match="empty"):
        read_table(path)


def test_corrupt_zip(tmp_path: Path) -> None:
    path = tmp_path / "broken.xlsx"
    path.write_bytes(b"PK\x03\x04" + b"\x00" * 50)
    with pytest.raises(TableError) as caught:
        read_table(path)
    assert "XLSX" in caught.value.message_zh


def test_abandoned_iteration_closes_workbook(tmp_path: Path) -> None:
    path = tmp_path / "people.xlsx"
    write_people_xlsx(path)
    rows = read_table(path)
    next(rows)
    rows.close()  # must not raise; the archive is closed in the generator's finally
    with pytest.raises(StopIteration):
        next(rows)
