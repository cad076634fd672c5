"""CRUD of config objects on the config DB and ZooKeeper, the way contrail-api does it."""
from __future__ import annotations

import json
import threading
import time
from typing import Any

from ..common.db import (CONFIG_DB_UUID, KEYSPACES, USERAGENT, CassandraClient, DbError, ZkClient,
                         keyspace_name, zk_path)
from .vnc_model import (DEFAULT_OBJECTS, RESERVED, ApiError, StoredObject, db_type, fq_column,
                        fq_name_str, from_columns, id_perms, new_uuid, resolve_parent, split_fq_column,
                        to_columns, zk_fq_node)

UUID_CF, FQ_CF = "obj_uuid_table", "obj_fq_name_table"


class VncStore:
    def __init__(self, db: CassandraClient, zk: ZkClient, prefix: str) -> None:
        self.db, self.zk, self.prefix = db, zk, prefix
        self.ks = keyspace_name(prefix, CONFIG_DB_UUID)
        self._lock = threading.RLock()

    # -- setup -----------------------------------------------------------------
    def ensure_schema(self) -> None:
        """Create the api-server's keyspaces, znodes and default objects if missing."""
        self.db.create_keyspace(self.ks, KEYSPACES[CONFIG_DB_UUID])
        self.db.create_keyspace(keyspace_name(self.prefix, USERAGENT), KEYSPACES[USERAGENT])
        for znode in ("fq-name-to-uuid", "id/virtual-networks", "api-server/subnets"):
            path = zk_path(self.prefix, znode)
            if not self.zk.exists(path):
                self.zk.create(path, "", makepath=True)
        for obj_type, fq, props in DEFAULT_OBJECTS:
            body = {"fq_name": list(fq), **props}
            if obj_type == "routing-instance":
                body["parent_type"] = "virtual-network"
            for _ in range(40):  # api-servers starting together: another one may be creating it
                if self.fq_name_to_uuid(obj_type, list(fq), missing_ok=True) is not None:
                    break
                try:
                    self.create(obj_type, body)
                    break
                except ApiError as exc:
                    if exc.status not in (404, 409):
                        raise
                    time.sleep(0.25)

    # -- lookups ---------------------------------------------------------------
    def fq_name_to_uuid(self, obj_type: str, fq_name: list[str], missing_ok: bool = False) -> str | None:
        row = self.db.get(self.ks, FQ_CF, db_type(obj_type)) or {}
        want = fq_name_str(fq_name) + ":"
        for col in row:
            if col.startswith(want) and col.count(":") == want.count(":"):
                return split_fq_column(col)[1]
        if missing_ok:
            return None
        raise ApiError(404, f"Name {fq_name!r} not found")

    def load(self, obj_uuid: str, obj_type: str | None = None) -> StoredObject:
        cols = self.db.get(self.ks, UUID_CF, obj_uuid)
        if not cols or "type" not in cols:
            raise ApiError(404, f"{obj_type or 'object'} {obj_uuid} not found")
        obj = from_columns(obj_uuid, cols)
        if obj_type and obj.obj_type != obj_type:
            raise ApiError(404, f"{obj_type} {obj_uuid} not found")
        return obj

    def list(self, obj_type: str) -> list[tuple[list[str], str]]:
        row = self.db.get(self.ks, FQ_CF, db_type(obj_type)) or {}
        return sorted(split_fq_column(col) for col in row)

    # -- mutations -------------------------------------------------------------
    def _refs_from_body(self, body: dict[str, Any]) -> dict[str, list[tuple[str, Any]]]:
        refs: dict[str, list[tuple[str, Any]]] = {}
        for key, value in body.items():
            if not key.endswith("_refs") or not isinstance(value, list):
                continue
            rtype = key[: -len("_refs")].replace("_", "-")
            for ref in value:
                ruuid = ref.get("uuid") or self.fq_name_to_uuid(rtype, list(ref.get("to", [])))
                refs.setdefault(rtype, []).append((ruuid, ref.get("attr")))
        return refs

    def create(self, obj_type: str, body: dict[str, Any]) -> StoredObject:
        ptype, pfq, fq = resolve_parent(obj_type, body)
        with self._lock:
            existing = self.fq_name_to_uuid(obj_type, fq, missing_ok=True)
            if existing:
                raise ApiError(409, f"Conflict: {obj_type} {fq_name_str(fq)} already exists with uuid: {existing}")
            parent_uuid = self.fq_name_to_uuid(ptype, pfq, missing_ok=True) if ptype else ""
            if ptype and not parent_uuid:
                raise ApiError(404, f"Parent {pfq!r} type {ptype} does not exist")
            obj_uuid = body.get("uuid") or new_uuid()
            # like the real api-server, the fq-name znode is the cluster-wide uniqueness claim
            znode = zk_path(self.prefix, "fq-name-to-uuid", zk_fq_node(obj_type, fq))
            try:
                self.zk.create(znode, obj_uuid)
            except DbError as exc:
                if "NodeExistsError" not in str(exc):
                    raise
                raise ApiError(409, f"Conflict: {obj_type} {fq_name_str(fq)} already exists "
                                    f"with uuid: {self.zk.get(znode)}") from None
            props = {k: v for k, v in body.items() if k not in RESERVED and not k.endswith("_refs")
                     and not k.endswith("_back_refs")}
            props.setdefault("id_perms", id_perms(obj_uuid))
            props.setdefault("display_name", fq[-1])
            if obj_type == "virtual-network" and "virtual_network_network_id" not in props:
                path = self.zk.create(zk_path(self.prefix, "id/virtual-networks") + "/", fq_name_str(fq),
                                      sequence=True)
                props["virtual_network_network_id"] = int(path.rsplit("/", 1)[1]) + 1
            obj = StoredObject(obj_uuid, obj_type, fq, ptype, parent_uuid or "", props,
                               self._refs_from_body(body), {})
            muts = [{"op": "insert", "ks": self.ks, "cf": UUID_CF, "key": obj_uuid, "columns": to_columns(obj)},
                    {"op": "insert", "ks": self.ks, "cf": FQ_CF, "key": db_type(obj_type),
                     "columns": {fq_column(fq, obj_uuid): json.dumps(None)}}]
            if parent_uuid:
                muts.append({"op": "insert", "ks": self.ks, "cf": UUID_CF, "key": parent_uuid,
                             "columns": {f"children:{db_type(obj_type)}:{obj_uuid}": json.dumps(None)}})
            try:
                self.db.batch(muts)
            except DbError:
                self.zk.delete(znode)
                raise
            return obj

    def update(self, obj_type: str, obj_uuid: str, body: dict[str, Any]) -> StoredObject:
        with self._lock:
            obj = self.load(obj_uuid, obj_type)
            before = to_columns(obj)
            for k, v in body.items():
                if k in RESERVED or k.endswith("_back_refs"):
                    continue
                if k.endswith("_refs"):
                    obj.refs[k[: -len("_refs")].replace("_", "-")] = self._refs_from_body({k: v}).get(
                        k[: -len("_refs")].replace("_", "-"), [])
                else:
                    obj.props[k] = v
            after = to_columns(obj)
            if after != before:
                self.db.put_row(self.ks, UUID_CF, obj_uuid, after)
            return obj

    def delete(self, obj_type: str, obj_uuid: str) -> None:
        with self._lock:
            obj = self.load(obj_uuid, obj_type)
            live = [f"{t}:{u}" for t, us in obj.children.items() for u in us]
            if live:
                raise ApiError(409, f"Delete when children still present: {live}")
            muts = [{"op": "remove", "ks": self.ks, "cf": UUID_CF, "key": obj_uuid},
                    {"op": "remove", "ks": self.ks, "cf": FQ_CF, "key": db_type(obj_type),
                     "columns": [fq_column(obj.fq_name, obj_uuid)]}]
            if obj.parent_uuid:
                muts.append({"op": "remove", "ks": self.ks, "cf": UUID_CF, "key": obj.parent_uuid,
                             "columns": [f"children:{db_type(obj_type)}:{obj_uuid}"]})
            self.db.batch(muts)
            znode = zk_path(self.prefix, "fq-name-to-uuid", zk_fq_node(obj_type, obj.fq_name))
            if self.zk.exists(znode):
                self.zk.delete(znode)


