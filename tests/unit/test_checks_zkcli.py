"""checks.zkcli on zkCli.sh output in ZooKeeperMain's shape (apache/zookeeper branch-3.4)."""
from checks import zkcli

OUT = """Connecting to 127.18.1.21:2181
2017-03-02 10:11:12,345 [myid:] - INFO  [main:Environment@100] - Client environment:zookeeper.version=3.4.5
2017-03-02 10:11:12,400 [myid:] - INFO  [main:ZooKeeper@438] - Initiating client connection

WATCHER::

WatchedEvent state:SyncConnected type:None path:null
[virtual_network:default-domain:admin:vn1, route_target:target:64512:8000001]
"""


def test_parse_ls():
    assert zkcli.parse_ls(OUT) == ["virtual_network:default-domain:admin:vn1", "route_target:target:64512:8000001"]
    assert zkcli.parse_ls("Connecting to h:2181\n[]\n") == []
    assert zkcli.parse_ls("Connecting to h:2181\n") is None  # "Node does not exist" went to stderr


def test_command_and_paths():
    assert zkcli.ls_command("127.0.0.1", "/issu_new/id") == [zkcli.ZKCLI, "-server", "127.0.0.1:2181", "ls",
                                                             "/issu_new/id"]
    assert zkcli.znode("", "id") == "/id" and zkcli.znode("issu_new", "fq-name-to-uuid") == "/issu_new/fq-name-to-uuid"
