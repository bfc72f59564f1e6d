"""Synthetic scans of many hosts, built as records directly (for the bench and the stress tests)."""

from __future__ import annotations

from vminv.scanner.model import Disk, GuestRecord, HostResult, Nic, ScanResult


def synthetic_guest(host_index: int, guest_index: int, vcpus: int = 2) -> GuestRecord:
    host = f"kvmhost{host_index:04d}"
    name = f"vm{host_index:04d}x{guest_index:03d}"
    mac = f"52:54:{host_index // 256:02x}:{host_index % 256:02x}:{guest_index // 256:02x}:{guest_index % 256:02x}"
    return GuestRecord(
        hypervisor=host,
        type="kvm",
        name=name,
        uuid=f"{host_index:08x}-0000-4000-8000-{guest_index:012x}",
        id=guest_index + 1,
        state="running",
        vcpus=vcpus,
        vcpus_current=vcpus,
        memory_kib=2097152,
        current_memory_kib=2097152,
        os_type="hvm",
        arch="x86_64",
        machine="pc-q35-7.2",
        cpu_sockets=1,
        cpu_dies=None,
        cpu_cores=vcpus,
        cpu_threads=1,
        nics=(
            Nic("bridge", mac, "br0", "virtio", f"vnet{guest_index * 2}"),
            Nic("network", None, "default", "e1000", None),
        ),
        disks=(
            Disk("disk", "file", f"/var/lib/libvirt/images/{name}.qcow2", "vda", "virtio", "qcow2", False),
            Disk("cdrom", "file", None, "sda", "sata", "raw", True),
        ),
        graphics=(),
        title=None,
        description=None,
        ovirt=None,
    )


def synthetic_scan(
    hosts: range,
    guests_per_host: int,
    started: str = "2024-05-01T10:00:00+00:00",
    vcpus: int = 2,
) -> ScanResult:
    """Every host answers with ``guests_per_host`` guests named ``vmHHHHxGGG``."""
    host_results = tuple(
        HostResult(f"kvmhost{h:04d}", f"qemu+ssh://root@kvmhost{h:04d}/system", "ok", None, None, None, 0.5, guests_per_host)
        for h in hosts
    )
    guests = tuple(synthetic_guest(h, g, vcpus) for h in hosts for g in range(guests_per_host))
    return ScanResult(
        started=started,
        finished=started,
        version="0.1.0",
        noderange=f"kvmhost[{hosts.start:04d}-{hosts.stop - 1:04d}]",
        hosts=host_results,
        guests=guests,
        options={"synthetic": True},
    )
