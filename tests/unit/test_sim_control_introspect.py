"""contrail-control and agent introspect XML: byte-compatible with the real samples, paged like the real one."""
from pathlib import Path
import xml.etree.ElementTree as ET

from lab.contrail.sim.common import sandesh
from lab.contrail.sim.control import introspect as ci
from lab.contrail.sim.vrouter import introspect as ai

SAMPLES = Path(__file__).resolve().parents[1] / "data" / "samples"  # copies of shared/samples


def _sample(name: str) -> str:
    return (SAMPLES / name).read_text().rstrip("\n")


def _xmpp(n: int) -> list[ci.Neighbor]:
    return [ci.Neighbor(f"compute{i:03d}", f"127.18.2.{i % 250}", 64512, "XMPP", "internal", "Established", "")
            for i in range(n)]


BGP = [ci.Neighbor("ctl-new-1", "127.18.1.21", 64512, "BGP", "internal", "Established", "control-node")]


REAL_SHAPES = Path(__file__).resolve().parents[1] / "data" / "samples"


def test_neighbor_page_matches_the_real_shape_byte_for_byte():
    # bgp_peer.sandesh R3.2 field order/identifiers/link annotations, next_batch with
    # type/identifier/link/link_title (TXMLProtocol::writeFieldBegin), more=false (Response()).
    row = ci.Neighbor("compute1", "127.18.2.1", 64512, "XMPP", "internal", "Established", "",
                      local_address="127.18.1.21:179")
    real = (REAL_SHAPES / "control.Snh_BgpNeighborReq.real-page1.xml").read_text().rstrip("\n")
    assert ci.render(ci.Page((row,), "compute1||")) == real


def test_last_page_has_no_next_batch_element_and_more_false():
    xmpp = [ci.Neighbor("compute1", "127.18.2.1", 64512, "XMPP", "internal", "Established", ""),
            ci.Neighbor("compute2", "127.18.2.2", 64512, "XMPP", "internal", "OpenConfirm", "")]
    doc = ci.render(ci.page(BGP, xmpp))
    root = ET.fromstring(doc.split("?>", 1)[1])
    assert root.find("next_batch") is None and root.find("more").text == "false"
    assert [e.text for e in root.iter("peer")] == ["ctl-new-1", "compute1", "compute2"]
    assert root.find("neighbors/list/BgpNeighborResp/router_type").get("identifier") == "52"


def test_agent_xmpp_status_matches_the_sample_byte_for_byte():
    # The shared sample without sandesh's trailing `more` (controller_sandesh.cc: set_more(false)).
    row = ai.XmppRow("127.18.0.21", 5269, "Established", "OpenConfirm", True, True, 0)
    more = '<more type="bool" identifier="0">false</more>'
    expected = _sample("agent.Snh_AgentXmppConnectionStatusReq.xml").replace(
        "</peer></AgentXmppConnectionStatus>", f"</peer>{more}</AgentXmppConnectionStatus>")
    assert ai.render([row]) == expected


def test_agent_state_is_established_or_down_only():
    # controller_sandesh.cc: set_state("Established") when READY, else "Down".
    row = ai.XmppRow("127.18.0.22", 5269, "OpenSent", "Active", False, False, 3)
    root = ET.fromstring(ai.render([row]).split("?>", 1)[1])
    assert root.findtext("peer/list/AgentXmppData/state") == "Down"
    assert root.findtext("peer/list/AgentXmppData/last_state") == "Active"


def test_more_than_64_peers_are_paged_and_the_key_walks_every_peer():
    xmpp = _xmpp(150)
    first = ci.page(BGP, xmpp)
    assert len(first.neighbors) == 64 and first.neighbors[0].encoding == "BGP"
    assert first.next_batch == "compute063||"
    seen = [n.peer for n in first.neighbors if n.encoding == "XMPP"]
    key = first.next_batch
    while key:
        next_entry, search = ci.parse_iterate_key(key)
        p = ci.page(BGP, xmpp, search, next_entry)
        assert all(n.encoding == "XMPP" for n in p.neighbors)
        assert len(p.neighbors) <= 64
        seen += [n.peer for n in p.neighbors]
        key = p.next_batch
    assert seen == [n.peer for n in xmpp]


