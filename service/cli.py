"""The `pairwise` command: run the service, its workers, and its chores.

Each command imports what only it needs inside its own function: `pairwise diagram` should
not load RQ and the worker, nor `pairwise worker` the embedded Redis and the demo data.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from contextlib import ExitStack, suppress
from pathlib import Path

import click
from flask import current_app
from flask.cli import FlaskGroup, routes_command, shell_command

from service import create_app
from service.config import ConfigError

README_START = "<!-- lifecycle-diagram:start -->"
README_END = "<!-- lifecycle-diagram:end -->"
# The machines `pairwise diagram` draws, each between markers of its own name.
MACHINES = {"pair": "lifecycle", "intake": "intake"}


def markers(machine: str) -> tuple[str, str]:
    name = MACHINES[machine]
    return f"<!-- {name}-diagram:start -->", f"<!-- {name}-diagram:end -->"


@click.group(
    cls=FlaskGroup,
    create_app=lambda: create_app(),
    add_default_commands=False,
    add_version_option=False,
    load_dotenv=False,
    set_debug_flag=False,
    help="Pairwise keeps every mentor/mentee pair of a program on a persisted state machine.",
)
def cli() -> None:
    pass


cli.add_command(shell_command)
cli.add_command(routes_command)


@cli.command("run")
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option("--port", default=5000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--worker/--no-worker", default=True, show_default=True, help="Start a worker too.")
def run_command(host: str, port: int, worker: bool) -> None:
    """Serve the web app and API with a worker, on one machine.

    Without REDIS_URL an embedded Redis server is started (and stopped on exit).
    """
    from flask_migrate import upgrade
    from werkzeug.serving import run_simple

    from service.embedded_redis import EmbeddedRedis

    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if app.config["PAIRWISE_ENV"] == "production":
        click.echo("Note: for production, serve with gunicorn (see README, Deploying).", err=True)
    if "PUBLIC_URL" not in os.environ:
        app.config["PUBLIC_URL"] = f"http://{'localhost' if host == '127.0.0.1' else host}:{port}"
    # Ctrl-C and a plain `kill` both clean up. SIGINT's handler is set here, not inherited: a
    # shell starts a background job (`pairwise run &`) with SIGINT ignored, and Python keeps
    # it so; then Ctrl-C's signal, sent to the process alone, would be lost.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    with ExitStack() as stack:
        if not app.config.get("REDIS_URL"):
            data = Path(app.instance_path) / "redis"
            data.mkdir(parents=True, exist_ok=True)
            embedded = EmbeddedRedis(data_directory=data)
            url = embedded.start()
            stack.callback(embedded.stop)
            app.config["REDIS_URL"] = os.environ["REDIS_URL"] = url
            click.echo(f"Started an embedded Redis at {url}", err=True)
        upgrade(directory=app.extensions["migrate"].directory)
        if worker:
            # In a session of its own: the worker, and RQ's scheduler process it forks, are
            # stopped by this process, together, never left behind.
            process = subprocess.Popen(
                [sys.executable, "-m", "service.cli", "worker"], start_new_session=True
            )
            stack.callback(_stop_process, process)
        click.echo(f"Pairwise is serving on {app.config['PUBLIC_URL']}", err=True)
        run_simple(host, port, app, threaded=True, use_reloader=False)


def _stop_process(process: subprocess.Popen) -> None:
    """A warm shutdown (RQ finishes the job at hand), then, after 15 s, the whole group."""
    if process.poll() is None:
        # SIGTERM, not SIGINT: a process that is still starting may ignore SIGINT (see above),
        # never SIGTERM; RQ takes either as a warm shutdown.
        process.terminate()
        with suppress(subprocess.TimeoutExpired):
            process.wait(timeout=15)
    with suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()


@cli.command("worker")
@click.option("--burst", is_flag=True, help="Exit once the queues are empty.")
@click.option(
    "--clock/--no-clock",
    default=True,
    show_default=True,
    help="Also keep time: relay the outbox and enqueue the sweep and the digest "
    "(one process at a time does, whoever holds the lease).",
)
@click.option("--name", help="Worker name, shown by `rq info`.")
def worker_command(burst: bool, clock: bool, name: str | None) -> None:
    """Run an RQ worker with RQ's scheduler, and the service's clock."""
    from service.worker import run_worker

    app = current_app._get_current_object()  # type: ignore[attr-defined]
    try:
        run_worker(app, burst=burst, with_clock=clock, name=name)
    except ValueError as error:
        if "active worker named" not in str(error):
            raise
        raise click.ClickException(
            f"{error}: it is running (or on another machine, it has not missed its heartbeat "
            "yet). Choose another --name, or stop that worker first."
        ) from None


@cli.command("scheduler")
def scheduler_command() -> None:
    """Only the clock: relay the outbox and enqueue the recurring jobs (no job running)."""
    import threading

    from service.scheduler import run_clock

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        run_clock(current_app._get_current_object(), stop)  # type: ignore[attr-defined]
    except KeyboardInterrupt:
        stop.set()


@cli.command("relay")
def relay_command() -> None:
    """Publish one batch of committed outbox events to the queue, and exit."""
    from service.events.relay import relay_once

    click.echo(f"Published {relay_once()} event(s).")


@cli.command("sweep")
def sweep_command() -> None:
    """Run the calendar's sweep once, now, and say what it did."""
    from service.calendar.sweep import sweep

    result = sweep()
    click.echo(
        f"{result.schedules} schedule(s) due: {result.contacts} contact(s) made, "
        f"{result.reminders} reminder(s), {result.overdue} overdue; "
        f"{result.redrawn} calendar(s) redrawn after a transition."
    )
    for failure in result.failures:
        click.echo(f"failed: {failure}", err=True)


