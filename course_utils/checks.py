"""Answer checks for the exercises: friendly feedback for students, strict for grading.

Each check returns a :class:`Feedback` when the answer is right, which a notebook shows as
one line starting with a check mark, and raises :class:`AnswerError` (an
``AssertionError``, so nbgrader counts the test as failed) with a hint when it is wrong.

Numbers that come from MCMC are never compared with a fixed float: :func:`check_mcmc`
accepts an estimate within a few Monte Carlo standard errors of the exact answer.

The grader (``tools/grading``) runs the same checks on plain data: a student's answer is
computed in a sandbox and comes out as numbers, arrays, tables or text, and the check runs
in the grader's own process. :func:`model_signature` and :func:`compare_model_signatures`
are :func:`check_same_model` split in two for that purpose.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from course_utils import validation
from course_utils.montecarlo import Estimate, MCText

__all__ = [
    "AnswerError",
    "Feedback",
    "check_allclose",
    "check_between",
    "check_choice",
    "check_close",
    "check_equal",
    "check_mcmc",
    "check_raises",
    "check_same_model",
    "compare_model_signatures",
    "model_signature",
    "record_choice",
    "reference_points",
]


class AnswerError(AssertionError):
    """An exercise answer is wrong; the message says what was expected."""


class Feedback(str):
    """A passed check; shown in a notebook as its text.

    A check of a Monte Carlo estimate also carries its numbers (``montecarlo``, an
    :class:`~course_utils.montecarlo.MCText`), so that the notebook tests compare it
    within Monte Carlo error rather than digit by digit.
    """

    montecarlo: MCText | None = None

    def __repr__(self) -> str:
        return str(self)

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict:
        if self.montecarlo is None:
            return {"text/plain": str(self)}
        return self.montecarlo._repr_mimebundle_(include, exclude)


def _literal(text: str) -> str:
    """``text`` with its braces escaped, to stand for itself in a format template."""
    return text.replace("{", "{{").replace("}", "}}")


def _monte_carlo_feedback(template: str, estimate: Estimate) -> Feedback:
    """A passed check whose message shows a Monte Carlo estimate (see Feedback)."""
    shown = MCText(template, estimate)
    feedback = Feedback(repr(shown))
    feedback.montecarlo = shown
    return feedback


def _wrong(message: str, hint: str) -> AnswerError:
    """The error for a wrong answer, with the exercise's hint appended when there is one."""
    return AnswerError(f"{message} Hint: {hint}" if hint else message)


def _mistakes(mistakes: Any) -> dict[str, Any]:
    """The ``mistakes`` argument of a check, validated: a dict from message to wrong value."""
    if mistakes is None:
        return {}
    if not isinstance(mistakes, dict):
        raise TypeError(
            "mistakes must be a dict from message to wrong value, "
            f"got {validation.describe(mistakes)}."
        )
    for message in mistakes:
        validation.text("mistakes", message)
        if not message.strip():
            raise ValueError("mistakes: a message must not be empty.")
    return mistakes


def _recognised(mistakes: dict[str, Any], matches: Callable[[Any], bool], name: str) -> str:
    """The message of the first mistake whose wrong value the answer matches, or ''."""
    for message, wrong in mistakes.items():
        try:
            if matches(wrong):
                return message
        except (TypeError, ValueError) as err:  # the author's wrong value does not fit
            raise ValueError(
                f"mistakes: the value for {message!r} cannot be compared with {name}."
            ) from err
    return ""


def _as_float(name: str, value: Any) -> float:
    """A student's answer as a float, or an AnswerError that says what is wrong with it.

    Real numbers (Python or NumPy, or an array holding exactly one) pass; ``None`` (a
    function without ``return``), strings, booleans and other objects do not."""
    if isinstance(value, NotImplementedError):
        raise AnswerError(f"{name}: not answered yet.")
    if value is None:
        raise AnswerError(
            f"{name} should be a number, but your function returned None (missing return?)."
        )
    if isinstance(value, str | bytes):
        raise AnswerError(
            f"{name} should be a number, got the string {value!r}: return the number "
            "itself, not its text."
        )
    if isinstance(value, bool | np.bool_):
        raise AnswerError(f"{name} should be a number, got the boolean {value}.")
    if validation.is_real_number(value):
        result = float(value)
    elif isinstance(value, list | tuple) or hasattr(value, "__array__"):
        try:
            array = np.asarray(value)
        except ValueError as err:  # a ragged list
            raise AnswerError(
                f"{name} should be a number, got {validation.describe(value)}."
            ) from err
        if array.dtype.kind not in "iuf":
            raise AnswerError(f"{name} should be a number, got {validation.describe(value)}.")
        if array.size != 1:
            raise AnswerError(f"{name} should be a single number, got shape {array.shape}.")
        result = float(array.reshape(()))
    else:
        raise AnswerError(f"{name} should be a number, got {validation.describe(value)}.")
    if not math.isfinite(result):
        raise AnswerError(f"{name} should be a finite number, got {result}.")
    return result


