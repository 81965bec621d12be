"""Real-browser tests: every widget moved in JupyterLab, every lecture deck opened offline.

The browser is Debian's Chromium (`apt install chromium`), driven by the Playwright
package; no browser is ever downloaded. Where Chromium is missing these tests skip with
that message, except under CI (`CI` set), where they fail.

- For each lesson whose solution shows a widget: start JupyterLab on a free loopback port
  with a token, on a copy of the solution notebook; run all cells from the Run menu; then,
  for every widget, move every slider by keyboard, by drag and by typing in its text box,
  pick every other dropdown value, and check that the figure changed, and that it comes
  back exactly when the value comes back. The server is stopped by PID (its whole
  process group, kernels included) and checked gone.
- For each lesson: build its deck (tools/slides.py), open it from file://, step through
  every slide, and check that no request left the machine, that math rendered and that
  every slide shows something.

Screenshots go to build/test-artifacts/browser/ (before and after each widget, and every
slide of every deck).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import nbformat
import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from tools.notebooks import ROOT, SOLUTIONS, lesson_names
from tools.slides import WIDGET_VIEW, build, has_widgets, shows_widgets

ARTIFACTS = ROOT / "build" / "test-artifacts" / "browser"
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
INSTALL_HINT = "Chromium not found: install it with `sudo apt install chromium` (Debian/Ubuntu)"


def chromium_path() -> str | None:
    """Debian's Chromium, or the one named by COURSE_CHROMIUM."""
    for candidate in (os.environ.get("COURSE_CHROMIUM"), "/usr/bin/chromium"):
        if candidate and Path(candidate).exists():
            return candidate
    return shutil.which("chromium")


def widget_lessons(shown_in_deck: bool = False) -> list[str]:
    """Lessons whose solution notebook displays at least one widget (with
    ``shown_in_deck``: whose deck shows one, not only a part left for reading)."""
    has = shows_widgets if shown_in_deck else has_widgets
    return [
        name
        for name in lesson_names()
        for path in sorted((SOLUTIONS / name).glob("*.ipynb"))
        if has(nbformat.read(path, as_version=4))
    ]


@pytest.fixture(scope="module")
def browser():
    executable = chromium_path()
    if executable is None:
        if os.environ.get("CI"):
            pytest.fail(INSTALL_HINT + " (.ci/run installs it)")
        pytest.skip(INSTALL_HINT)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_FLAGS)
        yield browser
        browser.close()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


def _stop_group(process: subprocess.Popen) -> None:
    """Stop a server and everything it started (kernels), by process group id."""
    pgid = process.pid  # start_new_session=True: the server leads its own group
    for sig, wait in ((signal.SIGTERM, 15), (signal.SIGKILL, 5)):
        if not _group_alive(pgid):
            break
        os.killpg(pgid, sig)
        deadline = time.monotonic() + wait
        while _group_alive(pgid) and time.monotonic() < deadline:
            process.poll()
            time.sleep(0.2)
    process.poll()
    assert not _group_alive(pgid), f"processes of server {pgid} still running"


class LabServer:
    """JupyterLab on a free loopback port with a token, in a folder of its own."""

    def __init__(self, root: Path, workdir: Path) -> None:
        self.root = root
        self.port = _free_port()
        self.token = os.urandom(16).hex()
        settings = workdir / "lab-settings"
        notification = settings / "@jupyterlab" / "apputils-extension"
        notification.mkdir(parents=True)
        # no news or update checks: they would reach for the internet and cover the page
        (notification / "notification.jupyterlab-settings").write_text(
            json.dumps({"fetchNews": "false", "checkForUpdates": False})
        )
        tracker = settings / "@jupyterlab" / "notebook-extension"
        tracker.mkdir(parents=True)
        # render every cell, not only those in view, so that every widget can be found;
        # start the notebook's kernel without asking
        (tracker / "tracker.jupyterlab-settings").write_text(
            json.dumps({"windowingMode": "none", "autoStartDefaultKernel": True})
        )
        env = dict(
            os.environ,
            JUPYTERLAB_SETTINGS_DIR=str(settings),
            JUPYTERLAB_WORKSPACES_DIR=str(workdir / "lab-workspaces"),
            JUPYTER_RUNTIME_DIR=str(workdir / "runtime"),
        )
        command = [
            *(sys.executable, "-m", "jupyterlab", "--no-browser"),
            *("--ServerApp.ip=127.0.0.1", f"--ServerApp.port={self.port}"),
            *("--ServerApp.port_retries=0", f"--IdentityProvider.token={self.token}"),
            f"--ServerApp.root_dir={root}",
        ]
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            command.append("--allow-root")
        self.log = (workdir / "server.log").open("w")
        self.process = subprocess.Popen(
            command, stdout=self.log, stderr=subprocess.STDOUT, env=env, start_new_session=True
        )
        self._wait_until_up()

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _wait_until_up(self, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        url = f"{self.base}/api/status?token={self.token}"
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"JupyterLab exited early; see {self.log.name}")
            try:
                with urllib.request.urlopen(url, timeout=2) as response:
                    if response.status == 200:
                        return
            except OSError:
                time.sleep(0.5)
        raise RuntimeError(f"JupyterLab did not answer within {timeout} s")

    def stop(self) -> None:
        _stop_group(self.process)
        self.log.close()


