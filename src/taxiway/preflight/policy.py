"""Local evaluation of IAM policy documents: the fallback when IAM's simulator is unavailable.

The order of work follows IAM's own evaluation logic for one principal in one account:
an explicit ``Deny`` that matches wins; otherwise a matching ``Allow`` allows; otherwise the
request is implicitly denied. ``Action``/``NotAction`` and ``Resource``/``NotResource`` are
matched with IAM's wildcards (``*`` any run of characters, ``?`` one character; actions
case-insensitively, resources case-sensitively).

Conditions are evaluated only where the request's ``context`` gives the key and the
operator is a string or ARN comparison (the request's tags, ``iam:PassedToService``): a
condition that fails there drops its statement. Any other condition is *not* evaluated: the
statement still counts, and the decision carries the condition keys so the report can say
which answers depend on a condition it could not evaluate. A conditional ``Deny`` is
reported the same way but does not deny, because the condition usually narrows it (the
TLS-only bucket policy is the common case).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

Policy = dict[str, Any]


@dataclass(frozen=True)
class Decision:
    """The answer for one ``(action, resource)``."""

    decision: str  # allowed | implicitDeny | explicitDeny
    conditions: tuple[str, ...] = ()  # condition keys the answer depends on, unevaluated

    @property
    def allowed(self) -> bool:
        return self.decision == "allowed"


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple) else [value]


@lru_cache(maxsize=4096)
def _pattern(glob: str, ignore_case: bool) -> re.Pattern[str]:
    body = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in glob)
    return re.compile(f"^{body}$", re.IGNORECASE | re.DOTALL if ignore_case else re.DOTALL)


def matches(glob: str, value: str, *, ignore_case: bool = False) -> bool:
    """IAM wildcard match of ``value`` against ``glob``."""
    return _pattern(glob, ignore_case).match(value) is not None


def statements(policy: Policy | None) -> list[dict[str, Any]]:
    """The statements of a policy document (a single statement object counts as one)."""
    if not policy:
        return []
    return [s for s in _as_list(policy.get("Statement")) if isinstance(s, dict)]


def _matches_any(globs: Iterable[str], value: str, ignore_case: bool) -> bool:
    return any(matches(str(g), value, ignore_case=ignore_case) for g in globs)


def statement_applies(stmt: dict[str, Any], action: str, resource: str) -> bool:
    """Whether ``stmt``'s action and resource elements cover the request (principal aside)."""
    if "NotAction" in stmt:
        if _matches_any(_as_list(stmt["NotAction"]), action, True):
            return False
    elif not _matches_any(_as_list(stmt.get("Action")), action, True):
        return False
    if "NotResource" in stmt:
        return not _matches_any(_as_list(stmt["NotResource"]), resource, False)
    # Trust and key policies may omit Resource: it is then the role or key itself.
    if "Resource" not in stmt:
        return True
    return _matches_any(_as_list(stmt["Resource"]), resource, False)


#: condition operators evaluated against a given context: whether values are wildcards
_EVALUATED = {"StringEquals": False, "StringLike": True, "ArnEquals": False, "ArnLike": True}


def conditions_against(
    stmt: dict[str, Any], context: Mapping[str, str]
) -> tuple[bool, tuple[str, ...]]:
    """(whether the conditions ``context`` can answer hold, the keys it cannot answer)."""
    cond = stmt.get("Condition") or {}
    left: list[str] = []
    for operator, block in cond.items():
        if not isinstance(block, dict):
            continue
        for key, wanted in block.items():
            got = context.get(key) if operator in _EVALUATED else None
            if got is None:
                left.append(f"{operator}:{key}")
                continue
            glob = _EVALUATED[operator]
            if not any(matches(str(w), got) if glob else str(w) == got for w in _as_list(wanted)):
                return False, ()
    return True, tuple(left)


def principal_matches(stmt: dict[str, Any], kind: str, name: str) -> bool:
    """Whether a resource-policy statement names principal ``name`` of ``kind`` (Service, AWS)."""
    principal = stmt.get("Principal")
    if principal == "*":
        return True
    if not isinstance(principal, dict):
        return False
    return any(p == "*" or p == name for p in _as_list(principal.get(kind)))


def evaluate(
    policies: Sequence[Policy],
    action: str,
    resource: str,
    principal: tuple[str, str] | None = None,
    context: Mapping[str, str] | None = None,
) -> Decision:
    """Evaluate ``action`` on ``resource`` against identity (or, with ``principal``, resource)
    policies; ``context``: the request's condition keys that are known (tags, passed service)."""
    allow_conditions: list[tuple[str, ...]] = []
    deny_conditions: list[str] = []
    for policy in policies:
        for stmt in statements(policy):
            if principal is not None and not principal_matches(stmt, *principal):
                continue
            if not statement_applies(stmt, action, resource):
                continue
            holds, keys = conditions_against(stmt, context or {})
            if not holds:
                continue
            if stmt.get("Effect") == "Deny":
                if not keys:
                    return Decision("explicitDeny")
                deny_conditions.extend(keys)
            elif stmt.get("Effect") == "Allow":
                allow_conditions.append(keys)
    if not allow_conditions:
        return Decision("implicitDeny", tuple(deny_conditions))
    # An unconditional Allow is the strongest answer; otherwise the narrowest conditional one.
    best = min(allow_conditions, key=len)
    return Decision("allowed", tuple(dict.fromkeys((*best, *deny_conditions))))