def _expected(name: str, value: Any) -> float:
    """An expected value given by the exercise's author: a finite real number."""
    return validation.real(name, value)


def check_close(
    name: str,
    actual: Any,
    expected: float,
    *,
    rtol: float = 1e-6,
    atol: float = 0.0,
    hint: str = "",
    mcse: float | None = None,
    mistakes: dict[str, float] | None = None,
) -> Feedback:
    """Check that a number is close to the expected one.

    Parameters
    ----------
    name : str
        What the student computed, as they would read it (``"pass_rate(tutoring, 0)"``).
    actual : number
        The student's answer.
    expected : float
        The right answer.
    rtol, atol : float
        Accepted relative and absolute difference, as in :func:`math.isclose`.
    hint : str
        Added to the message when the answer is wrong.
    mcse : float, optional
        When the expected value is itself a Monte Carlo estimate (computed from draws),
        its Monte Carlo standard error: the feedback then shows the number as such, so
        that the notebook tests compare it within Monte Carlo error across machines.
    mistakes : dict, optional
        Recognised wrong answers: message -> the value a common mistake gives (``{"this is
        the one-sided p-value: the test is two-sided": 0.0228}``). A wrong answer within
        the same tolerance of one of them gets that message instead of the hint. Like the
        expected value, the grader computes them in its trusted run.

    Returns
    -------
    Feedback
        ``"✔ {name} = {actual:.4g}: correct."``

    Raises
    ------
    AnswerError
        If ``actual`` is not a finite real number close to ``expected``: ``None`` (a
        function without ``return``), a string such as ``"0.6667"`` or a boolean is
        wrong whatever its value.
    TypeError, ValueError
        If ``name`` or ``hint`` is not a string, ``expected`` not a finite number, or
        ``rtol``, ``atol`` or ``mcse`` negative.
    """
    validation.text("name", name)
    validation.text("hint", hint)
    expected = _expected("expected", expected)
    rtol = validation.real("rtol", rtol, low=0.0)
    atol = validation.real("atol", atol, low=0.0)
    if mcse is not None:
        mcse = validation.real("mcse", mcse, low=0.0)
    known = _mistakes(mistakes)
    value = _as_float(name, actual)
    if not math.isclose(value, expected, rel_tol=rtol, abs_tol=atol):
        mistake = _recognised(
            known,
            lambda wrong: math.isclose(
                value, _expected("mistakes", wrong), rel_tol=rtol, abs_tol=atol
            ),
            name,
        )
        if mistake:
            raise AnswerError(f"{name} = {value:.6g}, but that is not right: {mistake}")
        raise _wrong(f"{name} = {value:.6g}, but that is not right.", hint)
    if mcse is None:
        return Feedback(f"✔ {name} = {value:.4g}: correct.")
    return _monte_carlo_feedback(
        "✔ " + _literal(name) + " = {}: correct.", Estimate(value, mcse, fmt=".4g")
    )


