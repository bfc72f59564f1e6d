"""Domain XML -> GuestRecord, table-driven over ``fixtures/domains``.

``fixtures/domains/expected.json`` holds, for every fixture, the record's
``to_dict()`` without ``hypervisor``, written by hand from reading the XML.
Unit conversions are checked against libvirt itself (its in-process test
driver), not only against numbers typed here.
"""

from __future__ import annotations

import json
from pathlib import Path

import libvirt
import pytest

from vminv.errors import DomainXMLError
from vminv.scanner.domainxml import disk_column, nic_column, parse_domain
from vminv.scanner.model import GuestRecord
from vminv.scanner.units import kib_to_mib_text, to_kib

DOMAINS = Path(__file__).resolve().parent.parent / "fixtures" / "domains"
EXPECTED: dict[str, dict] = json.loads((DOMAINS / "expected.json").read_text(encoding="utf-8"))
FIXTURE_FILES = sorted(p.name for p in DOMAINS.glob("*.xml"))

UUID = "4dea22b3-1d52-d8f3-2516-782e98ab3fa0"


def parse_file(name: str, hypervisor: str = "kvmhost1") -> GuestRecord:
    return parse_domain((DOMAINS / name).read_bytes(), hypervisor)


def domain_xml(body: str, *, head: str = "<domain type='kvm'>", name: str = "g1", uuid: str = UUID) -> str:
    """A small hand-written domain around ``body`` (memory included by the caller or not)."""
    return f"{head}<name>{name}</name><uuid>{uuid}</uuid>{body}<os><type>hvm</type></os></domain>"


def with_devices(devices: str) -> str:
    return domain_xml(f"<memory unit='KiB'>1048576</memory><devices>{devices}</devices>")


# --------------------------------------------------------------------------------------------
# Every fixture against its hand-written expectation


def test_every_fixture_has_an_expectation_and_every_expectation_a_fixture():
    assert FIXTURE_FILES, "fixtures/domains is empty"
    assert sorted(EXPECTED) == FIXTURE_FILES


@pytest.mark.parametrize("name", FIXTURE_FILES)
def test_fixture_parses_to_expected_record(name):
    record = parse_file(name, hypervisor="kvmhost7")
    got = record.to_dict()
    assert got.pop("hypervisor") == "kvmhost7"
    # JSON has lists where the record has tuples; compare field by field for readable failures.
    got = json.loads(json.dumps(got))
    expected = EXPECTED[name]
    assert sorted(got) == sorted(expected), "record fields changed; update expected.json"
    for field in expected:
        assert got[field] == expected[field], f"{name}: field {field!r}"


@pytest.mark.parametrize("name", FIXTURE_FILES)
def test_str_and_bytes_input_give_the_same_record(name):
    raw = (DOMAINS / name).read_bytes()
    assert parse_domain(raw.decode("utf-8"), "h") == parse_domain(raw, "h")


@pytest.mark.parametrize("name", FIXTURE_FILES)
def test_record_round_trips_through_its_dict(name):
    record = parse_file(name)
    assert GuestRecord.from_dict(json.loads(json.dumps(record.to_dict()))) == record


# Fields libvirt itself reports after normalising a definition. Live-only values (id,
# vnet targets, graphics ports) are not compared: the test driver invents its own.
def _stable_view(record: GuestRecord) -> dict:
    return {
        "name": record.name,
        "uuid": record.uuid,
        "memory_kib": record.memory_kib,
        "current_memory_kib": record.current_memory_kib,
        "vcpus": record.vcpus,
        "vcpus_current": record.vcpus_current,
        "topology": (record.cpu_sockets, record.cpu_dies, record.cpu_cores, record.cpu_threads),
        "nics": [(n.type, n.source, n.model) for n in record.nics],
        "macs": [n.mac for n in record.nics if n.mac],
        "disks": [(d.device, d.type, d.source, d.target, d.format, d.readonly) for d in record.disks],
        "title": record.title,
        "description": record.description,
        "ovirt": record.ovirt,
    }


@pytest.fixture(scope="module")
def test_driver():
    libvirt.registerErrorHandler(lambda _ctx, _err: None, None)
    conn = libvirt.open("test:///default")
    yield conn
    conn.close()


@pytest.mark.parametrize("name", FIXTURE_FILES)
def test_libvirt_reads_each_fixture_the_way_the_parser_does(test_driver, name):
    # Define the fixture in libvirt's own parser, dump its normalised XML and check that
    # both documents give the same guest: units, UUID spelling, defaults and sources.
    raw = (DOMAINS / name).read_text(encoding="utf-8")
    ours = parse_domain(raw, "h")
    domain = test_driver.defineXML(raw)
    try:
        dumped = domain.XMLDesc(0)
        assert domain.maxMemory() == ours.memory_kib
    finally:
        domain.undefine()
    theirs = parse_domain(dumped, "h")
    mine, libvirts = _stable_view(ours), _stable_view(theirs)
    if not mine["macs"]:
        libvirts["macs"] = []  # libvirt generated MACs for the hand-written NICs without one
    assert mine == libvirts


