"""A real ipykernel driven through jupyter_client, as JupyterLab drives it."""

from __future__ import annotations

import os
import queue
import time
import uuid
from dataclasses import dataclass, field
from typing import Optional

from jupyter_client.manager import KernelManager

from plumbline.headless import activation_code


@dataclass
class Execution:
    reply: dict
    stdout: str = ""
    stderr: str = ""
    outputs: list = field(default_factory=list)

    @property
    def status(self) -> str:
        return self.reply["status"]


class Kernel:
    """Start a python3 kernel with ``env`` extra variables in ``cwd``."""

    def __init__(self, env: dict, cwd: Optional[str] = None):
        self.manager = KernelManager(kernel_name="python3")
        full_env = {**os.environ, **env}
        self.manager.start_kernel(env=full_env, cwd=cwd or os.getcwd())
        self.client = self.manager.client()
        self.client.start_channels()
        self.client.wait_for_ready(timeout=60)

    @property
    def pid(self) -> int:
        return self.manager.provisioner.process.pid

    def send(self, code: str, *, cell_id: Optional[str] = None, metadata: Optional[dict] = None,
             silent: bool = False) -> str:
        """Send an execute request the way JupyterLab does (cell metadata + cellId)."""
        meta = dict(metadata or {})
        meta.setdefault("cellId", cell_id or str(uuid.uuid4()))
        content = {
            "code": code,
            "silent": silent,
            "store_history": not silent,
            "user_expressions": {},
            "allow_stdin": False,
            "stop_on_error": False,
        }
        msg = self.client.session.msg("execute_request", content, metadata=meta)
        self.client.shell_channel.send(msg)
        return msg["header"]["msg_id"]

    def wait(self, msg_id: str, timeout: float = 60) -> Execution:
        deadline = time.monotonic() + timeout
        reply = None
        while reply is None:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"no execute_reply for {msg_id}")
            msg = self.client.get_shell_msg(timeout=remaining)
            if msg["parent_header"].get("msg_id") == msg_id:
                reply = msg["content"]
        execution = Execution(reply=reply)
        # Drain iopub up to this request's idle status.
        while True:
            remaining = deadline - time.monotonic()
            try:
                msg = self.client.get_iopub_msg(timeout=max(remaining, 0.1))
            except queue.Empty:
                break
            if msg["parent_header"].get("msg_id") != msg_id:
                continue
            kind, content = msg["msg_type"], msg["content"]
            if kind == "stream":
                if content["name"] == "stderr":
                    execution.stderr += content["text"]
                else:
                    execution.stdout += content["text"]
            elif kind in ("execute_result", "display_data", "error"):
                execution.outputs.append(msg)
            elif kind == "status" and content["execution_state"] == "idle":
                break
        return execution

    def execute(self, code: str, timeout: float = 60, **kwargs) -> Execution:
        return self.wait(self.send(code, **kwargs), timeout=timeout)

    def load_plumbline(self, notebook_path: Optional[str] = "notebooks/test.ipynb") -> Execution:
        """What the front end sends when it starts a kernel (silent, not recorded)."""
        result = self.execute(activation_code(notebook_path, kind="kernel"), silent=True)
        assert result.status == "ok", result.reply
        return result

    def shutdown(self, now: bool = False) -> None:
        try:
            self.client.stop_channels()
        finally:
            self.manager.shutdown_kernel(now=now)
