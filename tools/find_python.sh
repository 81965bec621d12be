#!/bin/sh
# Print the path of a Python interpreter >= 3.12 for the course's virtual environment.
# Looks on PATH first (python3.12, python3.13, python3.14, python3), then in pyenv's
# installed versions. Each candidate is run once to prove that it works (a pyenv shim
# for an inactive version exists on PATH but fails when run).
# Exits 1 with a message saying what to install when there is none.

works() {
    "$1" -c 'import sys, venv, ensurepip; sys.exit(0 if sys.version_info >= (3, 12) else 1)' \
        >/dev/null 2>&1
}

for name in python3.12 python3.13 python3.14 python3; do
    candidate=$(command -v "$name" 2>/dev/null) || continue
    if works "$candidate"; then
        "$candidate" -c 'import sys; print(sys.executable)'
        exit 0
    fi
done

pyenv_root=${PYENV_ROOT:-$HOME/.pyenv}
if [ -d "$pyenv_root/versions" ]; then
    # Plain CPython versions such as 3.12.1: the lock is resolved for 3.12, so the
    # oldest qualifying minor version comes first, its newest patch release first.
    for dir in $(ls "$pyenv_root/versions" | grep -E '^3\.[0-9]+\.[0-9]+$' | sort -t. -k2,2n -k3,3nr); do
        candidate="$pyenv_root/versions/$dir/bin/python3"
        if [ -x "$candidate" ] && works "$candidate"; then
            echo "$candidate"
            exit 0
        fi
    done
fi

cat >&2 <<'MSG'
error: this course needs Python 3.12 or newer (with venv and pip), and none was found
on PATH (python3.12, python3.13, python3.14, python3) or among pyenv's versions.
Install one, for example:
  Debian/Ubuntu:  sudo apt-get install python3.12 python3.12-venv
  macOS:          brew install python@3.12
  Windows:        https://www.python.org/downloads/ (then use WSL or Git Bash for make)
  pyenv:          pyenv install 3.12
or point the setup at one with:  make PYTHON=/path/to/python3.12 test
MSG
exit 1
