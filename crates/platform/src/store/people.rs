//! Organizations, users and their credentials (cookie sessions and API tokens).
//!
//! Passwords are kept as argon2id hashes. A credential's secret is shown once, when issued; the
//! store keeps only its SHA-256, so a copy of the database opens no session.

use std::time::Instant;

use argon2::Argon2;
use argon2::password_hash::{PasswordHasher, SaltString};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::audit_log::append;
use super::{Store, StoreError, int, now, random, text, time_after};
use crate::access::Principal;
use crate::audit::Outcome;
use crate::org::{AdminLevel, OrganizationKind, Role};

/// Longest user name a sign-in looks up, in bytes (names are created far shorter).
pub const MAX_USERNAME_BYTES: usize = 256;
/// Longest password checked, in bytes: hashing a megabyte of password is a cost anyone could impose.
pub const MAX_PASSWORD_BYTES: usize = 1024;
/// How long a sign-in waits for a turn to check its password before it is told to come back.
const VERIFY_WAIT: std::time::Duration = std::time::Duration::from_secs(2);

/// Shortest password accepted, in characters.
pub const MIN_PASSWORD: usize = 10;

/// An organization that holds or governs public data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Organization {
    /// Short code, unique: used in URLs and as the owner of catalog entries.
    pub code: String,
    /// Full name.
    pub name: String,
    /// What kind of body it is.
    pub kind: OrganizationKind,
    /// Province, city or county.
    pub level: AdminLevel,
    /// Administrative division code of its area (330000, 330100, 330106...).
    pub region: String,
}

/// A user as shown (never with the password hash).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct User {
    /// Sign-in name.
    pub username: String,
    /// Name shown on pages.
    pub display_name: String,
    /// Role.
    pub role: Role,
    /// Organization code, for roles that act for one.
    pub organization: Option<String>,
}

/// A user to create.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct NewUser {
    /// Sign-in name: 3 to 64 of `a-z 0-9 . _ -`.
    pub username: String,
    /// Name shown on pages.
    #[serde(default)]
    pub display_name: String,
    /// Role.
    pub role: Role,
    /// Organization code (required for authority staff and department officers).
    #[serde(default)]
    pub organization: Option<String>,
    /// Password, at least [`MIN_PASSWORD`] characters.
    pub password: String,
}

/// A cookie session (for pages, with a CSRF token) or a bearer token (for the API).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CredentialKind {
    /// Browser session.
    Session,
    /// API token.
    Api,
}

impl CredentialKind {
    fn name(self) -> &'static str {
        match self {
            CredentialKind::Session => "session",
            CredentialKind::Api => "api",
        }
    }
}

/// An issued credential: the secret is only ever in this value.
#[derive(Debug, Clone, Serialize)]
pub struct Credential {
    /// The secret to present (cookie value or bearer token).
    pub token: String,
    /// The CSRF token that forms must echo (sessions).
    pub csrf: String,
    /// When it stops working.
    pub expires_at: String,
}

/// A credential resolved to who holds it.
#[derive(Debug, Clone)]
pub struct Holder {
    /// Who.
    pub principal: Principal,
    /// Session or API token.
    pub kind: CredentialKind,
    /// The CSRF token bound to the session.
    pub csrf: String,
}

fn digest(token: &str) -> String {
    data_encoding::HEXLOWER.encode(&Sha256::digest(token.as_bytes()))
}

fn secret(prefix: &str) -> String {
    let mut bytes = [0u8; 32];
    random(&mut bytes);
    format!(
        "{prefix}{}",
        data_encoding::BASE32_NOPAD.encode(&bytes).to_lowercase()
    )
}

fn hash_password(password: &str) -> Result<String, StoreError> {
    let mut salt = [0u8; 16];
    random(&mut salt);
    let salt = SaltString::encode_b64(&salt).map_err(|e| StoreError::Invalid(e.to_string()))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| StoreError::Invalid(format!("password: {e}")))
}

/// A hash of a password nobody has, so that unknown users cost as much time as known ones.
const DECOY: &str = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$mfmgVgNMpwOyTiSfmIN2dhHbyHbqQXxDy5e3oQ5Tp5E";

fn valid_username(name: &str) -> bool {
    (3..=64).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-'))
}

