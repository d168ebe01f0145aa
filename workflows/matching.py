"""Matching a mentee with a mentor: the criteria, the score with its reasons, and the best
assignment of a whole cohort.

Pure: people come in as `Person` values (many at once as `People`, columns), a program's
choices as `Settings`; nothing here reads a database. Each criterion gives every (mentee,
mentor) couple a value from 0 to 1, computed between the distinct values of each side (the
kinds of availability, of language, of goals…) and gathered out with numpy, so ranking
10,000 mentors or scoring a cohort of 2,000 x 2,000 is a handful of array operations. A
program sets each criterion `off`, `prefer` (its weight, 0 to 10, adds weight x value to the
score) or `require` (a mentor whose value is 0 is never proposed; the weight still ranks
those who pass). Capacity and the exclusions (a previous mentor, a declared conflict, the
same household) always hold.

`assign` finds the cohort's best assignment: as many mentees matched as the hard
constraints and the places allow, and among those assignments the highest total score
(`scipy.optimize.linear_sum_assignment` on the score matrix with each mentor's column
repeated once per open place).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, TypeVar, overload

import numpy as np

MODES: tuple[str, ...] = ("off", "prefer", "require")
WEIGHT: tuple[int, int] = (0, 10)


@dataclass(frozen=True)
class Criterion:
    name: str
    label: str
    what: str  # what it compares
    why: str  # why a program would weigh it
    mode: str  # a new program's mode
    weight: int  # a new program's weight


CRITERIA: dict[str, Criterion] = {
    c.name: c
    for c in (
        Criterion(
            "shared_goals",
            "Shared goals and interests",
            "Goals the mentee and the mentor both listed (the same words, whatever the case); "
            "the more they share, up to three, the higher the score.",
            "Pairs who want the same things have something to talk about from the first meeting.",
            "prefer",
            5,
        ),
        Criterion(
            "skills_for_goals",
            "The mentor's skills for the mentee's goals",
            "Words of the mentee's goals found in the mentor's skills and interests, up to three.",
            "A mentor who knows the field can help with what the mentee came for.",
            "prefer",
            4,
        ),
        Criterion(
            "availability",
            "Availability overlap",
            "Days (Monday to Sunday, weekdays, weekends) and times of day (morning, afternoon, "
            "evening) both named in their availability, up to three; nothing in common, or no "
            "availability given, counts 0.",
            "Pairs who cannot find a common hour stop meeting.",
            "prefer",
            3,
        ),
        Criterion(
            "language",
            "A common language",
            "The mentor speaks a language the mentee speaks: the language of their messages or "
            "another they listed.",
            "Without a common language there is no conversation.",
            "require",
            5,
        ),
        Criterion(
            "location",
            "Location or time zone",
            "The same place (counts 1), or time zones at most two hours apart (counts 0.5).",
            "Pairs who meet in person need to live near each other; online pairs need waking "
            "hours in common.",
            "prefer",
            2,
        ),
        Criterion(
            "gender_preference",
            "The mentee's gender preference",
            "When the mentee asked for a mentor of a given gender, the mentor's matches it; a "
            "mentee without a preference fits every mentor.",
            "Some mentees, and some programs, feel safer with a mentor of the gender they ask "
            "for. Off: the program does not take the preference into account.",
            "off",
            5,
        ),
        Criterion(
            "capacity",
            "Open places",
            "Mentors with more open places score higher (up to three). A mentor with no open "
            "place is never proposed, whatever this setting says.",
            "Spreads mentees over the mentors instead of filling the first ones.",
            "prefer",
            1,
        ),
    )
}

# Always hard, never weighed: say so where the criteria are explained.
EXCLUSIONS = (
    "A previous mentor of this mentee, a mentor with no open place, a declared conflict "
    "between the two, and two people of the same family or household are never matched."
)


@dataclass(frozen=True)
class Rule:
    mode: str
    weight: int


Settings = Mapping[str, Rule]


def default_settings() -> dict[str, dict[str, Any]]:
    """A new program's matching settings, as stored."""
    return {name: {"mode": c.mode, "weight": c.weight} for name, c in CRITERIA.items()}


