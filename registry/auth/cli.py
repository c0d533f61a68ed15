"""`flask registry init|demo` and `flask users create`."""

import secrets
import string

import click
from flask import current_app
from flask.cli import with_appcontext
from flask_migrate import upgrade
from sqlalchemy import select

from registry.auth import service
from registry.auth.countries import load_countries
from registry.auth.models import Agency, AgencyKind, Country, User
from registry.auth.roles import Role
from registry.errors import DomainError
from registry.extensions import db

registry_cli = click.Group("registry", help="Set up the registry.")
users_cli = click.Group("users", help="Manage user accounts.")

# Steps that features add to `flask registry init` (e.g. the reference starter table).
INIT_STEPS: list = []
# Steps that features add to `flask registry demo`, called with the demo agencies by code
# (a step reads the command's options, such as --records, from click's current context).
DEMO_STEPS: list = []


@registry_cli.command("init")
@with_appcontext
def init():
    """Create or upgrade the database and load the countries (safe to run again)."""
    upgrade(directory=current_app.extensions["migrate"].directory)
    added, changed = load_countries()
    db.session.commit()
    click.echo(f"Database ready. Countries: {added} added, {changed} updated.")
    for step in INIT_STEPS:
        message = step()
        db.session.commit()
        if message:
            click.echo(message)


DEMO_AGENCIES = [
    ("ML-CNLPAL", "ML", "[DEMO] Commission nationale de lutte contre la prolifération des armes légères (Mali)"),
    ("BF-CNCA", "BF", "[DEMO] Commission nationale de contrôle des armes (Burkina Faso)"),
    ("NE-CNCCAI", "NE", "[DEMO] Commission nationale pour la collecte et le contrôle des armes illicites (Niger)"),
    ("CI-COMNAT", "CI", "[DEMO] Commission nationale de lutte contre la prolifération des ALPC (Côte d'Ivoire)"),
]


def _demo_password() -> str:
    alphabet = string.ascii_letters + string.digits
    while True:
        candidate = "".join(secrets.choice(alphabet) for _ in range(14)) + "-" + secrets.choice("!?#%")
        if not service.password_problems(candidate):
            return candidate


@registry_cli.command("demo")
@click.option("--records", type=click.IntRange(min=0), default=None,
              help="How many weapon records to generate (a few thousand by default).")
@with_appcontext
def demo(records):
    """Load clearly marked demo data: four states, a national commission each, a user
    of every role, and what features add (records, hits, traces, an import: `--records`
    sets how many records). Passwords are printed once, here."""
    created = []
    agencies = {}
    for code, country_code, name in DEMO_AGENCIES:
        agency = db.session.scalar(select(Agency).where(Agency.code == code))
        if agency is None:
            country = db.session.get(Country, country_code)
            if country is None:
                raise click.ClickException("Countries are missing: run 'flask registry init' first.")
            agency = service.create_agency(None, code=code, name=name, country=country,
                                           kind=AgencyKind.NATIONAL_COMMISSION,
                                           is_tracing_focal_point=True)
            agency.tracing_contact = f"[DEMO] Tracing desk, tracing.{country_code.lower()}@demo.example"
        agencies[code] = agency
        prefix = country_code.lower()
        roles = list(Role) if code == "ML-CNLPAL" else [r for r in Role if r != Role.PLATFORM_ADMIN]
        for role in roles:
            email = f"{role.value.replace('_', '.')}.{prefix}@demo.example"
            if db.session.scalar(select(User.id).where(User.email == email)) is not None:
                continue
            password = _demo_password()
            service.create_user(None, email=email, name=f"[DEMO] {role.label} {country_code}",
                                agency=agency, role=role, password=password)
            created.append((email, role.value, password))
    for step in DEMO_STEPS:
        message = step(agencies)
        if message:
            click.echo(message)
    db.session.commit()
    if not created:
        click.echo("Demo data already loaded; passwords were printed when it was created.")
        return
    click.echo("DEMO DATA — not for real use. These passwords are shown once:")
    for email, role, password in created:
        click.echo(f"  {email:40} {role:16} {password}")
    click.echo("Supervisors and administrators set up a second factor at their first login: "
               "scan the QR code the registry shows with an authenticator app (FreeOTP, Aegis, "
               "Google Authenticator...), or give its key to `oathtool --totp -b KEY`, then "
               "type the six digits. Keep the ten recovery codes it shows.")


