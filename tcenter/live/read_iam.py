"""Reading IAM: every role, user, group and customer managed policy of the account in one
paginated GetAccountAuthorizationDetails (inline policies, attachments, boundaries, the default
version of each managed policy), ListRoles for what that omits (description, session length),
instance profiles, users' access keys, the password policy."""

from __future__ import annotations

from typing import Any

from .identity import ACCOUNT, key_of
from .read import Live, Reader, policy_data, tags_of

SERVICE_LINKED = "service-linked roles (path /aws-service-role/)"
AWS_POLICY_PREFIX = "arn:aws:iam::aws:policy/"


def put(live: Live, kind: str, inputs: dict[str, Any], ids: dict[str, Any] | None = None, **kw: Any) -> None:
    live.put(kind, key_of(kind, inputs), inputs, ids, **kw)


def read_iam(reader: Reader, live: Live) -> None:
    listed = {r["RoleName"]: r for r in reader.call("iam", "list_roles", "Roles")}
    pages = reader.call("iam", "get_account_authorization_details", Filter=["Role", "User", "Group", "LocalManagedPolicy"])
    pages = pages if isinstance(pages, list) else [pages]
    live.read_types.update(("aws:iam/role:Role", "aws:iam/rolePolicy:RolePolicy", "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
                            "aws:iam/instanceProfile:InstanceProfile", "aws:iam/policy:Policy",
                            "aws:iam/serviceLinkedRole:ServiceLinkedRole", "aws:iam/user:User", "aws:iam/accessKey:AccessKey"))
    roles = [r for page in pages for r in page.get("RoleDetailList", [])]
    for role in roles:
        name = role["RoleName"]
        path = role.get("Path", "/")
        linked = path.startswith("/aws-service-role/")
        if linked:
            service = path.split("/")[2]
            put(live, "aws:iam/serviceLinkedRole:ServiceLinkedRole", {"awsServiceName": service},
                {"id": name, "name": name, "arn": role["Arn"]}, exempt=SERVICE_LINKED, label=f"service-linked role {name}")
        summary = listed.get(name, {})
        put(live, "aws:iam/role:Role", {
            "name": name, "assumeRolePolicy": policy_data(role.get("AssumeRolePolicyDocument")),
            "permissionsBoundary": (role.get("PermissionsBoundary") or {}).get("PermissionsBoundaryArn"),
            "maxSessionDuration": summary.get("MaxSessionDuration"), "description": summary.get("Description", ""),
            "tags": tags_of(role.get("Tags"))}, {"id": name, "arn": role["Arn"], "uniqueId": role.get("RoleId", "")},
            exempt=SERVICE_LINKED if linked else None,
            label=f"role {name} (trust: {trusted(role)}; policies: "
                  f"{', '.join([p['PolicyName'] for p in role.get('RolePolicyList', [])] + [p['PolicyArn'] for p in role.get('AttachedManagedPolicies', [])]) or 'none'})")
        for policy in role.get("RolePolicyList", []):
            put(live, "aws:iam/rolePolicy:RolePolicy", {"role": name, "name": policy["PolicyName"],
                                                        "policy": policy_data(policy.get("PolicyDocument"))},
                exempt=SERVICE_LINKED if linked else None,
                label=f"inline policy {policy['PolicyName']} on role {name}")
        for attached in role.get("AttachedManagedPolicies", []):
            put(live, "aws:iam/rolePolicyAttachment:RolePolicyAttachment", {"role": name, "policyArn": attached["PolicyArn"]},
                exempt=SERVICE_LINKED if linked else None,
                label=f"managed policy {attached['PolicyArn']} attached to role {name}")
    for page in pages:
        for user in page.get("UserDetailList", []):
            read_user(reader, live, user)
        for group in page.get("GroupDetailList", []):
            live.put("aws:iam/group:Group", group["GroupName"], {}, {"arn": group.get("Arn", "")},
                     label=f"IAM group {group['GroupName']} (policies: "
                           f"{', '.join(p['PolicyName'] for p in group.get('GroupPolicyList', []) + group.get('AttachedManagedPolicies', [])) or 'none'})")
        for policy in page.get("Policies", []):
            version = next((v for v in policy.get("PolicyVersionList", []) if v.get("IsDefaultVersion")), {})
            tags = reader.call("iam", "list_policy_tags", "Tags", PolicyArn=policy["Arn"])
            put(live, "aws:iam/policy:Policy", {
                "name": policy.get("PolicyName") or policy["Arn"].rsplit("/", 1)[-1],  # moto omits PolicyName
                "policy": policy_data(version.get("Document")),
                "description": policy.get("Description", ""), "tags": tags_of(tags)},
                {"id": policy["Arn"], "arn": policy["Arn"], "defaultVersion": policy.get("DefaultVersionId", "")},
                label=f"customer managed policy {policy['Arn']} (attached {policy.get('AttachmentCount', 0)} times)")
    for profile in reader.call("iam", "list_instance_profiles", "InstanceProfiles"):
        roles_of = [r["RoleName"] for r in profile.get("Roles", [])]
        put(live, "aws:iam/instanceProfile:InstanceProfile", {"name": profile["InstanceProfileName"],
                                                              "role": roles_of[0] if roles_of else None},
            {"id": profile["InstanceProfileName"], "arn": profile["Arn"]},
            label=f"instance profile {profile['InstanceProfileName']} (role {', '.join(roles_of) or 'none'})")
    policy = reader.optional("iam", "get_account_password_policy", ("NoSuchEntity",))
    live.read_types.add("aws:iam/accountPasswordPolicy:AccountPasswordPolicy")
    if policy:
        p = policy["PasswordPolicy"]
        live.put("aws:iam/accountPasswordPolicy:AccountPasswordPolicy", ACCOUNT, {
            "allowUsersToChangePassword": bool(p.get("AllowUsersToChangePassword")), "hardExpiry": bool(p.get("HardExpiry")),
            "maxPasswordAge": p.get("MaxPasswordAge"), "minimumPasswordLength": p.get("MinimumPasswordLength"),
            "passwordReusePrevention": p.get("PasswordReusePrevention"),
            "requireLowercaseCharacters": bool(p.get("RequireLowercaseCharacters")), "requireNumbers": bool(p.get("RequireNumbers")),
            "requireSymbols": bool(p.get("RequireSymbols")), "requireUppercaseCharacters": bool(p.get("RequireUppercaseCharacters"))})


