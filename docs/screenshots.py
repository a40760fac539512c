"""Render pages of the built site to PNG in headless Chromium, for a person to look at.

    mkdocs build -d site && python docs/screenshots.py site api/layers.html math.html --out shots

Needs Debian's ``chromium`` (``apt-get install chromium``). Each page is served from a local HTTP
server (nothing leaves the machine: Chromium's background networking is off) and written to
``OUT/<page>.png``; ``--dark`` takes the dark palette, ``--height`` the window's height in pixels.
"""
from __future__ import annotations

import argparse
import functools
import http.server
import pathlib
import shutil
import subprocess
import tempfile
import threading

CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--hide-scrollbars", "--virtual-time-budget=5000"]


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def serve(folder: pathlib.Path) -> http.server.ThreadingHTTPServer:
    """A local HTTP server of `folder` on a free port, running in a thread."""
    handler = functools.partial(QuietHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def screenshot(url: str, out: pathlib.Path, width: int, height: int, dark: bool) -> None:
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        raise SystemExit("Chromium is not installed: apt-get install chromium")
    with tempfile.TemporaryDirectory() as profile:
        flags = [*CHROMIUM_FLAGS, f"--user-data-dir={profile}", f"--window-size={width},{height}",
                 f"--screenshot={out}"]
        if dark:
            flags.append("--force-dark-mode")
        subprocess.run([browser, *flags, url], check=True, capture_output=True, timeout=120)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("site", type=pathlib.Path, help="the built site (mkdocs build -d SITE)")
    parser.add_argument("pages", nargs="+", help="pages relative to the site, e.g. api/layers.html")
    parser.add_argument("--out", type=pathlib.Path, default=pathlib.Path("screenshots"))
    parser.add_argument("--width", type=int, default=1280)
    parser.add_argument("--height", type=int, default=2400)
    parser.add_argument("--dark", action="store_true")
    args = parser.parse_args(argv)
    if any("#" in page for page in args.pages):
        parser.error("give pages without #anchors: headless Chromium captures the top of the page (use --height)")
    args.out.mkdir(parents=True, exist_ok=True)
    server = serve(args.site)
    try:
        for page in args.pages:
            out = args.out / (page.replace("/", "-").removesuffix(".html") + ".png")
            screenshot(f"http://127.0.0.1:{server.server_address[1]}/{page}", out.resolve(), args.width, args.height,
                       args.dark)
            print(out)
    finally:
        server.shutdown()


if __name__ == "__main__":
    main()
