"""The README's lifecycle picture is drawn from the machine and must not drift from it."""

from __future__ import annotations

from click.testing import CliRunner

from service.cli import README_END, README_START, cli
from tests.helpers.servers import repository_root
from workflows.pairing import mermaid_diagram


def test_the_readme_shows_the_diagram_the_machine_draws_today():
    readme = (repository_root() / "README.md").read_text()
    block = readme.split(README_START, 1)[1].split(README_END, 1)[0]
    assert block.strip() == f"```mermaid\n{mermaid_diagram()}```", (
        "README.md's lifecycle diagram is out of date: run `pairwise diagram --readme README.md`"
    )


def test_diagram_check_fails_on_a_stale_readme(tmp_path):
    stale = tmp_path / "README.md"
    stale.write_text(f"# x\n{README_START}\n```mermaid\nold\n```\n{README_END}\n")
    result = CliRunner().invoke(cli, ["diagram", "--readme", str(stale), "--check"])
    assert result.exit_code == 1
    assert "out of date" in result.output


def test_diagram_rewrites_only_the_marked_block(tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text(f"before\n{README_START}\nold\n{README_END}\nafter\n")
    result = CliRunner().invoke(cli, ["diagram", "--readme", str(readme)])
    assert result.exit_code == 0, result.output
    text = readme.read_text()
    assert text.startswith("before\n") and text.endswith("after\n")
    assert mermaid_diagram() in text


def test_the_intake_page_shows_the_diagram_the_intake_machine_draws_today():
    from service.cli import markers
    from workflows.intake import mermaid_diagram as intake_diagram

    start, end = markers("intake")
    page = (repository_root() / "docs" / "concepts" / "intake.md").read_text()
    block = page.split(start, 1)[1].split(end, 1)[0]
    assert block.strip() == f"```mermaid\n{intake_diagram()}```", (
        "docs/concepts/intake.md's diagram is out of date: run "
        "`pairwise diagram --machine intake --readme docs/concepts/intake.md`"
    )
