"""Every query on a hot path uses an index: the statements each path sends, as the database
driver is handed them, run again under EXPLAIN ANALYZE on PostgreSQL, in a database holding
thousands of copies of a pair with all its rows and fresh statistics (ANALYZE), so that the
planner chooses as it would in production.

A query fails when, on a large table, it scans sequentially, searches an index by a
condition that leaves out its first column (reading all of it), or reads more rows than a
page or a batch holds. Tables whose size is set by configuration, not by use (programs, survey
versions, staff accounts, webhook endpoints, API tokens), may be scanned.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import pytest
import sqlalchemy as sa

from service.calendar.models import Schedule
from service.calendar.sweep import SweepResult, sweep
from service.clock import now
from service.database import db
from service.inbox.models import InboxItem
from service.webhooks.delivery import claim_batch
from service.webhooks.models import Delivery, DeliveryStatus
from tests.calendar.test_sweep_statements import CONTACT_KINDS
from tests.helpers import CALM_MENTEE_CHECKIN, Api, SurveyTaker, World, invite, state
from tests.helpers.bulk import copy_pair
from tests.helpers.receiver import running_receiver
from tests.helpers.staff import Staff, create_staff
from tests.helpers.world import service_api
from tests.webhooks.test_batches import _endpoints, _events

pytestmark = pytest.mark.long(15)

# Tables whose size is set by configuration, not by use: a scan of them costs nothing.
SMALL_TABLES = {
    "programs",
    "survey_versions",
    "users",
    "webhook_endpoints",
    "api_tokens",
    "alembic_version",
}
# Each test's database holds this many copies of its pair, with all their rows; no scan
# on a hot path may read more rows than a page or a sweep batch holds.
COPIES = 5_000
MAX_ROWS_READ = 1_000


@dataclass(frozen=True)
class Sent:
    statement: str
    parameters: object


@pytest.fixture
def sent(app) -> Iterator:
    """`with sent() as statements:` collects every statement the app sends meanwhile."""
    with app.app_context():
        engine = db.engine

    @contextmanager
    def collecting() -> Iterator[list[Sent]]:
        statements: list[Sent] = []

        def collect(connection, cursor, statement, parameters, context, executemany) -> None:
            if executemany and isinstance(parameters, list | tuple):
                parameters = parameters[0] if parameters else None
            statements.append(Sent(statement, parameters))

        sa.event.listen(engine, "before_cursor_execute", collect)
        try:
            yield statements
        finally:
            sa.event.remove(engine, "before_cursor_execute", collect)

    return collecting


def _nodes(plan: dict) -> Iterator[dict]:
    yield plan
    for child in plan.get("Plans", []):
        yield from _nodes(child)


def full_scans(app, statements: list[Sent]) -> list[str]:
    """Each statement that reads a large table from end to end (a sequential scan), or more
    of its rows than a page or a batch holds (a scan of a whole index, a join that reads
    every row), with the plan that does: empty when every query goes through an index.
    Each statement runs again under EXPLAIN ANALYZE, rolled back."""
    found = []
    with app.app_context(), db.engine.connect() as connection:
        large = (
            set(
                connection.exec_driver_sql(
                    "SELECT relname FROM pg_class WHERE relkind = 'r' AND reltuples >= %(rows)s",
                    {"rows": MAX_ROWS_READ},
                ).scalars()
            )
            - SMALL_TABLES
        )
        # Each index: its table and its first column.
        indexes = {
            row.name: row
            for row in connection.exec_driver_sql(
                "SELECT i.relname AS name, t.relname AS table, a.attname AS first "
                "FROM pg_index x "
                "JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid "
                "LEFT JOIN pg_attribute a ON a.attrelid = x.indrelid AND a.attnum = x.indkey[0]"
            )
        }

        for item in statements:
            verb = item.statement.lstrip().split(None, 1)[0].upper()
            if verb not in {"SELECT", "UPDATE", "DELETE", "INSERT", "WITH"}:
                continue
            attempt = connection.begin_nested()
            try:
                (plan,) = connection.exec_driver_sql(
                    "EXPLAIN (ANALYZE, FORMAT JSON) " + item.statement, item.parameters or {}
                ).scalar_one()
            except sa.exc.DBAPIError:  # it cannot run twice (a unique row): its plan only
                attempt.rollback()
                attempt = connection.begin_nested()
                (plan,) = connection.exec_driver_sql(
                    "EXPLAIN (FORMAT JSON) " + item.statement, item.parameters or {}
                ).scalar_one()
            attempt.rollback()
            for node in _nodes(plan["Plan"]):
                index = indexes.get(node.get("Index Name", ""))
                table = node.get("Relation Name") or (index.table if index else None)
                if table not in large or "Scan" not in node["Node Type"]:
                    continue
                read = node.get("Actual Loops", 1) * (
                    node.get("Actual Rows", 0)
                    + node.get("Rows Removed by Filter", 0)
                    + node.get("Rows Removed by Index Recheck", 0)
                )
                # An index searched without a condition on its first column is read whole
                # (one walked in order with no condition stops at the LIMIT: the rows it
                # reads are counted below).
                condition = node.get("Index Cond", "")
                whole_index = (
                    index is not None
                    and bool(condition)
                    and not re.search(rf"\b{index.first}\b", condition)
                )
                if node["Node Type"] == "Seq Scan" or whole_index or read > MAX_ROWS_READ:
                    text = json.dumps(plan["Plan"], indent=1)
                    found.append(
                        f"{node['Node Type']} on {table}"
                        f"{' (the whole index)' if whole_index else ''}, {read} rows read: "
                        f"{' '.join(item.statement.split())}\n{text}"
                    )
                    break
        connection.rollback()
    assert statements, "nothing was sent: the test measured nothing"
    return found


@pytest.fixture(autouse=True)
def _clean_state() -> None:
    """Not emptied before each test: the module's tests share one crowded database (filling
    it takes seconds), emptied before the first of them and after the last (`crowded`).
    Each test writes only to pairs and people of its own, or puts back what it changed, so
    none sees what another did, in any order."""


@dataclass(frozen=True)
class Crowd:
    world: World  # four mentors and four mentees: the first of each are `pair`'s
    api: Api
    pair: dict
    elsewhere: int  # the program most copies belong to
    endpoint: int
    staff: Staff  # a coordinator with COPIES inbox items
    item: int  # an unread item deep in the coordinator's inbox


@pytest.fixture(scope="module")
def crowded(app, database_url: str) -> Iterator[Crowd]:
    """An active pair with an invitation, a proposal waiting, the contacts and invitations
    its calendar makes, and webhook deliveries to an endpoint; then COPIES copies of it all,
    most of them in another program, their deliveries made long ago; a coordinator with
    COPIES inbox items; and fresh statistics. Built once for the module."""
    if not database_url.startswith("postgresql"):
        pytest.skip(
            "query plans are PostgreSQL's: SQLite's planner differs, and production runs on "
            "PostgreSQL (the PostgreSQL run of the suite covers it)"
        )
    state.reset(app)
    with running_receiver() as receiver, pytest.MonkeyPatch.context() as patch:
        patch.setitem(app.config, "WEBHOOK_ALLOW", "127.0.0.1")  # the receiver is local
        api = service_api(app)
        world = World.build(api, mentors=4, mentees=4)
        (endpoint,) = _endpoints(app, receiver, 1)
        pair = world.drive_to("active")
        _events(app, [pair["id"]], per_pair=2, endpoint_ids=[endpoint])
        invite(api, "checkin_mentee", world.mentees[0]["id"], pair_id=pair["id"])
        filed = api.trigger(
            pair["id"], "withdraw", closure_reason="withdrawn", reason="Moving abroad"
        )
        assert filed.status_code == 202, filed.get_json()
        make_due(app, pair["id"])
        with app.app_context():
            assert sweep().contacts > 0
        elsewhere = api.ok("post", "/programs", {"name": "Elsewhere"})["id"]
        with app.app_context(), db.engine.connect() as connection:
            copies = copy_pair(connection, pair["id"], COPIES)
            # Filters pick a few rows among many: most copies belong to another program, a
            # few are at risk, and most proposals were decided long ago.
            spread = {"first": copies.start, "elsewhere": elsewhere}
            for statement in (
                "UPDATE pairs SET program_id = :elsewhere WHERE id >= :first AND id % 50 <> 0",
                "UPDATE pairs SET state = 'at_risk' WHERE id >= :first AND id % 50 = 1",
                "UPDATE participants SET program_id = :elsewhere WHERE id IN "
                "(SELECT mentee_id FROM pairs WHERE id >= :first AND id % 50 <> 0 UNION "
                "SELECT mentor_id FROM pairs WHERE id >= :first AND id % 50 <> 0)",
                "UPDATE proposals SET status = 'rejected' WHERE pair_id >= :first AND id % 50 <> 0",
                "UPDATE webhook_deliveries SET status = 'delivered' WHERE pair_id >= :first",
            ):
                connection.execute(sa.text(statement), spread)
            connection.commit()
        staff = create_staff(app, "coordinator")
        with app.app_context():
            db.session.execute(
                sa.text(
                    "INSERT INTO inbox_items "
                    "(user_id, kind, urgent, title, body, created_at, read_at) "
                    "SELECT :user, 'notice', g % 50 = 0, 'Notice ' || g, '', "
                    "now() - g * interval '1 h', CASE WHEN g % 3 = 0 THEN now() END "
                    "FROM generate_series(1, :copies) g"
                ),
                {"copies": COPIES, "user": staff.id},
            )
            # Deep in the inbox: an unread item from long ago.
            item = db.session.scalar(
                sa.select(sa.func.max(InboxItem.id)).where(InboxItem.read_at.is_(None))
            )
            db.session.commit()
        analyze(app)
        yield Crowd(world, api, pair, elsewhere, endpoint, staff, item)
    state.reset(app)


def make_due(app, pair_id: int) -> None:
    """The pair's surveys and check-ins are due (not its alerts: the pair stays active)."""
    with app.app_context():
        db.session.execute(
            sa.update(Schedule)
            .where(Schedule.pair_id == pair_id, Schedule.kind.in_(CONTACT_KINDS))
            .values(next_due_at=now())
        )
        db.session.commit()


