"""Reading KMS: aliases and their targets, customer managed keys (policy, rotation, spec, usage,
state, origin of the key material), and every grant on them."""

from __future__ import annotations

from components.awsfacts import REGION

from .read import Live, Reader, policy_data

AWS_KEYS = "AWS managed keys (KeyManager AWS) and their aliases alias/aws/*"
SERVICE_GRANTS = "KMS grants to AWS service principals or AWS's infrastructure roles (EBS volumes, CloudTrail)"


def service_grantee(principal: str) -> bool:
    return principal.endswith(".amazonaws.com") or ":assumed-role/aws:" in principal or principal.startswith("aws:")


def read_keys(reader: Reader, live: Live) -> None:
    aliases = reader.call("kms", "list_aliases", "Aliases")
    live.read_types.update(("aws:kms/key:Key", "aws:kms/alias:Alias", "aws:kms/grant:Grant"))
    names_by_key: dict[str, list[str]] = {}
    for alias in aliases:
        name = alias["AliasName"]
        target = alias.get("TargetKeyId")
        if target:
            names_by_key.setdefault(target, []).append(name)
        live.put("aws:kms/alias:Alias", name, {"name": name, "targetKeyId": target},
                 {"id": name, "arn": alias.get("AliasArn", "")}, exempt=AWS_KEYS if name.startswith("alias/aws/") else None,
                 label=f"alias {name} -> {target}")
    for key in reader.call("kms", "list_keys", "Keys"):
        key_id = key["KeyId"]
        meta = reader.call("kms", "describe_key", KeyId=key_id)["KeyMetadata"]
        arn = meta["Arn"]
        live.key_arns.update({key_id: arn, arn: arn})
        for name in names_by_key.get(key_id, []):
            live.key_arns.update({name: arn, f"arn:aws:kms:{REGION}:{live.account}:{name}": arn})
        if meta.get("KeyManager") == "AWS":
            continue
        names = sorted(n for n in names_by_key.get(key_id, []) if not n.startswith("alias/aws/"))
        policy = reader.call("kms", "get_key_policy", KeyId=key_id, PolicyName="default")["Policy"]
        rotation = None
        if meta.get("KeySpec", "SYMMETRIC_DEFAULT") == "SYMMETRIC_DEFAULT" and meta.get("Origin") == "AWS_KMS":
            rotation = reader.optional("kms", "get_key_rotation_status", ("UnsupportedOperationException",), KeyId=key_id)
        tags = {t["TagKey"]: t["TagValue"] for t in reader.call("kms", "list_resource_tags", "Tags", KeyId=key_id)}
        inputs = {"alias": names[0] if names else f"description:{meta.get('Description', '')}", "tags": tags,
                  "description": meta.get("Description", ""), "policy": policy_data(policy),
                  "enableKeyRotation": bool((rotation or {}).get("KeyRotationEnabled")), "keyUsage": meta.get("KeyUsage"),
                  "customerMasterKeySpec": meta.get("KeySpec", meta.get("CustomerMasterKeySpec")),
                  "multiRegion": bool(meta.get("MultiRegion")), "keyState": meta.get("KeyState"), "origin": meta.get("Origin")}
        live.put("aws:kms/key:Key", inputs["alias"], inputs, {"id": key_id, "keyId": key_id, "arn": arn},
                 label=f"KMS key {key_id} ({meta.get('KeyUsage')}, origin {meta.get('Origin')}, "
                       f"aliases: {', '.join(names) or 'none'})")
        for grant in reader.call("kms", "list_grants", "Grants", KeyId=key_id):
            grantee = grant.get("GranteePrincipal", "")
            live.put("aws:kms/grant:Grant", grant.get("GrantId", "?"), {}, {"id": grant.get("GrantId", "")},
                     exempt=SERVICE_GRANTS if service_grantee(grantee) else None,
                     label=f"grant {grant.get('GrantId', '?')[:12]} on {names[0] if names else key_id} to {grantee} "
                           f"({', '.join(grant.get('Operations', []))})")
