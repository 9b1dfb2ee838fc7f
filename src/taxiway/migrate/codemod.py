"""The libcst codemod: ``LivyOperator(...)`` calls become ``EmrAddStepsOperator(...)`` calls.

Only the rewritten calls and the import lines change; every other byte of the file (comments,
blank lines, quotes, line endings) is kept, because libcst round-trips source exactly.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import libcst as cst

from taxiway.errors import UsageError
from taxiway.findings import Finding, Severity
from taxiway.migrate import spark_submit as ss

EMR_MODULE = "airflow.providers.amazon.aws.operators.emr"
EMR_OPERATOR = "EmrAddStepsOperator"
# A name lookup with no states also matches terminated clusters of the same name, and the
# operator fails when more than one cluster matches: look only at clusters that take steps.
CLUSTER_STATES = ("WAITING", "RUNNING")
DEFAULT_WAITER_DELAY = 30
# Every waiter attempt is one EMR DescribeStep call; EMR throttles that API per account, and
# a Livy `polling_interval=1` copied over would call it every second for a day.
MIN_WAITER_DELAY = 10
# Schemes a Spark step on EMR can read its application files from.
EMR_READABLE = ("s3://", "s3a://", "s3n://", "local:")

SENSOR_HINT = (
    "Remove it: the rewritten `EmrAddStepsOperator` waits for its step "
    "(`wait_for_completion=True`). If a separate wait is needed, use `EmrStepSensor` with "
    "`step_id=\"{{ task_instance.xcom_pull(task_ids='<task>')[0] }}\"`."
)
HOOK_HINT = (
    "`LivyHook` talks to the Livy REST API, which EMR steps do not use: move the submission into "
    "an `EmrAddStepsOperator`, or call `EmrHook(aws_conn_id=...).add_job_flow_steps(...)`."
)
UNSUPPORTED_HINT = (
    "Rewrite this use by hand as an `EmrAddStepsOperator` with a `spark-submit` step "
    "(see docs/migrate.md), then run `taxiway migrate livy` again to check."
)


@dataclass(frozen=True)
class EmrTarget:
    """Where the rewritten steps go and how the operator waits for them."""

    cluster_name: str | None = None
    cluster_id: str | None = None
    deferrable: bool = False
    max_wait_minutes: int = 24 * 60

    def __post_init__(self) -> None:
        if (self.cluster_name is None) == (self.cluster_id is None):
            raise UsageError(
                "Pass exactly one of `--cluster-name` and `--cluster-id` (the EMR cluster that "
                "receives the steps)."
            )


@dataclass(frozen=True)
class TaskChange:
    """One ``LivyOperator`` call that was rewritten."""

    file: str
    line: int
    task_id: str
    dropped: tuple[str, ...]


def task_label(node: cst.BaseExpression | None) -> str:
    """A task id for people: the string itself when literal, else the expression's source."""
    if node is None:
        return ""
    value = ss.literal(node)
    return value if isinstance(value, str) else ss.code(node)


