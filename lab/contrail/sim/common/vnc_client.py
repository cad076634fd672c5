"""A small client of contrail-api (what vnc_api is to the real tools), stdlib only.

Authenticates with HTTP Basic (the lab api-server's scheme, see contrail_sim.config.api);
a 401 raises RuntimeError('Authentication Failure') as vnc_api does when keystone refuses.
Connection failures are retried `retries` times, `retry_wait` s apart, then raise
ApiUnreachable; a call never blocks longer than `timeout` per attempt.
"""
from __future__ import annotations

import base64
import json
import time
import urllib.error
import urllib.request
from typing import Any


class ApiUnreachable(Exception):
    pass


class ApiHttpError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"{status}: {message}")
        self.status, self.message = status, message


class VncClient:
    def __init__(self, ip: str, port: int, user: str, password: str, tenant: str = "admin",
                 timeout: float = 10.0, retries: int = 5, retry_wait: float = 2.0) -> None:
        self.base = f"http://{ip}:{port}"
        token = base64.b64encode(f"{user}:{password}".encode()).decode()
        self.headers = {"Authorization": f"Basic {token}", "X-Tenant-Name": tenant,
                        "Content-Type": "application/json"}
        self.timeout, self.retries, self.retry_wait = timeout, retries, retry_wait

    def request(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        data = json.dumps(body).encode() if body is not None else None
        last = ""
        for attempt in range(1, self.retries + 1):
            req = urllib.request.Request(self.base + path, data=data, method=method, headers=self.headers)
            try:
                with urllib.request.urlopen(req, timeout=self.timeout) as resp:
                    raw = resp.read()
                    return json.loads(raw) if raw else None
            except urllib.error.HTTPError as exc:
                text = exc.read().decode(errors="replace")
                if exc.code == 401:
                    raise RuntimeError("Authentication Failure") from None
                if exc.code in (502, 503, 504) and attempt < self.retries:
                    last = f"{exc.code} {text}"
                else:
                    raise ApiHttpError(exc.code, text) from None
            except (urllib.error.URLError, OSError) as exc:
                last = str(getattr(exc, "reason", exc))
            if attempt < self.retries:
                time.sleep(self.retry_wait)
        raise ApiUnreachable(f"Unable to connect to API server {self.base} after {self.retries} attempts: {last}")

    # -- object helpers -----------------------------------------------------------------
    def list(self, obj_type: str, detail: bool = False) -> list[dict[str, Any]]:
        out = self.request("GET", f"/{obj_type}s" + ("?detail=True" if detail else ""))
        items = out.get(f"{obj_type}s", [])
        return [i[obj_type] for i in items] if detail else items

    def read(self, obj_type: str, obj_uuid: str) -> dict[str, Any]:
        return self.request("GET", f"/{obj_type}/{obj_uuid}")[obj_type]

    def fq_name_to_id(self, obj_type: str, fq_name: list[str]) -> str | None:
        try:
            return self.request("POST", "/fqname-to-id", {"type": obj_type, "fq_name": fq_name})["uuid"]
        except ApiHttpError as exc:
            if exc.status == 404:
                return None
            raise

    def create(self, obj_type: str, body: dict[str, Any]) -> dict[str, Any]:
        return self.request("POST", f"/{obj_type}s", {obj_type: body})[obj_type]

    def update(self, obj_type: str, obj_uuid: str, body: dict[str, Any]) -> None:
        self.request("PUT", f"/{obj_type}/{obj_uuid}", {obj_type: body})

    def delete(self, obj_type: str, obj_uuid: str) -> None:
        self.request("DELETE", f"/{obj_type}/{obj_uuid}")

    def create_or_update(self, obj_type: str, fq_name: list[str], body: dict[str, Any]) -> tuple[str, bool]:
        """(uuid, created): what the provision_* tools do on --oper add (read, then update or create)."""
        obj_uuid = self.fq_name_to_id(obj_type, fq_name)
        if obj_uuid:
            self.update(obj_type, obj_uuid, body)
            return obj_uuid, False
        return self.create(obj_type, {"fq_name": fq_name, **body})["uuid"], True
