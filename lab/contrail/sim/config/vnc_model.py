"""The config objects contrail-api serves and how they are laid out in the config DB.

Storage follows the real 3.2 api-server (vnc_cassandra): keyspace
`<prefix>_config_db_uuid`;
  obj_uuid_table   row <uuid>: 'fq_name' -> json list, 'type' -> json 'virtual_network',
                   'parent_type' -> json, 'prop:<field>' -> json value,
                   'parent:<type>:<uuid>', 'children:<type>:<uuid>' -> json null,
                   'ref:<type>:<uuid>' -> json {"attr": ...}, 'META:latest_col_ts' -> json null
  obj_fq_name_table row <type with _>: column '<fq:name:joined>:<uuid>' -> json null
and ZooKeeper `/<prefix>/fq-name-to-uuid/<type_>:<fq:name>` -> uuid,
`/<prefix>/id/virtual-networks/<id>` -> fq name, `/<prefix>/api-server/subnets`.
Everything here is pure: it turns objects into column maps and back.
"""
from __future__ import annotations

import json
import uuid as uuidlib
from dataclasses import dataclass
from typing import Any

# type -> (parent type or '' for config-root, default fq_name of the parent)
PARENTS: dict[str, tuple[str, tuple[str, ...]]] = {
    "global-system-config": ("", ()),
    "domain": ("", ()),
    "project": ("domain", ("default-domain",)),
    "virtual-network": ("project", ("default-domain", "default-project")),
    "network-ipam": ("project", ("default-domain", "default-project")),
    "routing-instance": ("virtual-network", ("default-domain", "default-project", "ip-fabric")),
    "bgp-router": ("routing-instance", ("default-domain", "default-project", "ip-fabric", "__default__")),
    "config-node": ("global-system-config", ("default-global-system-config",)),
    "analytics-node": ("global-system-config", ("default-global-system-config",)),
    "database-node": ("global-system-config", ("default-global-system-config",)),
    "virtual-router": ("global-system-config", ("default-global-system-config",)),
    "global-vrouter-config": ("global-system-config", ("default-global-system-config",)),
    "virtual-machine-interface": ("project", ("default-domain", "default-project")),
    "instance-ip": ("", ()),
    "virtual-machine": ("", ()),
    "security-group": ("project", ("default-domain", "default-project")),
}
TYPES = frozenset(PARENTS)
PLURALS = {t + "s": t for t in TYPES}

# What a fresh api-server creates on an empty database (type, fq_name, props).
DEFAULT_OBJECTS: tuple[tuple[str, tuple[str, ...], dict[str, Any]], ...] = (
    ("global-system-config", ("default-global-system-config",), {"autonomous_system": 64512}),
    ("domain", ("default-domain",), {}),
    ("project", ("default-domain", "default-project"), {}),
    ("network-ipam", ("default-domain", "default-project", "default-network-ipam"), {}),
    ("virtual-network", ("default-domain", "default-project", "default-virtual-network"), {}),
    ("virtual-network", ("default-domain", "default-project", "ip-fabric"), {}),
    ("virtual-network", ("default-domain", "default-project", "__link_local__"), {}),
    ("routing-instance", ("default-domain", "default-project", "ip-fabric", "__default__"), {}),
    ("routing-instance", ("default-domain", "default-project", "default-virtual-network",
                          "default-virtual-network"), {}),
)

RESERVED = frozenset({"uuid", "fq_name", "name", "parent_type", "parent_uuid", "parent_href", "href"})


class ApiError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def db_type(obj_type: str) -> str:
    return obj_type.replace("-", "_")


def fq_name_str(fq_name: list[str] | tuple[str, ...]) -> str:
    return ":".join(fq_name)


@dataclass
class StoredObject:
    uuid: str
    obj_type: str
    fq_name: list[str]
    parent_type: str
    parent_uuid: str
    props: dict[str, Any]
    refs: dict[str, list[tuple[str, Any]]]      # ref type -> [(uuid, attr)]
    children: dict[str, list[str]]              # child type -> [uuid]


