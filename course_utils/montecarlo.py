"""Monte Carlo results shown with their standard errors, and checked within them.

A sampler's draws depend on the machine: the same model with the same seed gives other
draws on another CPU (the compiler picks other instructions), so the digits of a
posterior mean printed by one run are not those of the next. A lesson therefore shows
every number that depends on draws through :class:`MCTable` or :class:`MCText`. They
display like a table or a sentence, and their output also carries the numbers with what
each one is (MIME type :data:`MIME`):

- :class:`Estimate`: a Monte Carlo estimate with its Monte Carlo standard error (MCSE,
  from ArviZ); optionally the exact value it must lie within ``N_MCSE`` MCSE of.
- :class:`Diagnostic`: a sampler diagnostic (R-hat, ESS, divergences) with the limits it
  must respect (``at_most``, ``at_least``); not compared between runs.
- :class:`Approx`: a number without an MCSE, equal between runs within a stated
  ``tolerance``.
- :class:`Shown`: a number that follows from the others (an MCSE, a distance in MCSE),
  shown but not compared.
- a plain number: deterministic, equal between runs (relative 1e-9).

The notebook tests (``conftest.py`` at the top of the repository) compare a fresh run
with the stored output cell by cell: estimates within ``N_MCSE`` combined MCSE, limits
asserted, everything else exactly. :func:`compare_payloads` and :func:`check_payload`
are those rules; :func:`render` turns a payload back into the text a notebook shows.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from course_utils import validation

__all__ = [
    "MIME",
    "N_MCSE",
    "Approx",
    "Diagnostic",
    "Estimate",
    "MCTable",
    "MCText",
    "Shown",
    "check_payload",
    "compare_payloads",
    "draws_table",
    "loo_table",
    "mean_estimate",
    "posterior_table",
    "quantile_estimate",
    "render",
    "sampler_health",
    "side_by_side",
]

#: MIME type of the machine-readable copy of a Monte Carlo output.
MIME = "application/vnd.bayes-course.montecarlo+json"
#: Version of the payload's layout.
VERSION = 1
#: Estimates may differ by this many (combined) Monte Carlo standard errors. With 5, a
#: correct sampler fails a comparison about once in 1.7 million (normal approximation);
#: an estimate moved by 10 MCSE always fails.
N_MCSE = 5.0
#: Relative difference allowed between two runs for a deterministic number.
EXACT_RTOL = 1e-9


def _finite(name: str, value: Any) -> float:
    return validation.real(name, value)


def _format_spec(fmt: str) -> str:
    if not isinstance(fmt, str):
        raise TypeError(f"fmt must be a format string such as '.3f', got {fmt!r}")
    try:
        format(1.5, fmt)
    except ValueError as err:
        raise ValueError(f"fmt must be a format spec such as '.3f', got {fmt!r}") from err
    return fmt


@dataclass(frozen=True)
class Estimate:
    """A Monte Carlo estimate and its Monte Carlo standard error.

    Parameters
    ----------
    value : float
        The estimate.
    mcse : float
        Its Monte Carlo standard error (non-negative; 0 only for a constant quantity).
    exact : float, optional
        The exact value; the estimate must lie within ``N_MCSE`` MCSE of it.
    fmt : str
        Format spec of the shown value, e.g. ``".3f"``.
    """

    value: float
    mcse: float
    exact: float | None = None
    fmt: str = ".3f"

    def __post_init__(self) -> None:
        object.__setattr__(self, "value", _finite("value", self.value))
        mcse = _finite("mcse", self.mcse)
        if mcse < 0:
            raise ValueError(f"mcse must be non-negative, got {mcse}")
        object.__setattr__(self, "mcse", mcse)
        if self.exact is not None:
            object.__setattr__(self, "exact", _finite("exact", self.exact))
        _format_spec(self.fmt)


@dataclass(frozen=True)
class Diagnostic:
    """A sampler diagnostic and the limits a healthy (or deliberately unhealthy) run meets.

    Parameters
    ----------
    value : float
        The diagnostic (R-hat, an ESS, a count of divergences, ...).
    at_most, at_least : float, optional
        Limits the value must respect in every run.
    fmt : str
        Format spec of the shown value.
    """

    value: float
    at_most: float | None = None
    at_least: float | None = None
    fmt: str = ".3f"

    def __post_init__(self) -> None:
        object.__setattr__(self, "value", _finite("value", self.value))
        for name in ("at_most", "at_least"):
            limit = getattr(self, name)
            if limit is not None:
                object.__setattr__(self, name, _finite(name, limit))
        _format_spec(self.fmt)


@dataclass(frozen=True)
class Approx:
    """A number that varies between runs but has no MCSE; runs agree within ``tolerance``."""

    value: float
    tolerance: float
    fmt: str = ".3f"

    def __post_init__(self) -> None:
        object.__setattr__(self, "value", _finite("value", self.value))
        tolerance = _finite("tolerance", self.tolerance)
        if tolerance <= 0:
            raise ValueError(f"tolerance must be positive, got {tolerance}")
        object.__setattr__(self, "tolerance", tolerance)
        _format_spec(self.fmt)


@dataclass(frozen=True)
class Shown:
    """A number shown but not compared, because it follows from others (an MCSE)."""

    value: float
    fmt: str = ".3f"

    def __post_init__(self) -> None:
        object.__setattr__(self, "value", validation.real("value", self.value, finite=False))
        _format_spec(self.fmt)


Cell = Estimate | Diagnostic | Approx | Shown | float | int | str
_KINDS = {Estimate: "estimate", Diagnostic: "diagnostic", Approx: "approx", Shown: "shown"}


def _cell_payload(cell: Any, fmt: str) -> dict:
    """The JSON form of one cell; plain numbers are deterministic, strings are text."""
    for cls, kind in _KINDS.items():
        if isinstance(cell, cls):
            payload = {"kind": kind}
            payload.update({k: v for k, v in vars(cell).items() if v is not None})
            return payload
    if isinstance(cell, str):
        return {"kind": "text", "value": cell}
    return {"kind": "exact", "value": _finite("a table cell", cell), "fmt": _format_spec(fmt)}


def _show(cell: Mapping) -> str:
    if cell["kind"] == "text":
        return cell["value"]
    return format(cell["value"], cell["fmt"])


def _render_text(payload: Mapping) -> str:
    return payload["template"].format(*(_show(cell) for cell in payload["cells"]))


def _frame(payload: Mapping) -> pd.DataFrame:
    columns = {name: [_show(cell) for cell in cells] for name, cells in payload["columns"]}
    frame = pd.DataFrame(columns, index=pd.Index(payload["index"], name=payload["index_name"]))
    return frame


def render(payload: Mapping) -> dict[str, str]:
    """The text (and HTML, for tables) that a payload is shown as, by MIME type."""
    if payload["type"] == "text":
        return {"text/plain": _render_text(payload)}
    frame = _frame(payload)
    return {"text/plain": frame.to_string(), "text/html": frame.to_html()}


class _MonteCarloOutput:
    """Shared display: a notebook shows ``render(payload)`` and keeps the payload beside it."""

    payload: dict

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        bundle: dict[str, Any] = dict(render(self.payload))
        bundle[MIME] = self.payload
        return bundle

    def __repr__(self) -> str:
        return render(self.payload)["text/plain"]

    def problems(self) -> list[str]:
        """What in this output breaks its own rules (see :func:`check_payload`)."""
        return check_payload(self.payload)


class MCText(_MonteCarloOutput):
    """A sentence with Monte Carlo numbers in it.

    Parameters
    ----------
    template : str
        The sentence, with ``{}`` where each cell goes (``{{`` and ``}}`` for braces).
    *cells : Estimate, Diagnostic, Approx, Shown, number or str
        What fills the placeholders, in order.
    fmt : str
        Format spec of plain numbers among the cells.

    Examples
    --------
    >>> MCText("P(effect < 0 | y) = {} (MCSE {})", Estimate(0.975, 0.003), Shown(0.003))
    P(effect < 0 | y) = 0.975 (MCSE 0.003)
    """

    def __init__(self, template: str, *cells: Cell, fmt: str = ".3f") -> None:
        if not isinstance(template, str):
            raise TypeError(f"template must be a string, got {type(template).__name__}")
        placeholders = template.replace("{{", "").replace("}}", "").count("{}")
        if placeholders != len(cells):
            raise ValueError(
                f"template has {placeholders} placeholders '{{}}' "
                f"but {len(cells)} cells were given"
            )
        self.payload = {
            "version": VERSION,
            "type": "text",
            "template": template,
            "cells": [_cell_payload(cell, fmt) for cell in cells],
        }


class MCTable(_MonteCarloOutput):
    """A table with Monte Carlo numbers in it, shown like a pandas DataFrame.

    Parameters
    ----------
    columns : mapping of str to sequence of cells
        Column name -> one cell per row (Estimate, Diagnostic, Approx, Shown, number, str).
    index : sequence of str
        Row labels.
    index_name : str, optional
        Name of the index, shown above the row labels.
    fmt : str or mapping of str to str
        Format spec of the plain numbers, for all columns or by column name.
    """

    def __init__(
        self,
        columns: Mapping[str, Sequence[Cell]],
        index: Sequence[str],
        *,
        index_name: str | None = None,
        fmt: str | Mapping[str, str] = ".3f",
    ) -> None:
        if not columns:
            raise ValueError("columns must hold at least one column")
        self.payload = {
            "version": VERSION,
            "type": "table",
            "index": [str(label) for label in index],
            "index_name": index_name,
            "columns": [],
        }
        formats = fmt if isinstance(fmt, Mapping) else dict.fromkeys(columns, fmt)
        for name, cells in columns.items():
            self._append(name, cells, formats.get(name, ".3f"))

    def _append(self, name: str, cells: Sequence[Cell], fmt: str) -> None:
        cells = list(cells)
        rows = len(self.payload["index"])
        if len(cells) != rows:
            raise ValueError(f"column {name!r} has {len(cells)} cells but there are {rows} rows")
        self.payload["columns"].append([str(name), [_cell_payload(c, fmt) for c in cells]])

    def _with_column_list(self, columns: list) -> MCTable:
        table = MCTable.__new__(MCTable)
        table.payload = {**self.payload, "columns": columns}
        return table

    def with_columns(self, columns: Mapping[str, Sequence[Cell]], *, fmt: str = ".3f") -> MCTable:
        """A new table with ``columns`` (name -> one cell per row) added on the right."""
        table = self._with_column_list(list(self.payload["columns"]))
        for name, cells in columns.items():
            table._append(name, cells, fmt)
        return table

    def join(self, other: MCTable) -> MCTable:
        """A new table with the columns of ``other`` (same rows) added on the right."""
        if other.payload["index"] != self.payload["index"]:
            raise ValueError(
                f"other has rows {other.payload['index']}, not {self.payload['index']}"
            )
        return self._with_column_list(self.payload["columns"] + other.payload["columns"])

    def to_frame(self) -> pd.DataFrame:
        """The table's values as a DataFrame of floats (text cells as strings)."""
        return pd.DataFrame(
            {name: [cell["value"] for cell in cells] for name, cells in self.payload["columns"]},
            index=pd.Index(self.payload["index"], name=self.payload["index_name"]),
        )


