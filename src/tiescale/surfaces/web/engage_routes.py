"""The reply box's routes: answer a queue item or a person in place, preview it, list saved replies.

The logic is :mod:`tiescale.sync.engage` (the CLI's ``tiescale reply``). A send is a state change:
it goes through the gate's write (which refreshes derived state after it), and through the same
CSRF check as every POST (the security middleware). The answer leaves the queue like Done does.
"""
from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from markupsafe import escape

from .pages import _back, _htmx, _toast

router = APIRouter(include_in_schema=False)


def _writer_factory(request: Request) -> Any:
    """The app's writer factory (tests point it at the replay servers), else the real clients."""
    from ...sync.engage import default_writer

    return getattr(request.app.state, "engage_writer", None) or default_writer


@router.get("/ui/engage/snippets", response_class=HTMLResponse)
def snippet_options(request: Request) -> HTMLResponse:
    """The saved replies as ``<option>``s for the reply box's list (loaded when the box opens)."""
    from ...sync.snippets import list_snippets

    with request.app.state.gate.read() as store:
        rows = list_snippets(store)  # every open store has the table (migration 18)
    return HTMLResponse("".join(f'<option value="{escape(r["name"])}">{escape(r["body"][:80])}</option>'
                                for r in rows))


@router.post("/ui/engage/reply", response_class=HTMLResponse)
def reply(request: Request, person: str = Form(..., max_length=300), answer: str = Form("", max_length=2000),
          snippet: str | None = Form(None, max_length=64), dm: bool = Form(False), anyway: bool = Form(False),
          like: bool = Form(False), preview: str | None = Form(None, max_length=20),
          reason: str | None = Form(None, max_length=40), back: str | None = Form(None, max_length=2000),
          where: str | None = Form(None, max_length=20)) -> Response:
    """Send (or, with ``preview``, show exactly what would be sent) from the connected account."""
    from ...sync.engage import plan_answer, send_answer

    kind = "like" if like else "dm" if dm else "reply"
    dry_run = bool(preview)
    gate = request.app.state.gate
    with (gate.read() if dry_run else gate.write()) as store:
        plan = plan_answer(store, person, answer, kind=kind, snippet=(snippet or None))
        outcome = send_answer(store, plan, _writer_factory(request), dry_run=dry_run, anyway=anyway or like)
    warnings = "".join(f'<p class="warn">{escape(w)}</p>' for w in plan.warnings)
    if dry_run:
        html = (f'{warnings}<p class="muted small">Nothing sent. This would be posted:</p>'
                f'<pre class="reply-preview">{escape(outcome.preview or "")}</pre>')
        if not _htmx(request):
            return HTMLResponse(f"<!doctype html><title>Preview</title>{html}"
                                f'<p><a href="{escape(_back(back, "/queue"))}">Back</a></p>')
        return HTMLResponse(html)
    what = {"reply": "Replied", "dm": "Sent a DM", "like": "Liked"}[plan.draft.kind]
    message = f"{what} on {plan.target.platform}" + (" (already sent earlier)" if outcome.status == "already sent"
                                                     else "")
    if not _htmx(request):
        return RedirectResponse(_back(back, "/queue"), status_code=303)
    if where == "person":
        response = _toast(HTMLResponse(""), message)
        response.headers["HX-Refresh"] = "true"  # the page shows the new touchpoint and score
        return response
    return _toast(HTMLResponse(""), message, queueRemoved={"person": person, "reason": reason or ""})
