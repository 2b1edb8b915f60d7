//! `retort keys create --name NAME --role ROLE [--expires 90d]`, `retort keys list`,
//! `retort keys revoke ID` and `retort keys generate`: API keys from the command line,
//! straight to the database. A key's secret is printed once, by `create`.

use std::process::ExitCode;

use clap::{Args, Subcommand};

use crate::entities::key::schema::KeyOut;
use crate::entities::key::{interface, service};
use crate::kernel::auth::{Role, parse_role};
use crate::kernel::config::DatabaseArgs;
use crate::kernel::db::Db;

/// What to do with keys.
#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Create a key and print it, this once (only its SHA-256 is stored).
    Create(CreateArgs),
    /// List keys: id, name, roles, dates; never a secret.
    List(DatabaseArgs),
    /// Revoke a key by id: it stops working at once, on every replica.
    Revoke(RevokeArgs),
    /// Print a new key without storing it, e.g. for RETORT_ADMIN_KEY.
    Generate,
}

/// Arguments of `keys create`.
#[derive(Debug, Args)]
pub struct CreateArgs {
    /// Who or what holds it; the audit trail records this name.
    #[arg(long)]
    pub name: String,
    /// A role (viewer, predictor, analyst, approver, admin); repeat for several.
    #[arg(long = "role", required = true, value_parser = parse_role)]
    pub roles: Vec<Role>,
    /// How long it works: 90d, 12w, 1y, 36h. Default: until revoked.
    #[arg(long)]
    pub expires: Option<String>,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub database: DatabaseArgs,
}

/// Arguments of `keys revoke`.
#[derive(Debug, Args)]
pub struct RevokeArgs {
    /// The key's public id (as `keys list` shows it).
    pub id: String,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub database: DatabaseArgs,
}

async fn connect(database: &DatabaseArgs) -> anyhow::Result<Db> {
    let db = Db::connect(&database.database_url).await?;
    db.migrate().await?;
    Ok(db)
}

/// Runs a `keys` subcommand.
pub async fn run(command: KeysCommand) -> anyhow::Result<ExitCode> {
    match command {
        KeysCommand::Create(args) => {
            let db = connect(&args.database).await?;
            let created =
                service::create_key_cli(&db, &args.name, &args.roles, args.expires.as_deref())
                    .await;
            db.close().await;
            let created = created?;
            eprintln!(
                "key {} ({}) created with roles {}{}; it is shown this once:",
                created.key.id,
                created.key.name,
                roles(&created.key),
                created
                    .key
                    .expires_at
                    .as_deref()
                    .map(|e| format!(", expiring {e}"))
                    .unwrap_or_default()
            );
            println!("{}", created.secret);
        }
        KeysCommand::List(database) => {
            let db = connect(&database).await?;
            let keys = service::list_keys(&db).await;
            db.close().await;
            print!(
                "{}",
                listing(&keys.map_err(|e| anyhow::anyhow!(e.to_problem().detail))?)
            );
        }
        KeysCommand::Revoke(args) => {
            let db = connect(&args.database).await?;
            let key = service::revoke_key(&db, &args.id).await;
            db.close().await;
            let key = key.map_err(|e| anyhow::anyhow!(e.to_problem().detail))?;
            eprintln!(
                "key {} ({}) revoked at {}",
                key.id,
                key.name,
                key.revoked_at.as_deref().unwrap_or("?")
            );
        }
        KeysCommand::Generate => {
            let (_, key) = interface::generate().map_err(|e| anyhow::anyhow!(e))?;
            println!("{key}");
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn roles(key: &KeyOut) -> String {
    let names: Vec<&str> = key.roles.iter().map(|r| r.as_str()).collect();
    names.join(",")
}

/// The table `keys list` prints: never a secret (the listing has none to print).
pub fn listing(keys: &[KeyOut]) -> String {
    let mut out = format!(
        "{:<12}  {:<24}  {:<22}  {:<8}  {:<20}  {:<20}\n",
        "ID", "NAME", "ROLES", "STATE", "EXPIRES", "LAST USED"
    );
    for k in keys {
        let state = if k.revoked_at.is_some() {
            "revoked"
        } else if k.active {
            "active"
        } else {
            "expired"
        };
        let day = |t: &Option<String>| {
            t.as_deref().map_or("-".to_owned(), |t| {
                t.get(..16).unwrap_or(t).replace('T', " ")
            })
        };
        out.push_str(&format!(
            "{:<12}  {:<24}  {:<22}  {:<8}  {:<20}  {:<20}\n",
            k.id,
            k.name.chars().take(24).collect::<String>(),
            roles(k),
            state,
            day(&k.expires_at),
            day(&k.last_used_at),
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::entities::key::schema::KeyIn;

    #[tokio::test]
    async fn the_listing_prints_no_secret() {
        let db = crate::testing::TestDb::sqlite().await;
        let input = KeyIn {
            name: "ana".into(),
            roles: vec![Role::Analyst],
            expires_in_days: Some(90),
        };
        let created = service::create_key(&db.db, &input)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let keys = service::list_keys(&db.db)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let text = listing(&keys);
        assert!(text.contains("ana") && text.contains("analyst") && text.contains(&created.key.id));
        assert!(!text.contains(&created.secret[17..]), "{text}");
        assert!(!text.contains(crate::testing::TEST_ADMIN_KEY), "{text}");
    }
}
