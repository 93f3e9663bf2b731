"""GET /plumbline/config: where the store is and whether it is usable."""

import subprocess
from functools import lru_cache

from tornado import web

from ... import __version__
from ...store.migrations import latest_version
from .base import PlumblineHandler


class ConfigHandler(PlumblineHandler):
    @web.authenticated
    def get(self) -> None:
        self.write_json(
            {
                "version": __version__,
                "db_path": self.plumbline["db_path"],
                "schema_version": latest_version(),
                "problem": self.plumbline["problem"],
                "git_user_name": _git_user_name(self.settings.get("server_root_dir", ".")),
            }
        )


@lru_cache(maxsize=4)
def _git_user_name(root: str) -> str | None:
    """The default owner of new components when the settings name none."""
    try:
        out = subprocess.run(["git", "config", "user.name"], cwd=root, capture_output=True,
                             text=True, timeout=5).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return out or None
