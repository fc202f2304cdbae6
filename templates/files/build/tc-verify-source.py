#!/usr/bin/python3
"""tc-verify-source ARCHIVE COMMIT-OBJECT COMMIT TREE: refuse a build job whose source is not
the reviewed commit.

A build job names a source archive in the mirror, the reviewed commit id and its tree id. The
agent used to copy both ids into the provenance as they were written in the job file, so any
archive could be built under the reviewed commit's name. This checks, before anything is built:

1. COMMIT-OBJECT (the raw commit object, `git cat-file commit <id>`, which the mirror's writer
   uploads next to the archive) hashes to COMMIT: "commit <size>\\0<object>" under SHA-1 (a
   40-digit id) or SHA-256 (64 digits), as git hashes objects;
2. that commit's `tree` line is TREE;
3. the archive's files hash to TREE: every regular file a blob (mode 100755 when executable by
   its owner, else 100644), every symbolic link a blob of its target (120000), every directory
   a tree of its entries sorted as git sorts them (a directory's name followed by `/`), empty
   directories left out as git leaves them out. The archive is `git archive --format=tar COMMIT`
   without a prefix; anything git's tree cannot hold (devices, fifos, absolute or `..` paths)
   is refused, and so is an archive that export attributes or submodules made differ from the
   tree: a mismatch never builds.

Exit status 0 when all three hold; 1 with one line on stderr naming what differs; 2 on usage.
Standard library only: it runs on every builder before the toolchain is touched.
"""

from __future__ import annotations

import hashlib
import sys
import tarfile

FILE, EXECUTABLE, SYMLINK, DIRECTORY = "100644", "100755", "120000", "40000"


class Refused(Exception):
    pass


def object_id(kind: str, body: bytes, algorithm: str) -> bytes:
    return hashlib.new(algorithm, kind.encode() + b" " + str(len(body)).encode() + b"\0" + body).digest()


def algorithm_of(hex_id: str) -> str:
    if len(hex_id) == 40:
        return "sha1"
    if len(hex_id) == 64:
        return "sha256"
    raise Refused(f"{hex_id!r} is not a git object id (40 or 64 hexadecimal digits)")


def commit_tree(commit_object: bytes, commit: str) -> str:
    algorithm = algorithm_of(commit)
    if object_id("commit", commit_object, algorithm).hex() != commit.lower():
        raise Refused(f"the commit object does not hash to {commit}: it is another commit's")
    first = commit_object.split(b"\n", 1)[0].decode("ascii", "replace")
    if not first.startswith("tree "):
        raise Refused("the commit object has no tree line")
    return first[len("tree "):]


def _tree(entries: dict, algorithm: str) -> bytes:
    """The tree object id of one directory (entries: name -> (mode, id) or name -> dict)."""
    body = b""
    def order(name: str) -> bytes:
        return (name + "/").encode() if isinstance(entries[name], dict) else name.encode()
    for name in sorted(entries, key=order):
        value = entries[name]
        if isinstance(value, dict):
            if not value:
                continue  # git has no empty trees inside a tree
            mode, digest = DIRECTORY, _tree(value, algorithm)
        else:
            mode, digest = value
        body += mode.encode() + b" " + name.encode() + b"\0" + digest
    return object_id("tree", body, algorithm)


def archive_tree(path: str, algorithm: str) -> str:
    root: dict = {}
    contents: dict[str, bytes] = {}
    with tarfile.open(path, "r:*") as archive:
        for member in archive.getmembers():
            name = member.name.removeprefix("./")
            if name in ("", ".") or member.type == tarfile.XGLTYPE:
                continue
            parts = name.rstrip("/").split("/")
            if name.startswith("/") or any(p in ("", ".", "..") for p in parts):
                raise Refused(f"the archive holds {member.name!r}, which no git tree holds")
            node = root
            for part in parts[:-1]:
                node = node.setdefault(part, {})
                if not isinstance(node, dict):
                    raise Refused(f"{member.name!r} is below a file")
            leaf = parts[-1]
            if member.isdir():
                if not isinstance(node.setdefault(leaf, {}), dict):
                    raise Refused(f"{member.name!r} is both a file and a directory")
            elif member.issym():
                node[leaf] = (SYMLINK, object_id("blob", member.linkname.encode(), algorithm))
            elif member.isfile():
                data = archive.extractfile(member).read()  # type: ignore[union-attr]
                contents[name] = data
                node[leaf] = (EXECUTABLE if member.mode & 0o100 else FILE, object_id("blob", data, algorithm))
            elif member.islnk():
                target = member.linkname.removeprefix("./")
                if target not in contents:
                    raise Refused(f"{member.name!r} links to {member.linkname!r}, which is not an earlier file")
                node[leaf] = (EXECUTABLE if member.mode & 0o100 else FILE, object_id("blob", contents[target], algorithm))
            else:
                raise Refused(f"{member.name!r} is a device or fifo, which no git tree holds")
    return _tree(root, algorithm).hex()


def verify(archive: str, commit_object: bytes, commit: str, tree: str) -> None:
    recorded = commit_tree(commit_object, commit)
    if recorded != tree.lower():
        raise Refused(f"the job claims tree {tree}, but commit {commit} has tree {recorded}")
    built = archive_tree(archive, algorithm_of(commit))
    if built != recorded:
        raise Refused(f"the archive's files are tree {built}, not the reviewed commit's tree {recorded}")


def main(argv: list[str]) -> int:
    if len(argv) != 5:
        print("usage: tc-verify-source ARCHIVE COMMIT-OBJECT COMMIT TREE", file=sys.stderr)
        return 2
    _, archive, commit_file, commit, tree = argv
    try:
        with open(commit_file, "rb") as handle:
            commit_object = handle.read()
        verify(archive, commit_object, commit, tree)
    except (Refused, OSError, tarfile.TarError) as error:
        print(f"tc-verify-source: refused: {error}", file=sys.stderr)
        return 1
    print(f"tc-verify-source: {archive} is tree {tree} of commit {commit}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
