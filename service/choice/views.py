"""The mentee's page behind a choice link: the mentors offered, in plain words, and the
choice. No password, no JavaScript; every outcome a kind page, never an error."""

from __future__ import annotations

from flask import Blueprint, abort, make_response, redirect, render_template, request, url_for

from service.choice import service as choice
from service.choice.forms import CHOOSE_ONE, ChoiceForm
from service.choice.models import OfferOutcome
from service.programs.models import Program
from service.web import limits
from service.web.csrf import csrf

blueprint = Blueprint("choice", __name__, url_prefix="/choose")

INVALID_LINK = (
    "The link may have been copied incompletely, or changed. Please use the link from your "
    "e-mail exactly as it is, or ask your program coordinator for a new one."
)


def _message(heading: str, *paragraphs: str, status: int = 200, program: Program | None = None):
    page = render_template(
        "surveys/message.html", heading=heading, paragraphs=paragraphs, program=program
    )
    return page, status


def _opened(token: str) -> choice.Opened:
    try:
        return choice.resolve(token)
    except choice.InvalidLink:
        abort(make_response(*_message("This link is not valid", INVALID_LINK, status=400)))


def _closed_page(opened: choice.Opened, refusal: Exception):
    """Why the mentee cannot choose through this link, kindly."""
    program, offer = opened.program, opened.offer
    if isinstance(refusal, choice.LinkUsed):
        if offer.outcome == OfferOutcome.REPLACED:
            return _message(
                "There is a newer link",
                "We have sent you a newer e-mail to choose your mentor, and this link has "
                "made way for it. Please use the link in the latest e-mail.",
                program=program,
            )
        chosen = choice.chosen_option(offer)
        return _message(
            "You have chosen your mentor",
            f"Thank you! You chose {chosen['first_name'] if chosen else 'your mentor'}, and "
            "this link has done its job.",
            "Your program coordinator will introduce you to each other soon.",
            program=program,
        )
    if isinstance(refusal, choice.LinkExpired):
        return _message(
            "This link has expired",
            f"Links work for a limited time, and this one ended on {offer.expires_at:%d %B %Y}.",
            "Please ask your program coordinator to send you a new one: we will gladly "
            "help you choose.",
            status=410,
            program=program,
        )
    if isinstance(refusal, choice.ChoiceClosed) and refusal.why == "ended":
        return _message(
            "This link no longer works",
            "Your place in the program has changed since we sent it, so there is nothing to "
            "choose here any more.",
            "If you have a question, please contact your program coordinator.",
            program=program,
        )
    return _message(
        "Your mentor is being arranged",
        "Your program coordinator is taking care of your match, so there is nothing to "
        "choose here any more.",
        "They will be in touch soon. If you have a question, please contact them.",
        program=program,
    )


@blueprint.route("/<credential:token>", methods=["GET", "POST"])
@csrf.exempt  # The form checks its own CSRF token, so a stale one is shown on the page.
def show(token: str):
    opened = _opened(token)
    try:
        choice.check_open(opened)
    except (choice.LinkUsed, choice.LinkExpired, choice.ChoiceClosed) as refusal:
        return _closed_page(opened, refusal)
    offer = opened.offer
    form = ChoiceForm(offered=[o["mentor_id"] for o in offer.options])
    status, problem = 200, None
    if request.method == "POST":
        if form.validate():
            try:
                choice.choose(offer_id=offer.id, mentor_id=form.mentor_id.data)
            except (choice.LinkUsed, choice.LinkExpired, choice.ChoiceClosed) as refusal:
                return _closed_page(choice.resolve(token), refusal)
            except choice.MentorUnavailable as refused:
                status = 409
                problem = (
                    f"Sorry, {refused.first_name} is no longer available to mentor you. "
                    "Please choose one of the others."
                )
            else:
                return redirect(url_for(".chosen", token=token), code=303)
        else:
            status = 422
            problem = (
                "This page was open for too long or its session expired. Please choose again."
                if "csrf_token" in form.errors
                else CHOOSE_ONE
            )
    options = choice.options_of(offer)
    page = render_template(
        "choice/page.html",
        program=opened.program,
        form=form,
        options=options,
        open_options=[o for o in options if o.available],
        problem=problem,
        expires_at=offer.expires_at,
    )
    return page, status


@blueprint.get("/<credential:token>/chosen")
def chosen(token: str):
    opened = _opened(token)
    offer = opened.offer
    if offer.outcome not in (OfferOutcome.CHOSEN, OfferOutcome.PROPOSED):
        return redirect(url_for(".show", token=token))
    option = choice.chosen_option(offer)
    name = option["first_name"] if option else "your mentor"
    return _message(
        "Thank you for choosing",
        f"You chose {name}.",
        "Your program coordinator will introduce you to each other soon: you will both be "
        "asked to accept the introduction, and then your mentoring starts with a short "
        "orientation.",
        program=opened.program,
    )


@limits.page_for("choice")
def _throttled(wait: str) -> str:
    page, _ = _message(
        "Please wait a moment",
        "There were many requests from your connection in a short time, so nothing was sent "
        "this time.",
        f"Please wait {wait}, then go back and try again. Your link still works.",
    )
    return page