def analyze(app) -> None:
    with app.app_context(), db.engine.connect() as connection:
        connection.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("ANALYZE")


def test_a_transition_finds_its_token_and_locks_its_pair_by_index(app, crowded, sent):
    pair = crowded.world.drive_to("active", mentee_index=1, mentor_index=1)
    with sent() as statements:
        response = crowded.api.trigger(pair["id"], "flag_risk", signals=["missed_meetings"])
    assert response.status_code == 200
    # Its calendar drawn again, as the sweep would, so no later sweep finds it stale.
    assert crowded.api.get(f"/pairs/{pair['id']}/calendar").status_code == 200
    assert full_scans(app, statements) == []


def test_a_survey_page_and_its_submission_find_the_invitation_by_index(app, crowded, sent):
    pair = crowded.world.drive_to("active", mentee_index=2, mentor_index=2)
    mentee = crowded.world.mentees[2]["id"]
    invitation = invite(crowded.api, "checkin_mentee", mentee, pair_id=pair["id"])
    taker = SurveyTaker(app.test_client(), invitation["url"])
    with sent() as statements:
        token = taker.csrf_token()
        response = taker.submit(CALM_MENTEE_CHECKIN, token=token)
    assert response.status_code == 303
    assert full_scans(app, statements) == []


def test_the_sweep_claims_due_schedules_by_index(app, crowded, sent):
    pair = crowded.world.drive_to("active", mentee_index=3, mentor_index=3)
    make_due(app, pair["id"])
    with sent() as statements, app.app_context():
        result = sweep()
    assert result.failures == []
    assert result.contacts > 0
    assert full_scans(app, statements) == []