# --------------------------------------------------------------------------------------------
# Memory units: every unit libvirt takes, exact KiB, rounded up like libvirt does

UNIT_TABLE = [
    # (unit attribute or None, value, KiB)
    (None, "1048576", 1048576),  # missing unit = KiB
    ("b", "1048576", 1024),
    ("b", "1", 1),  # a partial KiB rounds up
    ("bytes", "4097", 5),
    ("byte", "3000", 3),
    ("KB", "1", 1),  # 1000 bytes -> 1 KiB (ceil)
    ("KB", "2048", 2000),
    ("MB", "1", 977),  # 10^6 / 1024 = 976.56
    ("GB", "1", 976563),  # 10^9 / 1024 = 976562.5
    ("TB", "1", 976562500),
    ("PB", "1", 976562500000),
    ("EB", "1", 976562500000000),
    ("k", "1", 1),
    ("KiB", "1", 1),
    ("M", "1", 1024),
    ("MiB", "1", 1024),
    ("G", "1", 1048576),
    ("GiB", "1", 1048576),
    ("T", "1", 1073741824),
    ("TiB", "1", 1073741824),
    ("P", "1", 1099511627776),
    ("PiB", "1", 1099511627776),
    ("E", "1", 1125899906842624),
    ("EiB", "1", 1125899906842624),
    # libvirt compares units case-insensitively: the B decides decimal vs binary
    ("kb", "1000", 977),
    ("Kb", "1024", 1000),
    ("K", "3", 3),
    ("gib", "2", 2097152),
    ("GIB", "2", 2097152),
    ("mb", "1500", 1464844),
]


def _unit_id(row) -> str:
    unit, value, _ = row
    return f"{value}-{unit or 'nounit'}"


@pytest.mark.parametrize("unit,value,kib", UNIT_TABLE, ids=[_unit_id(r) for r in UNIT_TABLE])
def test_memory_unit_converts_to_exact_kib(unit, value, kib):
    attr = f" unit='{unit}'" if unit is not None else ""
    record = parse_domain(domain_xml(f"<memory{attr}>{value}</memory>"), "h")
    assert record.memory_kib == kib
    assert record.current_memory_kib == kib  # no <currentMemory>: the maximum
    assert to_kib(value, unit) == kib


@pytest.mark.parametrize("unit,value,kib", UNIT_TABLE, ids=[_unit_id(r) for r in UNIT_TABLE])
def test_memory_unit_agrees_with_libvirt(test_driver, unit, value, kib):
    attr = f" unit='{unit}'" if unit is not None else ""
    xml = f"<domain type='test'><name>units</name><memory{attr}>{value}</memory><os><type>hvm</type></os></domain>"
    domain = test_driver.defineXML(xml)
    try:
        assert domain.maxMemory() == kib
    finally:
        domain.undefine()


def test_current_memory_has_its_own_unit():
    xml = domain_xml("<memory unit='GiB'>4</memory><currentMemory unit='MiB'>1536</currentMemory>")
    record = parse_domain(xml, "h")
    assert (record.memory_kib, record.current_memory_kib) == (4194304, 1572864)


def test_memory_from_numa_cells_when_memory_is_absent():
    xml = domain_xml(
        "<cpu><numa><cell id='0' cpus='0' memory='1' unit='GiB'/>"
        "<cell id='1' cpus='1' memory='1048576'/></numa></cpu>"
    )
    assert parse_domain(xml, "h").memory_kib == 2097152


@pytest.mark.parametrize(
    "memory,fragment",
    [
        ("<memory unit='GB2'>4</memory>", "unknown memory unit 'GB2'"),
        ("<memory unit='iB'>4</memory>", "unknown memory unit 'iB'"),
        ("<memory unit='KiB'>4 GB</memory>", "'4 GB' is not a whole number"),
        ("<memory unit='KiB'>1_000</memory>", "'1_000' is not a whole number"),
        ("<memory unit='KiB'>-1</memory>", "'-1' is not a whole number"),
        ("<memory unit='KiB'>1.5</memory>", "'1.5' is not a whole number"),
        ("<memory unit='KiB'>\u0663</memory>", "is not a whole number"),  # Arabic-Indic three
        ("<memory unit='KiB'>1024</memory><currentMemory unit='X'>1</currentMemory>", "<currentMemory>"),
        ("", "no <memory>"),
        ("<cpu><numa><cell id='0' cpus='0' memory='1' unit='Q'/></numa></cpu>", "<cell memory>"),
    ],
)
def test_bad_memory_is_a_one_line_domain_error(memory, fragment):
    with pytest.raises(DomainXMLError) as caught:
        parse_domain(domain_xml(memory), "h")
    message = str(caught.value)
    assert fragment in message and "\n" not in message