@cli.command("import-participants")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--program", "program_id", type=int, required=True, help="The program's id.")
@click.option(
    "--role",
    type=click.Choice(["mentor", "mentee", "guardian"]),
    help="The role of every row, when the file has no role column.",
)
@click.option(
    "--map",
    "mappings",
    multiple=True,
    metavar="HEADER=FIELD",
    help="Map a column to a field (FIELD empty: leave the column out); repeatable. Columns "
    "not named are mapped by their headers.",
)
@click.option("--dry-run", is_flag=True, help="Check every row and report; write nothing.")
@click.option("--applications", is_flag=True, help="New people join as applications to screen.")
def import_participants_command(
    file: Path,
    program_id: int,
    role: str | None,
    mappings: tuple[str, ...],
    dry_run: bool,
    applications: bool,
) -> None:
    """Import participants from a CSV file or an .xlsx workbook: all rows, or none if any
    is invalid; people already in the program (same role and e-mail) are updated."""
    from service.actors import system
    from service.errors import DomainError
    from service.participants import importing

    data = file.read_bytes()
    try:
        table = importing.read_table(data, file.name)
        mapping = importing.auto_mapping(table.headers)
        for item in mappings:
            header, sep, field = item.partition("=")
            if not sep or header not in mapping:
                known = ", ".join(repr(h) for h in table.headers)
                raise click.UsageError(f"--map {item!r}: name a column of the file ({known})")
            mapping[header] = field or None
        report = importing.run(
            data,
            file.name,
            program_id=program_id,
            actor=system("pairwise import-participants"),
            mapping=mapping,
            role=role,
            dry_run=dry_run,
            as_applications=applications,
        )
    except DomainError as refusal:
        raise click.ClickException(refusal.detail) from None
    for header, chosen in report.mapping.items():
        click.echo(f"  {header!r} -> {chosen or '(left out)'}")
    for error in report.errors:
        click.echo(f"line {error.line}: " + "; ".join(error.messages), err=True)
    verb = "Imported" if report.imported else "Would import"
    click.echo(
        f"{verb} {report.total} row(s): {report.created} created, {report.updated} updated, "
        f"{report.skipped} unchanged."
    )
    if report.errors:
        raise click.ClickException(
            f"{len(report.errors)} invalid row(s); nothing was imported. Fix them and run again."
        )


