"""What the project's state machines (a pair's lifecycle, a participant's intake) do alike:
decide where a trigger takes a state or say why it cannot, list the triggers a state
declares, and draw the diagram. Each machine declares its states, triggers, transitions
and refusals in its own module; this is only the engine that runs a declaration."""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Generic, TypeVar, cast

from transitions import Machine

S = TypeVar("S", bound=StrEnum)
T = TypeVar("T", bound=StrEnum)
Guard = Callable[[Any], bool]


class _Model:
    """What a machine moves: a state and nothing else."""

    # Bound by the machine that takes the model (declared for the type checker only: a
    # real attribute of that name would stop the machine from binding its own).
    trigger: Callable[..., bool]
    get_graph: Callable[..., Any]

    def __init__(self, state: StrEnum) -> None:
        self.state = state


def _holds(condition: Any, facts: object) -> bool:
    """A declared condition checked as the machine checks it: its guard's answer compared
    with what it asks for (`unless` asks for False). The declarations name their conditions
    as Guard functions, never by method name."""
    return bool(cast(Guard, condition.func)(facts) == condition.target)


@dataclass(frozen=True)
class Refusals:
    """How a machine words its refusals: each built from (state, trigger), and the guards
    that failed for the last."""

    unknown_trigger: Callable[[Any, str], Exception]
    not_allowed: Callable[[Any, str], Exception]
    guard_failed: Callable[[Any, str, list[Guard]], Exception]


@dataclass
class StateMachine(Generic[S, T]):
    states: type[S]
    triggers: type[T]
    transitions: Sequence[dict[str, Any]]
    terminal: Collection[S]
    title: str
    # What allowed_triggers found, per state: the declarations never change.
    _allowed: dict[S, tuple[T, ...]] = field(default_factory=dict, repr=False)
    # One machine without a model answers what the declarations say; building one for
    # every decision cost about a tenth of a millisecond, on every transition.
    _declared: Machine | None = field(default=None, repr=False)

    def _machine(self, model: object | None, initial: S) -> Machine:
        return Machine(
            model=model,
            states=self.states,
            transitions=list(self.transitions),
            initial=initial,
            auto_transitions=False,
        )

    def _declarations(self) -> Machine:
        if self._declared is None:
            self._declared = self._machine(None, initial=next(iter(self.states)))
        return self._declared

    def decide(self, state: S | str, trigger: str, facts: object, refusals: Refusals) -> S:
        """Where `trigger` takes `state`, or the refusal that says why it cannot: the first
        transition declared for them whose guards all pass, as the machine would take it."""
        state = self.states(state)
        try:
            trigger = self.triggers(trigger)
        except ValueError:
            raise refusals.unknown_trigger(state, trigger) from None
        declared = self._declarations().get_transitions(trigger, source=state)
        if not declared:
            raise refusals.not_allowed(state, trigger)
        for transition in declared:
            if all(_holds(condition, facts) for condition in transition.conditions):
                # The machine names enum states by their member names.
                return state if transition.dest is None else self.states[transition.dest]
        raise refusals.guard_failed(state, trigger, self.failed_guards(state, trigger, facts))

    def failed_guards(self, state: S, trigger: T, facts: object) -> list[Guard]:
        declared = self._declarations().get_transitions(trigger, source=state)
        return [cast(Guard, c.func) for t in declared for c in t.conditions if not _holds(c, facts)]

    def allowed_triggers(self, state: S | str) -> list[T]:
        """Triggers declared from `state`, whatever their guards say; worked out once per
        state (building a machine to answer costs about 0.1 ms, and every page asks)."""
        state = self.states(state)
        if state not in self._allowed:
            found = self._declarations().get_triggers(state)
            self._allowed[state] = tuple(t for t in self.triggers if t in found)
        return list(self._allowed[state])

    def mermaid_diagram(self) -> str:
        """The machine as a Mermaid state diagram, drawn from its declarations."""
        # The diagram extension is only needed by `pairwise diagram` and its test.
        from transitions.extensions import GraphMachine

        initial = next(iter(self.states))
        model = _Model(initial)
        GraphMachine(
            model=model,
            states=self.states,
            transitions=list(self.transitions),
            initial=initial,
            auto_transitions=False,
            graph_engine="mermaid",
            show_conditions=True,
            title=self.title,
        )
        source = model.get_graph().draw(None)
        # The engine marks the model's current state; an overview has none.
        lines = []
        for line in source.splitlines():
            if line.strip().startswith(("classDef ", "Class ")) or not line.strip():
                continue
            label = re.fullmatch(r'  state "(\w+)" as (\w+)', line)
            if label:
                line = f'  state "{self.states[label[1]].value}" as {label[2]}'
            lines.append(line)
        lines += [f"  {state.name} --> [*]" for state in self.states if state in self.terminal]
        return "\n".join(lines) + "\n"