def check_allclose(
    name: str,
    actual: Any,
    expected: Any,
    *,
    rtol: float = 1e-7,
    atol: float = 0.0,
    hint: str = "",
    mistakes: dict[str, Any] | None = None,
) -> Feedback:
    """Check that an array of numbers is close to the expected one, element by element.

    The test is :func:`numpy.testing.assert_allclose`'s: ``|actual - expected| <= atol +
    rtol * |expected|`` for every element, with NaN equal to NaN. The message says how many
    values are off, never what they should be.

    Parameters
    ----------
    name : str
        What the student computed (``"shrinkage_factors(3, sigma)"``).
    actual : array_like
        The student's answer.
    expected : array_like
        The right answer; ``actual`` must have its shape.
    rtol, atol : float
        Accepted relative and absolute difference; non-negative.
    hint : str
        Added to the message when the answer is wrong.

    Raises
    ------
    AnswerError
        If ``actual`` is not an array of numbers of the expected shape close to ``expected``.
    ValueError
        If ``rtol`` or ``atol`` is negative.
    """
    if rtol < 0 or atol < 0:
        raise ValueError(f"rtol and atol must be non-negative, got rtol={rtol}, atol={atol}.")
    if isinstance(actual, NotImplementedError):
        raise AnswerError(f"{name}: not answered yet.")
    if actual is None:
        raise AnswerError(
            f"{name} should be numbers, but your function returned None (missing return?)."
        )
    known = _mistakes(mistakes)
    target = np.asarray(expected, dtype=float)
    try:
        values = np.asarray(actual, dtype=float)
    except (TypeError, ValueError) as err:
        raise AnswerError(
            f"{name} should be numbers, got {type(actual).__name__}: {actual!r}"
        ) from err
    if values.shape != target.shape:
        raise _wrong(f"{name} should have shape {target.shape}, got {values.shape}.", hint)
    off = ~np.isclose(values, target, rtol=rtol, atol=atol, equal_nan=True)
    if off.any():
        first = tuple(int(i) for i in np.argwhere(off)[0])
        where = f" (first at index {first[0] if len(first) == 1 else first})" if first else ""
        message = f"{name}: {int(off.sum())} of {off.size} values are not right{where}."
        mistake = _recognised(
            known,
            lambda wrong: (
                bool(np.allclose(values, np.asarray(wrong, dtype=float), rtol=rtol, atol=atol))
                and np.shape(wrong) == values.shape
            ),
            name,
        )
        if mistake:
            raise AnswerError(f"{message[:-1]}: {mistake}")
        raise _wrong(message, hint)
    return Feedback(f"✔ {name}: all {values.size} values correct.")


def check_equal(
    name: str,
    actual: Any,
    expected: Any,
    *,
    hint: str = "",
    mistakes: dict[str, Any] | None = None,
) -> Feedback:
    """Check that an answer equals the expected value exactly (booleans, integers, text, lists).

    Arrays are equal when they have the same shape and elements. The message shows the
    answer, never the expected value. ``mistakes`` maps a message to a wrong answer that a
    common mistake gives (compared in the same way): that answer gets the message.

    Raises
    ------
    AnswerError
        If ``actual`` differs from ``expected``.
    """
    if isinstance(actual, NotImplementedError):
        raise AnswerError(f"{name}: not answered yet.")
    known = _mistakes(mistakes)
    if not _equal(actual, expected):
        shown = repr(actual)
        shown = shown if len(shown) <= 80 else shown[:77] + "..."
        mistake = _recognised(known, lambda wrong: _equal(actual, wrong), name)
        if mistake:
            raise AnswerError(f"{name} = {shown}, but that is not right: {mistake}")
        if actual is None and expected is not None:
            raise AnswerError(f"{name}: your function returned None (missing return?).")
        raise _wrong(f"{name} = {shown}, but that is not right.", hint)
    return Feedback(f"✔ {name}: correct.")


def _choice_letter(name: str, actual: Any, letters: list[str]) -> str:
    """A student's multiple-choice answer as one of ``letters``, or an AnswerError."""
    listed = ", ".join(repr(letter) for letter in letters)
    if isinstance(actual, NotImplementedError):
        raise AnswerError(f"{name}: not answered yet.")
    if not isinstance(actual, str):
        raise AnswerError(
            f"{name} should be one of the letters {listed} (a string), "
            f"got {validation.describe(actual)}."
        )
    letter = actual.strip().strip("().").strip().lower()
    if letter not in letters:
        raise AnswerError(f"{name} = {actual!r}: answer with one of the letters {listed}.")
    return letter


def record_choice(name: str, actual: Any, letters: str) -> Feedback:
    """The visible check of a multiple-choice exercise: record a letter, reveal nothing.

    A prediction is answered by the lesson a few cells later and an interpretation by the
    grader's feedback, so the student's notebook only checks that ``actual`` is one of
    ``letters`` (``"abcd"``; case, spaces and ``"(b)"`` do not matter). The hidden check,
    :func:`check_choice`, grades it.

    Raises
    ------
    AnswerError
        If ``actual`` is not one of the letters.
    """
    validation.text("name", name)
    validation.text("letters", letters)
    if len(letters) < 2 or not letters.isalpha() or not letters.islower():
        raise ValueError(f"letters must be two or more lowercase letters, got {letters!r}.")
    letter = _choice_letter(name, actual, list(letters))
    return Feedback(f"✔ {name} = {letter!r}: recorded. The grade comes with the feedback.")