def test_plus_sign_and_leading_zeros_are_accepted_like_libvirt_does():
    assert to_kib("+5", "KiB") == 5
    assert to_kib("010", None) == 10


@pytest.mark.parametrize(
    "kib,text",
    [(1048576, "1024"), (65536, "64"), (976563, "953.67"), (1572864, "1536"), (1, "0.00"), (1464844, "1430.51")],
)
def test_memory_column_text(kib, text):
    assert kib_to_mib_text(kib) == text


# --------------------------------------------------------------------------------------------
# NIC and disk sources, per libvirt type

NIC_SOURCES = [
    ("<interface type='bridge'><source bridge='br0'/></interface>", "bridge", "br0"),
    (
        "<interface type='network'><source network='default' portid='b3a1f0d2-6c4e-4f8a-9d2b-7e5c3a1f9b0d'"
        " bridge='virbr0'/><target dev='vnet1'/></interface>",
        "network",
        "default",  # the network's name, not the bridge a running guest reports
    ),
    ("<interface type='direct'><source dev='eno1' mode='bridge'/></interface>", "direct", "eno1"),
    (
        "<interface type='vhostuser'><source type='unix' path='/run/ovs/vhu0' mode='server'/></interface>",
        "vhostuser",
        "/run/ovs/vhu0",
    ),
    ("<interface type='user'><model type='e1000'/></interface>", "user", None),
    (
        "<interface type='hostdev' managed='yes'><source><address type='pci' domain='0x0000' bus='0x3b'"
        " slot='0x02' function='0x1'/></source></interface>",
        "hostdev",
        None,
    ),
    ("<interface type='ethernet'><target dev='tap0' managed='no'/></interface>", "ethernet", None),
    ("<interface type='bridge'/>", "bridge", None),  # no <source> at all
    ("<interface><source bridge='br0'/></interface>", "unknown", None),  # no type attribute
]


@pytest.mark.parametrize("xml,kind,source", NIC_SOURCES, ids=[f"{k}-{s}" for _, k, s in NIC_SOURCES])
def test_nic_source_per_type(xml, kind, source):
    (nic,) = parse_domain(with_devices(xml), "h").nics
    assert (nic.type, nic.source) == (kind, source)


def test_nic_fields_mac_lower_case_model_and_target():
    xml = (
        "<interface type='bridge'><mac address='52:54:00:AB:CD:EF'/><source bridge='br0'/>"
        "<target dev='vnet7'/><model type='virtio'/></interface><interface type='user'/>"
    )
    first, second = parse_domain(with_devices(xml), "h").nics
    assert (first.mac, first.model, first.target) == ("52:54:00:ab:cd:ef", "virtio", "vnet7")
    assert (second.mac, second.model, second.target) == (None, None, None)


MAC_SPELLINGS = [
    ("52:54:00:AB:CD:EF", "52:54:00:ab:cd:ef"),
    ("52:54:0:a:0:1", "52:54:00:0a:00:01"),  # libvirt reads one hex digit a part too
    ("52:54:00:00:00:01 ", "52:54:00:00:00:01"),
    ("52:54:00:00:00", None),
    ("52:54:00:00:00:01:02", None),
    ("52-54-00-00-00-01", None),
    ("52:54:00:00:00:001", None),
    ("52:54:00:00:00:0g", None),
    ("525400000001", None),
    ("52:54:00:00:00:01|52:54:00:00:00:02", None),
    ("52:54:00:00:00:01!web01", None),
    ("52:54:00:00:00:01\u202e", None),
    ("\uff15\uff12:54:00:00:00:01", None),  # full-width digits: int() would take them
    ("", None),
]


LIBVIRT_LOOSER = {"52:54:00:00:00:01\u202e": "52:54:00:00:00:01"}


