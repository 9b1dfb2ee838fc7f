"""One source file through the codemod: find Livy uses, rewrite the calls, fix the imports.

``migrate_source`` is pure (text in, text and findings out); reading and writing files is
:mod:`taxiway.migrate.runner`'s job.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field

import libcst as cst
from libcst.codemod import CodemodContext
from libcst.codemod.visitors import AddImportsVisitor
from libcst.helpers import get_full_name_for_node
from libcst.metadata import (
    ImportAssignment,
    MetadataWrapper,
    PositionProvider,
    QualifiedName,
    QualifiedNameProvider,
    ScopeProvider,
)

from taxiway.findings import Finding, Severity
from taxiway.migrate.codemod import (
    EMR_MODULE,
    EMR_OPERATOR,
    HOOK_HINT,
    SENSOR_HINT,
    UNSUPPORTED_HINT,
    CallRewriter,
    EmrTarget,
    TaskChange,
)
from taxiway.migrate.defaults import default_args_findings, livy_defaults

_KINDS = {
    "LivyOperator": "operator",
    "LivySensor": "sensor",
    "LivyHook": "hook",
    "LivyAsyncHook": "hook",
    "LivyTrigger": "trigger",
}


@dataclass
class SourceMigration:
    """The result of migrating one file's text."""

    path: str
    before: str
    after: str
    tasks: list[TaskChange] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return self.before != self.after


def livy_kind(names: Collection[QualifiedName]) -> str | None:
    """``operator``/``sensor``/``hook``/``trigger`` when a name resolves to a Livy class."""
    for qualified in names:
        module, _, last = qualified.name.rpartition(".")
        if last in _KINDS and "livy" in module.lower():
            return _KINDS[last]
    return None


