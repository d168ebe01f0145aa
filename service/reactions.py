"""Who reacts to what, and in which order: the choreography of the service, in one place.

Domains announce what happened (`service.bus`) and never call up into the domains that
follow them; this module, which the app factory runs, says which reactions follow. Open it to
learn what a transition, a meeting or an answer sets off.

In-process reactions (`bus.react`) run inside the announcer's transaction, in the order
below, and commit or roll back with it. Outbox consumers (`subscribe`) run later, in a worker,
once the change has committed; each event reaches each consumer at least once.
"""

from __future__ import annotations

from service import bus
from service.approvals import reactions as approvals
from service.calendar import actions as calendar_actions
from service.calendar import reactions as calendar
from service.closure import reactions as closure
from service.events import subscribers
from service.inbox import subscribers as inbox
from service.meetings.domain_events import MeetingLogged
from service.pairs import staffing
from service.pairs.domain_events import (
    InterventionRecorded,
    PairMoved,
    PairPaused,
    PlannedEndChanged,
)
from service.programs.domain_events import ProgramChanged
from service.surveys.domain_events import ResponseSubmitted, StaffCheckinRecorded
from service.webhooks import service as webhooks


def _in_transaction() -> None:
    # A pair moved (pairs.lifecycle: record and outbox events written), in this order:
    # 1. a closed pair keeps the closure procedure as it stood, before anything changes it;
    bus.react(PairMoved, closure.keep_closure_snapshot)
    # 2. proposals its new state made impossible are superseded;
    bus.react(PairMoved, approvals.supersede_stale_proposals)
    # 3. after a re-match, the successor is looked after by the same staff (on its timeline),
    bus.react(PairMoved, staffing.hand_successor_its_staff)
    # 4. and the new mentor is asked to the briefing and the successor's calendar is drawn,
    bus.react(PairMoved, calendar.start_successor_calendar)
    #    and the mentee and old mentor are reassured if the coordinator asked for it;
    bus.react(PairMoved, calendar.reassure_after_rematch)
    # 5. closure begun: the mentee, mentor and guardian are told the final session's date;
    bus.react(PairMoved, calendar.tell_final_session_date)
    # 6. a pair closed by its final session is sent the closure reflection.
    # The pair's calendar is not redrawn here: the compare-and-set marked it stale, and the
    # sweep redraws it after the transition, before it makes any contact from it (the redraw
    # keeps the reminders of the contacts made since the move, such as this reflection).
    bus.react(PairMoved, calendar_actions.reflect_after_final_session)

    # The calendar follows what it is drawn from.
    bus.react(PlannedEndChanged, calendar.redraw_for_planned_end)
    # An intervention's follow-up date, and the re-match prompt a month after the first.
    bus.react(InterventionRecorded, calendar.draw_follow_ups)
    # A pause holds the participants' check-ins and the meeting requirement until it ends.
    bus.react(PairPaused, calendar.hold_for_pause)
    bus.react(ProgramChanged, calendar.redraw_program)
    # A held meeting resets the quiet-time alarm and counts toward the period.
    bus.react(MeetingLogged, calendar.count_meeting)
    # An answer settles the contact that asked for it; a coordinator's check-in what they owed.
    bus.react(ResponseSubmitted, calendar.mark_contact_answered)
    bus.react(StaffCheckinRecorded, calendar.settle_staff_contact)


def _after_commit() -> None:
    # A safety concern: the coordinator and the admins, at once, by e-mail and inbox.
    subscribers.subscribe("alert.safety", inbox.alert_staff_to_safety)
    # A proposal waits: the pair's staff are asked to decide.
    subscribers.subscribe("proposal.created", inbox.ask_for_a_decision)
    # Every event goes to the webhook endpoints that subscribe to it (a batch at a time).
    subscribers.subscribe_many("*", webhooks.fan_out)


def wire() -> None:
    """Install every reaction and consumer (idempotent; the app factory calls it)."""
    bus.wire(_in_transaction)
    _after_commit()