def read_user(reader: Reader, live: Live, user: dict[str, Any]) -> None:
    """An IAM user: the center declares none; each one, its policies and its keys are extras."""
    name = user["UserName"]
    policies = [p["PolicyName"] for p in user.get("UserPolicyList", [])] + [p["PolicyArn"] for p in user.get("AttachedManagedPolicies", [])]
    live.put("aws:iam/user:User", name, {}, {"arn": user["Arn"]},
             label=f"IAM user {name} (policies: {', '.join(policies) or 'none'}; groups: {', '.join(user.get('GroupList', [])) or 'none'})")
    for key in reader.call("iam", "list_access_keys", "AccessKeyMetadata", UserName=name):
        live.put("aws:iam/accessKey:AccessKey", key["AccessKeyId"], {}, {"id": key["AccessKeyId"]},
                 label=f"access key {key['AccessKeyId']} of IAM user {name} ({key.get('Status')})")


def trusted(role: dict[str, Any]) -> str:
    document = policy_data(role.get("AssumeRolePolicyDocument"))
    principals: list[str] = []
    for statement in (document.get("Statement") if isinstance(document, dict) else None) or []:
        if isinstance(statement, dict):
            principal = statement.get("Principal")
            for values in (principal.values() if isinstance(principal, dict) else [principal]):
                principals += values if isinstance(values, list) else [str(values)]
    return ", ".join(sorted(set(principals))) or "none"
