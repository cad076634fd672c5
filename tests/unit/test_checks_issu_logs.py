"""checks.issu_logs on logs in the real tools' format (messages and order from contrail-controller R3.2
src/config/contrail_issu/contrail_issu/*.py and src/config/common/vnc_kombu.py)."""
from checks import issu_logs

T = "2017-03-02 10:11:12,345 "
RUN_OK = "".join(T + line + "\n" for line in [
    "SYS_INFO Issu contrail cassandra initialized...",
    "SYS_INFO Issu contrail cassandra prepare...",
    "SYS_NOTICE Cassandra connection ESTABLISHED",
    "SYS_NOTICE Cassandra connection ESTABLISHED",
    "SYS_NOTICE Initializing RabbitMQ connection, urls ['pyamqp://guest:secret@127.18.0.11:5672/contrail_new']",
    "SYS_INFO service supervisor-config stop",
    "Connected (version 2.0, client OpenSSH_6.6.1p1)",
    "Authentication (password) successful!",
    "SYS_INFO 0", "SYS_INFO [u'supervisor-config stop/waiting\\n']", "SYS_INFO []",
    "SYS_INFO 0", "SYS_INFO []", "SYS_INFO []",
    "SYS_INFO Config sync initiated...",
    "SYS_INFO Issu contrail cassandra merge copy, keyspace: config_db_uuid",
    "SYS_INFO Config sync done...",
    "SYS_INFO Started runtime sync...",
    "SYS_INFO service supervisor-config start",
    "SYS_INFO 0", "SYS_INFO [u'supervisor-config start/running, process 4242\\n']", "SYS_INFO []",
    "SYS_INFO 0", "SYS_INFO []", "SYS_INFO []",
    "SYS_INFO Start Compute upgrade...",
])
RUN_BAD_PASSWORD = "".join(T + line + "\n" for line in [
    "SYS_INFO Issu contrail cassandra initialized...",
    "SYS_INFO service supervisor-config stop",
    "SYS_ERR Error in rabbitmq drainer greenlet: Authentication failed.",
    "SYS_NOTICE RabbitMQ drainer connection down",
    "SYS_INFO service supervisor-config stop",
    "SYS_ERR Error in rabbitmq drainer greenlet: Authentication failed.",
])


def test_parse_log_levels_and_continuations():
    lines = issu_logs.parse_log(T + "SYS_INFO a\n" + T + "Connecting to 127.0.0.1:2181\nTraceback (most recent call last):\n")
    assert lines[0] == issu_logs.LogLine("2017-03-02 10:11:12,345", "SYS_INFO", "a")
    assert lines[1].level == "" and lines[1].message.endswith("\nTraceback (most recent call last):")


def test_run_sync_ok_on_two_nodes():
    assert all(r.ok for r in issu_logs.run_sync(RUN_OK, 2, "ctl-new-1"))
    three = issu_logs.run_sync(RUN_OK, 3, "ctl-new-1")
    assert [r.what for r in three if not r.ok] == ["run-sync 'service supervisor-config stop'",
                                                   "run-sync 'service supervisor-config start'"]


def test_run_sync_wrong_password_is_named():
    results = issu_logs.run_sync(RUN_OK + RUN_BAD_PASSWORD, 2, "ctl-new-1")  # the last run counts
    assert results[0].ok is False and results[0].found == "2 x 'Authentication failed.'"
    assert not any(r.ok for r in results[1:])


def test_cassandra_sync_and_waiting_for_a_keyspace():
    good = T + "SYS_INFO Issu contrail cassandra initialized...\n" + "".join(
        T + "SYS_INFO " + issu_logs.DONE[ks] + "\n" for ks in issu_logs.PRE_SYNC_KEYSPACES)
    assert issu_logs.cassandra_sync(good, issu_logs.PRE_SYNC_KEYSPACES, "pre-sync", "h").ok
    stuck = good + T + "SYS_INFO Issu contrail cassandra initialized...\n" + \
        T + "SYS_NOTICE Waiting for keyspace wrong_config_db_uuid to be created\n"
    res = issu_logs.cassandra_sync(stuck, issu_logs.PRE_SYNC_KEYSPACES, "pre-sync", "h")
    assert not res.ok and "Waiting for keyspace wrong_config_db_uuid to be created" in res.found
    assert not issu_logs.cassandra_sync("", issu_logs.POST_SYNC_KEYSPACES, "post-sync", "h").ok


def test_zk_sync_failed_then_passed_is_a_failure():
    start = T + "SYS_INFO Issu contrail zookeeper initialized...\n"
    assert issu_logs.zk_sync(start + T + "SYS_INFO Issu contrail zookeeper passed...\n", "h").ok
    both = start + T + "SYS_DEBUG Issu contrail zookeeper failed...\n" + T + "SYS_INFO Issu contrail zookeeper passed...\n"
    res = issu_logs.zk_sync(both, "h")
    assert not res.ok and "failed" in res.found
    assert not issu_logs.zk_sync(start, "h").ok
