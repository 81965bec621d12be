"""Evaluates probes inside a sandboxed kernel and publishes the results as plain data.

This file is sent to the kernel as source text (it imports nothing from ``tools/``) and run
in place of a check cell. Its ``main(spec_json, user_ns)`` works on a copy of the notebook's
namespace, so the student's variables are not changed, and publishes one display output of
type ``MIME``: a JSON document of plain data (numbers, strings, lists, arrays as flat lists
with dtype and shape, pandas objects as their parts). Nothing that runs here is trusted:
the grader decodes the document with its own limits and compares in its own process.

Modes (``spec["mode"]``):

``student``
    Run the student-side setup, evaluate every probe's student expression.
``reference``
    In the solution's kernel: evaluate the trusted expressions (expected values,
    tolerances, reference models and the points to compare models at), and the student
    expressions too, so the grader can check that the solution passes its own tests.
``judge``
    Apply a ``through`` lambda (trusted) to the numbers the students gave.
"""

import json

MIME = "application/x-course-grading+json"
MAX_ELEMENTS = 200_000
MAX_STRING = 20_000
MAX_DEPTH = 12


class PlainDataError(ValueError):
    pass


class _Budget:
    def __init__(self, elements):
        self.left = elements

    def take(self, count):
        self.left -= count
        if self.left < 0:
            raise PlainDataError(f"the answer is too large (more than {MAX_ELEMENTS} values)")


def _array(value, budget, depth):
    import numpy as np

    array = np.asarray(value)
    budget.take(array.size)
    kind = array.dtype.kind
    if kind in "biuf":
        dtype = array.dtype.name if kind != "f" or array.dtype.itemsize <= 8 else "float64"
        data = array.astype(dtype).ravel().tolist()
    elif kind in "US":
        dtype, data = "str", [str(x)[:MAX_STRING] for x in array.ravel().tolist()]
    elif kind == "O":
        dtype = "object"
        data = [encode(x, budget, depth + 1) for x in array.ravel().tolist()]
    else:
        raise PlainDataError(f"arrays of {array.dtype} are not plain data")
    return {"dtype": dtype, "shape": list(array.shape), "data": data}


def encode(value, budget, depth=0, numeric=False):
    """Plain JSON data for a value, or PlainDataError."""
    if depth > MAX_DEPTH:
        raise PlainDataError("the answer is nested too deeply")
    budget.take(1)
    if value is None or type(value) is bool:
        return value
    if isinstance(value, bool):
        return bool(value)
    if isinstance(value, int) and not _is_numpy(value):
        number = int(value)
        if number.bit_length() > 256:
            raise PlainDataError("the answer is an integer too large to compare")
        return number
    if isinstance(value, float) and not _is_numpy(value):
        return float(value)
    if isinstance(value, str):
        text = str(value)
        if len(text) > MAX_STRING:
            raise PlainDataError(f"the answer is a text longer than {MAX_STRING} characters")
        return text
    module = type(value).__module__ or ""
    if module.startswith("numpy"):
        import numpy as np

        if isinstance(value, np.generic) and value.dtype.kind in "biuf":
            return encode(value.item(), budget, depth + 1)
        if isinstance(value, np.ndarray):
            return {"ndarray": _array(value, budget, depth)}
    if module.startswith("pandas"):
        import pandas as pd

        if isinstance(value, pd.Series):
            return {
                "series": {
                    "name": encode(value.name, budget, depth + 1),
                    "index": _array(value.index.to_numpy(), budget, depth),
                    "values": _array(value.to_numpy(), budget, depth),
                }
            }
        if isinstance(value, pd.DataFrame):
            return {
                "frame": {
                    "columns": [encode(c, budget, depth + 1) for c in value.columns],
                    "index": _array(value.index.to_numpy(), budget, depth),
                    "data": [
                        _array(value.iloc[:, i].to_numpy(), budget, depth)
                        for i in range(value.shape[1])
                    ],
                }
            }
        if isinstance(value, pd.Index):
            return {"ndarray": _array(value.to_numpy(), budget, depth)}
    if isinstance(value, list):
        return {"list": [encode(x, budget, depth + 1) for x in value]}
    if isinstance(value, tuple):
        return {"tuple": [encode(x, budget, depth + 1) for x in value]}
    if isinstance(value, dict):
        return {
            "dict": [
                [encode(k, budget, depth + 1), encode(v, budget, depth + 1)]
                for k, v in value.items()
            ]
        }
    if numeric or hasattr(value, "__array__"):
        import numpy as np

        try:
            array = np.asarray(value, dtype=float)
        except Exception:
            array = None
        if array is not None:
            return {"ndarray": _array(array, budget, depth)}
    return {"unsupported": type(value).__name__[:80]}


def _is_numpy(value):
    return (type(value).__module__ or "").startswith("numpy")


