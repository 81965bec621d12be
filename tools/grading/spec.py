"""The grading specification of a lesson, read from the hidden tests of its solution.

A check cell of a solution notebook (nbgrader ``grade: true``) holds its hidden tests between
``### BEGIN HIDDEN TESTS`` and ``### END HIDDEN TESTS``. Those lines decide the grade; the
visible check after them is feedback for the student and is not used. They are ordinary
Python that runs in the solution notebook (the instructor's trusted run under nbval), in a
restricted form the grader can split in two:

* **check calls**: ``check_close``, ``check_allclose``, ``check_equal``, ``check_between``,
  ``check_mcmc``, ``check_choice``, ``check_raises`` and ``check_same_model`` from
  ``course_utils.checks``,
  with a string literal as the name. Their **second argument** is evaluated in the
  student's notebook, in the sandbox (for ``check_raises``: the function and its
  arguments). **Every other argument** (expected value, tolerances, reference model, hint)
  is evaluated in a trusted run of the solution notebook and never enters the student's
  kernel. ``check_between(..., through=lambda x: ...)`` applies the lambda to the student's
  number in the trusted run (e.g. to run a sampler with a student's proposal scale).
  ``mistakes={message: wrong value}`` is a trusted argument too: the wrong values are
  computed there, and the grader's verdict names the mistake a wrong answer matches.
* **setup statements** (assignments, imports, loops): each goes to the side(s) whose
  expressions use the names it defines, directly or through other setup statements. Build
  test inputs here (``_frame = pd.DataFrame(...)``), but do not call the student's
  functions in setup: a failing call should fail its own check, not the setup. Build each
  random input in one statement (``np.random.default_rng(5).normal(size=9)``): a change
  made through a method call on a setup object is not followed.

Anything else (a bare ``assert``, ``print``) is an error: the grader would not see it.
"""

from __future__ import annotations

import ast
import inspect
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path

import nbformat

BEGIN, END = "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"
CHECKS = (
    "check_allclose",
    "check_between",
    "check_choice",
    "check_close",
    "check_equal",
    "check_mcmc",
    "check_raises",
    "check_same_model",
)
#: Checks whose student value must be a number (the sandbox may convert it with float()).
NUMERIC = {"check_close", "check_mcmc", "check_between"}
_REGION = re.compile(re.escape(BEGIN) + r"\n(.*?)" + re.escape(END), re.DOTALL)


class SpecError(ValueError):
    """A check cell's hidden tests are not in the form the grader reads."""


@dataclass
class Probe:
    """One check call: evaluated on the student's side and compared with trusted values.

    ``actual`` is the student-side expression; ``trusted`` maps the check function's other
    parameters to expressions for the trusted run; ``exception`` (check_raises) is an
    exception class name, ``through`` (check_between) a lambda's source."""

    check: str
    label: str
    actual: str
    trusted: dict[str, str] = field(default_factory=dict)
    exception: str = ""
    through: str = ""


@dataclass
class Exercise:
    grade_id: str
    points: float
    answer_id: str
    student_setup: str
    trusted_setup: str
    probes: list[Probe]


@dataclass
class LessonSpec:
    lesson: str
    notebook: str
    exercises: list[Exercise]

    def as_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> LessonSpec:
        exercises = [
            Exercise(**{**e, "probes": [Probe(**p) for p in e["probes"]]})
            for e in data["exercises"]
        ]
        return cls(data["lesson"], data["notebook"], exercises)

    def exercise_ids(self) -> list[str]:
        return [e.grade_id for e in self.exercises]


def _signatures() -> dict[str, inspect.Signature]:
    from course_utils import checks

    return {name: inspect.signature(getattr(checks, name)) for name in CHECKS}


def _names_used(node: ast.AST) -> set[str]:
    return {
        n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)
    }


def _names_defined(statement: ast.stmt) -> set[str]:
    """Names a setup statement binds or changes (``x[0] = 1`` and ``x.a = 1`` change x)."""
    defined = set()
    for node in ast.walk(statement):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store | ast.Del):
            defined.add(node.id)
        elif isinstance(node, ast.Subscript | ast.Attribute) and isinstance(node.ctx, ast.Store):
            base = node.value
            while isinstance(base, ast.Subscript | ast.Attribute):
                base = base.value
            if isinstance(base, ast.Name):
                defined.add(base.id)
        elif isinstance(node, ast.alias):
            defined.add((node.asname or node.name).split(".")[0])
        elif isinstance(node, ast.FunctionDef | ast.ClassDef | ast.AsyncFunctionDef):
            defined.add(node.name)
    return defined


def _hides_a_test(statement: ast.stmt) -> bool:
    """A setup statement with an assert or a check inside (in a loop, say): the grader would
    not see that test, so it is refused."""
    for node in ast.walk(statement):
        if isinstance(node, ast.Assert):
            return True
        if isinstance(node, ast.Call):
            func = node.func
            name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
            if name in CHECKS or name.startswith("assert_"):
                return True
    return False


