from tests.authorization import Route, everyone_but

ADMINS = ("agency_admin", "platform_admin")
# Roles that must have a second factor (the world sets one up for them).
WITH_SECOND_FACTOR = ("supervisor", "agency_admin", "platform_admin")

ROUTES = [
    Route("main.index"),
    Route("main.healthz", expect={"anonymous": 200}),
    Route("main.readyz", expect={"anonymous": 200}),
    Route("main.metrics", expect={"anonymous": 200}),
    Route("main.set_language", "POST", data=lambda w: {"language": "en"}, default=302,
          expect={"anonymous": 302}),
    Route("auth.login", expect={"anonymous": 200}, default=302),
    Route("auth.login", "POST", expect={"anonymous": 200}, default=302),
    Route("auth.logout", "POST", default=302),
    Route("auth.account"),
    Route("auth.account", "POST"),
    # Another user's token: nobody reaches it.
    Route("auth.token_revoke", "POST", args=lambda w: {"token_id": w.foreign_token_id}, default=404),
    # Another user's session (or none): nobody reaches it; ending one's other sessions is one's own.
    Route("auth.session_end", "POST", args=lambda w: {"session_id": 2_000_000_000}, default=404),
    Route("auth.sessions_end_others", "POST", default=302),
    # The step after the password: without a password just typed, back to the login page.
    Route("auth.second_factor", default=302, expect={"anonymous": 302}),
    Route("auth.second_factor", "POST", default=302, expect={"anonymous": 302}),
    Route("auth.enrol", default=302, expect={"anonymous": 302}),
    Route("auth.enrol", "POST", default=302, expect={"anonymous": 302}),
    Route("auth.account_second_factor", expect={role: 302 for role in WITH_SECOND_FACTOR}),
    Route("auth.account_second_factor", "POST", expect={role: 302 for role in WITH_SECOND_FACTOR}),
    Route("auth.recovery_codes_renew", "POST", default=302,
          expect={role: 200 for role in WITH_SECOND_FACTOR}),
    Route("auth.second_factor_off", "POST", default=302),
    Route("auth.user_second_factor_reset", "POST", args=lambda w: {"user_id": w["NE"].user("officer").id},
          expect=everyone_but(403, *ADMINS) | {"agency_admin": 404, "platform_admin": 302}),
    # Public pages for a forgotten password; a link that is not one answers 404.
    Route("auth.password_forgot", expect={"anonymous": 200}),
    Route("auth.password_forgot", "POST", expect={"anonymous": 200}),
    Route("auth.password_reset", args=lambda w: {"token": "not-a-link"}, default=404,
          expect={"anonymous": 404}),
    Route("auth.password_reset", "POST", args=lambda w: {"token": "not-a-link"}, default=404,
          expect={"anonymous": 404}),
    Route("auth.invitation", args=lambda w: {"token": "not-a-link"}, default=404,
          expect={"anonymous": 404}),
    Route("auth.invitation", "POST", args=lambda w: {"token": "not-a-link"}, default=404,
          expect={"anonymous": 404}),
    Route("auth.users", expect=everyone_but(403, *ADMINS)),
    Route("auth.user_create", expect=everyone_but(403, *ADMINS)),
    Route("auth.user_create", "POST", expect=everyone_but(403, *ADMINS)),
    # A user of Niger, seen from Mali: only the platform admin may reach it.
    Route("auth.user_edit", args=lambda w: {"user_id": w["NE"].user("officer").id},
          expect=everyone_but(403, *ADMINS) | {"agency_admin": 404}),
    Route("auth.user_edit", "POST", args=lambda w: {"user_id": w["NE"].user("officer").id},
          expect=everyone_but(403, *ADMINS) | {"agency_admin": 404, "platform_admin": 302}),
    Route("auth.agencies", expect=everyone_but(403, "platform_admin")),
    Route("auth.time_zones", expect=everyone_but(403, "platform_admin")),
    Route("auth.time_zones", "POST", expect=everyone_but(403, "platform_admin"), default=400,
          data=lambda w: {"country": "NE", "time_zone": "Nowhere/Atlantis"}),
    Route("auth.agency_create", expect=everyone_but(403, "platform_admin")),
    Route("auth.agency_create", "POST", expect=everyone_but(403, "platform_admin")),
    Route("auth.agency_edit", args=lambda w: {"agency_id": w["NE"].agency.id},
          expect=everyone_but(403, "platform_admin")),
    Route("auth.agency_edit", "POST", args=lambda w: {"agency_id": w["NE"].agency.id},
          expect=everyone_but(403, "platform_admin") | {"platform_admin": 302}),
    Route("audit.events", expect=everyone_but(403, "supervisor", *ADMINS)),
    Route("audit.export", args=lambda w: {"extension": "csv"}, expect=everyone_but(403, "supervisor", *ADMINS)),
]