def _cells(payload: Mapping) -> Iterable[tuple[str, Mapping]]:
    """(where, cell) for every cell of a payload, ``where`` naming it for messages."""
    if payload["type"] == "text":
        for i, cell in enumerate(payload["cells"]):
            yield f"value {i + 1} of {payload['template']!r}", cell
    else:
        for name, cells in payload["columns"]:
            for label, cell in zip(payload["index"], cells, strict=True):
                yield f"{label!r}, column {name!r}", cell


def check_payload(payload: Mapping, n_mcse: float = N_MCSE) -> list[str]:
    """The rules one run must meet by itself: estimates near their exact values, limits.

    Returns
    -------
    list of str
        One message per broken rule; empty when all hold.
    """
    problems = []
    for where, cell in _cells(payload):
        if cell["kind"] == "estimate" and "exact" in cell:
            distance = abs(cell["value"] - cell["exact"])
            if distance > n_mcse * cell["mcse"]:
                problems.append(
                    f"{where}: estimate {cell['value']:.6g} is "
                    f"{distance / cell['mcse'] if cell['mcse'] else math.inf:.1f} MCSE "
                    f"(MCSE {cell['mcse']:.3g}) from the exact {cell['exact']:.6g}; "
                    f"at most {n_mcse:g} allowed"
                )
        if cell["kind"] == "diagnostic":
            if "at_most" in cell and cell["value"] > cell["at_most"]:
                problems.append(f"{where}: {cell['value']:.6g} is above {cell['at_most']:g}")
            if "at_least" in cell and cell["value"] < cell["at_least"]:
                problems.append(f"{where}: {cell['value']:.6g} is below {cell['at_least']:g}")
    return problems