@cli.command("create-user")
@click.option("--email", required=True)
@click.option("--name", "full_name", required=True, help="Full name, as colleagues see it.")
@click.option(
    "--role",
    type=click.Choice(["admin", "coordinator", "support"]),
    default="coordinator",
    show_default=True,
)
@click.option(
    "--password-stdin", is_flag=True, help="Read the password from standard input (no prompt)."
)
@click.option("--no-password", is_flag=True, help="Create the account without a password yet.")
def create_user_command(
    email: str, full_name: str, role: str, password_stdin: bool, no_password: bool
) -> None:
    """Create a staff account (admin, coordinator or support)."""
    from service.accounts import service as accounts

    password = None
    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    elif not no_password:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        user = accounts.create(email=email, full_name=full_name, role=role, password=password)
    except ValueError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"Created {user.role} {user.full_name} <{user.email}> (user {user.id}).")
    if password is None:
        click.echo(f"They cannot sign in until `pairwise set-password --email {email}`.", err=True)


@cli.command("set-password")
@click.option("--email", required=True)
@click.option(
    "--password-stdin", is_flag=True, help="Read the password from standard input (no prompt)."
)
def set_password_command(email: str, password_stdin: bool) -> None:
    """Set (or reset) a staff member's password; their other sessions are signed out."""
    from service.accounts import service as accounts

    user = accounts.by_email(email)
    if user is None:
        raise click.ClickException(f"no staff account has the e-mail {email}")
    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        accounts.set_password(user_id=user.id, password=password)
    except ValueError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"Password set for {user.full_name} <{user.email}>; their sessions are ended.")


@cli.command("disable-user")
@click.option("--email", required=True)
def disable_user_command(email: str) -> None:
    """Disable a staff account: it is signed out everywhere and cannot sign in."""
    _set_active(email, active=False)


@cli.command("enable-user")
@click.option("--email", required=True)
def enable_user_command(email: str) -> None:
    """Let a disabled staff account sign in again."""
    _set_active(email, active=True)


def _set_active(email: str, *, active: bool) -> None:
    from service.accounts import service as accounts

    user = accounts.by_email(email)
    if user is None:
        raise click.ClickException(f"no staff account has the e-mail {email}")
    accounts.set_active(user_id=user.id, active=active)
    state = "enabled" if active else "disabled and signed out everywhere"
    click.echo(f"{user.full_name} <{user.email}> is {state}.")


@cli.command("create-token")
@click.option("--name", required=True, help="Who uses it, e.g. 'crm'.")
@click.option("--scope", "scopes", multiple=True, help="Repeat for several scopes.")
@click.option("--all", "all_scopes", is_flag=True, help="Every scope, admin included.")
def create_token_command(name: str, scopes: tuple[str, ...], all_scopes: bool) -> None:
    """Create an API token. The token is printed once, on stdout; keep it safe."""
    from service.tokens import service as tokens

    if all_scopes:
        scopes = tuple(tokens.SCOPES)
    if not scopes:
        raise click.UsageError(
            "give --scope (repeatable) or --all; scopes: " + ", ".join(tokens.SCOPES)
        )
    try:
        token, raw = tokens.create(name=name, scopes=scopes)
    except ValueError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"Created token {token.name!r} with scopes: {' '.join(token.scopes)}", err=True)
    click.echo(raw)


@cli.command("revoke-token")
@click.option("--name", required=True)
def revoke_token_command(name: str) -> None:
    """Revoke an API token; requests with it get 401 from now on."""
    from service.errors import NotFound
    from service.tokens import service as tokens

    try:
        tokens.revoke(name=name)
    except NotFound as problem:
        raise click.ClickException(problem.detail) from None
    click.echo(f"Revoked token {name!r}.")


@cli.command("list-tokens")
def list_tokens_command() -> None:
    """List API tokens (never their values)."""
    from service.tokens import service as tokens

    for token in tokens.list_all():
        state = "revoked" if token.revoked_at else "active"
        used = token.last_used_at.isoformat(timespec="minutes") if token.last_used_at else "never"
        click.echo(
            f"{token.name}\t{token.prefix}…\t{state}\tlast used {used}\t{' '.join(token.scopes)}"
        )


@cli.command("rotate-encryption-key")
def rotate_encryption_key_command() -> None:
    """Re-encrypt every stored secret with the newest key of PAIRWISE_ENCRYPTION_KEYS.

    Put the new key first (the old ones after it) everywhere the service runs, then run this
    once; afterwards the old keys can be removed.
    """
    from service import encryption
    from service.database import db

    app = current_app._get_current_object()  # type: ignore[attr-defined]
    ring = app.extensions[encryption.EXTENSION]
    try:
        with db.engine.begin() as connection:
            count = encryption.rotate_all_rows(connection, ring)
    except encryption.SecretUnreadable as error:
        raise click.ClickException(f"{error} Nothing was changed.") from None
    click.echo(f"Re-encrypted {count} secret(s) with the newest key.")
    older = len(app.config["ENCRYPTION_KEYS"]) - 1
    if older:
        click.echo(f"The {older} older key(s) can now be removed from PAIRWISE_ENCRYPTION_KEYS.")


