"""The builders' source check (templates/files/build/tc-verify-source.py), held to git itself:
a real repository (files, an executable, a symbolic link, nested and unicode names), `git
archive` of a commit, and git's own commit and tree ids. Way 5 of issue 29: the agent builds
only the reviewed commit's tree, whatever the job file claims."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

from components.hosts import SOURCE_VERIFIER

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="needs git")


def git(repo: Path, *args: str, data: bytes | None = None) -> bytes:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.org", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@example.org", "GIT_AUTHOR_DATE": "1700000000 +0000",
           "GIT_COMMITTER_DATE": "1700000000 +0000", "GIT_CONFIG_NOSYSTEM": "1", "HOME": str(repo)}
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, input=data, env=env,
                          timeout=60).stdout


@pytest.fixture(scope="module", params=["sha1", "sha256"])
def reviewed(tmp_path_factory, request):
    """A repository with a reviewed commit: its archive, commit object, commit and tree ids."""
    repo = tmp_path_factory.mktemp(f"repo-{request.param}")
    try:
        git(repo, "init", "-q", f"--object-format={request.param}")
    except subprocess.CalledProcessError:
        pytest.skip(f"this git cannot make {request.param} repositories")
    (repo / "src" / "deep" / "er").mkdir(parents=True)
    (repo / "Makefile").write_text("all:\n\techo ok\n")
    (repo / "src" / "main.c").write_text("int main(void) { return 0; }\n")
    (repo / "src" / "deep" / "er" / "naïve.txt").write_text("unicode name\n")
    (repo / "src-b").write_text("sorts between src and src/ in git's order\n")
    (repo / "build.sh").write_text("#!/bin/sh\nmake\n")
    (repo / "build.sh").chmod(0o755)
    os.symlink("src/main.c", repo / "link")
    (repo / "empty").mkdir()
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "reviewed")
    commit = git(repo, "rev-parse", "HEAD").decode().strip()
    tree = git(repo, "rev-parse", "HEAD^{tree}").decode().strip()
    archive = repo.parent / f"source-{request.param}.tar"
    archive.write_bytes(git(repo, "archive", "--format=tar", commit))
    commit_object = repo.parent / f"source-{request.param}.tar.commit"
    commit_object.write_bytes(git(repo, "cat-file", "commit", commit))
    return {"repo": repo, "archive": archive, "commit_object": commit_object, "commit": commit, "tree": tree}


def verify(archive: Path, commit_object: Path, commit: str, tree: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(SOURCE_VERIFIER), str(archive), str(commit_object), commit, tree],
                          capture_output=True, text=True, timeout=60)


def rewrite(archive: Path, target: Path, change) -> Path:
    """A copy of the archive with one member changed by `change(member, data) -> (member, data) | None`."""
    with tarfile.open(archive) as source, tarfile.open(target, "w", format=tarfile.PAX_FORMAT) as out:
        for member in source.getmembers():
            data = source.extractfile(member).read() if member.isfile() else None
            changed = change(member, data)
            if changed is None:
                continue
            member, data = changed
            if data is not None:
                member.size = len(data)
            out.addfile(member, io.BytesIO(data) if data is not None else None)
    return target


def test_the_reviewed_archive_passes(reviewed):
    result = verify(reviewed["archive"], reviewed["commit_object"], reviewed["commit"], reviewed["tree"])
    assert result.returncode == 0, result.stderr


def test_a_changed_file_is_refused(reviewed, tmp_path):
    def patch(member, data):
        return (member, data + b"/* backdoor */\n") if member.name.endswith("main.c") else (member, data)
    tampered = rewrite(reviewed["archive"], tmp_path / "t.tar", patch)
    result = verify(tampered, reviewed["commit_object"], reviewed["commit"], reviewed["tree"])
    assert result.returncode == 1 and "not the reviewed commit's tree" in result.stderr


def test_a_lost_executable_bit_an_added_or_a_removed_file_is_refused(reviewed, tmp_path):
    def no_exec(member, data):
        if member.name.endswith("build.sh"):
            member.mode = 0o644
        return member, data
    def drop(member, data):
        return None if member.name.endswith("Makefile") else (member, data)
    for name, change in (("mode", no_exec), ("drop", drop)):
        result = verify(rewrite(reviewed["archive"], tmp_path / f"{name}.tar", change), reviewed["commit_object"],
                        reviewed["commit"], reviewed["tree"])
        assert result.returncode == 1, name
    with tarfile.open(tmp_path / "add.tar", "w") as out, tarfile.open(reviewed["archive"]) as source:
        for member in source.getmembers():
            out.addfile(member, source.extractfile(member) if member.isfile() else None)
        extra = tarfile.TarInfo("extra.c")
        extra.size = 2
        out.addfile(extra, io.BytesIO(b"x\n"))
    assert verify(tmp_path / "add.tar", reviewed["commit_object"], reviewed["commit"], reviewed["tree"]).returncode == 1


def test_a_job_claiming_another_tree_or_commit_is_refused(reviewed, tmp_path):
    other_tree = "0" * len(reviewed["tree"])
    result = verify(reviewed["archive"], reviewed["commit_object"], reviewed["commit"], other_tree)
    assert result.returncode == 1 and "claims tree" in result.stderr
    forged = tmp_path / "forged.commit"
    forged.write_bytes(reviewed["commit_object"].read_bytes().replace(b"reviewed", b"unreviewed"))
    result = verify(reviewed["archive"], forged, reviewed["commit"], reviewed["tree"])
    assert result.returncode == 1 and "does not hash to" in result.stderr


def test_a_path_escaping_the_tree_is_refused(reviewed, tmp_path):
    def escape(member, data):
        if member.name.endswith("main.c"):
            member.name = "../main.c"
        return member, data
    result = verify(rewrite(reviewed["archive"], tmp_path / "e.tar", escape), reviewed["commit_object"],
                    reviewed["commit"], reviewed["tree"])
    assert result.returncode == 1 and "no git tree holds" in result.stderr


def test_usage_error_is_exit_2():
    result = subprocess.run([sys.executable, str(SOURCE_VERIFIER)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and result.stderr.startswith("usage:")


def test_the_agent_fetches_the_commit_object_and_verifies_before_extracting_or_building():
    from components.build import build_host_values
    from components.config import load_stack_file
    from components.hosts import build_profile, render_host
    from tcenter.core.stackfiles import PROJECT_ROOT

    config = load_stack_file(PROJECT_ROOT / "stacks" / "Pulumi.zurich-prod.yaml")
    pool = config.build.pools[0]
    values = build_host_values("zurich-prod", config.build, pool, {"endpoints": "10.42.0.0/24"}, "10.42.0.0/16",
                               ["3.5.136.0/22"], "mirror", "artifacts")
    files = {f.path: f.content for f in build_profile(values).files}
    agent = files["/usr/local/lib/tc-build/tc-build-agent"]
    assert files["/usr/local/lib/tc-build/tc-verify-source"] == SOURCE_VERIFIER.read_text()
    fetch, check = agent.index('"$source_key.commit"'), agent.index("tc-verify-source \"$WORK")
    extract, build = agent.index("tar -C \"$WORK/$name/src\""), agent.index("make -C src")
    assert fetch < check < extract < build
    assert render_host(build_profile(values)).user_data