@dataclass
class CallRewriter:
    """Turns the keyword arguments of one Livy call into the text of an EMR call."""

    path: str
    target: EmrTarget
    emr_name: str
    findings: list[Finding] = field(default_factory=list)
    # Livy keys of the DAG's `default_args` that map onto the step: used when a call lacks them.
    defaults: dict[str, cst.BaseExpression] = field(default_factory=dict)

    def rewrite(self, call: cst.Call, line: int, indent: str) -> tuple[str, TaskChange] | None:
        """The replacement source of ``call``, or None (with a finding) when it cannot be done."""
        kwargs: dict[str, cst.BaseExpression] = {}
        splats: list[cst.Arg] = []
        passthrough: list[cst.Arg] = []
        for arg in call.args:
            if arg.star == "**":
                splats.append(arg)
            elif arg.star or arg.keyword is None:
                self._unsupported(line, "a positional or `*args` argument")
                return None
            else:
                kwargs[arg.keyword.value] = arg.value
                if arg.keyword.value not in ss.MAPPED and arg.keyword.value not in ss.DROPPED:
                    passthrough.append(arg)
        for key, value in self.defaults.items():
            kwargs.setdefault(key, value)  # what LivyOperator received through default_args
        if "file" not in kwargs:
            self._unsupported(line, "no `file=` argument (is it inside `**kwargs`?)")
            return None
        submit = ss.spark_submit(kwargs)
        if isinstance(submit, str):
            self._unsupported(line, submit)
            return None

        task_id = ss.code(kwargs["task_id"]) if "task_id" in kwargs else None
        label = task_label(kwargs.get("task_id"))
        subject = f"task {label}" if label else f"LivyOperator at line {line}"
        dropped = tuple(k for k in kwargs if k in ss.DROPPED)
        for key in dropped:
            self._finding(
                "livy-arg-dropped",
                Severity.WARNING,
                f"{subject}: {key}",
                f"`{key}={ss.code(kwargs[key])}` has no EMR equivalent and was dropped.",
                ss.DROPPED[key],
                line,
            )
        self._paths(kwargs, subject, line)
        for splat in splats:
            self._finding(
                "livy-kwargs-passed",
                Severity.WARNING,
                f"{subject}: **{ss.code(splat.value)}",
                f"`**{ss.code(splat.value)}` is passed to EmrAddStepsOperator unchanged.",
                "Make sure it holds no Livy-only keys (`file`, `conf`, `livy_conn_id`, ...); "
                "EmrAddStepsOperator rejects unknown arguments.",
                line,
            )

        step_name = kwargs.get("name")
        if step_name is None or ss.is_none(step_name):
            step_name = kwargs.get("task_id", kwargs["file"])
        step = _Dict(
            [
                ('"Name"', ss.as_string_expr(step_name)),
                ('"ActionOnFailure"', '"CONTINUE"'),
                (
                    '"HadoopJarStep"',
                    _Dict(
                        [
                            ('"Jar"', '"command-runner.jar"'),
                            ('"Args"', _args_rows(submit, arg_comments(call))),
                        ]
                    ),
                ),
            ]
        )
        out: list[tuple[str, _Value]] = []
        if task_id is not None:
            out.append(("task_id", task_id))
        if self.target.cluster_id is not None:
            out.append(("job_flow_id", ss.str_literal(self.target.cluster_id)))
        else:
            out.append(("job_flow_name", ss.str_literal(self.target.cluster_name or "")))
            out.append(("cluster_states", "[" + ", ".join(f'"{s}"' for s in CLUSTER_STATES) + "]"))
        out.append(("steps", _Rows([[step]])))
        out.append(("wait_for_completion", "True"))
        out += self._waiting(kwargs, subject, line)
        for key in sorted(ss.CARRIED):
            if key in kwargs and not (key == "deferrable" and self.target.deferrable):
                out.append((key, ss.code(kwargs[key])))
        if self.target.deferrable:
            out.append(("deferrable", "True"))
        for arg in passthrough:
            if arg.keyword is not None and arg.keyword.value != "task_id":
                out.append((arg.keyword.value, ss.code(arg.value)))
        for splat in splats:
            out.append(("**", ss.code(splat.value)))
        notes = arg_comments(call)
        if "polling_interval" in notes:
            notes["waiter_delay"] = notes.pop("polling_interval")
        text = _render_call(self.emr_name, out, indent, notes)
        return text, TaskChange(self.path, line, label, dropped)

    def _waiting(
        self, kwargs: dict[str, cst.BaseExpression], subject: str, line: int
    ) -> list[tuple[str, _Value]]:
        # Livy polled until the batch ended; the EMR waiter gives up after delay * attempts
        # (30 s * 60 = 30 min by default), so size the attempts to the requested maximum wait.
        max_wait = self.target.max_wait_minutes * 60
        node = kwargs.get("polling_interval")
        value = ss.literal(node) if node is not None else 0
        if node is None or (isinstance(value, int | float) and value <= 0):
            if node is not None:
                self._finding(
                    "livy-now-waits",
                    Severity.INFO,
                    f"{subject}: polling_interval",
                    f"`polling_interval={ss.code(node)}` made Livy return without waiting; "
                    "EmrAddStepsOperator now waits for the step to finish.",
                    "Downstream tasks now start after the Spark job ends, which is usually "
                    "what was meant; set `wait_for_completion=False` to keep fire-and-forget.",
                    line,
                )
            return [("waiter_max_attempts", str(math.ceil(max_wait / DEFAULT_WAITER_DELAY)))]
        if isinstance(value, int | float) and not isinstance(value, bool):
            delay = value
            if value < MIN_WAITER_DELAY:
                delay = MIN_WAITER_DELAY
                self._finding(
                    "livy-polling-raised",
                    Severity.INFO,
                    f"{subject}: polling_interval",
                    f"`polling_interval={ss.code(node)}` became `waiter_delay={delay}`: each "
                    "wait is an EMR `DescribeStep` call, which EMR throttles.",
                    f"Keep the delay at {MIN_WAITER_DELAY} s or more.",
                    line,
                )
            attempts = str(math.ceil(max_wait / delay))
            return [("waiter_delay", str(delay)), ("waiter_max_attempts", attempts)]
        expr = f"max({MIN_WAITER_DELAY}, {ss.code(node)})"
        return [("waiter_delay", expr), ("waiter_max_attempts", f"{max_wait} // {expr}")]

    def _paths(self, kwargs: dict[str, cst.BaseExpression], subject: str, line: int) -> None:
        """Report literal application paths an EMR step cannot read (not S3)."""
        for key in ("file", *ss.LIST_FLAGS):
            node = kwargs.get(key)
            if node is None:
                continue
            items = (
                [e.value for e in node.elements]
                if isinstance(node, cst.List | cst.Tuple)
                else [node]
            )
            for item in items:
                value = ss.literal(item)
                if not isinstance(value, str) or "{{" in value:
                    continue  # an expression or a template: known only at run time
                if not value.startswith(EMR_READABLE):
                    self._finding(
                        "livy-path-not-s3",
                        Severity.WARNING,
                        f"{subject}: {key}",
                        f"`{key}` names `{value}`, which the EMR step cannot read: it was a "
                        "path on the Livy server's file system (or its cluster's HDFS).",
                        "Upload the file to S3 and use its `s3://` URI (or `local:` for a "
                        "path that exists on every EMR node).",
                        line,
                    )

    def _unsupported(self, line: int, why: str) -> None:
        self._finding(
            "livy-unsupported-call",
            Severity.ERROR,
            f"LivyOperator at line {line}",
            f"Not rewritten: {why}.",
            UNSUPPORTED_HINT,
            line,
        )

    def _finding(
        self, code: str, severity: Severity, subject: str, message: str, hint: str, line: int
    ) -> None:
        self.findings.append(Finding(code, severity, subject, message, hint, self.path, line))


