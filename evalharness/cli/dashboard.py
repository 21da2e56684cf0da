"""`evalharness dashboard`: serve the Streamlit review dashboard (127.0.0.1 unless --host says otherwise), with
the server settings a community deployment needs: allowed Host names, no error details in the browser.

For a community, serve it behind a TLS reverse proxy on the same machine (docs/hosting.md): the dashboard
stays on loopback and only the proxy faces the network."""

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
    host: Annotated[
        str, typer.Option(help="address to listen on; keep 127.0.0.1 behind a reverse proxy (docs/hosting.md)")
    ] = "127.0.0.1",
    allowed_host: Annotated[
        list[str] | None,
        typer.Option(
            "--allowed-host",
            help="a name people reach the dashboard by (repeat); other Host headers are refused. Set it when "
            "serving behind a proxy (docs/hosting.md)",
        ),
    ] = None,
    config: ConfigOpt = None,
    db: DbOpt = None,
) -> None:
    """Serve the dashboard at http://HOST:PORT. It reads the store from --db, EVALHARNESS_DB or the config."""
    cfg, store = load(config, db)
    if not APP.is_file():
        raise InputError(
            f"the dashboard app is not at {APP}",
            hint="run from a checkout of the repository (the dashboards/ folder is not packaged)",
        )
    port = port or cfg.dashboard.port
    env = dict(os.environ)
    env["EVALHARNESS_DB"] = str(store.path.resolve()) if store.path is not None else store.location
    if config is not None:
        env["EVALHARNESS_CONFIG"] = str(config.resolve())
    elif cfg.source:
        env["EVALHARNESS_CONFIG"] = str(Path(cfg.source).resolve())
    # The server imports this same evalharness, whichever way it was installed.
    package_root = str(Path(__file__).resolve().parents[2])
    env["PYTHONPATH"] = package_root + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    shown = f"[{host}]" if ":" in host else host
    console.print(f"Dashboard: http://{shown}:{port}  (store: {store.display}; stop with Ctrl+C)", highlight=False)
    cmd = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(APP),
        "--server.headless",
        "true",
        "--server.address",
        host,
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
        # larger text for people reading on a phone or without glasses (Streamlit's default is 16)
        "--theme.baseFontSize",
        "18",
    ]
    # DNS rebinding: only these Host names are served (behind a proxy: the public name, in [dashboard]
    # allowed_hosts or --allowed-host)
    for name in dict.fromkeys([*cfg.dashboard.allowed_hosts, *(allowed_host or ())]):
        cmd += ["--server.allowedHosts", name]
    try:
        code = subprocess.call(cmd, env=env)
    except KeyboardInterrupt:
        code = 0
    if code not in (0, -2, 130):
        raise typer.Exit(code)
