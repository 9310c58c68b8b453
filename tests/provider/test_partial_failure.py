"""A PartialFailure reaches the engine as ErrorResourceInitFailed with the id and partial state."""
from __future__ import annotations

import grpc
import pytest

from freebsd_provider import wire
from freebsd_provider.resources.base import PartialFailure
from freebsd_provider.resources.zfs_dataset import ZfsDataset
from harness import ProviderClient
from pulumi.runtime.proto import provider_pb2, status_pb2

T = "freebsd:index:ZfsDataset"


def test_partial_failure_carries_id_and_state(monkeypatch):
    async def failing_create(self, ctx, inputs):
        raise PartialFailure("half done: the password was s3cr3t", "zroot/half", {"name": "zroot/half"})

    monkeypatch.setattr(ZfsDataset, "create", failing_create)
    c = ProviderClient()
    try:
        c.configure(host="127.0.0.1", port=1, hostKey="ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl",
                    privateKeyPassphrase=wire.Secret("s3cr3t"))
        inputs, _ = c.check(T, "h", {"name": "zroot/half"})
        with pytest.raises(grpc.RpcError) as e:
            c.create(T, "h", inputs)
        err = e.value
        assert "half done" in err.details() and "s3cr3t" not in err.details()
        md = dict(err.trailing_metadata())
        st = status_pb2.Status.FromString(md["grpc-status-details-bin"])
        detail = provider_pb2.ErrorResourceInitFailed()
        assert st.details[0].Unpack(detail)
        assert detail.id == "zroot/half"
        assert wire.decode(detail.properties)["name"] == "zroot/half"
        assert all("s3cr3t" not in r for r in detail.reasons)
    finally:
        c.close()


def test_check_failures_escape_control_characters():
    """Check echoes a rejected key with its control characters escaped (no raw newline/NUL)."""
    c = ProviderClient()
    try:
        _, failures = c.check(T, "h", {"name": "zroot/x", "properties": {"bad\nkey\x00": "v"}})
        assert failures == [('properties["bad\\nkey\\x00"]', "invalid property 'bad\\nkey\\x00'")]
    finally:
        c.close()
