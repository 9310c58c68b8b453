"""The gRPC side: the ResourceProvider service, written against the SDK's generated stubs.

The servicer implements the generated ``ResourceProviderServicer`` directly rather than the SDK's
experimental ``ProviderServicer``: that framework falls short on the RPCs below (see
shared/reference/pulumi-python-provider.md), and the rest of it (Construct/Call/Invoke/
Parameterize plumbing for components and functions, which this provider has none of) is not worth
importing the whole SDK at start-up:

* unknowns: values are decoded by ``wire`` (unknown sentinel kept, output values unwrapped),
  never through ``PropertyValue`` which cannot marshal computed values;
* ``old_inputs`` reach Diff/Update/Delete; detailed diffs are always filled, with
  update-vs-replace per property and ``deleteBeforeReplace``; the reason is logged on the URN;
* blocking SSH work runs in threads (``hostctx``); engine logging through the Engine service;
* partial failures are reported with ``ErrorResourceInitFailed`` so the engine records what
  was made; ``Attach`` and ``Handshake`` are implemented; ``acceptResources`` is off;
* secrets: secret inputs stay secret in outputs, and secret strings are scrubbed from every
  error message and log line.
"""
from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
import traceback
from typing import Any, Optional

import grpc
import grpc.aio
from google.protobuf import empty_pb2

from pulumi.runtime.proto import engine_pb2, engine_pb2_grpc, provider_pb2, provider_pb2_grpc, plugin_pb2, status_pb2

from . import VERSION, config as cfgmod, trace, wire
from .hostctx import Host
from .resources import RESOURCES
from .resources.base import DiffResult, Failure, PartialFailure, Resource, clamp, shown
from .schema import render as render_schema
from .errors import JailNotRunning, ProviderError, SSHError
from .ssh import Connection

log = logging.getLogger("freebsd_provider")

_KIND = {
    ("add", False): provider_pb2.PropertyDiff.ADD,
    ("add", True): provider_pb2.PropertyDiff.ADD_REPLACE,
    ("delete", False): provider_pb2.PropertyDiff.DELETE,
    ("delete", True): provider_pb2.PropertyDiff.DELETE_REPLACE,
    ("update", False): provider_pb2.PropertyDiff.UPDATE,
    ("update", True): provider_pb2.PropertyDiff.UPDATE_REPLACE,
}
_SEVERITY = {"debug": engine_pb2.DEBUG, "info": engine_pb2.INFO, "warning": engine_pb2.WARNING,
             "error": engine_pb2.ERROR}


class _Status(grpc.Status):
    """A concrete grpc.Status (the grpc class is an abstract interface) for abort_with_status."""

    def __init__(self, code, details, trailing_metadata):
        self.code = code
        self.details = details
        self.trailing_metadata = trailing_metadata


# as the SDK's own plugins set them (pulumi.runtime._grpc_settings)
_GRPC_CHANNEL_OPTIONS = [("grpc.max_receive_message_length", 400 * 1024 * 1024),
                         ("grpc.server_max_unrequested_time_in_server", 30 * 60)]


class Ctx:
    def __init__(self, host: Host, urn: str, preview: bool = False, log: Any = None):
        self.host = host
        self.urn = urn
        self.preview = preview
        self._log = log
        self.journal_op = None  # set by the framework during a create or a delete

    async def warn(self, message: str) -> None:
        """A warning attached to this resource in the engine's output (preview and up)."""
        if self._log is not None:
            await self._log("warning", message, self.urn)