@dataclass
class Note:
    """Comments written around one keyword argument of the original call."""

    leading: list[str] = field(default_factory=list)
    trailing: list[str] = field(default_factory=list)


def _ws_comments(
    ws: cst.BaseParenthesizableWhitespace | None, note: Note, after: list[str]
) -> None:
    # A comment on the same line belongs to this argument; comment lines below it belong to
    # the next argument.
    if isinstance(ws, cst.ParenthesizedWhitespace):
        if ws.first_line.comment is not None:
            note.trailing.append(ws.first_line.comment.value)
        after += [e.comment.value for e in ws.empty_lines if e.comment is not None]


def arg_comments(call: cst.Call) -> dict[str, Note]:
    """Comments inside ``call`` (outside argument values) keyed by keyword (``)`` for the end)."""
    notes: dict[str, Note] = {}
    pending: list[str] = []
    opening = Note()
    _ws_comments(call.whitespace_before_args, opening, pending)
    pending = opening.trailing + pending
    for arg in call.args:
        note = Note(leading=pending)
        pending = []
        _ws_comments(arg.whitespace_after_arg, note, pending)
        if isinstance(arg.comma, cst.Comma):
            _ws_comments(arg.comma.whitespace_before, note, pending)
            _ws_comments(arg.comma.whitespace_after, note, pending)
        key = arg.keyword.value if arg.keyword is not None else "**" + ss.code(arg.value)
        notes[key] = note
    if pending:
        notes[")"] = Note(leading=pending)
    return notes


def _args_rows(submit: ss.SparkSubmit, notes: dict[str, Note]) -> _Rows:
    rows = _Rows([list(row) for row in submit.rows], [None] * len(submit.rows))
    seen: set[str] = set()
    for i, owner in enumerate(submit.owners):
        if owner is not None and owner not in seen and owner in notes:
            rows.notes[i] = notes[owner]
        if owner is not None:
            seen.add(owner)
    return rows


@dataclass
class _Dict:
    items: list[tuple[str, _Value]]


@dataclass
class _Rows:
    """A list literal written one row per line; a row holds one or more items."""

    rows: list[list[_Value]]
    notes: list[Note | None] = field(default_factory=list)


_Value = str | _Dict | _Rows


def _noted(inner: str, text: str, note: Note | None) -> str:
    if note is None:
        return f"{inner}{text},\n"
    lead = "".join(f"{inner}{c}\n" for c in note.leading)
    tail = "".join(f"  {c}" for c in note.trailing)
    return f"{lead}{inner}{text},{tail}\n"


def _render(value: _Value, indent: str) -> str:
    inner = indent + "    "
    if isinstance(value, str):
        return value
    if isinstance(value, _Dict):
        body = "".join(f"{inner}{k}: {_render(v, inner)},\n" for k, v in value.items)
        return "{\n" + body + indent + "}"
    notes = value.notes or [None] * len(value.rows)
    body = "".join(
        _noted(inner, ", ".join(_render(item, inner) for item in row), note)
        for row, note in zip(value.rows, notes, strict=True)
    )
    return "[\n" + body + indent + "]"


def _render_call(
    name: str, kwargs: list[tuple[str, _Value]], indent: str, notes: dict[str, Note]
) -> str:
    inner = indent + "    "
    lines = [
        _noted(
            inner,
            f"**{_render(v, inner)}" if k == "**" else f"{k}={_render(v, inner)}",
            notes.get(f"**{v}" if k == "**" else k),
        )
        for k, v in kwargs
    ]
    end = notes.get(")")
    closing = "".join(f"{inner}{c}\n" for c in end.leading) if end else ""
    return f"{name}(\n" + "".join(lines) + closing + indent + ")"