@pytest.mark.parametrize(("spelling", "canonical"), MAC_SPELLINGS)
def test_mac_is_read_as_libvirt_reads_it(test_driver, spelling, canonical):
    xml = with_devices(f"<interface type='user'><mac address='{spelling}'/></interface>")
    try:
        domain = test_driver.defineXML(xml)
    except libvirt.libvirtError:
        libvirt_reads = None
    else:
        try:
            libvirt_reads = parse_domain(domain.XMLDesc(0), "h").nics[0].mac
        finally:
            domain.undefine()
    if spelling in LIBVIRT_LOOSER:
        # virMacAddrParse ends at a char <= ' ', and a signed char makes every non-ASCII byte one: a
        # quirk a live libvirt never shows (it prints what it read); such text is no MAC here.
        assert (libvirt_reads, canonical) == (LIBVIRT_LOOSER[spelling], None)
    else:
        assert libvirt_reads == canonical
    if canonical is None and spelling:
        with pytest.raises(DomainXMLError, match=r"<mac address> .* is not a MAC address"):
            parse_domain(xml, "h")
    elif canonical is not None:
        assert parse_domain(xml, "h").nics[0].mac == canonical


DISK_SOURCES = [
    ("<disk type='file' device='disk'><source file='/var/lib/libvirt/images/a.qcow2'/></disk>", "/var/lib/libvirt/images/a.qcow2"),
    ("<disk type='block' device='disk'><source dev='/dev/vg0/a'/></disk>", "/dev/vg0/a"),
    ("<disk type='dir' device='disk'><source dir='/srv/seed'/></disk>", "/srv/seed"),
    ("<disk type='volume' device='disk'><source pool='default' volume='a.qcow2'/></disk>", "default/a.qcow2"),
    ("<disk type='network' device='disk'><source protocol='rbd' name='rbd/a'/></disk>", "rbd:rbd/a"),
    (
        "<disk type='network' device='disk'><source protocol='iscsi' name='iqn.2013-06.com.example:storage/1'>"
        "<host name='10.0.0.1' port='3260'/></source></disk>",
        "iscsi:iqn.2013-06.com.example:storage/1",
    ),
    ("<disk type='network' device='disk'><source protocol='nbd' name='export'/></disk>", "nbd:export"),
    ("<disk type='network' device='disk'><source protocol='nbd'><host name='h'/></source></disk>", "nbd"),
    ("<disk type='file' device='cdrom'><target dev='sda' bus='sata'/><readonly/></disk>", None),
    ("<disk type='file' device='cdrom'><source startupPolicy='optional'/><readonly/></disk>", None),
    # VDSM's empty cdrom: libvirt reads an empty path as no medium (no <source> in its dump).
    ("<disk type='file' device='cdrom'><source file='' startupPolicy='optional'/><readonly/></disk>", None),
    ("<disk type='block' device='cdrom'><source dev=''/><readonly/></disk>", None),
    ("<disk type='network' device='cdrom'><source protocol='http' name=''/><readonly/></disk>", "http"),
    ("<disk type='file' device='cdrom'><source file='/iso/alma9.iso'/><readonly/></disk>", "/iso/alma9.iso"),
    ("<disk type='file' device='floppy'><source file='/srv/f.img'/></disk>", "/srv/f.img"),
    ("<disk type='block' device='lun'><source dev='/dev/disk/by-id/wwn-0x5'/></disk>", "/dev/disk/by-id/wwn-0x5"),
    ("<disk device='disk'><source file='/tmp/untyped.img'/></disk>", "/tmp/untyped.img"),  # type defaults to file
]


@pytest.mark.parametrize("xml,source", DISK_SOURCES, ids=[str(s) for _, s in DISK_SOURCES])
def test_disk_source_per_type(xml, source):
    (disk,) = parse_domain(with_devices(xml), "h").disks
    assert disk.source == source


def test_disk_fields_device_target_bus_format_readonly():
    xml = (
        "<disk type='file' device='cdrom'><driver name='qemu' type='raw'/><target dev='sda' bus='sata'/>"
        "<readonly/></disk><disk type='file'><source file='/a'/><target dev='vda'/></disk>"
    )
    cdrom, disk = parse_domain(with_devices(xml), "h").disks
    assert (cdrom.device, cdrom.target, cdrom.bus, cdrom.format, cdrom.readonly) == ("cdrom", "sda", "sata", "raw", True)
    assert (disk.device, disk.target, disk.bus, disk.format, disk.readonly) == ("disk", "vda", None, None, False)


# --------------------------------------------------------------------------------------------
# The rscan nic and disk columns

