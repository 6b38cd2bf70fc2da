"""pickgraph as users install it: a wheel in a fresh environment, the layer contract, and
notebooks whose committed outputs name no machine. Issue 13."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from live import free_port

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


@pytest.mark.slow
def test_wheel_installs_and_serves_anywhere(tmp_path):
    wheels = tmp_path / "wheels"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(wheels), str(ROOT)],
        check=True,
        capture_output=True,
    )
    (wheel,) = wheels.glob("pickgraph-*.whl")
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    py = venv / "bin" / "python"
    constraints = ["-c", str(ROOT / "requirements.lock")]
    subprocess.run(
        [str(py), "-m", "pip", "install", "-q", *constraints, str(wheel)],
        check=True,
        capture_output=True,
    )
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PICKGRAPH_CONTENT")}
    run = dict(cwd=elsewhere, env=env, capture_output=True, text=True)
    stats = subprocess.run([str(venv / "bin" / "pickgraph"), "stats", "--json"], **run)
    assert stats.returncode == 0, stats.stderr
    assert json.loads(stats.stdout)["comparisons"] >= 650
    # the serving install has no plotting library
    assert subprocess.run([str(py), "-c", "import matplotlib"], **run).returncode != 0
    # one top-level package of ours
    purelib = subprocess.run(
        [str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], **run
    ).stdout.strip()
    record = next(Path(purelib).glob("pickgraph-*.dist-info")) / "RECORD"
    # (console scripts are recorded relative to the bin folder, as ../../../bin/...)
    lines = [x for x in record.read_text().splitlines() if not x.startswith("..")]
    tops = {line.split("/", 1)[0] for line in lines}
    assert {t for t in tops if not t.endswith(".dist-info")} == {"pickgraph"}
    # and serves the bundled site from there
    port = free_port()
    server = subprocess.Popen(
        [str(venv / "bin" / "pickgraph"), "serve", "--port", str(port), "--workers", "1"],
        cwd=elsewhere,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        body = None
        for _ in range(240):
            try:
                url = f"http://127.0.0.1:{port}/compare/kafka-vs-rabbitmq"
                with urllib.request.urlopen(url, timeout=2) as resp:
                    body = resp.read().decode()
                break
            except OSError:
                time.sleep(0.5)
        assert body is not None and "RabbitMQ" in body and "/static/style.css" in body
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/static/style.css") as resp:
            assert resp.status == 200
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)


def test_layers_hold():
    """web may import engine and graph, engine only graph (import-linter contract)."""
    lint = shutil.which("lint-imports", path=str(BIN)) or "lint-imports"
    result = subprocess.run([lint], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "web -> engine -> graph KEPT" in result.stdout


MACHINE = re.compile(r"(/work/|/home/|/root/|/tmp/|/private/var/|site-packages|[A-Z]:\\\\)")


def test_committed_notebook_outputs_name_no_machine():
    """No path of the machine that ran them, and no timestamps of when."""
    for nb in sorted((ROOT / "notebooks").glob("*.ipynb")):
        for cell in json.loads(nb.read_text())["cells"]:
            assert "execution" not in cell.get("metadata", {}), nb.name
            for output in cell.get("outputs", []):
                text = json.dumps(output)
                assert not MACHINE.search(text), (nb.name, MACHINE.search(text).group(0))