def _layout(payload: Mapping) -> tuple:
    """Everything of a payload except the numbers: what must be equal between runs."""
    keep = ("kind", "fmt", "at_most", "at_least", "tolerance")

    def shape(cell: Mapping) -> tuple:
        if cell["kind"] == "text":
            return ("text", cell["value"])
        return tuple((key, cell.get(key)) for key in keep)

    if payload["type"] == "text":
        return ("text", payload["template"], tuple(shape(c) for c in payload["cells"]))
    return (
        "table",
        tuple(payload["index"]),
        payload["index_name"],
        tuple((name, tuple(shape(c) for c in cells)) for name, cells in payload["columns"]),
    )


def compare_payloads(stored: Mapping, fresh: Mapping, n_mcse: float = N_MCSE) -> list[str]:
    """Compare a fresh run's output with the stored one, within Monte Carlo error.

    The layout (labels, kinds, formats, limits) must be equal; estimates must agree within
    ``n_mcse`` combined MCSE, ``sqrt(mcse_stored**2 + mcse_fresh**2)``; approximate numbers
    within their tolerance; exact values and deterministic numbers to a relative 1e-9.
    Shown numbers and diagnostics are not compared (:func:`check_payload` asserts limits).

    Returns
    -------
    list of str
        One message per difference; empty when the runs agree.
    """
    if stored.get("version") != VERSION or fresh.get("version") != VERSION:
        return [
            f"payload versions {stored.get('version')} / {fresh.get('version')}, "
            f"expected {VERSION}"
        ]
    if _layout(stored) != _layout(fresh):
        return [
            "the output's layout changed (labels, columns, formats or limits):\n"
            f"  stored: {render(stored)['text/plain']}\n  fresh:  {render(fresh)['text/plain']}"
        ]
    problems = []
    for (where, old), (_, new) in zip(_cells(stored), _cells(fresh), strict=True):
        kind = old["kind"]
        if kind == "estimate":
            allowed = n_mcse * math.hypot(old["mcse"], new["mcse"])
            if abs(new["value"] - old["value"]) > allowed:
                problems.append(
                    f"{where}: {new['value']:.6g} (MCSE {new['mcse']:.3g}) against the stored "
                    f"{old['value']:.6g} (MCSE {old['mcse']:.3g}): more than {n_mcse:g} "
                    "combined MCSE apart"
                )
            if ("exact" in old) != ("exact" in new) or (
                "exact" in old and not math.isclose(old["exact"], new["exact"], rel_tol=EXACT_RTOL)
            ):
                problems.append(
                    f"{where}: exact value {new.get('exact')} != stored {old.get('exact')}"
                )
        elif kind == "approx":
            if abs(new["value"] - old["value"]) > old["tolerance"]:
                problems.append(
                    f"{where}: {new['value']:.6g} against the stored {old['value']:.6g}: "
                    f"more than {old['tolerance']:g} apart"
                )
        elif kind == "exact":
            if not math.isclose(new["value"], old["value"], rel_tol=EXACT_RTOL, abs_tol=1e-12):
                problems.append(f"{where}: {new['value']!r} != stored {old['value']!r}")
    return problems


