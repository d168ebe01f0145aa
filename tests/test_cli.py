"""The `pairwise` command: clear output, clear errors."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import sqlalchemy as sa
from click.testing import CliRunner

from service.cli import cli
from service.database import db
from service.pairs.models import Pair
from tests.helpers import Api
from tests.helpers.servers import repository_root
from workflows.pairing import State


def _invoke(service_env, *args: str):
    return CliRunner().invoke(cli, list(args), env=service_env, catch_exceptions=False)


def test_create_token_prints_a_working_token_once(client, service_env):
    result = _invoke(service_env, "create-token", "--name", "crm", "--scope", "pairs:read")
    assert result.exit_code == 0
    token = result.stdout.strip().splitlines()[-1]
    assert token.startswith("pw_")
    assert Api(client, token).get("/pairs").status_code == 200
    assert Api(client, token).post("/programs", {"name": "x"}).status_code == 403


def test_create_token_names_an_unknown_scope(app, service_env):
    result = _invoke(service_env, "create-token", "--name", "crm", "--scope", "pairs:destroy")
    assert result.exit_code == 1
    assert "unknown scope(s) pairs:destroy" in result.output


def test_create_token_without_scopes_is_a_usage_error(app, service_env):
    result = _invoke(service_env, "create-token", "--name", "crm")
    assert result.exit_code == 2
    assert "--scope" in result.output


def test_a_token_name_is_used_once(app, service_env):
    _invoke(service_env, "create-token", "--name", "crm", "--all")
    result = _invoke(service_env, "create-token", "--name", "crm", "--all")
    assert result.exit_code == 1
    assert "exists already" in result.output


def test_demo_loads_a_pair_in_every_state_once(app, service_env):
    first = _invoke(service_env, "demo")
    assert first.exit_code == 0, first.output
    second = _invoke(service_env, "demo")
    assert "there already" in second.output
    with app.app_context():
        states = db.session.scalars(sa.select(Pair.state)).all()
    assert set(states) == {state.value for state in State}
    assert len(states) == 9  # eight pairs, and the successor of the re-matched one


def test_production_without_a_secret_refuses_to_start_with_a_clear_message(service_env):
    env = {**service_env, "PAIRWISE_ENV": "production", "SECRET_KEY": ""}
    result = subprocess.run(
        [sys.executable, "-m", "service.cli", "list-tokens"],
        env=env,
        cwd=repository_root(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "SECRET_KEY must be set" in result.stderr
    assert "Traceback" not in result.stderr


def test_the_console_script_is_installed(service_env):
    script = Path(sys.executable).parent / "pairwise"
    result = subprocess.run([script, "--help"], env=service_env, capture_output=True, text=True)
    assert result.returncode == 0
    for command in ("run", "worker", "create-token", "demo", "diagram", "db"):
        assert command in result.stdout


def test_create_user_makes_an_account_that_signs_in(app, service_env):
    from tests.helpers.staff import Console

    result = CliRunner().invoke(
        cli,
        ["create-user", "--email", "cora@example.org", "--name", "Cora", "--password-stdin"],
        input="correct horse battery\n",
        env=service_env,
    )

    assert result.exit_code == 0, result.output
    assert "Created coordinator Cora <cora@example.org>" in result.output
    response = Console(app).sign_in("cora@example.org", "correct horse battery")
    assert response.status_code == 302


def test_create_user_refuses_a_short_password_clearly(app, service_env):
    result = CliRunner().invoke(
        cli,
        ["create-user", "--email", "cora@example.org", "--name", "Cora", "--password-stdin"],
        input="short\n",
        env=service_env,
    )

    assert result.exit_code == 1
    assert "a password needs at least 12 characters" in result.output


def test_create_user_refuses_an_unknown_role(app, service_env):
    result = _invoke(
        service_env, "create-user", "--email", "a@b.org", "--name", "A", "--role", "boss"
    )

    assert result.exit_code == 2
    assert "'boss' is not one of" in result.output


def test_an_account_without_a_password_gets_one_with_set_password(app, service_env):
    from tests.helpers.staff import Console

    created = _invoke(
        service_env, "create-user", "--email", "sam@example.org", "--name", "Sam", "--no-password"
    )
    assert "pairwise set-password --email sam@example.org" in created.output
    assert Console(app).sign_in("sam@example.org", "anything at all here").status_code == 401

    result = CliRunner().invoke(
        cli,
        ["set-password", "--email", "sam@example.org", "--password-stdin"],
        input="a long enough passphrase\n",
        env=service_env,
    )

    assert result.exit_code == 0, result.output
    assert Console(app).sign_in("sam@example.org", "a long enough passphrase").status_code == 302


def test_set_password_names_an_unknown_account(app, service_env):
    result = _invoke(service_env, "set-password", "--email", "ghost@example.org")

    assert result.exit_code == 1
    assert "no staff account has the e-mail ghost@example.org" in result.output


def test_demo_prints_a_console_sign_in_that_works(app, service_env):
    import re

    from tests.helpers.staff import Console

    first = CliRunner().invoke(cli, ["demo"], env=service_env)
    again = CliRunner().invoke(cli, ["demo"], env=service_env)

    email, password = re.search(r"Console sign-in \(admin\): (\S+) / (\S+)", first.output).groups()
    assert f"{email} / {password}" in again.output
    console = Console(app)
    assert console.sign_in(email, password).status_code == 302
    assert "Riverside" in console.page("/console/pairs")


def _demo_sign_in(output: str) -> tuple[str, str, str]:
    import re

    token = re.search(r"Demo API token \(all scopes\): (\S+)", output).group(1)
    email, password = re.search(r"Console sign-in \(admin\): (\S+) / (\S+)", output).groups()
    return token, email, password


def test_demo_makes_a_missing_instance_folder_and_keeps_a_working_token(
    client, service_env, tmp_path
):
    instance = tmp_path / "new" / "instance"
    result = _invoke({**service_env, "PAIRWISE_INSTANCE_PATH": str(instance)}, "demo")

    assert result.exit_code == 0, result.output
    token, _, _ = _demo_sign_in(result.output)
    assert Api(client, token).get("/pairs").status_code == 200
    assert (instance / "demo-token").stat().st_mode & 0o777 == 0o600
    assert (instance / "demo-login").stat().st_mode & 0o777 == 0o600


def _demo_rows(app) -> dict[str, int]:
    from service.accounts.models import User
    from service.programs.models import Program
    from service.tokens.models import ApiToken

    with app.app_context():
        return {
            model.__name__: db.session.scalar(sa.select(sa.func.count()).select_from(model))
            for model in (Program, Pair, ApiToken, User)
        }


def test_demo_run_again_creates_nothing_and_prints_the_same_sign_in(app, service_env):
    first = _invoke(service_env, "demo")
    rows = _demo_rows(app)

    again = _invoke(service_env, "demo")

    assert again.exit_code == 0, again.output
    assert _demo_sign_in(again.output) == _demo_sign_in(first.output)
    assert _demo_rows(app) == rows


def test_demo_run_again_after_its_sign_in_was_lost_prints_one_that_works(app, service_env):
    from tests.helpers.staff import Console

    _invoke(service_env, "demo")
    rows = _demo_rows(app)
    (Path(app.instance_path) / "demo-login").unlink()

    again = _invoke(service_env, "demo")

    _, email, password = _demo_sign_in(again.output)
    assert Console(app).sign_in(email, password).status_code == 302
    assert _demo_rows(app) == rows  # the same demo admin, with a new password


def test_demo_issues_a_fresh_token_when_the_kept_one_is_lost(app, client, service_env):
    old, _, _ = _demo_sign_in(_invoke(service_env, "demo").output)
    (Path(app.instance_path) / "demo-token").unlink()

    new, _, _ = _demo_sign_in(_invoke(service_env, "demo").output)

    assert new != old
    assert Api(client, new).get("/pairs").status_code == 200
    assert Api(client, old).get("/pairs").status_code == 401  # one demo token at a time