DEMO_COORDINATOR = "coordinator@demo.pairwise.test"


@cli.command("demo")
def demo_command() -> None:
    """Load a demo program with a pair in every state, and print how to sign in.

    Run again, it creates nothing and prints the same sign-in. The API token is kept in the
    instance folder (only its digest is in the database); if that copy is lost, a fresh
    token is issued and the older demo tokens are revoked.
    """
    from service import demo

    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if app.config["PAIRWISE_ENV"] == "production":
        raise click.ClickException("demo refuses to run in production.")
    instance = Path(app.instance_path)
    # Before anything is committed: the token is only ever shown from the file kept here.
    instance.mkdir(parents=True, exist_ok=True)
    if demo.demo_exists():
        click.echo("The demo program is there already.", err=True)
    else:
        program = demo.load()
        click.echo(f"Loaded the demo program {program.name!r}.", err=True)
    email, password = demo.console_sign_in(instance / "demo-login")
    click.echo(f"Demo API token (all scopes): {demo.api_token(instance / 'demo-token')}", err=True)
    click.echo(f"Console sign-in (admin): {email} / {password}", err=True)


@cli.command("demo-history")
@click.option(
    "--pairs",
    type=click.IntRange(1, 100_000),
    default=300,
    show_default=True,
    help="How many pairs the program's eighteen months hold.",
)
def demo_history_command(pairs: int) -> None:
    """Load a demo program with eighteen months of history (a few hundred pairs, their
    meetings, check-ins, contacts and endings), so the insights pages have something to show.
    Pairs that miss meetings end earlier, rate their match lower and answer fewer check-ins.

    Run again, it creates nothing.
    """
    from service import demo_history

    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if app.config["PAIRWISE_ENV"] == "production":
        raise click.ClickException("demo-history refuses to run in production.")
    if demo_history.history_exists():
        click.echo("The demo history program is there already.", err=True)
        return
    program = demo_history.load(pairs=pairs)
    click.echo(
        f"Loaded {program.name!r} with {pairs} pairs: its insights are at "
        f"/console/programs/{program.id}/insights",
        err=True,
    )


@cli.command("risk")
@click.option("--program", "program_id", type=int, required=True, help="The program's id.")
@click.option(
    "--queue", "in_background", is_flag=True, help="Queue the fit and scoring for a worker."
)
def risk_command(program_id: int, in_background: bool) -> None:
    """Fit a program's closure-risk model from its own history, check it on the latest
    matches, and score its running pairs (a pair at or above the program's threshold raises
    a signal for its coordinator). Refuses, and says why, below the program's minimum of
    ended matches."""
    from service.clock import today_in
    from service.database import db
    from service.insights import jobs, risk
    from service.programs.models import Program

    program = db.session.get(Program, program_id)
    if program is None:
        raise click.ClickException(f"There is no program {program_id}.")
    today = today_in(program.timezone)
    if in_background:
        fit_id, score_id = jobs.enqueue(program_id)
        click.echo(f"Queued the fit ({fit_id}) and the scoring ({score_id}).", err=True)
        return
    row = risk.fit(program_id=program_id, as_of=today)
    if row.status != "fitted":
        raise click.ClickException(row.detail)
    v = row.validation
    if v.get("concordance") is not None:
        click.echo(
            f"Fitted from {row.closed_matches} ended matches. On the {v['hold_out_pairs']} "
            f"matches after {v['cut']}: concordance {v['concordance']:.2f}, "
            f"sensitivity {_percent(v['sensitivity'])}, specificity "
            f"{_percent(v['specificity'])} at {v['threshold']:.0%}."
        )
    else:
        click.echo(f"Fitted from {row.closed_matches} ended matches. {v.get('note', '')}")
    flags = risk.score(program_id=program_id, as_of=today)
    click.echo(f"{len(flags)} pairs flagged.")
    for flag in flags:
        click.echo(f"  pair {flag.pair_id}: {flag.risk:.0%}: {'; '.join(flag.factors)}")


