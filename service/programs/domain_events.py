"""What the programs domain announces (see `service.bus`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from service.programs.models import Program


@dataclass(frozen=True)
class ProgramChanged:
    """A program's settings changed; `changed` names them."""

    program: Program
    changed: frozenset[str]
