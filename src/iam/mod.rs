//! IAM calls for self-service MFA (aws-sdk-iam), and the caller's user name from STS. Errors
//! become one line naming the missing permission and the policy statement that grants it.

use crate::cache::Session;
use crate::config::LongTermKeys;
use crate::error::Error;
use crate::secret::Secret;
use crate::sts::sdk_config;
use aws_sdk_iam::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_sts::config::Credentials;

mod keys;
pub use keys::{AccessKey, Identity};

/// A connected IAM + STS client pair on its own current-thread runtime.
pub struct Iam {
    rt: tokio::runtime::Runtime,
    iam: aws_sdk_iam::Client,
    sts: aws_sdk_sts::Client,
}

fn explain<E: ProvideErrorMetadata + std::error::Error + 'static>(
    action: &str,
    err: &SdkError<E>,
) -> Error {
    let msg = |e: &E| {
        e.message()
            .unwrap_or("")
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    };
    match err {
        SdkError::ServiceError(se) => {
            let e = se.err();
            explain_code(action, e.code().unwrap_or("Unknown"), &msg(e))
        }
        SdkError::DispatchFailure(_) | SdkError::TimeoutError(_) => Error::Unavailable(format!(
            "cannot reach IAM for iam:{action}: check your network, or AWS_ENDPOINT_URL / endpoint_url if you set one"
        )),
        _ => Error::Unavailable(format!("iam:{action} failed: the reply could not be read")),
    }
}

/// One line for each error code IAM (and STS's GetCallerIdentity) answers these calls with.
fn explain_code(action: &str, code: &str, msg: &str) -> Error {
    match code {
        "AccessDenied" | "AccessDeniedException" => Error::Denied(format!(
            "AWS denied iam:{action} ({msg}): attach a policy granting it; statement {} of `mfa-session policy` does",
            crate::policy::statement_for(action)
        )),
        "EntityAlreadyExists" => Error::Config(format!(
            "iam:{action}: a virtual MFA device of that name already exists, perhaps from a set-up that did not finish: delete it in the IAM console, or pass --device-name NAME"
        )),
        "InvalidAuthenticationCode" => Error::MfaCode(format!(
            "AWS did not accept the codes for iam:{action}: this machine's clock may be off (timedatectl set-ntp true), or the seed is not the device's"
        )),
        "NoSuchEntity" => Error::Config(format!("iam:{action}: {msg} (check mfa_serial)")),
        "LimitExceeded" => Error::Config(format!(
            "iam:{action}: {msg}: an IAM user may have two access keys and eight MFA devices; delete one not in use and try again"
        )),
        c @ ("InvalidClientTokenId" | "SignatureDoesNotMatch") => Error::Denied(format!(
            "AWS refused the long-term keys for iam:{action} ({c}): store the right keys"
        )),
        other => Error::Unavailable(format!("iam:{action} failed ({other}: {msg})")),
    }
}

impl Iam {
    /// Clients for `profile`'s endpoints, signing with its long-term keys.
    pub fn connect(profile: &str, region: &str, keys: &LongTermKeys) -> Result<Iam, Error> {
        Self::with(profile, region, crate::sts::long_term(keys))
    }

    /// Clients signing with an MFA session's credentials (what the Force_MFA policy asks for).
    pub fn connect_session(profile: &str, region: &str, session: &Session) -> Result<Iam, Error> {
        Self::with(profile, region, crate::sts::temporary(session))
    }