def merged(
    stored: Mapping[str, Any] | None, changes: Mapping[str, Mapping[str, Any]] | None
) -> dict[str, dict[str, Any]]:
    """Every criterion's settings: the stored ones (each left out at its default), with
    `changes` laid over them (a change may name only the mode or only the weight)."""
    rules = settings_from(stored)
    out = {name: {"mode": r.mode, "weight": r.weight} for name, r in rules.items()}
    for name, change in (changes or {}).items():
        if name in out:
            out[name] = {**out[name], **change}
    return out


def settings_from(stored: Mapping[str, Any] | None) -> dict[str, Rule]:
    """A program's stored settings, each criterion left out at its default."""
    stored = stored or {}
    rules = {}
    for name, criterion in CRITERIA.items():
        own = stored.get(name) or {}
        rules[name] = Rule(
            own.get("mode", criterion.mode), int(own.get("weight", criterion.weight))
        )
    return rules


@dataclass(frozen=True)
class Person:
    """A mentee or a mentor, as matching sees them."""

    id: int
    name: str = ""
    goals: Sequence[str] = ()
    skills: Sequence[str] = ()
    availability: str = ""
    # Spoken languages: the language of their messages first.
    languages: Sequence[str] = ("en",)
    location: str = ""
    # Hours ahead of UTC now, or None when unknown.
    utc_offset: float | None = None
    timezone: str | None = None
    gender: str | None = None
    gender_preference: str | None = None
    household: str | None = None
    # Participants they must never be paired with.
    conflicts: frozenset[int] = frozenset()
    # Mentees: their mentors so far. Mentors: their open places.
    previous_mentors: frozenset[int] = frozenset()
    open_places: int = 0


_COLUMNS = (
    "ids", "names", "goals", "skills", "availability", "languages", "location", "utc_offset",
    "timezone", "gender", "gender_preference", "household", "conflicts", "previous_mentors",
    "open_places",
)  # fmt: skip
_FIELDS = (
    "id", "name", "goals", "skills", "availability", "languages", "location", "utc_offset",
    "timezone", "gender", "gender_preference", "household", "conflicts", "previous_mentors",
    "open_places",
)  # fmt: skip


@dataclass(frozen=True)
class People(Sequence[Person]):
    """Many people as columns: one sequence per attribute of `Person`, all in the same order,
    sequences of words as tuples. What a program's mentors are read into: scoring takes each
    column whole, so no `Person` is built per mentor; `people[j]` builds one (the reasons of
    the few shown)."""

    ids: Sequence[int]
    names: Sequence[str]
    goals: Sequence[tuple[str, ...]]
    skills: Sequence[tuple[str, ...]]
    availability: Sequence[str]
    languages: Sequence[tuple[str, ...]]
    location: Sequence[str]
    utc_offset: Sequence[float | None]
    timezone: Sequence[str | None]
    gender: Sequence[str | None]
    gender_preference: Sequence[str | None]
    household: Sequence[str | None]
    conflicts: Sequence[frozenset[int]]
    previous_mentors: Sequence[frozenset[int]]
    open_places: Sequence[int]
    # What scoring works out from these columns, kept for the next call: given (an empty
    # dict) only to people kept between calls, whose columns are tuples never changed.
    # `dataclasses.replace` shares it; each entry is used only with the very columns it
    # came from.
    kept: dict[tuple[Any, ...], Any] | None = field(
        default=None, compare=False, repr=False, kw_only=True
    )

    @classmethod
    def of(cls, people: Sequence[Person]) -> People:
        if isinstance(people, People):
            return people
        columns: dict[str, Any] = {
            c: [getattr(p, f) for p in people] for f, c in zip(_FIELDS, _COLUMNS, strict=True)
        }
        for c in ("goals", "skills", "languages"):
            columns[c] = [tuple(x) for x in columns[c]]
        for c in ("conflicts", "previous_mentors"):
            columns[c] = [frozenset(x) for x in columns[c]]
        return cls(**columns)

    def __len__(self) -> int:
        return len(self.ids)

    @overload
    def __getitem__(self, j: int) -> Person: ...

    @overload
    def __getitem__(self, j: slice) -> Sequence[Person]: ...

    def __getitem__(self, j: int | slice) -> Person | Sequence[Person]:
        if isinstance(j, slice):
            return [self[k] for k in range(*j.indices(len(self)))]
        return Person(**{f: getattr(self, c)[j] for f, c in zip(_FIELDS, _COLUMNS, strict=True)})

    def take(self, indices: Iterable[int]) -> People:
        """These people only, in this order."""
        at = list(indices)
        return People(*([getattr(self, c)[j] for j in at] for c in _COLUMNS))


