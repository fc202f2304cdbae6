"""docs/distribution.md's offline check, run as written: its canonical-JSON snippet reproduces
python-tuf's signed bytes, and openssl (not python-tuf) verifies the root's signatures."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest

from tcenter.core.stackfiles import PROJECT_ROOT

pytestmark = pytest.mark.skipif(shutil.which("openssl") is None and not os.environ.get("CI"), reason="(never skipped under CI) needs openssl")


def test_the_documented_offline_check_verifies_the_roots_signatures_with_openssl(center, tmp_path):
    from tuf.api.serialization.json import CanonicalJSONSerializer

    repo = center.repository("products", tmp_path / "repo")
    root = repo.metadata["root"]
    (tmp_path / "root.json").write_bytes(root.to_bytes())
    doc = (PROJECT_ROOT / "docs" / "distribution.md").read_text()
    start = doc.index("python3 - root.json <<'PY'\n") + len("python3 - root.json <<'PY'\n")
    snippet = doc[start:doc.index("PY\nopenssl dgst", start)]
    subprocess.run([sys.executable, "-c", snippet, "root.json"], cwd=tmp_path, check=True)
    assert (tmp_path / "signed.bin").read_bytes() == CanonicalJSONSerializer().serialize(root.signed)
    assert len(root.signatures) == 2
    for keyid in root.signatures:
        result = subprocess.run(["openssl", "dgst", "-sha256", "-verify", f"key-{keyid[:8]}.pem", "-signature",
                                 f"sig-{keyid[:8]}.der", "signed.bin"], cwd=tmp_path, capture_output=True, text=True)
        assert result.stdout.strip() == "Verified OK", result.stderr
    (tmp_path / "signed.bin").write_bytes((tmp_path / "signed.bin").read_bytes().replace(b'"version":1', b'"version":2'))
    result = subprocess.run(["openssl", "dgst", "-sha256", "-verify", f"key-{next(iter(root.signatures))[:8]}.pem",
                             "-signature", f"sig-{next(iter(root.signatures))[:8]}.der", "signed.bin"],
                            cwd=tmp_path, capture_output=True, text=True)
    assert "Verification failure" in result.stdout + result.stderr
