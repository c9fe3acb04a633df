"""The `kompis` command: a Flask CLI group with the engine's admin commands."""
from __future__ import annotations

import sys
from pathlib import Path

import click
from flask.cli import FlaskGroup, with_appcontext

from engine.deployments import collect_bundle, deploy, deploy_builtin_processes, known_groups, validate
from engine.errors import InvalidModel, KompisError
from engine.migrate import upgrade
from engine.runtime import default_forms
from web import create_app, database


@click.group(cls=FlaskGroup, create_app=create_app)
@click.pass_context
def cli(ctx):
    """Kompis: BPMN-driven case engine for the kontaktperson service."""
    ctx.call_on_close(database.dispose_all)


def _fail(message: str, errors=()) -> None:
    click.echo(f"Fel: {message}", err=True)
    for error in errors:
        click.echo(f"  {error}", err=True)
    sys.exit(1)


def _prepare_database() -> list:
    """Migrate the schema and deploy built-in processes that have no version yet."""
    from flask import current_app

    try:
        upgrade(current_app.config.get("DATABASE_URL"))
    except Exception as exc:  # noqa: BLE001 - the person needs the reason, not a traceback
        _fail(f"kunde inte uppgradera databasen: {exc}")
    clock = database.clock()
    # A simulated clock writes its first reading to the database: before, not inside, the deploy
    # transaction, which on SQLite holds the only write lock.
    clock.now()
    with database.sessions().begin() as session:
        try:
            return deploy_builtin_processes(session, clock=clock, forms=default_forms())
        except InvalidModel as exc:
            _fail(exc.message, exc.errors)


@cli.command("run")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--no-scheduler", is_flag=True, help="Do not fire timers in this process.")
@with_appcontext
def run_command(host, port, no_scheduler):
    """Development server with the scheduler inside (production: gunicorn + `kompis scheduler`)."""
    from flask import current_app

    from engine.scheduler import TimerScheduler

    for deployment in _prepare_database():
        click.echo(f"Driftsatte {deployment.process_key} version {deployment.version}.")
    scheduler = None
    if not no_scheduler:
        scheduler = TimerScheduler(database.sessions(), database.clock())
        scheduler.start()
    from werkzeug.serving import run_simple

    click.echo(f"Kompis körs på http://{host}:{port}/ (avsluta med Ctrl-C).")
    try:
        # Flask's app.run() refuses to start inside the flask CLI; Werkzeug's server is what it would use.
        run_simple(host, port, current_app._get_current_object(), threaded=True, use_reloader=False)
    finally:
        if scheduler is not None:
            scheduler.shutdown()


@cli.group()
def db():
    """Database schema."""


@db.command("upgrade")
@with_appcontext
def db_upgrade():
    """Create or migrate the schema, then deploy the built-in processes that have no version yet."""
    created = _prepare_database()
    click.echo("Databasen är uppdaterad.")
    for deployment in created:
        click.echo(f"Driftsatte {deployment.process_key} version {deployment.version}.")


@cli.group()
def models():
    """Process models (BPMN/DMN)."""


def _bundle(file: str) -> tuple[dict, str]:
    path = Path(file)
    if not path.is_file():
        _fail(f"filen {file} finns inte")
    try:
        return collect_bundle(path), path.name
    except InvalidModel as exc:
        _fail(exc.message, exc.errors)


@models.command("validate")
@click.argument("file")
def models_validate(file):
    """Check FILE (and the DMN / called-process files beside it); list every problem."""
    files, main = _bundle(file)
    try:
        compiled = validate(files, main, forms=default_forms())
    except InvalidModel as exc:
        _fail(exc.message, exc.errors)
    for warning in compiled.warnings:
        click.echo(f"varning: {warning}")
    click.echo(f"{main}: processen '{compiled.process_key}' är giltig ({len(files)} fil(er)).")