# ---------------------------------------------------------------------------------- reading

_WORDS = re.compile(r"[^\W\d_]+")
_STOP = {"and", "the", "for", "with", "about", "into", "from", "more", "get", "how", "a", "an"}
_DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_PARTS = ("morning", "afternoon", "evening")
_DAY_WORDS: dict[str, int] = {d: 1 << i for i, d in enumerate(_DAYS)}
_DAY_WORDS.update({d + "s": 1 << i for i, d in enumerate(_DAYS)})
for _word in ("weekday", "weekdays"):
    _DAY_WORDS[_word] = 0b0011111
for _word in ("weekend", "weekends"):
    _DAY_WORDS[_word] = 0b1100000
_PART_WORDS: dict[str, int] = {p: 1 << i for i, p in enumerate(_PARTS)}
_PART_WORDS.update({p + "s": 1 << i for i, p in enumerate(_PARTS)})
_PART_WORDS.update({"lunch": 0b010, "lunchtime": 0b010, "night": 0b100, "nights": 0b100})

LANGUAGE_NAMES = {
    "ar": "Arabic", "bn": "Bengali", "da": "Danish", "de": "German", "el": "Greek",
    "en": "English", "es": "Spanish", "fa": "Persian", "fi": "Finnish", "fr": "French",
    "he": "Hebrew", "hi": "Hindi", "is": "Icelandic", "it": "Italian", "ja": "Japanese",
    "ko": "Korean", "nb": "Norwegian", "nl": "Dutch", "nn": "Norwegian", "no": "Norwegian",
    "pl": "Polish", "pt": "Portuguese", "ro": "Romanian", "ru": "Russian", "so": "Somali",
    "sv": "Swedish", "sw": "Swahili", "ta": "Tamil", "ti": "Tigrinya", "tr": "Turkish",
    "uk": "Ukrainian", "ur": "Urdu", "vi": "Vietnamese", "zh": "Chinese",
}  # fmt: skip


def language_name(tag: str) -> str:
    base = tag.split("-")[0].lower()
    return LANGUAGE_NAMES.get(base, tag)


def _norm(text: str) -> str:
    return " ".join(text.casefold().split())


def words(texts: Iterable[str]) -> set[str]:
    found: set[str] = set()
    for text in texts:
        for word in _WORDS.findall(text.casefold()):
            if len(word) > 2 and word not in _STOP:
                # "careers" meets "career": a plural's s is not a different word.
                found.add(word[:-1] if len(word) > 4 and word.endswith("s") else word)
    return found


@lru_cache(maxsize=65536)
def when(availability: str) -> tuple[int, int]:
    """The days and the times of day named in an availability, as bit masks."""
    days = parts = 0
    for word in _WORDS.findall(availability.casefold()):
        days |= _DAY_WORDS.get(word, 0)
        parts |= _PART_WORDS.get(word, 0)
    return days, parts


def _named(days: int, parts: int) -> list[str]:
    named = [d.capitalize() for i, d in enumerate(_DAYS) if days >> i & 1]
    if days == 0b0011111:
        named = ["weekdays"]
    elif days == 0b1100000:
        named = ["weekends"]
    return named + [p + "s" for i, p in enumerate(_PARTS) if parts >> i & 1]


