"""Drive the provider over real gRPC, in-process (a LifeCycleTest-style helper).

The servicer runs on its own event loop in a background thread, listening on 127.0.0.1:0;
tests talk to it with the generated ``ResourceProviderStub`` exactly as the engine does.
"""
from __future__ import annotations

import asyncio
import contextlib
import threading
from typing import Any, Optional

import grpc

from pulumi.runtime.proto import provider_pb2, provider_pb2_grpc, status_pb2

from freebsd_provider import wire
from freebsd_provider.server import serve

TYPE = "freebsd:index:ZfsDataset"


def urn(token: str, name: str) -> str:
    return f"urn:pulumi:test::proj::{token}::{name}"


class ProviderClient:
    def __init__(self) -> None:
        self._ready = threading.Event()
        self.loop = asyncio.new_event_loop()
        self.servicer = None
        self.port = 0
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("provider did not start")
        self.channel = grpc.insecure_channel(f"127.0.0.1:{self.port}")
        self.stub = provider_pb2_grpc.ResourceProviderStub(self.channel)

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)

        def ready(port, servicer):
            self.port, self.servicer = port, servicer
            self._ready.set()
        try:
            self.loop.run_until_complete(serve(None, ready))
        except Exception:  # noqa: BLE001
            pass

    def close(self) -> None:
        self.channel.close()
        if self.servicer is not None and self.servicer._conn is not None:
            self.servicer._conn.close()

    def new_run(self) -> None:
        """Forget shared facts, as a new engine run (a new provider process) would."""
        if self.servicer is not None and self.servicer._host is not None:
            self.servicer._host.new_run()

    # -- RPC wrappers on plain values --------------------------------------------------------
    def configure(self, **cfg: Any) -> None:
        self.stub.Configure(provider_pb2.ConfigureRequest(args=wire.encode(cfg), acceptSecrets=True))

    def check_config(self, **cfg: Any):
        r = self.stub.CheckConfig(provider_pb2.CheckRequest(urn=urn("pulumi:providers:freebsd", "p"),
                                                            news=wire.encode(cfg)))
        return wire.decode(r.inputs), [(f.property, f.reason) for f in r.failures]

    def check(self, token: str, name: str, news: dict, olds: Optional[dict] = None):
        r = self.stub.Check(provider_pb2.CheckRequest(urn=urn(token, name), news=wire.encode(news),
                                                      olds=wire.encode(olds or {}), type=token, name=name))
        return wire.decode(r.inputs), [(f.property, f.reason) for f in r.failures]

    def diff(self, token: str, name: str, rid: str, olds: dict, news: dict, old_inputs: Optional[dict] = None):
        req = provider_pb2.DiffRequest(urn=urn(token, name), id=rid, olds=wire.encode(olds),
                                       news=wire.encode(news), type=token, name=name)
        if old_inputs is not None:
            req.old_inputs.CopyFrom(wire.encode(old_inputs))
        return self.stub.Diff(req)

    def create(self, token: str, name: str, inputs: dict, preview: bool = False):
        r = self.stub.Create(provider_pb2.CreateRequest(urn=urn(token, name), properties=wire.encode(inputs),
                                                        preview=preview, type=token, name=name))
        return r.id, wire.decode(r.properties)

    def read(self, token: str, name: str, rid: str, state: Optional[dict] = None, inputs: Optional[dict] = None):
        req = provider_pb2.ReadRequest(urn=urn(token, name), id=rid, properties=wire.encode(state or {}),
                                       type=token, name=name)
        if inputs is not None:
            req.inputs.CopyFrom(wire.encode(inputs))
        r = self.stub.Read(req)
        return r.id, wire.decode(r.properties), wire.decode(r.inputs)

    def update(self, token: str, name: str, rid: str, olds: dict, news: dict, old_inputs: Optional[dict] = None,
               preview: bool = False):
        req = provider_pb2.UpdateRequest(urn=urn(token, name), id=rid, olds=wire.encode(olds),
                                         news=wire.encode(news), preview=preview, type=token, name=name)
        if old_inputs is not None:
            req.old_inputs.CopyFrom(wire.encode(old_inputs))
        r = self.stub.Update(req)
        return wire.decode(r.properties)

    def delete(self, token: str, name: str, rid: str, state: dict, old_inputs: Optional[dict] = None):
        req = provider_pb2.DeleteRequest(urn=urn(token, name), id=rid, properties=wire.encode(state),
                                         type=token, name=name)
        if old_inputs is not None:
            req.old_inputs.CopyFrom(wire.encode(old_inputs))
        self.stub.Delete(req)


def kinds(diff_response) -> dict[str, str]:
    names = {v: k for k, v in provider_pb2.PropertyDiff.Kind.items()}
    return {k: names[v.kind] for k, v in diff_response.detailedDiff.items()}


def init_failed(err: grpc.RpcError) -> Optional[tuple[str, dict[str, Any]]]:
    """(id, outputs) a failed create/update recorded as a partial failure
    (ErrorResourceInitFailed), or None for a plain error."""
    md = dict(err.trailing_metadata() or ())
    if "grpc-status-details-bin" not in md:
        return None
    st = status_pb2.Status.FromString(md["grpc-status-details-bin"])
    detail = provider_pb2.ErrorResourceInitFailed()
    if not st.details or not st.details[0].Unpack(detail):
        return None
    return detail.id, wire.decode(detail.properties)


def must_init_failed(err: grpc.RpcError) -> tuple[str, dict[str, Any]]:
    got = init_failed(err)
    assert got is not None, f"no partial failure recorded: {err.details()}"
    return got


@contextlib.contextmanager
def failing_next(testbed, pattern: str, *more: str):
    """The testbed fails the next exec whose command line matches ``pattern`` (as a dead
    shell), until the block ends."""
    testbed.fault("--fail-next", pattern, *more)
    try:
        yield
    finally:
        testbed.fault("--clear")
