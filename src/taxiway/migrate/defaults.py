"""``default_args`` of a Livy DAG: the Livy keys every ``LivyOperator`` received from it.

``default_args={"args": [10]}`` reached every ``LivyOperator``; after the rewrite the
``EmrAddStepsOperator`` ignores the key, so the arguments would vanish without a word. The
keys are reported, and with a single ``default_args`` dict in the file the ones that map onto
the step are carried into each rewritten call that lacks them.
"""

from __future__ import annotations

import libcst as cst
from libcst.metadata import MetadataWrapper, PositionProvider

from taxiway.findings import Finding, Severity
from taxiway.migrate import spark_submit as ss

# Livy keywords a `default_args` dict can carry that EmrAddStepsOperator does not take.
LIVY_ONLY = (ss.MAPPED - ss.CARRIED) | set(ss.DROPPED)


class _DefaultArgs(cst.CSTVisitor):
    """The dicts passed as ``default_args=`` (inline or through a module-level name)."""

    METADATA_DEPENDENCIES = (PositionProvider,)

    def __init__(self) -> None:
        super().__init__()
        self.named: dict[str, cst.Dict] = {}
        self.used: list[cst.BaseExpression] = []

    def visit_Assign(self, node: cst.Assign) -> None:
        if isinstance(node.value, cst.Dict):
            for target in node.targets:
                if isinstance(target.target, cst.Name):
                    self.named[target.target.value] = node.value

    def visit_Arg(self, node: cst.Arg) -> None:
        if node.keyword is not None and node.keyword.value == "default_args":
            self.used.append(node.value)

    def dicts(self) -> list[cst.Dict]:
        out: list[cst.Dict] = []
        for value in self.used:
            found = self.named.get(value.value) if isinstance(value, cst.Name) else value
            if isinstance(found, cst.Dict) and all(found is not d for d in out):
                out.append(found)
        if not out and "default_args" in self.named:
            out.append(self.named["default_args"])
        return out


def livy_defaults(
    wrapper: MetadataWrapper,
) -> tuple[dict[str, cst.BaseExpression], list[tuple[str, int, bool]]]:
    """(Livy keys to carry into the steps, [(key, line, carried)] to report)."""
    visitor = _DefaultArgs()
    wrapper.visit(visitor)
    dicts = visitor.dicts()
    carry: dict[str, cst.BaseExpression] = {}
    report: list[tuple[str, int, bool]] = []
    for found in dicts:
        for element in found.elements:
            if not isinstance(element, cst.DictElement):
                continue
            key = ss.literal(element.key)
            if not isinstance(key, str) or key not in LIVY_ONLY:
                continue
            line = int(wrapper.resolve(PositionProvider)[element].start.line)
            # With one default_args dict in the file it is the one every call received.
            mapped = key in ss.MAPPED and len(dicts) == 1
            if mapped:
                carry[key] = element.value
            report.append((key, line, mapped))
    return carry, report


def default_args_findings(
    report: list[tuple[str, int, bool]], path: str, rewritten: int
) -> list[Finding]:
    out = []
    for key, line, carried in report:
        if carried:
            what = f"it was carried into the {rewritten} rewritten step(s)"
            hint = f"Remove `{key}` from `default_args`: EmrAddStepsOperator ignores it."
        else:
            what = "EmrAddStepsOperator has no equivalent and ignores it"
            hint = ss.DROPPED.get(key, f"Move `{key}` into each task that needs it.")
        out.append(
            Finding(
                "livy-default-args",
                Severity.WARNING,
                f"default_args: {key}",
                f"`default_args` key `{key}` reached every LivyOperator; {what}.",
                hint,
                path,
                line,
            )
        )
    return out
