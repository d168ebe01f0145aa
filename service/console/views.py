"""The console's own pages: the dashboard, the pair list, the inbox, stories, access log."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from flask_login import current_user

from service import exports
from service.accounts import saved_views
from service.accounts import service as accounts
from service.accounts.models import StaffRole
from service.approvals import decisions as approvals
from service.clock import now
from service.console import inbox_list, labels, pair_list, proposal_list, queries, records
from service.console.diagram import lifecycle_svg
from service.console.forms import (
    InboxItemForm,
    InboxListForm,
    PairListForm,
    ProposalListForm,
    SavedViewForm,
)
from service.database import db
from service.errors import Invalid, NotFound
from service.inbox import service as inbox
from service.pairs.bulk import sendable_surveys
from service.pairs.models import Pair
from service.participants import service as participants
from service.participants import waiting as waiting_list
from service.programs.models import Program
from service.schemas import MAX_ID
from service.web.forms import first_error
from service.web.staff import staff_required, visible_pairs
from workflows.pairing import State
from workflows.signals import SIGNALS

blueprint = Blueprint("console", __name__, url_prefix="/console")

# Rows per page of the console's lists; the dashboard shows the oldest waiting proposals
# and links to the rest.
PER_PAGE = 50
DASHBOARD_PROPOSALS = 20

blueprint.add_app_template_filter(labels.contact, "contact_label")
blueprint.add_app_template_filter(labels.contact_kind, "contact_kind")
blueprint.add_app_template_filter(labels.short_day, "short_day")


def _int_arg(name: str) -> int | None:
    value = request.args.get(name, "")
    return int(value) if value.isdigit() and int(value) <= MAX_ID else None


def _filters() -> queries.Filters:
    state = request.args.get("state")
    need = request.args.get("need")
    within = _int_arg("within")
    return queries.Filters(
        program_id=_int_arg("program"),
        coordinator_id=_int_arg("coordinator"),
        state=state if state in set(State) else None,
        within_days=within if within is not None and within <= queries.MAX_WITHIN_DAYS else None,
        need=queries.Need(need) if need in set(queries.Need) else None,
    )


def _link_filters(filters: queries.Filters) -> dict[str, Any]:
    """The dashboard's own filters, carried into the lists it links to."""
    kept = {"program": filters.program_id, "coordinator": filters.coordinator_id}
    return {name: value for name, value in kept.items() if value}


def _choices() -> dict:
    return {
        "programs": db.session.scalars(sa.select(Program).order_by(Program.name)).all(),
        "coordinators": accounts.coordinators(),
    }


@blueprint.get("/")
@staff_required()
def dashboard():
    """What needs the coordinator today, each count a link to the list it counts; then the
    oldest proposals, the pairs at risk, the contacts overdue (the first few of each)."""
    filters = _filters()
    pairs = queries.scope(current_user, filters)
    counts = queries.state_counts(pairs)
    waiting = queries.waiting_proposals(pairs, limit=DASHBOARD_PROPOSALS)
    waiting_count = queries.waiting_count(pairs)
    at_risk = queries.at_risk(pairs, g.actor)
    overdue = queries.overdue(pairs)
    follow_ups = queries.follow_ups_due(pairs)
    short = queries.below_requirement(pairs)
    mentioned = (
        {p.pair_id for p in waiting}
        | {c.pair_id for c in overdue}
        | {c.pair_id for c in follow_ups}
        | {c.pair_id for c in short}
    )
    pair_rows = {p.id: p for p in db.session.scalars(sa.select(Pair).where(Pair.id.in_(mentioned)))}
    pair_rows.update({row.pair.id: row.pair for row in at_risk})
    kept = _link_filters(filters)
    needs = [
        Need("Proposals waiting", "for your decision", waiting_count,
             url_for(".proposals", **kept), urgent=True),
        Need("Newly at risk", f"in the last {queries.NEWLY} days",
             queries.newly_at_risk_count(pairs),
             url_for(".pairs", state=State.AT_RISK, within=queries.NEWLY, **kept), urgent=True),
        Need("Overdue contacts", "check-ins and surveys past their date",
             queries.overdue_count(pairs),
             url_for(".pairs", need=queries.Need.OVERDUE, **kept), urgent=True),
        Need("Follow-ups due", "that you planned after an intervention",
             queries.follow_ups_count(pairs),
             url_for(".pairs", need=queries.Need.FOLLOW_UP, **kept)),
        Need("Below their meeting requirement", "in their last judged period",
             queries.below_requirement_count(pairs),
             url_for(".pairs", need=queries.Need.SHORT, **kept)),
        Need("Mentees waiting for a mentor", "active, in no matched pair",
             participants.waiting_count(program_id=filters.program_id),
             url_for("participants_console.index", role="mentee", waiting="y", sort="waiting",
                     **({"program_id": filters.program_id} if filters.program_id else {}))),
    ]  # fmt: skip
    return render_template(
        "console/dashboard.html",
        filters=filters,
        needs=needs,
        counts=counts,
        total=sum(counts.values()),
        diagram=lifecycle_svg(
            counts, {state: url_for(".pairs", state=state, **kept) for state in counts}
        ),
        kept=kept,
        waiting=waiting,
        waiting_count=waiting_count,
        own_proposals=approvals.approved_by_others(waiting, g.actor),
        at_risk=at_risk,
        at_risk_count=counts[State.AT_RISK],
        overdue=overdue,
        overdue_count=needs[2].count,
        follow_ups=follow_ups,
        short=short,
        short_count=needs[4].count,
        names=queries.names(list(pair_rows.values())),
        signals=SIGNALS,
        unread=len(inbox.unread(user_id=current_user.id)),
        now_label=f"{now():%A} {now().day} {now():%B %Y}",
        long_waits=waiting_list.long_waits(),
        **_choices(),
    )