@pytest.fixture
def lab_copy(tmp_path):
    """A function that serves a copy of one lesson's solution; the server stops after."""
    servers = []

    def serve(name: str) -> tuple[LabServer, str]:
        (source,) = sorted((SOLUTIONS / name).glob("*.ipynb"))
        root = tmp_path / "root"
        shutil.copytree(SOLUTIONS / name, root)
        # without its stored outputs: what the browser shows must come from this run
        notebook = nbformat.read(source, as_version=4)
        for cell in notebook.cells:
            if cell.cell_type == "code":
                cell.outputs, cell.execution_count = [], None
        nbformat.write(notebook, root / source.name)
        server = LabServer(root, tmp_path)
        servers.append(server)
        return server, source.name

    yield serve
    for server in servers:
        server.stop()


def _shown(widget) -> str:
    """What the widget's output area shows: its figure (the PNG's data URL) or its text."""
    images = widget.locator(".widget-output img")
    if images.count():
        return images.first.get_attribute("src") or ""
    return widget.locator(".widget-output").first.inner_text()


def _wait_for_change(widget, old: str, timeout: float = 15) -> str:
    """The widget's output once it differs from ``old`` (fails after ``timeout`` s)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        shown = _shown(widget)
        if shown and shown != old:
            return shown
        time.sleep(0.05)
    raise AssertionError("the widget's output did not change")


def _wait_for(widget, expected: str, timeout: float = 15) -> str:
    """The widget's output, once it equals ``expected`` or after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while (shown := _shown(widget)) != expected and time.monotonic() < deadline:
        time.sleep(0.05)
    return shown


PROMPTS = "[...document.querySelectorAll('.jp-CodeCell .jp-InputPrompt')].map(p => p.textContent)"
TRACEBACKS = ".jp-OutputArea-output[data-mime-type*='error']"


def _run_all(page, out: Path, timeout: float = 300) -> None:
    """Run every cell from the Run menu and wait until every cell has run.

    A kernel that is still settling right after the page opens can drop the queue after
    the first cell; if the kernel goes idle with cells left and no error shown, Run All
    is issued again (at most twice).
    """
    deadline, attempts, idle_since = time.monotonic() + timeout, 0, None
    while time.monotonic() < deadline:
        prompts = page.evaluate(PROMPTS)
        if prompts and all(re.fullmatch(r"\[\d+\]:", p.strip()) for p in prompts):
            return
        if page.locator(TRACEBACKS).count():
            break
        idle = (
            "[*]:" not in [p.strip() for p in prompts]
            and page.locator(".jp-Notebook-ExecutionIndicator[data-status='idle']").count()
        )
        if not idle:
            idle_since = None
        elif idle_since is None:
            idle_since = time.monotonic()
        if attempts == 0 or (idle and time.monotonic() - idle_since > 5 and attempts < 3):
            page.get_by_role("menuitem", name="Run", exact=True).click()
            page.get_by_role("menuitem", name="Run All Cells", exact=True).click()
            attempts, idle_since = attempts + 1, None
        time.sleep(0.5)
    page.screenshot(path=str(out / "run-all-failed.png"), full_page=True)
    tracebacks = page.locator(TRACEBACKS)
    detail = tracebacks.first.inner_text()[:2000] if tracebacks.count() else ""
    raise AssertionError(f"Run All did not finish: prompts {page.evaluate(PROMPTS)}\n{detail}")