@cli.command("insights-report")
@click.option("--program", "program_id", type=int, required=True, help="The program's id.")
@click.option(
    "--from",
    "since",
    type=click.DateTime(["%Y-%m-%d"]),
    help="The first day of the period, like 2026-01-01. Default: two years before --to.",
)
@click.option(
    "--to",
    "until",
    type=click.DateTime(["%Y-%m-%d"]),
    help="The last day of the period. Default: today.",
)
@click.option(
    "--coordinator",
    "coordinator_id",
    type=int,
    help="Only the matches this member of staff coordinates.",
)
@click.option(
    "--output",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    required=True,
    help="Write the PDF to this file.",
)
def insights_report_command(
    program_id: int, since, until, coordinator_id: int | None, output: Path
) -> None:
    """Write a program's funder report (PDF) for a period: a summary in plain words, then
    each chart of the insights with its data table. Figures from groups smaller than the
    program's minimum read "fewer than N"."""
    from datetime import timedelta

    from service.clock import today_in
    from service.database import db
    from service.errors import Invalid
    from service.insights import report
    from service.insights.figures import Period, compute
    from service.programs.models import Program

    program = db.session.get(Program, program_id)
    if program is None:
        raise click.ClickException(f"There is no program {program_id}.")
    last = until.date() if until else today_in(program.timezone)
    first = since.date() if since else last - timedelta(days=730)
    try:
        period = Period(first, last)
    except Invalid as refusal:
        raise click.ClickException(
            f"The period must start on or before its last day: --from {first} is after --to {last}."
        ) from refusal
    insights = compute(program_id=program.id, period=period, coordinator_id=coordinator_id)
    body = report.pdf(report.html(insights, produced_on=today_in(program.timezone)))
    try:
        output.write_bytes(body)
    except OSError as error:
        raise click.ClickException(f"Cannot write {output}: {error.strerror}.") from error
    click.echo(
        f"Wrote the funder report of {program.name!r} for {first} to {last} "
        f"({insights.matches} matches) to {output}.",
        err=True,
    )


@cli.command("warehouse-export")
@click.option("--program", "program_id", type=int, required=True, help="The program's id.")
@click.option(
    "--since",
    help="Only the rows changed after this time, like 2026-11-01T00:00:00Z (without an "
    "offset: UTC): the cursor of the last export. Default: every row.",
)
@click.option(
    "--after",
    "previous",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Only the rows changed since this earlier export (a ZIP): its manifest's cursor.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["csv", "parquet"]),
    default="csv",
    show_default=True,
    help="One file per table, in this format.",
)
@click.option(
    "--output",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    required=True,
    help="Write the ZIP to this file.",
)
def warehouse_export_command(
    program_id: int, since: str | None, previous: Path | None, fmt: str, output: Path
) -> None:
    """Write every table a program owns to a ZIP for a warehouse: one CSV or Parquet file per
    table and a manifest.json with the columns, their types, the row counts and the cursor.
    With --since (or --after), only the rows changed since then: successive exports, each
    from the last one's cursor, hold every change once."""
    import tempfile
    from datetime import datetime

    from service.errors import DomainError
    from service.insights import warehouse

    if since is not None and previous is not None:
        raise click.UsageError("give --since or --after, not both")
    start = _cursor_of(previous) if previous is not None else since
    moment = None
    if start is not None:
        try:
            moment = datetime.fromisoformat(start)
        except ValueError:
            raise click.BadParameter(
                f"{start!r} is not a time: give one like 2026-11-01T00:00:00Z, as the "
                "cursor in an export's manifest.json reads",
                param_hint="'--since'",
            ) from None
    # Written beside the output and renamed once whole: a failed export leaves no half file.
    try:
        descriptor, name = tempfile.mkstemp(
            dir=output.resolve().parent, prefix=".warehouse-", suffix=".zip"
        )
    except OSError as error:
        raise click.ClickException(f"Cannot write {output}: {error.strerror}.") from error
    partial = Path(name)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            manifest = warehouse.export(handle, program_id=program_id, since=moment, fmt=fmt)
        partial.replace(output)
    except DomainError as refusal:
        raise click.ClickException(refusal.detail) from None
    except OSError as error:
        raise click.ClickException(f"Cannot write {output}: {error.strerror}.") from error
    finally:
        partial.unlink(missing_ok=True)
    warehouse.logged(manifest, by="the pairwise command")
    rows = sum(table["rows"] for table in manifest["tables"])
    click.echo(
        f"Wrote {rows} rows of {len(manifest['tables'])} tables of {manifest['program']['name']!r}"
        f", changed {'after ' + manifest['since'] if manifest['since'] else 'ever'} up to "
        f"{manifest['until']}, to {output}.\nNext time: --since {manifest['cursor']} "
        f"(or --after {output}).",
        err=True,
    )


