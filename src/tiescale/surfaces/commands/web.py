"""``tiescale serve`` (the local dashboard) and ``tiescale report OUT.html`` (one self-contained file)."""
from __future__ import annotations

import os
import secrets
from pathlib import Path

import click


def register(main: click.Group) -> None:
    main.add_command(serve)
    main.add_command(report)


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to bind. Anything but loopback needs --token.")
@click.option("--port", type=click.IntRange(0, 65535), default=8765, show_default=True)
@click.option("--token", default=None, envvar="TIESCALE_TOKEN",
              help="Required for every page and API call (also $TIESCALE_TOKEN). 'generate' makes one.")
@click.pass_context
def serve(ctx: click.Context, host: str, port: int, token: str | None) -> None:
    """The dashboard in your browser: overview, people, queue, content, revenue."""
    import uvicorn

    from ...records import UsageError
    from ..terminal import err, out
    from ..web.app import create_app
    from ..web.security import is_loopback
    from ..web.startup import prepare_store

    if token == "generate":
        token = secrets.token_urlsafe(24)
    if token is not None and len(token) < 12:
        raise UsageError("--token must be at least 12 characters (or 'generate')")
    if not is_loopback(host) and not token:
        raise UsageError(f"refusing to serve on {host} without a token: anyone on the network could read your "
                         "relationships; add --token generate (or bind to 127.0.0.1)")
    db = Path(ctx.obj["db"] or os.environ.get("TIESCALE_DB") or "tiescale.duckdb")
    prepare_store(db, say=lambda m: err.print(m, markup=False))
    app = create_app(db, token=token)
    from ..web.warm import Warmer

    warmer = Warmer(app.state.gate, app.state.memo)
    warmer.warm_once()  # every page's report before the first request
    warmer.start()  # and again whenever another process changes the store
    shown = f"[{host}]" if ":" in host else host
    url = f"http://{shown}:{port}/" + (f"?token={token}" if token else "")
    out.print(f"tiescale dashboard on [bold]{url}[/] (store {db}); Ctrl+C to stop", soft_wrap=True)
    uvicorn.run(app, host=host, port=port, log_level="warning", access_log=False)


@click.command()
@click.argument("output", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--top", type=click.IntRange(1, 500), default=25, show_default=True, help="People listed.")
@click.pass_context
def report(ctx: click.Context, output: Path, top: int) -> None:
    """Write one self-contained HTML report (overview, top people, queue, content, revenue)."""
    from ..terminal import open_store, out
    from ..report import write_report

    with open_store(ctx) as store:  # writable: the queue refreshes its answer index
        size = write_report(store, output, top=top)
    out.print(f"wrote {output} ({size / 1024:.0f} KiB): open it in a browser, or print it to PDF")
