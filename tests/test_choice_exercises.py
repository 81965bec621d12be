"""The multiple-choice exercises (predict, interpret) of lessons 01-05, checked alike: the
right letter passes both checks, every wrong letter fails the hidden check with its own
explanation, the visible check (record_choice) records any letter without telling which is
right, and what is not a letter fails both. Each lesson's CHOICES table names, for every
wrong letter, words its explanation must hold."""

from __future__ import annotations

import re

import pytest
import test_exercises_lesson01
import test_exercises_lesson02
import test_exercises_lesson03
import test_exercises_lesson04
import test_exercises_lesson05
from test_exercise_checks import cells, run, worked

from course_utils.checks import AnswerError

SETUP = ("imports",)
LESSONS = {
    test_exercises_lesson01.L01: test_exercises_lesson01.CHOICES,
    test_exercises_lesson02.L02: test_exercises_lesson02.CHOICES,
    test_exercises_lesson03.L03: test_exercises_lesson03.CHOICES,
    test_exercises_lesson04.L04: test_exercises_lesson04.CHOICES,
    test_exercises_lesson05.L05: test_exercises_lesson05.CHOICES,
}
# (lesson, answer id, check id, variable, right letter, {wrong letter: words})
CHOICES = [(lesson, *choice) for lesson, choices in LESSONS.items() for choice in choices]
CASES = [
    (lesson, answer_id, check_id, variable, right, letter, words)
    for lesson, answer_id, check_id, variable, right, wrong in CHOICES
    for letter, words in wrong.items()
]
CHOICE_IDS = [choice[2] for choice in CHOICES]
CASE_IDS = [f"{case[2]}-{case[5]}" for case in CASES]
FIELDS = ("lesson", "answer_id", "check_id", "variable", "right")


@pytest.mark.parametrize((*FIELDS, "wrong"), CHOICES, ids=CHOICE_IDS)
@pytest.mark.parametrize("which", ["hidden", "visible"])
def test_the_right_letter_passes(lesson, answer_id, check_id, variable, right, wrong, which):
    assert f'{variable} = "{right}"' in worked(lesson, answer_id)
    run(lesson, SETUP, check_id, worked(lesson, answer_id), which)
    run(lesson, SETUP, check_id, f'{variable} = "({right.upper()})"', which)


@pytest.mark.parametrize((*FIELDS, "letter", "words"), CASES, ids=CASE_IDS)
def test_a_wrong_letter_fails_the_hidden_check_with_its_explanation(
    lesson, answer_id, check_id, variable, right, letter, words
):
    with pytest.raises(AnswerError) as failure:
        run(lesson, SETUP, check_id, f'{variable} = "{letter}"', "hidden")
    assert f"{variable} = {letter!r} is not right" in str(failure.value)
    assert words in str(failure.value)


@pytest.mark.parametrize((*FIELDS, "letter", "words"), CASES, ids=CASE_IDS)
def test_the_visible_check_records_a_wrong_letter_without_telling(
    lesson, answer_id, check_id, variable, right, letter, words
):
    run(lesson, SETUP, check_id, f'{variable} = "{letter}"', "visible")  # recorded, no error
    visible = cells(lesson)[check_id].split("### END HIDDEN TESTS")[1]
    assert words not in visible and f'"{right}"' not in visible


@pytest.mark.parametrize((*FIELDS, "wrong"), CHOICES, ids=CHOICE_IDS)
@pytest.mark.parametrize("which", ["hidden", "visible"])
@pytest.mark.parametrize(
    ("answer", "message"),
    [("= 2", "(a string)"), ('= "e"', "answer with one of the letters"), ("= None", "got None")],
)
def test_what_is_not_a_letter_fails_both_checks(
    lesson, answer_id, check_id, variable, right, wrong, which, answer, message
):
    with pytest.raises(AnswerError, match=re.escape(message)):
        run(lesson, SETUP, check_id, f"{variable} {answer}", which)


@pytest.mark.parametrize((*FIELDS, "wrong"), CHOICES, ids=CHOICE_IDS)
@pytest.mark.parametrize("which", ["hidden", "visible"])
def test_a_blank_answer_fails_both_checks(
    lesson, answer_id, check_id, variable, right, wrong, which
):
    with pytest.raises(NameError):
        run(lesson, SETUP, check_id, "", which)
