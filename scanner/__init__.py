"""Scan KVM hosts over libvirt (qemu+ssh, read-only) into frozen guest records."""

from vminv.scanner.model import Disk, Graphics, GuestRecord, HostFacts, HostResult, Nic, ScanResult

__all__ = ["Disk", "Graphics", "GuestRecord", "HostFacts", "HostResult", "Nic", "ScanResult"]
