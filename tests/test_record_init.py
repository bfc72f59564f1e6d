"""The records' one-step ``__init__`` (scanner/model.py ``_filled_at_once``) behaves as the dataclass's own."""

from __future__ import annotations

import dataclasses
import pickle
from typing import Any

import orjson
import pytest

from vminv.scanner.model import Disk, Graphics, GuestAddress, GuestRecord, Nic

_SAMPLE: dict[type[Any], dict[str, Any]] = {
    Nic: {"type": "bridge", "mac": "52:54:00:0a:00:01", "source": "br0", "model": "virtio", "target": None},
    Disk: {"device": "disk", "type": "file", "source": "/v/a.qcow2", "target": "vda", "bus": "virtio",
           "format": "qcow2", "readonly": False},
    Graphics: {"type": "vnc", "port": 5900},
    GuestAddress: {"source": "lease", "interface": "vnet0", "mac": None, "ips": ("192.0.2.4/24",)},
    GuestRecord: {
        "hypervisor": "kvmhost1", "type": "kvm", "name": "web01", "uuid": "6f2d3b3a-0c47-4e0e-9d4c-2b1d1e7b9a01",
        "id": 3, "state": "running", "vcpus": 2, "vcpus_current": 2, "memory_kib": 2097152,
        "current_memory_kib": 2097152, "os_type": "hvm", "arch": "x86_64", "machine": "pc-q35-7.2",
        "cpu_sockets": None, "cpu_dies": None, "cpu_cores": None, "cpu_threads": None, "nics": (), "disks": (),
        "graphics": (), "title": None, "description": None,
    },
}


def _reference(cls: type[Any]) -> type[Any]:
    """The same fields in a dataclass with the stock frozen ``__init__``."""
    return dataclasses.make_dataclass(
        f"Stock{cls.__name__}",
        [(f.name, f.type, dataclasses.field(default=f.default)) if f.default is not dataclasses.MISSING
         else (f.name, f.type) for f in dataclasses.fields(cls)],
        frozen=True,
    )


@pytest.mark.parametrize("cls", list(_SAMPLE), ids=lambda c: c.__name__)
def test_same_fields_and_defaults_as_the_stock_init(cls: type[Any]) -> None:
    values = _SAMPLE[cls]
    stock = _reference(cls)(**values)
    built = cls(**values)
    assert dataclasses.asdict(built) == dataclasses.asdict(stock)
    # Field order is declaration order: orjson and the stored records depend on it.
    assert list(vars(built)) == [f.name for f in dataclasses.fields(cls)]
    positional = cls(*values.values())
    assert positional == built and hash(positional) == hash(built)


@pytest.mark.parametrize("cls", list(_SAMPLE), ids=lambda c: c.__name__)
def test_wrong_calls_fail_as_before(cls: type[Any]) -> None:
    values = _SAMPLE[cls]
    missing = dict(values)
    missing.pop(next(iter(values)))
    with pytest.raises(TypeError):
        cls(**missing)
    with pytest.raises(TypeError):
        cls(**values, no_such_field=1)
    with pytest.raises(TypeError):
        cls(*values.values(), **{next(iter(values)): "twice"})


@pytest.mark.parametrize("cls", list(_SAMPLE), ids=lambda c: c.__name__)
def test_still_frozen_and_round_trips(cls: type[Any]) -> None:
    built = cls(**_SAMPLE[cls])
    with pytest.raises(dataclasses.FrozenInstanceError):
        built.type = "other"
    assert pickle.loads(pickle.dumps(built)) == built
    assert orjson.dumps(built) == orjson.dumps(_reference(cls)(**_SAMPLE[cls]))
    assert dataclasses.replace(built) == built
