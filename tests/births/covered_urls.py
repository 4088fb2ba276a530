"""URL names of this app that a scoping test covers (read by tests/core/test_scoping_matrix.py)."""

COVERED: set[str] = {
    # pages: tests/births/test_views.py (outsider 404, auditor 403 on writes, township 200)
    "birth-list", "birth-worklist", "birth-create", "birth-detail", "birth-transition",
    "birth-document", "birth-certificate",
    # public on purpose: tests/births/test_views.py::test_verify_page_is_public_and_shows_no_id
    "birth-verify",
    # API: tests/births/test_api.py
    "api:list_birth_applications", "api:create_birth_application", "api:get_birth_application",
    "api:transition_birth_application", "api:check_birth_document",
}  # fmt: skip