def check_choice(
    name: str,
    actual: Any,
    expected: str,
    *,
    options: dict[str, str],
) -> Feedback:
    """Check a multiple-choice answer, and explain the choice the student made.

    ``actual`` is a letter (``"b"``; case, spaces and ``"(b)"`` do not matter). ``options``
    maps every letter to the explanation of that choice: why it is wrong, or for
    ``expected``, why it is right. A wrong choice fails with its explanation, so every
    distractor is a recognised mistake. This is the hidden check; the visible one is
    :func:`record_choice`, which needs no answer.

    Raises
    ------
    AnswerError
        If ``actual`` is not one of the letters, or not ``expected``.
    TypeError, ValueError
        If ``options`` is not a dict of letter to explanation holding ``expected``.
    """
    validation.text("name", name)
    if not isinstance(options, dict) or len(options) < 2:
        raise TypeError(f"options must be a dict of at least two letters, got {options!r}.")
    for letter, explanation in options.items():
        validation.text("options", letter)
        validation.text("options", explanation)
        if len(letter) != 1 or not letter.islower() or not explanation.strip():
            raise ValueError(
                f"options: {letter!r} must be one lowercase letter with an explanation."
            )
    if expected not in options:
        raise ValueError(f"expected {expected!r} is not one of the options {list(options)}.")
    letter = _choice_letter(name, actual, list(options))
    if letter != expected:
        raise AnswerError(f"{name} = {letter!r} is not right: {options[letter]}")
    return Feedback(f"✔ {name} = {letter!r}: correct. {options[letter]}")


def _equal(actual: Any, expected: Any) -> bool:
    """check_equal's comparison."""
    if isinstance(actual, np.ndarray) or isinstance(expected, np.ndarray):
        try:
            return bool(np.array_equal(np.asarray(actual), np.asarray(expected)))
        except (TypeError, ValueError):
            return False
    same = type(actual) is type(expected) and bool(actual == expected)
    if not same and isinstance(actual, int | float | np.number) and not isinstance(actual, bool):
        same = not isinstance(expected, bool) and bool(actual == expected)
    return same


def check_between(
    name: str,
    actual: Any,
    low: float,
    high: float,
    *,
    inclusive: bool = True,
    through: Callable[[float], Any] | None = None,
    hint: str = "",
) -> Feedback:
    """Check that a number lies between two bounds (``low <= x <= high``).

    Parameters
    ----------
    name : str
        What is checked (``"acceptance rate with tuned_proposal_scale()"``).
    actual : number
        The student's answer.
    low, high : float
        The bounds; either may be infinite.
    inclusive : bool, default True
        Whether a value equal to a bound passes.
    through : callable, optional
        Applied to the answer (as a float) before the comparison, e.g. a function that runs
        a sampler with the student's proposal scale and returns its acceptance rate. The
        grader runs it in its own trusted process, never in the student's.
    hint : str
        Added to the message when the answer is outside the bounds.

    Raises
    ------
    AnswerError
        If the (transformed) answer is not a finite number between the bounds.
    ValueError
        If ``low > high`` or a bound is NaN.
    """
    if not (low <= high):
        raise ValueError(f"low must be <= high, got low={low}, high={high}.")
    value = _as_float(name, actual)
    if through is not None:
        value = _as_float(name, through(value))
    inside = low <= value <= high if inclusive else low < value < high
    if not inside:
        strictly = "" if inclusive else "strictly "
        if math.isinf(high):
            wanted = f"{'at least' if inclusive else 'greater than'} {low:g}"
        elif math.isinf(low):
            wanted = f"{'at most' if inclusive else 'less than'} {high:g}"
        else:
            wanted = f"{strictly}between {low:g} and {high:g}"
        raise _wrong(f"{name} = {value:.4g}; it should be {wanted}.", hint)
    return Feedback(f"✔ {name} = {value:.4g}: correct.")


