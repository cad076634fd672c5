"""Cluster inventory: one YAML describes the old and new controllers, the computes,
the openstack/HAProxy node and how to reach them.

`load(path)` validates everything before any connection is made and raises
`InventoryError` whose message names the file, the path inside it and the problem:

    clusters/x.yaml: computes[3].ip: '10.0.0.999' is not an IP address

Secrets (SSH key, passwords) are never written inline: they are references
(`{env: NAME}`, `{file: PATH}` or, in a lab inventory, `{lab: NAME}` for a secret the
embedded lab generates). `Secret.resolve()` reads them at the last moment.
"""
from __future__ import annotations

import hashlib
import ipaddress
import os
import re
from enum import Enum
from pathlib import Path
from typing import Annotated, Literal, Union
from urllib.parse import urlsplit

import yaml
from pydantic import (
    AfterValidator,
    BeforeValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    field_validator,
    model_validator,
)

LOOPBACK = ipaddress.ip_network("127.0.0.0/8")
DEFAULT_LAB_STATE_ROOT = Path("/var/lib/issu-lab")


class InventoryError(Exception):
    """An inventory that cannot be used, with a located, one-line explanation."""


class Role(str, Enum):
    config = "config"
    control = "control"
    analytics = "analytics"
    database = "database"
    webui = "webui"


_HOSTNAME = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$")
_PREFIX = re.compile(r"^[A-Za-z0-9_]{0,40}$")


def _hostname(value: str) -> str:
    if not _HOSTNAME.match(value):
        raise ValueError(f"{value!r} is not a valid host name (letters, digits, '-')")
    return value


def _prefix(value: str) -> str:
    # cluster_id / kafka_prefix / rabbit_vhost end up in keyspace and queue names;
    # '-' vs '_' mix-ups are a known ISSU failure, so only '_' is accepted.
    if not _PREFIX.match(value):
        raise ValueError(f"{value!r} may only hold letters, digits and '_' (at most 40)")
    return value


HostName = Annotated[str, AfterValidator(_hostname)]
Prefix = Annotated[str, AfterValidator(_prefix)]
PackageVersion = Annotated[
    str, StringConstraints(pattern=r"^[0-9][A-Za-z0-9.+~:-]*$", max_length=64)
]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


def _ip(value: str) -> str:
    try:
        return str(ipaddress.ip_address(str(value)))
    except ValueError:
        raise ValueError(f"{value!r} is not an IP address") from None