# ---------------------------------------------------------------------------------------
# Building the tables from a sampler's output (an ArviZ DataTree / InferenceData).

#: R-hat above this means the chains disagree (Vehtari et al., 2021).
MAX_R_HAT = 1.01
#: A bulk ESS below this makes R-hat and the MCSE themselves unreliable (Vehtari et al.,
#: 2021: at least 100 per chain for 4 chains).
MIN_ESS = 400.0

_QUANTILE_STATS = {"eti89_lb": 0.055, "eti89_ub": 0.945, "median": 0.5}
_MCSE_METHOD = {"mean": "mean", "sd": "sd"}


def _flat(dataset: Any, var_names: Sequence[str]) -> np.ndarray:
    """A per-element ArviZ result (a scalar per element), flattened in az.summary's order."""
    return np.concatenate(
        [np.asarray(dataset[name].values, dtype=float).ravel() for name in var_names]
    )


def _mcse(idata: Any, var_names: Sequence[str], stat: str) -> np.ndarray:
    import arviz as az

    if stat in _QUANTILE_STATS:
        result = az.mcse(
            idata, var_names=list(var_names), method="quantile", prob=_QUANTILE_STATS[stat]
        )
    elif stat in _MCSE_METHOD:
        result = az.mcse(idata, var_names=list(var_names), method=_MCSE_METHOD[stat])
    else:
        raise ValueError(
            f"stats may hold {sorted([*_MCSE_METHOD, *_QUANTILE_STATS])}, got {stat!r}"
        )
    return _flat(result, var_names)