    fn with(profile: &str, region: &str, creds: Credentials) -> Result<Iam, Error> {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| Error::Unavailable(format!("cannot start the network runtime: {e}")))?;
        let sdk = rt.block_on(sdk_config(profile, region, creds));
        Ok(Iam {
            iam: aws_sdk_iam::Client::new(&sdk),
            sts: aws_sdk_sts::Client::new(&sdk),
            rt,
        })
    }

    /// The IAM user name the keys belong to (sts:GetCallerIdentity cannot be denied by policy).
    pub fn user_name(&self) -> Result<String, Error> {
        let id = self.identity()?;
        id.user.ok_or_else(|| {
            Error::Config(format!(
                "these keys are not an IAM user's ({}): self-service MFA is for IAM users' long-term keys",
                id.arn
            ))
        })
    }

    /// The user's MFA devices (serials).
    pub fn list_mfa_devices(&self, user: &str) -> Result<Vec<String>, Error> {
        let out = self
            .rt
            .block_on(self.iam.list_mfa_devices().user_name(user).send())
            .map_err(|e| explain("ListMFADevices", &e))?;
        Ok(out
            .mfa_devices()
            .iter()
            .map(|d| d.serial_number().to_owned())
            .collect())
    }

    /// Creates a virtual device; returns its serial and base32 seed.
    pub fn create_virtual_mfa_device(&self, name: &str) -> Result<(String, Secret), Error> {
        let out = self
            .rt
            .block_on(
                self.iam
                    .create_virtual_mfa_device()
                    .virtual_mfa_device_name(name)
                    .send(),
            )
            .map_err(|e| explain("CreateVirtualMFADevice", &e))?;
        let dev = out.virtual_mfa_device();
        let seed = dev
            .and_then(|d| d.base32_string_seed())
            .map(|b| Secret::new(String::from_utf8_lossy(b.as_ref()).into_owned()));
        match (dev.map(|d| d.serial_number().to_owned()), seed) {
            (Some(serial), Some(seed)) => Ok((serial, seed)),
            _ => Err(Error::Unavailable(
                "iam:CreateVirtualMFADevice answered without a serial or seed".into(),
            )),
        }
    }

    /// Enables (or, with `resync`, resynchronizes) a device with two consecutive codes.
    pub fn enable(
        &self,
        user: &str,
        serial: &str,
        codes: (&Secret, &Secret),
        resync: bool,
    ) -> Result<(), Error> {
        let (c1, c2) = (codes.0.expose(), codes.1.expose());
        if resync {
            let call = self
                .iam
                .resync_mfa_device()
                .user_name(user)
                .serial_number(serial);
            self.rt
                .block_on(
                    call.authentication_code1(c1)
                        .authentication_code2(c2)
                        .send(),
                )
                .map(|_| ())
                .map_err(|e| explain("ResyncMFADevice", &e))
        } else {
            let call = self
                .iam
                .enable_mfa_device()
                .user_name(user)
                .serial_number(serial);
            self.rt
                .block_on(
                    call.authentication_code1(c1)
                        .authentication_code2(c2)
                        .send(),
                )
                .map(|_| ())
                .map_err(|e| explain("EnableMFADevice", &e))
        }
    }

    /// Detaches a device from the user.
    pub fn deactivate(&self, user: &str, serial: &str) -> Result<(), Error> {
        let call = self
            .iam
            .deactivate_mfa_device()
            .user_name(user)
            .serial_number(serial);
        self.rt
            .block_on(call.send())
            .map(|_| ())
            .map_err(|e| explain("DeactivateMFADevice", &e))
    }

    /// Deletes a virtual device.
    pub fn delete_virtual(&self, serial: &str) -> Result<(), Error> {
        let call = self.iam.delete_virtual_mfa_device().serial_number(serial);
        self.rt
            .block_on(call.send())
            .map(|_| ())
            .map_err(|e| explain("DeleteVirtualMFADevice", &e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Exit;

    #[test]
    fn every_error_code_iam_answers_has_its_line_and_exit_code() {
        let table: &[(&str, &str, Exit, &str)] = &[
            (
                "CreateVirtualMFADevice",
                "AccessDenied",
                Exit::Denied,
                "statement AllowManageOwnVirtualMFADevice of `mfa-session policy`",
            ),
            (
                "EnableMFADevice",
                "AccessDeniedException",
                Exit::Denied,
                "statement AllowManageOwnUserMFA",
            ),
            (
                "CreateVirtualMFADevice",
                "EntityAlreadyExists",
                Exit::Config,
                "pass --device-name NAME",
            ),
            (
                "EnableMFADevice",
                "InvalidAuthenticationCode",
                Exit::Mfa,
                "clock may be off",
            ),
            (
                "DeactivateMFADevice",
                "NoSuchEntity",
                Exit::Config,
                "iam:DeactivateMFADevice: m (check mfa_serial)",
            ),
            (
                "GetCallerIdentity",
                "InvalidClientTokenId",
                Exit::Denied,
                "(InvalidClientTokenId): store the right keys",
            ),
            (
                "GetCallerIdentity",
                "SignatureDoesNotMatch",
                Exit::Denied,
                "(SignatureDoesNotMatch)",
            ),
            (
                "CreateAccessKey",
                "LimitExceeded",
                Exit::Config,
                "delete one not in use and try again",
            ),
            (
                "ListMFADevices",
                "ServiceFailure",
                Exit::Unavailable,
                "iam:ListMFADevices failed (ServiceFailure: m)",
            ),
        ];
        for (action, code, exit, want) in table {
            let err = explain_code(action, code, "m");
            assert_eq!(crate::error::code_of(&err), *exit, "{code}");
            assert!(err.to_string().contains(want), "{code}: {err}");
        }
    }
}
