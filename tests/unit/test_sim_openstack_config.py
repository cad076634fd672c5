"""The lab's openstack-config behaves like contrail-provisioning R3.2 tools/openstack-config
(an iniparse script, not crudini), and the runbook's ini_edit predicts its edits."""
import subprocess
import sys
from io import StringIO

import pytest

from issu import ini_edit
from lab.contrail.sim import openstack_config as oc


def run(tmp_path, *args, text=None):
    path = tmp_path / "f.ini"
    if text is not None:
        path.write_text(text)
    argv = [a.replace("FILE", str(path)) for a in args]
    proc = subprocess.run([sys.executable, "-m", "lab.contrail.sim.openstack_config", *argv],
                          capture_output=True, text=True, cwd="/work/main")
    return proc, (path.read_text() if path.exists() else None)


@pytest.mark.parametrize("text, section, key, value", [
    ("[A]\nx = 1\n", "A", "x", "2"),
    ("[A]\nx=1\n", "A", "x", "a b c"),
    ("[A]\nx = 1\n", "B", "y", "2"),
    ("", "program:contrail-issu", "command", "contrail-issu-run-sync"),
    ("[program:contrail-issu]\ncommand = contrail-issu-run-sync\n", "program:contrail-issu",
     "process_name", "%(process_num)s"),
    ("[include]\nfiles = /etc/contrail/supervisord_config_files/*.ini\n", "include", "files",
     "/etc/contrail/supervisord_config_files/contrail-api.ini /etc/contrail/supervisord_config_files/ifmap.ini"),
    ("# c\n[DEFAULTS]\nlisten = 1 ; c\n", "DEFAULTS", "listen", "2"),
])
def test_set_matches_the_runbook_prediction(tmp_path, text, section, key, value):
    proc, after = run(tmp_path, "--set", "FILE", section, key, value, text=text)
    assert proc.returncode == 0, proc.stderr
    assert after == ini_edit.edit(text, section, key, value)


def test_del_a_key_and_a_missing_key(tmp_path):
    proc, after = run(tmp_path, "--del", "FILE", "A", "x", text="[A]\nx = 1\ny = 2\n")
    assert (proc.returncode, after) == (0, "[A]\ny = 2\n") and after == ini_edit.edit("[A]\nx = 1\ny = 2\n", "A", "x", None)
    proc, after = run(tmp_path, "--del", "FILE", "A", "z", text="[A]\nx = 1\n")
    assert (proc.returncode, after) == (0, "[A]\nx = 1\n")


def test_del_in_a_missing_section_is_a_traceback(tmp_path):
    proc, after = run(tmp_path, "--del", "FILE", "B", "x", text="[A]\nx = 1\n")
    assert proc.returncode == 1 and "NoSectionError" in proc.stderr and "Traceback" in proc.stderr
    assert after == "[A]\nx = 1\n"


def test_set_never_creates_the_file(tmp_path):
    proc, after = run(tmp_path, "--set", "FILE", "A", "x", "1")
    assert proc.returncode == 1 and "No such file or directory" in proc.stderr and after is None


@pytest.mark.parametrize("args, message", [
    (("--set", "FILE", "A", "x"), ""),
    (("--frob", "FILE", "A", "x", "1"), ""),
    (("--set", "FILE"), ""),
    (("--del", "FILE", "A", "x", "1"), "A value should not be specified with --del\n"),
])
def test_usage_errors_exit_1(tmp_path, args, message):
    proc, after = run(tmp_path, *args, text="[A]\nx = 1\n")
    assert proc.returncode == 1 and after == "[A]\nx = 1\n"
    assert proc.stderr == message + "/usr/bin/openstack-config --set|--del|--get|--has config_file section [parameter] [value]\n"


def test_get_and_has(tmp_path):
    proc, _ = run(tmp_path, "--get", "FILE", "A", "x", text="[A]\nx = 1\n")
    assert (proc.returncode, proc.stdout) == (0, "1\n")
    proc, _ = run(tmp_path, "--get", "FILE", "A", "nokey", text="[A]\nx = 1\n")
    assert proc.returncode == 1 and "NoOptionError" in proc.stderr
    proc, _ = run(tmp_path, "--has", "FILE", "A", "nokey", text="[A]\nx = 1\n")
    assert (proc.returncode, proc.stdout) == (0, "0\n")


def test_only_the_fifth_argument_is_the_value():
    out = StringIO()
    mode, _, section, key, value = oc.parse_argv(["--set", "f", "A", "x", "a", "b"])
    assert oc.apply("[A]\n", mode, section, key, value, out) == "[A]\nx = a\n"
