"""The other two browser engines the page must open in, driven with the standard library
only, each on its own Xvfb display (WebGL2 on Mesa's llvmpipe):

- Gecko (Firefox): Debian's ``firefox-esr``, driven over Marionette, the
  protocol geckodriver itself speaks (a TCP socket, ``length:json`` messages);
- WebKit (Safari's engine): WebKitGTK's ``MiniBrowser`` driven by ``WebKitWebDriver``, a
  W3C WebDriver server (JSON over HTTP on a loopback port).

Chromium (Chrome's and Edge's engine) has its own driver in ``browser.py``. Both engines here
load the page from ``file://`` behind a proxy that refuses everything (Firefox's prefs,
WebKit's ``--proxy`` capability) and both expose what a test needs: ``open``, ``evaluate``,
``screenshot``, ``resources`` (every resource the page asked for, from its own Resource
Timing) and ``close``."""

from __future__ import annotations

import base64
import contextlib
import io
import json
import os
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

MINIBROWSER = (
    "/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser",
    "/usr/lib/aarch64-linux-gnu/webkit2gtk-4.1/MiniBrowser",
    "/usr/libexec/webkit2gtk-4.1/MiniBrowser",
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@contextlib.contextmanager
def xvfb(width: int, height: int) -> Iterator[str]:
    """A fresh X display of width x height."""
    exe = shutil.which("Xvfb")
    assert exe, "Xvfb is missing: run `make system-deps` (apt-get install xvfb)"
    for n in range(140, 200):
        if not Path(f"/tmp/.X11-unix/X{n}").exists() and not Path(f"/tmp/.X{n}-lock").exists():
            break
    proc = subprocess.Popen(
        [exe, f":{n}", "-screen", "0", f"{width}x{height}x24", "-nolisten", "tcp"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(200):
            if Path(f"/tmp/.X11-unix/X{n}").exists():
                break
            assert proc.poll() is None, "Xvfb exited at start"
            time.sleep(0.05)
        yield f":{n}"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def _png(data: str, clip: tuple[int, int, int, int] | None) -> np.ndarray:
    from PIL import Image

    img = np.asarray(Image.open(io.BytesIO(base64.b64decode(data))).convert("RGBA"))
    if clip is None:
        return img
    x, y, w, h = clip
    return img[y : y + h, x : x + w]


# Waits (in the page) until the player says it has drawn its first frame, or failed.
_READY = (
    "return new Promise((ok) => { const t0 = Date.now(); const w = () =>"
    " (document.body && document.body.dataset.ready) || Date.now() - t0 > 110000"
    " ? ok(document.body ? document.body.dataset.ready || null : null) : setTimeout(w, 20);"
    " w(); });"
)
# Every resource the page fetched after the document (Resource Timing sees fetch, XHR,
# images, fonts, scripts and styles, whatever started them).
RESOURCES = "return performance.getEntriesByType('resource').map((e) => e.name);"


class Engine:
    """What both drivers share: a page API over a `_script(body, args)` primitive."""

    name = ""

    def _script(self, body: str, args: list[Any]) -> Any:
        raise NotImplementedError

    def _navigate(self, url: str) -> None:
        raise NotImplementedError

    def _screenshot(self) -> str:
        raise NotImplementedError

    def evaluate(self, expression: str) -> Any:
        """The value of a JS expression (promises awaited)."""
        return self._script(f"return Promise.resolve({expression});", [])

    def open(self, path: Path, fragment: str = "") -> float:
        """Loads a file, waits for the player's first frame; the seconds that took."""
        url = path.resolve().as_uri() + (f"#{fragment}" if fragment else "")
        self._navigate("about:blank")
        t0 = time.perf_counter()
        self._navigate(url)
        state = self._script(_READY, [])
        seconds = time.perf_counter() - t0
        if state != "1":
            text = self.evaluate("document.body ? document.body.innerText : ''")
            raise RuntimeError(f"{self.name}: the page failed ({state!r}): {text}")
        return seconds

    def _rect(self) -> dict[str, int]:
        raise NotImplementedError

    def _set_rect(self, width: int, height: int) -> None:
        raise NotImplementedError

    def resize(self, width: int, height: int) -> None:
        """Sizes the window so that its viewport is width x height (toolbars aside)."""
        for _ in range(4):
            w, h = self.viewport()
            if (w, h) == (width, height):
                return
            rect = self._rect()
            self._set_rect(rect["width"] + width - w, rect["height"] + height - h)
        got = self.viewport()
        raise RuntimeError(f"{self.name}: the viewport stays {got}, not {width}x{height}")

    def viewport(self) -> tuple[int, int]:
        w, h = self.evaluate("[window.innerWidth, window.innerHeight]")
        return int(w), int(h)

    def resources(self) -> list[str]:
        found: list[str] = self._script(RESOURCES, [])
        return found

    def screenshot(self, clip: tuple[int, int, int, int] | None = None) -> np.ndarray:
        """The viewport (or a clip x, y, w, h of it) as an H x W x 4 uint8 array, after two
        animation frames: the page's last drawing reaches the window's compositor (under
        load, WebKitGTK's capture could otherwise hold the frame before)."""
        self.evaluate(
            "new Promise((ok) => requestAnimationFrame(() => requestAnimationFrame(() => ok(1))))"
        )
        return _png(self._screenshot(), clip)

    def close(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Engine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class Gecko(Engine):
    """Firefox (Debian's firefox-esr) on `display`, over Marionette."""

    name = "firefox"

    def __init__(self, display: str, width: int, height: int, timeout: float = 120.0) -> None:
        exe = shutil.which("firefox-esr") or shutil.which("firefox")
        if exe is None:
            raise RuntimeError("no firefox: run .ci/system-deps as root (Debian's firefox-esr)")
        self.timeout = timeout
        self.profile = tempfile.mkdtemp(prefix="carevis-firefox-")
        port = free_port()
        prefs = {
            "marionette.port": port,
            # the network: a proxy on a port nothing listens on, for every scheme
            "network.proxy.type": 1,
            "network.proxy.http": "127.0.0.1",
            "network.proxy.http_port": 9,
            "network.proxy.ssl": "127.0.0.1",
            "network.proxy.ssl_port": 9,
            "network.proxy.allow_hijacking_localhost": True,
            "network.captive-portal-service.enabled": False,
            "network.connectivity-service.enabled": False,
            "app.update.disabledForTesting": True,
            "browser.shell.checkDefaultBrowser": False,
            "browser.startup.homepage_override.mstone": "ignore",
            "datareporting.policy.dataSubmissionEnabled": False,
            "toolkit.telemetry.reportingpolicy.firstRun": False,
            "webgl.force-enabled": True,
            "layout.css.devPixelsPerPx": "1.0",
        }
        lines = [f"user_pref({json.dumps(k)}, {json.dumps(v)});" for k, v in prefs.items()]
        Path(self.profile, "user.js").write_text("\n".join(lines) + "\n")
        env = dict(os.environ, DISPLAY=display, MOZ_CRASHREPORTER_DISABLE="1")
        env.pop("WAYLAND_DISPLAY", None)
        self.proc = subprocess.Popen(
            [exe, "--marionette", "--no-remote", "--profile", self.profile],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + timeout
        while True:
            try:
                self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
                break
            except OSError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("firefox did not start Marionette") from None
                time.sleep(0.1)
        self._buffer = b""
        self._id = 0
        self._read()  # the greeting
        self._call("WebDriver:NewSession", capabilities={"pageLoadStrategy": "normal"})
        self._call("WebDriver:SetTimeouts", script=int(timeout * 1000))
        self.resize(width, height)

    def _read(self) -> Any:
        while b":" not in self._buffer:
            self._buffer += self._recv()
        size, rest = self._buffer.split(b":", 1)
        n = int(size)
        while len(rest) < n:
            rest += self._recv()
        self._buffer = rest[n:]
        return json.loads(rest[:n])

    def _recv(self) -> bytes:
        chunk = self.sock.recv(1 << 20)
        if not chunk:
            raise RuntimeError("firefox closed the Marionette connection")
        return chunk

    def _call(self, command: str, **params: Any) -> Any:
        self._id += 1
        msg = json.dumps([0, self._id, command, params]).encode()
        self.sock.sendall(str(len(msg)).encode() + b":" + msg)
        while True:
            kind, mid, error, result = self._read()
            if kind == 1 and mid == self._id:
                if error:
                    raise RuntimeError(f"{command}: {error.get('error')}: {error.get('message')}")
                return result

    def _script(self, body: str, args: list[Any]) -> Any:
        return self._call("WebDriver:ExecuteScript", script=body, args=args)["value"]

    def _navigate(self, url: str) -> None:
        self._call("WebDriver:Navigate", url=url)

    def _rect(self) -> dict[str, int]:
        rect: dict[str, int] = self._call("WebDriver:GetWindowRect")
        return rect

    def _set_rect(self, width: int, height: int) -> None:
        self._call("WebDriver:SetWindowRect", width=width, height=height)

    def _screenshot(self) -> str:
        data: str = self._call("WebDriver:TakeScreenshot", full=False, hash=False)["value"]
        return data

    def close(self) -> None:
        with contextlib.suppress(RuntimeError, OSError):
            self._call("Marionette:Quit")
        with contextlib.suppress(OSError):
            self.sock.close()
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        shutil.rmtree(self.profile, ignore_errors=True)


def minibrowser_path() -> str | None:
    return next((p for p in MINIBROWSER if Path(p).exists()), None)


class WebKit(Engine):
    """WebKitGTK's MiniBrowser on `display`, through WebKitWebDriver (W3C WebDriver)."""

    name = "webkit"

    def __init__(self, display: str, width: int, height: int, timeout: float = 120.0) -> None:
        driver, browser = shutil.which("WebKitWebDriver"), minibrowser_path()
        if driver is None or browser is None:
            raise RuntimeError("no WebKitGTK: run .ci/system-deps as root (webkit2gtk-driver)")
        self.timeout = timeout
        self.port = free_port()
        env = dict(os.environ, DISPLAY=display)
        env.pop("WAYLAND_DISPLAY", None)
        self.proc = subprocess.Popen(
            [driver, f"--port={self.port}"],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + timeout
        while True:
            try:
                self._http("GET", "/status")
                break
            except OSError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("WebKitWebDriver did not start") from None
                time.sleep(0.1)
        caps = {
            "webkitgtk:browserOptions": {"binary": browser, "args": ["--automation"]},
            "proxy": {"proxyType": "manual", "httpProxy": "127.0.0.1:9", "sslProxy": "127.0.0.1:9"},
            "timeouts": {"script": int(timeout * 1000)},
        }
        reply = self._http("POST", "/session", {"capabilities": {"alwaysMatch": caps}})
        self.session = reply["sessionId"]
        self.resize(width, height)

    def _http(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(
            f"http://127.0.0.1:{self.port}{path}",
            data=data,
            method=method,
            headers={"Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as f:
                return json.loads(f.read())["value"]
        except urllib.error.HTTPError as e:
            detail = json.loads(e.read() or b"{}").get("value", {})
            raise RuntimeError(f"{method} {path}: {detail.get('message', e)}") from None

    def _s(self, path: str) -> str:
        return f"/session/{self.session}{path}"

    def _rect(self) -> dict[str, int]:
        rect: dict[str, int] = self._http("GET", self._s("/window/rect"))
        return rect

    def _set_rect(self, width: int, height: int) -> None:
        self._http("POST", self._s("/window/rect"), {"width": width, "height": height})

    def _script(self, body: str, args: list[Any]) -> Any:
        return self._http("POST", self._s("/execute/sync"), {"script": body, "args": args})

    def _navigate(self, url: str) -> None:
        self._http("POST", self._s("/url"), {"url": url})

    def _screenshot(self) -> str:
        data: str = self._http("GET", self._s("/screenshot"))
        return data

    def close(self) -> None:
        with contextlib.suppress(RuntimeError, OSError):
            self._http("DELETE", self._s(""))
        self.proc.terminate()
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
