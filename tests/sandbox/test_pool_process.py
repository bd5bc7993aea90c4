"""Worker processes: how they are started and hardened, how a pool refuses to start without
lodash or a working interpreter, and how the parent treats a worker that breaks the protocol
(as untrusted: the call is a crash, the worker is replaced)."""

from __future__ import annotations

import os
import struct
import sys
from pathlib import Path

import anyio
import orjson
import pytest

from tests.sandbox.conftest import invocation, open_pool
from toolkeep.sandbox.glue import LodashMissing
from toolkeep.sandbox.pool import ProcessPoolRunner, WorkerStartError
from toolkeep.sandbox.pool.protocol import (
    HEADER,
    MAX_FRAME,
    ProtocolError,
    decode,
    encode,
    frame_size,
    result_from,
    result_message,
)
from toolkeep.sandbox.runner import ToolRunResult

pytestmark = pytest.mark.anyio
BOUND_S = 20.0


async def test_a_worker_sees_none_of_the_parents_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TOOLKEEP_SECRET_KEY", "hunter2")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "hunter3")
    async with open_pool(1) as pool:
        [pid] = pool.pids
        environ = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    names = sorted(entry.split(b"=", 1)[0].decode() for entry in environ if entry)
    assert names == ["LC_ALL", "PYTHONPATH"]
    assert b"hunter" not in b"".join(environ)


def limit(pid: int, label: str) -> list[str]:
    """The soft and hard values of one row of /proc/<pid>/limits."""
    for line in Path(f"/proc/{pid}/limits").read_text().splitlines():
        if line.startswith(label):
            return line[len(label) :].split()[:2]
    raise AssertionError(f"no {label!r} in the limits")


async def test_a_worker_is_hardened() -> None:
    async with open_pool(1) as pool:
        [pid] = pool.pids
        cwd = os.readlink(f"/proc/{pid}/cwd")
        assert os.listdir(cwd) == []
        assert cwd != os.getcwd()
        assert limit(pid, "Max address space") == ["1073741824", "1073741824"]
        assert limit(pid, "Max core file size") == ["0", "0"]
        targets = sorted(
            os.readlink(f"/proc/{pid}/fd/{fd}") for fd in os.listdir(f"/proc/{pid}/fd")
        )
        assert targets[:3] == ["/dev/null"] * 3
        assert len(targets) == 5
        assert all(target.startswith("pipe:") for target in targets[3:])
        assert os.getsid(pid) == pid  # its own session: no signal meant for the server hits it


async def test_a_pool_without_lodash_fails_to_start_and_names_make_install(
    tmp_path: Path,
) -> None:
    pool = ProcessPoolRunner(1, lodash_path=tmp_path / "missing.js")
    with pytest.raises(LodashMissing, match="make install"):
        await pool.start()
    assert pool.pids == []


async def test_a_pool_whose_workers_cannot_start_says_so() -> None:
    pool = ProcessPoolRunner(1, python="/bin/false", start_timeout_s=BOUND_S)
    with anyio.fail_after(BOUND_S), pytest.raises(WorkerStartError, match="exited with code 1"):
        await pool.start()
    await pool.aclose()


def test_the_pool_size_defaults_to_the_cpu_count_and_must_be_positive() -> None:
    assert ProcessPoolRunner().size == (os.cpu_count() or 1)
    with pytest.raises(ValueError, match="at least 1"):
        ProcessPoolRunner(0)


FAKE_WORKER = """#!{python}
import json, os, struct

def read(n):
    data = b""
    while len(data) < n:
        chunk = os.read(0, n - len(data))
        if not chunk:
            raise SystemExit(0)
        data += chunk
    return data

def receive():
    return json.loads(read(struct.unpack(">I", read(4))[0]))

def send(message):
    body = json.dumps(message).encode()
    os.write(1, struct.pack(">I", len(body)) + body)

os.write(2, b"SECRET-IN-STDERR\\n")
receive()
send({{"t": "ready"}})
while True:
    receive()
{behaviour}
"""
BEHAVIOURS = {
    "oversized-frame": "    os.write(1, struct.pack('>I', 2**31))",
    "bad-result": "    send({'t': 'result', 'value': 1, 'undefined': False, 'error': None, "
    "'error_kind': 'bogus', 'console': [], 'duration_ms': 1})",
    "too-many-host-calls": "    send({'t': 'host', 'requests': [{}] * 50})",
    "unknown-message": "    send({'t': 'hello'})",
    "not-json": "    os.write(1, struct.pack('>I', 3) + b'{{{')",
}


@pytest.mark.parametrize("behaviour", sorted(BEHAVIOURS))
async def test_a_worker_that_breaks_the_protocol_is_a_crash_and_is_replaced(
    tmp_path: Path, capfd: pytest.CaptureFixture[str], behaviour: str
) -> None:
    fake = tmp_path / "fake-python"
    fake.write_text(FAKE_WORKER.format(python=sys.executable, behaviour=BEHAVIOURS[behaviour]))
    fake.chmod(0o700)
    async with open_pool(1, python=str(fake)) as pool:
        [pid] = pool.pids
        with anyio.fail_after(BOUND_S):
            result = await pool.run(invocation("return 1"))
            await pool.wait_full()
        assert (result.error_kind, result.error) == ("crash", "The tool crashed the sandbox")
        assert pool.pids != [pid]
    assert "SECRET-IN-STDERR" not in capfd.readouterr().err


def test_frames_round_trip_what_orjson_alone_would_refuse() -> None:
    message = {"t": "x", "big": 2**70, "lone": "\ud800", "text": "é😀"}
    frame = encode(message)
    assert frame_size(frame[: HEADER.size]) == len(frame) - HEADER.size
    assert decode(frame[HEADER.size :]) == message
    assert decode(encode({"t": "y", "n": 1})[HEADER.size :]) == {"t": "y", "n": 1}


@pytest.mark.parametrize("body", [b"[1]", b'{"no": "type"}', b"{{", orjson.dumps("t")])
def test_a_frame_that_is_not_a_typed_object_is_a_protocol_error(body: bytes) -> None:
    with pytest.raises(ProtocolError):
        decode(body)


def test_a_frame_over_the_limit_is_refused_before_it_is_read() -> None:
    with pytest.raises(ProtocolError):
        frame_size(struct.pack(">I", MAX_FRAME + 1))


def test_results_round_trip_and_malformed_ones_are_refused() -> None:
    result = ToolRunResult({"a": [1]}, error=None, error_kind=None, console=("x",), duration_ms=1.5)
    assert result_from(result_message(result)) == result
    for broken in (
        {"error_kind": "bogus"},
        {"console": "x"},
        {"console": [1]},
        {"undefined": "no"},
        {"error": 5},
        {"duration_ms": None},
    ):
        with pytest.raises(ProtocolError):
            result_from({**result_message(result), **broken})