def _move_slider(page, widget, slider, index: int, shot) -> None:
    """Keyboard, drag, text box: each changes the output; the start value restores it."""
    readout = slider.locator(".widget-readout")
    handle = slider.locator(".noUi-handle")
    start_value, start = readout.inner_text(), _shown(widget)

    handle.focus()
    for _ in range(3):
        handle.press("ArrowRight")
    shown = _wait_for_change(widget, start)
    assert readout.inner_text() != start_value, "keyboard: readout unchanged"

    box = handle.bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.down()
    page.mouse.move(box["x"] - 60, box["y"] + box["height"] / 2, steps=5)
    page.mouse.up()
    _wait_for_change(widget, shown)
    shot(f"slider{index}-moved")

    readout.click()
    page.keyboard.press("Control+A")
    page.keyboard.type(start_value)
    page.keyboard.press("Enter")
    assert _wait_for(widget, start) == start, "typing the start value did not restore the output"
    assert readout.inner_text() == start_value, "text box: value not taken"


def _pick_dropdown(widget, dropdown, index: int, shot) -> str:
    """Pick every other choice (each must change the output); return the start choice.

    The last choice stays selected, so that the sliders are then moved under a choice
    where they matter (a scale slider does nothing under a flat prior)."""
    select = dropdown.locator("select")
    start_value, shown = select.input_value(), _shown(widget)
    for option in select.locator("option").all_inner_texts():
        select.select_option(label=option)
        if select.input_value() == start_value:
            continue
        shown = _wait_for_change(widget, shown)
        shot(f"dropdown{index}-{option}")
    return start_value


# Each test runs its lesson's cells in JupyterLab first (up to 2 minutes for lesson 07).
@pytest.mark.timeout(900)
@pytest.mark.parametrize("lesson", widget_lessons())
def test_every_widget_moves_in_jupyterlab(browser, lab_copy, lesson):
    server, notebook = lab_copy(lesson)
    out = ARTIFACTS / "widgets" / lesson
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    leaving = []
    page.on("request", lambda r: leaving.append(r.url) if not _local(r.url) else None)
    page.goto(f"{server.base}/lab/tree/{notebook}?reset&token={server.token}")
    page.locator(".jp-NotebookPanel .jp-Cell").first.wait_for(timeout=60_000)
    page.locator(".jp-Notebook-ExecutionIndicator[data-status='idle']").wait_for(timeout=60_000)
    assert page.locator(".jp-Dialog").count() == 0, "a dialog covers the notebook"
    _run_all(page, out)

    # every widget of the course: controls over one output area (a figure or text)
    widgets = page.locator(".jp-OutputArea-output .widget-vbox").filter(
        has=page.locator(".widget-output")
    )
    expected = _count_widget_cells(SOLUTIONS / lesson / notebook)
    if widgets.count() != expected:
        page.screenshot(path=str(out / "widgets-missing.png"), full_page=True)
    assert widgets.count() == expected, f"{widgets.count()} widgets shown, {expected} expected"
    for number in range(widgets.count()):
        widget = widgets.nth(number)
        widget.scroll_into_view_if_needed()

        def shot(label: str, widget=widget, number=number) -> None:
            widget.screenshot(path=str(out / f"widget{number}-{label}.png"))

        shot("before")
        start = _shown(widget)
        assert start.strip(), "the widget shows nothing before it is moved"
        sliders = widget.locator(".widget-slider")
        dropdowns = widget.locator(".widget-dropdown select")
        assert sliders.count() + dropdowns.count() >= 1, "a widget with no controls"
        start_choices = [
            _pick_dropdown(widget, widget.locator(".widget-dropdown").nth(index), index, shot)
            for index in range(dropdowns.count())
        ]
        for index in range(sliders.count()):
            _move_slider(page, widget, sliders.nth(index), index, shot)
        for index, choice in enumerate(start_choices):
            dropdowns.nth(index).select_option(value=choice)
        assert _wait_for(widget, start) == start, "the start values did not restore the output"
        shot("after")
    assert not leaving, f"requests left the machine: {leaving[:5]}"
    page.close()


def _count_widget_cells(path: Path) -> int:
    notebook = nbformat.read(path, as_version=4)
    return sum(
        any(WIDGET_VIEW in output.get("data", {}) for output in cell.get("outputs", []))
        for cell in notebook.cells
        if cell.cell_type == "code"
    )


