"""A Toxiproxy API client whose every call has a timeout.

toxiproxy-python 0.1.1 keeps its server address in a class attribute (one
server per process), sets no request timeouts and lists every proxy before
creating one; a chaos run cannot afford a control-plane call that hangs, nor
30 sequential round trips when a provider is cut. This client is a thin,
typed layer over the REST API (https://github.com/Shopify/toxiproxy#http-api)
on httpx, with a connection pool so bulk changes go out concurrently.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import httpx

from harness.errors import HarnessError

T = TypeVar("T")
CALL_TIMEOUT_S = 3.0
PARALLEL_CALLS = 32


class ToxiproxyError(HarnessError):
    pass


class ToxiproxyClient:
    def __init__(self, base_url: str, timeout_s: float = CALL_TIMEOUT_S) -> None:
        self.base_url = base_url
        limits = httpx.Limits(max_connections=PARALLEL_CALLS, max_keepalive_connections=PARALLEL_CALLS)
        self._http = httpx.Client(base_url=base_url, timeout=timeout_s, limits=limits)
        self._pool = ThreadPoolExecutor(max_workers=PARALLEL_CALLS, thread_name_prefix="toxiproxy")

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
        self._http.close()

    def version(self) -> str:
        return self._call("GET", "/version").text.strip()

    def populate(self, proxies: list[dict[str, Any]]) -> None:
        """Create (or update) many proxies in one call."""
        self._call("POST", "/populate", json=proxies)

    def proxies(self) -> dict[str, dict[str, Any]]:
        return self._call("GET", "/proxies").json()

    def set_enabled(self, proxy: str, enabled: bool) -> None:
        self._call("POST", f"/proxies/{proxy}", json={"enabled": enabled})

    def add_toxic(
        self,
        proxy: str,
        name: str,
        kind: str,
        attributes: dict[str, Any],
        stream: str = "downstream",
        toxicity: float = 1.0,
    ) -> None:
        body = {"name": name, "type": kind, "stream": stream, "toxicity": toxicity,
                "attributes": attributes}
        self._call("POST", f"/proxies/{proxy}/toxics", json=body)

    def remove_toxic(self, proxy: str, name: str) -> None:
        self._call("DELETE", f"/proxies/{proxy}/toxics/{name}", missing_ok=True)

    def reset(self) -> None:
        """Enable every proxy and remove every toxic."""
        self._call("POST", "/reset")

    def each(self, work: Iterable[T], call: Callable[[T], None]) -> None:
        """Run ``call`` on every item concurrently; raise the first failure."""
        futures = [self._pool.submit(call, item) for item in work]
        errors = [f.exception() for f in futures]
        first = next((e for e in errors if e is not None), None)
        if first is not None:
            raise first

    def _call(self, method: str, path: str, missing_ok: bool = False, **kwargs: Any) -> httpx.Response:
        try:
            response = self._http.request(method, path, **kwargs)
        except httpx.HTTPError as err:
            raise ToxiproxyError(
                f"Toxiproxy at {self.base_url} did not answer {method} {path}: {err!r}",
                "check the toxiproxy container (docker logs) and that the run is still up",
            ) from err
        if response.status_code == 404 and missing_ok:
            return response
        if response.status_code >= 400:
            raise ToxiproxyError(
                f"Toxiproxy refused {method} {path}: {response.status_code} {response.text.strip()}",
                "this is a harness bug if the request came from a valid scenario; please report it",
            )
        return response
