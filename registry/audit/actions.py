"""Every action the audit log records, in words. A new `record("feature.thing")` needs its
line here: tests/audit/test_audit_actions.py reads every call in the code and fails on an
action without words."""

from flask_babel import lazy_gettext as _l

ACTIONS = {
    # Logging in and out, second factor, links sent by e-mail
    "auth.login": _l("Logged in"),
    "auth.login_failed": _l("Failed to log in"),
    "auth.login_refused_locked": _l("Was refused login: account locked"),
    "auth.lockout": _l("Account locked after repeated failed logins"),
    "auth.logout": _l("Logged out"),
    "auth.session_end": _l("Ended a session"),
    "auth.sessions_end": _l("Ended every session of the account"),
    "auth.password_reset_requested": _l("Asked for a password reset link"),
    "auth.password_reset": _l("Chose a new password with a reset link"),
    "auth.invitation_accepted": _l("Accepted an invitation and chose a password"),
    "auth.second_factor_enabled": _l("Set up the second factor"),
    "auth.second_factor_enrol_failed": _l("Failed to set up the second factor (wrong code)"),
    "auth.second_factor_failed": _l("Gave a wrong second-factor code"),
    "auth.second_factor_replayed": _l("Gave a second-factor code already used"),
    "auth.second_factor_disabled": _l("Turned off the second factor"),
    "auth.recovery_code_used": _l("Logged in with a recovery code"),
    "auth.recovery_codes_renewed": _l("Renewed the recovery codes"),
    # Users, agencies, countries, API tokens
    "user.create": _l("Created a user account"),
    "user.invite": _l("Invited a new user"),
    "user.update": _l("Changed a user account"),
    "user.view": _l("Viewed a user account"),
    "user.language": _l("Changed the language of the account"),
    "user.password_change": _l("Changed the password"),
    "user.second_factor_reset": _l("Reset the second factor of a user"),
    "agency.create": _l("Created an agency"),
    "agency.update": _l("Changed an agency"),
    "country.time_zone": _l("Changed the time zone of a country"),
    "api_token.create": _l("Created an API token"),
    "api_token.revoke": _l("Revoked an API token"),
    "api.refused": _l("API call refused (token or scope)"),
    "http.rate_limited": _l("Too many requests: refused for a while"),
    # Weapon records, photos, hits
    "weapon.view": _l("Viewed a weapon record"),
    "weapon.create": _l("Recorded a weapon"),
    "weapon.update": _l("Changed a weapon record"),
    "weapon.delete": _l("Deleted a weapon record"),
    "weapon.bulk_create": _l("Recorded weapons in bulk"),
    "weapon.search": _l("Searched the weapon records"),
    "weapon.export": _l("Exported weapon records"),
    "weapon.identification_confirmed": _l("Confirmed the identification of a weapon"),
    "weapon.photo_add": _l("Added a photo to a weapon record"),
    "weapon.photo_share": _l("Shared or withdrew a photo of a weapon record"),
    "weapon.photo_download": _l("Downloaded a photo of a weapon"),
    "weapon.photo_thumbnail": _l("Viewed the thumbnail of a weapon photo"),
    "weapon.hit": _l("A hit was found on another record"),
    "weapon.hit_met": _l("A known hit was met again"),
    "weapon.hit_view": _l("Viewed a hit"),
    "weapon.hit_list": _l("Listed the hits"),
    "weapon.hit_decided": _l("Decided on a hit"),
    "weapon.hit_record_updated": _l("Updated a wanted record after a confirmed hit"),
    # Trace requests
    "trace.create": _l("Created a trace request"),
    "trace.update": _l("Changed a trace request"),
    "trace.view": _l("Viewed a trace request"),
    "trace.print": _l("Printed a trace request"),
    "trace.message": _l("Wrote a message on a trace request"),
    "trace.attachment": _l("Attached a file to a trace request"),
    "trace.attachment_download": _l("Downloaded an attachment of a trace request"),
    "trace.remind": _l("A reminder was sent for a trace request"),
    "trace.inbox": _l("Listed the trace requests received"),
    "trace.outbox": _l("Listed the trace requests sent"),
    "trace.new_form": _l("Opened a new trace request"),
    "trace.dashboard": _l("Viewed the tracing figures"),
    "trace.api_list": _l("Listed trace requests through the API"),
    # The moves of the workflow (registry/tracing/workflow.py Action)
    "trace.send": _l("Sent a trace request"),
    "trace.approve": _l("Approved and sent a trace request"),
    "trace.send_back": _l("Sent a trace request back to draft"),
    "trace.acknowledge": _l("Acknowledged receipt of a trace request"),
    "trace.request_information": _l("Asked for information on a trace request"),
    "trace.resend": _l("Sent a trace request again with the information"),
    "trace.restrict": _l("Delayed or restricted the answer to a trace request"),
    "trace.answer": _l("Answered a trace request"),
    "trace.decline": _l("Declined a trace request"),
    "trace.withdraw": _l("Withdrew a trace request"),
    "trace.accept": _l("Accepted the answer to a trace request"),
    # Imports
    "import.upload": _l("Uploaded a file to import"),
    "import.analyse": _l("An import was analysed"),
    "import.review": _l("Reviewed rows of an import"),
    "import.correct": _l("Corrected a row of an import"),
    "import.column": _l("Chose the field a column of an import is read into"),
    "import.sheets": _l("Made one import a sheet of a workbook"),
    "import.approve": _l("Approved an import"),
    "import.cancel": _l("Cancelled an import"),
    "import.commit": _l("Committed an import"),
    "import.view": _l("Viewed an import"),
    "import.export": _l("Downloaded the result of an import"),
    "import.template": _l("Downloaded the import template"),
    "import.api_list": _l("Listed imports through the API"),
    # Reference table
    "reference.search": _l("Searched the reference table"),
    "reference.identify": _l("Identified weapons against the reference table"),
    "reference.export": _l("Exported the reference table"),
    "reference.load": _l("Loaded the reference table"),
    "reference.make_created": _l("Added a make to the reference table"),
    "reference.make_updated": _l("Changed a make of the reference table"),
    "reference.model_created": _l("Added a model to the reference table"),
    "reference.model_updated": _l("Changed a model of the reference table"),
    "reference.calibre_created": _l("Added a calibre to the reference table"),
    "reference.calibre_updated": _l("Changed a calibre of the reference table"),
    "reference.type_created": _l("Added a weapon type to the reference table"),
    "reference.type_updated": _l("Changed a weapon type of the reference table"),
    "reference.alias_added": _l("Added an alias to the reference table"),
    "reference.alias_deleted": _l("Deleted an alias of the reference table"),
    "reference.alias_made_global": _l("Made an alias valid in every country"),
    "reference.merged": _l("Merged two entries of the reference table"),
    "reference.merge_undone": _l("Undid a merge of makes of the reference table"),
    # Statistics and reports
    "report.statistics": _l("Viewed the statistics"),
    "report.export": _l("Exported a statistics table"),
    "report.map": _l("Viewed the map of the statistics"),
    "report.iafq": _l("Downloaded the yearly report (IAFQ)"),
    # The audit log itself
    "audit.search": _l("Read the audit log"),
    "audit.export": _l("Exported the audit log"),
}

# The families of actions, by the prefix of their code, for the filter of the audit page.
FAMILIES = {
    "auth.": _l("Logging in and security"),
    "user.": _l("User accounts"),
    "agency.": _l("Agencies"),
    "country.": _l("Countries"),
    "api_token.": _l("API tokens"),
    "api.": _l("API calls refused"),
    "http.": _l("Requests refused"),
    "weapon.": _l("Weapon records"),
    "trace.": _l("Trace requests"),
    "import.": _l("Imports"),
    "reference.": _l("Reference table"),
    "report.": _l("Statistics"),
    "audit.": _l("Audit log"),
}


def action_words(code: str) -> str:
    """The action in the reader's language; the code itself for one no longer recorded."""
    words = ACTIONS.get(code)
    return str(words) if words is not None else code


def family_of(code: str) -> str:
    """The family an action belongs to, by its code ("weapon.view" -> "weapon.")."""
    prefix = code.split(".", 1)[0] + "."
    return prefix if prefix in FAMILIES else ""