COLUMNS = [
    ("kvm-running-web01.xml", "br0,default", "/var/lib/libvirt/images/web01.qcow2,/dev/vg_guests/web01-data"),
    (
        "kvm-running-db01.xml",
        "eno1,br-storage",
        "default/db01-root.qcow2,rbd:rbd/db01-data,iscsi:iqn.2013-06.com.example:storage/1,"
        "/dev/disk/by-id/wwn-0x600508b1001c4d3f",
    ),
    (
        "kvm-shutoff-build01.xml",
        "user,ethernet",
        "/srv/vm/build01/root.qcow2,nbd:build-cache,/srv/vm/build01/seed",
    ),
    ("kvm-running-nfv01.xml", "/var/run/openvswitch/vhu-nfv01-0,hostdev,ovsbr-mgmt", "/var/lib/libvirt/images/nfv01.qcow2"),
    ("qemu-running-pxe-probe01.xml", "user", ""),
    ("test-driver-bare01.xml", "", ""),
    ("kvm-running-cjk-name.xml", "internal", "/data/vms/xuniji1.qcow2"),
]


@pytest.mark.parametrize("name,nic,disk", COLUMNS, ids=[c[0] for c in COLUMNS])
def test_nic_and_disk_columns(name, nic, disk):
    record = parse_file(name)
    assert nic_column(record.nics) == nic
    assert disk_column(record.disks) == disk


def test_disk_column_keeps_a_disk_without_source_in_its_place():
    xml = (
        "<disk type='file' device='disk'><source file='/a'/></disk>"
        "<disk type='file' device='disk'/>"
        "<disk type='file' device='disk'><source file='/c'/></disk>"
    )
    assert disk_column(parse_domain(with_devices(xml), "h").disks) == "/a,,/c"


# --------------------------------------------------------------------------------------------
# oVirt / VDSM metadata, by namespace whatever the prefix

OVIRT_NS = "http://ovirt.org/vm/1.0"


def _metadata(inner: str) -> str:
    return domain_xml(f"<metadata>{inner}</metadata><memory>1024</memory>")


@pytest.mark.parametrize(
    "inner",
    [
        f"<ovirt-vm:vm xmlns:ovirt-vm='{OVIRT_NS}'><ovirt-vm:clusterVersion>4.7</ovirt-vm:clusterVersion></ovirt-vm:vm>",
        f"<ns0:vm xmlns:ns0='{OVIRT_NS}'><ns0:clusterVersion>4.7</ns0:clusterVersion></ns0:vm>",
        f"<vm xmlns='{OVIRT_NS}'><clusterVersion>4.7</clusterVersion></vm>",
        f"<a:vm xmlns:a='{OVIRT_NS}' xmlns:b='{OVIRT_NS}'><b:clusterVersion> 4.7 </b:clusterVersion></a:vm>",
    ],
    ids=["ovirt-vm", "ns0", "default-namespace", "two-prefixes"],
)
def test_ovirt_metadata_found_by_namespace_whatever_the_prefix(inner):
    assert parse_domain(_metadata(inner), "h").ovirt == {"clusterVersion": "4.7"}


def test_ovirt_prefix_on_another_namespace_is_not_ovirt():
    inner = "<ovirt-vm:vm xmlns:ovirt-vm='http://example.com/not-ovirt'><ovirt-vm:x>1</ovirt-vm:x></ovirt-vm:vm>"
    assert parse_domain(_metadata(inner), "h").ovirt is None


def test_ovirt_device_blocks_are_left_out_even_without_children():
    inner = (
        f"<ovirt-vm:vm xmlns:ovirt-vm='{OVIRT_NS}'><ovirt-vm:launchPaused>false</ovirt-vm:launchPaused>"
        "<ovirt-vm:device mac_address='56:6f:3a:b2:00:07'/>"
        "<ovirt-vm:device devtype='disk' name='sda'><ovirt-vm:imageID>x</ovirt-vm:imageID></ovirt-vm:device>"
        "<ovirt-vm:custom/></ovirt-vm:vm>"
    )
    assert parse_domain(_metadata(inner), "h").ovirt == {"launchPaused": "false", "custom": ""}


def test_no_ovirt_metadata_is_none_not_empty():
    assert parse_file("kvm-running-web01.xml").ovirt is None
    assert parse_domain(_metadata("<app:x xmlns:app='http://example.com/app'/>"), "h").ovirt is None


def test_vdsm_fixture_keeps_top_level_leaves_only():
    ovirt = parse_file("vdsm-running-rhel8-app01.xml").ovirt
    assert ovirt is not None and ovirt["clusterVersion"] == "4.7"
    assert not {"device", "network", "domainID", "volumeChain", "qos"} & set(ovirt)


# --------------------------------------------------------------------------------------------
# State, id and identity


