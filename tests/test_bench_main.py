"""bench.__main__: the command line (no measurement)."""

import pytest

from bench import __main__ as cli


def test_every_section_is_on_the_command_line_and_has_a_report():
    from bench import report

    assert set(cli.SECTIONS) == set(report.REPORTS)
    for section in cli.SECTIONS:
        assert cli.parse(["--only", section]).only == [section]


def test_a_run_of_some_models_or_notebooks_keeps_the_others():
    assert cli.merges_items("models", cli.parse(["--models", "eight_schools"]))
    assert cli.merges_items("notebooks", cli.parse(["--notebooks", "04_mcmc"]))
    assert not cli.merges_items("models", cli.parse([]))
    assert not cli.merges_items("course", cli.parse(["--notebooks", "04_mcmc"]))
    assert not cli.merges_items("models", cli.parse(["--quick"]))


def test_bad_options_are_refused():
    with pytest.raises(SystemExit):
        cli.parse(["--repeats", "0"])
    with pytest.raises(SystemExit):
        cli.parse(["--stan-calls", "1"])