def _decode_points(points):
    import numpy as np

    def array(payload):
        return np.asarray(payload["data"], dtype=payload["dtype"]).reshape(payload["shape"])

    return [{name: array(value["ndarray"]) for name, value in point.items()} for point in points]


def _error(err):
    try:
        message = str(err)
    except BaseException:
        message = ""
    names = []
    try:
        names = [cls.__name__ for cls in type(err).__mro__][:12]
    except BaseException:
        names = ["Exception"]
    return {"type": names[0] if names else "Exception", "mro": names, "message": message[:2000]}


def _plain(value, numeric=False):
    try:
        return {"value": encode(value, _Budget(MAX_ELEMENTS), numeric=numeric)}
    except PlainDataError as err:
        return {"unplain": str(err)}


def _signature(model, points):
    import pymc as pm

    from course_utils.checks import model_signature

    if isinstance(model, NotImplementedError):
        return {
            "error": {
                "type": "NotImplementedError",
                "mro": ["NotImplementedError"],
                "message": str(model),
            }
        }
    if not isinstance(model, pm.Model):
        return {"not_model": type(model).__name__[:80]}
    signature = model_signature(model, points)
    return {
        "signature": {
            "free": [str(n) for n in signature["free"]],
            "observed": [str(n) for n in signature["observed"]],
            "logp": [v if isinstance(v, str) else float(v) for v in signature["logp"]],
        }
    }


def _student_side(probe, ns, points):
    """Evaluate one probe's student expression in ``ns``; a dict of plain data."""
    try:
        value = eval(probe["actual"], ns)
    except KeyboardInterrupt:
        raise
    except BaseException as err:
        if probe["check"] == "check_raises":
            return {"raised": _error(err)}
        return {"error": _error(err)}
    if probe["check"] == "check_same_model":
        return _signature(value, points)
    return _plain(value, numeric=probe["check"] in ("check_close", "check_mcmc", "check_between"))


def _run_setup(code, ns):
    if code:
        exec(compile(code, "<hidden test setup>", "exec"), ns)


def _namespace(user_ns):
    ns = dict(user_ns)
    ns.pop("__grading", None)
    return ns


def run_student(spec, user_ns):
    ns = _namespace(user_ns)
    observations = []
    try:
        _run_setup(spec["setup"], ns)
    except KeyboardInterrupt:
        return {
            "setup_error": {"type": "KeyboardInterrupt", "mro": [], "message": ""},
            "interrupted": True,
            "observations": [],
        }
    except BaseException as err:
        return {"setup_error": _error(err), "observations": []}
    for probe in spec["probes"]:
        try:
            points = _decode_points(probe.get("points") or [])
            observations.append(_student_side(probe, ns, points))
        except KeyboardInterrupt:
            observations.append({"interrupted": True})
            break
        except BaseException as err:
            observations.append({"error": _error(err)})
    return {"observations": observations}


def run_reference(spec, user_ns):
    trusted_ns, student_ns = _namespace(user_ns), _namespace(user_ns)
    _run_setup(spec["trusted_setup"], trusted_ns)
    _run_setup(spec["student_setup"], student_ns)
    expected, observations = [], []
    for probe in spec["probes"]:
        values = {}
        for param, source in probe["trusted"].items():
            value = eval(source, trusted_ns)
            if probe["check"] == "check_same_model" and param == "reference":
                from course_utils.checks import reference_points

                n_points = eval(probe["trusted"].get("n_points", "4"), trusted_ns)
                seed = eval(probe["trusted"].get("seed", "0"), trusted_ns)
                points = reference_points(value, n_points=n_points, seed=seed)
                values["points"] = [
                    {k: encode(v, _Budget(MAX_ELEMENTS)) for k, v in p.items()} for p in points
                ]
                values["reference"] = _signature(value, points)["signature"]
                continue
            values[param] = encode(value, _Budget(MAX_ELEMENTS), numeric=True)
        expected.append(values)
        points = _decode_points(values.get("points") or [])
        observations.append(_student_side(probe, student_ns, points))
    return {"expected": expected, "observations": observations}


def run_judge(spec, user_ns):
    ns = _namespace(user_ns)
    _run_setup(spec["trusted_setup"], ns)
    function = eval(spec["through"], ns)
    outputs = []
    for number in spec["inputs"]:
        try:
            outputs.append(_plain(function(float(number)), numeric=True))
        except Exception as err:
            outputs.append({"error": _error(err)})
    return {"outputs": outputs}


def main(spec_json, user_ns):
    spec = json.loads(spec_json)
    runner = {"student": run_student, "reference": run_reference, "judge": run_judge}
    result = runner[spec["mode"]](spec, user_ns)
    result["nonce"] = spec["nonce"]
    from IPython.display import publish_display_data

    publish_display_data({MIME: json.dumps(result, allow_nan=True)})