def _labels_and_summary(idata: Any, var_names: Sequence[str]) -> pd.DataFrame:
    import arviz as az

    if isinstance(var_names, str) or not var_names:
        raise ValueError(f"var_names must be a non-empty list of names, got {var_names!r}")
    posterior = idata["posterior"] if "posterior" in idata else idata.posterior
    missing = [name for name in var_names if name not in posterior]
    if missing:
        raise ValueError(
            f"var_names: {missing} not in the posterior ({sorted(posterior.data_vars)})"
        )
    return az.summary(idata, var_names=list(var_names), round_to="none")


def _estimates(
    idata: Any,
    var_names: Sequence[str],
    stat: str,
    fmt: str,
    summary: pd.DataFrame | None = None,
    exact: Sequence[float] | None = None,
) -> tuple[list[str], list[Estimate]]:
    """Row labels and one statistic of each row as an Estimate with its MCSE."""
    if summary is None:
        summary = _labels_and_summary(idata, var_names)
    if stat not in summary:
        raise ValueError(f"stat must be a column of az.summary such as 'mean', got {stat!r}")
    mcse = _mcse(idata, var_names, stat)
    targets = list(exact) if exact is not None else [None] * len(mcse)
    estimates = [
        Estimate(value, error, exact=target, fmt=fmt)
        for value, error, target in zip(summary[stat], mcse, targets, strict=True)
    ]
    return list(summary.index), estimates


def _exact_values(values: Any, labels: list[str], stat: str) -> list[float]:
    """Exact values of a statistic, one per row label."""
    if isinstance(values, (int, float, np.number)) and not isinstance(values, bool):
        if len(labels) != 1:
            raise ValueError(f"exact[{stat!r}] is one number but the table has {len(labels)} rows")
        return [_finite(f"exact[{stat!r}]", values)]
    if not isinstance(values, Mapping | pd.Series):
        raise TypeError(f"exact[{stat!r}] must be a number, a mapping or a Series by row label")
    missing = [label for label in labels if label not in values]
    if missing:
        raise ValueError(f"exact[{stat!r}] has no value for {missing}")
    return [_finite(f"exact[{stat!r}][{label!r}]", values[label]) for label in labels]