class EnvSecret(_Frozen):
    env: Annotated[str, StringConstraints(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")]


class FileSecret(_Frozen):
    file: str


class LabSecret(_Frozen):
    lab: Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$")]


def _reference_only(value):
    if not isinstance(value, dict):
        raise ValueError(
            "a secret must be a reference ({env: NAME}, {file: PATH} or {lab: NAME}), "
            "never the value itself"
        )
    return value


SecretRef = Annotated[Union[EnvSecret, FileSecret, LabSecret], BeforeValidator(_reference_only)]


class Secret:
    """A secret resolved from its reference on demand; repr never shows the value."""

    def __init__(self, ref: SecretRef, base_dir: Path, lab_state: Path | None):
        self.ref = ref
        self._base_dir = base_dir
        self._lab_state = lab_state

    def describe(self) -> str:
        if isinstance(self.ref, EnvSecret):
            return f"env:{self.ref.env}"
        if isinstance(self.ref, FileSecret):
            return f"file:{self.ref.file}"
        return f"lab:{self.ref.lab}"

    def path(self) -> Path | None:
        if isinstance(self.ref, FileSecret):
            p = Path(os.path.expanduser(self.ref.file))
            return p if p.is_absolute() else self._base_dir / p
        if isinstance(self.ref, LabSecret) and self._lab_state is not None:
            return self._lab_state / "secrets" / self.ref.lab
        return None

    def resolve(self) -> str:
        if isinstance(self.ref, EnvSecret):
            value = os.environ.get(self.ref.env)
            if value is None:
                raise InventoryError(f"secret {self.describe()}: environment variable is not set")
            return value
        path = self.path()
        if path is None:
            raise InventoryError(f"secret {self.describe()}: no lab state directory")
        try:
            return path.read_text().rstrip("\n")
        except OSError as exc:
            raise InventoryError(f"secret {self.describe()}: cannot read {path}: {exc.strerror}") from None

    def __repr__(self) -> str:
        return f"Secret({self.describe()})"

    __str__ = __repr__


class SshSettings(_Frozen):
    user: str = "root"
    port: int = Field(default=22, ge=1, le=65535)
    key: SecretRef | None = None
    password: SecretRef | None = None
    # Given only when sudo asks this user for a password; never the SSH credential reused.
    sudo_password: SecretRef | None = None
    known_hosts: str | None = None
    connect_timeout: float = Field(default=10.0, gt=0, le=300)
    command_timeout: float = Field(default=600.0, gt=0, le=86400)

    @model_validator(mode="after")
    def _some_credential(self) -> "SshSettings":
        if self.key is None and self.password is None:
            raise ValueError("needs a key or a password reference")
        return self


class Node(_Frozen):
    name: HostName
    ip: str
    ssh_port: int | None = Field(default=None, ge=1, le=65535)

    _check_ip = field_validator("ip", mode="before")(_ip)


class ControllerNode(Node):
    roles: tuple[Role, ...] = (Role.config, Role.control, Role.analytics, Role.database, Role.webui)

    @field_validator("roles")
    @classmethod
    def _roles_not_empty(cls, roles: tuple[Role, ...]) -> tuple[Role, ...]:
        if not roles:
            raise ValueError("a controller needs at least one role")
        if len(set(roles)) != len(roles):
            raise ValueError("roles listed twice")
        return roles


class ComputeNode(Node):
    group: HostName | None = None


class ControllerCluster(_Frozen):
    """One side of the upgrade: the old or the new controller cluster."""

    version: PackageVersion
    cluster_id: Prefix
    kafka_prefix: Prefix
    rabbit_vhost: Prefix
    nodes: tuple[ControllerNode, ...] = Field(min_length=1)

    def with_role(self, role: Role) -> tuple[ControllerNode, ...]:
        return tuple(n for n in self.nodes if role in n.roles)

    @model_validator(mode="after")
    def _has_config_and_control(self) -> "ControllerCluster":
        for role in (Role.config, Role.control):
            if not self.with_role(role):
                raise ValueError(f"no node has the {role.value} role")
        return self


class OpenstackNode(Node):
    """The OpenStack node: HAProxy front-ends the config API (the northbound VIP)."""

    haproxy_cfg: str = "/etc/haproxy/haproxy.cfg"
    api_frontend_port: int = Field(default=8082, ge=1, le=65535)


class RabbitMQ(_Frozen):
    hosts: tuple[str, ...] = Field(min_length=1)
    port: int = Field(default=5672, ge=1, le=65535)
    user: str = "guest"
    password: SecretRef

    @field_validator("hosts", mode="before")
    @classmethod
    def _hosts_are_ips(cls, hosts):
        return tuple(_ip(h) for h in hosts)


class Keystone(_Frozen):
    """The keystone that contrail-api validates tokens against (the openstack node's).

    `auth_url` defaults to the admin endpoint on the openstack node,
    http://<openstack.ip>:35357/v2.0 (v3: .../v3); the version is read from its path.
    """

    admin_user: str = "admin"
    admin_password: SecretRef
    admin_tenant_name: str = "admin"
    auth_url: Annotated[str, StringConstraints(pattern=r"^https?://[^/\s]+(/\S*)?$")] | None = None
    version: Literal["v2.0", "v3"] | None = None
    user_domain_name: str = "Default"
    project_domain_name: str = "Default"
    ca_file: str | None = None
    insecure: bool = False


class RunSyncSsh(_Frozen):
    """contrail-issu.conf `new_api_info`: the SSH login contrail-issu-run-sync uses (paramiko,
    password) on EVERY new config node to run `service supervisor-config stop|start`."""

    ssh_user: str = "root"
    ssh_password: SecretRef


class LabSettings(_Frozen):
    """Present only in lab inventories: the runbook may start the embedded lab itself."""

    state_dir: str | None = None
    network: str = "127.18.0.0/16"
    autostart: bool = True
    # How `service X status|start|stop` behaves on the lab's nodes: Ubuntu 14.04 (upstart,
    # what 3.2 shipped on), Ubuntu 16.04 / CentOS 7 (systemd) or plain sysv init scripts.
    init: Literal["upstart", "systemd", "sysv"] = "upstart"

    @field_validator("network")
    @classmethod
    def _loopback_network(cls, value: str) -> str:
        try:
            net = ipaddress.ip_network(value, strict=True)
        except ValueError as exc:
            raise ValueError(f"{value!r} is not a network: {exc}") from None
        if not net.subnet_of(LOOPBACK):  # type: ignore[arg-type]
            raise ValueError(f"{value} is outside 127.0.0.0/8; the lab only uses loopback")
        return str(net)


class Inventory(_Frozen):
    name: HostName
    asn: int = Field(default=64512, ge=1, le=4294967295)
    ssh: SshSettings
    keystone: Keystone
    run_sync: RunSyncSsh
    rabbitmq: RabbitMQ
    openstack: OpenstackNode
    old: ControllerCluster
    new: ControllerCluster
    computes: tuple[ComputeNode, ...] = Field(min_length=1)
    lab: LabSettings | None = None

    @model_validator(mode="after")
    def _consistent(self) -> "Inventory":
        names: dict[str, str] = {}
        addrs: dict[str, str] = {}
        for where, node in self.located_nodes():
            if node.name in names:
                raise ValueError(f"{where}.name: {node.name!r} is also {names[node.name]}")
            names[node.name] = where
            if node.ip in addrs:
                raise ValueError(f"{where}.ip: {node.ip} is also the address of {addrs[node.ip]}")
            addrs[node.ip] = where
        if self.old.cluster_id == self.new.cluster_id:
            raise ValueError(
                f"new.cluster_id: {self.new.cluster_id!r} equals old.cluster_id; "
                "the two config databases must be logically separated"
            )
        if self.old.kafka_prefix == self.new.kafka_prefix:
            raise ValueError(f"new.kafka_prefix: {self.new.kafka_prefix!r} equals old.kafka_prefix")
        if self.old.rabbit_vhost == self.new.rabbit_vhost:
            raise ValueError(f"new.rabbit_vhost: {self.new.rabbit_vhost!r} equals old.rabbit_vhost")
        controller_ips = {n.ip: w for w, n in self.located_nodes() if w.startswith(("old.", "new."))}
        for i, host in enumerate(self.rabbitmq.hosts):
            if host in controller_ips:
                raise ValueError(
                    f"rabbitmq.hosts[{i}]: {host} is the controller {controller_ips[host]}; "
                    "OpenStack RabbitMQ must not run on a Contrail controller"
                )
        if self.lab is not None:
            net = ipaddress.ip_network(self.lab.network)
            for where, node in self.located_nodes():
                ip = ipaddress.ip_address(node.ip)
                if ip not in LOOPBACK:
                    raise ValueError(
                        f"{where}.ip: {node.ip} is outside 127.0.0.0/8; a lab inventory may only use loopback"
                    )
                if ip not in net:
                    raise ValueError(f"{where}.ip: {node.ip} is outside lab.network {net}")
            if self.keystone.auth_url:
                host = urlsplit(self.keystone.auth_url).hostname or ""
                try:
                    loopback = ipaddress.ip_address(host) in LOOPBACK
                except ValueError:
                    loopback = host == "localhost"
                if not loopback:
                    raise ValueError(
                        f"keystone.auth_url: {host} is outside 127.0.0.0/8; a lab inventory may only use loopback"
                    )
        else:
            for where, ref in self.secret_refs():
                if isinstance(ref, LabSecret):
                    raise ValueError(f"{where}: a {{lab: ...}} secret needs a lab: block")
        return self

    # -- navigation -------------------------------------------------------
    def located_nodes(self) -> list[tuple[str, Node]]:
        """Every node with its path in the file, e.g. ('computes[2]', node)."""
        out: list[tuple[str, Node]] = [("openstack", self.openstack)]
        out += [(f"old.nodes[{i}]", n) for i, n in enumerate(self.old.nodes)]
        out += [(f"new.nodes[{i}]", n) for i, n in enumerate(self.new.nodes)]
        out += [(f"computes[{i}]", n) for i, n in enumerate(self.computes)]
        return out

    def all_nodes(self) -> list[Node]:
        return [n for _, n in self.located_nodes()]

    def node(self, name: str) -> Node:
        for n in self.all_nodes():
            if n.name == name:
                return n
        raise KeyError(name)

    def kind_of(self, node: Node) -> Literal["openstack", "old", "new", "compute"]:
        if node == self.openstack:
            return "openstack"
        if node in self.old.nodes:
            return "old"
        if node in self.new.nodes:
            return "new"
        return "compute"

    def secret_refs(self) -> list[tuple[str, SecretRef]]:
        refs: list[tuple[str, SecretRef]] = [
            ("keystone.admin_password", self.keystone.admin_password),
            ("rabbitmq.password", self.rabbitmq.password),
        ]
        if self.ssh.key is not None:
            refs.append(("ssh.key", self.ssh.key))
        if self.ssh.password is not None:
            refs.append(("ssh.password", self.ssh.password))
        if self.ssh.sudo_password is not None:
            refs.append(("ssh.sudo_password", self.ssh.sudo_password))
        refs.append(("run_sync.ssh_password", self.run_sync.ssh_password))
        return refs

    # -- keystone ---------------------------------------------------------
    def keystone_url(self) -> str:
        """The keystone auth URL, without a trailing slash."""
        if self.keystone.auth_url:
            return self.keystone.auth_url.rstrip("/")
        return f"http://{self.openstack.ip}:35357/{self.keystone.version or 'v2.0'}"

    def keystone_version(self) -> Literal["v2.0", "v3"]:
        if self.keystone.version:
            return self.keystone.version
        return "v3" if self.keystone_url().endswith("/v3") else "v2.0"

    def compute_groups(self) -> dict[str, tuple[ComputeNode, ...]]:
        groups: dict[str, list[ComputeNode]] = {}
        for c in self.computes:
            groups.setdefault(c.group or c.name, []).append(c)
        return {k: tuple(v) for k, v in groups.items()}


class LoadedInventory:
    """A validated inventory bound to its file: resolves secrets and paths."""

    def __init__(self, model: Inventory, path: Path, text: str):
        self.model = model
        self.path = path
        self.digest = hashlib.sha256(text.encode()).hexdigest()

    @property
    def base_dir(self) -> Path:
        return self.path.parent

    @property
    def lab_state_dir(self) -> Path | None:
        if self.model.lab is None:
            return None
        if self.model.lab.state_dir:
            p = Path(os.path.expanduser(self.model.lab.state_dir))
            return p if p.is_absolute() else (self.base_dir / p).resolve()
        return DEFAULT_LAB_STATE_ROOT / self.model.name

    def secret(self, ref: SecretRef) -> Secret:
        return Secret(ref, self.base_dir, self.lab_state_dir)

    @property
    def known_hosts(self) -> Path | None:
        if self.model.ssh.known_hosts:
            p = Path(os.path.expanduser(self.model.ssh.known_hosts))
            return p if p.is_absolute() else self.base_dir / p
        if self.lab_state_dir is not None:
            return self.lab_state_dir / "ssh" / "known_hosts"
        return None

    def secret_values(self) -> list[str]:
        """Every secret that can be resolved now, for redaction. Unresolvable ones are skipped."""
        values = []
        for _, ref in self.model.secret_refs():
            try:
                value = self.secret(ref).resolve()
            except InventoryError:
                continue
            if value:
                values.append(value)
        return values


def _location(loc: tuple) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part in ("EnvSecret", "FileSecret", "LabSecret") or "[" in str(part) or part.startswith("function-"):
            continue
        else:
            out += ("." if out else "") + str(part)
    return out


def _first_error(exc: ValidationError) -> str:
    errors = exc.errors(include_url=False)
    # Union members produce one error each; prefer the most specific located one.
    err = max(errors, key=lambda e: len(e["loc"]))
    loc = _location(err["loc"])
    msg = err["msg"].removeprefix("Value error, ")
    if err["type"] == "missing":
        msg = "is required"
    elif err["type"] == "extra_forbidden":
        msg = "is not a known key"
    elif err["type"] == "too_short":
        msg = "must not be empty"
    if ": " in msg and not loc:
        return msg
    return f"{loc}: {msg}" if loc else msg


def parse(text: str, path: Path) -> LoadedInventory:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark else "?"
        raise InventoryError(f"{path}: {where}: not valid YAML ({getattr(exc, 'problem', exc)})") from None
    if not isinstance(data, dict):
        raise InventoryError(f"{path}: the inventory must be a YAML mapping")
    try:
        model = Inventory.model_validate(data)
    except ValidationError as exc:
        raise InventoryError(f"{path}: {_first_error(exc)}") from None
    return LoadedInventory(model, path, text)


def load(path: str | os.PathLike) -> LoadedInventory:
    p = Path(path)
    try:
        text = p.read_text()
    except FileNotFoundError:
        raise InventoryError(f"{p}: no such inventory file") from None
    except OSError as exc:
        raise InventoryError(f"{p}: cannot read: {exc.strerror}") from None
    return parse(text, p)
