"""The console's own pages: the dashboard, the pair list, the inbox, stories, access log."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, g, redirect, render_template, request, url_for
from flask_login import current_user

from service import exports
from service.accounts import service as accounts
from service.accounts.models import StaffRole, User
from service.approvals import decisions as approvals
from service.approvals.models import Proposal
from service.clock import now
from service.console import pair_list, queries
from service.console.diagram import lifecycle_svg
from service.console.forms import InboxItemForm, PairListForm
from service.database import db
from service.inbox import service as inbox
from service.notes.models import AccessRecord
from service.pairs.bulk import sendable_surveys
from service.pairs.models import Pair
from service.participants import waiting as waiting_list
from service.programs.models import Program
from service.schemas import MAX_ID
from service.surveys.models import SurveyResponse
from service.web.forms import first_error
from service.web.staff import staff_required, visible_pairs
from workflows.pairing import State
from workflows.signals import SIGNALS

blueprint = Blueprint("console", __name__, url_prefix="/console")

# Rows per page of the console's lists; the dashboard shows the oldest waiting proposals
# and links to the rest.
PER_PAGE = 50
DASHBOARD_PROPOSALS = 20


def _int_arg(name: str) -> int | None:
    value = request.args.get(name, "")
    return int(value) if value.isdigit() and int(value) <= MAX_ID else None


def _filters() -> queries.Filters:
    state = request.args.get("state")
    return queries.Filters(
        program_id=_int_arg("program"),
        coordinator_id=_int_arg("coordinator"),
        state=state if state in set(State) else None,
    )


def _choices() -> dict:
    return {
        "programs": db.session.scalars(sa.select(Program).order_by(Program.name)).all(),
        "coordinators": accounts.coordinators(),
    }


@blueprint.get("/")
@staff_required()
def dashboard():
    filters = _filters()
    pairs = queries.scope(current_user, filters)
    counts = queries.state_counts(pairs)
    waiting = queries.waiting_proposals(pairs, limit=DASHBOARD_PROPOSALS)
    waiting_count = queries.waiting_count(pairs)
    at_risk = queries.at_risk(pairs, g.actor)
    overdue = queries.overdue(pairs)
    short = queries.below_requirement(pairs)
    mentioned = (
        {p.pair_id for p in waiting} | {c.pair_id for c in overdue} | {c.pair_id for c in short}
    )
    pair_rows = {p.id: p for p in db.session.scalars(sa.select(Pair).where(Pair.id.in_(mentioned)))}
    pair_rows.update({row.pair.id: row.pair for row in at_risk})
    return render_template(
        "console/dashboard.html",
        filters=filters,
        counts=counts,
        total=sum(counts.values()),
        diagram=lifecycle_svg(counts),
        waiting=waiting,
        waiting_count=waiting_count,
        own_proposals=approvals.approved_by_others(waiting, g.actor),
        at_risk=at_risk,
        overdue=overdue,
        short=short,
        names=queries.names(list(pair_rows.values())),
        signals=SIGNALS,
        unread=len(inbox.unread(user_id=current_user.id)),
        long_waits=waiting_list.long_waits(),
        **_choices(),
    )


@blueprint.get("/pairs")
@staff_required()
def pairs():
    form = PairListForm(formdata=request.args)
    if not form.validate():
        return _pairs_page(form, None, first_error(form)), 422
    listed = pair_list.page(
        current_user, g.actor, form.criteria(), after=form.after.data or 0, per_page=PER_PAGE
    )
    return _pairs_page(form, listed)


def _pairs_page(form: PairListForm, listed: pair_list.Page | None, error: str | None = None):
    return render_template(
        "console/pairs.html",
        form=form,
        listed=listed,
        error=error,
        sorts=pair_list.SORTS,
        surveys=sendable_surveys(),
        signals=SIGNALS,
        states=[s.value for s in State],
        **_choices(),
    )


EXPORT_HEADER = (
    "Pair",
    "Program",
    "State",
    "Days in state",
    "Mentee",
    "Mentee e-mail",
    "Mentor",
    "Mentor e-mail",
    "Coordinator",
    "Warning signs",
    "Last meeting",
    "Next contact due",
    "Mentee's latest rating",
    "Mentor's latest rating",
)


@blueprint.get("/pairs/export.<any(csv, xlsx):fmt>")
@staff_required()
def export_pairs(fmt: str):
    """Every pair the list shows with these filters, search and order: not only a page."""
    form = PairListForm(formdata=request.args)
    if not form.validate():
        return _pairs_page(form, None, first_error(form)), 422
    programs = dict(db.session.execute(sa.select(Program.id, Program.name)).all())
    rows = (
        (
            row.pair.id,
            programs.get(row.pair.program_id, ""),
            row.pair.state.replace("_", " "),
            row.days_in_state,
            row.mentee,
            row.mentee_email,
            row.mentor or "",
            row.mentor_email or "",
            row.coordinator or "",
            [SIGNALS[code].label for code in row.signals],
            row.last_meeting,
            row.next_due,
            row.mentee_pulse,
            row.mentor_pulse,
        )
        for row in pair_list.every_row(current_user, g.actor, form.criteria())
    )
    return exports.download(fmt, f"pairs-{now():%Y-%m-%d}", EXPORT_HEADER, rows)


@blueprint.get("/proposals")
@staff_required()
def proposals():
    """Every proposal waiting for a decision, oldest first, a page at a time."""
    filters = _filters()
    page = queries.by_key(
        queries.waiting_query(queries.scope(current_user, filters)),
        Proposal,
        after=_int_arg("after") or 0,
        per_page=PER_PAGE,
    )
    pair_rows = list(db.session.scalars(sa.select(Pair).where(Pair.id.in_(page.pair_ids()))))
    return render_template(
        "console/proposals.html",
        proposals=page.items,
        page=page,
        own_proposals=approvals.approved_by_others(page.items, g.actor),
        names=queries.names(pair_rows),
        filters=filters,
        **_choices(),
    )


PROPOSALS_HEADER = (
    "Proposal",
    "Pair",
    "Mentee & mentor",
    "Proposed",
    "Proposed by",
    "Proposed on",
    "Reason",
    "Final session on",
)


@blueprint.get("/proposals/export.<any(csv, xlsx):fmt>")
@staff_required()
def export_proposals(fmt: str):
    """Every proposal waiting, with the list's filters: not only a page."""
    waiting = queries.waiting_query(queries.scope(current_user, _filters()))

    def rows():
        after = 0
        while True:
            page = queries.by_key(waiting, Proposal, after=after, per_page=500)
            pair_rows = db.session.scalars(sa.select(Pair).where(Pair.id.in_(page.pair_ids())))
            names = queries.names(list(pair_rows))
            for proposal in page.items:
                yield (
                    proposal.id,
                    proposal.pair_id,
                    names.get(proposal.pair_id, ""),
                    proposal.trigger.replace("_", " "),
                    proposal.proposed_by.label,
                    proposal.created_at,
                    proposal.reason or "",
                    (proposal.params or {}).get("final_session_on") or "",
                )
            if page.next_after is None:
                return
            after = page.next_after

    return exports.download(fmt, f"proposals-{now():%Y-%m-%d}", PROPOSALS_HEADER, rows())


