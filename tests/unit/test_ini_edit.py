"""Predicting openstack-config edits: formatting kept, no-op edits detected."""
from issu.ini_edit import current, edit

AGENT_INI = (
    "[program:contrail-vrouter-agent]\n"
    "command=/usr/bin/contrail-vrouter-agent\n"
    "priority=420\n"
    "autostart=true\n"
    "killasgroup=true\n"
    "stopsignal=KILL\n"
)


def test_delete_key_keeps_everything_else_verbatim():
    out = edit(AGENT_INI, "program:contrail-vrouter-agent", "autostart", None)
    assert out == AGENT_INI.replace("autostart=true\n", "")


def test_set_existing_key_changes_only_its_value():
    conf = "[DISCOVERY]\nport=5998\nserver=127.18.0.21\n\n[CONTROL-NODE]\nserver=127.18.0.21\n"
    out = edit(conf, "DISCOVERY", "server", "127.18.1.21")
    assert out == conf.replace("[DISCOVERY]\nport=5998\nserver=127.18.0.21", "[DISCOVERY]\nport=5998\nserver=127.18.1.21")


def test_set_new_key_and_section():
    out = edit(AGENT_INI, "program:contrail-vrouter-agent", "autostart", "true")
    assert out == AGENT_INI  # already so: no change
    out = edit("[A]\nx=1\n", "B", "y", "two words")
    assert current(out, "B", "y") == "two words" and current(out, "A", "x") == "1"


def test_delete_absent_key_is_a_no_op_and_current_reads_values():
    assert edit(AGENT_INI, "program:contrail-vrouter-agent", "nope", None) == AGENT_INI
    assert edit(AGENT_INI, "NOSECTION", "k", None) == AGENT_INI
    assert current(AGENT_INI, "program:contrail-vrouter-agent", "priority") == "420"
    assert current(AGENT_INI, "program:contrail-vrouter-agent", "autostart") == "true"
    assert current(AGENT_INI, "DISCOVERY", "server") is None


def test_supervisord_include_with_spaces():
    conf = "[include]\nfiles = /etc/contrail/supervisord_config_files/*.ini\n"
    files = ("/etc/contrail/supervisord_config_files/contrail-api.ini "
             "/etc/contrail/supervisord_config_files/contrail-discovery.ini "
             "/etc/contrail/supervisord_config_files/ifmap.ini")
    out = edit(conf, "include", "files", files)
    assert out == f"[include]\nfiles = {files}\n"
