"""issu.reporting: Allure steps and attachments, always redacted."""
from __future__ import annotations

import json

import allure
import pytest

from issu.redact import MASK, Redactor
from issu.reporting import attach_diff, attach_json, attach_text, command_step, unified_diff

from .conftest import SECRET

R = Redactor([SECRET])


def test_command_step_title_names_host_and_redacted_command(allure_recorder):
    with command_step("ctl-new-1", f"echo {SECRET} | passwd", R):
        pass
    assert allure_recorder.steps == [f"[ctl-new-1] $ echo {MASK} | passwd"]


def test_command_step_with_title_attaches_the_command(allure_recorder):
    with command_step("compute1", f"curl -u admin:{SECRET} http://127.18.0.21:8082", R, title="list VNs"):
        pass
    assert allure_recorder.steps == ["[compute1] list VNs"]
    assert allure_recorder.bodies("command") == [f"curl -u admin:{MASK} http://127.18.0.21:8082"]


def test_command_step_records_the_exception(allure_recorder):
    with pytest.raises(RuntimeError):
        with command_step("compute1", "true", R):
            raise RuntimeError("boom")
    assert allure_recorder.errors == ["boom"]


def test_attach_text_is_redacted(allure_recorder):
    attach_text("stdout", f"rabbit_password = {SECRET}\n", R)
    [(name, body, kind, _)] = allure_recorder.attachments
    assert (name, body, kind) == ("stdout", f"rabbit_password = {MASK}\n", allure.attachment_type.TEXT)


def test_attach_json_redacts_values_and_keys(allure_recorder):
    attach_json("evidence", {"password": SECRET, SECRET: 1, "port": 8082}, R)
    [(name, body, kind, _)] = allure_recorder.attachments
    assert name == "evidence" and kind == allure.attachment_type.JSON
    assert SECRET not in body
    assert json.loads(body) == {"password": MASK, MASK: 1, "port": 8082}


def test_attach_diff_is_unified_text_plain_with_diff_extension(allure_recorder):
    before = f"[DEFAULTS]\ndiscovery_server = 127.18.0.21\npassword = {SECRET}\n"
    after = f"[DEFAULTS]\ndiscovery_server = 127.18.1.21\npassword = {SECRET}\n"
    attach_diff("contrail-vrouter-agent.conf", before, after, R)
    [(name, body, kind, ext)] = allure_recorder.attachments
    assert (name, kind, ext) == ("contrail-vrouter-agent.conf", "text/plain", "diff")
    assert body.startswith("--- a/contrail-vrouter-agent.conf\n+++ b/contrail-vrouter-agent.conf\n")
    assert "-discovery_server = 127.18.0.21\n+discovery_server = 127.18.1.21\n" in body
    assert SECRET not in body and f" password = {MASK}\n" in body


def test_diff_of_equal_texts_says_no_change(allure_recorder):
    attach_diff("x.conf", "a\n", "a\n", R)
    assert allure_recorder.bodies("x.conf") == ["(no change)\n"]


def test_unified_diff_marks_a_missing_final_newline():
    text = unified_diff("f", "a\n", "a\nb")
    assert text.endswith("+b\n\\ No newline at end of file\n")
