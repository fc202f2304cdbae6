"""moto's server for the tests that talk to AWS APIs: on 127.0.0.1, a free port, started and
stopped by the fixture that enters `running`, with the environment moto reads on every request
(MOTO_ACCOUNT_ID, ...) set while it runs and restored after."""

from __future__ import annotations

import contextlib
import logging
import os
from typing import Iterator, Mapping


@contextlib.contextmanager
def running(environment: Mapping[str, str] | None = None) -> Iterator[str]:
    """The server's endpoint URL while the block runs."""
    from moto.server import ThreadedMotoServer

    saved = {key: os.environ.get(key) for key in environment or {}}
    os.environ.update(environment or {})
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one line per request otherwise
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        yield f"http://{host}:{port}"
    finally:
        server.stop()
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
