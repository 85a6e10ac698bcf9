//! mfa-session: MFA-backed AWS session credentials for the CLI and SDKs.
//!
//! Two binaries share this library. `mfa-session` is the small front that every AWS CLI call
//! and shell prompt runs: it serves a cache hit (`credential-process`, `prompt`) without the
//! AWS SDK, clap or an async runtime linked in, so it starts like `cat`; for everything else it
//! execs `mfa-session-full`, installed beside it, with the same arguments.

#![warn(missing_docs)]

pub mod cache;
pub mod child;
pub mod cli;
pub mod cmd;
pub mod config;
pub mod config_edit;
pub mod ctx;
pub mod doctor;
pub mod env;
pub mod error;
pub mod fingerprint;
pub mod front;
pub mod iam;
pub mod key_age;
pub mod mfa;
pub mod paths;
pub mod plaintext;
pub mod plan;
pub mod policy;
pub mod private_file;
pub mod profile;
pub mod role;
pub mod rotate;
pub mod secret;
pub mod secret_store;
pub mod server;
pub mod session;
pub mod sts;
pub mod tty;
pub mod user_file;