@dataclass(frozen=True)
class Need:
    """One of the dashboard's "what needs you today" counts, and the list it links to."""

    label: str
    hint: str
    count: int
    href: str
    urgent: bool = False


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
    filters = form.criteria().filters
    return render_template(
        "console/pairs.html",
        form=form,
        listed=listed,
        error=error,
        sorts=pair_list.SORTS,
        surveys=sendable_surveys(),
        signals=SIGNALS,
        narrowing=_narrowing(filters),
        all_pairs_url=url_for(".pairs", **_link_filters(filters)),
        states=[s.value for s in State],
        **_views_of("pairs"),
        **_choices(),
    )


# The lists a member of staff keeps views of: each one's page, and its name in a sentence.
VIEW_LISTS: dict[str, tuple[str, str]] = {
    "pairs": (".pairs", "the pairs list"),
    "proposals": (".proposals", "the proposals list"),
    "inbox": (".inbox_page", "your inbox"),
}


@blueprint.post("/<any(pairs, proposals, inbox):list_name>/views")
@staff_required()
def save_view(list_name: str):
    """Keep the list as it is shown under a name of the user's."""
    endpoint, said = VIEW_LISTS[list_name]
    form = SavedViewForm()
    if form.validate():
        try:
            view = saved_views.save(
                user_id=current_user.id,
                list_name=list_name,
                name=form.name.data or "",
                query=form.query.data or "",
            )
            flash(f"Saved “{view.name}”: it is at the top of {said}.")
        except Invalid as refusal:
            flash(refusal.detail, "error")
    else:
        flash(first_error(form), "error")
    return redirect(url_for(endpoint) + (f"?{form.query.data}" if form.query.data else ""))


@blueprint.post("/<any(pairs, proposals, inbox):list_name>/views/<id:view_id>/delete")
@staff_required()
def delete_view(list_name: str, view_id: int):
    try:
        saved_views.delete(user_id=current_user.id, view_id=view_id)
        flash("The saved view is deleted.")
    except NotFound as refusal:
        flash(refusal.detail, "error")
    return redirect(url_for(VIEW_LISTS[list_name][0]))


def _views_of(list_name: str) -> dict[str, Any]:
    """What a list's page needs for its saved views: the user's views of it, and the list
    as shown, as a view would keep it."""
    return {
        "list_name": list_name,
        "saved": saved_views.views_of(user_id=current_user.id, list_name=list_name),
        "kept": saved_views.kept_query(request.args.to_dict()),
    }


def _narrowing(filters: queries.Filters) -> list[str]:
    """The filters the form does not show, in words ("with an overdue contact")."""
    said = []
    if filters.within_days is not None:
        said.append(f"in their state for {filters.within_days} days or less")
    if filters.need:
        said.append(queries.NEED_LABELS[filters.need])
    return said


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
    """The proposals waiting for a decision, searched and sorted, a page at a time."""
    form = ProposalListForm(formdata=request.args)
    if not form.validate():
        return _proposals_page(form, None, first_error(form)), 422
    listed = proposal_list.page(
        current_user, form.criteria(), after=form.after.data or 0, per_page=PER_PAGE
    )
    return _proposals_page(form, listed)


