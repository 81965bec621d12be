"""A pytest plugin extending nbval: sampler outputs are compared within Monte Carlo error.

A notebook cell that shows Monte Carlo results through ``course_utils.montecarlo`` (an
``MCTable`` or ``MCText``, or a ``check_mcmc`` result) stores, beside its text, a
machine-readable copy of its numbers. For such an output, nbval's exact comparison is
replaced by the rules of :mod:`course_utils.montecarlo`:

- the stored text must be exactly what its stored numbers render to (so a number edited
  by hand in the text is caught), and the fresh run's layout must equal the stored one;
- estimates agree within ``N_MCSE`` combined Monte Carlo standard errors, exact values and
  deterministic numbers to a relative 1e-9;
- in the fresh run, every estimate lies within ``N_MCSE`` MCSE of its exact value, and
  every diagnostic (R-hat, ESS, divergences) within its limits.

Every other output of every cell is compared by nbval as before. The plugin is
registered with pytest by the package's entry point (``pytest11`` in pyproject.toml), so
it applies to every ``pytest --nbval`` run in the course's environment; without
``--nbval`` it does nothing.
"""

from __future__ import annotations

from typing import Any

from course_utils import montecarlo

__all__ = ["pytest_configure"]


def _split(outputs: list[Any]) -> tuple[list[Any], list[Any]]:
    """(outputs with a Monte Carlo payload, all the others), order kept within each."""
    with_payload: list[Any] = []
    others: list[Any] = []
    for output in outputs:
        data = output.get("data", {})
        (with_payload if montecarlo.MIME in data else others).append(output)
    return with_payload, others


def _problems(stored: list[Any], fresh: list[Any]) -> list[str]:
    """Why the Monte Carlo outputs of a fresh run do not match the stored ones."""
    if len(stored) != len(fresh):
        return [f"{len(fresh)} Monte Carlo outputs, but {len(stored)} stored"]
    problems = []
    for number, (old, new) in enumerate(zip(stored, fresh, strict=True), start=1):
        where = f"Monte Carlo output {number}"
        old_payload, new_payload = old["data"][montecarlo.MIME], new["data"][montecarlo.MIME]
        for mime, text in montecarlo.render(old_payload).items():
            if old["data"].get(mime) != text:
                problems.append(
                    f"{where}: the stored {mime} is not what its stored numbers render to "
                    f"(edited by hand?):\n{old['data'].get(mime)}\n!=\n{text}"
                )
        for mime, text in montecarlo.render(new_payload).items():
            if new["data"].get(mime) != text:
                problems.append(f"{where}: the fresh {mime} is not what its numbers render to")
        problems += [f"{where}, stored run: {p}" for p in montecarlo.check_payload(old_payload)]
        problems += [f"{where}: {p}" for p in montecarlo.check_payload(new_payload)]
        problems += [
            f"{where}: {p}" for p in montecarlo.compare_payloads(old_payload, new_payload)
        ]
    return problems


def pytest_configure(config: Any) -> None:
    """Wrap nbval's output comparison when nbval is active."""
    if not (getattr(config.option, "nbval", False) or getattr(config.option, "nbval_lax", False)):
        return
    from nbval.plugin import IPyNbCell

    if getattr(IPyNbCell.compare_outputs, "_montecarlo", False):
        return
    nbval_compare = IPyNbCell.compare_outputs

    def compare_outputs(self: Any, test: Any, ref: Any, skip_compare: Any = None) -> Any:
        stored_mc, stored_other = _split(ref)
        fresh_mc, fresh_other = _split(test)
        if not stored_mc and not fresh_mc:
            return nbval_compare(self, test, ref, skip_compare)
        if not nbval_compare(self, fresh_other, stored_other, skip_compare):
            return False
        problems = _problems(stored_mc, fresh_mc)
        if problems:
            self.comparison_traceback = [
                "Monte Carlo outputs differ beyond Monte Carlo error:",
                *problems,
            ]
            return False
        return True

    compare_outputs._montecarlo = True  # type: ignore[attr-defined]
    IPyNbCell.compare_outputs = compare_outputs
