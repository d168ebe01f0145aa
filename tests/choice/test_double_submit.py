"""A mentee who presses the button twice, or several times at once from several tabs, makes
one match: the offer is used by compare-and-set under the pair's lock, across the server's
processes."""

from __future__ import annotations

import threading

import pytest
import sqlalchemy as sa

from service.actors import system
from service.choice import service as choice
from service.database import db
from service.pairs.models import TransitionRecord
from tests.helpers import World
from tests.helpers.forms import csrf_token_in
from tests.helpers.servers import local_http

pytestmark = pytest.mark.slow

RACERS = 6


def test_choices_sent_at_once_from_several_tabs_make_one_match(app, api, live_server):
    world = World.build(api, mentors=3, mentees=1, mentee_choice=True)
    pair = world.new_pair(0)
    with app.app_context():
        offer = choice.send(pair_id=pair["id"], actor=system("a test"))
        path = "/" + choice.link_for(offer).split("://", 1)[1].split("/", 1)[1]
    with local_http(base_url=live_server, timeout=60) as http:
        page = http.get(path).text
        cookies = dict(http.cookies)
    token = csrf_token_in(page, "the choice page")
    barrier = threading.Barrier(RACERS)
    statuses: list[int] = []
    lock = threading.Lock()

    def racer(mentor_id: int) -> None:
        with local_http(base_url=live_server, timeout=60, cookies=cookies) as http:
            barrier.wait()
            response = http.post(path, data={"csrf_token": token, "mentor_id": str(mentor_id)})
        with lock:
            statuses.append(response.status_code)

    threads = [
        threading.Thread(target=racer, args=(world.mentors[i % 3]["id"],)) for i in range(RACERS)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(statuses) == [200] * (RACERS - 1) + [303]  # one choice; kind pages after
    with app.app_context():
        records = db.session.scalars(
            sa.select(TransitionRecord).where(TransitionRecord.pair_id == pair["id"])
        ).all()
    assert [r.trigger for r in records] == ["match"]
    assert world.pair(pair["id"])["state"] == "matched"