def test_a_sweep_with_nothing_due_reads_by_index(app, crowded, sent):
    # What the module's other tests left due (a pair flagged at risk has its coordinator's
    # call due at once) is swept first, unmeasured; the sweep measured then finds nothing.
    with app.app_context():
        sweep()
    with sent() as statements, app.app_context():
        result = sweep()
    assert result == SweepResult(), "something was due or stale: another sweep was measured"
    assert full_scans(app, statements) == []


def test_webhook_deliveries_are_claimed_by_index(app, crowded, sent):
    """The crowded pair's deliveries wait; its copies' went out long ago."""
    with sent() as statements, app.app_context():
        claimed = claim_batch(batch_size=10)
    # Unclaimed again at once, as the module's other tests expect to find them.
    with app.app_context():
        db.session.execute(
            sa.update(Delivery)
            .where(Delivery.id.in_([c.id for c in claimed]))
            .values(status=DeliveryStatus.PENDING, claimed_at=None)
        )
        db.session.commit()
    assert claimed
    assert full_scans(app, statements) == []


# Every list the API pages by key, each at its first page or deep in it, filtered as
# clients filter it.
KEYSET_PAGES = [
    "/pairs?after=0",
    "/pairs?after={deep}&per_page=2",
    "/pairs?after=0&state=at_risk",
    "/pairs?after=0&program_id={program}",
    "/pairs?after=0&program_id={elsewhere}&state=active",
    "/pairs?after={deep}&program_id={program}&state=active",
    "/participants?after=0",
    "/participants?after={deep}&program_id={program}",
    "/proposals?after=0",
    "/proposals?after=0&status=pending",
    "/programs?after=0",
    "/events?after=0",
    "/events?after=0&pair_id={pair}",
    "/events?after=0&type=pair.transitioned",
    "/webhooks/{endpoint}/deliveries",
]
CONSOLE_PAGES = [
    "/console/pairs",
    "/console/pairs?after={deep}",
    "/console/pairs?state=at_risk&after={deep}",
    "/console/proposals",
    "/console/proposals?sort=newest",
    "/console/proposals?sort=trigger&program={program}",
    "/console/inbox",
    "/console/inbox?after={item}",
    "/console/inbox?sort=newest&after={item}",
    "/console/inbox?sort=oldest&unread=y",
]


# The pages only read, so they share one crowded database (filling it is what takes the
# time); each page's statements are explained on their own, and each page that scans is
# named in the failure.
def test_every_keyset_page_of_a_list_reads_by_index(app, crowded, sent):
    pair, names = crowded.pair, {"deep": COPIES, "endpoint": crowded.endpoint}
    names |= {"pair": pair["id"], "program": pair["program_id"], "elsewhere": crowded.elsewhere}
    scans = {}
    for path in KEYSET_PAGES:
        with sent() as statements:
            response = crowded.api.get(path.format(**names))
        assert response.status_code == 200, (path, response.get_json())
        scans[path] = full_scans(app, statements)
    assert {path: found for path, found in scans.items() if found} == {}


def test_every_console_list_page_reads_by_index(app, crowded, console_as, sent):
    console = console_as(crowded.staff)
    names = {"deep": COPIES, "item": crowded.item, "program": crowded.pair["program_id"]}
    scans = {}
    for path in CONSOLE_PAGES:
        with sent() as statements:
            page = console.get(path.format(**names))
        assert page.status_code == 200, path
        scans[path] = full_scans(app, statements)
    assert {path: found for path, found in scans.items() if found} == {}
