"""Entry types: canonical JSON (sorted keys, no whitespace, RFC 8785 for these values), strict decoding."""

from __future__ import annotations

import base64

import pytest

from tcenter.transparency import entries
from tcenter.transparency.errors import Malformed

SHA = "ab" * 32
REV = "cd" * 20


def release(**changes):
    args = dict(signing_class="products", name="product-1.2.3.tar", sha256=SHA, envelope_sha256="ef" * 32,
                source_revision=REV, source_tree="12" * 20, pool="products",
                builders=["products-2", "products-1"], key_id="arn:aws:kms:eu-central-2:111122223333:key/x")
    args.update(changes)
    return entries.release_entry(**args)


def test_release_bytes_are_canonical():
    data = entries.encode_entry(release())
    assert data == (b'{"builders":["products-1","products-2"],"class":"products","envelopeSha256":"' + b"ef" * 32
                    + b'","keyId":"arn:aws:kms:eu-central-2:111122223333:key/x","name":"product-1.2.3.tar","pool":"products",'
                    b'"sha256":"' + SHA.encode() + b'","sourceRevision":"' + REV.encode() + b'","sourceTree":"'
                    + b"12" * 20 + b'","type":"release"}')
    assert entries.decode_entry(data) == release()


def test_non_canonical_bytes_are_refused():
    data = entries.encode_entry(release())
    for bad in (data.replace(b",", b", ", 1), b" " + data, data.replace(b'"builders"', b'"builders" ')):
        with pytest.raises(Malformed):
            entries.decode_entry(bad)
    with pytest.raises(Malformed):
        entries.decode_entry(data.replace(b'"type":"release"', b'"type":"other"'))
    with pytest.raises(Malformed):
        entries.decode_entry(b'{"type":"collection-rules","version":1.0}')


def test_approvals_and_rules():
    approval = {"organization": "org-a", "statement": base64.b64encode(b"{}").decode(), "signature": "-----BEGIN SSH SIGNATURE-----"}
    plan = entries.plan_approval_entry(stack="zurich-prod", plan_digest=SHA, base=REV,
                                       approvals=[dict(approval, organization="org-b"), approval])
    assert [a["organization"] for a in plan["approvals"]] == ["org-a", "org-b"]
    assert entries.decode_entry(entries.encode_entry(plan)) == plan
    rules = entries.collection_rules_entry(version=3, rules_sha256=SHA, rule_ids=["exe-pe", "elf"], approvals=[approval])
    assert rules["ruleIds"] == ["elf", "exe-pe"]
    assert entries.decode_entry(entries.encode_entry(rules)) == rules


@pytest.mark.parametrize("changes", [
    {"signing_class": "other"}, {"sha256": "AB" * 32}, {"source_revision": "cd" * 19}, {"builders": []},
    {"name": "../etc/passwd"},
])
def test_bad_release_fields(changes):
    with pytest.raises(Malformed):
        release(**changes)


def test_unknown_fields_and_size():
    entry = release()
    entry["extra"] = 1
    with pytest.raises(Malformed, match="unknown"):
        entries.encode_entry(entry)
    with pytest.raises(Malformed, match="65535"):
        entries.encode_entry(release(key_id="k" * 70000))
