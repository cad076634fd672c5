"""Redactor: every form a secret takes in a report is masked; tiny secrets are refused."""
from __future__ import annotations

import json
import shlex
from urllib.parse import quote, quote_plus

import pytest

from issu.redact import MASK, Redactor


def test_masks_every_occurrence_of_the_raw_secret():
    r = Redactor(["hunter2-pass"])
    assert r.redact("a=hunter2-pass b=hunter2-pass.") == f"a={MASK} b={MASK}."


def test_text_without_secrets_is_unchanged():
    text = "contrail-api: active\n"
    assert Redactor(["hunter2-pass"]).redact(text) == text
    assert Redactor([]).redact(text) == text


def test_masks_the_shell_quoted_form():
    secret = "it's a s3cret"
    quoted = shlex.quote(secret)
    assert quoted != secret  # the quoted form really differs from the raw one
    out = Redactor([secret]).redact(f"echo {quoted} > /etc/x")
    assert out == f"echo {MASK} > /etc/x"


def test_masks_url_encoded_forms():
    secret = "p@ss/w:rd ok+"
    r = Redactor([secret])
    for encoded in (quote(secret, safe=""), quote_plus(secret, safe=""), quote(secret)):
        assert encoded != secret
        out = r.redact(f"amqp://guest:{encoded}@127.18.0.11:5672/")
        assert out == f"amqp://guest:{MASK}@127.18.0.11:5672/", encoded


def test_masks_the_json_escaped_form():
    secret = 'pa"ss\\word'
    text = json.dumps({"password": secret})
    assert secret not in text  # escaped in JSON
    assert Redactor([secret]).redact(text) == json.dumps({"password": MASK})


def test_longer_secret_containing_a_shorter_one_is_masked_whole():
    r = Redactor(["abcd", "abcdefgh"])
    assert r.redact("x abcdefgh y abcd z") == f"x {MASK} y {MASK} z"


def test_mask_is_not_re_masked_by_a_secret_made_of_stars():
    r = Redactor(["****", "hunter2-pass"])
    assert r.redact("hunter2-pass") == MASK


@pytest.mark.parametrize("short", ["Q", "Z9", " X "])
def test_one_or_two_character_secrets_are_refused(short):
    with pytest.raises(ValueError) as info:
        Redactor(["long-enough", short])
    assert "secret #1" in str(info.value)
    assert short.strip() not in str(info.value)


def test_empty_and_missing_secrets_are_ignored():
    r = Redactor(["", None, "hunter2-pass"])
    assert len(r) == 1
    assert r.redact("hunter2-pass") == MASK


def test_non_string_secret_is_a_type_error():
    with pytest.raises(TypeError):
        Redactor([12345])  # type: ignore[list-item]


def test_private_key_lines_are_masked_but_armour_is_kept():
    body = ["b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ", "AAAAMwAAAAtzc2gtZWQyNTUxOQAAACDx0123456789a"]
    key = "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(body) + "\n-----END OPENSSH PRIVATE KEY-----\n"
    r = Redactor([key])
    assert r.redact(key) == MASK
    # A single line that leaked on its own (a wrapped log line) is still masked.
    assert r.redact(f"debug: {body[1]}") == f"debug: {MASK}"
    assert r.redact("-----BEGIN OPENSSH PRIVATE KEY-----") == "-----BEGIN OPENSSH PRIVATE KEY-----"


def test_extend_adds_secrets_without_changing_the_original():
    base = Redactor(["first-secret"])
    more = base.extend(["second-secret", None])
    assert more.redact("first-secret second-secret") == f"{MASK} {MASK}"
    assert base.redact("second-secret") == "second-secret"


def test_repr_shows_no_secret():
    r = Redactor(["hunter2-pass"])
    assert "hunter2" not in repr(r)
    assert repr(r) == "Redactor(1 secrets)"
