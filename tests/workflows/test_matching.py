"""Matching as data: each criterion's value and reasons, and the cohort's assignment, which is
optimal (as many mentees matched as possible, then the highest total score) and never breaks
a hard constraint. Checked against brute force on small instances and against networkx's
min-cost flow on larger ones, on random instances drawn by Hypothesis."""

from __future__ import annotations

import dataclasses
from functools import cache

import networkx as nx
import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from workflows import matching
from workflows.matching import Person, Rule, assign, explain, score, settings_from


def _defaults(**changes: Rule) -> dict[str, Rule]:
    return {**settings_from(None), **changes}


# ------------------------------------------------------------------------------ the reasons


def test_a_mentor_sharing_goals_a_language_and_a_time_is_explained_in_plain_words():
    mentee = Person(
        1,
        goals=["Reading", "Careers"],
        availability="Tuesday evenings",
        languages=["es", "en"],
        location="Oslo",
    )
    mentor = Person(
        2,
        goals=["reading", "careers", "art"],
        skills=["Career coaching"],
        availability="Tuesdays after work, evenings",
        languages=["es"],
        location="oslo",
        open_places=1,
    )
    why = explain(score([mentee], [mentor], _defaults()), 0, 0)
    assert why.reasons == [
        "Shares 2 goals: careers, reading",
        "Skills for the mentee's goals: career",
        "Both free: Tuesday, evenings",
        "Speaks Spanish",
        "Also in oslo",
        "Has 1 place left",
    ]
    assert why.failures == []
    assert why.score == round(5 * 2 / 3 + 4 / 3 + 3 * 2 / 3 + 5 + 2 + 1 / 3, 2)


def test_a_required_criterion_a_mentor_fails_rules_the_mentor_out_and_says_why():
    mentee = Person(1, languages=["pl"])
    mentor = Person(2, languages=["en"], open_places=2)
    why = explain(score([mentee], [mentor], _defaults()), 0, 0)
    assert not why.allowed
    assert why.failures == ["No language in common"]


def test_a_previous_mentor_a_full_mentor_a_conflict_and_the_same_household_are_never_allowed():
    mentee = Person(1, previous_mentors=frozenset({2}), conflicts=frozenset({4}), household="Berg")
    mentors = [
        Person(2, open_places=1),
        Person(3, open_places=0),
        Person(4, open_places=1),
        Person(5, open_places=1, household=" berg "),
        Person(6, open_places=1, conflicts=frozenset({1})),
    ]
    scores = score([mentee], mentors, _defaults())
    assert [explain(scores, 0, j).failures for j in range(len(mentors))] == [
        ["Was this mentee's mentor before"],
        ["Has no open place"],
        ["A conflict is declared between them"],
        ["Same family or household"],
        ["A conflict is declared between them"],
    ]


def test_a_gender_preference_counts_only_when_the_program_takes_it_into_account():
    mentee = Person(1, gender_preference="woman")
    mentors = [Person(2, gender="man", open_places=1), Person(3, gender="Woman", open_places=1)]
    off = score([mentee], mentors, _defaults())
    assert off.allowed.tolist() == [[True, True]]
    required = score([mentee], mentors, _defaults(gender_preference=Rule("require", 5)))
    assert required.allowed.tolist() == [[False, True]]
    assert explain(required, 0, 1).reasons[-2] == "A Woman mentor, as the mentee asked"


def test_time_zones_two_hours_apart_count_half_and_further_apart_nothing():
    mentee = Person(1, utc_offset=1.0)
    mentors = [
        Person(2, utc_offset=3.0, timezone="Europe/Helsinki", open_places=1),
        Person(3, utc_offset=-5.0, timezone="America/New_York", open_places=1),
    ]
    scores = score([mentee], mentors, _defaults())
    assert scores.value("location").tolist() == [[0.5, 0.0]]
    assert "A time zone near the mentee's (Europe/Helsinki)" in explain(scores, 0, 0).reasons


def test_availability_counts_days_and_times_both_name_and_nothing_when_they_differ():
    assert matching.when("Weekends, mornings") == (0b1100000, 0b001)
    mentee = Person(1, availability="Saturday mornings")
    mentors = [
        Person(2, availability="weekends, mornings", open_places=1),
        Person(3, availability="Saturday evenings", open_places=1),
        Person(4, availability="", open_places=1),
    ]
    values = score([mentee], mentors, _defaults()).value("availability")
    assert np.allclose(values, [[2 / 3, 0.0, 0.0]])


def test_a_criterion_turned_off_adds_nothing_and_rules_nobody_out():
    mentee = Person(1, languages=["pl"], goals=["chess"])
    mentor = Person(2, languages=["en"], goals=["chess"], open_places=1)
    off = {name: Rule("off", 10) for name in matching.CRITERIA}
    scores = score([mentee], [mentor], off)
    assert scores.score.tolist() == [[0.0]]
    assert scores.allowed.tolist() == [[True]]