@models.command("deploy")
@click.argument("file")
@click.option("--note", default="", help="Why this version (shown in the version list).")
@click.option("--user", "user", default="cli", help="Who deploys (for the log).")
@with_appcontext
def models_deploy(file, note, user):
    """Validate FILE and deploy it as a new immutable version."""
    files, main = _bundle(file)
    with database.sessions().begin() as session:
        try:
            deployment, created = deploy(session, files, main, user=user, clock=database.clock(), note=note,
                                         forms=default_forms(), known_groups=known_groups(session))
        except InvalidModel as exc:
            _fail(exc.message, exc.errors)
        except KompisError as exc:
            _fail(exc.message)
        key, version = deployment.process_key, deployment.version
    if created:
        click.echo(f"Driftsatte {key} version {version}.")
    else:
        click.echo(f"Oförändrad: {key} version {version} har redan exakt detta innehåll.")


@models.command("migrate")
@click.argument("key")
@click.option("--from", "from_version", type=int, required=True, help="The version the cases run on now.")
@click.option("--to", "to_version", type=int, required=True, help="The later version to move them to.")
@click.option("--dry-run", is_flag=True, help="Only list which cases can move and why the others cannot.")
@click.option("--user", "user", default="cli", help="Who moves them (for the log).")
@with_appcontext
def models_migrate(key, from_version, to_version, dry_run, user):
    """Move KEY's running cases from one version to a later one, each case all-or-nothing."""
    from engine import model_migration

    sessions = database.sessions()
    try:
        with sessions() as session:
            checks = model_migration.plan_migration(session, key, from_version, to_version, clock=database.clock())
        for check in checks:
            verdict = "kan flyttas" if check.movable else "kan inte flyttas: " + " ".join(check.reasons)
            click.echo(f"ärende {check.case_id} ({', '.join(check.waiting_at) or '-'}): {verdict}")
        movable = sum(c.movable for c in checks)
        click.echo(f"{movable} av {len(checks)} ärenden kan flyttas från version {from_version} till {to_version}.")
        if dry_run or not movable:
            return
        with sessions.begin() as session:
            run_id = model_migration.start_migration(session, key, from_version, to_version, user=user,
                                                     clock=database.clock()).id
        with click.progressbar(length=movable, label="Flyttar ärenden") as bar:
            state = {"status": "running", "done": 0}
            while state["status"] == "running":
                with sessions.begin() as session:
                    run = model_migration.migrate_next(session, run_id, user=user, clock=database.clock())
                    done_before, state = state["done"], model_migration.progress(run)
                bar.update(state["done"] - done_before)
    except KompisError as exc:
        _fail(exc.message)
    click.echo(f"Flytt {run_id}: {state['migrated']} flyttade, {state['failed']} misslyckades "
               f"(återställ med: kompis models rollback {run_id}).")


@models.command("rollback")
@click.argument("run_id", type=int)
@click.option("--user", "user", default="cli", help="Who rolls back (for the log).")
@with_appcontext
def models_rollback(run_id, user):
    """Put the cases a migration run moved back on their old version (those unchanged since)."""
    from engine import model_migration

    try:
        with database.sessions().begin() as session:
            run = model_migration.rollback_migration(session, run_id, user=user, clock=database.clock())
            state = model_migration.progress(run)
            kept = [(i.case_id, i.message) for i in run.items if i.status == "kept"]
    except KompisError as exc:
        _fail(exc.message)
    click.echo(f"Flytt {run_id}: {state['rolled_back']} ärenden tillbaka på den gamla versionen, "
               f"{state['kept']} ligger kvar.")
    for case_id, message in kept:
        click.echo(f"  ärende {case_id}: {message}")


