//! Who the keys belong to (with the time AWS's reply was sent, for the clock check), and the
//! user's access keys: list, create, delete (what `rotate` and `doctor` need).

use super::{Iam, explain};
use crate::config::LongTermKeys;
use crate::error::Error;
use crate::secret::Secret;
use aws_sdk_sts::config::interceptors::BeforeDeserializationInterceptorContextRef;
use aws_sdk_sts::config::{ConfigBag, Intercept, RuntimeComponents};
use chrono::{DateTime, Utc};
use std::sync::{Arc, Mutex};

/// The caller, as sts:GetCallerIdentity names it.
#[derive(Debug, Clone)]
pub struct Identity {
    /// The caller's ARN.
    pub arn: String,
    /// The IAM user name, when the caller is an IAM user.
    pub user: Option<String>,
    /// The `Date` header of STS's reply: AWS's clock.
    pub aws_time: Option<DateTime<Utc>>,
}

/// One of the user's access keys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessKey {
    /// Its id.
    pub id: String,
    /// When it was made.
    pub created: Option<DateTime<Utc>>,
    /// Active (not deactivated).
    pub active: bool,
}

/// Keeps the `Date` header of the reply it sees.
#[derive(Debug, Default, Clone)]
struct DateHeader(Arc<Mutex<Option<String>>>);

impl Intercept for DateHeader {
    fn name(&self) -> &'static str {
        "DateHeader"
    }

    fn read_before_deserialization(
        &self,
        context: &BeforeDeserializationInterceptorContextRef<'_>,
        _: &RuntimeComponents,
        _: &mut ConfigBag,
    ) -> Result<(), aws_sdk_sts::error::BoxError> {
        let date = context.response().headers().get("date").map(str::to_owned);
        *self.0.lock().unwrap_or_else(|p| p.into_inner()) = date;
        Ok(())
    }
}

fn smithy_time(t: &aws_smithy_types::DateTime) -> Option<DateTime<Utc>> {
    DateTime::from_timestamp(t.secs(), t.subsec_nanos())
}

impl Iam {
    /// The caller (sts:GetCallerIdentity, which no policy can deny) and AWS's time.
    pub fn identity(&self) -> Result<Identity, Error> {
        let date = DateHeader::default();
        let out = self
            .rt
            .block_on(
                self.sts
                    .get_caller_identity()
                    .customize()
                    .interceptor(date.clone())
                    .send(),
            )
            .map_err(|e| explain("GetCallerIdentity", &e))?;
        let arn = out.arn().unwrap_or_default().to_owned();
        let user = arn
            .split_once(":user/")
            .map(|(_, path)| path.rsplit('/').next().unwrap_or(path).to_owned());
        let aws_time = date
            .0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .as_deref()
            .and_then(|d| DateTime::parse_from_rfc2822(d).ok())
            .map(|d| d.with_timezone(&Utc));
        Ok(Identity {
            arn,
            user,
            aws_time,
        })
    }

    /// When long-term key `key_id` was made, asked with its new MFA session (under Force_MFA,
    /// iam:ListAccessKeys needs MFA); `None` when that cannot be known. `Ctx::key_created`.
    pub fn key_created(
        cfg: &crate::config::ProfileConfig,
        session: &crate::cache::Session,
        key_id: &str,
    ) -> Option<DateTime<Utc>> {
        Iam::connect_session(&cfg.name, cfg.sts_region(), session)
            .ok()?
            .list_access_keys(None)
            .ok()?
            .into_iter()
            .find(|k| k.id == key_id)?
            .created
    }

    /// The user's access keys (`None`: the caller's own).
    pub fn list_access_keys(&self, user: Option<&str>) -> Result<Vec<AccessKey>, Error> {
        let out = self
            .rt
            .block_on(
                self.iam
                    .list_access_keys()
                    .set_user_name(user.map(str::to_owned))
                    .send(),
            )
            .map_err(|e| explain("ListAccessKeys", &e))?;
        Ok(out
            .access_key_metadata()
            .iter()
            .filter_map(|k| {
                Some(AccessKey {
                    id: k.access_key_id()?.to_owned(),
                    created: k.create_date().and_then(smithy_time),
                    active: k.status().is_none_or(|s| s.as_str() == "Active"),
                })
            })
            .collect())
    }

    /// Makes a new access key for the user: its keys and creation time.
    pub fn create_access_key(
        &self,
        user: &str,
    ) -> Result<(LongTermKeys, Option<DateTime<Utc>>), Error> {
        let out = self
            .rt
            .block_on(self.iam.create_access_key().user_name(user).send())
            .map_err(|e| explain("CreateAccessKey", &e))?;
        let key = out.access_key().ok_or_else(|| {
            Error::Unavailable("iam:CreateAccessKey answered without a key".into())
        })?;
        Ok((
            LongTermKeys {
                access_key_id: key.access_key_id().to_owned(),
                secret_access_key: Secret::new(key.secret_access_key()),
            },
            key.create_date().and_then(smithy_time),
        ))
    }

    /// Deletes one of the user's access keys.
    pub fn delete_access_key(&self, user: &str, id: &str) -> Result<(), Error> {
        let call = self
            .iam
            .delete_access_key()
            .user_name(user)
            .access_key_id(id);
        self.rt
            .block_on(call.send())
            .map(|_| ())
            .map_err(|e| explain("DeleteAccessKey", &e))
    }
}
