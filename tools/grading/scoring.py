"""Points and reasons: the sandbox's observations against the trusted expected values.

Everything here runs in the grader's process on decoded plain data. The comparisons are the
functions of ``course_utils.checks`` themselves (same tolerances, same messages), called with
the student's value and the expected values from the reference run. An exercise gets its
points when every probe passes, else 0 and the first failure as its reason.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from tools.grading.plain import PlainError, Unsupported, decode
from tools.grading.spec import Exercise

REASON_CHARS = 300
_SPACE = re.compile(r"\s+")


def sanitize(text: Any, limit: int = REASON_CHARS) -> str:
    """One line of at most ``limit`` characters: control, format and separator characters
    (newlines, bidi overrides, zero-width marks) become spaces."""
    cleaned = "".join(
        " " if unicodedata.category(ch) in {"Cc", "Cf", "Zl", "Zp", "Cs", "Co", "Cn"} else ch
        for ch in str(text)
    )
    cleaned = _SPACE.sub(" ", cleaned).strip()
    return cleaned if len(cleaned) <= limit else cleaned[: limit - 1] + "…"


def _error_text(error: dict, limit: int = 120) -> str:
    kind = sanitize(error.get("type", "Exception"), 60) or "Exception"
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_.]*", kind):
        kind = "Exception"
    message = sanitize(error.get("message", ""), limit)
    return f"{kind}: {message}" if message else kind


def _not_answered(error: dict) -> bool:
    return "NotImplementedError" in (error.get("mro") or [error.get("type")])


def _unset_answer(probe, error: dict) -> bool:
    """The probe reads a variable that the answer cell sets (``prediction_1_4``,
    ``sceptical_fit``), and the variable does not exist: the answer cell still raises "not
    answered yet"."""
    import ast
    import re

    found = re.search(r"name '(\w+)' is not defined", str(error.get("message", "")))
    if error.get("type") != "NameError" or not found:
        return False
    try:
        tree = ast.parse(probe.actual, mode="eval")
    except SyntaxError:
        return False
    return found.group(1) in {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}


def _checks():
    from course_utils import checks

    return checks


def through_input(observation: dict) -> float | None:
    """The student's number for a ``through`` check, or None (the check fails without it)."""
    if "value" not in observation:
        return None
    try:
        value = decode(observation["value"])
        return _checks()._as_float("x", value)
    except Exception:
        return None


def _probe_verdict(probe, observation: dict, expected: dict, judged: dict, timeout: str) -> str:
    """'' when the probe passes, else the reason."""
    checks = _checks()
    label = probe.label
    if observation.get("interrupted"):
        return f"{timeout or 'interrupted'} in {label}"
    if probe.check == "check_raises":
        wanted = probe.exception or "ValueError"
        raised = observation.get("raised")
        if raised is None:
            if "error" in observation:
                raised = observation["error"]
            elif "value" in observation or "unplain" in observation:
                return f"{label} should raise {wanted}, but returned normally."
            else:
                return f"{label}: no result"
        if wanted in (raised.get("mro") or []):
            return ""
        if _not_answered(raised):
            return f"{label}: not answered yet."
        return f"{label} should raise {wanted}, but raised {_error_text(raised)}"
    if "error" in observation:
        if _not_answered(observation["error"]) or _unset_answer(probe, observation["error"]):
            return f"{label}: not answered yet."
        reason = f"{label} raised {_error_text(observation['error'])}"
        if "NoneType" in str(observation["error"].get("message", "")):
            reason += " (a function returned None: a missing return?)"
        return reason
    if "unplain" in observation:
        return f"{label}: {sanitize(observation['unplain'], 100)}"
    hint = expected.get("hint", "")
    if probe.check == "check_same_model":
        if "not_model" in observation:
            return f"{label} should be a pymc.Model, got {sanitize(observation['not_model'], 60)}."
        signature = observation.get("signature")
        try:
            checks.compare_model_signatures(
                label, _signature(signature), expected["reference"], hint=hint
            )
        except checks.AnswerError as err:
            return str(err)
        except Exception:
            return f"{label}: the model's description could not be read."
        return ""
    if "value" not in observation:
        return f"{label}: no result"
    try:
        value = decode(observation["value"])
    except PlainError as err:
        return f"{label}: the answer could not be read ({err})."
    if isinstance(value, Unsupported):
        return (
            f"{label} should be plain data (a number, array, table or text), "
            f"got a {sanitize(value.type_name, 60)} object."
        )
    arguments = {k: decode(v) for k, v in expected.items() if k not in ("points",)}
    try:
        if probe.through:
            number = checks._as_float(label, value)
            output = judged.get(repr(number))
            if output is None or "value" not in output:
                problem = _error_text(output["error"]) if output and "error" in output else ""
                return f"{label}: the check could not be computed ({problem or 'no result'})."
            value = decode(output["value"])
        getattr(checks, probe.check)(label, value, **arguments)
    except checks.AnswerError as err:
        return str(err)
    except Exception as err:  # a value of a shape the check cannot take
        return f"{label}: could not be compared ({type(err).__name__}: {err})."
    return ""


