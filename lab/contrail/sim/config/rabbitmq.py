"""rabbitmq-server (the lab's stand-in for OpenStack's RabbitMQ) and rabbitmqctl.

Reads /etc/rabbitmq/rabbitmq-env.conf (NODE_IP_ADDRESS, NODE_PORT, MNESIA_BASE as the real
one), keeps users and vhosts in <MNESIA_BASE>/lab-state.json
({"users": {name: password}, "vhosts": [...]}), and answers the JSON-lines protocol of
contrail_sim.common.rabbit on NODE_IP_ADDRESS:NODE_PORT (5672). It does not carry
messages: what the ISSU needs from it is who may connect to which vhost.
"""
from __future__ import annotations

import json
import os
import sys
import threading
from typing import Any

from ..common import daemon
from ..common.db import DbError
from ..common.jsonline import RequestError, make_server
from ..common.rabbit import RabbitClient

ENV_FILE = "/etc/rabbitmq/rabbitmq-env.conf"
MNESIA_BASE = "/var/lib/rabbitmq/mnesia"
STATE_FILE = "lab-state.json"


def parse_env(text: str) -> dict[str, str]:
    out = {}
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#") and "=" in line:
            k, _, v = line.partition("=")
            out[k.strip()] = v.strip().strip("'\"")
    return out


class Broker:
    def __init__(self, path: str | None = None, state: dict[str, Any] | None = None) -> None:
        self.path = path
        self._lock = threading.Lock()
        self.state = state or {"users": {"guest": "guest"}, "vhosts": ["/"]}
        if path and os.path.exists(path):
            with open(path) as fh:
                self.state = json.load(fh)

    def _save(self) -> None:
        if self.path:
            tmp = self.path + ".tmp"
            with open(tmp, "w") as fh:
                json.dump(self.state, fh)
            os.replace(tmp, self.path)

    def handle(self, op: str, a: dict[str, Any]) -> Any:
        with self._lock:
            vhosts: list[str] = self.state["vhosts"]
            if op == "ping":
                return "pong"
            if op == "login":
                if self.state["users"].get(a.get("user")) != a.get("password"):
                    raise RequestError("ACCESS_REFUSED - Login was refused using authentication mechanism PLAIN")
                if a.get("vhost", "/") not in vhosts:
                    raise RequestError(f"NOT_ALLOWED - vhost {a.get('vhost')} not found")
                return "ok"
            if op == "list_vhosts":
                return list(vhosts)
            if op == "list_users":
                return sorted(self.state["users"])
            if op == "add_vhost":
                if a["vhost"] in vhosts:
                    raise RequestError(f"vhost_already_exists: {a['vhost']}")
                vhosts.append(a["vhost"])
                self._save()
                return None
            if op == "delete_vhost":
                if a["vhost"] not in vhosts:
                    raise RequestError(f"no_such_vhost: {a['vhost']}")
                vhosts.remove(a["vhost"])
                self._save()
                return None
            raise RequestError(f"unknown op {op!r}")


class _Session:
    def __init__(self, broker: Broker) -> None:
        self.broker = broker

    def handle(self, op: str, args: dict[str, Any]) -> Any:
        return self.broker.handle(op, args)

    def close(self) -> None:
        return None


def _env(path: str) -> dict[str, str]:
    try:
        with open(path) as fh:
            return parse_env(fh.read())
    except FileNotFoundError:
        sys.exit(f"{path}: No such file or directory")


def main(argv: list[str] | None = None) -> None:
    args = daemon.conf_args("rabbitmq-server", ENV_FILE, argv)
    env: dict[str, str] = {}
    for path in args.conf_file:
        env.update(_env(path))
    ip, port = env.get("NODE_IP_ADDRESS", "127.0.0.1"), int(env.get("NODE_PORT", "5672"))
    base = env.get("MNESIA_BASE", MNESIA_BASE)
    os.makedirs(base, exist_ok=True)
    broker = Broker(os.path.join(base, STATE_FILE))
    server = make_server(ip, port, lambda: _Session(broker))
    daemon.log("rabbitmq-server", f"started TCP listener on {ip}:{port}")
    server.serve_forever()


def ctl_main(argv: list[str] | None = None) -> None:
    """rabbitmqctl list_vhosts | add_vhost V | delete_vhost V | list_users (RABBITMQ_CONF_ENV_FILE overrides the env file)"""
    argv = list(sys.argv[1:] if argv is None else argv)
    env = _env(os.environ.get("RABBITMQ_CONF_ENV_FILE", ENV_FILE))
    client = RabbitClient(env.get("NODE_IP_ADDRESS", "127.0.0.1"), int(env.get("NODE_PORT", "5672")))
    cmd = argv[0] if argv else ""
    try:
        if cmd == "list_vhosts":
            print("Listing vhosts ...")
            for v in client.call("list_vhosts"):
                print(v)
        elif cmd == "list_users":
            print("Listing users ...")
            for u in client.call("list_users"):
                print(f"{u}\t[administrator]")
        elif cmd in ("add_vhost", "delete_vhost") and len(argv) == 2:
            print(f"{'Adding' if cmd == 'add_vhost' else 'Deleting'} vhost \"{argv[1]}\" ...")
            client.call(cmd, vhost=argv[1])
        else:
            sys.exit("Usage: rabbitmqctl list_vhosts | list_users | add_vhost VHOST | delete_vhost VHOST")
    except DbError as exc:
        sys.exit(f"Error: {exc}")
