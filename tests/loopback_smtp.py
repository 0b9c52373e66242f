"""aiosmtpd's threaded controller on a port the kernel picks when it binds, so that no
other process can hold it (a port picked earlier and handed over can be taken first).

Importable from every test folder, as polling is.
"""

from __future__ import annotations

import asyncio
from typing import Any

from aiosmtpd.controller import Controller


class LoopbackController(Controller):
    """Serves on 127.0.0.1; ``port`` is the one bound, once ``start()`` returns."""

    def __init__(self, handler: Any, **kwargs: Any) -> None:
        super().__init__(handler, hostname="127.0.0.1", port=0, **kwargs)

    async def _create_server(self) -> asyncio.AbstractServer:  # type: ignore[override]
        server = await self.loop.create_server(self._factory_invoker, host=self.hostname, port=0,
                                               ssl=self.ssl_context)
        self.port = server.sockets[0].getsockname()[1]
        return server