def _slice(statements: list[ast.stmt], needed: set[str]) -> str:
    """The setup statements (in order) that the names in ``needed`` depend on.

    A statement is taken when it binds or changes (``x[0] = ...``) a needed name; the names
    it uses are then needed too. Changes through method calls are not seen (``_rng.normal()``
    changes ``_rng``): were they, ``_ref = _sim.groupby(...)`` would follow ``_sim`` into the
    student's sandbox with an expected value. So build each random input in one statement;
    the solution's self-check in the reference run catches a setup split wrongly."""
    chosen = []
    needed = set(needed)
    for statement in reversed(statements):
        if _names_defined(statement) & needed:
            chosen.append(statement)
            needed |= _names_used(statement)
    return "\n".join(ast.unparse(s) for s in reversed(chosen))


def _probe(call: ast.Call, signatures: dict, where: str) -> tuple[Probe, set, set]:
    """A Probe from one check call; also the names each side's expressions use."""
    check = call.func.id
    try:
        bound = signatures[check].bind(*call.args, **{k.arg: k.value for k in call.keywords})
    except TypeError as err:
        raise SpecError(f"{where}: {check}(...) has arguments it does not accept: {err}") from err
    if any(k.arg is None for k in call.keywords) or any(
        isinstance(a, ast.Starred) for a in call.args
    ):
        raise SpecError(f"{where}: {check}(...) may not use *args or **kwargs")
    arguments = dict(bound.arguments)
    label = arguments.pop("name")
    if not (isinstance(label, ast.Constant) and isinstance(label.value, str)):
        raise SpecError(f"{where}: the first argument of {check} must be a string literal")
    params = list(signatures[check].parameters)
    student_param = params[1]
    student_node = arguments.pop(student_param)
    student_uses, trusted_uses = _names_used(student_node), set()
    probe = Probe(check, label.value, ast.unparse(student_node))
    if check == "check_raises":
        call_args = [ast.unparse(a) for a in arguments.pop("args", ())]
        extra = arguments.pop("kwargs", {})
        call_args += [f"{key}={ast.unparse(value)}" for key, value in extra.items()]
        for node in [*bound.arguments.get("args", ()), *extra.values()]:
            student_uses |= _names_used(node)
        probe.actual = f"({probe.actual})({', '.join(call_args)})"
        exception = arguments.pop("exception", None)
        if exception is None:
            probe.exception = "ValueError"
        elif isinstance(exception, ast.Name | ast.Attribute):
            probe.exception = exception.id if isinstance(exception, ast.Name) else exception.attr
        else:
            raise SpecError(f"{where}: exception= must name an exception class")
    through = arguments.pop("through", None)
    if through is not None:
        if check != "check_between" or not isinstance(through, ast.Lambda):
            raise SpecError(f"{where}: through= must be a lambda, in check_between only")
        probe.through = ast.unparse(through)
        trusted_uses |= _names_used(through)
    for param, node in arguments.items():
        probe.trusted[param] = ast.unparse(node)
        trusted_uses |= _names_used(node)
    return probe, student_uses, trusted_uses


def parse_hidden_tests(source: str, grade_id: str) -> tuple[str, str, list[Probe]]:
    """(student setup, trusted setup, probes) from the hidden tests of one check cell."""
    regions = _REGION.findall(source)
    if len(regions) != 1:
        raise SpecError(f"{grade_id}: expected one hidden-tests region, found {len(regions)}")
    try:
        tree = ast.parse(regions[0])
    except SyntaxError as err:
        raise SpecError(f"{grade_id}: hidden tests do not parse: {err}") from err
    signatures = _signatures()
    setup, probes, student_needs, trusted_needs = [], [], set(), set()
    for statement in tree.body:
        where = f"{grade_id}, hidden tests line {statement.lineno}"
        call = statement.value if isinstance(statement, ast.Expr) else None
        if isinstance(call, ast.Call) and isinstance(call.func, ast.Name):
            if call.func.id in CHECKS:
                probe, student, trusted = _probe(call, signatures, where)
                probes.append(probe)
                student_needs |= student
                trusted_needs |= trusted
                continue
        if isinstance(statement, ast.Expr | ast.Assert | ast.Return | ast.Raise) or _hides_a_test(
            statement
        ):
            raise SpecError(
                f"{where}: only check_* calls and setup statements are allowed "
                f"(the grader cannot see `{ast.unparse(statement)[:60]}`)"
            )
        setup.append(statement)
    if not probes:
        raise SpecError(f"{grade_id}: the hidden tests have no check_* call")
    return _slice(setup, student_needs), _slice(setup, trusted_needs), probes


def lesson_spec(solution: Path) -> LessonSpec:
    """Read every check cell of a solution notebook into a LessonSpec."""
    notebook = nbformat.read(solution, as_version=4)
    exercises, answer_id = [], ""
    for cell in notebook.cells:
        meta = cell.metadata.get("nbgrader", {})
        if cell.cell_type != "code":
            continue
        if meta.get("solution") and not meta.get("grade"):
            answer_id = meta.get("grade_id", "")
        if meta.get("grade"):
            grade_id = meta["grade_id"]
            student, trusted, probes = parse_hidden_tests(cell.source, grade_id)
            points = float(meta.get("points", 0))
            exercises.append(Exercise(grade_id, points, answer_id, student, trusted, probes))
            answer_id = ""
    return LessonSpec(solution.parent.name, solution.name, exercises)