class LivyTransformer(cst.CSTTransformer):
    """Rewrites ``LivyOperator(...)`` calls; reports every other Livy use."""

    METADATA_DEPENDENCIES = (PositionProvider, QualifiedNameProvider)

    def __init__(self, rewriter: CallRewriter, lines: list[str], default_indent: str) -> None:
        super().__init__()
        self.rewriter = rewriter
        self.lines = lines
        self.tasks: list[TaskChange] = []
        self._calls: set[int] = set()
        self._default_indent = default_indent
        self._blocks: list[str] = []
        self._annotation = 0
        self._type_checks: set[int] = set()  # class arguments of isinstance/issubclass
        self.retyped = 0  # annotations and isinstance checks now naming the EMR class

    def visit_Annotation(self, node: cst.Annotation) -> bool:
        self._annotation += 1
        return True

    def leave_Annotation(
        self, original_node: cst.Annotation, updated_node: cst.Annotation
    ) -> cst.Annotation:
        self._annotation -= 1
        return updated_node

    def _retype(self, node: cst.Name | cst.Attribute) -> bool:
        """Whether ``node`` names the operator class as a type (annotation, isinstance)."""
        typed = self._annotation > 0 or id(node) in self._type_checks
        return typed and self._kind(node) == "operator"

    def leave_Name(self, original_node: cst.Name, updated_node: cst.Name) -> cst.BaseExpression:
        if self._retype(original_node):
            self.retyped += 1
            return cst.Name(self.rewriter.emr_name)
        return updated_node

    def leave_Attribute(
        self, original_node: cst.Attribute, updated_node: cst.Attribute
    ) -> cst.BaseExpression:
        if self._retype(original_node):
            self.retyped += 1
            return cst.Name(self.rewriter.emr_name)
        return updated_node

    def visit_IndentedBlock(self, node: cst.IndentedBlock) -> bool:
        self._blocks.append(self._default_indent if node.indent is None else node.indent)
        return True

    def leave_IndentedBlock(
        self, original_node: cst.IndentedBlock, updated_node: cst.IndentedBlock
    ) -> cst.BaseSuite:
        self._blocks.pop()
        return updated_node

    def _kind(self, node: cst.CSTNode) -> str | None:
        return livy_kind(self.get_metadata(QualifiedNameProvider, node, set()))

    def _line(self, node: cst.CSTNode) -> int:
        return int(self.get_metadata(PositionProvider, node).start.line)

    def visit_Import(self, node: cst.Import) -> bool:
        return False

    def visit_ImportFrom(self, node: cst.ImportFrom) -> bool:
        return False

    def visit_Call(self, node: cst.Call) -> bool:
        if self._kind(node.func) == "operator":
            self._calls.add(id(node.func))
        name = get_full_name_for_node(node.func)
        if name in ("isinstance", "issubclass") and len(node.args) == 2:
            classes = node.args[1].value
            elements = classes.elements if isinstance(classes, cst.Tuple) else [classes]
            for element in elements:
                value = element.value if isinstance(element, cst.BaseElement) else element
                self._type_checks.add(id(value))
        return True

    def leave_Call(self, original_node: cst.Call, updated_node: cst.Call) -> cst.BaseExpression:
        if id(original_node.func) not in self._calls:
            return updated_node
        line = self._line(original_node)
        text = self.lines[line - 1]
        indent = text[: len(text) - len(text.lstrip())]
        # libcst prefixes continuation lines with the enclosing block's indentation itself,
        # so the generated text carries only the indentation relative to that block.
        block = "".join(self._blocks)
        indent = indent[len(block) :] if indent.startswith(block) else ""
        result = self.rewriter.rewrite(original_node, line, indent)
        if result is None:
            return updated_node
        source, change = result
        self.tasks.append(change)
        new = cst.parse_expression(source)
        return new.with_changes(lpar=updated_node.lpar, rpar=updated_node.rpar)

    def visit_Name(self, node: cst.Name) -> None:
        self._report(node)

    def visit_Attribute(self, node: cst.Attribute) -> None:
        self._report(node)

    def _report(self, node: cst.Name | cst.Attribute) -> None:
        if id(node) in self._calls or self._retype(node):
            return
        kind = self._kind(node)
        if kind is None:
            return
        line = self._line(node)
        name = get_full_name_for_node(node) or "Livy"
        add = self.rewriter.findings.append
        path = self.rewriter.path
        if kind == "sensor":
            add(
                Finding(
                    "livy-sensor",
                    Severity.ERROR,
                    f"{name} at line {line}",
                    f"`{name}` waits for a Livy batch, which no longer exists after the rewrite.",
                    SENSOR_HINT,
                    path,
                    line,
                )
            )
        elif kind == "hook":
            add(
                Finding(
                    "livy-hook",
                    Severity.ERROR,
                    f"{name} at line {line}",
                    f"`{name}` calls the Livy REST API directly; it was not rewritten.",
                    HOOK_HINT,
                    path,
                    line,
                )
            )
        else:
            add(
                Finding(
                    "livy-unsupported-call",
                    Severity.ERROR,
                    f"{name} at line {line}",
                    f"Not rewritten: `{name}` is used other than as a plain call "
                    "(subclass, `.partial()`/`.expand()`, a reference).",
                    UNSUPPORTED_HINT,
                    path,
                    line,
                )
            )


def _binding(alias: cst.ImportAlias) -> str:
    if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
        return alias.asname.name.value
    return alias.evaluated_name


def _is_livy_import(node: cst.CSTNode) -> bool:
    if isinstance(node, cst.ImportFrom):
        module = get_full_name_for_node(node.module) if node.module else None
        return bool(module) and "livy" in str(module).lower()
    if isinstance(node, cst.Import):
        return any("livy" in a.evaluated_name.lower() for a in node.names)
    return False


def _livy_bindings(module: cst.Module) -> dict[str, tuple[int, int]]:
    """Global Livy import bindings: name -> (id of the import node, number of references)."""
    wrapper = MetadataWrapper(module, unsafe_skip_copy=True)
    scope = wrapper.resolve(ScopeProvider).get(module)
    if scope is None:
        return {}
    return {
        a.name: (id(a.node), len(a.references))
        for a in scope.assignments
        if isinstance(a, ImportAssignment) and _is_livy_import(a.node)
    }


def _emr_binding(module: cst.Module) -> str | None:
    """The name ``EmrAddStepsOperator`` is already imported under at module level, if any."""
    for stmt in module.body:
        if not isinstance(stmt, cst.SimpleStatementLine):
            continue
        for small in stmt.body:
            if (
                isinstance(small, cst.ImportFrom)
                and small.module is not None
                and get_full_name_for_node(small.module) == EMR_MODULE
                and not isinstance(small.names, cst.ImportStar)
            ):
                for alias in small.names:
                    if alias.evaluated_name == EMR_OPERATOR:
                        return _binding(alias)
    return None