impl Store {
    /// Creates an organization, recorded as done by `actor`.
    pub async fn create_organization(
        &self,
        org: &Organization,
        actor: &str,
    ) -> Result<(), StoreError> {
        if !valid_username(&org.code) {
            return Err(StoreError::Invalid(
                "code: 3 to 64 characters of a-z, 0-9, '.', '_' and '-'".into(),
            ));
        }
        if org.name.trim().is_empty() {
            return Err(StoreError::Invalid("name: required".into()));
        }
        if org.region.is_empty() || !org.region.chars().all(|c| c.is_ascii_digit()) {
            return Err(StoreError::Invalid(
                "region: an administrative division code of digits, such as 330106".into(),
            ));
        }
        let (mut tx, _turn) = self.begin_write().await?;
        let taken = sqlx::query("SELECT code FROM organizations WHERE code = $1 OR name = $2")
            .bind(&org.code)
            .bind(&org.name)
            .fetch_optional(&mut *tx)
            .await?;
        if taken.is_some() {
            return Err(StoreError::Conflict(format!(
                "an organization with code {:?} or name {:?} exists",
                org.code, org.name
            )));
        }
        sqlx::query(
            "INSERT INTO organizations (code, name, kind, level, region, created_at)
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&org.code)
        .bind(&org.name)
        .bind(org.kind.name())
        .bind(org.level.name())
        .bind(&org.region)
        .bind(now())
        .execute(&mut *tx)
        .await?;
        append(
            &mut tx,
            actor,
            "organization.create",
            &format!("organization:{}", org.code),
            Outcome::Success,
            &org.name,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Every organization, by code.
    pub async fn organizations(&self) -> Result<Vec<Organization>, StoreError> {
        let rows =
            sqlx::query("SELECT code, name, kind, level, region FROM organizations ORDER BY code")
                .fetch_all(&self.pool)
                .await?;
        rows.iter()
            .map(|r| {
                let corrupt = |what: &'static str| {
                    move |e: crate::org::UnknownName| StoreError::Corrupt {
                        what,
                        message: e.to_string(),
                    }
                };
                Ok(Organization {
                    code: text(r, "code")?,
                    name: text(r, "name")?,
                    kind: text(r, "kind")?
                        .parse()
                        .map_err(corrupt("organization kind"))?,
                    level: text(r, "level")?
                        .parse()
                        .map_err(corrupt("organization level"))?,
                    region: text(r, "region")?,
                })
            })
            .collect()
    }

    /// One organization.
    pub async fn organization(&self, code: &str) -> Result<Organization, StoreError> {
        self.organizations()
            .await?
            .into_iter()
            .find(|o| o.code == code)
            .ok_or_else(|| StoreError::NotFound {
                what: "organization",
                id: code.to_string(),
            })
    }

    /// Creates a user, recorded as done by `actor`.
    pub async fn create_user(&self, user: &NewUser, actor: &str) -> Result<User, StoreError> {
        if !valid_username(&user.username) {
            return Err(StoreError::Invalid(
                "username: 3 to 64 characters of a-z, 0-9, '.', '_' and '-'".into(),
            ));
        }
        if user.password.chars().count() < MIN_PASSWORD {
            return Err(StoreError::Invalid(format!(
                "password: at least {MIN_PASSWORD} characters"
            )));
        }
        match (&user.organization, user.role.needs_organization()) {
            (None, true) => {
                return Err(StoreError::Invalid(format!(
                    "organization: the {} role acts for an organization; name it",
                    user.role
                )));
            }
            (Some(code), _) => {
                self.organization(code).await?;
            }
            (None, false) => {}
        }
        let hash = hash_password(&user.password)?;
        let display = if user.display_name.trim().is_empty() {
            user.username.clone()
        } else {
            user.display_name.trim().to_string()
        };
        let (mut tx, _turn) = self.begin_write().await?;
        let taken = sqlx::query("SELECT username FROM users WHERE username = $1")
            .bind(&user.username)
            .fetch_optional(&mut *tx)
            .await?;
        if taken.is_some() {
            return Err(StoreError::Conflict(format!(
                "user {:?} exists",
                user.username
            )));
        }
        sqlx::query(
            "INSERT INTO users (username, display_name, role, organization, password_hash, created_at)
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&user.username)
        .bind(&display)
        .bind(user.role.name())
        .bind(user.organization.clone())
        .bind(&hash)
        .bind(now())
        .execute(&mut *tx)
        .await?;
        append(
            &mut tx,
            actor,
            "user.create",
            &format!("user:{}", user.username),
            Outcome::Success,
            user.role.name(),
        )
        .await?;
        tx.commit().await?;
        Ok(User {
            username: user.username.clone(),
            display_name: display,
            role: user.role,
            organization: user.organization.clone(),
        })
    }

    /// Every user, by name.
    pub async fn users(&self) -> Result<Vec<User>, StoreError> {
        let rows = sqlx::query(
            "SELECT username, display_name, role, organization FROM users ORDER BY username",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(user_of).collect()
    }

    /// Whether any user has the authority administrator role (the first run has none).
    pub async fn has_admin(&self) -> Result<bool, StoreError> {
        let n = sqlx::query("SELECT COUNT(*) AS n FROM users WHERE role = 'authority_admin'")
            .fetch_one(&self.pool)
            .await?;
        Ok(int(&n, "n")? > 0)
    }

    /// Checks a password and issues a credential of `kind` valid for `ttl`. `client` is the
    /// caller's address ("" when unknown): failures are held back per name and client and per
    /// client. Every attempt is audited; a failure does not say whether the user exists.
    pub async fn sign_in(
        &self,
        username: &str,
        password: &str,
        client: &str,
        kind: CredentialKind,
        ttl: chrono::Duration,
    ) -> Result<(User, Credential), StoreError> {
        // A name typed by anyone goes into the log: kept short.
        let logged: String = username.chars().take(64).collect();
        let target = format!("user:{logged}");
        if let Err(wait) = self.throttle.begin(username, client, Instant::now()) {
            // Held-back attempts cost no password check, so they come fast: coalesced per client.
            let detail = format!("{}: held back after repeated failures", kind.name());
            self.audit_refusal(&logged, "sign_in", &target, &detail, client)
                .await?;
            return Err(StoreError::Throttled {
                seconds: wait.as_secs_f64().ceil() as u64,
            });
        }
        // No user has a name or password this long: refuse before any lookup or hashing.
        if username.len() > MAX_USERNAME_BYTES || password.len() > MAX_PASSWORD_BYTES {
            self.audit_refusal(
                &logged,
                "sign_in",
                &target,
                "overlong name or password",
                client,
            )
            .await?;
            return Err(StoreError::BadCredentials);
        }
        let row = sqlx::query(
            "SELECT username, display_name, role, organization, password_hash, disabled
             FROM users WHERE username = $1",
        )
        .bind(username)
        .fetch_optional(&self.pool)
        .await?;
        let stored = match &row {
            Some(r) if int(r, "disabled")? == 0 => text(r, "password_hash")?,
            _ => DECOY.to_string(),
        };
        // Hashing takes tens of milliseconds of CPU and 19 MiB: off the async workers, and only
        // a few at once; a caller that cannot get a turn soon is told to come back.
        let permit =
            tokio::time::timeout(VERIFY_WAIT, self.verifications.clone().acquire_owned()).await;
        let Ok(Ok(permit)) = permit else {
            // Not checked: the attempt does not count against the name.
            self.throttle.give_back(username, client);
            return Err(StoreError::Busy { seconds: 1 });
        };
        let decoy = stored == DECOY;
        // The permit travels with the check: a caller that hangs up does not free its place
        // while its check still waits in the queue.
        let ok = self
            .verifier
            .check(stored, password.to_string(), permit)
            .await
            && !decoy;
        let Some(row) = row.filter(|_| ok) else {
            self.audit(&logged, "sign_in", &target, Outcome::Denied, kind.name())
                .await?;
            return Err(StoreError::BadCredentials);
        };
        self.throttle.succeeded(username, client);
        let user = user_of(&row)?;
        let credential = self.issue(&user.username, kind, kind.name(), ttl).await?;
        Ok((user, credential))
    }

    /// Issues a credential for `username` without a password (the administrator's command line
    /// and tests).
    pub async fn issue(
        &self,
        username: &str,
        kind: CredentialKind,
        label: &str,
        ttl: chrono::Duration,
    ) -> Result<Credential, StoreError> {
        let credential = Credential {
            token: secret(match kind {
                CredentialKind::Session => "pds_",
                CredentialKind::Api => "pdt_",
            }),
            csrf: secret(""),
            expires_at: time_after(ttl),
        };
        let (mut tx, _turn) = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO credentials (token_digest, username, kind, label, csrf, created_at, expires_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(digest(&credential.token))
        .bind(username)
        .bind(kind.name())
        .bind(label)
        .bind(&credential.csrf)
        .bind(now())
        .bind(&credential.expires_at)
        .execute(&mut *tx)
        .await?;
        append(
            &mut tx,
            username,
            "credential.issue",
            &format!("user:{username}"),
            Outcome::Success,
            &format!("{} until {}", kind.name(), credential.expires_at),
        )
        .await?;
        tx.commit().await?;
        Ok(credential)
    }

    /// Who holds `token`, if it is a live credential of an enabled user.
    pub async fn holder(&self, token: &str) -> Result<Option<Holder>, StoreError> {
        let row = sqlx::query(
            "SELECT u.username, u.display_name, u.role, u.organization, c.kind, c.csrf
             FROM credentials c JOIN users u ON u.username = c.username
             WHERE c.token_digest = $1 AND c.expires_at > $2 AND u.disabled = 0",
        )
        .bind(digest(token))
        .bind(now())
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let user = user_of(&row)?;
        let kind = match text(&row, "kind")?.as_str() {
            "session" => CredentialKind::Session,
            _ => CredentialKind::Api,
        };
        Ok(Some(Holder {
            principal: Principal {
                user: user.username,
                role: user.role,
                organization: user.organization,
            },
            kind,
            csrf: text(&row, "csrf")?,
        }))
    }

    /// Ends a credential (sign-out).
    pub async fn revoke(&self, token: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM credentials WHERE token_digest = $1")
            .bind(digest(token))
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}

fn user_of(r: &sqlx::any::AnyRow) -> Result<User, StoreError> {
    let role = text(r, "role")?;
    Ok(User {
        username: text(r, "username")?,
        display_name: text(r, "display_name")?,
        role: role
            .parse()
            .map_err(|e: crate::org::UnknownName| StoreError::Corrupt {
                what: "role",
                message: e.to_string(),
            })?,
        organization: sqlx::Row::try_get::<Option<String>, _>(r, "organization")?,
    })
}