def _languages(person: Person) -> set[str]:
    return {t.split("-")[0].lower() for t in person.languages if t}


# ---------------------------------------------------------------------------------- arrays
# A criterion's value for every couple is a small table between the kinds of people on
# each side (their availability, their place and time zone…), gathered out to the full
# matrix once: people who share a kind are compared once, not once per couple.


@dataclass
class Factor:
    """One criterion's value for each (mentee, mentor): `table[rows[i], cols[j]]`."""

    table: np.ndarray
    rows: np.ndarray
    cols: np.ndarray

    def at(self, i: int, j: int) -> float:
        return float(self.table[self.rows[i], self.cols[j]])

    def row(self, i: int) -> np.ndarray:
        """Mentee `i`'s value with every mentor."""
        found: np.ndarray = self.table[self.rows[i], self.cols]
        return found

    def matrix(self) -> np.ndarray:
        gathered: np.ndarray = self.table[np.ix_(self.rows, self.cols)]
        return gathered


# What is worked out from the columns of people kept between calls (a program's mentors,
# `People.kept`): their kinds, vocabularies and indexes, worked out once, not once per
# mentee ranked. Each is kept with the columns it came from, and used only while they are
# the very same objects; it lives as long as the people do.
_T = TypeVar("_T")
_KEEP_AT_MOST = 16 * 2**20  # bytes of one items matrix


def _kept_for(
    store: dict[tuple[Any, ...], Any] | None,
    columns: tuple[Sequence[Any], ...],
    what: str,
    compute: Callable[[], _T],
    keep: Callable[[_T], bool] = lambda value: True,
) -> _T:
    if store is None:
        return compute()
    key = (what, *map(id, columns))
    found = store.get(key)
    if found is not None and all(x is y for x, y in zip(found[0], columns, strict=True)):
        kept: _T = found[1]
        return kept
    value = compute()
    if keep(value):
        store[key] = (columns, value)
    return value


def _kinds(
    keys: Sequence[Any], store: dict[tuple[Any, ...], Any] | None = None
) -> tuple[list[Any], np.ndarray]:
    """The distinct keys, and each person's index among them."""
    return _kept_for(store, (keys,), "kinds", lambda: _count_kinds(keys))


def _count_kinds(keys: Sequence[Any]) -> tuple[list[Any], np.ndarray]:
    index: dict[Any, int] = dict.fromkeys(keys, 0)  # distinct, in order
    for k, key in enumerate(index):
        index[key] = k
    codes = np.fromiter(map(index.__getitem__, keys), np.int64, len(keys))
    codes.setflags(write=False)  # may be kept and shared
    return list(index), codes


def _pairwise(
    a: Sequence[Any],
    b: Sequence[Any],
    value: Callable[[Any, Any], float],
    read: Callable[[Any], Any] = lambda key: key,
    store: dict[tuple[Any, ...], Any] | None = None,
) -> Factor:
    """`value(read(key_a), read(key_b))` between the distinct keys of each side."""
    ka, ia = _kinds(a)
    kb, ib = _kinds(b, store)
    xs, ys = [read(x) for x in ka], [read(y) for y in kb]
    table = np.array([[value(x, y) for y in ys] for x in xs], np.float32).reshape(len(xs), len(ys))
    return Factor(table, ia, ib)


def _shared(
    a: Sequence[Any],
    b: Sequence[Any],
    read: Callable[[Any], frozenset[str]],
    store: dict[tuple[Any, ...], Any] | None = None,
) -> Factor:
    """How many items (up to three, over three) the sets `read` makes of each side's keys
    have in common, between the distinct keys."""
    ka, ia = _kinds(a)
    kb, ib = _kinds(b, store)
    vocabulary, right = _kept_for(
        store,
        (b,),
        f"items {read.__name__}",
        lambda: _item_matrix([read(y) for y in kb]),
        # A matrix as large as many mentors' free-text skills make is worked out each call
        # rather than held for as long as the program's mentors are.
        lambda kept: kept[1].nbytes <= _KEEP_AT_MOST,
    )
    counts = _common_counts([read(x) for x in ka], vocabulary, right)
    return Factor(np.minimum(counts, 3) / np.float32(3), ia, ib)


