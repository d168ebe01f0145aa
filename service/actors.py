"""Who or what caused a change: a staff user, a service's API token, or the system itself."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class ActorKind(StrEnum):
    USER = "user"
    TOKEN = "token"
    SYSTEM = "system"


@dataclass(frozen=True)
class ActorRef:
    """The part of an actor that is stored with every record it causes."""

    kind: str
    id: str | None
    label: str

    def __composite_values__(self) -> tuple[str, str | None, str]:
        return self.kind, self.id, self.label


@dataclass(frozen=True)
class Actor:
    """An actor at request time: its stored reference and what it may do."""

    kind: ActorKind
    id: str | None
    label: str
    scopes: frozenset[str] = field(default_factory=frozenset)
    is_admin: bool = False
    # Staff whose own action counts as the coordinator's approval.
    decides_directly: bool = False
    # A console user's staff role (admin, coordinator, support); None for tokens and the system.
    role: str | None = None

    @property
    def ref(self) -> ActorRef:
        return ActorRef(self.kind.value, self.id, self.label)

    def is_user(self, user_id: int | None) -> bool:
        """Whether this actor is the member of staff `user_id`, signed in to the console."""
        return self.kind == ActorKind.USER and user_id is not None and self.id == str(user_id)


def system(label: str = "system") -> Actor:
    return Actor(ActorKind.SYSTEM, None, label)
