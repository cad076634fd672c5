"""checks.vrouter_module on outputs shaped by their sources' printf formats.

Samples are written from the format strings of the real tools (no capture of a 3.2
compute is public): contrail-vrouter R3.2 utils/vrouter.c print_build_info, kmod v15
tools/lsmod.c and tools/modinfo.c. Each sample says which format it follows.
"""
from __future__ import annotations

import pytest

from checks import vrouter_module as vm
from checks.evidence import ParseError

# utils/vrouter.c: printf("vRouter module version      "); printf(" "); <build-version>;
# printf(" (Built by "); <user>; printf("@"); <host>; printf(" on"); printf(" "); <time>; printf(")\n\n");
# then print_vrouter_parameters: "Startup parameters\n    Interfaces limit ... %u\n".
VROUTER_INFO = (
    "vRouter module version       3.2.3.0 (Built by contrail@buildhost on 2017-04-12 07:45:02.521212)\n"
    "\n"
    "Startup parameters\n"
    "    Interfaces limit                     4352\n"
    "    VRF tables limit                     4096\n"
)
# gen_build_info.sh for a DKMS build: build-version "<version>-dkms", build-time from `date`.
VROUTER_INFO_DKMS = ("vRouter module version       3.2.10.0-dkms (Built by root@compute1 on "
                     "Tue Jun 13 10:01:02 UTC 2017)\n\n")
VROUTER_INFO_DPDK = "vRouter/DPDK version         3.2.10.0 (Built by contrail@b on 2017-05-01 00:00:00.1)\n\n"

# kmod v15 tools/lsmod.c: puts("Module                  Size  Used by"); "%-19s %8ld  %d " + holders.
LSMOD = (
    "Module                  Size  Used by\n"
    "vrouter               327680  1 \n"
    "nf_conntrack_ipv4      15012  2 \n"
    "nf_defrag_ipv4         12758  1 nf_conntrack_ipv4\n"
    "x_tables               34059  4 ip_tables,iptable_filter\n"
)
# kmod v15 tools/modinfo.c: "%-16s%s" for filename, "key:" padded to 16 for the rest.
MODINFO = (
    "filename:       /lib/modules/3.13.0-106-generic/extra/net/vrouter/vrouter.ko\n"
    "version:        1.0\n"
    "license:        GPL\n"
    "srcversion:     7B5E3E8C3F0E0D3A1B2C3D4\n"
    "depends:        \n"
    "vermagic:       3.13.0-106-generic SMP mod_unload modversions \n"
    "parm:           vr_flow_entries:uint\n"
    "parm:           vr_oflow_entries:uint\n"
)


def test_vrouter_info_build_version():
    got = vm.parse_vrouter_info(VROUTER_INFO)
    assert got == vm.LoadedBuild("3.2.3.0", "by contrail@buildhost on 2017-04-12 07:45:02.521212")
    assert vm.parse_vrouter_info(VROUTER_INFO_DKMS).version == "3.2.10.0-dkms"
    assert vm.parse_vrouter_info(VROUTER_INFO_DPDK).version == "3.2.10.0"


def test_vrouter_info_without_module_is_none():
    # main(): vr_get_nl_client fails without the module's netlink family -> exit(1), nothing printed
    assert vm.parse_vrouter_info("") is None


def test_vrouter_info_other_text_is_a_parse_error():
    with pytest.raises(ParseError, match="vRouter module version"):
        vm.parse_vrouter_info("Usage:\n       vrouter --info\n")


@pytest.mark.parametrize("version, upstream", [("3.2.10.0-59", "3.2.10.0"), ("1:3.2.3.0-73", "3.2.3.0"),
                                               ("3.2.3.0", "3.2.3.0")])
def test_upstream_version(version, upstream):
    assert vm.upstream_version(version) == upstream


def test_expected_build_version_precompiled_and_dkms():
    assert vm.expected_build_version("contrail-vrouter-3.13.0-106-generic", "3.2.10.0-59") == "3.2.10.0"
    assert vm.expected_build_version("contrail-vrouter-dkms", "3.2.10.0-59") == "3.2.10.0-dkms"


def test_choose_kmod_package_as_fab_does():
    kver = "3.13.0-106-generic"
    assert vm.choose_kmod_package({"contrail-vrouter-dkms", f"contrail-vrouter-{kver}"}, kver) == "contrail-vrouter-dkms"
    assert vm.choose_kmod_package({f"contrail-vrouter-{kver}"}, kver) == f"contrail-vrouter-{kver}"
    assert vm.choose_kmod_package({"contrail-vrouter-3.13.0-100-generic"}, kver) is None
    with pytest.raises(ParseError):
        vm.kmod_package_for_kernel("")


def test_lsmod():
    rows = vm.parse_lsmod(LSMOD)
    assert rows["vrouter"] == vm.LsmodRow("vrouter", 327680, 1, ())
    assert rows["x_tables"].holders == ("ip_tables", "iptable_filter")
    assert vm.parse_lsmod("Module                  Size  Used by\n") == {}
    with pytest.raises(ParseError):
        vm.parse_lsmod("vrouter 1 2\n")


def test_modinfo():
    fields = vm.parse_modinfo(MODINFO)
    assert fields["filename"] == ["/lib/modules/3.13.0-106-generic/extra/net/vrouter/vrouter.ko"]
    assert fields["version"] == ["1.0"]  # VROUTER_VERSIONID: the same for every build
    assert len(fields["parm"]) == 2 and fields["depends"] == [""]
    with pytest.raises(ParseError):
        vm.parse_modinfo("modinfo: ERROR: Module vrouter not found.\n")


def test_tor_agent_confs_from_ls():
    ls = ("contrail-tor-agent-1.conf\ncontrail-tor-agent-12.conf\ncontrail-vrouter-agent.conf\n"
          "supervisord_vrouter_files\ncontrail-tor-agent-1.conf.orig\n")
    assert vm.tor_agent_confs(ls) == ["/etc/contrail/contrail-tor-agent-1.conf",
                                      "/etc/contrail/contrail-tor-agent-12.conf"]
    assert vm.tor_agent_confs("") == []