def check_mcmc(
    name: str,
    estimate: Any,
    exact: float,
    mcse: float,
    *,
    n_mcse: float = 4.0,
    hint: str = "",
    mistakes: dict[str, float] | None = None,
) -> Feedback:
    """Check a Monte Carlo estimate against an exact answer within its Monte Carlo error.

    The estimate passes when ``|estimate - exact| <= n_mcse * mcse``. With the default of
    4 MCSE a correct sampler fails about once in 16,000 checks (normal approximation).

    Parameters
    ----------
    name : str
        What was estimated (``"posterior mean of p"``).
    estimate : number
        The Monte Carlo estimate.
    exact : float
        The exact value (closed form or numerical integration).
    mcse : float
        Monte Carlo standard error of the estimate; must be positive and finite.
    n_mcse : float, default 4
        How many MCSE the estimate may be from the exact value; must be positive.
    hint : str
        Added to the message when the estimate is too far off.
    mistakes : dict, optional
        Recognised wrong answers: message -> the exact value a common mistake would
        estimate; an estimate within ``n_mcse * mcse`` of one gets that message.

    Raises
    ------
    AnswerError
        If the estimate is not a finite number within ``n_mcse * mcse`` of ``exact``.
    TypeError, ValueError
        If ``mcse`` or ``n_mcse`` is not a positive finite number, ``exact`` not a finite
        number, or ``name`` or ``hint`` not a string.
    """
    validation.text("name", name)
    validation.text("hint", hint)
    mcse = validation.positive("mcse", mcse)
    n_mcse = validation.positive("n_mcse", n_mcse)
    exact = _expected("exact", exact)
    known = _mistakes(mistakes)
    value = _as_float(name, estimate)
    distance = abs(value - exact) / mcse
    if distance > n_mcse:
        message = (
            f"{name} = {value:.4g} is {distance:.1f} Monte Carlo standard errors "
            f"(MCSE {mcse:.2g}) from the exact value; at most {n_mcse:g} are expected."
        )
        mistake = _recognised(
            known,
            lambda wrong: abs(value - _expected("mistakes", wrong)) <= n_mcse * mcse,
            name,
        )
        if mistake:
            raise AnswerError(f"{message} {mistake}")
        raise _wrong(message, hint)
    template = f"✔ {_literal(name)} = {{}}: within {n_mcse:g} MCSE of the exact value. Correct."
    return _monte_carlo_feedback(template, Estimate(value, mcse, exact=exact, fmt=".4g"))


def check_raises(
    name: str,
    function: Callable[..., Any],
    *args: Any,
    exception: type[BaseException] = ValueError,
    **kwargs: Any,
) -> Feedback:
    """Check that ``function(*args, **kwargs)`` raises ``exception`` (bad input rejected).

    Raises
    ------
    AnswerError
        If the call returns normally or raises another exception.
    TypeError
        If ``function`` is not callable or ``exception`` not an exception class.
    """
    validation.text("name", name)
    validation.function("function", function)
    if not (isinstance(exception, type) and issubclass(exception, BaseException)):
        raise TypeError(
            f"exception must be an exception class, got {validation.describe(exception)}."
        )
    try:
        function(*args, **kwargs)
    except exception:
        return Feedback(f"✔ {name} raises {exception.__name__}: correct.")
    except NotImplementedError as err:
        raise AnswerError(f"{name}: not answered yet.") from err
    except Exception as err:
        raise AnswerError(
            f"{name} should raise {exception.__name__}, but raised {type(err).__name__}: {err}"
        ) from err
    raise AnswerError(f"{name} should raise {exception.__name__}, but returned normally.")


def _natural_logp(model: Any) -> Callable[[dict[str, Any]], float]:
    """The model's log density (no Jacobian) as a function of natural-scale values by name."""
    logp = model.compile_logp(jacobian=False)
    forwards = {}
    for rv in model.free_RVs:
        transform = model.rvs_to_transforms.get(rv)
        name = model.rvs_to_values[rv].name
        forwards[rv.name] = (name, transform, rv.owner.inputs)

    def evaluate(values: dict[str, Any]) -> float:
        point = {}
        for rv_name, (name, transform, inputs) in forwards.items():
            value = values[rv_name]
            point[name] = value if transform is None else transform.forward(value, *inputs).eval()
        return float(logp(point))

    return evaluate