def posterior_table(
    idata: Any,
    var_names: Sequence[str],
    *,
    stats: Sequence[str] = ("mean", "sd", "eti89_lb", "eti89_ub"),
    exact: Mapping[str, Mapping[str, float]] | None = None,
    diagnostics: bool = True,
    fmt: str = ".3f",
) -> MCTable:
    """ArviZ's posterior summary as an :class:`MCTable`: each statistic with its MCSE.

    Parameters
    ----------
    idata : DataTree
        A sampler's output with a ``posterior`` group.
    var_names : list of str
        Variables to summarize; vector variables give one row per element, labelled as
        ``az.summary`` labels them (``theta[A]``).
    stats : sequence of str
        Among ``mean``, ``sd``, ``median``, ``eti89_lb``, ``eti89_ub``; each is an
        estimate with its MCSE from ``az.mcse`` (``method`` mean, sd or quantile).
    exact : mapping, optional
        ``{stat: values}``, the values a mapping or Series by row label (or one number
        when there is one row); those estimates must lie within ``N_MCSE`` MCSE of them,
        and columns ``exact <stat>`` and ``<stat>: MCSE from exact`` show them.
    diagnostics : bool
        Add ``mcse_mean`` (shown), ``r_hat`` (at most ``MAX_R_HAT``) and ``ess_bulk`` (at
        least ``MIN_ESS``).
    fmt : str
        Format spec of the estimates.
    """
    allowed = [*_MCSE_METHOD, *_QUANTILE_STATS]
    if isinstance(stats, str) or not stats or any(stat not in allowed for stat in stats):
        raise ValueError(f"stats must be a list drawn from {allowed}, got {stats!r}")
    summary = _labels_and_summary(idata, var_names)
    labels = list(summary.index)
    exact = dict(exact or {})
    unknown = set(exact) - set(stats)
    if unknown:
        raise ValueError(f"exact names statistics not in stats: {sorted(unknown)}")
    columns: dict[str, list] = {}
    for stat in stats:
        targets = _exact_values(exact[stat], labels, stat) if stat in exact else None
        columns[stat] = _estimates(idata, var_names, stat, fmt, summary, targets)[1]
        if targets is not None:
            columns[f"exact {stat}"] = targets
            columns[f"{stat}: MCSE from exact"] = [
                Shown((cell.value - target) / cell.mcse if cell.mcse else 0.0, ".1f")
                for cell, target in zip(columns[stat], targets, strict=True)
            ]
    formats = {name: fmt for name in columns}
    if diagnostics:
        columns["mcse_mean"] = [Shown(v, fmt) for v in summary["mcse_mean"]]
        columns["r_hat"] = [Diagnostic(v, at_most=MAX_R_HAT) for v in summary["r_hat"]]
        columns["ess_bulk"] = [
            Diagnostic(v, at_least=MIN_ESS, fmt=".0f") for v in summary["ess_bulk"]
        ]
    return MCTable(columns, labels, fmt=formats)


def sampler_health(
    idata: Any,
    var_names: Sequence[str] | None = None,
    *,
    expect_divergences: bool = False,
    label: str = "",
) -> MCText:
    """One line on a NUTS run: largest R-hat, smallest bulk ESS, number of divergences.

    Parameters
    ----------
    idata : DataTree
        A NUTS run (``sample_stats`` with ``diverging``).
    var_names : list of str, optional
        Variables whose R-hat and ESS count (default: all in the posterior).
    expect_divergences : bool
        False (healthy run): R-hat at most ``MAX_R_HAT``, bulk ESS at least ``MIN_ESS``, no
        divergence. True (a run shown for its trouble): at least one divergence, R-hat and
        ESS shown but not limited.
    label : str
        Put in front of the line, e.g. ``"PyMC: "``.
    """
    import arviz as az

    names = list(var_names) if var_names is not None else list(idata["posterior"].data_vars)
    summary = az.summary(idata, var_names=names, round_to="none")
    divergences = int(np.asarray(idata["sample_stats"]["diverging"]).sum())
    r_hat, ess = float(summary["r_hat"].max()), float(summary["ess_bulk"].min())
    cells: tuple[Cell, ...]
    if expect_divergences:
        cells = (
            Shown(r_hat, ".2f"),
            Shown(ess, ".0f"),
            Diagnostic(divergences, at_least=1, fmt=".0f"),
        )
    else:
        cells = (
            Diagnostic(r_hat, at_most=MAX_R_HAT, fmt=".3f"),
            Diagnostic(ess, at_least=MIN_ESS, fmt=".0f"),
            Diagnostic(divergences, at_most=0, fmt=".0f"),
        )
    template = label.replace("{", "{{").replace("}", "}}")
    template += "largest R-hat {}; smallest bulk ESS {}; divergences {}"
    return MCText(template, *cells)


