"""The product speaks in its own words: the team's shorthand for its sources ("seed 000",
"SPEC.md", a table number) never reaches code, templates, survey definitions or e-mails.
Users have never heard of them; the documentation cites the published titles instead."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PRODUCT = ("service", "workflows", "surveys", "deploy", "bench")
SUFFIXES = {".py", ".html", ".txt", ".yaml", ".yml", ".json", ".md", ".toml", ".css"}
# Python strings and comments break lines anywhere: read text with its quotes, comment
# marks and line breaks taken out, so a reference split over two lines is still found.
SHORTHAND = re.compile(r"\bseed\s*0\d\d|\bSPEC\.md\b|\bTable\s*[78]\b|§\s*11", re.IGNORECASE)


def _flattened(text: str) -> str:
    return re.sub(r"[\"'#]*\s*\n\s*[\"'#]*\s*", " ", text)


def test_no_product_file_cites_the_teams_shorthand_for_its_sources():
    found = []
    for folder in PRODUCT:
        for path in sorted((ROOT / folder).rglob("*")):
            if path.suffix not in SUFFIXES or not path.is_file():
                continue
            for match in SHORTHAND.finditer(_flattened(path.read_text(errors="replace"))):
                found.append(f"{path.relative_to(ROOT)}: {match.group(0)!r}")
    assert not found, "say it in the product's own words:\n" + "\n".join(found)


def test_the_check_finds_a_reference_split_over_two_lines():
    assert SHORTHAND.search(_flattened('"judged for seed "\n    "001\'s warning signs"'))
