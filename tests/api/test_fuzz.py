"""Requests generated from the OpenAPI document, sent to the demo program with an admin
token, in every phase schemathesis has: the document's examples, the coverage phase's
boundary and invalid values, fuzzing, and stateful chains that follow the document's links.
No answer is a 500, and every answer is one the document declares, in the shape it declares.

schemathesis's pytest plugin cannot collect lazily-loaded schemas under pytest 9, so the
test runs its engine, as its command line does, and asserts on what the engine reports.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import pytest
import schemathesis
from schemathesis.config import SchemathesisConfig
from schemathesis.engine import events, from_schema

from service.database import db
from service.demo import load

pytestmark = pytest.mark.long(50)

PHASES = {"examples", "coverage", "fuzzing", "stateful"}
CHECKS = ("not_a_server_error", "response_schema_conformance", "status_code_conformance")

# Deterministic and small, for two shared cores (about 1,700 requests). The coverage phase
# sends every boundary value the document allows (its invalid values, 3,000 more requests,
# would double the time: fuzzing and examples send invalid data too); the other phases are
# bounded by max-examples.
CONFIG = {
    "seed": 11,
    "generation": {"max-examples": 3, "deterministic": True, "database": "none"},
    "phases": {
        "examples": {"fill-missing": True},
        "coverage": {"unexpected-methods": [], "generation": {"mode": "positive"}},
        "stateful": {"max-steps": 8, "generation": {"max-examples": 8}},
    },
    "checks": {"enabled": False, **{name: {"enabled": True} for name in CHECKS}},
}


@dataclass
class Run:
    """What the engine did: requests per phase, answers per operation, failed checks."""

    requests: Counter = field(default_factory=Counter)
    answers: dict[str, Counter] = field(default_factory=dict)
    checks: Counter = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    links: int = 0  # transitions the stateful phase may take: documented links and inferred
    chained: int = 0

    def record(self, event: events.EngineEvent) -> None:
        if isinstance(event, events.ScenarioFinished) and event.is_test_scenario:
            self._scenario(str(event.phase), event.recorder)
        elif isinstance(event, events.PhaseStarted) and event.payload is not None:
            self.links = event.payload.transitions_total
        elif isinstance(event, events.NonFatalError | events.FatalError):
            self.errors.append(f"{getattr(event, 'label', '')}: {event.info.format()}")

    def _scenario(self, phase: str, recorder) -> None:
        for case_id, interaction in recorder.interactions.items():
            self.requests[phase] += 1
            if recorder.cases[case_id].transition is not None:
                self.chained += 1
            if interaction.response is not None:
                label = recorder.cases[case_id].value.operation.label
                self.answers.setdefault(label, Counter())[interaction.response.status_code] += 1
        for case_id, checks in recorder.checks.items():
            for check in checks:
                self.checks[check.name] += 1
                if check.failure_info is not None:
                    case = recorder.cases[case_id].value
                    self.failures.append(
                        f"[{phase}] {case.operation.label}: {check.name}: "
                        f"{check.failure_info.failure.title}\n{check.failure_info.code_sample}"
                    )


@pytest.fixture
def admin_headers(app, make_token, monkeypatch) -> dict[str, str]:
    """An admin token, over the demo program (internationalised addresses and all)."""
    monkeypatch.setitem(app.config, "LIMIT_API", "100000 per minute")
    with app.app_context():
        load()
        db.session.commit()
    return {"Authorization": f"Bearer {make_token('admin', name='fuzz')}"}


@pytest.fixture
def run(app, admin_headers) -> Run:
    config = SchemathesisConfig.from_dict({**CONFIG, "headers": admin_headers})
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app, config=config)
    result = Run()
    for event in from_schema(schema).execute():
        result.record(event)
    return result


def _operations(document: dict) -> set[str]:
    return {
        f"{method.upper()} {path}"
        for path, item in document["paths"].items()
        for method in item
        if method != "parameters"
    }


def _links(document: dict) -> int:
    return sum(
        len(response.get("links", {}))
        for item in document["paths"].values()
        for method, operation in item.items()
        if method != "parameters"
        for response in operation["responses"].values()
    )


# One run, several assertions: the run is what takes the time.
def test_every_operation_in_every_phase_answers_as_documented(client, run):
    assert run.errors == []
    assert run.failures == [], "\n\n".join(run.failures[:10])
    assert set(run.checks) == set(CHECKS)
    assert set(run.requests) == PHASES

    document = client.get("/api/v1/openapi.json").get_json()
    operations = _operations(document)
    assert set(run.answers) == operations
    # Past authentication: the admin token is accepted everywhere but the signed inbound URLs.
    signed = {"POST /api/v1/inbound/{slug}/meetings", "POST /api/v1/inbound/{slug}/calendly"}
    for operation in operations - signed:
        answers = run.answers[operation]
        assert answers.total() > answers[401] + answers[403], (operation, answers)

    # The stateful phase chains calls along every documented link.
    assert _links(document) >= 40
    assert run.links >= _links(document)
    assert run.chained > 0
