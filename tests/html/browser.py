"""Headless Chromium driven through the DevTools protocol over a pipe
(``--remote-debugging-pipe``: fd 3 in, fd 4 out, messages ended by NUL): no websocket
library, no port. WebGL2 runs on SwiftShader (``--use-angle=swiftshader``), so the GPU
frame runs in software on any machine. Every network request the page makes is recorded
(the Network domain), and a proxy that refuses everything stands in for the network."""

from __future__ import annotations

import base64
import contextlib
import io
import json
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "chrome")


def chromium_path() -> str | None:
    env = os.environ.get("CAREVIS_CHROMIUM")
    if env:
        return env
    for name in CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    return None


class Browser:
    """One headless Chromium with one page (tab) attached."""

    def __init__(self, width: int = 1280, height: int = 772, timeout: float = 120.0) -> None:
        exe = chromium_path()
        if exe is None:
            raise RuntimeError("no chromium: run .ci/system-deps as root (Debian's chromium)")
        self.timeout = timeout
        self.profile = tempfile.mkdtemp(prefix="carevis-chromium-")
        to_chrome_r, self._to_chrome = os.pipe()
        self._from_chrome, from_chrome_w = os.pipe()

        def fds() -> None:
            # fd 3: what Chromium reads, fd 4: what it writes (moved out of the way first,
            # in case a pipe end already holds 3 or 4); dup2 leaves them inheritable
            a, b = os.dup(to_chrome_r), os.dup(from_chrome_w)
            os.dup2(a, 3)
            os.dup2(b, 4)

        args = [
            exe,
            "--headless=new",
            "--remote-debugging-pipe",
            "--no-sandbox",
            "--no-first-run",
            "--no-default-browser-check",
            "--disable-extensions",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--use-gl=angle",
            "--use-angle=swiftshader",
            "--enable-unsafe-swiftshader",
            "--ignore-gpu-blocklist",
            "--proxy-server=http://127.0.0.1:9",
            "--proxy-bypass-list=<-loopback>",
            "--hide-scrollbars",
            "--force-device-scale-factor=1",
            f"--window-size={width},{height}",
            f"--user-data-dir={self.profile}",
            "about:blank",
        ]
        self.proc = subprocess.Popen(
            args,
            preexec_fn=fds,
            close_fds=False,  # Python's own descriptors are not inheritable anyway
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        os.close(to_chrome_r)
        os.close(from_chrome_w)
        self._buffer = b""
        self._id = 0
        self.events: list[dict[str, Any]] = []
        targets = self.call("Target.getTargets")["targetInfos"]
        page = next(t for t in targets if t["type"] == "page")
        self.session = self.call("Target.attachToTarget", targetId=page["targetId"], flatten=True)[
            "sessionId"
        ]
        for domain in ("Page", "Network", "Runtime", "Log"):
            self.call(f"{domain}.enable", session=True)
        self.call(
            "Emulation.setDeviceMetricsOverride",
            session=True,
            width=width,
            height=height,
            deviceScaleFactor=1,
            mobile=False,
        )

    # --- the protocol --------------------------------------------------------------------
    def _read_message(self, deadline: float) -> dict[str, Any]:
        while b"\0" not in self._buffer:
            if time.monotonic() > deadline:
                raise TimeoutError("chromium did not answer in time")
            chunk = os.read(self._from_chrome, 1 << 20)
            if not chunk:
                raise RuntimeError("chromium closed the DevTools pipe")
            self._buffer += chunk
        raw, self._buffer = self._buffer.split(b"\0", 1)
        message: dict[str, Any] = json.loads(raw)
        return message

    def call(self, method: str, *, session: bool = False, **params: Any) -> dict[str, Any]:
        self._id += 1
        msg: dict[str, Any] = {"id": self._id, "method": method, "params": params}
        if session:
            msg["sessionId"] = self.session
        os.write(self._to_chrome, json.dumps(msg).encode() + b"\0")
        deadline = time.monotonic() + self.timeout
        while True:
            reply = self._read_message(deadline)
            if reply.get("id") == self._id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                result: dict[str, Any] = reply.get("result", {})
                return result
            if "method" in reply:
                self.events.append(reply)

    def evaluate(self, expression: str) -> Any:
        """The value of a JS expression (promises awaited)."""
        r = self.call(
            "Runtime.evaluate",
            session=True,
            expression=expression,
            awaitPromise=True,
            returnByValue=True,
        )
        if "exceptionDetails" in r:
            d = r["exceptionDetails"]
            text = d.get("exception", {}).get("description") or d.get("text")
            raise RuntimeError(f"page error: {text}")
        return r["result"].get("value")

    # --- pages ---------------------------------------------------------------------------
    def open(self, path: Path, fragment: str = "") -> float:
        """Loads a file and waits until the player has drawn its first frame. Returns the
        wall seconds from navigation to that frame."""
        url = path.resolve().as_uri() + (f"#{fragment}" if fragment else "")
        # a full load each time (a new fragment alone would not load the document again)
        self.call("Page.navigate", session=True, url="about:blank")
        self.evaluate("new Promise((ok) => setTimeout(ok, 0))")
        self.events.clear()
        t0 = time.perf_counter()
        self.call("Page.navigate", session=True, url=url)
        self.evaluate(
            "new Promise((ok) => { const w = () => (document.body && document.body.dataset.ready)"
            " ? ok(1) : setTimeout(w, 20); w(); })"
        )
        seconds = time.perf_counter() - t0
        state = self.evaluate("document.body.dataset.ready")
        if state != "1":
            raise RuntimeError(f"the page failed: {self.evaluate('document.body.innerText')}")
        return seconds

    def requests(self) -> list[str]:
        """Every URL the page asked for (Network.requestWillBeSent, web sockets too)."""
        methods = ("Network.requestWillBeSent", "Network.webSocketCreated")
        return [
            e["params"].get("request", e["params"]).get("url", "")
            for e in self.events
            if e.get("method") in methods
        ]

    def screenshot(self, clip: tuple[int, int, int, int] | None = None) -> np.ndarray:
        """The page (or a clip x, y, w, h of it) as an H x W x 4 uint8 array."""
        from PIL import Image

        params: dict[str, Any] = {"format": "png"}
        if clip is not None:
            x, y, w, h = clip
            params["clip"] = {"x": x, "y": y, "width": w, "height": h, "scale": 1}
        data = self.call("Page.captureScreenshot", session=True, **params)["data"]
        img = Image.open(io.BytesIO(base64.b64decode(data))).convert("RGBA")
        return np.asarray(img)

    def close(self) -> None:
        with contextlib.suppress(RuntimeError, TimeoutError, OSError):
            self.call("Browser.close")
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        for fd in (self._to_chrome, self._from_chrome):
            with contextlib.suppress(OSError):
                os.close(fd)
        shutil.rmtree(self.profile, ignore_errors=True)

    def __enter__(self) -> Browser:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
