import time
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user
from sqlalchemy import select

from registry.audit.service import record
from registry.auth import links, service, sessions, two_factor
from registry.auth.countries import country_choices
from registry.auth.decorators import permission_required
from registry.auth.forms import (
    AccountForm,
    AgencyForm,
    EnrolForm,
    LoginForm,
    PasswordChangeForm,
    PasswordChoiceForm,
    PasswordForgotForm,
    SecondFactorForm,
    UserCreateForm,
    UserEditForm,
    kind_choices,
    role_choices,
)
from registry.auth.models import Agency, AgencyKind, ApiToken, Country, User, UserSession
from registry.auth.roles import Permission, Role
from registry.auth.scoping import CHANGE, get_visible_or_404, visible
from registry.errors import DomainError
from registry.extensions import db, limiter, utcnow

blueprint = Blueprint("auth", __name__)


def _safe_next(target: str | None) -> str:
    if target and target.startswith("/") and not target.startswith("//") and not urlsplit(target).netloc:
        return target
    return url_for("main.index")


# What the browser holds between a right password and a right second-factor code.
PENDING_LOGIN = "pending_login"
PENDING_SECRET = "pending_secret"


@blueprint.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"], methods=["POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    form = LoginForm()
    if form.validate_on_submit():
        try:
            user = service.authenticate(form.email.data, form.password.data, request.remote_addr)
        except service.LoginRefused as refused:
            flash(str(refused.message), "error")
            return render_template("auth/login.html", form=form), 401
        next_page = _safe_next(request.args.get("next"))
        session.clear()
        if user.has_second_factor or two_factor.is_required(user):
            session[PENDING_LOGIN] = {"user": user.id, "version": user.session_version,
                                      "at": int(time.time()), "next": next_page}
            return redirect(url_for("auth.second_factor" if user.has_second_factor else "auth.enrol"))
        _open_session(user, None)
        return redirect(next_page)
    return render_template("auth/login.html", form=form)


def _open_session(user: User, second_factor: str | None) -> None:
    service.complete_login(user, request.remote_addr, second_factor)
    session.clear()
    session.permanent = True
    session["sid"] = sessions.open_session(user, request.remote_addr, request.user_agent.string)
    login_user(user)
    session["_had_login"] = True
    session["language"] = user.language


def _pending_user() -> User | None:
    """The user whose password was right a moment ago, if the step is still open."""
    pending = session.get(PENDING_LOGIN) or {}
    if not pending or time.time() - pending.get("at", 0) > two_factor.pending_seconds():
        return None
    user = db.session.get(User, pending.get("user"))
    if user is None or not user.is_active or user.session_version != pending.get("version"):
        return None
    return user


def _login_again():
    session.pop(PENDING_LOGIN, None)
    session.pop(PENDING_SECRET, None)
    flash(_("Log in again: the step after the password lasts a few minutes only."), "warning")
    return redirect(url_for("auth.login"))


