"""Post each epoch's logs to a web server (Keras' RemoteMonitor), with the standard library's HTTP client."""
from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
import warnings

from .base import Callback, registry

TIMEOUT_SECONDS = 10


@registry.register()
class RemoteMonitor(Callback):
    """Keras' ``RemoteMonitor(root="http://localhost:9000", path="/publish/epoch/end/", field="data",
    headers=None, send_as_json=False)``: at each epoch end, POST ``{"epoch": epoch, **logs}`` to
    ``root + path`` — as a JSON body with `send_as_json`, else as the form field `field` holding
    that JSON. A server that cannot be reached gives a warning, not an error (training goes on).
    """

    def __init__(self, root: str = "http://localhost:9000", path: str = "/publish/epoch/end/", field: str = "data",
                 headers=None, send_as_json: bool = False):
        super().__init__()
        if urllib.parse.urlparse(root + path).scheme not in ("http", "https"):
            raise ValueError(f"RemoteMonitor posts to an http(s) URL; got root + path = {root + path!r}.")
        self.root, self.path, self.field = root, path, field
        self.headers = dict(headers or {})
        self.send_as_json = bool(send_as_json)

    def on_epoch_end(self, epoch, logs=None):
        record = json.dumps({"epoch": epoch, **(logs or {})})
        if self.send_as_json:
            body, content_type = record.encode(), "application/json"
        else:
            body, content_type = urllib.parse.urlencode({self.field: record}).encode(), \
                "application/x-www-form-urlencoded"
        request = urllib.request.Request(self.root + self.path, data=body, method="POST",
                                         headers={"Content-Type": content_type, **self.headers})
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS):
                pass
        except (urllib.error.URLError, OSError) as error:
            warnings.warn(f"Could not reach RemoteMonitor root server at {self.root}: {error}", stacklevel=2)