def test_stored_settings_keep_their_defaults_for_what_they_leave_out():
    rules = matching.merged({"language": {"mode": "prefer"}}, {"capacity": {"weight": 7}})
    assert rules["language"] == {"mode": "prefer", "weight": 5}
    assert rules["capacity"] == {"mode": "prefer", "weight": 7}
    assert rules["shared_goals"] == {"mode": "prefer", "weight": 5}


def test_a_mentee_no_mentor_fits_is_told_which_constraints_failed_most():
    mentee = Person(1, languages=["pl"])
    mentors = [Person(2, languages=["en"], open_places=1), Person(3, open_places=0)]
    scores = score([mentee], mentors, _defaults())
    assert matching.why_unmatched(scores, 0) == (
        "No mentor passes the required criteria: No language in common (2 mentors); "
        "Has no open place (1 mentor)."
    )


# ----------------------------------------------------------------------------- assignment


@st.composite
def instances(draw, max_rows: int, max_columns: int):
    n = draw(st.integers(0, max_rows))
    m = draw(st.integers(0, max_columns))
    cells = st.lists(st.integers(0, 20), min_size=n * m, max_size=n * m)
    scores = np.array(draw(cells), dtype=float).reshape(n, m)
    allowed = np.array(
        draw(st.lists(st.booleans(), min_size=n * m, max_size=n * m)), dtype=bool
    ).reshape(n, m)
    places = np.array(draw(st.lists(st.integers(0, 3), min_size=m, max_size=m)), dtype=np.int64)
    return scores, allowed, places


def _value(scores, couples) -> tuple[int, float]:
    return len(couples), float(sum(scores[i, j] for i, j in couples))


def _brute_force(scores, allowed, places) -> tuple[int, float]:
    """The best (matched, total) over every assignment: each row one allowed column with a
    place left, or none."""
    n, m = scores.shape

    @cache
    def best(row: int, left: tuple[int, ...]) -> tuple[int, float]:
        if row == n:
            return (0, 0.0)
        found = best(row + 1, left)
        for j in range(m):
            if allowed[row, j] and left[j] > 0:
                count, total = best(row + 1, (*left[:j], left[j] - 1, *left[j + 1 :]))
                found = max(found, (count + 1, total + scores[row, j]))
        return found

    return best(0, tuple(int(p) for p in places))


def _min_cost_flow(scores, allowed, places) -> tuple[int, float]:
    """The same optimum by an independent solver: maximum flow at minimum cost."""
    graph = nx.DiGraph()
    n, m = scores.shape
    graph.add_node("source")
    graph.add_node("sink")
    for i in range(n):
        graph.add_edge("source", ("mentee", i), capacity=1, weight=0)
    for j in range(m):
        graph.add_edge(("mentor", j), "sink", capacity=int(places[j]), weight=0)
    for i in range(n):
        for j in range(m):
            if allowed[i, j]:
                graph.add_edge(("mentee", i), ("mentor", j), capacity=1, weight=-int(scores[i, j]))
    flow = nx.max_flow_min_cost(graph, "source", "sink")
    couples = [
        (i, j)
        for i in range(n)
        for j in range(m)
        if allowed[i, j] and flow[("mentee", i)].get(("mentor", j), 0) == 1
    ]
    return _value(scores, couples)


def _valid(couples, allowed, places) -> bool:
    rows = [i for i, _ in couples]
    used = np.bincount([j for _, j in couples], minlength=len(places)) if couples else []
    return (
        len(rows) == len(set(rows))
        and all(allowed[i, j] for i, j in couples)
        and all(u <= p for u, p in zip(used, places, strict=False))
    )


@settings(max_examples=300, deadline=None)
@given(instances(max_rows=8, max_columns=8))
def test_the_assignment_of_up_to_8_mentees_to_8_mentors_is_as_good_as_the_best_of_all(instance):
    scores, allowed, places = instance
    couples = assign(scores, allowed, places)
    assert _valid(couples, allowed, places)
    assert _value(scores, couples) == _brute_force(scores, allowed, places)


@settings(max_examples=60, deadline=None)
@given(instances(max_rows=40, max_columns=30))
def test_the_assignment_of_larger_cohorts_is_as_good_as_networkx_min_cost_flow(instance):
    scores, allowed, places = instance
    couples = assign(scores, allowed, places)
    assert _valid(couples, allowed, places)
    assert _value(scores, couples) == _min_cost_flow(scores, allowed, places)


_WORDS = st.sampled_from(["reading", "careers", "chess", "music", "maths", "art", "coding"])
_LANGUAGES = st.sampled_from(["en", "es", "pl", "ar"])
_TIMES = st.sampled_from(["Monday", "Saturday", "weekends", "evenings", "mornings", ""])