def _item_matrix(b: Sequence[frozenset[str]]) -> tuple[dict[str, int], np.ndarray]:
    """The mentors' items numbered, and a dense matrix of which set holds which."""
    vocabulary: dict[str, int] = {}
    for items in b:
        for item in items:
            vocabulary.setdefault(item, len(vocabulary))
    right = np.zeros((len(b), max(len(vocabulary), 1)), np.float32)
    marks = [(j, vocabulary[item]) for j, items in enumerate(b) for item in items]
    if marks:
        at = np.array(marks, np.int64)
        right[at[:, 0], at[:, 1]] = 1
    right.setflags(write=False)
    return vocabulary, right


def _common_counts(
    a: Sequence[frozenset[str]], vocabulary: Mapping[str, int], right: np.ndarray
) -> np.ndarray:
    """How many items each set of `a` shares with each of the mentors' sets: a sparse
    matrix of the mentees' items times the dense one of the mentors' (`_item_matrix`)."""
    rows, cols = [], []
    for i, items in enumerate(a):
        for item in items:
            if (k := vocabulary.get(item)) is not None:
                rows.append(i)
                cols.append(k)
    # Imported here: scipy's sparse matrices hold about 20 MB in every process that imports
    # them, and only matching uses them (a web worker that never matches need not).
    from scipy import sparse

    width = right.shape[1]
    left = sparse.csr_matrix((np.ones(len(rows), np.float32), (rows, cols)), shape=(len(a), width))
    return np.asarray(left @ right.T, dtype=np.float32).reshape(len(a), right.shape[0])


@lru_cache(maxsize=65536)
def _goal_set(goals: tuple[str, ...]) -> frozenset[str]:
    return frozenset(_norm(g) for g in goals)


@lru_cache(maxsize=65536)
def _word_set(texts: tuple[str, ...]) -> frozenset[str]:
    return frozenset(words(texts))


def _language_set(spoken: tuple[str, ...]) -> frozenset[str]:
    return frozenset(t.split("-")[0].lower() for t in spoken if t)


def _availability_value(x: tuple[int, int], y: tuple[int, int]) -> float:
    days, parts = x[0] & y[0], x[1] & y[1]
    both_days, both_parts = bool(x[0] and y[0]), bool(x[1] and y[1])
    # Days in common (when both name days) and times in common (when both name times),
    # and at least one of the two named by both.
    if not (both_days or both_parts) or (both_days and not days) or (both_parts and not parts):
        return 0.0
    return min(days.bit_count() + parts.bit_count(), 3) / 3


def _location_value(x: tuple[str, float | None], y: tuple[str, float | None]) -> float:
    if x[0] and x[0] == y[0]:
        return 1.0
    if x[1] is not None and y[1] is not None and abs(x[1] - y[1]) <= 2:
        return 0.5
    return 0.0


def _gender_value(wanted: str, gender: str) -> float:
    return 1.0 if not wanted or wanted == gender else 0.0


@dataclass
class Scores:
    """Every criterion's value for each (mentee, mentor), the score, and the hard failures."""

    mentees: Sequence[Person]
    mentors: Sequence[Person]
    values: dict[str, Factor]
    score: np.ndarray
    allowed: np.ndarray
    settings: Settings
    excluded: dict[str, np.ndarray] = field(default_factory=dict)

    def value(self, name: str) -> np.ndarray:
        return self.values[name].matrix()