@pytest.mark.parametrize(
    "head,state,expected_id,expected_state",
    [
        ("<domain type='kvm' id='3'>", None, 3, "running"),
        ("<domain type='kvm'>", None, None, "shutoff"),
        ("<domain type='kvm' id='-1'>", None, None, "shutoff"),
        ("<domain type='kvm' id='3'>", "paused", 3, "paused"),
        ("<domain type='kvm'>", "crashed", None, "crashed"),
    ],
)
def test_state_inferred_from_id_unless_given(head, state, expected_id, expected_state):
    record = parse_domain(domain_xml("<memory>1024</memory>", head=head), "h", state=state)
    assert (record.id, record.state) == (expected_id, expected_state)


def test_fixture_states_follow_the_id():
    for name in FIXTURE_FILES:
        record = parse_file(name)
        assert record.state == ("running" if record.id is not None else "shutoff"), name


@pytest.mark.parametrize(
    "spelling",
    ["4DEA22B3-1D52-D8F3-2516-782E98AB3FA0", "4dea22b31d52d8f32516782e98ab3fa0", "4dea-22b3-1d52-d8f3-2516-782e-98ab-3fa0"],
)
def test_uuid_is_canonical_whatever_the_spelling(spelling):
    assert parse_domain(domain_xml("<memory>1024</memory>", uuid=spelling), "h").uuid == UUID


@pytest.mark.parametrize("spelling", ["not-a-uuid", "4dea22b3-1d52-d8f3-2516-782e98ab3fa", "{4dea22b3-1d52-d8f3-2516-782e98ab3fa0}"])
def test_malformed_uuid_is_a_domain_error(spelling):
    with pytest.raises(DomainXMLError, match="is not a UUID"):
        parse_domain(domain_xml("<memory>1024</memory>", uuid=spelling), "h")


def test_missing_name_is_a_domain_error():
    with pytest.raises(DomainXMLError, match="no <name>"):
        parse_domain(f"<domain type='kvm'><uuid>{UUID}</uuid><memory>1</memory></domain>", "h")


@pytest.mark.parametrize("xml,fragment", [("<vcpu>two</vcpu>", "<vcpu>"), ("<vcpu current='x'>2</vcpu>", "current")])
def test_non_integer_vcpu_is_a_domain_error(xml, fragment):
    with pytest.raises(DomainXMLError, match=fragment):
        parse_domain(domain_xml(f"<memory>1024</memory>{xml}"), "h")


def test_topology_and_vcpu_current():
    record = parse_file("kvm-running-db01.xml")
    assert (record.cpu_sockets, record.cpu_dies, record.cpu_cores, record.cpu_threads) == (2, 1, 4, 2)
    assert (record.vcpus, record.vcpus_current) == (16, 8)
    assert record.cpu_sockets * record.cpu_dies * record.cpu_cores * record.cpu_threads == record.vcpus


def test_cpu_column_and_vm_cpus_show_what_the_guest_runs():
    # VDSM writes the hot-plug ceiling as <vcpu>'s text; the guest runs `current`.
    from vminv.inventory.xcat import vm_values
    from vminv.scanner.table import rscan_row

    vdsm = parse_file("vdsm-running-rhel8-app01.xml")
    assert (vdsm.vcpus, vdsm.vcpus_current) == (16, 2)
    assert rscan_row(vdsm)[4] == "2"
    assert vm_values(vdsm)[1] == "2"
    plain = parse_domain(domain_xml("<memory>1024</memory><vcpu placement='static'>3</vcpu>"), "h")
    assert (plain.vcpus, plain.vcpus_current, rscan_row(plain)[4]) == (3, 3, "3")


def test_empty_cdrom_source_is_none_as_libvirt_reads_it(test_driver):
    xml = with_devices(
        "<disk type='file' device='cdrom'><source file=''/><target dev='hdc' bus='ide'/><readonly/></disk>"
    )
    (ours,) = parse_domain(xml, "h").disks
    domain = test_driver.defineXML(xml)
    try:
        dumped = domain.XMLDesc(0)
    finally:
        domain.undefine()
    (theirs,) = parse_domain(dumped, "h").disks
    assert ours.source is None and theirs.source is None
    assert disk_column(parse_domain(xml, "h").disks) == ""  # a cdrom is not in the column anyway