def _proposals_page(
    form: ProposalListForm, listed: proposal_list.Page | None, error: str | None = None
):
    return render_template(
        "console/proposals.html",
        form=form,
        listed=listed,
        error=error,
        own_proposals=approvals.approved_by_others(listed.proposals, g.actor) if listed else set(),
        orders=proposal_list.ORDERS,
        **_views_of("proposals"),
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
    """Every proposal waiting that the list shows with this search, these filters and this
    order: not only a page."""
    form = ProposalListForm(formdata=request.args)
    if not form.validate():
        return _proposals_page(form, None, first_error(form)), 422
    rows = (
        (
            row.proposal.id,
            row.proposal.pair_id,
            row.names,
            row.proposal.trigger.replace("_", " "),
            row.proposal.proposed_by.label,
            row.proposal.created_at,
            row.proposal.reason or "",
            (row.proposal.params or {}).get("final_session_on") or "",
        )
        for row in proposal_list.every_row(current_user, form.criteria())
    )
    return exports.download(fmt, f"proposals-{now():%Y-%m-%d}", PROPOSALS_HEADER, rows)


@blueprint.route("/inbox", methods=["GET", "POST"])
@staff_required()
def inbox_page():
    if request.method == "POST":
        read = InboxItemForm()
        if read.validate():
            inbox.mark_read(user_id=current_user.id, item_id=read.item.data)
        # Back to the list as it was shown (its search, order and page).
        return redirect(url_for(".inbox_page", **request.args.to_dict()))
    form = InboxListForm(formdata=request.args)
    if not form.validate():
        return _inbox_page(form, None, first_error(form)), 422
    listed = inbox_list.page(
        user_id=current_user.id,
        criteria=form.criteria(),
        after=form.after.data,
        after_group=form.group.data,
        per_page=PER_PAGE,
    )
    return _inbox_page(form, listed)


def _inbox_page(form: InboxListForm, listed: inbox_list.Page | None, error: str | None = None):
    return render_template(
        "console/inbox.html",
        form=form,
        listed=listed,
        error=error,
        orders=inbox_list.ORDERS,
        **_views_of("inbox"),
    )


INBOX_HEADER = (
    "Received",
    "Urgent",
    "Read",
    "Title",
    "Pair",
    "Mentee & mentor",
    "What it says",
    "Link",
)


@blueprint.get("/inbox/export.<any(csv, xlsx):fmt>")
@staff_required()
def export_inbox(fmt: str):
    """The user's inbox as the list shows it with this search and order (each person's own):
    not only a page."""
    form = InboxListForm(formdata=request.args)
    if not form.validate():
        return _inbox_page(form, None, first_error(form)), 422
    rows = (
        (
            row.item.created_at,
            "yes" if row.item.urgent else "",
            row.item.read_at or "",
            row.item.title,
            row.item.pair_id or "",
            row.names or "",
            row.item.body,
            row.item.link or "",
        )
        for row in inbox_list.every_row(user_id=current_user.id, criteria=form.criteria())
    )
    return exports.download(fmt, f"inbox-{now():%Y-%m-%d}", INBOX_HEADER, rows)


@blueprint.get("/stories")
@staff_required()
def stories():
    """Stories participants agreed to share, in one place."""
    return render_template(
        "console/stories.html", stories=records.shared_stories(visible_pairs(current_user))
    )


@blueprint.get("/stories/export.<any(csv, xlsx):fmt>")
@staff_required()
def export_stories(fmt: str):
    """The stories the page shows this person (their pairs' only, for support staff)."""
    rows = records.story_rows(records.shared_stories(visible_pairs(current_user)))
    return exports.download(fmt, f"stories-{now():%Y-%m-%d}", records.STORIES_HEADER, rows)


@blueprint.get("/access-log")
@staff_required(StaffRole.ADMIN)
def access_log():
    return render_template("console/access_log.html", records=records.access_log())


@blueprint.get("/access-log/export.<any(csv, xlsx):fmt>")
@staff_required(StaffRole.ADMIN)
def export_access_log(fmt: str):
    """The reads the page shows (the latest 500), for admins only, as the page."""
    rows = records.access_log_rows(records.access_log())
    return exports.download(fmt, f"access-log-{now():%Y-%m-%d}", records.ACCESS_LOG_HEADER, rows)