def mean_estimate(draws: Any, *, exact: float | None = None, fmt: str = ".3f") -> Estimate:
    """The mean of draws (chain, draw, ...) as an :class:`Estimate`, MCSE from ArviZ.

    For a probability, pass the 0/1 indicator draws (``draws > 0``): the estimate is the
    share of draws, its MCSE that of the mean of the indicators.
    """
    import arviz as az

    array = _chain_draw("draws", draws)
    mcse = float(np.asarray(az.mcse(array, method="mean"))) if array.std() > 0 else 0.0
    return Estimate(float(array.mean()), mcse, exact=exact, fmt=fmt)


def quantile_estimate(draws: Any, prob: float, *, fmt: str = ".3f") -> Estimate:
    """A quantile of draws (chain, draw) as an :class:`Estimate`, MCSE from ArviZ."""
    import arviz as az

    array = _chain_draw("draws", draws)
    prob = validation.probability("prob", prob)
    mcse = float(np.asarray(az.mcse(array, method="quantile", prob=prob)))
    return Estimate(float(np.quantile(array, prob)), mcse, fmt=fmt)


def _chain_draw(name: str, draws: Any) -> np.ndarray:
    array = validation.real_array(name, draws, min_size=0, finite=False)
    if array.ndim != 2 or min(array.shape) < 2:
        raise ValueError(
            f"{name} must have shape (chain, draw) with 2+ of each, got {array.shape}"
        )
    if not np.isfinite(array).all():
        raise ValueError(f"{name} must be finite")
    return array


def draws_table(
    draws: Mapping[str, Any],
    *,
    interval: float = 0.89,
    width: bool = False,
    prefix: str = "",
    fmt: str = ".3f",
) -> MCTable:
    """Mean and central interval of several quantities, from their draws (chain, draw).

    Parameters
    ----------
    draws : mapping of str to array
        Row label -> draws of shape (chain, draw), e.g. a prediction's draws.
    interval : float
        Probability of the equal-tailed interval (0.89: columns ``89% low``, ``89% high``).
    width : bool
        Show the interval's width instead of its ends; its MCSE is taken as that of the two
        ends combined as if independent (they are nearly so in the tails).
    fmt : str
        Format spec of the numbers.
    """
    interval = validation.probability("interval", interval)
    if not draws:
        raise ValueError("draws must hold at least one quantity")
    tail = (1 - interval) / 2
    percent = f"{interval:.0%}"
    means, lows, highs = [], [], []
    for label, values in draws.items():
        array = _chain_draw(f"draws[{label!r}]", values)
        means.append(mean_estimate(array, fmt=fmt))
        lows.append(quantile_estimate(array, tail, fmt=fmt))
        highs.append(quantile_estimate(array, 1 - tail, fmt=fmt))
    columns: dict[str, list] = {f"{prefix}mean": means}
    if width:
        columns[f"{prefix}{percent} width"] = [
            Estimate(high.value - low.value, math.hypot(low.mcse, high.mcse), fmt=fmt)
            for low, high in zip(lows, highs, strict=True)
        ]
    else:
        columns[f"{prefix}{percent} low"], columns[f"{prefix}{percent} high"] = lows, highs
    return MCTable(columns, list(draws), fmt=fmt)


