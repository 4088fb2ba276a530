"""URL names of this app that a scoping test covers (read by tests/core/test_scoping_matrix.py).

tests/benefits/test_scoping.py: WEB (outsider 404, a role without the permission 403, an
allowed role 200/302) and the API tests (test_api_scoping, test_api_bank_upload_scoped_and_
idempotent, test_api_lists_are_scoped)."""

COVERED: set[str] = {
    "benefits-programmes", "benefits-programme-new", "benefits-programme", "benefits-cycle-open",
    "benefits-cycle", "benefits-cycle-confirm", "benefits-cycle-post", "benefits-cycle-approve",
    "benefits-cycle-sample", "benefits-cycle-posting", "benefits-roster-build",
    "benefits-candidate", "benefits-objection-add", "benefits-check", "benefits-objection-settle",
    "benefits-roster", "benefits-roster-xlsx", "benefits-roster-pdf", "benefits-roster-bank",
    "benefits-cases", "benefits-case-resolve", "benefits-case", "benefits-case-reopen",
    "api:list_programmes", "api:get_programme", "api:explain_person", "api:list_cycles",
    "api:get_cycle", "api:open_cycle", "api:list_candidates", "api:get_candidate",
    "api:confirm_candidates", "api:approve_cycle", "api:list_rosters", "api:get_roster",
    "api:list_roster_lines", "api:upload_bank_result", "api:list_cases",
    "api:record_benefit_fact", "api:set_bank_account", "api:get_case", "api:resolve_case",
    "api:reopen_case", "api:get_bank_import", "benefits-import", "benefits-import-progress",
    "benefits-import-report",
}  # fmt: skip