def _local(url: str) -> bool:
    return url.startswith(("file:", "data:", "blob:", "http://127.0.0.1", "ws://127.0.0.1"))


@pytest.fixture(scope="module")
def decks(tmp_path_factory):
    if not os.environ.get("CI"):
        if chromium_path() is None:
            pytest.skip(INSTALL_HINT)
        if shutil.which("npm") is None:
            pytest.skip(
                "npm not found: install it with `sudo apt install npm` (the decks need it)"
            )
    out = tmp_path_factory.mktemp("slides")
    return {deck.name.split(".")[0]: deck for deck in build(out, lesson_names())}


# The limit covers the test's setup: the first deck test builds every deck (the `decks`
# fixture executes the lessons whose decks show widgets, 5 minutes on a loaded 2-core
# machine), the rest take seconds.
@pytest.mark.timeout(1500)
@pytest.mark.parametrize("lesson", lesson_names())
def test_deck_works_offline(browser, decks, lesson):
    deck = decks[lesson]
    out = ARTIFACTS / "slides" / lesson
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    leaving, problems = [], []
    page.on("request", lambda r: leaving.append(r.url) if not _local(r.url) else None)
    page.on("requestfailed", lambda r: problems.append(f"{r.url}: {r.failure}"))
    page.goto(deck.as_uri())
    page.wait_for_function("window.require && document.querySelector('.reveal.ready')")
    page.evaluate(
        "() => new Promise(done => require(['node_modules/reveal.js/dist/reveal.js'],"
        " reveal => { window.Deck = reveal; done(); }))"
    )
    # as a lecturer would: let MathJax finish its first pass before moving on (navigating
    # during it makes nbconvert's per-slide re-render race with it)
    page.wait_for_function("window.MathJax && MathJax.isReady", timeout=60_000)
    page.evaluate("() => new Promise(done => MathJax.Hub.Queue(done))")
    total = page.evaluate("Deck.getTotalSlides()")
    assert total >= 3
    empty, unrendered = [], []
    for number in range(total):
        try:  # MathJax typesets a slide when it is shown: every formula gets a visible box
            page.wait_for_function(MATH_RENDERED, timeout=15_000, polling=100)
        except PlaywrightTimeout:
            unrendered.append(number)
        content = page.evaluate(
            """() => {
                const slide = Deck.getCurrentSlide();
                return slide.innerText.trim().length
                    + slide.querySelectorAll('img, svg, .widget-slider').length;
            }"""
        )
        if content == 0:
            empty.append(number)
        page.screenshot(path=str(out / f"slide{number:03d}.png"))
        if _is_last_slide(page):
            break
        page.evaluate("Deck.next()")
    assert not unrendered, f"slides whose math did not render: {unrendered}"
    text = page.evaluate("document.querySelector('.reveal .slides').innerText")
    assert "$$" not in text and "\\frac" not in text and "\\mathrm" not in text, (
        "raw TeX is visible: MathJax did not render"
    )
    (notebook,) = sorted((SOLUTIONS / lesson).glob("*.ipynb"))
    markdown = [c.source for c in nbformat.read(notebook, as_version=4).cells]
    if any("$" in source for source in markdown):
        assert page.locator(".MathJax_CHTML, .MathJax").count() > 0, "no rendered math"
    assert not empty, f"slides with no content: {empty}"
    assert not leaving, f"requests left the machine: {leaving[:5]}"
    assert not problems, f"files the deck could not load: {problems[:5]}"
    if lesson in widget_lessons(shown_in_deck=True):
        assert page.locator(".widget-slider").count() > 0, "the deck shows no widget"
    page.close()


MATH_RENDERED = """() => {
    const slide = Deck.getCurrentSlide();
    const shown = element => !element.closest('aside.notes');
    const formulas = [...slide.querySelectorAll('script[type^="math/tex"]')].filter(shown);
    const boxes = [...slide.querySelectorAll('.MathJax_CHTML')].filter(shown);
    return boxes.length === formulas.length
        && boxes.every(box => box.getBoundingClientRect().width > 0);
}"""


def _is_last_slide(page) -> bool:
    return page.evaluate("Deck.isLastSlide() && !Deck.availableRoutes().down")