def score(mentees: Sequence[Person], mentors: Sequence[Person], settings: Settings) -> Scores:
    """Score every mentee against every mentor (a matrix of len(mentees) x len(mentors)).
    Either side may be `People` (columns), as a program's mentors are: each criterion reads
    a column whole and compares only its distinct values."""
    a, b = People.of(mentees), People.of(mentors)
    n, m = len(a), len(b)
    kept = b.kept
    values: dict[str, Factor] = {}
    rules = {name: rule for name, rule in settings.items() if rule.mode != "off"}
    if "shared_goals" in rules:
        values["shared_goals"] = _shared(a.goals, b.goals, _goal_set, kept)
    if "skills_for_goals" in rules:
        values["skills_for_goals"] = _shared(a.goals, b.skills, _word_set, kept)
    if "availability" in rules:
        # Compared by what they name (many texts name the same days and times).
        values["availability"] = _pairwise(
            list(map(when, a.availability)),
            _kept_for(kept, (b.availability,), "when", lambda: tuple(map(when, b.availability))),
            _availability_value,
            store=kept,
        )
    if "language" in rules:
        values["language"] = _pairwise(
            a.languages, b.languages, lambda x, y: 1.0 if x & y else 0.0, _language_set, kept
        )
    if "location" in rules:
        values["location"] = _pairwise(
            list(zip(a.location, a.utc_offset, strict=True)),
            _kept_for(
                kept,
                (b.location, b.utc_offset),
                "places",
                lambda: tuple(zip(b.location, b.utc_offset, strict=True)),
            ),
            _location_value,
            lambda key: (_norm(key[0] or ""), key[1]),
            kept,
        )
    if "gender_preference" in rules:
        values["gender_preference"] = _pairwise(
            a.gender_preference, b.gender, _gender_value, lambda g: _norm(g or ""), kept
        )
    if "capacity" in rules:
        places = np.asarray(b.open_places, np.int64).reshape(m)
        values["capacity"] = Factor(
            (np.minimum(np.maximum(places, 0), 3) / 3).astype(np.float32)[None, :],
            np.zeros(n, np.int64),
            np.arange(m),
        )
    total = np.zeros((n, m))
    allowed = np.ones((n, m), bool)
    for name, rule in rules.items():
        factor = values[name]
        if rule.weight:
            # Weight the small table, then gather: one pass over the full matrix.
            total += (factor.table * np.float32(rule.weight))[np.ix_(factor.rows, factor.cols)]
        if rule.mode == "require":
            allowed &= (factor.table > 0)[np.ix_(factor.rows, factor.cols)]
    excluded = _exclusions(a, b)
    for mask in excluded.values():
        allowed &= ~mask
    return Scores(mentees, mentors, values, total, allowed, settings, excluded)


def _exclusions(mentees: People, mentors: People) -> dict[str, np.ndarray]:
    n, m = len(mentees), len(mentors)
    places = np.asarray(mentors.open_places, np.int64).reshape(m)
    full = np.broadcast_to(places[None, :] <= 0, (n, m))
    kept = mentors.kept
    index = _kept_for(
        kept, (mentors.ids,), "index", lambda: dict(zip(mentors.ids, range(m), strict=True))
    )
    previous = np.zeros((n, m), bool)
    conflict = np.zeros((n, m), bool)
    for i, (before, conflicts) in enumerate(
        zip(mentees.previous_mentors, mentees.conflicts, strict=True)
    ):
        for pid in before:
            if (j := index.get(pid)) is not None:
                previous[i, j] = True
        for pid in conflicts:
            if (j := index.get(pid)) is not None:
                conflict[i, j] = True
    # The mentors' declared conflicts, by the participant they name.
    against = _kept_for(kept, (mentors.conflicts,), "against", lambda: _against(mentors.conflicts))
    for k, pid in enumerate(mentees.ids):
        for j in against.get(pid, ()):
            conflict[k, j] = True
    household = np.zeros((n, m), bool)
    hk, hc = _kinds(mentees.household)
    ak, ac = _kinds(mentors.household, kept)
    homes = [_norm(h or "") for h in hk]
    aways = _kept_for(kept, (mentors.household,), "homes", lambda: [_norm(h or "") for h in ak])
    if any(homes) and any(aways):
        kinds = {h: k + 1 for k, h in enumerate(sorted({*homes, *aways} - {""}))}
        home = np.array([kinds.get(h, 0) for h in homes], np.int64)[hc]
        away = np.array([kinds.get(h, 0) for h in aways], np.int64)[ac]
        household = (home[:, None] == away[None, :]) & (home[:, None] != 0)
    return {"full": full, "previous": previous, "conflict": conflict, "household": household}


