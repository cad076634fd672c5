"""zkCli.sh `ls`, to read the ZooKeeper of a 3.2 database node (pure parser + command line).

A 3.2 database node runs Ubuntu's zookeeper package (contrail-fabric-utils R3.2
fabfile/tasks/zookeeper.py drives /usr/share/zookeeper/bin/zkServer.sh); its client is
/usr/share/zookeeper/bin/zkCli.sh. ZooKeeperMain (apache/zookeeper branch-3.4
src/java/main/org/apache/zookeeper/ZooKeeperMain.java): `zkCli.sh -server H:P ls PATH` prints
"Connecting to H:P", log4j lines, the watcher event, then the children as java.util.List.toString
("[a, b, c]", "[]"); a missing znode prints "Node does not exist: PATH" on stderr, exit code 0.
"""
from __future__ import annotations

ZKCLI = "/usr/share/zookeeper/bin/zkCli.sh"
ISSU_ZNODES = ("fq-name-to-uuid", "api-server", "id")  # contrail_issu issu_contrail_config.issu_znode_list


def ls_command(ip: str, path: str, port: int = 2181) -> list[str]:
    return [ZKCLI, "-server", f"{ip}:{port}", "ls", path]


def znode(prefix: str, name: str) -> str:
    """'' + 'id' -> '/id'; 'issu_new' + 'id' -> '/issu_new/id' (zk-sync's '/' + prefix + '/' + name)."""
    return "/" + "/".join(p for p in (prefix.strip("/"), name) if p)


def parse_ls(stdout: str) -> list[str] | None:
    """The children listed by `ls` (the last '[...]' line), None when no list was printed (no such znode)."""
    for line in reversed(stdout.splitlines()):
        line = line.strip()
        if line.startswith("[") and line.endswith("]") and not line.startswith("[myid"):
            inner = line[1:-1].strip()
            return [c for c in inner.split(", ") if c] if inner else []
    return None
