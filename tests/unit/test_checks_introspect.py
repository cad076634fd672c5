"""checks.introspect on real sandesh pages, paging, and malformed input."""
from __future__ import annotations

from pathlib import Path

import pytest

from checks.evidence import ParseError
from checks.introspect import (
    BgpPeer,
    Connection,
    PagingError,
    XmppSession,
    collect_pages,
    parse_agent_xmpp,
    parse_bgp_neighbors,
    parse_node_status,
)

SAMPLES = Path(__file__).resolve().parents[1] / "data" / "samples"


def sample(name: str) -> str:
    return (SAMPLES / name).read_text()


def test_bgp_neighbors_sample() -> None:
    page = parse_bgp_neighbors(sample("control.Snh_BgpNeighborReq.xml"))
    assert page.next_batch is None
    assert page.more is False
    assert page.peers == [
        BgpPeer("ctl-new-1", "127.18.1.21", 64512, "BGP", "internal", "Established", "control-node", 0),
        BgpPeer("compute1", "127.18.2.1", 64512, "XMPP", "internal", "Established", "", 0),
        BgpPeer("compute2", "127.18.2.2", 64512, "XMPP", "internal", "OpenConfirm", "", 0),
    ]
    assert [p.established for p in page.peers] == [True, True, False]


def test_bgp_neighbors_paged_first_page() -> None:
    page = parse_bgp_neighbors(sample("control.Snh_BgpNeighborReq.page1.xml"))
    assert page.next_batch == "compute2||"
    assert page.more is True
    assert [(p.name, p.state, p.flap_count) for p in page.peers] == [
        ("ctl-old-1", "Established", 1),
        ("mx-gw-1", "Active", 4),
        ("compute1", "Established", 0),
        ("compute2", "Established", 0),
    ]
    assert page.peers[1].last_error == "Hold timer expired"
    assert page.peers[1].router_type == "router"


def test_real_control_node_paging_key_with_more_false() -> None:
    page = parse_bgp_neighbors(sample("control.Snh_BgpNeighborReq.real-page1.xml"))
    assert page.more is False
    assert page.next_batch == "compute1||"


def test_next_batch_in_query_form_is_reduced_to_the_key() -> None:
    xml = sample("control.Snh_BgpNeighborReq.page1.xml").replace(">compute2||<", ">x=compute2||<")
    assert parse_bgp_neighbors(xml).next_batch == "compute2||"


class FakeControl:
    """Serves introspect pages by path and records the requested paths."""

    def __init__(self, pages: dict[str, str]) -> None:
        self.pages = pages
        self.requested: list[str] = []

    def __call__(self, path: str) -> str:
        self.requested.append(path)
        return self.pages[path]


def test_collect_pages_follows_next_batch_and_deduplicates() -> None:
    control = FakeControl({
        "Snh_BgpNeighborReq?search_string=": sample("control.Snh_BgpNeighborReq.page1.xml"),
        "Snh_BgpNeighborReqIterate?x=compute2||": sample("control.Snh_BgpNeighborReqIterate.page2.xml"),
    })
    peers = collect_pages(control)
    assert control.requested == [
        "Snh_BgpNeighborReq?search_string=",
        "Snh_BgpNeighborReqIterate?x=compute2||",
    ]
    assert [(p.name, p.address, p.encoding, p.state) for p in peers] == [
        ("ctl-old-1", "127.18.0.21", "BGP", "Established"),
        ("mx-gw-1", "127.18.9.1", "BGP", "Active"),
        ("compute1", "127.18.2.1", "XMPP", "Established"),
        ("compute2", "127.18.2.2", "XMPP", "Established"),
        ("compute3", "127.18.2.3", "XMPP", "OpenConfirm"),
    ]


def test_collect_pages_single_page() -> None:
    control = FakeControl({"Snh_BgpNeighborReq?search_string=": sample("control.Snh_BgpNeighborReq.xml")})
    assert [p.name for p in collect_pages(control)] == ["ctl-new-1", "compute1", "compute2"]
    assert len(control.requested) == 1


def test_collect_pages_quotes_unsafe_key_characters() -> None:
    first = sample("control.Snh_BgpNeighborReq.page1.xml").replace(">compute2||<", ">compute 2||a&amp;b<")
    control = FakeControl({
        "Snh_BgpNeighborReq?search_string=": first,
        "Snh_BgpNeighborReqIterate?x=compute%202||a%26b": sample("control.Snh_BgpNeighborReqIterate.page2.xml"),
    })
    assert len(collect_pages(control)) == 5


def test_collect_pages_repeated_key_raises() -> None:
    page1 = sample("control.Snh_BgpNeighborReq.page1.xml")
    control = FakeControl({
        "Snh_BgpNeighborReq?search_string=": page1,
        "Snh_BgpNeighborReqIterate?x=compute2||": page1,
    })
    with pytest.raises(PagingError, match=r"repeated next_batch 'compute2\|\|'"):
        collect_pages(control)
    assert len(control.requested) == 2


