"""What in a VDSM-managed domain is configuration and what is VDSM's run-time bookkeeping (pure).

The engine sends VDSM a domain XML with an ``ovirt-vm:vm`` metadata block;
VDSM then rewrites parts of that block, and the disks' paths, while the VM
runs. Those rewrites are not changes anyone made to the guest, so history and
``vminv diff`` leave them out. Every rule here is read from VDSM's own code
(github.com/oVirt/vdsm, ``lib/vdsm/virt/vm.py``, ``livemerge.py``,
``metadata.py``); the function that does the writing is named beside each key.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from vminv.scanner.model import Disk

# Top-level ovirt-vm:vm keys that VDSM itself writes while the VM runs. The only
# writer of the VM-level block is vm.py (no other module touches ``_md_desc``):
VDSM_RUNTIME_KEYS = frozenset({
    # Vm._update_metadata, called on start, recovery, pause/resume, reboot,
    # balloon changes and exit: its own clock, balloon, exit and job records.
    "startTime",
    "guestAgentAPIVersion",  # what the guest agent announced
    "destroy_on_reboot",  # also set at run time by Vm.set_destroy_on_reboot (API VM.setDestroyOnReboot)
    "memGuaranteedSize",  # a copy of the engine's minGuaranteedMemoryMb ("data from Engine prevails")
    "balloonTarget",  # moved by every balloon (MOM) adjustment
    "pauseTime",  # set while paused, deleted on resume
    "exitCode",  # Vm._exit_info, filled when the qemu process ends
    "exitMessage",
    "exitReason",
    "snapshot_job",  # the running snapshot job; deleted when it ends
    # Vm.sync_jobs_metadata (driven by livemerge.DriveMerger._persist_jobs): block-job records.
    "jobs",
    # Vm._initCpuManagement: inferred on start when the engine sent none, and the
    # CPUs the policy pinned by hand; both derived from the domain's <cputune>.
    "cpuPolicy",
    "manuallyPinedCPUs",  # VDSM's spelling
})


def configuration_metadata(ovirt: Mapping[str, str] | None) -> dict[str, str] | None:
    """The engine's configuration keys of an ``ovirt-vm:vm`` block (clusterVersion,
    launchPaused, resumeBehavior, minGuaranteedMemoryMb, ballooningEnabled, ... and any
    key VDSM does not write), without VDSM's run-time bookkeeping."""
    if ovirt is None:
        return None
    return {key: value for key, value in ovirt.items() if key not in VDSM_RUNTIME_KEYS}


_UUID = "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
# VDSM's image layout: <repository>/.../<storage domain>/images/<image>/<volume>
# (storage/sd.py DOMAIN_IMAGES = 'images'; the repository, /rhev/data-center by
# default, is configurable as [irs] repository, so only the tail is matched).
_VOLUME_PATH = re.compile(rf"^(?P<image>.*/{_UUID}/images/(?P<image_id>{_UUID}))/(?P<volume_id>{_UUID})$")


def image_path(path: str | None) -> str | None:
    """The image directory of a path on VDSM's image layout; None for any other path.

    A disk's path names its active volume, the top of its snapshot chain.
    Taking a snapshot adds a volume and a live merge pivots to another
    (livemerge.py; Vm.sync_disk_metadata then rewrites volumeID and
    volumeChain), so the volume is VDSM's state, while the image is the disk.
    """
    if path is None:
        return None
    found = _VOLUME_PATH.match(path)
    return found.group("image") if found else None


def is_vdsm_image(disk: Disk) -> bool:
    """A disk whose path is on VDSM's image layout (or whose metadata names its image)."""
    return disk.vdsm_image_id is not None or image_path(disk.source) is not None