def _signature(signature: Any) -> dict:
    """A model signature from the sandbox, checked to hold names and numbers only."""
    if not isinstance(signature, dict):
        raise ValueError("no signature")
    free, observed, logp = signature.get("free"), signature.get("observed"), signature.get("logp")
    if not (isinstance(free, list) and isinstance(observed, list) and isinstance(logp, list)):
        raise ValueError("malformed signature")
    if not all(isinstance(n, str) for n in free + observed):
        raise ValueError("malformed signature")
    if not all(isinstance(v, int | float | str) and not isinstance(v, bool) for v in logp):
        raise ValueError("malformed signature")
    return {
        "free": [sanitize(n, 60) for n in free][:50],
        "observed": [sanitize(n, 60) for n in observed][:50],
        "logp": [sanitize(v, 120) if isinstance(v, str) else float(v) for v in logp],
    }


def verdict(
    exercise: Exercise,
    expected: list[dict],
    document: dict,
    judged: dict[int, dict] | None = None,
    answer: dict | None = None,
) -> tuple[float, str]:
    """(points, reason) for one exercise from its probe document.

    ``judged[probe_index]`` maps ``repr(number)`` to the trusted ``through`` output;
    ``answer`` says how the student's answer cell ended (for a clearer reason)."""
    judged = judged or {}
    reason = _first_failure(exercise, expected, document, judged)
    if not reason:
        return exercise.points, ""
    if answer and answer.get("status") == "timeout" and "timed out" not in reason:
        reason += f" (the answer cell {answer['error']})"
    elif (
        answer
        and answer.get("status") == "error"
        and "NotImplementedError" not in str(answer.get("error", ""))
    ):
        reason += f" (the answer cell raised {sanitize(answer['error'], 80)})"
    return 0.0, sanitize(reason)


def _first_failure(exercise, expected, document, judged) -> str:
    first = exercise.probes[0].label
    if "stopped" in document:
        return str(document["stopped"])
    if "no_result" in document:
        return f"{first}: {document['no_result']}"
    if "setup_error" in document:
        if document.get("interrupted"):
            return f"{document.get('timeout') or 'interrupted'} while preparing {first}"
        return (
            f"{first}: the test inputs could not be built in this notebook "
            f"({_error_text(document['setup_error'])})"
        )
    observations = document.get("observations")
    if not isinstance(observations, list):
        return f"{first}: no result"
    timeout = str(document.get("timeout", ""))
    for index, probe in enumerate(exercise.probes):
        if index >= len(observations) or not isinstance(observations[index], dict):
            return f"{probe.label}: no result"
        reason = _probe_verdict(
            probe, observations[index], expected[index], judged.get(index, {}), timeout
        )
        if reason:
            return reason
    return ""