def reference_points(reference: Any, *, n_points: int = 4, seed: int = 0) -> list[dict]:
    """``n_points`` draws from a model's prior: one dict per point, variable name -> value."""
    import pymc as pm

    draws = pm.draw(reference.free_RVs, draws=n_points, random_seed=seed)
    if n_points == 1:  # pm.draw leaves out the draws axis for a single draw
        draws = [np.asarray(draw)[None] for draw in draws]
    return [
        {rv.name: np.asarray(draw[i]) for rv, draw in zip(reference.free_RVs, draws, strict=True)}
        for i in range(n_points)
    ]


def model_signature(model: Any, points: list[dict]) -> dict:
    """What :func:`check_same_model` compares: variable names and log densities at points.

    Returns
    -------
    dict
        ``free`` and ``observed``: sorted variable names; ``logp``: for each point the log
        density (no Jacobian, natural scale) as a float, or the error text when it cannot be
        evaluated. ``logp`` is empty when the free variables differ from the points' names.
    """
    free = sorted(rv.name for rv in model.free_RVs)
    observed = sorted(rv.name for rv in model.observed_RVs)
    logps: list[float | str] = []
    if points and free == sorted(points[0]):
        logp = _natural_logp(model)
        for values in points:
            try:
                logps.append(logp(values))
            except Exception as err:  # e.g. shapes that do not fit the reference's
                logps.append(str(err) or type(err).__name__)
    return {"free": free, "observed": observed, "logp": logps}


def compare_model_signatures(
    name: str, signature: dict, reference: dict, *, hint: str = ""
) -> Feedback:
    """The verdict of :func:`check_same_model` from two :func:`model_signature` results.

    Raises
    ------
    AnswerError
        If the free or observed variables differ, or a log density differs by more than
        1e-8 (relative and absolute) or cannot be evaluated.
    """
    if signature["free"] != reference["free"]:
        raise _wrong(
            f"{name} has the free variables {signature['free']}; expected {reference['free']}.",
            hint,
        )
    if signature["observed"] != reference["observed"]:
        raise _wrong(
            f"{name} has the observed variables {signature['observed']}; "
            f"expected {reference['observed']}.",
            hint,
        )
    if len(signature["logp"]) != len(reference["logp"]):
        raise _wrong(f"{name}: its log density was not evaluated at every point.", hint)
    for value, target in zip(signature["logp"], reference["logp"], strict=True):
        if isinstance(value, str):
            raise _wrong(f"{name}: its log density cannot be evaluated ({value}).", hint)
        if not math.isclose(value, target, rel_tol=1e-8, abs_tol=1e-8):
            raise _wrong(
                f"{name}: log density {value:.6g} where the reference model has {target:.6g}.",
                hint,
            )
    return Feedback(f"✔ {name}: same variables and log density as the reference. Correct.")


def check_same_model(
    name: str,
    model: Any,
    reference: Any,
    *,
    n_points: int = 4,
    seed: int = 0,
    hint: str = "",
) -> Feedback:
    """Check that a PyMC model has the same variables and log density as a reference.

    Both log densities are evaluated at ``n_points`` draws from the reference's prior, on
    the natural scale of each variable (so the transforms PyMC picks do not matter); they
    must agree to 1e-8 relative. Models that differ only in how they are written
    (``Uniform(0, 1)`` for ``Beta(1, 1)``, another order of statements) pass.

    Raises
    ------
    AnswerError
        If ``model`` is not a PyMC model, names other free variables, or has another
        log density.
    TypeError, ValueError
        If ``reference`` is not a PyMC model, ``n_points`` not an integer of at least 1
        (no point would compare nothing), or ``seed`` not a non-negative integer.
    """
    import pymc as pm

    validation.text("name", name)
    validation.text("hint", hint)
    validation.instance("reference", reference, pm.Model, "a pymc.Model")
    n_points = validation.count("n_points", n_points, minimum=1, maximum=1000)
    seed = validation.count("seed", seed, minimum=0)
    if model is None:
        raise AnswerError(
            f"{name} should be a pymc.Model, but your function returned None (missing return?)."
        )
    if isinstance(model, NotImplementedError):
        raise AnswerError(f"{name}: not answered yet.")
    if not isinstance(model, pm.Model):
        raise AnswerError(f"{name} should be a pymc.Model, got {type(model).__name__}.")
    points = reference_points(reference, n_points=n_points, seed=seed)
    expected = model_signature(reference, points)
    return compare_model_signatures(name, model_signature(model, points), expected, hint=hint)
