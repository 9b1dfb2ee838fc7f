"""What the conversion says about a statement: notes (data) and the statement's outcome."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Outcome(StrEnum):
    """converted: same meaning on Athena; review: converted, a person should check one named
    construct; refused: not converted, the construct and its line are named."""

    CONVERTED = "converted"
    REVIEW = "review"
    REFUSED = "refused"

    @property
    def rank(self) -> int:
        return {"converted": 0, "review": 1, "refused": 2}[self.value]


@dataclass(frozen=True)
class Note:
    """One construct the conversion acted on. ``outcome`` is what it does to the statement:
    ``refused`` blocks it, ``review`` asks for a look, ``converted`` is for the record (a hint
    dropped, a ``COMMIT`` removed): nothing changes without a note."""

    outcome: Outcome
    construct: str
    line: int
    message: str


@dataclass
class StatementResult:
    """One Oracle statement and its Athena text (None when refused; "" when it needs none)."""

    oracle: str
    line: int
    athena: str | None = None
    notes: list[Note] = field(default_factory=list)

    @property
    def outcome(self) -> Outcome:
        worst = max((n.outcome for n in self.notes), key=lambda o: o.rank, default=None)
        if self.athena is None:
            return Outcome.REFUSED
        return worst if worst is not None else Outcome.CONVERTED

    def to_dict(self) -> dict[str, object]:
        return {
            "line": self.line,
            "outcome": self.outcome.value,
            "oracle": self.oracle,
            "athena": self.athena,
            "notes": [
                {"outcome": n.outcome.value, "construct": n.construct, "line": n.line,
                 "message": n.message}
                for n in self.notes
            ],
        }  # fmt: skip
