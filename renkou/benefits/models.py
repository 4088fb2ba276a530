"""Benefit programmes (as data), qualification cycles, payment rosters, bank results and the
reconciliation worklist (奖励扶助 / 特别扶助 / 并发症扶助 / 独生子女父母奖励 / 育儿补贴 / local).

Programmes are rules built from building blocks (see `renkou.benefits.rules.BLOCKS`) and an
amount schedule by period, loaded from `renkou/benefits/data/*.json` or built by a district
admin. A cycle (资格确认) finds candidates, each with every criterion explained; a roster
(发放名册) lists what to pay; the bank's result file closes the loop; every discrepancy is a
`Case` on a worklist. No fees, no penalties: this app only pays (docs/architecture.md §0).
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

MONEY = {"max_digits": 12, "decimal_places": 2}


class Programme(models.Model):
    """A benefit programme: eligibility rule (building blocks), amounts by period, cost shares,
    top-up layers and the programmes it excludes. National ones come from the data files;
    district ones are built by an admin (`unit` = the district)."""

    class Level(models.TextChoices):
        NATION = "nation", _("national (全国)")
        PROVINCE = "province", _("provincial (省)")
        DISTRICT = "district", _("district (区县)")

    class Subject(models.TextChoices):
        PERSON = "person", _("each parent (per person)")
        CHILD = "child", _("each child (per child)")

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name_zh = models.CharField(_("name (Chinese)"), max_length=100)
    name_en = models.CharField(_("name (English)"), max_length=200)
    level = models.CharField(_("level"), max_length=10, choices=Level.choices)
    unit = models.ForeignKey(
        "core.OrgUnit",
        verbose_name=_("district"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="benefit_programmes",
    )
    subject = models.CharField(
        _("paid for"), max_length=10, choices=Subject.choices, default=Subject.PERSON
    )
    rule = models.JSONField(_("eligibility rule"), default=list)
    amounts = models.JSONField(_("amount schedule"), default=list)
    top_ups = models.JSONField(_("top-up layers"), default=list, blank=True)
    cost_shares = models.JSONField(_("cost shares"), default=dict)
    excludes = models.JSONField(_("excluded programmes"), default=list, blank=True)
    reference_day = models.CharField(_("cut-off day (MM-DD)"), max_length=5, default="12-31")
    source = models.TextField(_("source"), blank=True)
    active = models.BooleanField(_("active"), default=True)
    file_digest = models.CharField(_("digest of the file text"), max_length=40, blank=True)
    loaded_from = models.CharField(_("loaded from"), max_length=100, blank=True)
    edited_locally = models.BooleanField(_("edited in the database"), default=False)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("benefit programme")
        verbose_name_plural = _("benefit programmes")
        ordering = ["level", "code"]

    def __str__(self) -> str:
        return self.name_zh


class BenefitFact(models.Model):
    """A fact the registry does not hold, entered with the evidence seen: a child's disability
    grade (残疾人证), a surgery-complication grade (并发症鉴定), a child's recovery."""

    scope_path_field = "person__unit__path"

    class Kind(models.TextChoices):
        DISABILITY_GRADE = "disability_grade", _("disability grade (残疾等级)")
        COMPLICATION_GRADE = "complication_grade", _("surgery complication grade (并发症等级)")
        RECOVERED = "recovered", _("recovered from disability (康复)")

    person = models.ForeignKey(
        "registry.Person",
        verbose_name=_("person"),
        on_delete=models.PROTECT,
        related_name="benefit_facts",
    )
    kind = models.CharField(_("fact"), max_length=24, choices=Kind.choices)
    value = models.PositiveSmallIntegerField(_("value"))
    since = models.DateField(_("since"), null=True, blank=True)
    evidence = models.CharField(_("evidence"), max_length=200)
    recorded_by = models.ForeignKey(
        "core.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(_("recorded at"), auto_now=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("benefit fact")
        verbose_name_plural = _("benefit facts")
        constraints = [
            models.UniqueConstraint(fields=["person", "kind"], name="benefitfact_person_kind")
        ]

    def __str__(self) -> str:
        return f"{self.person_id} {self.kind}={self.value}"


class BankAccount(models.Model):
    """The account a person is paid into (一卡通). Shown masked everywhere."""

    scope_path_field = "person__unit__path"

    person = models.OneToOneField(
        "registry.Person",
        verbose_name=_("person"),
        on_delete=models.PROTECT,
        related_name="bank_account",
    )
    bank_name = models.CharField(_("bank"), max_length=60)
    account_no = models.CharField(_("account number"), max_length=32)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("bank account")
        verbose_name_plural = _("bank accounts")

    def __str__(self) -> str:
        return f"{self.person_id} {self.bank_name}"


class Cycle(models.Model):
    """The annual qualification (资格确认) of one programme in one district."""

    class Status(models.TextChoices):
        OPEN = "open", _("candidates found (待确认)")
        POSTED = "posted", _("publicly posted (公示中)")
        APPROVED = "approved", _("approved by the district (已审批)")

    programme = models.ForeignKey(
        Programme, verbose_name=_("programme"), on_delete=models.PROTECT, related_name="cycles"
    )
    year = models.PositiveSmallIntegerField(_("year"))
    unit = models.ForeignKey(
        "core.OrgUnit", verbose_name=_("district"), on_delete=models.PROTECT, related_name="+"
    )
    reference_date = models.DateField(_("cut-off date"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default="open")
    posting_from = models.DateField(_("posting from"), null=True, blank=True)
    posting_to = models.DateField(_("posting to"), null=True, blank=True)
    created_by = models.ForeignKey(
        "core.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    approved_by = models.ForeignKey(
        "core.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    sample_seed = models.PositiveIntegerField(_("sample seed"), null=True, blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("qualification cycle")
        verbose_name_plural = _("qualification cycles")
        ordering = ["-year", "programme__code"]
        permissions = [("approve_cycle", _("Can approve a qualification cycle"))]
        constraints = [
            models.UniqueConstraint(
                fields=["programme", "year", "unit"], name="cycle_programme_year_unit"
            )
        ]

    def __str__(self) -> str:
        return f"{self.programme.name_zh} {self.year}"


class Candidate(models.Model):
    """One person in a cycle: the evaluator's answer with every criterion, the kind (new,
    continuing, exit with reason) and the decisions taken on it."""

    scope_path_field = "unit__path"

    class Outcome(models.TextChoices):
        ELIGIBLE = "eligible", _("eligible (符合)")
        NOT_ELIGIBLE = "not_eligible", _("not eligible (不符合)")
        UNKNOWN = "unknown", _("to verify (待核实)")

    class Kind(models.TextChoices):
        NEW = "new", _("new (新增)")
        CONTINUING = "continuing", _("continuing (续发)")
        EXIT = "exit", _("exit (退出)")

    class ExitReason(models.TextChoices):
        NONE = "", _("—")
        DEATH = "death", _("death (死亡)")
        AGE_LIMIT = "age_limit", _("age limit (超龄)")
        NEW_CHILD = "new_child", _("new birth or adoption (再生育/收养)")
        MOVED_AWAY = "moved_away", _("moved away (迁出)")
        OBJECTION = "objection", _("objection upheld (异议成立)")
        NO_LONGER = "no_longer", _("no longer eligible (不再符合)")

    class State(models.TextChoices):
        FOUND = "found", _("found (待确认)")
        CONFIRMED = "confirmed", _("confirmed by the township (乡镇已确认)")
        APPROVED = "approved", _("approved (已审批)")
        REJECTED = "rejected", _("rejected (不予确认)")

    class Check(models.TextChoices):
        NONE = "", _("—")
        CORRECT = "correct", _("correct (属实)")
        WRONG = "wrong", _("wrong (不实)")

    cycle = models.ForeignKey(
        Cycle, verbose_name=_("cycle"), on_delete=models.CASCADE, related_name="candidates"
    )
    person = models.ForeignKey(
        "registry.Person", verbose_name=_("person"), on_delete=models.PROTECT, related_name="+"
    )
    payee = models.ForeignKey(
        "registry.Person",
        verbose_name=_("payee"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    unit = models.ForeignKey(
        "core.OrgUnit", verbose_name=_("unit"), on_delete=models.PROTECT, related_name="+"
    )
    outcome = models.CharField(_("evaluation"), max_length=12, choices=Outcome.choices)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default="new")
    exit_reason = models.CharField(
        _("exit reason"), max_length=12, choices=ExitReason.choices, blank=True, default=""
    )
    criteria = models.JSONField(_("criteria"), default=list)
    variant = models.CharField(_("amount variant"), max_length=40, blank=True)
    amount = models.DecimalField(_("amount"), **MONEY, default=0)
    shares = models.JSONField(_("amount by payer"), default=dict)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default="found")
    confirmed_by = models.ForeignKey(
        "core.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    sampled = models.BooleanField(_("in the random check"), default=False)
    check_result = models.CharField(
        _("check result"), max_length=8, choices=Check.choices, blank=True, default=""
    )
    check_note = models.CharField(_("check note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("candidate")
        verbose_name_plural = _("candidates")
        ordering = ["unit__path", "person_id"]
        permissions = [("confirm_candidate", _("Can confirm candidates (township)"))]
        constraints = [
            models.UniqueConstraint(fields=["cycle", "person"], name="candidate_cycle_person")
        ]
        indexes = [models.Index(fields=["cycle", "outcome", "kind"], name="candidate_outcome")]

    def __str__(self) -> str:
        return f"{self.cycle_id}:{self.person_id}"


class Objection(models.Model):
    """An objection raised during the public posting (公示异议), and how it was settled."""

    scope_path_field = "candidate__unit__path"

    class Outcome(models.TextChoices):
        PENDING = "pending", _("pending (待处理)")
        UPHELD = "upheld", _("upheld (成立)")
        DISMISSED = "dismissed", _("dismissed (不成立)")

    candidate = models.ForeignKey(
        Candidate, verbose_name=_("candidate"), on_delete=models.CASCADE, related_name="objections"
    )
    text = models.CharField(_("objection"), max_length=500)
    raised_on = models.DateField(_("raised on"))
    outcome = models.CharField(
        _("outcome"), max_length=10, choices=Outcome.choices, default="pending"
    )
    resolution = models.CharField(_("resolution"), max_length=500, blank=True)
    recorded_by = models.ForeignKey(
        "core.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("objection")
        verbose_name_plural = _("objections")

    def __str__(self) -> str:
        return f"{self.candidate_id} {self.outcome}"


class Roster(models.Model):
    """A payment roster (发放名册) of one approved cycle for one unit (a township, or the
    whole district)."""

    cycle = models.ForeignKey(
        Cycle, verbose_name=_("cycle"), on_delete=models.PROTECT, related_name="rosters"
    )
    unit = models.ForeignKey(
        "core.OrgUnit", verbose_name=_("unit"), on_delete=models.PROTECT, related_name="+"
    )
    created_by = models.ForeignKey(
        "core.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    total = models.DecimalField(_("total"), **MONEY, default=0)
    line_count = models.PositiveIntegerField(_("lines"), default=0)

    class Meta:
        verbose_name = _("payment roster")
        verbose_name_plural = _("payment rosters")
        ordering = ["-created_at"]
        constraints = [models.UniqueConstraint(fields=["cycle", "unit"], name="roster_cycle_unit")]

    def __str__(self) -> str:
        return f"{self.cycle} {self.unit.name}"


class RosterLine(models.Model):
    """One payment on a roster. The full account number is kept for the bank file; every
    page and export shows it masked."""

    scope_path_field = "unit__path"

    class Status(models.TextChoices):
        PENDING = "pending", _("sent (待回盘)")
        PAID = "paid", _("paid (已发放)")
        FAILED = "failed", _("failed (失败)")

    roster = models.ForeignKey(
        Roster, verbose_name=_("roster"), on_delete=models.CASCADE, related_name="lines"
    )
    line_no = models.PositiveIntegerField(_("line"))
    candidate = models.ForeignKey(
        Candidate, null=True, blank=True, on_delete=models.PROTECT, related_name="lines"
    )
    person = models.ForeignKey(
        "registry.Person", verbose_name=_("person"), on_delete=models.PROTECT, related_name="+"
    )
    unit = models.ForeignKey(
        "core.OrgUnit", verbose_name=_("unit"), on_delete=models.PROTECT, related_name="+"
    )
    amount = models.DecimalField(_("amount"), **MONEY)
    central = models.DecimalField(_("central share"), **MONEY, default=0)
    provincial = models.DecimalField(_("provincial share"), **MONEY, default=0)
    local = models.DecimalField(_("local share"), **MONEY, default=0)
    bank_name = models.CharField(_("bank"), max_length=60, blank=True)
    account_no = models.CharField(_("account number"), max_length=32, blank=True)
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default="pending")
    failure_reason = models.CharField(_("failure reason"), max_length=200, blank=True)
    requeued_from = models.OneToOneField(
        "self",
        verbose_name=_("re-queued from"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="requeued_to",
    )

    class Meta:
        verbose_name = _("roster line")
        verbose_name_plural = _("roster lines")
        ordering = ["roster_id", "line_no"]
        constraints = [
            models.UniqueConstraint(fields=["roster", "line_no"], name="rosterline_roster_no")
        ]

    def __str__(self) -> str:
        return f"{self.roster_id}#{self.line_no}"


class BankImport(models.Model):
    """One bank result file (回盘文件) imported for a roster; the same file twice is one. The
    digest is the file's content fingerprint (line endings, encoding and line order
    normalised), so a re-saved or re-sorted copy is the same file. The upload is kept
    (`content`) until the background task (`benefits.tasks.process_bank_import`) has parsed
    and matched it; `progress`/`total` feed the progress bar; a refused file keeps its first
    problems (`errors`) and the full report (`error_report`, CSV)."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("waiting (排队中)")
        RUNNING = "running", _("processing (处理中)")
        DONE = "done", _("imported (已导入)")
        FAILED = "failed", _("refused (未导入)")

    roster = models.ForeignKey(
        Roster, verbose_name=_("roster"), on_delete=models.CASCADE, related_name="imports"
    )
    digest = models.CharField(_("file digest"), max_length=64)
    file_name = models.CharField(_("file name"), max_length=200, blank=True)
    imported_by = models.ForeignKey(
        "core.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    imported_at = models.DateTimeField(_("imported at"), auto_now_add=True)
    rows = models.PositiveIntegerField(_("rows"), default=0)
    status = models.CharField(
        _("status"), max_length=8, choices=Status.choices, default=Status.DONE
    )
    content = models.BinaryField(_("uploaded file"), null=True, blank=True, editable=False)
    total = models.PositiveIntegerField(_("rows to process"), default=0)
    progress = models.PositiveIntegerField(_("rows processed"), default=0)
    error_count = models.PositiveIntegerField(_("problems"), default=0)
    errors = models.JSONField(_("first problems"), default=list, blank=True)
    error_report = models.TextField(_("problem report (CSV)"), blank=True)

    class Meta:
        verbose_name = _("bank result file")
        verbose_name_plural = _("bank result files")
        constraints = [
            # a refused file does not block a corrected upload of the same name
            models.UniqueConstraint(
                fields=["roster", "digest"],
                condition=~models.Q(status="failed"),
                name="bankimport_roster_digest",
            )
        ]

    def __str__(self) -> str:
        return f"{self.roster_id} {self.file_name}"


class BankResult(models.Model):
    """One line of a bank result file, as the bank reported it."""

    class Status(models.TextChoices):
        PAID = "paid", _("paid (成功)")
        FAILED = "failed", _("failed (失败)")

    bank_import = models.ForeignKey(BankImport, on_delete=models.CASCADE, related_name="results")
    row = models.PositiveIntegerField(_("row in the file"))
    line_no = models.PositiveIntegerField(_("roster line"), null=True, blank=True)
    id_number = models.CharField(_("ID number"), max_length=18, blank=True)
    name = models.CharField(_("name"), max_length=50, blank=True)
    account_no = models.CharField(_("account number"), max_length=32, blank=True)
    amount = models.DecimalField(_("amount"), **MONEY)
    status = models.CharField(_("status"), max_length=8, choices=Status.choices)
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    line = models.ForeignKey(
        RosterLine, null=True, blank=True, on_delete=models.SET_NULL, related_name="results"
    )

    class Meta:
        verbose_name = _("bank result line")
        verbose_name_plural = _("bank result lines")

    def __str__(self) -> str:
        return f"{self.bank_import_id}:{self.row}"


class Case(models.Model):
    """A discrepancy found by reconciliation, on the worklist until resolved
    (帐帐相符、帐实相符)."""

    scope_path_field = "unit__path"

    class Kind(models.TextChoices):
        AMOUNT_MISMATCH = "amount_mismatch", _("amount differs from the roster (金额不符)")
        ACCOUNT_MISMATCH = "account_mismatch", _("account differs from the roster (账号不符)")
        MISSING_LINE = "missing_line", _("roster line missing from the bank file (银行漏发)")
        UNKNOWN_LINE = "unknown_line", _("bank line not on the roster (名册外发放)")
        PAYMENT_FAILED = "payment_failed", _("payment failed (发放失败)")
        PAID_AFTER_DEATH = "paid_after_death", _("paid after death (死亡后发放)")
        PAID_AFTER_EXIT = "paid_after_exit", _("paid after exit (退出后发放)")
        EXCLUSIVE = "exclusive", _("on two programmes that exclude each other (重复享受)")
        SAME_PERSON = "same_person", _("two persons who are one (疑似同一人)")
        NO_ACCOUNT = "no_account", _("no bank account for a roster line (无发放账户)")
        DUPLICATE_PAYMENT = "duplicate_paid", _("roster line paid twice (重复发放)")

    class Status(models.TextChoices):
        OPEN = "open", _("open (待处理)")
        RESOLVED = "resolved", _("resolved (已处理)")

    key = models.CharField(_("key"), max_length=120, unique=True)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    unit = models.ForeignKey(
        "core.OrgUnit", verbose_name=_("unit"), on_delete=models.PROTECT, related_name="+"
    )
    roster = models.ForeignKey(
        Roster, null=True, blank=True, on_delete=models.CASCADE, related_name="cases"
    )
    line = models.ForeignKey(
        RosterLine, null=True, blank=True, on_delete=models.SET_NULL, related_name="cases"
    )
    bank_result = models.ForeignKey(
        BankResult, null=True, blank=True, on_delete=models.SET_NULL, related_name="cases"
    )
    person = models.ForeignKey(
        "registry.Person", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    detail_zh = models.CharField(_("detail (Chinese)"), max_length=300)
    detail_en = models.CharField(_("detail (English)"), max_length=300)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default="open")
    resolution = models.CharField(_("resolution"), max_length=500, blank=True)
    resolved_by = models.ForeignKey(
        "core.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("reconciliation case")
        verbose_name_plural = _("reconciliation cases")
        ordering = ["status", "-created_at"]
        indexes = [models.Index(fields=["status", "kind"], name="case_status_kind")]

    def __str__(self) -> str:
        return f"{self.kind} {self.key}"


class CandidateDecision(models.Model):
    """One decision on a candidate (append-only): the township's confirmation or rejection,
    the district's approval, an objection upheld; who, when, from and to which state, and the
    reason given. A later decision never overwrites an earlier one."""

    scope_path_field = "candidate__unit__path"

    class Action(models.TextChoices):
        CONFIRM = "confirm", _("confirmed (确认)")
        REJECT = "reject", _("rejected (不予确认)")
        APPROVE = "approve", _("approved (审批)")
        OBJECTION = "objection", _("objection upheld (异议成立)")

    candidate = models.ForeignKey(
        Candidate, verbose_name=_("candidate"), on_delete=models.CASCADE, related_name="decisions"
    )
    action = models.CharField(_("decision"), max_length=10, choices=Action.choices)
    from_state = models.CharField(_("from"), max_length=10)
    to_state = models.CharField(_("to"), max_length=10)
    actor = models.ForeignKey(
        "core.User",
        verbose_name=_("staff"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    at = models.DateTimeField(_("time"), auto_now_add=True)
    reason = models.CharField(_("reason"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("candidate decision")
        verbose_name_plural = _("candidate decisions")
        ordering = ["candidate", "at", "id"]

    def __str__(self) -> str:
        return f"{self.candidate_id}: {self.from_state} → {self.to_state}"


class CaseEvent(models.Model):
    """One step of a case (append-only): resolved or reopened, by whom, when, with the
    resolution or the reason for reopening."""

    scope_path_field = "case__unit__path"

    class Action(models.TextChoices):
        RESOLVE = "resolve", _("resolved (处理)")
        REOPEN = "reopen", _("reopened (重新打开)")

    case = models.ForeignKey(
        Case, verbose_name=_("case"), on_delete=models.CASCADE, related_name="events"
    )
    action = models.CharField(_("step"), max_length=10, choices=Action.choices)
    actor = models.ForeignKey(
        "core.User",
        verbose_name=_("staff"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    at = models.DateTimeField(_("time"), auto_now_add=True)
    reason = models.CharField(_("resolution or reason"), max_length=500)

    class Meta:
        verbose_name = _("case step")
        verbose_name_plural = _("case steps")
        ordering = ["case", "at", "id"]

    def __str__(self) -> str:
        return f"{self.case_id} {self.action}"