class FreeBSDServicer(provider_pb2_grpc.ResourceProviderServicer):
    def __init__(self, engine_address: Optional[str]):
        super().__init__()
        self._engine_address = engine_address
        self._engine: Optional[engine_pb2_grpc.EngineStub] = None
        self._config: dict[str, Any] = {}
        self._config_unknown = False
        self._conn: Optional[Connection] = None
        self._host: Optional[Host] = None
        self._secrets: set[str] = set()
        self._resources: dict[str, Resource] = {r.token: r() for r in RESOURCES}
        self._schema = render_schema()

    # -- plumbing -------------------------------------------------------------------------
    def scrub(self, text: str) -> str:
        for s in sorted(self._secrets, key=len, reverse=True):
            if s and s in text:
                text = text.replace(s, "[secret]")
        return text

    def _remember_secrets(self, values: Any) -> None:
        def walk(v, secret=False):
            if isinstance(v, wire.Secret):
                walk(v.value, True)
            elif isinstance(v, dict):
                for x in v.values():
                    walk(x, secret)
            elif isinstance(v, list):
                for x in v:
                    walk(x, secret)
            elif secret and isinstance(v, str) and len(v) >= 4 and not wire.is_unknown(v):
                self._secrets.add(v)
        walk(values)

    async def _log(self, severity: str, message: str, urn: str = "") -> None:
        message = self.scrub(message)
        if self._engine is None and self._engine_address:
            channel = grpc.aio.insecure_channel(self._engine_address, options=_GRPC_CHANNEL_OPTIONS)
            self._engine = engine_pb2_grpc.EngineStub(channel)
        if self._engine is None:
            print(f"[{severity}] {message}", file=sys.stderr)
            return
        try:
            await self._engine.Log(engine_pb2.LogRequest(severity=_SEVERITY.get(severity, engine_pb2.INFO),
                                                         message=message, urn=urn))
        except grpc.RpcError:
            print(f"[{severity}] {message}", file=sys.stderr)

    def _resource(self, urn: str, type_: str = "") -> Resource:
        token = type_ or urn.split("::")[-2].split("$")[-1]
        r = self._resources.get(token)
        if r is None:
            raise ValueError(f"unknown resource type {token}")
        return r

    def _ctx(self, urn: str, preview: bool = False) -> Ctx:
        if self._host is None:
            if self._config_unknown:
                raise SSHError("the provider's host settings are not known yet")
            if not self._config:
                raise SSHError("the provider is not configured (set freebsd:host and a host key)")
            self._conn = Connection(cfgmod.connection_config(self._config))
            self._host = Host(self._conn, lambda sev, msg: self._log(sev, msg))
        return Ctx(self._host, urn, preview, self._log)

    async def _fail(self, context, exc: BaseException, urn: str = "", r: Optional[Resource] = None,
                    inputs: Optional[dict[str, Any]] = None) -> None:
        if isinstance(exc, PartialFailure):
            if r is not None and inputs is not None:
                exc.outputs = self._outputs(r, inputs, exc.outputs)
                exc.inputs = inputs
            # the status travels in a header: keep the message short enough that a long
            # command output never costs the engine the record of what was made
            msg = clamp(self.scrub(str(exc)), 2000)
            s = status_pb2.Status(code=grpc.StatusCode.UNKNOWN.value[0], message=msg)
            detail = provider_pb2.ErrorResourceInitFailed(
                id=exc.resource_id,
                properties=wire.encode(exc.outputs),
                reasons=[msg],
                inputs=wire.encode(exc.inputs) if exc.inputs is not None else None,
            )
            s.details.add().Pack(detail)
            await context.abort_with_status(_Status(
                grpc.StatusCode.UNKNOWN, msg,
                (("grpc-status-details-bin", s.SerializeToString()),)))
        if isinstance(exc, (ProviderError, RuntimeError, ValueError)):
            msg = str(exc)
        else:
            msg = f"{type(exc).__name__}: {exc}\n{''.join(traceback.format_exception(exc))}"
        await context.abort(grpc.StatusCode.UNKNOWN, self.scrub(msg))

    @staticmethod
    def _decode(struct) -> dict[str, Any]:
        return wire.decode(struct) if struct is not None else {}

    def _outputs(self, r: Resource, inputs_with_secrets: dict[str, Any], outputs: dict[str, Any]) -> dict[str, Any]:
        """Re-mark secrets: schema-secret fields and any field whose input was secret."""
        secret_keys = r.secret_keys()
        out = {}
        for k, v in outputs.items():
            if v is None:
                continue
            if (k in secret_keys or wire.is_secret(inputs_with_secrets.get(k))) and not isinstance(v, wire.Secret):
                v = wire.Secret(wire.reveal(v))
            out[k] = v
        return out

    # -- handshake / config ---------------------------------------------------------------
    async def Handshake(self, request, context):
        if request.engine_address:
            self._engine_address = request.engine_address
        return provider_pb2.ProviderHandshakeResponse(accept_secrets=True, accept_resources=False,
                                                      accept_outputs=False)

    async def Attach(self, request, context):
        self._engine_address = request.address
        self._engine = None
        return empty_pb2.Empty()

    async def GetSchema(self, request, context):
        return provider_pb2.GetSchemaResponse(schema=self._schema)

    async def CheckConfig(self, request, context):
        news = self._decode(request.news)
        inputs, failures = cfgmod.check(news)
        return provider_pb2.CheckResponse(
            inputs=wire.encode(inputs),
            failures=[provider_pb2.CheckFailure(property=clamp(shown(f.property), 120), reason=clamp(shown(self.scrub(f.reason))))
                      for f in failures])

    async def DiffConfig(self, request, context):
        olds, news = self._decode(request.olds), self._decode(request.news)
        olds = self._decode(request.old_inputs) if request.HasField("old_inputs") else olds
        detailed = {}
        replaces = []
        for f in cfgmod.CONFIG_FIELDS:
            o, n = olds.get(f.wire), news.get(f.wire)
            if wire.reveal(o) != wire.reveal(n):
                # A different host is a different machine: replace everything it manages.
                rep = f.wire == "host"
                detailed[f.wire] = provider_pb2.PropertyDiff(kind=_KIND[("update", rep)])
                if rep:
                    replaces.append(f.wire)
        return provider_pb2.DiffResponse(
            changes=provider_pb2.DiffResponse.DIFF_SOME if detailed else provider_pb2.DiffResponse.DIFF_NONE,
            replaces=replaces, detailedDiff=detailed, hasDetailedDiff=True, diffs=sorted(detailed))

    async def Configure(self, request, context):
        values = self._decode(request.args) if request.HasField("args") and request.args.fields else \
            cfgmod.from_variables(dict(request.variables))
        values, failures = cfgmod.check(values)
        if failures:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, self.scrub(
                "invalid provider configuration: " + "; ".join(f"{f.property}: {shown(f.reason)}" for f in failures)))
        self._config_unknown = cfgmod.has_unknowns(values)
        self._config = values
        self._secrets |= cfgmod.secret_strings(values)
        self._remember_secrets(values)
        return provider_pb2.ConfigureResponse(acceptSecrets=True, supportsPreview=True,
                                              acceptResources=False, acceptOutputs=False)

    # -- check / diff ---------------------------------------------------------------------
    async def Check(self, request, context):
        r = self._resource(request.urn, request.type)
        news = self._decode(request.news)
        self._remember_secrets(news)
        inputs, failures = r.normalize_inputs(news)
        if not failures:
            try:
                failures = r.op_validate(wire.reveal(inputs))
            except Exception as e:  # noqa: BLE001  (a validator bug must not crash the run)
                failures = [Failure("", f"validation failed: {e}")]
        return provider_pb2.CheckResponse(
            inputs=wire.encode(inputs),
            failures=[provider_pb2.CheckFailure(property=clamp(shown(f.property), 120), reason=clamp(shown(self.scrub(f.reason))))
                      for f in failures])

    async def Diff(self, request, context):
        r = self._resource(request.urn, request.type)
        olds = self._decode(request.olds)
        old_inputs = self._decode(request.old_inputs) if request.HasField("old_inputs") and request.old_inputs.fields else None
        news = self._decode(request.news)
        base, _ = r.normalize_inputs({k: v for k, v in (old_inputs or olds).items()
                                      if k in {f.wire for f in r.input_fields()}})
        res: DiffResult = r.op_diff(wire.reveal(base), wire.reveal(news))
        detailed = {k: provider_pb2.PropertyDiff(kind=_KIND[(d.kind, d.replace)], inputDiff=True)
                    for k, d in res.changes.items()}
        replaces = res.replaces
        if replaces:
            why = "; ".join(f"{k}: {d.why or 'changing it replaces the resource'}"
                            for k, d in res.changes.items() if d.replace)
            await self._log("info", f"replacement needed: {why}", request.urn)
        return provider_pb2.DiffResponse(
            changes=provider_pb2.DiffResponse.DIFF_SOME if res.changes else provider_pb2.DiffResponse.DIFF_NONE,
            replaces=replaces,
            # Host objects are named: the old one must go before the new one can be made.
            deleteBeforeReplace=bool(replaces),
            diffs=sorted({k.split(".")[0].split("[")[0] for k in res.changes}),
            detailedDiff=detailed, hasDetailedDiff=True)

    # -- CRUD -----------------------------------------------------------------------------
    async def Create(self, request, context):
        r = self._resource(request.urn, request.type)
        inputs = self._decode(request.properties)
        self._remember_secrets(inputs)
        if request.preview:
            await self._preview_warnings(r, request.urn, inputs)
            out = r.preview_outputs(wire.reveal(inputs))
            return provider_pb2.CreateResponse(id="", properties=wire.encode(self._outputs(r, inputs, out)))
        try:
            rid, out = await r.op_create(self._ctx(request.urn), wire.reveal(inputs))
        except Exception as e:  # noqa: BLE001
            await self._fail(context, e, request.urn, r, inputs)
            raise
        return provider_pb2.CreateResponse(id=rid, properties=wire.encode(self._outputs(r, inputs, out)))

    async def _preview_warnings(self, r: Resource, urn: str, news: dict[str, Any]) -> None:
        """Warnings a resource can tell at preview from the host as it is (read-only commands,
        only for resources that change). Best effort: any failure is a debug note, never a
        failed preview."""
        if type(r).preview_warnings is Resource.preview_warnings:
            return
        try:
            ctx = self._ctx(urn, preview=True)
            for w in await r.op_preview_warnings(ctx, wire.reveal(news)):
                await ctx.warn(w)
        except Exception as e:  # noqa: BLE001
            await self._log("debug", f"preview checks skipped: {e}", urn)

    async def Read(self, request, context):
        r = self._resource(request.urn, request.type)
        state = self._decode(request.properties)
        inputs = self._decode(request.inputs) if request.HasField("inputs") and request.inputs.fields else None
        self._remember_secrets(state)
        self._remember_secrets(inputs)
        try:
            res = await r.op_read(self._ctx(request.urn), request.id,
                               wire.reveal(inputs) if inputs is not None else None, wire.reveal(state))
        except JailNotRunning as e:
            if inputs is None:
                await self._fail(context, e, request.urn)
                raise
            # The jail this resource lives in is not running (stopped by hand, or the host just
            # booted without it): nothing inside can be read. Keep what we know; the resource may
            # mark itself as drifted (e.g. a service is not running), and the VnetJail's own read
            # reports the stopped jail so the next `up` starts it before touching what is inside.
            await self._log("warning", f"jail not running, {request.id} not read: {e.result.stderr.strip()}",
                            request.urn)
            res = r.op_read_jail_down(wire.reveal(inputs), wire.reveal(state))
        except Exception as e:  # noqa: BLE001
            await self._fail(context, e, request.urn)
            raise
        if res is None:
            return provider_pb2.ReadResponse(id="")
        new_inputs, out = res
        secret_src = {**state, **(inputs or {})}
        return provider_pb2.ReadResponse(
            id=request.id,
            properties=wire.encode(self._outputs(r, secret_src, out)),
            inputs=wire.encode(self._outputs(r, secret_src, new_inputs)))

    async def Update(self, request, context):
        r = self._resource(request.urn, request.type)
        olds = self._decode(request.olds)
        old_inputs = self._decode(request.old_inputs) if request.HasField("old_inputs") and request.old_inputs.fields else olds
        news = self._decode(request.news)
        self._remember_secrets(news)
        if request.preview:
            await self._preview_warnings(r, request.urn, news)
            out = {**wire.reveal(olds), **r.preview_outputs(wire.reveal(news))}
            for f in r.output_fields():
                out[f.wire] = wire.reveal(olds).get(f.wire, wire.UNKNOWN)
            return provider_pb2.UpdateResponse(properties=wire.encode(self._outputs(r, news, out)))
        try:
            out = await r.op_update(self._ctx(request.urn), request.id, wire.reveal(old_inputs),
                                 wire.reveal(news), wire.reveal(olds))
        except Exception as e:  # noqa: BLE001
            await self._fail(context, e, request.urn, r, news)
            raise
        return provider_pb2.UpdateResponse(properties=wire.encode(self._outputs(r, news, out)))

    async def Delete(self, request, context):
        r = self._resource(request.urn, request.type)
        state = self._decode(request.properties)
        inputs = self._decode(request.old_inputs) if request.HasField("old_inputs") and request.old_inputs.fields else state
        try:
            await r.op_delete(self._ctx(request.urn), request.id, wire.reveal(inputs), wire.reveal(state))
        except Exception as e:  # noqa: BLE001
            await self._fail(context, e, request.urn)
            raise
        return empty_pb2.Empty()

    async def Cancel(self, request, context):
        if self._conn is not None:
            await asyncio.to_thread(self._conn.cancel)
        return empty_pb2.Empty()

    async def GetPluginInfo(self, request, context):
        return plugin_pb2.PluginInfo(version=VERSION)

    # -- what this provider does not have: functions, components, parameterization, mappings --
    async def Invoke(self, request, context):
        await context.abort(grpc.StatusCode.UNIMPLEMENTED, f"freebsd has no function {request.tok}")

    async def Call(self, request, context):
        await context.abort(grpc.StatusCode.UNIMPLEMENTED, f"freebsd has no method {request.tok}")

    async def Construct(self, request, context):
        await context.abort(grpc.StatusCode.UNIMPLEMENTED, f"freebsd has no component {request.type}")

    async def Parameterize(self, request, context):
        await context.abort(grpc.StatusCode.UNIMPLEMENTED, "the freebsd provider takes no parameters")

    async def List(self, request, context):
        await context.abort(grpc.StatusCode.UNIMPLEMENTED, "the freebsd provider does not list resources")

    async def GetMapping(self, request, context):
        return provider_pb2.GetMappingResponse(provider="", data=b"")

    async def GetMappings(self, request, context):
        return provider_pb2.GetMappingsResponse(providers=[])


