"""Keeps a notebook's history when the notebook (or its folder) is renamed.

Runs and components are keyed by notebook path, so without this a renamed
notebook would open with an empty history. The server's contents service
announces every rename on its event bus, whoever made it: the file browser,
the notebook's own rename dialog, or the REST API.
"""

from __future__ import annotations

import asyncio

from ..store import Store

CONTENTS_EVENTS = "https://events.jupyter.org/jupyter_server/contents_service/v1"


def follow_renames(server_app, store: Store) -> None:
    # jupyter_events calls listeners with these keyword names.
    async def on_contents_event(logger, schema_id: str, data: dict) -> None:
        if data.get("action") != "rename" or not data.get("source_path"):
            return
        old, new = data["source_path"], data["path"]
        try:
            # A rename of a big folder touches many rows; keep the event loop free.
            moved = await asyncio.get_running_loop().run_in_executor(None, store.move_notebook, old, new)
        except Exception as exc:  # the rename itself has succeeded; report, never undo it
            server_app.log.error("Plumbline: could not move the history of %s to %s: %s", old, new, exc)
            return
        if moved:
            server_app.log.info("Plumbline: moved %d run(s) from %s to %s", moved, old, new)

    server_app.event_logger.add_listener(schema_id=CONTENTS_EVENTS, listener=on_contents_event)