def test_disk_identity_serial_alias_shareable_and_vdsm_ids_by_target():
    ns = "http://ovirt.org/vm/1.0"
    xml = domain_xml(
        f"<metadata><ovirt-vm:vm xmlns:ovirt-vm='{ns}'>"
        "<ovirt-vm:device devtype='disk' name='vdb'><ovirt-vm:domainID>sd-b</ovirt-vm:domainID>"
        "<ovirt-vm:imageID>img-b</ovirt-vm:imageID><ovirt-vm:volumeID>vol-b</ovirt-vm:volumeID>"
        "<ovirt-vm:volumeChain><ovirt-vm:volumeChainNode><ovirt-vm:volumeID>older</ovirt-vm:volumeID>"
        "</ovirt-vm:volumeChainNode></ovirt-vm:volumeChain></ovirt-vm:device>"
        "<ovirt-vm:device devtype='disk' name='vda'><ovirt-vm:imageID>img-a</ovirt-vm:imageID></ovirt-vm:device>"
        "</ovirt-vm:vm></metadata><memory>1024</memory><devices>"
        "<disk type='file' device='disk'><source file='/a'/><target dev='vda' bus='virtio'/>"
        "<serial>img-a</serial><alias name='ua-img-a'/></disk>"
        "<disk type='block' device='disk'><source dev='/b'/><target dev='vdb' bus='scsi'/><shareable/></disk>"
        "<disk type='file' device='disk'><source file='/c'/><target dev='vdc'/></disk>"
        "</devices>"
    )
    a, b, c = parse_domain(xml, "h").disks
    assert (a.serial, a.alias, a.shareable, a.vdsm_image_id, a.vdsm_volume_id) == ("img-a", "ua-img-a", False, "img-a", None)
    # The active volume is the device block's own volumeID, not one from the chain.
    assert (b.shareable, b.vdsm_domain_id, b.vdsm_image_id, b.vdsm_volume_id) == (True, "sd-b", "img-b", "vol-b")
    assert (c.serial, c.alias, c.vdsm_image_id) == (None, None, None)


def test_passed_through_nic_keeps_its_host_pci_address():
    xml = with_devices(
        "<interface type='hostdev' managed='no'><mac address='00:1A:4A:16:01:90'/><source>"
        "<address type='pci' domain='0x0000' bus='0x05' slot='0x10' function='0x3'/></source>"
        "<alias name='ua-0b7c1a22-3d4e-4f5a-8b6c-7d8e9f0a1b2c'/></interface>"
        "<interface type='bridge'><source bridge='br0'/><address type='pci' domain='0x0000' bus='0x01'"
        " slot='0x00' function='0x0'/></interface>"
    )
    vf, bridged = parse_domain(xml, "h").nics
    assert (vf.type, vf.mac, vf.source_pci, vf.alias) == (
        "hostdev", "00:1a:4a:16:01:90", "0000:05:10.3", "ua-0b7c1a22-3d4e-4f5a-8b6c-7d8e9f0a1b2c"
    )
    assert bridged.source_pci is None  # a guest-side PCI address is not a passed-through device


def test_max_memory_is_kept():
    record = parse_file("vdsm-running-rhel8-app01.xml")
    assert (record.max_memory_kib, record.max_memory_slots) == (16 * 1024 * 1024, 16)
    assert parse_file("kvm-running-web01.xml").max_memory_kib is None


def test_records_stored_before_the_identity_fields_still_load():
    data = parse_file("vdsm-running-rhel8-app01.xml").to_dict()
    for key in ("max_memory_kib", "max_memory_slots"):
        data.pop(key)
    for disk in data["disks"]:
        for key in ("serial", "alias", "vdsm_domain_id", "vdsm_image_id", "vdsm_volume_id"):
            disk.pop(key)
    for nic in data["nics"]:
        nic.pop("alias"), nic.pop("source_pci")
    old = GuestRecord.from_dict(data)
    assert old.disks[1].serial is None and old.max_memory_kib is None


def test_non_ascii_and_dotted_names_kept_verbatim():
    assert parse_file("kvm-shutoff-vm-groesse.xml").name == "vm-größe"
    assert parse_file("kvm-running-cjk-name.xml").name == "虚拟机1"
    assert parse_file("kvm-shutoff-app01-dotted-name.xml").name == "app01.example.com"


def test_graphics_ports_only_while_running():
    running = parse_file("vdsm-running-rhel8-app01.xml").graphics
    assert [(g.type, g.port) for g in running] == [("spice", 5900), ("vnc", 5902)]
    inactive = parse_file("kvm-shutoff-web01-kvmhost2.xml").graphics
    assert [(g.type, g.port) for g in inactive] == [("vnc", None)]  # port='-1' before autoport assigns one


def test_missing_dies_defaults_to_one_like_libvirt_prints_it():
    older = domain_xml("<memory>1024</memory><cpu><topology sockets='2' cores='2' threads='1'/></cpu>")
    record = parse_domain(older, "h")
    assert (record.cpu_sockets, record.cpu_dies, record.cpu_cores, record.cpu_threads) == (2, 1, 2, 1)
    no_topology = parse_domain(domain_xml("<memory>1024</memory><cpu mode='host-model'/>"), "h")
    assert no_topology.cpu_dies is None


# --------------------------------------------------------------------------------------------
# Fields the health findings need: shareable disks, console exposure, guest agent


