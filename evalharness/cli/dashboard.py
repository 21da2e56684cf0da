"""`evalharness dashboard`: serve the Streamlit review dashboard on this computer (127.0.0.1 only), with the
server settings a community deployment needs: allowed Host names, no error details in the browser."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Annotated

import typer

from ..errors import InputError
from .common import console, load
from .run import ConfigOpt, DbOpt

#: dashboards/ sits next to the package in a checkout
APP = Path(__file__).resolve().parents[2] / "dashboards" / "app.py"


def command(
    port: Annotated[int | None, typer.Option(help="port (default: \\[dashboard] port, 8501)")] = None,
    config: ConfigOpt = None,
    db: DbOpt = None,
) -> None:
    """Serve the dashboard at http://127.0.0.1:PORT, reading the DuckDB file from --db, EVALHARNESS_DB or the config."""
    cfg, store = load(config, db)
    if not APP.is_file():
        raise InputError(
            f"the dashboard app is not at {APP}",
            hint="run from a checkout of the repository (the dashboards/ folder is not packaged)",
        )
    port = port or cfg.dashboard.port
    env = dict(os.environ)
    env["EVALHARNESS_DB"] = str(store.path.resolve())
    if config is not None:
        env["EVALHARNESS_CONFIG"] = str(config.resolve())
    elif cfg.source:
        env["EVALHARNESS_CONFIG"] = str(Path(cfg.source).resolve())
    # The server imports this same evalharness, whichever way it was installed.
    package_root = str(Path(__file__).resolve().parents[2])
    env["PYTHONPATH"] = package_root + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    console.print(f"Dashboard: http://127.0.0.1:{port}  (results file: {store.path}; stop with Ctrl+C)")
    cmd = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(APP),
        "--server.headless",
        "true",
        "--server.address",
        "127.0.0.1",
        "--server.port",
        str(port),
        "--browser.gatherUsageStats",
        "false",
        # no "Deploy" button or developer menu: the people using it review answers, they do not deploy apps
        "--client.toolbarMode",
        "minimal",
        # a browser shows a plain message for an error, never a traceback with paths and queries
        "--client.showErrorDetails",
        "none",
        # same-origin WebSockets only, with an XSRF token (Streamlit's defaults, stated so no one loses them)
        "--server.enableCORS",
        "true",
        "--server.enableXsrfProtection",
        "true",
    ]
    # DNS rebinding: only these Host names are served (behind a proxy: add the public name in [dashboard])
    for host in cfg.dashboard.allowed_hosts:
        cmd += ["--server.allowedHosts", host]
    try:
        code = subprocess.call(cmd, env=env)
    except KeyboardInterrupt:
        code = 0
    if code not in (0, -2, 130):
        raise typer.Exit(code)
