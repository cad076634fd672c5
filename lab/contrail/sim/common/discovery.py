"""Client side of the 3.x discovery service (server: contrail_sim.config.discovery).

Publish (what real daemons send, every `interval` seconds as heartbeat):
    POST http://<disc>:5998/publish/<publisher-id>      Content-Type: application/json
    {"<service-type>": {"ip-address": "<ip>", "port": "<port>"},
     "service-type": "<service-type>", "remote-addr": "<my ip>"}
    -> 200 {"cookie": "<service id>"}
Subscribe:
    POST http://<disc>:5998/subscribe
    {"service": "xmpp-server", "instances": 2, "client-type": "contrail-vrouter-agent",
     "remote-addr": "<my ip>", "client": "<hostname>:contrail-vrouter-agent"}
    -> 200 {"ttl": <seconds>, "xmpp-server": [{"ip-address": "...", "port": "5269"}, ...]}
"""
from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
from typing import Any

DISCOVERY_PORT = 5998


def post_json(url: str, body: dict[str, Any], timeout: float = 5.0) -> dict[str, Any]:
    req = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST",
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=timeout) as resp:
        return json.loads(resp.read() or b"{}")


def subscribe(server: str, port: int, service: str, instances: int, client_type: str,
              client_id: str, my_ip: str, timeout: float = 5.0) -> tuple[int, list[dict[str, str]]]:
    """One subscribe request: (ttl, [info, ...]); raises OSError/URLError when discovery is down."""
    reply = post_json(f"http://{server}:{port}/subscribe", {
        "service": service, "instances": instances, "client-type": client_type,
        "remote-addr": my_ip, "client": client_id}, timeout)
    return int(reply.get("ttl", 5)), list(reply.get(service, []))


class Publisher:
    """Publishes one service and re-publishes it every `interval` s (the discovery heartbeat)."""

    def __init__(self, server: str, port: int, publisher_id: str, service_type: str,
                 info: dict[str, str], my_ip: str, interval: float = 5.0) -> None:
        self.url = f"http://{server}:{port}/publish/{publisher_id}"
        self.server = f"{server}:{port}"
        self.service_type, self.info, self.my_ip = service_type, info, my_ip
        self.interval = interval
        self.up = False
        self.message = "Initializing"
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True, name=f"publish-{service_type}")

    def start(self) -> "Publisher":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()

    def publish_once(self) -> bool:
        body = {self.service_type: self.info, "service-type": self.service_type, "remote-addr": self.my_ip}
        try:
            post_json(self.url, body)
            self.up, self.message = True, "Publish Success"
        except (OSError, urllib.error.URLError, ValueError) as exc:
            self.up, self.message = False, f"Publish Error - {getattr(exc, 'reason', exc)}"
        return self.up

    def _run(self) -> None:
        while not self._stop.is_set():
            self.publish_once()
            self._stop.wait(self.interval)

    def connection(self) -> dict[str, object]:
        """A NodeStatus ConnectionInfo for this publication."""
        return {"type": "Discovery", "name": self.service_type, "status": "Up" if self.up else "Down",
                "server_addrs": [self.server], "description": self.message}
