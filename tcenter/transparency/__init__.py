"""The transparency log of everything the center signs (issue 25): pure-Python library core.

Open formats, implemented exactly (docs/transparency-log.md):
    merkle       RFC 6962 / RFC 9162 hashing, proofs from a hash store, proof verification
    tiles        C2SP tlog-tiles: tile paths, tiles from stored hashes, entry bundles, tile client
    note         C2SP signed-note: Ed25519 notes, verifier/signer keys (Go's note package)
    checkpoint   C2SP tlog-checkpoint
    cosignature  C2SP tlog-cosignature v1 (timestamped Ed25519) and the k-of-organizations policy
    witness      the witness's add-checkpoint logic with an atomically written state file
    proof        C2SP tlog-proof bundles: prove (log side) and verify (client side)
    log          a tiled log in a directory (or any get/put storage), appends in batches
    entries      the center's log entry types, as canonical JSON
    kms          the log's checkpoint key in AWS KMS (Ed25519)

Library code raises `tcenter.transparency.errors` (all `TcenterError`s) and never prints.
"""
