"""The documentation site says what the code does: what is generated from the code matches it,
and what is written by hand names every policy, survey and setting the code has."""

from __future__ import annotations

import json
import re

from click.testing import CliRunner

from service.cli import README_END, README_START, cli
from surveys import loader
from tests.helpers.servers import repository_root
from workflows.cadence import POLICIES
from workflows.pairing import mermaid_diagram

DOCS = repository_root() / "docs"
OPENAPI_COPY = DOCS / "api" / "openapi.json"


def _page(path: str) -> str:
    return (DOCS / path).read_text()


def test_the_lifecycle_page_shows_the_diagram_the_machine_draws_today():
    block = _page("concepts/lifecycle.md").split(README_START, 1)[1].split(README_END, 1)[0]
    assert block.strip() == f"```mermaid\n{mermaid_diagram()}```", (
        "docs/concepts/lifecycle.md's diagram is out of date: run `make diagram`"
    )


def test_the_docs_keep_the_openapi_document_the_api_serves(client):
    served = client.get("/api/v1/openapi.json").get_json()
    assert json.loads(OPENAPI_COPY.read_text()) == served, (
        "docs/api/openapi.json is out of date: run `make docs`"
    )


def test_the_committed_openapi_copy_is_exactly_what_pairwise_openapi_writes():
    result = CliRunner().invoke(cli, ["openapi", "--output", str(OPENAPI_COPY), "--check"])
    assert result.exit_code == 0, result.output


def test_openapi_check_fails_on_a_stale_copy(tmp_path):
    stale = tmp_path / "openapi.json"
    stale.write_text('{"openapi": "3.1.0", "paths": {}}\n')
    result = CliRunner().invoke(cli, ["openapi", "--output", str(stale), "--check"])
    assert result.exit_code == 1
    assert "out of date" in result.output


def test_openapi_writes_the_document_the_api_serves(tmp_path, client):
    written = tmp_path / "openapi.json"
    result = CliRunner().invoke(cli, ["openapi", "--output", str(written)])
    assert result.exit_code == 0, result.output
    assert json.loads(written.read_text()) == client.get("/api/v1/openapi.json").get_json()


def _written_by_hand() -> list:
    root = repository_root()
    pages = [
        path
        for path in DOCS.rglob("*")
        if path.suffix in (".md", ".html", ".css", ".yml", ".yaml")
        or path.name == "webhook_receiver.py"
    ]
    return [*pages, root / "mkdocs.yml", root / "CONTRIBUTING.md", root / "SECURITY.md"]


def test_the_docs_cite_sources_by_title_never_by_the_teams_shorthand():
    shorthand = re.compile(r"seed|spec\.md|table [78]\b", re.IGNORECASE)
    found = [
        f"{path.relative_to(repository_root())}:{number}: {line.strip()}"
        for path in _written_by_hand()
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        if shorthand.search(line)
    ]
    assert not found, "say the practice in the product's words:\n" + "\n".join(found)


def test_every_cadence_policy_is_described_on_the_calendar_page():
    page = _page("concepts/calendar.md")
    missing = [name for name in POLICIES if f"`{name}`" not in page]
    assert not missing, f"docs/concepts/calendar.md does not describe {missing}"


def test_every_standard_survey_is_listed_on_the_surveys_page():
    page = _page("concepts/surveys.md")
    missing = [key for key in loader.standard() if f"`{key}`" not in page]
    assert not missing, f"docs/concepts/surveys.md does not list {missing}"


def test_every_setting_the_code_reads_is_in_the_configuration_table():
    root = repository_root()
    reads = re.compile(
        r"""(?:\benv(?:_int|_bool|_secret)?\(|environ\.get\(|environ\[|getenv\()\s*["']([A-Z_]+)["']"""
    )
    sources = [*(root / "service").rglob("*.py"), root / "deploy" / "gunicorn.conf.py"]
    settings = {name for path in sources for name in reads.findall(path.read_text())}
    assert "DATABASE_URL" in settings and "SECRET_KEY" in settings  # the pattern finds them
    page = _page("operations/configuration.md")
    missing = sorted(name for name in settings if f"`{name}`" not in page)
    assert not missing, f"docs/operations/configuration.md does not explain {missing}"