@blueprint.route("/login/code", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"], methods=["POST"])
def second_factor():
    user = _pending_user()
    if user is None or not user.has_second_factor:
        return _login_again()
    form = SecondFactorForm()
    if form.validate_on_submit():
        try:
            used = two_factor.check_code(user, form.code.data, request.remote_addr)
        except DomainError as error:
            if user.locked_until is not None:
                session.pop(PENDING_LOGIN, None)
            flash(str(error.message), "error")
            return render_template("auth/second_factor.html", form=form), 401
        next_page = session[PENDING_LOGIN].get("next") or url_for("main.index")
        _open_session(user, used)
        if used == "recovery":
            flash(_("You used a recovery code; %(count)d remain. Make new ones from your account "
                    "page if few are left.", count=two_factor.remaining_recovery_codes(user)),
                  "warning")
        return redirect(next_page)
    return render_template("auth/second_factor.html", form=form)


@blueprint.route("/login/enrol", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"], methods=["POST"])
def enrol():
    """First login of a user whose role requires a second factor: it sets one up before
    its session opens."""
    user = _pending_user()
    if user is None:
        return _login_again()
    if user.has_second_factor:
        return redirect(url_for("auth.second_factor"))
    form = EnrolForm()
    secret = session.get(PENDING_SECRET) or two_factor.new_secret()
    session[PENDING_SECRET] = secret
    if form.validate_on_submit():
        try:
            codes = two_factor.enable(user, secret, form.code.data)
        except DomainError as error:
            form.code.errors.append(str(error.message))
        else:
            next_page = session[PENDING_LOGIN].get("next") or url_for("main.index")
            _open_session(user, "enrolled")
            return render_template("auth/recovery_codes.html", codes=codes, next_page=next_page)
    return render_template("auth/enrol.html", form=form, secret=secret, at_login=True,
                           qr=two_factor.qr_svg(two_factor.provisioning_uri(user, secret)))


@blueprint.route("/account/second-factor", methods=["GET", "POST"])
def account_second_factor():
    """Set up a second factor from the account page (offered to every role)."""
    if current_user.has_second_factor:
        return redirect(url_for("auth.account") + "#second-factor")
    form = EnrolForm()
    secret = session.get(PENDING_SECRET) or two_factor.new_secret()
    session[PENDING_SECRET] = secret
    if form.validate_on_submit():
        try:
            codes = two_factor.enable(current_user, secret, form.code.data)
        except DomainError as error:
            form.code.errors.append(str(error.message))
        else:
            session.pop(PENDING_SECRET, None)
            return render_template("auth/recovery_codes.html", codes=codes,
                                   next_page=url_for("auth.account"))
    return render_template("auth/enrol.html", form=form, secret=secret, at_login=False,
                           qr=two_factor.qr_svg(two_factor.provisioning_uri(current_user, secret)))


@blueprint.route("/account/second-factor/recovery-codes", methods=["POST"])
def recovery_codes_renew():
    try:
        codes = two_factor.new_recovery_codes(current_user)
    except DomainError as error:
        flash(str(error.message), "error")
        return redirect(url_for("auth.account"))
    return render_template("auth/recovery_codes.html", codes=codes, next_page=url_for("auth.account"))


@blueprint.route("/account/second-factor/off", methods=["POST"])
def second_factor_off():
    form = SecondFactorForm(prefix="off")
    try:
        if not form.validate_on_submit():
            raise DomainError(_("Type a current code to turn the second factor off."))
        two_factor.disable(current_user, form.code.data)
    except DomainError as error:
        flash(str(error.message), "error")
    else:
        flash(_("The second factor is turned off."), "success")
    return redirect(url_for("auth.account") + "#second-factor")


@blueprint.route("/logout", methods=["POST"])
def logout():
    record("auth.logout", "user", current_user.id)
    if g.get("user_session") is not None:
        sessions.end_session(g.user_session, "logout", current_user)
    logout_user()
    session.clear()
    flash(_("You are logged out."), "info")
    return redirect(url_for("auth.login"))


@blueprint.route("/account", methods=["GET", "POST"])
def account():
    language_form = AccountForm(prefix="language", language=current_user.language)
    password_form = PasswordChangeForm(prefix="password")
    if request.method == "POST" and request.form.get("action") == "language":
        if language_form.validate_on_submit():
            service.set_language(current_user, language_form.language.data)
            session["language"] = language_form.language.data
            flash(_("Language saved."), "success")
            return redirect(url_for("auth.account"))
    elif request.method == "POST" and request.form.get("action") == "password":
        if password_form.validate_on_submit():
            try:
                service.change_password(current_user, password_form.current_password.data,
                                        password_form.new_password.data, keep=g.user_session)
            except DomainError as error:
                getattr(password_form, error.field or "new_password").errors.append(str(error.message))
            else:
                login_user(current_user._get_current_object())  # carries the new session version
                flash(_("Your password has been changed. Your other sessions are closed."), "success")
                return redirect(url_for("auth.account"))
    elif request.method == "POST" and request.form.get("action") == "token":
        try:
            _token, plain = service.create_api_token(
                current_user, request.form.get("name", ""),
                scopes=request.form.get("scopes", "read").split(), days=request.form.get("days", 90))
        except DomainError as error:
            flash(str(error.message), "error")
        else:
            flash(_("Your new API token (copy it now, it will not be shown again): %(token)s",
                    token=plain), "success")
            return redirect(url_for("auth.account"))
    tokens = db.session.scalars(
        select(ApiToken).where(ApiToken.user_id == current_user.id, ApiToken.revoked_at.is_(None))
        .order_by(ApiToken.created_at)
    ).all()
    return render_template("auth/account.html", language_form=language_form,
                           password_form=password_form, tokens=tokens,
                           sessions=sessions.open_sessions(current_user), this_session=g.user_session,
                           device=sessions.device, off_form=SecondFactorForm(prefix="off"),
                           second_factor_required=two_factor.is_required(current_user),
                           recovery_left=two_factor.remaining_recovery_codes(current_user))


@blueprint.route("/account/sessions/<int:session_id>/end", methods=["POST"])
def session_end(session_id: int):
    user_session = get_visible_or_404(current_user, UserSession, session_id, CHANGE)
    sessions.end_session(user_session, "ended_by_user", current_user)
    if user_session.id == g.user_session.id:
        logout_user()
        session.clear()
        flash(_("You are logged out."), "info")
        return redirect(url_for("auth.login"))
    flash(_("The session is ended: that browser must log in again."), "success")
    return redirect(url_for("auth.account") + "#sessions")


@blueprint.route("/account/sessions/end-others", methods=["POST"])
def sessions_end_others():
    count = sessions.end_all_sessions(current_user, "ended_by_user", keep=g.user_session,
                                      actor=current_user)
    flash(_("%(count)d other sessions ended.", count=count), "success")
    return redirect(url_for("auth.account") + "#sessions")


@blueprint.route("/account/tokens/<int:token_id>/revoke", methods=["POST"])
def token_revoke(token_id: int):
    token = db.session.scalar(
        select(ApiToken).where(ApiToken.id == token_id, ApiToken.user_id == current_user.id))
    if token is None:
        abort(404)
    service.revoke_api_token(current_user, token)
    flash(_("The token %(name)s is revoked.", name=token.name), "success")
    return redirect(url_for("auth.account"))


# --- Password reset and invitations -------------------------------------------------


@blueprint.route("/password/forgot", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"], methods=["POST"])
def password_forgot():
    form = PasswordForgotForm()
    if form.validate_on_submit():
        links.request_password_reset(form.email.data, request.remote_addr)
        # The same answer whether or not the e-mail has an account.
        flash(_("If an account has this e-mail, a link to choose a new password was sent to it. "
                "It works once, within one hour."), "info")
        return redirect(url_for("auth.login"))
    return render_template("auth/password_forgot.html", form=form)


def _password_by_link(token: str, purpose: str):
    try:
        links.valid_link(token, purpose)
    except DomainError as error:
        flash(str(error.message), "error")
        return render_template("auth/password_link.html", form=None, purpose=purpose), 404
    form = PasswordChoiceForm()
    if form.validate_on_submit():
        try:
            links.set_password_by_link(token, purpose, form.new_password.data, request.remote_addr)
        except DomainError as error:
            form.new_password.errors.append(str(error.message))
        else:
            session.clear()
            flash(_("Your password is saved. Log in with it."), "success")
            return redirect(url_for("auth.login"))
    return render_template("auth/password_link.html", form=form, purpose=purpose)


@blueprint.route("/password/reset/<token>", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"], methods=["POST"])
def password_reset(token: str):
    return _password_by_link(token, links.RESET)


@blueprint.route("/invitation/<token>", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"], methods=["POST"])
def invitation(token: str):
    return _password_by_link(token, links.INVITATION)


# --- Users of an agency --------------------------------------------------------------


@blueprint.route("/admin/users")
@permission_required(Permission.MANAGE_AGENCY_USERS)
def users():
    statement = visible(current_user, User).join(User.agency).order_by(Agency.code, User.name)
    return render_template("admin/users.html", users=db.session.scalars(statement).all(), now=utcnow())


def _agency_choices():
    agencies = db.session.scalars(visible(current_user, Agency).order_by(Agency.code)).all()
    if not current_user.can(Permission.MANAGE_ALL_USERS):
        agencies = [agency for agency in agencies if agency.id == current_user.agency_id]
    return [(agency.id, f"{agency.code} — {agency.name}") for agency in agencies]


@blueprint.route("/admin/users/new", methods=["GET", "POST"])
@permission_required(Permission.MANAGE_AGENCY_USERS)
def user_create():
    form = UserCreateForm(agency_id=current_user.agency_id)
    form.agency_id.choices = _agency_choices()
    form.role.choices = role_choices(current_user)
    if form.validate_on_submit():
        agency = get_visible_or_404(current_user, Agency, form.agency_id.data)
        fields = dict(email=form.email.data, name=form.name.data, agency=agency,
                      role=Role(form.role.data), language=form.language.data)
        try:
            if form.password.data:
                user = service.create_user(current_user, password=form.password.data, **fields)
            else:
                user = links.invite_user(current_user, **fields)
        except DomainError as error:
            db.session.rollback()
            getattr(form, error.field or "email").errors.append(str(error.message))
        else:
            if form.password.data:
                flash(_("User %(email)s created.", email=user.email), "success")
            else:
                flash(_("User %(email)s created: an invitation to choose a password was e-mailed, "
                        "valid seven days.", email=user.email), "success")
            return redirect(url_for("auth.users"))
    return render_template("admin/user_form.html", form=form, user=None)


@blueprint.route("/admin/users/<int:user_id>", methods=["GET", "POST"])
@permission_required(Permission.MANAGE_AGENCY_USERS)
def user_edit(user_id: int):
    user = get_visible_or_404(current_user, User, user_id, CHANGE)
    form = UserEditForm(obj=user)
    form.role.choices = role_choices(current_user, user.role)
    if request.method == "GET":
        form.role.data = user.role.value
        record("user.view", "user", user.id)
    if form.validate_on_submit():
        try:
            service.update_user(current_user, user, name=form.name.data, role=Role(form.role.data),
                                active=form.active.data)
        except DomainError as error:
            form.role.errors.append(str(error.message))
        else:
            flash(_("User %(email)s saved.", email=user.email), "success")
            return redirect(url_for("auth.users"))
    return render_template("admin/user_form.html", form=form, user=user)


@blueprint.route("/admin/users/<int:user_id>/second-factor/reset", methods=["POST"])
@permission_required(Permission.MANAGE_AGENCY_USERS)
def user_second_factor_reset(user_id: int):
    user = get_visible_or_404(current_user, User, user_id, CHANGE)
    try:
        two_factor.reset(current_user, user)
    except DomainError as error:
        db.session.rollback()
        flash(str(error.message), "error")
    else:
        flash(_("The second factor of %(email)s is reset: a new one is set up at the next login.",
                email=user.email), "success")
    return redirect(url_for("auth.user_edit", user_id=user_id))


# --- Agencies -------------------------------------------------------------------------


def _prepare_agency_form(form: AgencyForm) -> AgencyForm:
    form.country_code.choices = country_choices()
    form.partner_codes.choices = form.country_code.choices
    form.kind.choices = kind_choices()
    return form


@blueprint.route("/admin/agencies")
@permission_required(Permission.MANAGE_AGENCIES)
def agencies():
    statement = visible(current_user, Agency).order_by(Agency.country_code, Agency.code)
    return render_template("admin/agencies.html", agencies=db.session.scalars(statement).all())


@blueprint.route("/admin/agencies/new", methods=["GET", "POST"])
@permission_required(Permission.MANAGE_AGENCIES)
def agency_create():
    form = _prepare_agency_form(AgencyForm())
    if form.validate_on_submit():
        try:
            agency = service.create_agency(
                current_user, code=form.code.data, name=form.name.data,
                country=db.session.get(Country, form.country_code.data),
                kind=AgencyKind(form.kind.data),
                is_tracing_focal_point=form.is_tracing_focal_point.data,
                partner_codes=form.partner_codes.data,
            )
            service.update_agency(current_user, agency,
                                  requires_import_approval=form.requires_import_approval.data,
                                  requires_trace_approval=form.requires_trace_approval.data,
                                  tracing_contact=(form.tracing_contact.data or "").strip() or None,
                                  active=form.active.data)
        except DomainError as error:
            getattr(form, error.field or "code").errors.append(str(error.message))
        else:
            flash(_("Agency %(code)s created.", code=agency.code), "success")
            return redirect(url_for("auth.agencies"))
    return render_template("admin/agency_form.html", form=form, agency=None)


@blueprint.route("/admin/agencies/<int:agency_id>", methods=["GET", "POST"])
@permission_required(Permission.MANAGE_AGENCIES)
def agency_edit(agency_id: int):
    agency = get_visible_or_404(current_user, Agency, agency_id, CHANGE)
    form = _prepare_agency_form(AgencyForm(obj=agency))
    form.code.render_kw = {"readonly": True}
    if request.method == "GET":
        form.kind.data = agency.kind.value
        form.partner_codes.data = agency.partner_country_codes
    if form.validate_on_submit():
        try:
            service.update_agency(
                current_user, agency, name=form.name.data.strip(), kind=AgencyKind(form.kind.data),
                is_tracing_focal_point=form.is_tracing_focal_point.data,
                requires_import_approval=form.requires_import_approval.data,
                requires_trace_approval=form.requires_trace_approval.data,
                tracing_contact=(form.tracing_contact.data or "").strip() or None,
                active=form.active.data, partner_codes=form.partner_codes.data,
            )
        except DomainError as error:
            db.session.rollback()
            form.active.errors.append(str(error.message))
        else:
            flash(_("Agency %(code)s saved.", code=agency.code), "success")
            return redirect(url_for("auth.agencies"))
    return render_template("admin/agency_form.html", form=form, agency=agency)


# --- Time zones of the states ------------------------------------------------------------------


@blueprint.route("/admin/time-zones", methods=["GET", "POST"])
@permission_required(Permission.MANAGE_AGENCIES)
def time_zones():
    """The time zone each state with an agency reads its times in (trace deadlines, lists,
    audit); a name the tz database does not know is refused and kept in its box."""
    from zoneinfo import available_timezones

    codes = select(Agency.country_code).distinct()
    countries = db.session.scalars(select(Country).where(Country.code.in_(codes))).all()
    countries.sort(key=lambda country: country.name)
    typed, errors, status = {}, {}, 200
    if request.method == "POST":
        code = request.form.get("country", "")
        country = next((c for c in countries if c.code == code), None)
        if country is None:
            abort(404)
        typed[code] = request.form.get("time_zone", "")
        try:
            service.set_time_zone(current_user, country, typed[code])
        except DomainError as error:
            db.session.rollback()
            errors[code] = str(error.message)
            status = 400
        else:
            flash(_("%(country)s: times are now shown in %(zone)s.", country=country.name,
                    zone=country.time_zone), "success")
            return redirect(url_for("auth.time_zones"))
    zones = sorted(zone for zone in available_timezones() if "/" in zone and not zone.startswith("Etc/"))
    return render_template("admin/time_zones.html", countries=countries, typed=typed, errors=errors,
                           zones=zones), status
