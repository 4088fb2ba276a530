"""Permission codenames (app label "births") granted to each role;
registered with core.rules at start-up.

Township staff run the township's part (create, submit, review, single-step registration);
the district approves further births and cancels issued registrations; grid workers prepare
and submit drafts; auditors read; feed accounts have no access to applications.

No imports: read by AppConfig.ready().
"""

from __future__ import annotations

_VIEW = {"view_birthapplication", "view_verificationrequest"}
_PREPARE = {"add_birthapplication", "submit_birthapplication", "check_birthdocument"}
_TOWNSHIP = {"review_birthapplication", "register_birthapplication", "reject_birthapplication"}
_DISTRICT = {"approve_birthapplication", "reject_birthapplication", "cancel_birthapplication"}

ROLE_CODENAMES: dict[str, frozenset[str]] = {
    "district_admin": frozenset(_VIEW | _PREPARE | _TOWNSHIP | _DISTRICT),
    "district_staff": frozenset(_VIEW | _DISTRICT | {"check_birthdocument"}),
    "township_staff": frozenset(_VIEW | _PREPARE | _TOWNSHIP),
    "grid_worker": frozenset(_VIEW | _PREPARE),
    "feed_account": frozenset(),
    "auditor": frozenset(_VIEW),
}