async def serve(engine_address: Optional[str], ready=None) -> None:
    server = grpc.aio.server(options=_GRPC_CHANNEL_OPTIONS)
    servicer = FreeBSDServicer(engine_address)
    for name in ("Configure", "Check", "Diff", "Create", "Read", "Update", "Delete"):
        setattr(servicer, name, trace.traced(name, getattr(servicer, name)))
    provider_pb2_grpc.add_ResourceProviderServicer_to_server(servicer, server)
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    if ready is not None:
        ready(port, servicer)
    else:
        sys.stdout.write(f"{port}\n")
        sys.stdout.flush()
    await server.wait_for_termination()


def parse_args(argv: list[str]) -> Optional[str]:
    """argv is ``[--logtostderr] [-v=N] [--tracing URL] [--logflow] <engine-address>``."""
    p = argparse.ArgumentParser(prog="pulumi-resource-freebsd", add_help=True)
    p.add_argument("--logtostderr", action="store_true")
    p.add_argument("--logflow", action="store_true")
    p.add_argument("--tracing", default=None)
    p.add_argument("-v", default=None)
    p.add_argument("engine", nargs="?", default=None)
    ns, _ = p.parse_known_args(argv)
    return ns.engine


def main(argv: Optional[list[str]] = None) -> None:
    engine = parse_args(sys.argv[1:] if argv is None else argv)
    logging.basicConfig(level=os.environ.get("PULUMI_FREEBSD_LOG", "WARNING"), stream=sys.stderr)
    try:
        asyncio.run(serve(engine))
    except KeyboardInterrupt:
        pass