@users_cli.command("create")
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.option("--agency", "agency_code", required=True, help="Agency code, e.g. ML-CNLPAL.")
@click.option("--role", type=click.Choice([role.value for role in Role]), required=True)
@click.option("--language", type=click.Choice(["fr", "en", "ar"]), default="fr")
@click.password_option(help="Asked for when not given.")
@with_appcontext
def create_user(email, name, agency_code, role, language, password):
    """Create a user account."""
    agency = db.session.scalar(select(Agency).where(Agency.code == agency_code.upper()))
    if agency is None:
        raise click.ClickException(f"No agency with code {agency_code}.")
    try:
        user = service.create_user(None, email=email, name=name, agency=agency, role=Role(role),
                                   password=password, language=language)
    except DomainError as error:
        raise click.ClickException(str(error.message)) from None
    db.session.commit()
    click.echo(f"Created {user.email} ({role}) in {agency.code}.")


@users_cli.command("token")
@click.option("--email", required=True)
@click.option("--name", required=True, help="What the token is for.")
@click.option("--scope", "scopes", multiple=True, type=click.Choice(["read", "write"]),
              default=("read",), show_default=True, help="read, or both --scope read --scope write.")
@click.option("--days", default=90, show_default=True, help="Days before the token expires (1 to 366).")
@with_appcontext
def create_token(email, name, scopes, days):
    """Create an API token for a user and print it once."""
    user = db.session.scalar(select(User).where(User.email == email.strip().lower()))
    if user is None:
        raise click.ClickException(f"No user with e-mail {email}.")
    try:
        _token, plain = service.create_api_token(user, name, scopes=scopes, days=days)
    except DomainError as error:
        raise click.ClickException(str(error.message)) from None
    db.session.commit()
    click.echo(plain)


@registry_cli.command("create-agency")
@click.option("--code", required=True)
@click.option("--name", required=True)
@click.option("--country", "country_code", required=True, help="ISO 3166-1 alpha-2 code.")
@click.option("--kind", type=click.Choice([kind.value for kind in AgencyKind]),
              default=AgencyKind.NATIONAL_COMMISSION.value)
@click.option("--focal-point/--no-focal-point", default=False)
@with_appcontext
def create_agency(code, name, country_code, kind, focal_point):
    """Create an agency."""
    country = db.session.get(Country, country_code.upper())
    if country is None:
        raise click.ClickException(f"Unknown country code {country_code}.")
    try:
        agency = service.create_agency(None, code=code, name=name, country=country,
                                       kind=AgencyKind(kind), is_tracing_focal_point=focal_point)
    except DomainError as error:
        raise click.ClickException(str(error.message)) from None
    db.session.commit()
    click.echo(f"Created agency {agency.code} ({country.code}).")


@registry_cli.command("time-zone")
@click.option("--country", "country_code", required=True, help="ISO 3166-1 alpha-2 code.")
@click.option("--zone", required=True, help="IANA time zone, e.g. Africa/Bamako.")
@with_appcontext
def time_zone(country_code, zone):
    """Set the time zone a state's agencies read times in."""
    country = db.session.get(Country, country_code.strip().upper())
    if country is None:
        raise click.ClickException(f"Unknown country code {country_code}.")
    try:
        service.set_time_zone(None, country, zone)
    except DomainError as error:
        raise click.ClickException(str(error.message)) from None
    db.session.commit()
    click.echo(f"{country.code}: times shown in {country.time_zone}.")


commands = [registry_cli, users_cli]
