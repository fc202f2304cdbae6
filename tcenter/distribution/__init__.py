"""Updates customers can verify (issue 26; docs/distribution.md): a TUF repository per signing
class whose root the reviewer organizations hold, and the client a vendor embeds in its products.

    names        the repository's layout: roles, target paths, key holders (shared by both sides)
    errors       UpdateRefused and its exit codes
    keys         public keys as TUF keys, with the holder each belongs to; signers from PEM files
    policy       policy.json: what a client checks beyond TUF (log key, witnesses, release keys, builders)
    attestation  the reviewer's rebuild attestation (in-toto Statement v1, SLSA VSA v1, DSSE)
    repository   the repository side: metadata with python-tuf's Metadata API, consistent snapshots
    ceremony     root versions: propose, sign, verify (`tcenter tuf root ...`)
    provenance   the checks after TUF: the log proof, the vendor's provenance, the rebuild attestation
    client       UpdateClient: ngclient, then the log, then the provenance; state persisted atomically

Library code raises `TcenterError`s and never prints.
"""