@st.composite
def people(draw, role: str, first_id: int, count: int) -> list[Person]:
    found = []
    for k in range(count):
        found.append(
            Person(
                first_id + k,
                goals=draw(st.lists(_WORDS, max_size=3)),
                skills=draw(st.lists(_WORDS, max_size=3)),
                availability=" ".join(draw(st.lists(_TIMES, max_size=2))),
                languages=draw(st.lists(_LANGUAGES, min_size=1, max_size=2)),
                location=draw(st.sampled_from(["", "Oslo", "Bergen"])),
                utc_offset=draw(st.sampled_from([None, 0.0, 1.0, 5.0])),
                gender=draw(st.sampled_from([None, "woman", "man"])),
                gender_preference=draw(st.sampled_from([None, "woman"]))
                if role == "mentee"
                else None,
                household=draw(st.sampled_from([None, "a", "b"])),
                conflicts=frozenset(draw(st.lists(st.integers(100, 120), max_size=2))),
                previous_mentors=frozenset(draw(st.lists(st.integers(100, 120), max_size=2)))
                if role == "mentee"
                else frozenset(),
                open_places=draw(st.integers(0, 3)) if role == "mentor" else 0,
            )
        )
    return found


_RULES = st.builds(Rule, st.sampled_from(matching.MODES), st.integers(*matching.WEIGHT))


@settings(max_examples=150, deadline=None)
@given(
    st.integers(0, 12).flatmap(lambda n: people("mentee", 1, n)),
    st.integers(0, 12).flatmap(lambda m: people("mentor", 100, m)),
    st.fixed_dictionaries({name: _RULES for name in matching.CRITERIA}),
)
def test_cohort_matching_never_breaks_a_hard_constraint(mentees, mentors, rules):
    scores = score(mentees, mentors, rules)
    couples = assign(scores.score, scores.allowed, [p.open_places for p in mentors])
    taken: dict[int, int] = {}
    for i, j in couples:
        assert explain(scores, i, j).failures == []
        taken[j] = taken.get(j, 0) + 1
    assert all(count <= mentors[j].open_places for j, count in taken.items())
    # Every mentee left over has no allowed mentor with a place left.
    placed = {i for i, _ in couples}
    for i in set(range(len(mentees))) - placed:
        assert all(
            taken.get(j, 0) >= mentors[j].open_places
            for j in range(len(mentors))
            if scores.allowed[i, j]
        )


def test_what_a_mentor_shares_is_told_to_the_mentee_and_nothing_else_of_theirs():
    mentee = matching.Person(
        1,
        goals=("Reading", "Careers in science"),
        availability="Saturday mornings",
        languages=("en", "it"),
        location="Oslo",
    )
    mentor = matching.Person(
        2,
        goals=("reading", "chess"),
        skills=("Science writing", "Knitting"),
        availability="Saturday mornings, Sunday evenings",
        languages=("it", "fr"),
        location="Oslo",
        household="Berg",
    )

    assert matching.in_common(mentee, mentor) == [
        "You both want to work on: reading",
        "Knows about: Science writing",
        "Speaks Italian",
        "Free when you are: Saturday, mornings",
    ]
    later = matching.Person(3, availability="Saturday evenings", languages=("fr",))
    assert matching.in_common(mentee, later) == []  # the same day, but not the same hours


def _kept(mentors: list[Person]) -> matching.People:
    """Mentors as a program's are kept between calls: tuple columns and a store."""
    columns = matching.People.of(mentors)
    return matching.People(*(tuple(getattr(columns, c)) for c in matching._COLUMNS), kept={})


def _same(kept: matching.Scores, fresh: matching.Scores) -> None:
    assert np.array_equal(kept.score, fresh.score)
    assert np.array_equal(kept.allowed, fresh.allowed)
    for i in range(len(fresh.mentees)):
        assert matching.why_unmatched(kept, i) == matching.why_unmatched(fresh, i)
        for j in range(len(fresh.mentors)):
            assert explain(kept, i, j) == explain(fresh, i, j)


@settings(max_examples=60, deadline=None)
@given(
    st.integers(1, 6).flatmap(lambda n: people("mentee", 1, n)),
    st.integers(1, 6).flatmap(lambda n: people("mentee", 50, n)),
    st.integers(0, 12).flatmap(lambda m: people("mentor", 100, m)),
    st.fixed_dictionaries({name: _RULES for name in matching.CRITERIA}),
    st.integers(0, 3),
)
def test_mentors_kept_between_calls_score_and_explain_as_the_same_mentors_read_afresh(
    first, second, mentors, rules, places
):
    kept = _kept(mentors)
    _same(score(first, kept, rules), score(first, mentors, rules))
    # The next mentee ranked uses what the first worked out.
    _same(score(second, kept, rules), score(second, mentors, rules))
    # Their open places change between calls; what was kept still holds.
    moved = dataclasses.replace(kept, open_places=(places,) * len(mentors))
    fresh = [dataclasses.replace(p, open_places=places) for p in mentors]
    _same(score(second, moved, rules), score(second, fresh, rules))
