"""Shared helpers for the notebook tools: where the notebooks are, how to run one."""

from __future__ import annotations

import contextlib
import hashlib
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
#: nbclient's wait for a new kernel's first reply, in seconds.
KERNEL_STARTUP_TIMEOUT_S = 120
SOLUTIONS = ROOT / "solutions"
LESSONS = ROOT / "lessons"


def lesson_names() -> list[str]:
    """Names of the lesson folders in solutions/, e.g. ``00_start_here``, in order."""
    return sorted(p.name for p in SOLUTIONS.iterdir() if p.is_dir() and any(p.glob("*.ipynb")))


def sha256(path: Path) -> str:
    """Hex SHA-256 of a file's bytes."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def execute(
    path: Path, timeout: int = 600, keep_widget_state: bool = False
) -> nbformat.NotebookNode:
    """Run a notebook top to bottom in a fresh kernel, in its own folder; return it.

    Widget state is dropped unless ``keep_widget_state`` (the slide decks need it)."""
    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(
        notebook,
        timeout=timeout,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
        record_timing=False,
    )
    client.execute()
    # Widget state holds random model ids: keeping it would change the file on every run.
    if not keep_widget_state:
        notebook.metadata.pop("widgets", None)
    # The patch version of the Python that ran it is no property of the notebook.
    notebook.metadata.get("language_info", {}).pop("version", None)
    return notebook


@contextlib.contextmanager
def ipc_client(
    notebook: nbformat.NotebookNode, folder: Path, timeout: int, prefix: str = "kernel-"
) -> Iterator[NotebookClient]:
    """An nbclient client for ``notebook`` (run in ``folder``, errors allowed) whose kernel
    talks over IPC sockets in a private temporary folder instead of TCP ports on localhost;
    on leaving, the kernel is shut down and the folder removed.

    TCP kernels once hung here: the client and a kernel both sat idle, each waiting for the
    other, until the cell timeout. And nbclient leaves a kernel it was handed running until
    the process exits, so this ends it at once.
    """
    from jupyter_client.manager import AsyncKernelManager
    from nbclient.util import run_sync

    sockets = Path(tempfile.mkdtemp(prefix=prefix))
    manager = AsyncKernelManager(kernel_name="python3", transport="ipc", ip=str(sockets / "k"))
    client = NotebookClient(
        notebook,
        km=manager,
        timeout=timeout,
        startup_timeout=KERNEL_STARTUP_TIMEOUT_S,
        kernel_name="python3",
        allow_errors=True,
        resources={"metadata": {"path": str(folder)}},
    )
    try:
        yield client
    finally:
        if manager.has_kernel:
            run_sync(manager.shutdown_kernel)(now=True)
        shutil.rmtree(sockets, ignore_errors=True)