def new_uuid() -> str:
    return str(uuidlib.uuid4())


def id_perms(obj_uuid: str) -> dict[str, Any]:
    u = uuidlib.UUID(obj_uuid)
    hi, lo = u.int >> 64, u.int & ((1 << 64) - 1)
    return {"enable": True, "uuid": {"uuid_mslong": hi, "uuid_lslong": lo},
            "permissions": {"owner": "cloud-admin", "owner_access": 7, "group": "cloud-admin-group",
                            "group_access": 7, "other_access": 7},
            "user_visible": True, "description": None, "creator": None,
            "created": None, "last_modified": None}


def to_columns(obj: StoredObject) -> dict[str, str]:
    cols = {
        "fq_name": json.dumps(obj.fq_name),
        "type": json.dumps(db_type(obj.obj_type)),
        "META:latest_col_ts": json.dumps(None),
    }
    if obj.parent_type:
        cols["parent_type"] = json.dumps(db_type(obj.parent_type))
        cols[f"parent:{db_type(obj.parent_type)}:{obj.parent_uuid}"] = json.dumps(None)
    for k, v in obj.props.items():
        cols[f"prop:{k}"] = json.dumps(v)
    for rtype, refs in obj.refs.items():
        for ruuid, attr in refs:
            cols[f"ref:{db_type(rtype)}:{ruuid}"] = json.dumps({"attr": attr})
    for ctype, uuids in obj.children.items():
        for cuuid in uuids:
            cols[f"children:{db_type(ctype)}:{cuuid}"] = json.dumps(None)
    return cols


def from_columns(obj_uuid: str, cols: dict[str, str]) -> StoredObject:
    obj = StoredObject(obj_uuid, json.loads(cols["type"]).replace("_", "-"), json.loads(cols["fq_name"]),
                       "", "", {}, {}, {})
    for col, val in cols.items():
        kind, _, rest = col.partition(":")
        if kind == "prop":
            obj.props[rest] = json.loads(val)
        elif kind == "parent":
            ptype, _, puuid = rest.partition(":")
            obj.parent_type, obj.parent_uuid = ptype.replace("_", "-"), puuid
        elif kind == "ref":
            rtype, _, ruuid = rest.partition(":")
            obj.refs.setdefault(rtype.replace("_", "-"), []).append((ruuid, json.loads(val).get("attr")))
        elif kind == "children":
            ctype, _, cuuid = rest.partition(":")
            obj.children.setdefault(ctype.replace("_", "-"), []).append(cuuid)
    return obj


def fq_column(fq_name: list[str], obj_uuid: str) -> str:
    return f"{fq_name_str(fq_name)}:{obj_uuid}"


def split_fq_column(column: str) -> tuple[list[str], str]:
    fq, _, obj_uuid = column.rpartition(":")
    return fq.split(":"), obj_uuid


def zk_fq_node(obj_type: str, fq_name: list[str]) -> str:
    return f"{db_type(obj_type)}:{fq_name_str(fq_name)}".replace("/", "%2F")


def resolve_parent(obj_type: str, body: dict[str, Any]) -> tuple[str, list[str], list[str]]:
    """(parent_type, parent_fq_name, fq_name) of a create request, as the api-server infers them."""
    if obj_type not in PARENTS:
        raise ApiError(404, f"unknown type {obj_type}")
    default_ptype, default_pfq = PARENTS[obj_type]
    ptype = body.get("parent_type") or default_ptype
    fq = body.get("fq_name")
    if fq:
        fq = [str(x) for x in fq]
        pfq = fq[:-1]
    else:
        name = body.get("name")
        if not name:
            raise ApiError(400, "Bad Request: fq_name or name is required")
        pfq = list(default_pfq)
        fq = pfq + [str(name)]
    if not ptype:
        if len(fq) != 1:
            raise ApiError(400, f"Bad Request: {obj_type} has no parent, fq_name must have one element")
        return "", [], fq
    if not pfq:
        raise ApiError(400, f"Bad Request: fq_name {fq} has no parent part")
    return ptype.replace("_", "-"), pfq, fq
