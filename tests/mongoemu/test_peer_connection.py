"""Member-to-member connections survive the other end closing them while idle."""

from __future__ import annotations

import asyncio

from fixtures.mongoemu import wire
from fixtures.mongoemu.peer import PeerConnection


async def answer_once_then_close(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """What Toxiproxy does to a connection when a blackhole is removed: it is closed."""
    request_id, _, op_code, payload = await wire.read_message(reader)
    request = wire.decode_request(request_id, op_code, payload)
    writer.write(wire.encode_op_msg({"ok": 1.0, "echo": request.body["ping"]}, request_id)[1])
    await writer.drain()
    writer.close()


def test_a_connection_closed_while_idle_is_replaced_on_the_next_call() -> None:
    async def scenario() -> list[int]:
        server = await asyncio.start_server(answer_once_then_close, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        connection = PeerConnection(f"127.0.0.1:{port}")
        try:
            first = await connection.call({"ping": 1, "$db": "admin"}, timeout=10)
            await asyncio.sleep(0.5)  # idle: the close reaches this end
            second = await connection.call({"ping": 2, "$db": "admin"}, timeout=10)
        finally:
            connection.close()
            server.close()
        return [first["echo"], second["echo"]]

    assert asyncio.run(scenario()) == [1, 2]