class _ImportFixer(cst.CSTTransformer):
    """Drops the Livy import bindings the rewrite left unused; places the EMR import."""

    def __init__(self, unused: set[tuple[int, str]], new_import: cst.SimpleStatementLine | None):
        super().__init__()
        self.unused = unused
        self.new_import = new_import
        self._depth = 0

    def visit_IndentedBlock(self, node: cst.IndentedBlock) -> bool:
        self._depth += 1
        return True

    def leave_IndentedBlock(
        self, original_node: cst.IndentedBlock, updated_node: cst.IndentedBlock
    ) -> cst.BaseSuite:
        self._depth -= 1
        return updated_node

    def leave_SimpleStatementLine(
        self, original_node: cst.SimpleStatementLine, updated_node: cst.SimpleStatementLine
    ) -> cst.BaseStatement | cst.FlattenSentinel[cst.BaseStatement] | cst.RemovalSentinel:
        if len(original_node.body) != 1:
            return updated_node
        node = original_node.body[0]
        if not isinstance(node, cst.Import | cst.ImportFrom) or isinstance(
            node.names, cst.ImportStar
        ):
            return updated_node
        keep = [a for a in node.names if (id(node), _binding(a)) not in self.unused]
        if len(keep) == len(node.names):
            return updated_node
        top = self._depth == 0
        if keep:
            # `from m import a, b` -> `from m import a`; inside parentheses the old last
            # name's comma carries the line break before `)`.
            parenthesized = isinstance(node, cst.ImportFrom) and node.lpar is not None
            last = node.names[-1].comma if parenthesized else cst.MaybeSentinel.DEFAULT
            keep[-1] = keep[-1].with_changes(comma=last)
            kept = updated_node.with_changes(body=[node.with_changes(names=keep)])
            if top and self.new_import is not None:
                new, self.new_import = self.new_import, None
                return cst.FlattenSentinel([kept, new])
            return kept
        if not top:
            # An import alone in a nested block cannot simply vanish; leave it for the user.
            return updated_node
        if self.new_import is not None:
            new, self.new_import = self.new_import, None
            return new.with_changes(leading_lines=updated_node.leading_lines)
        return cst.RemoveFromParent()


def migrate_source(source: str, path: str, target: EmrTarget) -> SourceMigration:
    """Rewrite every ``LivyOperator`` call in ``source``; report every other Livy use."""
    result = SourceMigration(path, source, source)
    if "Livy" not in source:
        return result
    try:
        module = cst.parse_module(source)
    except cst.ParserSyntaxError as exc:
        result.findings.append(
            Finding(
                "parse-error",
                Severity.ERROR,
                path,
                f"`{path}` is not valid Python: {exc.message}.",
                "Fix the syntax error (run `python -m py_compile` on it) and run again.",
                path,
                exc.raw_line,
            )
        )
        return result
    wrapper = MetadataWrapper(module)
    existing = _emr_binding(wrapper.module)
    rewriter = CallRewriter(path, target, existing or EMR_OPERATOR)
    rewriter.defaults, defaults_report = livy_defaults(wrapper)
    transformer = LivyTransformer(rewriter, source.split("\n"), module.default_indent)
    before = _livy_bindings(wrapper.module)
    new = wrapper.visit(transformer)
    result.tasks = transformer.tasks
    result.findings = rewriter.findings
    if transformer.tasks or transformer.retyped:
        result.findings += default_args_findings(defaults_report, path, len(transformer.tasks))
        new = _fix_imports(new, before, need_import=existing is None)
        result.after = new.code
    return result


def _fix_imports(
    new: cst.Module, before: dict[str, tuple[int, int]], need_import: bool
) -> cst.Module:
    # Only bindings the rewrite made unused go: an import that was unused before stays.
    unused = {
        (node_id, name)
        for name, (node_id, refs) in _livy_bindings(new).items()
        if refs == 0 and before.get(name, (0, 0))[1] > 0
    }
    statement = cst.parse_statement(f"from {EMR_MODULE} import {EMR_OPERATOR}\n")
    assert isinstance(statement, cst.SimpleStatementLine)
    fixer = _ImportFixer(unused, statement if need_import else None)
    new = new.visit(fixer)
    if fixer.new_import is not None:
        context = CodemodContext()
        AddImportsVisitor.add_needed_import(context, EMR_MODULE, EMR_OPERATOR)
        new = AddImportsVisitor(context).transform_module(new)
    return new