def _against(conflicts: Sequence[frozenset[int]]) -> dict[int, list[int]]:
    found: dict[int, list[int]] = {}
    for j, named in enumerate(conflicts):
        for pid in named:
            found.setdefault(pid, []).append(j)
    return found


# ------------------------------------------------------------------------------ the reasons


@dataclass(frozen=True)
class Explanation:
    """Why a mentor ranks where it does for a mentee."""

    mentee_id: int
    mentor_id: int
    score: float
    reasons: list[str]
    # Hard constraints this couple breaks, in plain words; empty when it may be matched.
    failures: list[str]

    @property
    def allowed(self) -> bool:
        return not self.failures


_EXCLUDED = {
    "previous": "Was this mentee's mentor before",
    "full": "Has no open place",
    "conflict": "A conflict is declared between them",
    "household": "Same family or household",
}
_EXCLUSION_ORDER = tuple(_EXCLUDED)


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def explain(scores: Scores, i: int, j: int) -> Explanation:
    """The score of mentee `i` with mentor `j` and its reasons, in plain words."""
    mentee, mentor = scores.mentees[i], scores.mentors[j]
    reasons: list[str] = []
    failures: list[str] = []
    for name, rule in scores.settings.items():
        if rule.mode == "off":
            continue
        value = scores.values[name].at(i, j)
        if value > 0:
            if text := _reason(name, mentee, mentor, value):
                reasons.append(text)
        elif rule.mode == "require":
            failures.append(_failure(name, mentee))
    failures += [_EXCLUDED[name] for name in _EXCLUSION_ORDER if scores.excluded[name][i, j]]
    return Explanation(mentee.id, mentor.id, round(float(scores.score[i, j]), 2), reasons, failures)


def _reason(name: str, mentee: Person, mentor: Person, value: float) -> str | None:
    if name == "shared_goals":
        mine = {_norm(g): g for g in mentor.goals}
        shared = sorted(g for g in {_norm(g): g for g in mentee.goals} if g in mine)
        return f"Shares {_plural(len(shared), 'goal')}: {', '.join(shared)}" if shared else None
    if name == "skills_for_goals":
        common = sorted(words(mentee.goals) & words(mentor.skills))
        return f"Skills for the mentee's goals: {', '.join(common)}" if common else None
    if name == "availability":
        a, b = when(mentee.availability), when(mentor.availability)
        both = _named(a[0] & b[0], a[1] & b[1])
        return f"Both free: {', '.join(both)}" if both else None
    if name == "language":
        spoken = _languages(mentee) & _languages(mentor)
        theirs = (tag.split("-")[0].lower() for tag in mentee.languages)
        first = next((t for t in theirs if t in spoken), None)
        return f"Speaks {language_name(first)}" if first else None
    if name == "location":
        if value >= 1:
            return f"Also in {mentor.location.strip()}"
        near = "A time zone near the mentee's"
        return f"{near} ({mentor.timezone})" if mentor.timezone else near
    if name == "gender_preference":
        if mentee.gender_preference:
            return f"A {mentor.gender} mentor, as the mentee asked"
        return None
    if name == "capacity":
        return f"Has {_plural(mentor.open_places, 'place')} left"
    return None


def _failure(name: str, mentee: Person) -> str:
    return {
        "shared_goals": "No goal in common",
        "skills_for_goals": "No skill for the mentee's goals",
        "availability": "No time in common",
        "language": "No language in common",
        "location": "Neither the same place nor a near time zone",
        "gender_preference": f"Not the gender the mentee asked for ({mentee.gender_preference})",
        "capacity": "Has no open place",
    }[name]


