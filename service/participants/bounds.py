"""What a participant's details and the participant list accept, declared once: the API's
`ParticipantSchema` and `ParticipantQuerySchema` and the console's participant forms all
read these (`tests/console/test_form_bounds.py` fails when one side stops doing so)."""

from __future__ import annotations

ROLES: tuple[str, ...] = ("mentor", "mentee", "guardian")
FULL_NAME: tuple[int, int] = (1, 200)
EMAIL_MAX = 254
PHONE_MAX = 40
LANGUAGE_MAX = 16
LANGUAGE_PATTERN = r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$"
LANGUAGE_MESSAGE = "Use a language tag such as en, nb or pt-BR."
# For mentors: how many mentees at once.
CAPACITY: tuple[int, int] = (1, 20)
# Goals and skills: each a short phrase, a few dozen at most.
TAG: tuple[int, int] = (1, 100)
TAGS_MAX = 50
AVAILABILITY_MAX = 2000
# What matching compares: other languages spoken, where they live, their gender and the
# mentor's gender a mentee asks for, a family or household, people never to be paired with.
LANGUAGES_MAX = 10
LOCATION_MAX = 100
TIMEZONE_MAX = 64
GENDER_MAX = 40
HOUSEHOLD_MAX = 100
CONFLICTS_MAX = 50

# The list: a search in names and e-mail addresses, and how long a mentee has waited.
SEARCH: tuple[int, int] = (1, 200)
WAITED_DAYS: tuple[int, int] = (0, 3650)
# How the console orders the list: by name, or longest waiting first.
SORTS: tuple[str, ...] = ("name", "waiting")

# Screening: what an applicant wrote and the coordinator's notes.
SCREENING_TEXT_MAX = 5000