@cli.command("scheduler")
@click.option("--poll", "poll_seconds", default=5.0, show_default=True, help="Safety poll interval in seconds.")
@click.option("--until-idle", is_flag=True, help="Fire everything due now, then exit.")
@with_appcontext
def scheduler_command(poll_seconds, until_idle):
    """Fire timers and send notifications (run any number of these on PostgreSQL)."""
    import logging
    import signal
    import threading

    from engine.gc_tuning import tune_for_service
    from engine.scheduler import TimerScheduler

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("spiff").setLevel(logging.WARNING)  # a line per task state change otherwise
    scheduler = TimerScheduler(database.sessions(), database.clock(), poll_seconds=poll_seconds)
    tune_for_service()
    if until_idle:
        totals = scheduler.run_until_idle()
        click.echo(f"Utlöste {totals.fired} timrar ({totals.failed} misslyckades).")
        return
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    scheduler.start()
    click.echo(f"Schemaläggaren körs (kontroll var {poll_seconds:g} s). Avsluta med Ctrl-C.")
    stop.wait()
    scheduler.shutdown()


@cli.group("clock")
def clock_group():
    """The simulated clock (KOMPIS_CLOCK=simulated)."""


@clock_group.command("show")
@with_appcontext
def clock_show():
    """Print the engine's current time."""
    from engine.clock import STOCKHOLM

    click.echo(database.clock().now().astimezone(STOCKHOLM).isoformat())


@clock_group.command("advance")
@click.argument("duration")
@with_appcontext
def clock_advance(duration):
    """Move the simulated clock forward by DURATION (ISO 8601: P3M, P1Y, P10D, PT5H), firing every
    timer that falls due on the way, in due order."""
    from engine.clock import STOCKHOLM
    from engine.errors import ClockError
    from engine.simulation import advance_clock

    clock = database.clock()
    if not hasattr(clock, "set"):
        _fail("klockan är verklig. Starta med KOMPIS_CLOCK=simulated för att kunna flytta tiden.")
    try:
        start = clock.now()
        from engine.clock_store import add_duration

        target = add_duration(start, duration)
    except ClockError as exc:
        _fail(exc.message)
    total = max(1, int((target - start).total_seconds()))
    with click.progressbar(length=total, label="Flyttar klockan", show_pos=False) as bar:
        done = {"seconds": 0}

        def progress(report):
            elapsed = int((clock.now() - start).total_seconds())
            bar.update(max(0, elapsed - done["seconds"]))
            done["seconds"] = elapsed

        report = advance_clock(database.sessions(), clock, duration, on_progress=progress)
    click.echo(f"Klockan är nu {report.end.astimezone(STOCKHOLM):%Y-%m-%d %H:%M}. "
               f"Utlöste {report.fired} timrar ({report.failed} misslyckades).")


@cli.group("users")
def users_group():
    """People who sign in."""


@users_group.command("add")
@click.argument("username")
@click.option("--role", required=True, type=click.Choice(["caseworker", "unit_manager", "process_owner", "admin"]))
@click.option("--group", "groups", multiple=True, help="A group (lane / candidate group); repeat for several.")
@click.option("--password", default=None, help="At least 10 characters; without it one is generated and printed.")
@click.option("--name", "display_name", default="", help="Full name shown in the app.")
@with_appcontext
def users_add(username, role, groups, password, display_name):
    """Add a user with a role and groups."""
    from engine.users import create_user

    with database.sessions().begin() as session:
        try:
            user, chosen = create_user(session, username, role=role, groups=list(groups), password=password,
                                       clock=database.clock(), display_name=display_name)
        except KompisError as exc:
            _fail(exc.message, [f"{k}: {' '.join(v)}" for k, v in getattr(exc, "errors", {}).items()])
    click.echo(f"Skapade {user.username} ({user.role}; grupper: {', '.join(user.groups) or 'inga'}).")
    if password is None:
        click.echo(f"Lösenord (visas bara nu): {chosen}")


@cli.group("token")
def token_group():
    """API tokens (bearer)."""


@token_group.command("create")
@click.argument("username")
@click.option("--expires", default=None, help="Lifetime such as 90d, 12h or 2w (default: no expiry).")
@with_appcontext
def token_create(username, expires):
    """Create a token for USERNAME; it is printed once, as the last word."""
    from engine.users import create_token, parse_expiry

    with database.sessions().begin() as session:
        try:
            token = create_token(session, username, clock=database.clock(),
                                 expires=parse_expiry(expires) if expires else None)
        except KompisError as exc:
            _fail(exc.message)
    click.echo(f"Token för {username} (visas bara nu): {token}")