def in_common(mentee: Person, mentor: Person) -> list[str]:
    """What a mentor shares with a mentee, told to the mentee (a mentee choosing among
    mentors reads it): goals, the mentor's skills for the mentee's goals, languages and free
    times they have in common. Only what both said, so nothing else of the mentor's shows."""
    said: list[str] = []
    mine = {_norm(g) for g in mentee.goals}
    goals = sorted(g for g in {_norm(g) for g in mentor.goals} if g in mine)
    if goals:
        said.append(f"You both want to work on: {', '.join(goals)}")
    wanted = words(mentee.goals)
    # The mentor's skills as they wrote them (not the stems matching compares).
    skills = [s.strip() for s in mentor.skills if words([s]) & wanted]
    if skills:
        said.append(f"Knows about: {', '.join(skills)}")
    spoken = _languages(mentee) & _languages(mentor)
    if spoken:
        ordered = [t.split("-")[0].lower() for t in mentee.languages]
        names = dict.fromkeys(language_name(t) for t in ordered if t in spoken)
        said.append(f"Speaks {' and '.join(names)}")
    a, b = when(mentee.availability), when(mentor.availability)
    # Only when matching finds time in common: the same day at different hours is not.
    if _availability_value(a, b) > 0:
        said.append(f"Free when you are: {', '.join(_named(a[0] & b[0], a[1] & b[1]))}")
    return said


def why_unmatched(scores: Scores, i: int) -> str:
    """Why mentee `i` could not be placed with anyone."""
    if not len(scores.mentors):
        return "No mentor is available in this program."
    if scores.allowed[i].any():
        return "Every mentor who fits is taken: no open place is left among them."
    # What `explain` would say of each mentor, counted a whole row at a time.
    mentee = scores.mentees[i]
    broken: list[tuple[str, np.ndarray]] = [
        (_failure(name, mentee), scores.values[name].row(i) <= 0)
        for name, rule in scores.settings.items()
        if rule.mode == "require"
    ]
    broken += [(_EXCLUDED[name], mask[i]) for name, mask in scores.excluded.items()]
    counts: dict[str, int] = {}
    for failure, mask in broken:
        if count := int(np.count_nonzero(mask)):
            counts[failure] = counts.get(failure, 0) + count
    common = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:3]
    listed = "; ".join(f"{text} ({_plural(count, 'mentor')})" for text, count in common)
    return f"No mentor passes the required criteria: {listed}."


# ----------------------------------------------------------------------------- assignment


def assign(
    score: np.ndarray, allowed: np.ndarray, places: Sequence[int] | np.ndarray
) -> list[tuple[int, int]]:
    """The best assignment of rows (mentees) to columns (mentors), each column at most
    `places[j]` times: first as many allowed couples as possible, then the highest total
    score among those. Returns (row, column) couples, never a forbidden one."""
    # scipy.optimize takes a second to import: only the cohort's assignment needs it.
    from scipy.optimize import linear_sum_assignment

    n = score.shape[0]
    places = np.minimum(np.maximum(np.asarray(places, np.int64), 0), n)
    usable = (places > 0) & allowed.any(axis=0)
    columns = np.repeat(np.flatnonzero(usable), places[usable])
    rows = np.flatnonzero(allowed[:, usable].any(axis=1)) if usable.any() else np.zeros(0, int)
    if not len(columns) or not len(rows):
        return []
    sub_allowed = allowed[np.ix_(rows, columns)]
    sub_score = score[np.ix_(rows, columns)]
    # One more allowed couple must outweigh any difference in score: a forbidden couple
    # costs more than the best total of all.
    low, high = float(sub_score.min(initial=0.0)), float(sub_score.max(initial=0.0))
    forbidden = (high - min(low, 0.0) + 1.0) * (min(len(rows), len(columns)) + 1)
    cost = np.where(sub_allowed, -sub_score, forbidden)
    r, c = linear_sum_assignment(cost)
    keep = sub_allowed[r, c]
    return sorted(zip(rows[r[keep]].tolist(), columns[c[keep]].tolist(), strict=True))
