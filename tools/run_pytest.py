"""Run pytest with the given arguments; a run that collects no test is a failure.

pytest exits with code 5 when it collected nothing. For this course that always means a
mistake (a wrong path, a renamed folder), so it must not pass silently.
"""

import sys

import pytest

NO_TESTS_COLLECTED = 5


def main(args: list[str]) -> int:
    """Run pytest on ``args`` and turn 'no tests collected' into exit code 1."""
    code = int(pytest.main(args))
    if code == NO_TESTS_COLLECTED:
        print(f"error: pytest collected no tests for {' '.join(args)}", file=sys.stderr)
        return 1
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