def render(obj: StoredObject, base: str, store: VncStore | None = None) -> dict[str, Any]:
    """The JSON body of `GET /<type>/<uuid>` (without the outer {type: ...})."""
    out: dict[str, Any] = {
        "uuid": obj.uuid, "fq_name": obj.fq_name, "name": obj.fq_name[-1],
        "href": f"{base}/{obj.obj_type}/{obj.uuid}",
    }
    if obj.parent_type:
        out.update(parent_type=obj.parent_type, parent_uuid=obj.parent_uuid,
                   parent_href=f"{base}/{obj.parent_type}/{obj.parent_uuid}")
    out.update(obj.props)
    for rtype, refs in obj.refs.items():
        out[f"{db_type(rtype)}_refs"] = [
            {"to": _fq_of(store, r), "uuid": r, "href": f"{base}/{rtype}/{r}", "attr": a} for r, a in refs]
    for ctype, uuids in obj.children.items():
        out[f"{db_type(ctype)}s"] = [
            {"to": _fq_of(store, c), "uuid": c, "href": f"{base}/{ctype}/{c}"} for c in uuids]
    return out


def _fq_of(store: VncStore | None, obj_uuid: str) -> list[str]:
    if store is None:
        return []
    cols = store.db.get(store.ks, UUID_CF, obj_uuid)
    return json.loads(cols["fq_name"]) if cols and "fq_name" in cols else []