def side_by_side(
    first: Any,
    second: Any,
    rows: Mapping[str, tuple[str, str]],
    *,
    names: tuple[str, str] = ("PyMC", "Bambi"),
    same_model: bool = True,
    fmt: str = ".3f",
) -> MCTable:
    """Posterior means from two fits side by side, and their difference.

    Parameters
    ----------
    first, second : DataTree
        The two fits.
    rows : mapping of str to (str, str)
        Row label -> the parameter's name in each fit, as ``az.summary`` labels it
        (``"a_channel[Mail]"``, ``"1|channel[Mail]"``).
    names : (str, str)
        What to call the fits in the column names.
    same_model : bool
        True when both fit the same model: the difference of two independent estimates
        then has exact value 0 and MCSE ``hypot(mcse_1, mcse_2)``, and the table asserts
        (:func:`check_payload`) that the fits agree within Monte Carlo error.
    fmt : str
        Format spec of the numbers.
    """
    if not rows:
        raise ValueError("rows must name at least one parameter")
    means = []
    for position, idata in enumerate((first, second)):
        wanted = [pair[position] for pair in rows.values()]
        var_names = list(dict.fromkeys(label.split("[")[0] for label in wanted))
        labels, estimates = _estimates(idata, var_names, "mean", fmt)
        by_label = dict(zip(labels, estimates, strict=True))
        missing = [label for label in wanted if label not in by_label]
        if missing:
            raise ValueError(f"{names[position]} fit has no parameter {missing}")
        means.append([by_label[label] for label in wanted])
    differences = [
        Estimate(a.value - b.value, math.hypot(a.mcse, b.mcse), 0.0 if same_model else None, fmt)
        for a, b in zip(*means, strict=True)
    ]
    columns: dict[str, Sequence[Cell]] = {
        f"{names[0]} mean": means[0],
        f"{names[1]} mean": means[1],
        "difference": differences,
        "MCSE of difference": [Shown(d.mcse, fmt) for d in differences],
    }
    return MCTable(columns, list(rows), fmt=fmt)


def loo_table(
    fits: Mapping[str, Any], run_to_run_sd: Mapping[str, float], *, n_sd: float = 5.0
) -> MCTable:
    """PSIS-LOO model comparison (``az.compare``) with each model's largest Pareto k.

    PSIS-LOO gives no Monte Carlo standard error (and none is meaningful when k > 0.7),
    so the run-to-run variation comes from replicate runs: ``run_to_run_sd`` is the SD of
    each model's elpd over fits with other seeds, and a fresh run's numbers must lie
    within ``n_sd`` times it of the stored ones. The row order is the ranking, so a run
    that ranks the models differently fails too. The largest k is shown as a diagnostic
    that must exceed 0.7 (where PSIS-LOO becomes unreliable), which is what this course's
    lesson expects of leave-one-cell-out on aggregated data.

    Parameters
    ----------
    fits : mapping of str to DataTree
        Model name -> fit with a ``log_likelihood`` group.
    run_to_run_sd : mapping of str to float
        Model name -> SD of its elpd between runs (positive).
    n_sd : float
        How many of those SDs two runs may differ by.
    """
    import warnings

    import arviz as az

    if set(fits) != set(run_to_run_sd):
        raise ValueError(
            f"run_to_run_sd must name the fits {sorted(fits)}, got {sorted(run_to_run_sd)}"
        )
    with warnings.catch_warnings():  # the k-hat warnings: the table shows k-hat itself
        warnings.simplefilter("ignore")
        comparison = az.compare(dict(fits), round_to="none")
        khat = {
            name: float(az.loo(fit, pointwise=True).pareto_k.max()) for name, fit in fits.items()
        }
    order = list(comparison.index)
    tolerance = {
        name: n_sd * _finite(f"run_to_run_sd[{name!r}]", run_to_run_sd[name]) for name in order
    }
    columns: dict[str, Sequence[Cell]] = {
        column: [
            Approx(float(comparison.loc[name, column]), tolerance[name], ".1f") for name in order
        ]
        for column in ("elpd", "se", "elpd_diff", "dse")
    }
    columns["largest k-hat"] = [Diagnostic(khat[name], at_least=0.7, fmt=".2f") for name in order]
    return MCTable(columns, order)