def test_paged_document_carries_more_and_the_iterate_link():
    doc = ci.render(ci.page(BGP, _xmpp(100)))
    root = ET.fromstring(doc.split("?>", 1)[1])
    assert root.tag == "BgpNeighborListResp" and root.get("type") == "sandesh"
    nb = root.find("next_batch")
    assert nb.get("link") == "BgpNeighborReqIterate" and nb.text == "compute063||"
    assert nb.get("type") == "string" and nb.get("identifier") == "2" and nb.get("link_title") == "next_batch"
    assert root.find("more").text == "false"  # BgpShowHandler sends with Response(): more stays false
    assert root.find("neighbors/list").get("size") == "64"


def test_search_string_is_a_regex_on_name_or_address_and_survives_paging():
    xmpp = _xmpp(150)
    p = ci.page(BGP, xmpp, search="compute1")
    assert [n.peer for n in p.neighbors][:2] == ["compute100", "compute101"]
    assert all(n.peer.startswith("compute1") for n in p.neighbors)
    assert ci.page(BGP, xmpp, search="127.18.1.21").neighbors == tuple(BGP)


def test_malformed_iterate_key_is_rejected():
    assert ci.parse_iterate_key("compute1") is None
    assert ci.parse_iterate_key("compute1||x") == ("compute1", "x")


def test_values_are_escaped():
    out = sandesh.string("peer", 1, "a<b&c")
    assert out == '<peer type="string" identifier="1">a&lt;b&amp;c</peer>'


def test_node_status_document_parses_back():
    status = sandesh.NodeStatus("ctl-old-1", "contrail-control", "Non-Functional", "IFMap:IFMapServer connection down",
                                (sandesh.Connection("IFMap", "IFMapServer", "Down", ("127.18.0.21:8082",)),),
                                build_info=sandesh.build_info_json("3.2.3.0-73"))
    root = ET.fromstring(status.render().split("?>", 1)[1])
    assert root.tag == "__NodeStatusUVE_list"
    ps = root.find("NodeStatusUVE/data/NodeStatus/process_status/list/ProcessStatus")
    assert ps.findtext("state") == "Non-Functional"
    assert ps.findtext("description") == "IFMap:IFMapServer connection down"
    assert ps.find("connection_infos/list/ConnectionInfo/server_addrs/list/element").text == "127.18.0.21:8082"
    assert root.find("NodeStatusUVE/data/NodeStatus/name").get("key") == "ObjectBgpRouter"
    assert '"build-version" : "3.2.3.0"' in root.findtext("NodeStatusUVE/data/NodeStatus/build_info")
    assert '"build-number" : "73"' in root.findtext("NodeStatusUVE/data/NodeStatus/build_info")


def test_introspect_server_dispatch_without_sockets():
    srv = sandesh.IntrospectServer("127.32.9.9", 1, "contrail-vrouter-agent", "compute1")
    srv.route("Snh_Echo", lambda q: q.get("x", "none"))
    assert srv.handle("/Snh_Echo?x=42") == (200, "42")
    assert srv.handle("/Snh_Missing")[0] == 404
    code, body = srv.handle("/Snh_SandeshUVECacheReq?x=NodeStatus")
    assert code == 200 and "<state type=\"string\" identifier=\"3\">Non-Functional</state>" in body
    srv.set_status("Functional")
    assert "<state type=\"string\" identifier=\"3\">Functional</state>" in srv.handle("/Snh_SandeshUVECacheReq?x=NodeStatus")[1]


def test_the_runbook_parser_walks_the_simulated_pages():
    from checks import introspect as parser

    xmpp = _xmpp(150)

    def fetch(path: str) -> str:
        from urllib.parse import parse_qs, unquote, urlsplit
        parts = urlsplit("/" + path)
        query = {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
        if parts.path.endswith("Iterate"):
            next_entry, search = ci.parse_iterate_key(unquote(query["x"]))
            return ci.render(ci.page(BGP, xmpp, search, next_entry))
        return ci.render(ci.page(BGP, xmpp, query.get("search_string", "")))

    peers = parser.collect_pages(fetch)
    assert len(peers) == 151
    assert {p.encoding for p in peers} == {"BGP", "XMPP"}
    sessions = parser.parse_agent_xmpp(ai.render([ai.XmppRow("127.18.1.21", 5269, "Established", "OpenConfirm",
                                                             True, True, 2)]))
    assert sessions[0].established and sessions[0].flap_count == 2 and sessions[0].cfg_controller