@token_group.command("list")
@with_appcontext
def token_list():
    """List tokens (prefix, owner, created, expires, revoked)."""
    from sqlalchemy import select

    from engine.models import ApiToken, User

    with database.sessions()() as session:
        rows = session.execute(select(ApiToken, User.username).join(User, User.id == ApiToken.user_id)
                               .order_by(ApiToken.id)).all()
    for token, username in rows:
        state = "återkallad" if token.revoked_at else "giltig"
        expires = token.expires_at.date().isoformat() if token.expires_at else "aldrig"
        click.echo(f"{token.prefix}…  {username:20} skapad {token.created_at:%Y-%m-%d}  går ut {expires}  {state}")


@token_group.command("revoke")
@click.argument("prefix")
@with_appcontext
def token_revoke(prefix):
    """Revoke the token(s) starting with PREFIX (as shown by `kompis token list`)."""
    from engine.users import revoke_token

    with database.sessions().begin() as session:
        count = revoke_token(session, prefix.rstrip("…"), clock=database.clock())
    if not count:
        _fail(f"ingen giltig token börjar med {prefix}")
    click.echo(f"Återkallade {count} token.")


@cli.group("payroll")
def payroll_group():
    """Payment basis for payroll."""


@payroll_group.command("export")
@click.option("--month", required=True, help="The month, YYYY-MM.")
@click.option("--out", "out", type=click.Path(dir_okay=False, writable=True), default=None,
              help="Write to this file (default: standard output).")
@with_appcontext
def payroll_export(month, out):
    """Write the month's payment basis as CSV (semicolon-separated, UTF-8)."""
    from engine.payroll import payment_basis_csv

    with database.sessions()() as session:
        try:
            text = payment_basis_csv(session, month)
        except KompisError as exc:
            _fail(exc.message)
    if out:
        Path(out).write_text(text, encoding="utf-8")
        click.echo(f"Skrev {text.count(chr(10)) - 1} rader till {out}.")
    else:
        click.echo(text, nl=False)


@cli.command("demo")
@click.option("--if-empty", is_flag=True, help="Do nothing (and succeed) when the database already has data.")
@click.option("--seed", default=17, show_default=True, help="Another seed gives other invented people.")
@with_appcontext
def demo_command(if_empty, seed):
    """Fill an empty database with invented demo data by running the real processes over the last
    fourteen months on a simulated clock; prints one password per role, once."""
    from engine.demo.run import DemoRefused, run_demo

    _prepare_database()
    clock = database.clock()
    try:
        report, end = run_demo(database.sessions(), end=clock.now(), seed=seed,
                               progress=lambda text: click.echo(f"… {text}"))
    except DemoRefused as exc:
        if if_empty:
            click.echo("Databasen har redan data; inga demodata skapades.")
            return
        _fail(exc.message)
    click.echo(f"Klart: {report.volunteers} kontaktpersoner, {report.clients} enskilda, "
               f"{report.active_assignments} aktiva uppdrag, {report.open_tasks} öppna uppgifter.")
    click.echo("Inloggningar (lösenorden visas bara nu):")
    for username, password in report.passwords.items():
        click.echo(f"  {username:8} {password}")


@cli.command("bench", add_help_option=False,
             context_settings={"ignore_unknown_options": True, "allow_extra_args": True})
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def bench_command(args):
    """Benchmarks: [--scale 1k|10k|100k] [--database sqlite|postgresql], or `load` (docs/benchmarks.md)."""
    # bench/ (and the scenario steps it reuses from tests/) live in the checkout, not in the package.
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    if args and args[0] == "load":
        from bench.load import main as load_main

        load_main(list(args[1:]))
    else:
        from bench.run import main as run_main

        run_main(list(args))
