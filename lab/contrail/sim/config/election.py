"""Active/backup election through the zookeeper stand-in, as kazoo's Election does it.

Each candidate creates an ephemeral sequential znode under /<cluster_id>/<name>
(e.g. /issu_new/schema-transformer/lock-0000000003); the lowest sequence is the leader.
The znode disappears when the candidate's connection closes, so a stopped or killed
daemon hands over within one poll.
"""
from __future__ import annotations

import threading
from typing import Callable

from ..common.db import DbError, ZkClient, zk_path


class Elector:
    def __init__(self, zk_servers: str, cluster_id: str, name: str, ident: str,
                 on_change: Callable[[bool], None], interval: float = 1.0) -> None:
        self.zk_servers, self.path, self.ident = zk_servers, zk_path(cluster_id, name), ident
        self.on_change, self.interval = on_change, interval
        self.leader = False
        self._mine: str | None = None
        self._zk: ZkClient | None = None
        self._stop = threading.Event()

    def _set(self, leader: bool) -> None:
        if leader != self.leader:
            self.leader = leader
            self.on_change(leader)

    def poll(self) -> bool:
        """One round: (re)join and check whether we hold the lowest znode."""
        try:
            if self._zk is None:
                self._zk = ZkClient(self.zk_servers, timeout=3.0)
            if self._mine is None or not self._zk.exists(self._mine):
                self._mine = self._zk.create(self.path + "/lock-", self.ident, ephemeral=True, sequence=True)
            children = sorted(self._zk.children(self.path))
            self._set(bool(children) and self._mine.rsplit("/", 1)[1] == children[0])
        except (DbError, ValueError):
            if self._zk is not None:
                self._zk.close()
            self._zk, self._mine = None, None
            self._set(False)
        return self.leader

    def start(self) -> "Elector":
        def run() -> None:
            while not self._stop.is_set():
                self.poll()
                self._stop.wait(self.interval)
        threading.Thread(target=run, daemon=True, name=f"election-{self.path}").start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._zk is not None:
            self._zk.close()
