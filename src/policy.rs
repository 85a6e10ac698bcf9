//! The Force_MFA IAM policy mfa-session's users need, defined once: `mfa-session policy` prints
//! it, and IAM errors name the statement that grants the refused action.

/// One statement: its id, effect, and the actions it allows (or, for the deny, exempts).
struct Statement {
    sid: &'static str,
    actions: &'static [&'static str],
    /// Its resource, with `{user}` / `{mfa}` for the caller's user / MFA device ARN.
    resource: &'static str,
}

/// Viewing MFA devices (needed to pick one).
pub const VIEW: &str = "AllowViewAccountInfo";
/// Creating and deleting one's own virtual MFA device.
pub const OWN_DEVICE: &str = "AllowManageOwnVirtualMFADevice";
/// Enabling, resyncing, deactivating one's own MFA.
pub const OWN_MFA: &str = "AllowManageOwnUserMFA";
/// Managing one's own password and access keys.
pub const OWN_CREDENTIALS: &str = "AllowManageOwnCredentials";
/// Denying everything else without MFA.
pub const DENY: &str = "DenyAllExceptListedIfNoMFA";

const SELF_MANAGE: &[Statement] = &[
    Statement {
        sid: VIEW,
        actions: &["iam:ListVirtualMFADevices"],
        resource: "*",
    },
    Statement {
        sid: OWN_DEVICE,
        actions: &["iam:CreateVirtualMFADevice", "iam:DeleteVirtualMFADevice"],
        resource: "{mfa}",
    },
    Statement {
        sid: OWN_MFA,
        actions: &[
            "iam:DeactivateMFADevice",
            "iam:EnableMFADevice",
            "iam:GetUser",
            "iam:ListMFADevices",
            "iam:ResyncMFADevice",
        ],
        resource: "{user}",
    },
];

const CREDENTIALS: Statement = Statement {
    sid: OWN_CREDENTIALS,
    actions: &[
        "iam:ChangePassword",
        "iam:GetLoginProfile",
        "iam:GetAccountPasswordPolicy",
        "iam:CreateAccessKey",
        "iam:DeleteAccessKey",
        "iam:ListAccessKeys",
        "iam:UpdateAccessKey",
    ],
    resource: "{user}",
};

/// What the deny leaves allowed without MFA: managing one's own MFA, and getting a session.
const WITHOUT_MFA: &[&str] = &[
    "iam:CreateVirtualMFADevice",
    "iam:DeleteVirtualMFADevice",
    "iam:EnableMFADevice",
    "iam:GetUser",
    "iam:ListMFADevices",
    "iam:ListVirtualMFADevices",
    "iam:ResyncMFADevice",
    "sts:GetSessionToken",
];

/// The statement of the policy that grants IAM action `action` (without the `iam:` prefix).
pub fn statement_for(action: &str) -> &'static str {
    let full = format!("iam:{action}");
    SELF_MANAGE
        .iter()
        .chain([&CREDENTIALS])
        .find(|s| s.actions.contains(&full.as_str()))
        .map_or(OWN_MFA, |s| s.sid)
}

/// The policy document for `account` (`*` for any): the self-management statements, and unless
/// `self_manage_only`, the credentials statement and the deny without MFA.
pub fn document(account: &str, self_manage_only: bool) -> serde_json::Value {
    let user = format!("arn:aws:iam::{account}:user/${{aws:username}}");
    let mfa = format!("arn:aws:iam::{account}:mfa/${{aws:username}}");
    let render = |s: &Statement| {
        let resource = s.resource.replace("{user}", &user).replace("{mfa}", &mfa);
        serde_json::json!({"Sid": s.sid, "Effect": "Allow", "Action": s.actions, "Resource": resource})
    };
    let mut statements: Vec<serde_json::Value> = SELF_MANAGE.iter().map(render).collect();
    if !self_manage_only {
        statements.push(render(&CREDENTIALS));
        statements.push(serde_json::json!({"Sid": DENY, "Effect": "Deny",
            "NotAction": WITHOUT_MFA, "Resource": "*",
            "Condition": {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}}}));
    }
    serde_json::json!({"Version": "2012-10-17", "Statement": statements})
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_action_names_the_statement_that_grants_it() {
        assert_eq!(statement_for("ListVirtualMFADevices"), VIEW);
        assert_eq!(statement_for("CreateVirtualMFADevice"), OWN_DEVICE);
        assert_eq!(statement_for("EnableMFADevice"), OWN_MFA);
        assert_eq!(statement_for("CreateAccessKey"), OWN_CREDENTIALS);
        let doc = document("*", false).to_string();
        for sid in [VIEW, OWN_DEVICE, OWN_MFA, OWN_CREDENTIALS, DENY] {
            assert!(doc.contains(sid), "{sid}");
        }
        assert!(!document("*", true).to_string().contains(DENY));
    }
}