def _cursor_of(previous: Path) -> str:
    import json
    import zipfile

    try:
        with zipfile.ZipFile(previous) as archive:
            cursor = json.loads(archive.read("manifest.json"))["cursor"]
    except (zipfile.BadZipFile, KeyError, ValueError, TypeError):
        raise click.BadParameter(
            f"{previous} is not a warehouse export: it holds no manifest.json with a cursor",
            param_hint="'--after'",
        ) from None
    if not isinstance(cursor, str):
        raise click.BadParameter(f"{previous}'s manifest has no cursor", param_hint="'--after'")
    return cursor


def _percent(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.0%}"


@cli.command("diagram")
@click.option(
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the Mermaid source to this file (default: stdout).",
)
@click.option(
    "--readme",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Replace the diagram between the machine's markers (lifecycle-diagram or intake-diagram).",
)
@click.option("--check", is_flag=True, help="With --readme: fail if it is out of date.")
@click.option(
    "--machine",
    type=click.Choice(sorted(MACHINES)),
    default="pair",
    show_default=True,
    help="The pair lifecycle, or intake and screening.",
)
def diagram_command(output: Path | None, readme: Path | None, check: bool, machine: str) -> None:
    """Draw the pair lifecycle (or intake) from the state machine itself (Mermaid)."""
    if machine == "intake":
        from workflows.intake import mermaid_diagram
    else:
        from workflows.pairing import mermaid_diagram

    diagram = mermaid_diagram()
    start, end = markers(machine)
    if readme is None:
        if check:
            raise click.UsageError("--check needs --readme")
        if output:
            output.write_text(diagram)
        else:
            click.echo(diagram, nl=False)
        return
    text = readme.read_text()
    if start not in text or end not in text:
        raise click.ClickException(f"{readme} has no {start} … {end} markers")
    before, rest = text.split(start, 1)
    _, after = rest.split(end, 1)
    updated = f"{before}{start}\n```mermaid\n{diagram}```\n{end}{after}"
    if check:
        if updated != text:
            raise click.ClickException(
                f"{readme}'s diagram is out of date: run pairwise diagram --machine {machine} "
                f"--readme {readme}"
            )
        click.echo(f"{readme}'s diagram is up to date.")
        return
    readme.write_text(updated)
    click.echo(f"Updated the diagram in {readme}.")


def openapi_document() -> str:
    """The OpenAPI document the running app serves at /api/v1/openapi.json, as stable text."""
    import json

    api = current_app.extensions["pairwise.api"]
    return json.dumps(api.spec.to_dict(), indent=2, ensure_ascii=False) + "\n"


@cli.command("openapi")
@click.option(
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the document to this file (default: stdout).",
)
@click.option("--check", is_flag=True, help="With --output: fail if the file is out of date.")
def openapi_command(output: Path | None, check: bool) -> None:
    """Print the OpenAPI document of the API (the docs site keeps a copy of it)."""
    document = openapi_document()
    if output is None:
        if check:
            raise click.UsageError("--check needs --output")
        click.echo(document, nl=False)
        return
    if check:
        if not output.exists() or output.read_text() != document:
            raise click.ClickException(
                f"{output} is out of date: run pairwise openapi --output {output}"
            )
        click.echo(f"{output} is up to date.")
        return
    output.write_text(document)
    click.echo(f"Wrote the OpenAPI document to {output}.")


def main() -> None:
    try:
        cli.main(prog_name="pairwise")
    except ConfigError as error:
        click.echo(f"Error: configuration: {error}", err=True)
        sys.exit(2)


if __name__ == "__main__":
    main()
