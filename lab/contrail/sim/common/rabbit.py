"""Client of the lab's RabbitMQ stand-in (contrail_sim.config.rabbitmq), JSON-lines protocol.

Ops: ping; login {user, password, vhost} -> "ok" or error "ACCESS_REFUSED - Login was refused
using authentication mechanism PLAIN" / "NOT_ALLOWED - vhost <v> not found" (RabbitMQ's own
words); list_vhosts; add_vhost {vhost}; delete_vhost {vhost}; list_users.
"""
from __future__ import annotations

from configparser import ConfigParser

from . import daemon
from .db import DbError, JsonLineClient, parse_server_list

RABBIT_PORT = 5672


class RabbitClient(JsonLineClient):
    def __init__(self, servers: str, port: int = RABBIT_PORT, timeout: float = 3.0) -> None:
        super().__init__(parse_server_list(servers, port), timeout)


def login_error(servers: str, port: int, user: str, password: str, vhost: str) -> str | None:
    """None when (user, password, vhost) can open a connection; otherwise why not."""
    try:
        RabbitClient(servers, port).call("login", user=user, password=password, vhost=vhost or "/")
        return None
    except DbError as exc:
        return str(exc)


def connection(servers: str, port: int, user: str, password: str, vhost: str) -> dict[str, object]:
    """The Database:RabbitMQ ConnectionInfo of a config daemon."""
    err = login_error(servers, port, user, password, vhost)
    return {"type": "Database", "name": "RabbitMQ", "status": "Up" if err is None else "Down",
            "server_addrs": [f"{h}:{p}" for h, p in parse_server_list(servers, port)],
            "description": err or ""}


def conf_connections(cp: ConfigParser) -> list[dict[str, object]]:
    """Database:RabbitMQ of a daemon whose [DEFAULTS] has rabbit_server (api, schema, svc-monitor, dm)."""
    def g(key: str, default: str = "") -> str:
        return daemon.get(cp, "DEFAULTS", key, default)
    if not g("rabbit_server"):
        return []
    return [connection(g("rabbit_server"), int(g("rabbit_port", str(RABBIT_PORT))), g("rabbit_user", "guest"),
                       g("rabbit_password", "guest"), g("rabbit_vhost", "/"))]
