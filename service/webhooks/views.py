"""Webhooks in the console: register endpoints, read the delivery log, redeliver. Admins."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from flask_login import current_user

from service.accounts.models import StaffRole
from service.database import db
from service.events.catalog import EVENT_TYPES, public_event_types
from service.problems import Problem, html_error
from service.web.forms import validated
from service.web.refusals import REFUSALS
from service.web.staff import staff_required
from service.webhooks import bounds, service
from service.webhooks.forms import EndpointActionForm, EndpointForm
from service.webhooks.models import Attempt, Delivery, DeliveryStatus, Endpoint

blueprint = Blueprint("webhooks_console", __name__, url_prefix="/console/webhooks")


@blueprint.get("")
@staff_required(StaffRole.ADMIN)
def index():
    endpoints = db.session.scalars(sa.select(Endpoint).order_by(Endpoint.id)).all()
    failing = dict(
        db.session.execute(
            sa.select(Delivery.endpoint_id, sa.func.count())
            .where(Delivery.status == DeliveryStatus.FAILED)
            .group_by(Delivery.endpoint_id)
        ).all()
    )
    return render_template(
        "console/webhooks.html",
        endpoints=endpoints,
        failing=failing,
        event_types=public_event_types(),
        descriptions=EVENT_TYPES,
        url_max=bounds.URL_MAX,
        description_max=bounds.DESCRIPTION_MAX,
    )


@blueprint.post("")
@staff_required(StaffRole.ADMIN)
def register():
    form = EndpointForm()
    try:
        validated(form)
        endpoint = service.register(
            url=form.url.data or "",
            description=form.description.data or "",
            event_types=form.event_types.data or ["*"],
            actor=g.actor,
            owner_user_id=current_user.id,
        )
    except REFUSALS as problem:
        flash(problem.detail, "error")
        return redirect(url_for(".index"))
    flash("The endpoint is registered. Give its secret to the receiver to verify signatures.")
    return redirect(url_for(".show", endpoint_id=endpoint.id))


@blueprint.get("/<id:endpoint_id>")
@staff_required(StaffRole.ADMIN)
def show(endpoint_id: int):
    endpoint = service.get(endpoint_id=endpoint_id)
    status = request.args.get("status")
    status = status if status in set(DeliveryStatus) else None
    deliveries = service.deliveries(endpoint_id=endpoint.id, status=status, limit=200)
    return render_template(
        "console/webhook.html",
        endpoint=endpoint,
        deliveries=deliveries,
        status=status,
        statuses=list(DeliveryStatus),
    )


@blueprint.post("/<id:endpoint_id>")
@staff_required(StaffRole.ADMIN)
def act(endpoint_id: int):
    form = EndpointActionForm()
    try:
        action = validated(form).action.data
        if action == "enable":
            service.update(endpoint_id=endpoint_id, enabled=True)
            flash("Enabled: deliveries resume.")
        elif action == "disable":
            service.update(endpoint_id=endpoint_id, enabled=False)
            flash("Disabled: nothing is sent until it is enabled again.")
        elif action == "rotate":
            service.rotate_secret(endpoint_id=endpoint_id)
            flash("A new secret. The previous one keeps signing for 24 hours.")
        elif action == "redeliver_failed":
            since, until = form.since.data, form.until.data
            if since is None or until is None:
                raise Problem("validation-error", "Give the start and the end of the range.")
            count = service.redeliver_failed(endpoint_id=endpoint_id, since=since, until=until)
            flash(f"{count} failed deliver{'y' if count == 1 else 'ies'} will be sent again.")
        else:
            service.delete(endpoint_id=endpoint_id)
            flash("The endpoint and its delivery log are deleted.")
            return redirect(url_for(".index"))
    except REFUSALS as problem:
        flash(problem.detail, "error")
    return redirect(url_for(".show", endpoint_id=endpoint_id))


@blueprint.get("/deliveries/<id:delivery_id>")
@staff_required(StaffRole.ADMIN)
def delivery(delivery_id: int):
    found = db.session.get(Delivery, delivery_id)
    if found is None:
        return html_error(404, "Not found", "No such delivery.")
    attempts = db.session.scalars(
        sa.select(Attempt).where(Attempt.delivery_id == found.id).order_by(Attempt.id)
    ).all()
    return render_template(
        "console/webhook_delivery.html",
        delivery=found,
        endpoint=db.session.get(Endpoint, found.endpoint_id),
        attempts=attempts,
    )


@blueprint.post("/deliveries/<id:delivery_id>")
@staff_required(StaffRole.ADMIN)
def redeliver(delivery_id: int):
    try:
        service.redeliver(delivery_id=delivery_id)
        flash("It will be sent again in a moment, with the same webhook-id.")
    except REFUSALS as problem:
        flash(problem.detail, "error")
    return redirect(url_for(".delivery", delivery_id=delivery_id))