def test_collect_pages_is_bounded() -> None:
    template = sample("control.Snh_BgpNeighborReq.real-page1.xml")
    calls: list[str] = []

    def endless(path: str) -> str:
        calls.append(path)
        return template.replace(">compute1||<", f">compute{len(calls)}||<")

    with pytest.raises(PagingError, match="did not end after 5 pages"):
        collect_pages(endless, max_pages=5)
    assert len(calls) == 5


def test_agent_xmpp_sample() -> None:
    assert parse_agent_xmpp(sample("agent.Snh_AgentXmppConnectionStatusReq.xml")) == [
        XmppSession(
            controller_ip="127.18.0.21",
            state="Established",
            peer_name="network-control@contrailsystems.com",
            cfg_controller=True,
            mcast_controller=True,
            flap_count=0,
            last_state="OpenConfirm",
            peer_address="127.18.0.21:5269",
        )
    ]


def test_agent_xmpp_two_controllers_one_down() -> None:
    sessions = parse_agent_xmpp(sample("agent.Snh_AgentXmppConnectionStatusReq.two-controllers.xml"))
    assert [(s.controller_ip, s.state, s.cfg_controller, s.mcast_controller, s.flap_count, s.last_state)
            for s in sessions] == [
        ("127.18.1.21", "Established", True, True, 0, "OpenConfirm"),
        ("127.18.1.22", "Down", False, False, 7, "Active"),
    ]
    assert [s.established for s in sessions] == [True, False]


def test_agent_xmpp_no_controller() -> None:
    assert parse_agent_xmpp(sample("agent.Snh_AgentXmppConnectionStatusReq.empty.xml")) == []


def test_node_status_functional() -> None:
    status = parse_node_status(sample("control.Snh_SandeshUVECacheReq.NodeStatus.xml"))
    assert (status.name, status.state, status.description) == ("ctl-new-1", "Functional", "")
    assert status.functional
    assert status.connections == (
        Connection("IFMap", "IFMapServer", "Up", "Connection with IFMap Server (irond)", ("127.18.1.21:8443",)),
        Connection("Collector", "", "Up", "Established", ("127.18.1.21:8086",)),
        Connection("Discovery", "Collector", "Up", "SubscribeResponse", ("127.18.1.21:5998",)),
    )
    assert [(p.module_id, p.instance_id) for p in status.processes] == [("contrail-control", "0")]
    assert status.down_connections() == []
    assert status.connection("Discovery").name == "Collector"
    assert status.connection("Discovery", "xmpp-server") is None


def test_node_status_non_functional() -> None:
    status = parse_node_status(sample("schema.Snh_SandeshUVECacheReq.NodeStatus.nonfunctional.xml"))
    assert (status.state, status.description) == ("Non-Functional", "Database:Cassandra[] connection down")
    assert not status.functional
    assert [(c.type, c.status) for c in status.down_connections()] == [
        ("Database", "Down"),
        ("Zookeeper", "Initializing"),
    ]


def test_node_status_not_yet_reported() -> None:
    status = parse_node_status(sample("daemon.Snh_SandeshUVECacheReq.NodeStatus.none.xml"))
    assert (status.name, status.state, status.connections) == ("", "Unknown", ())
    assert not status.functional


def test_concatenated_documents_are_read_together() -> None:
    one = sample("control.Snh_BgpNeighborReq.real-page1.xml").strip()
    two = sample("control.Snh_BgpNeighborReqIterate.page2.xml").strip()
    page = parse_bgp_neighbors(one + two)
    assert [p.name for p in page.peers] == ["compute1", "ctl-old-1", "compute3"]
    assert page.next_batch == "compute1||"


@pytest.mark.parametrize(
    ("parser", "text", "message"),
    [
        (parse_bgp_neighbors, "", "expected sandesh XML, got empty text"),
        (parse_bgp_neighbors, "<BgpNeighborListResp><neighbors>", "expected sandesh XML, got malformed XML"),
        (parse_agent_xmpp, "HTTP 404 Not Found", "expected sandesh XML, got malformed XML"),
        (parse_node_status, "<html><body>", "expected sandesh XML, got malformed XML"),
        (parse_bgp_neighbors, "<AgentXmppConnectionStatus/>",
         "expected a BgpNeighborListResp page, got <AgentXmppConnectionStatus>"),
        (parse_agent_xmpp, "<BgpNeighborListResp/>",
         "expected an AgentXmppConnectionStatus page, got <BgpNeighborListResp>"),
        (parse_node_status, "<a/><b/>", "expected a NodeStatus UVE page, got <a>, <b>"),
        (parse_bgp_neighbors,
         '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e "boom">]><BgpNeighborListResp>&e;</BgpNeighborListResp>',
         "refused unsafe XML"),
    ],
)
def test_bad_input_raises_parse_error(parser, text: str, message: str) -> None:
    with pytest.raises(ParseError) as info:
        parser(text)
    assert message in str(info.value)
    assert isinstance(info.value, ValueError)


def test_bytes_input_is_accepted() -> None:
    raw = (SAMPLES / "agent.Snh_AgentXmppConnectionStatusReq.xml").read_bytes()
    assert [s.controller_ip for s in parse_agent_xmpp(raw)] == ["127.18.0.21"]
