"""A Jupyter kernel in a bubblewrap sandbox, and a cell runner with time and output limits.

The kernel runs under ``bwrap`` as uid/gid 65534 in new user, PID, network, IPC, UTS and
cgroup namespaces (``--unshare-all``), in a new session, with ``--die-with-parent``. Its
filesystem is a fresh, read-only root holding only:

* read-only: ``/usr`` (and the ``/bin``, ``/lib`` ... links or folders), the Python
  installation and the virtual environment the grader runs in, a few files of ``/etc``,
  and the host paths the caller lists (``course_utils`` and ``data/``);
* ``/tmp`` (and ``/dev/shm``): an empty tmpfs of bounded size;
* ``/home/student``: a private, writable scratch folder (HOME and working folder) holding
  read-only copies of the files the caller lists (the notebook being graded);
* ``/run/kernel``: the kernel's connection file and unix sockets (IPC transport: a kernel
  in its own network namespace cannot use TCP to reach the grader), a private folder of
  the host's ``/tmp`` (a socket's path may not be longer than 107 bytes).

The client (``jupyter_client``) stays in the grader's process, outside the sandbox. It sends
one cell at a time and enforces the limits: a per-cell timeout (an interrupt first, then
the whole sandbox is killed if the kernel does not stop), a per-notebook wall-clock limit,
and a cap on the bytes of output collected. A kernel that dies is reported with its exit
code or signal. Where the machine allows it (see ``pids_cgroup``) the sandbox may hold
at most ``Limits.max_processes`` processes and threads. Killing the sandbox's first
process (PID 1 of its namespace) ends every process the notebook started, detached or not.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

SANDBOX_UID = 65534
INSIDE_HOME = "/home/student"
INSIDE_IPC = "/run/kernel"
#: Environment variables passed from the grader to the kernel (results depend on them).
PASSED_ENV = (
    "NUMBA_CPU_NAME",
    "NUMBA_CPU_FEATURES",
    "OMP_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
    "TZ",
)
#: Folders of the sandbox's home that hold compile caches (see KernelSandbox.save_caches).
CACHE_FOLDERS = (".pytensor", ".cache")
_ETC_FILES = ("ld.so.cache", "ld.so.conf", "ld.so.conf.d", "localtime", "fonts", "alternatives")
_OUTPUT_TYPES = {"stream", "display_data", "execute_result", "error", "update_display_data"}


class SandboxError(RuntimeError):
    """The sandbox could not be set up or started (a problem of the grading machine)."""


@dataclass(frozen=True)
class Limits:
    """What one notebook run may use. Times in seconds, sizes in bytes."""

    cell_timeout: float = 600.0
    notebook_timeout: float = 1800.0
    max_output_bytes: int = 10 * 2**20
    startup_timeout: float = 120.0
    interrupt_grace: float = 10.0
    max_message_bytes: int = 64 * 2**20
    max_file_bytes: int = 2**30
    tmp_bytes: int = 2**30
    max_processes: int = 1024

    def __post_init__(self) -> None:
        for name, value in asdict(self).items():
            if not (isinstance(value, int | float) and value > 0):
                raise ValueError(f"{name} must be a positive number, got {value!r}")

    def as_dict(self) -> dict[str, float]:
        return asdict(self)


@dataclass
class CellResult:
    """How one cell ended.

    ``status`` is ``"ok"``, ``"error"`` (the cell raised; ``error`` says what),
    ``"timeout"`` (interrupted after the per-cell limit; the kernel lives on) or
    ``"stopped"`` (the sandbox is gone; ``error`` says why: a time limit, the output cap,
    the kernel's death)."""

    status: str
    seconds: float
    error: str = ""
    outputs: list[dict] = field(default_factory=list)


def bwrap_path() -> str:
    """The bubblewrap executable, or SandboxError saying how to install it."""
    found = shutil.which("bwrap")
    if not found:
        raise SandboxError(
            "bubblewrap (bwrap) is not installed: grading runs every notebook in a sandbox. "
            "Install it with `apt-get install bubblewrap` (Debian/Ubuntu)."
        )
    return found


def describe_exit(code: int) -> str:
    """'kernel died (signal 11, SIGSEGV)' or 'kernel died (exit code 1)' from an exit status.

    bwrap passes the kernel's exit code on, and 128 + N when a signal N killed it."""
    if code < 0:
        number = -code
    elif code > 128:
        number = code - 128
    else:
        return f"kernel died (exit code {code})"
    try:
        name = signal.Signals(number).name
    except ValueError:
        return f"kernel died (signal {number})"
    return f"kernel died (signal {number}, {name})"


def _system_binds() -> list[str]:
    """bwrap arguments for /usr, the top-level links into it, and the Python installation."""
    args = ["--ro-bind", "/usr", "/usr"]
    for name in ("bin", "sbin", "lib", "lib32", "lib64", "libx32"):
        path = Path("/") / name
        if path.is_symlink():
            args += ["--symlink", os.readlink(path), str(path)]
        elif path.is_dir():
            args += ["--ro-bind", str(path), str(path)]
    prefixes = {Path(sys.base_prefix).resolve(), Path(sys.prefix).resolve()}
    prefixes |= {Path(sys.base_prefix), Path(sys.prefix)}
    for prefix in sorted(prefixes):
        if not any(prefix.is_relative_to(p) for p in (Path("/usr"),)):
            args += ["--ro-bind", str(prefix), str(prefix)]
    for name in _ETC_FILES:
        args += ["--ro-bind-try", f"/etc/{name}", f"/etc/{name}"]
    return args


def pids_cgroup(limit: int) -> Path | None:
    """A new cgroup holding at most ``limit`` processes and threads, or None where this
    machine does not let the grader make one (cgroup v1's pids hierarchy as root, or a
    cgroup v2 root with the pids controller). A fork bomb then fails inside its sandbox
    instead of filling the machine's process table until its cell times out."""
    name = f"bayes-grading-{secrets.token_hex(8)}"
    candidates = [Path("/sys/fs/cgroup/pids")]
    v2 = Path("/sys/fs/cgroup")
    with contextlib.suppress(OSError):
        if "pids" in (v2 / "cgroup.subtree_control").read_text().split():
            candidates.append(v2)
    for parent in candidates:
        path = parent / name
        try:
            path.mkdir()
        except OSError:
            continue
        try:
            (path / "pids.max").write_text(str(int(limit)))
            return path
        except OSError:
            with contextlib.suppress(OSError):
                path.rmdir()
    return None


def _short_tmp() -> str:
    """/tmp when it is usable (a short path), else the system's temporary folder."""
    return "/tmp" if os.access("/tmp", os.W_OK | os.X_OK) else tempfile.gettempdir()


#: Started (with ``python -I -S``) in place of bwrap, in a fresh single-threaded process: it
#: joins the process cap's cgroup, sets the resource limits, makes the sandbox the first
#: process the out-of-memory killer picks, and then becomes bwrap (exec), so that everything
#: in the sandbox inherits all of it. (Doing this in Popen's preexec_fn would run Python in
#: a fork of the grader, whose other threads may hold locks.)
LAUNCHER = """
import os, resource, sys
cgroup, file_bytes = sys.argv[1], int(sys.argv[2])
if cgroup:
    try:
        with open(os.path.join(cgroup, "cgroup.procs"), "w") as handle:
            handle.write(str(os.getpid()))
    except OSError:
        pass
resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
resource.setrlimit(resource.RLIMIT_FSIZE, (file_bytes, file_bytes))
try:
    with open("/proc/self/oom_score_adj", "w") as handle:
        handle.write("1000")
except OSError:
    pass
os.execv(sys.argv[3], sys.argv[3:])
"""


class _TailReader(threading.Thread):
    """Drains a pipe and keeps its last ``keep`` bytes (the kernel's own stdout/stderr)."""

    def __init__(self, stream, keep: int = 16_384) -> None:
        super().__init__(daemon=True)
        self.stream, self.keep, self.tail = stream, keep, b""

    def run(self) -> None:
        with contextlib.suppress(OSError, ValueError):
            for chunk in iter(lambda: self.stream.read1(65536), b""):
                self.tail = (self.tail + chunk)[-self.keep :]

    def text(self) -> str:
        return self.tail.decode("utf-8", "replace")


def _output_size(msg_type: str, content: dict) -> int:
    if msg_type == "stream":
        return len(str(content.get("text", "")))
    if msg_type == "error":
        parts = [content.get("ename", ""), content.get("evalue", "")]
        parts += list(content.get("traceback", []) or [])
        return sum(len(str(p)) for p in parts)
    data = content.get("data", {}) or {}
    return sum(len(v) if isinstance(v, str) else len(json.dumps(v)) for v in data.values())


class KernelSandbox:
    """One kernel in one sandbox; use as a context manager.

    Parameters
    ----------
    scratch : Path
        A folder that does not exist yet, outside anything the sandbox may see; it holds
        the sandbox's home and sockets and is removed on exit.
    limits : Limits
    readonly : list of Path
        Host folders the kernel may read, bound at the same paths (``course_utils``,
        ``data``).
    files : dict
        Name in the sandbox's home folder -> host file, bound read-only (the notebook).
    env : dict
        Extra environment variables for the kernel.
    home_template : Path, optional
        A folder whose contents are copied into the home folder before the kernel starts:
        compile caches made by a trusted run (see ``save_caches``), so that each notebook
        does not compile every model again. Each sandbox gets its own copy.
    """

    def __init__(
        self,
        scratch: Path,
        limits: Limits,
        *,
        readonly: list[Path] = (),
        files: dict[str, Path] | None = None,
        env: dict[str, str] | None = None,
        home_template: Path | None = None,
    ) -> None:
        self.scratch = Path(scratch)
        self.home_template = Path(home_template) if home_template else None
        self.limits = limits
        self.readonly = [Path(p) for p in readonly]
        self.files = dict(files or {})
        self.env = dict(env or {})
        self.process: subprocess.Popen | None = None
        self.client = None
        self.stopped = ""  # why the sandbox ended, once it has
        self.init_pid: int | None = None
        self.output_bytes = 0
        self.started_at = 0.0
        self.deadline = 0.0
        self._context = None
        self._stderr: _TailReader | None = None
        self.cgroup: Path | None = None
        self.ipc: Path | None = None

    # -- setup -------------------------------------------------------------------------

    def _command(self, info_fd: int) -> list[str]:
        home, ipc, etc = self.scratch / "home", self.ipc, self.scratch / "etc"
        args = [bwrap_path(), "--unshare-all", "--unshare-user", "--disable-userns"]
        args += ["--die-with-parent", "--new-session", "--hostname", "sandbox"]
        args += ["--uid", str(SANDBOX_UID), "--gid", str(SANDBOX_UID)]
        args += ["--info-fd", str(info_fd)]
        # Mounts apply in order: /tmp's tmpfs first, so that binds of folders that live
        # below the host's /tmp (a checkout or a venv there) land on it, not under it.
        args += ["--proc", "/proc", "--dev", "/dev"]
        args += ["--size", str(int(self.limits.tmp_bytes)), "--tmpfs", "/tmp"]
        args += _system_binds()
        args += ["--ro-bind", str(etc / "passwd"), "/etc/passwd"]
        args += ["--ro-bind", str(etc / "group"), "/etc/group"]
        for path in self.readonly:
            args += ["--ro-bind", str(path), str(path)]
        args += ["--bind", str(home), INSIDE_HOME, "--bind", str(ipc), INSIDE_IPC]
        for name, path in self.files.items():
            args += ["--ro-bind", str(path), f"{INSIDE_HOME}/{name}"]
        args += ["--remount-ro", "/"]  # the root bwrap built: only the binds above write
        args += ["--chdir", INSIDE_HOME, "--clearenv"]
        environment = {
            "PATH": f"{sys.prefix}/bin:/usr/local/bin:/usr/bin:/bin",
            "HOME": INSIDE_HOME,
            "USER": "student",
            "LOGNAME": "student",
            "LANG": "C.UTF-8",
            "TMPDIR": "/tmp",
            "PYTHONNOUSERSITE": "1",
            "PYTHONDONTWRITEBYTECODE": "1",
            "JUPYTER_PLATFORM_DIRS": "1",
            "PYDEVD_DISABLE_FILE_VALIDATION": "1",
        }
        environment |= {k: os.environ[k] for k in PASSED_ENV if k in os.environ}
        environment |= self.env
        for key, value in environment.items():
            args += ["--setenv", key, value]
        kernel = [sys.executable, "-m", "ipykernel_launcher", "-f", f"{INSIDE_IPC}/kernel.json"]
        kernel += ["--HistoryManager.hist_file=:memory:", "--IPKernelApp.log_level=ERROR"]
        return [*args, "--", *kernel]

    def _prepare(self) -> dict[str, Any]:
        if self.scratch.exists():
            raise SandboxError(f"scratch folder {self.scratch} exists already")
        self.scratch.mkdir(parents=True, mode=0o700)
        for name in ("home", "etc"):
            (self.scratch / name).mkdir(mode=0o700)
        # A unix socket's path has at most 107 bytes: the sockets get a short folder of
        # their own (mode 0700) rather than one deep in the work folder.
        self.ipc = Path(tempfile.mkdtemp(prefix="grading-ipc-", dir=_short_tmp()))
        if len(str(self.ipc / "k-5")) > 100:
            raise SandboxError(f"no short folder for the kernel's sockets ({self.ipc})")
        if self.home_template is not None and self.home_template.is_dir():
            shutil.copytree(self.home_template, self.scratch / "home", dirs_exist_ok=True)
        etc = self.scratch / "etc"
        (etc / "passwd").write_text(
            "root:x:0:0:root:/root:/usr/sbin/nologin\n"
            f"student:x:{SANDBOX_UID}:{SANDBOX_UID}:student:{INSIDE_HOME}:/usr/sbin/nologin\n"
        )
        (etc / "group").write_text(f"root:x:0:\nstudent:x:{SANDBOX_UID}:\n")
        key = secrets.token_hex(32)
        inside = {
            "transport": "ipc",
            "ip": f"{INSIDE_IPC}/k",
            "shell_port": 1,
            "iopub_port": 2,
            "stdin_port": 3,
            "control_port": 4,
            "hb_port": 5,
            "key": key,
            "signature_scheme": "hmac-sha256",
            "kernel_name": "python3",
        }
        (self.ipc / "kernel.json").write_text(json.dumps(inside))
        return inside | {"ip": str(self.ipc / "k")}

    def __enter__(self) -> KernelSandbox:
        try:
            self.start()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def start(self) -> None:
        """Start the sandboxed kernel and wait until it answers; SandboxError if it cannot."""
        import zmq
        from jupyter_client.blocking import BlockingKernelClient

        outside = self._prepare()
        self.cgroup = pids_cgroup(self.limits.max_processes)
        info_read, info_write = os.pipe()
        try:
            launcher = [sys.executable, "-I", "-S", "-c", LAUNCHER, str(self.cgroup or "")]
            launcher.append(str(int(self.limits.max_file_bytes)))
            self.process = subprocess.Popen(
                [*launcher, *self._command(info_write)],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                pass_fds=(info_write,),
                start_new_session=True,
            )
        finally:
            os.close(info_write)
        self._stderr = _TailReader(self.process.stdout)
        self._stderr.start()
        self.started_at = time.monotonic()
        self.deadline = self.started_at + self.limits.notebook_timeout
        self.init_pid = self._read_info(info_read)
        self._context = zmq.Context()
        self._context.setsockopt(zmq.MAXMSGSIZE, int(self.limits.max_message_bytes))
        self._context.setsockopt(zmq.RCVHWM, 256)
        self.client = BlockingKernelClient(context=self._context)
        self.client.load_connection_info(outside)
        self.client.session.packer = "json"
        self.client.session.unpacker = "json"
        self.client.start_channels(shell=True, iopub=True, stdin=False, hb=False, control=True)
        self._wait_until_ready()

    def _read_info(self, fd: int) -> int | None:
        """bwrap writes {"child-pid": N} once the sandbox is set up: N is its PID 1 here."""
        data = b""
        end = time.monotonic() + self.limits.startup_timeout
        try:
            while time.monotonic() < end:
                ready, _, _ = select.select([fd], [], [], 0.1)
                if ready:
                    chunk = os.read(fd, 4096)
                    if not chunk:
                        break
                    data += chunk
                    with contextlib.suppress(ValueError):
                        return int(json.loads(data)["child-pid"])
                elif self.process.poll() is not None:
                    break
        finally:
            os.close(fd)
        time.sleep(0.2)
        raise SandboxError(
            "bubblewrap could not start the sandbox: "
            + (self._stderr.text().strip()[-800:] or f"exit code {self.process.poll()}")
            + "\n(grading needs bubblewrap with user namespaces: run as root, or enable "
            "unprivileged user namespaces, e.g. sysctl kernel.unprivileged_userns_clone=1)"
        )

    def _wait_until_ready(self) -> None:
        """Ask for kernel_info until the reply and a status message on IOPub both arrive
        (so that no output of the first cell is lost to a late subscription)."""
        end = time.monotonic() + self.limits.startup_timeout
        while time.monotonic() < end:
            if self.process.poll() is not None:
                raise SandboxError(
                    f"the kernel did not start ({describe_exit(self.process.returncode)}): "
                    + self._stderr.text().strip()[-800:]
                )
            msg_id = self.client.kernel_info()
            replied = seen_iopub = False
            until = time.monotonic() + 1.0
            while time.monotonic() < until and not (replied and seen_iopub):
                with contextlib.suppress(Exception):
                    reply = self.client.get_shell_msg(timeout=0.05)
                    replied |= reply["parent_header"].get("msg_id") == msg_id
                with contextlib.suppress(Exception):
                    self.client.get_iopub_msg(timeout=0.05)
                    seen_iopub = True
            if replied and seen_iopub:
                with contextlib.suppress(Exception):
                    while True:
                        self.client.get_iopub_msg(timeout=0.1)
                return
        raise SandboxError(
            f"the kernel did not answer within {self.limits.startup_timeout:g} s: "
            + self._stderr.text().strip()[-800:]
        )

    # -- running cells -----------------------------------------------------------------

    def seconds_left(self) -> float:
        return self.deadline - time.monotonic()

    def restart_clock(self) -> None:
        """Give the notebook its whole time limit again from now (a kept reference kernel
        answering a later request)."""
        self.deadline = time.monotonic() + self.limits.notebook_timeout

    def run_cell(
        self, code: str, *, store_history: bool = True, keep_outputs: bool = False
    ) -> CellResult:
        """Execute one cell; never raises for anything the cell does."""
        start = time.monotonic()
        if self.stopped:
            return CellResult("stopped", 0.0, self.stopped)
        cell_limit = self.limits.cell_timeout
        deadline = min(start + cell_limit, self.deadline)
        msg_id = self.client.execute(
            code, store_history=store_history, allow_stdin=False, stop_on_error=False
        )
        outputs: list[dict] = []
        reply: dict | None = None
        idle = False
        interrupted_at: float | None = None
        shell, iopub = self.client.shell_channel, self.client.iopub_channel
        import zmq

        poller = zmq.Poller()
        poller.register(shell.socket, zmq.POLLIN)
        poller.register(iopub.socket, zmq.POLLIN)
        while reply is None or not idle:
            now = time.monotonic()
            if self.process.poll() is not None:
                self._stop(describe_exit(self.process.returncode))
                return CellResult("stopped", now - start, self.stopped)
            if now >= deadline:
                if now >= self.deadline:
                    self._stop(f"notebook time limit ({self.limits.notebook_timeout:g} s) reached")
                    return CellResult("stopped", now - start, self.stopped)
                if interrupted_at is None:
                    interrupted_at = now
                    self._interrupt()
                    deadline = min(now + self.limits.interrupt_grace, self.deadline)
                    continue
                self._stop(f"timed out after {cell_limit:g} s")
                return CellResult("stopped", now - start, self.stopped)
            events = dict(poller.poll(timeout=min(100, max(1, int((deadline - now) * 1000)))))
            if iopub.socket in events:
                msg = self._receive(iopub)
                if msg and msg["parent_header"].get("msg_id") == msg_id:
                    kind, content = msg["msg_type"], msg["content"]
                    if kind == "status" and content.get("execution_state") == "idle":
                        idle = True
                    elif kind in _OUTPUT_TYPES:
                        self.output_bytes += _output_size(kind, content)
                        if self.output_bytes > self.limits.max_output_bytes:
                            megabytes = self.limits.max_output_bytes / 2**20
                            self._stop(f"output too large (more than {megabytes:g} MB)")
                            return CellResult("stopped", time.monotonic() - start, self.stopped)
                        if keep_outputs:
                            outputs.append({"output_type": kind, **content})
            if shell.socket in events:
                msg = self._receive(shell)
                if msg and msg["parent_header"].get("msg_id") == msg_id:
                    if msg["msg_type"] == "execute_reply":
                        reply = msg["content"]
        seconds = time.monotonic() - start
        if interrupted_at is not None:
            return CellResult("timeout", seconds, f"timed out after {cell_limit:g} s", outputs)
        if reply.get("status") == "error":
            error = f"{reply.get('ename', 'Error')}: {reply.get('evalue', '')}"
            return CellResult("error", seconds, error[:1000], outputs)
        return CellResult("ok", seconds, "", outputs)

    def _receive(self, channel) -> dict | None:
        """One message from a channel, or None when it is malformed (a hostile kernel)."""
        try:
            return channel.get_msg(timeout=0)
        except Exception:
            return None

    def _interrupt(self) -> None:
        """Ask the kernel to interrupt the running cell (it sends SIGINT to itself)."""
        with contextlib.suppress(Exception):
            self.client.control_channel.send(self.client.session.msg("interrupt_request", {}))

    # -- stopping ----------------------------------------------------------------------

    def _stop(self, reason: str) -> None:
        if not self.stopped:
            self.stopped = reason
        self._kill()

    def _kill(self) -> None:
        """SIGKILL the sandbox's PID 1 (the kernel then kills every process of the
        namespace) and wait for bwrap, which reaps it and exits; bwrap itself is killed
        only if it does not (killing it first would leave its child a zombie)."""
        if self.process is None or self.process.poll() is not None:
            return
        if self.init_pid:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(self.init_pid, signal.SIGKILL)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=10)
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.process.pid, signal.SIGKILL)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=30)

    def close(self) -> None:
        """Kill the sandbox (if still running), close the client, delete the scratch."""
        if self.client is not None:
            with contextlib.suppress(Exception):
                self.client.stop_channels()
        self._kill()
        if self._context is not None:
            with contextlib.suppress(Exception):
                self._context.destroy(linger=0)
        if self._stderr is not None:
            self._stderr.join(timeout=5)
        if self.process is not None and self.process.stdout:
            with contextlib.suppress(OSError):
                self.process.stdout.close()
        if self.cgroup is not None:
            for _ in range(50):  # empty once the killed processes are reaped
                try:
                    self.cgroup.rmdir()
                    break
                except OSError:
                    time.sleep(0.1)
            self.cgroup = None
        remove_tree(self.scratch)
        if self.ipc is not None:
            remove_tree(self.ipc)
            self.ipc = None

    def save_caches(self, destination: Path) -> None:
        """Copy the compile caches of the home folder (PyTensor's, Numba's, Matplotlib's
        font list) to ``destination``, for ``home_template``. Only for a trusted run: a
        student's sandbox must never fill a cache that others use."""
        home = self.scratch / "home"
        for name in CACHE_FOLDERS:
            source = home / name
            if source.is_dir() and not source.is_symlink():
                shutil.copytree(source, Path(destination) / name, symlinks=True)

    def kernel_log(self) -> str:
        """The last lines the kernel process wrote to its own stdout/stderr."""
        return self._stderr.text() if self._stderr else ""


def remove_tree(path: Path) -> None:
    """Delete a folder a sandbox wrote into, even where it took its own permissions away."""

    def retry(function, name, _excinfo):
        with contextlib.suppress(OSError):
            os.chmod(os.path.dirname(name), 0o700)
            if os.path.isdir(name) and not os.path.islink(name):
                os.chmod(name, 0o700)
            function(name)

    if Path(path).exists():
        shutil.rmtree(path, onerror=retry)