@blueprint.route("/inbox", methods=["GET", "POST"])
@staff_required()
def inbox_page():
    if request.method == "POST":
        form = InboxItemForm()
        if form.validate():
            inbox.mark_read(user_id=current_user.id, item_id=form.item.data)
        return redirect(url_for(".inbox_page"))
    page = inbox.page(user_id=current_user.id, after=_int_arg("after"), per_page=PER_PAGE)
    return render_template("console/inbox.html", items=page.items, page=page)


@blueprint.get("/stories")
@staff_required()
def stories():
    """Stories participants agreed to share, in one place."""
    visible = visible_pairs(current_user)
    responses = db.session.scalars(
        sa.select(SurveyResponse)
        .where(
            SurveyResponse.pair_id.in_(visible),
            SurveyResponse.survey_key.in_(["closure_reflection", "six_month_update"]),
        )
        .order_by(SurveyResponse.submitted_at.desc())
    ).all()
    shared = [
        r for r in responses if r.answers.get("share_story") == "yes" and r.answers.get("story")
    ]
    return render_template("console/stories.html", stories=shared)


@blueprint.get("/access-log")
@staff_required(StaffRole.ADMIN)
def access_log():
    records = db.session.execute(
        sa.select(AccessRecord, User.full_name)
        .join(User, User.id == AccessRecord.user_id)
        .order_by(AccessRecord.at.desc())
        .limit(500)
    ).all()
    return render_template("console/access_log.html", records=records)
