"""Two console lists built by plain functions, for their page and their download alike:
the access log (who read a safety note or answer) and the stories participants agreed to
share. Each download holds what its page shows, no more."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from service.accounts.models import User
from service.database import db
from service.notes.models import AccessRecord
from service.surveys.models import SurveyResponse

# The page shows the latest reads; its download holds the same ones.
ACCESS_LOG_LIMIT = 500
ACCESS_LOG_HEADER = ("When", "Who", "Pair", "What")

STORY_SURVEYS = ("closure_reflection", "six_month_update")
STORIES_HEADER = ("Pair", "Told by", "Shared in", "Story")


def access_log(limit: int = ACCESS_LOG_LIMIT) -> list[tuple[AccessRecord, str]]:
    """The latest reads of safety notes and answers, newest first, with the reader's name."""
    found = db.session.execute(
        sa.select(AccessRecord, User.full_name)
        .join(User, User.id == AccessRecord.user_id)
        .order_by(AccessRecord.at.desc(), AccessRecord.id.desc())
        .limit(limit)
    ).all()
    return [(record, name) for record, name in found]


def access_log_rows(
    records: list[tuple[AccessRecord, str]],
) -> list[tuple[datetime, str, int, str]]:
    return [(record.at, name, record.pair_id, record.subject) for record, name in records]


def shared_stories(visible: sa.Select) -> list[SurveyResponse]:
    """Stories told in the pairs `visible` (a subquery of pair ids) whose teller agreed to
    share them, newest first: a story without that consent never leaves the survey."""
    responses = db.session.scalars(
        sa.select(SurveyResponse)
        .where(
            SurveyResponse.pair_id.in_(visible),
            SurveyResponse.survey_key.in_(STORY_SURVEYS),
        )
        .order_by(SurveyResponse.submitted_at.desc(), SurveyResponse.id.desc())
    ).all()
    return [
        r for r in responses if r.answers.get("share_story") == "yes" and r.answers.get("story")
    ]


def story_rows(stories: list[SurveyResponse]) -> list[tuple[int | None, str, str, str]]:
    """As the page shows each story: its pair, who told it, the month, the words."""
    return [
        (
            story.pair_id,
            story.respondent_role,
            story.submitted_at.strftime("%B %Y"),
            str(story.answers["story"]),
        )
        for story in stories
    ]
