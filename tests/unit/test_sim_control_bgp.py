"""BGP wire messages and the OPEN checks of the simulated contrail-control."""
import struct

import pytest

from lab.contrail.sim.control import bgp


def test_keepalive_is_a_bare_19_byte_header():
    raw = bgp.encode(bgp.Keepalive())
    assert raw == b"\xff" * 16 + b"\x00\x13\x04"
    assert bgp.decode(raw) == bgp.Keepalive()


def test_open_roundtrip_keeps_asn_hold_time_and_identifier():
    msg = bgp.Open(asn=64512, hold_time=9, bgp_id="127.18.0.21")
    raw = bgp.encode(msg)
    assert raw[:16] == bgp.MARKER
    assert struct.unpack("!H", raw[16:18])[0] == len(raw)
    assert raw[18] == bgp.MsgType.OPEN
    version, my_as, hold = struct.unpack("!BHH", raw[19:24])
    assert (version, my_as, hold) == (4, 64512, 9)
    back = bgp.decode(raw)
    assert isinstance(back, bgp.Open)
    assert (back.asn, back.hold_time, back.bgp_id, back.version) == (64512, 9, "127.18.0.21", 4)
    assert (1, 128) in back.families


def test_four_byte_asn_travels_in_the_capability_with_as_trans_in_the_header():
    raw = bgp.encode(bgp.Open(asn=4200000001, hold_time=90, bgp_id="192.0.2.1"))
    assert struct.unpack("!H", raw[20:22])[0] == bgp.AS_TRANS
    assert bgp.decode(raw).asn == 4200000001


def test_notification_roundtrip():
    raw = bgp.encode(bgp.Notification(bgp.ErrorCode.CEASE, bgp.CeaseSubcode.CONNECTION_REJECTED, b"x"))
    back = bgp.decode(raw)
    assert back == bgp.Notification(6, 5, b"x")
    assert back.describe() == "CEASE/5"


@pytest.mark.parametrize("raw, code, subcode", [
    (b"\x00" * 16 + b"\x00\x13\x04", 1, 1),                      # bad marker
    (b"\xff" * 16 + b"\x00\x14\x04", 1, 2),                      # length does not match
    (b"\xff" * 16 + b"\x00\x13\x09", 1, 3),                      # unknown type
    (b"\xff" * 16 + b"\x00\x14\x04\x00", 1, 2),                  # keepalive with a body
])
def test_malformed_messages_carry_the_notification_to_send(raw, code, subcode):
    with pytest.raises(bgp.DecodeError) as exc:
        bgp.decode(raw)
    assert (exc.value.code, exc.value.subcode) == (code, subcode)


def test_open_with_version_3_is_refused():
    raw = bytearray(bgp.encode(bgp.Open(asn=1, hold_time=9, bgp_id="1.1.1.1")))
    raw[19] = 3
    with pytest.raises(bgp.DecodeError) as exc:
        bgp.decode(bytes(raw))
    assert (exc.value.code, exc.value.subcode) == (2, 1)


def test_reader_splits_a_stream_at_message_boundaries():
    stream = bgp.encode(bgp.Open(asn=64512, hold_time=9, bgp_id="1.1.1.1")) + bgp.encode(bgp.Keepalive())
    reader = bgp.Reader()
    assert reader.feed(stream[:10]) == []
    msgs = reader.feed(stream[10:])
    assert [type(m) for m in msgs] == [bgp.Open, bgp.Keepalive]
    assert reader.buffer == bytearray()


def test_check_open_rejects_wrong_asn_and_own_identifier():
    good = bgp.Open(asn=64512, hold_time=9, bgp_id="127.0.0.2")
    assert bgp.check_open(good, 64512, "127.0.0.1") is None
    assert bgp.check_open(good, 64513, "127.0.0.1") == bgp.Notification(2, 2)
    assert bgp.check_open(good, 64512, "127.0.0.2") == bgp.Notification(2, 3)


def test_hold_time_negotiates_to_the_smaller():
    assert bgp.negotiated_hold_time(9, 90) == 9
    assert bgp.negotiated_hold_time(90, 0) == 0