def test_shareable_and_readonly_disks_are_flagged():
    record = parse_domain(
        with_devices(
            "<disk type='block' device='disk'><source dev='/dev/sdb'/><target dev='vdb'/><shareable/></disk>"
            "<disk type='file' device='disk'><source file='/a.img'/><target dev='vdc'/><readonly/></disk>"
            "<disk type='file' device='disk'><source file='/b.img'/><target dev='vdd'/></disk>"
        ),
        "h",
    )
    assert [(d.shareable, d.readonly) for d in record.disks] == [(True, False), (False, True), (False, False)]


GRAPHICS = [
    ("<graphics type='vnc' port='-1'/>", None),
    ("<graphics type='vnc' listen='0.0.0.0'/>", "0.0.0.0"),
    ("<graphics type='vnc' listen='0.0.0.0'><listen type='address' address='0.0.0.0'/></graphics>", "0.0.0.0"),
    ("<graphics type='spice'><listen type='address'/></graphics>", None),
    ("<graphics type='spice'><listen type='address' address='::1'/></graphics>", "::1"),
    ("<graphics type='vnc'><listen type='network' network='default'/></graphics>", "network:default"),
    ("<graphics type='vnc'><listen type='network' network='default' address='192.168.122.1'/></graphics>",
     "192.168.122.1"),
    ("<graphics type='vnc'><listen type='socket' socket='/run/x.sock'/></graphics>", "socket"),
    ("<graphics type='spice'><listen type='none'/></graphics>", "none"),
]


@pytest.mark.parametrize("xml,listen", GRAPHICS, ids=[str(g[1]) + str(i) for i, g in enumerate(GRAPHICS)])
def test_graphics_listen_address(xml, listen):
    (graphics,) = parse_domain(with_devices(xml), "h").graphics
    assert graphics.listen == listen


def test_graphics_password_is_a_flag_and_its_value_is_kept_nowhere():
    record = parse_domain(
        with_devices(
            "<graphics type='vnc' listen='0.0.0.0' passwd='s3cr3t-value'/>"
            "<graphics type='spice' listen='0.0.0.0' passwdValidTo='1970-01-01T00:00:01'/>"
            "<graphics type='vnc' listen='0.0.0.0'/>"
        ),
        "h",
    )
    assert [g.password_set for g in record.graphics] == [True, True, False]
    assert "s3cr3t-value" not in json.dumps(record.to_dict())
    assert "s3cr3t-value" not in repr(record)


def test_guest_agent_channel_is_found_by_its_target_name():
    agent = (
        "<channel type='unix'><source mode='bind'/>"
        "<target type='virtio' name='org.qemu.guest_agent.0'/></channel>"
    )
    other = "<channel type='spicevmc'><target type='virtio' name='com.redhat.spice.0'/></channel>"
    assert parse_domain(with_devices(other + agent), "h").guest_agent is True
    assert parse_domain(with_devices(other), "h").guest_agent is False
    assert parse_domain(domain_xml("<memory>1024</memory>"), "h").guest_agent is False


def test_records_stored_before_the_new_fields_still_load():
    record = parse_file("kvm-running-web01.xml")
    old = record.to_dict()
    del old["guest_agent"]
    for disk in old["disks"]:
        del disk["shareable"]
    for graphics in old["graphics"]:
        del graphics["listen"], graphics["password_set"]
    loaded = GuestRecord.from_dict(old)
    assert loaded.guest_agent is None
    assert [d.shareable for d in loaded.disks] == [False] * len(record.disks)
    assert loaded.graphics[0].listen is None


def test_blank_text_is_dropped_between_elements_but_kept_in_a_leaf():
    # The parser drops indentation (remove_blank_text); a leaf's own text, blank or
    # padded, must reach the record exactly as without that option.
    from vminv.scanner.xmlparse import parse_xml

    root = parse_xml(b"<domain>\n  <title>   </title>\n  <name> web 01 </name>\n  <os>\n    <type>hvm</type>\n  </os>\n</domain>")
    assert [(child.tag, child.text) for child in root.iter()] == [
        ("domain", None), ("title", "   "), ("name", " web 01 "), ("os", None), ("type", "hvm")]
    guest = parse_domain(
        b"<domain type='kvm'>\n <name>\n  web01\n </name>\n <uuid>6f2d3b3a-0c47-4e0e-9d4c-2b1d1e7b9a01</uuid>\n"
        b" <title>  </title>\n <description>\n   db tier\n </description>\n <memory>1024</memory>\n</domain>",
        "kvmhost1",
    )
    assert (guest.name, guest.title, guest.description) == ("web01", None, "db tier")
