//! `kotacerdas user`: add a user, make an API token, list, remove, wherever `[access] users`
//! says the users are (the users file, or the database); `user migrate` copies the users file
//! into the database.
//!
//! Reads a password from standard input (without echo on a terminal) and hashes it before the
//! database is touched; the users, their roles, the hashing and the queries are
//! `crate::auth`'s. Nothing here checks a request's access. With users in the database a change
//! applies to every instance without a restart: a new token at once, a removal within
//! `[access] recheck_seconds`.

use std::process::ExitCode;

use anyhow::Context;

use super::args::UserCommand;
use crate::auth::users::{self, UserRecord, Users};
use crate::auth::{AccessStore, StoreError, UserSource};
use crate::config::Config;

/// `region_flag`: the global `--region`, which `user add` takes as the scope when `--scope` is
/// not given (`kotacerdas user add NAME --role viewer --region 35.09`).
pub(super) fn user_cmd(
    config: &Config,
    command: UserCommand,
    region_flag: Option<String>,
) -> anyhow::Result<ExitCode> {
    match config.access.source {
        UserSource::File => on_file(config, command, region_flag)?,
        UserSource::Database => on_database(config, command, region_flag)?,
    }
    Ok(ExitCode::SUCCESS)
}

/// A new user for the database: its password read and hashed, its name and scope checked.
fn new_user(
    config: &Config,
    name: &str,
    role: crate::auth::Role,
    scope: Option<String>,
    no_password: bool,
) -> anyhow::Result<UserRecord> {
    let password = if no_password {
        None
    } else {
        Some(read_password()?)
    };
    users::new_record(
        name,
        role,
        scope.as_deref(),
        password.as_deref(),
        &config.access.hash_params,
    )
    .map_err(|message| anyhow::anyhow!("user {name:?}: {message}"))
}

fn on_file(
    config: &Config,
    command: UserCommand,
    region_flag: Option<String>,
) -> anyhow::Result<()> {
    let access = &config.access;
    let mut users = (*access.users).clone();
    let path = users.path().display().to_string();
    match command {
        UserCommand::Add {
            name,
            role,
            scope,
            no_password,
        } => {
            let scope = scope.or(region_flag);
            let password = if no_password {
                None
            } else {
                Some(read_password()?)
            };
            users.add(
                &name,
                role,
                scope.as_deref(),
                password.as_deref(),
                &access.hash_params,
            )?;
            users.save()?;
            eprintln!("added user {name} ({role}) to {path}");
        }
        UserCommand::Token { name } => {
            let token = users.new_token(&name, &access.hash_params)?;
            users.save()?;
            eprintln!(
                "new API token for {name}, stored as a hash in {path}; it is shown only now \
                 (restart the server to use it):"
            );
            println!("{token}");
        }
        UserCommand::List => print_list(users.iter()),
        UserCommand::Remove { name } => {
            users.remove(&name)?;
            users.save()?;
            eprintln!("removed user {name} from {path}");
        }
        UserCommand::Migrate => migrate(config)?,
    }
    Ok(())
}

/// A user command on the database, with its secrets already read and hashed.
enum Change {
    Add(UserRecord),
    Token {
        name: String,
        token: String,
        record: users::TokenRecord,
    },
    List,
    Remove(String),
}

fn on_database(
    config: &Config,
    command: UserCommand,
    region_flag: Option<String>,
) -> anyhow::Result<()> {
    // Secrets are read and hashed (argon2, CPU-bound) before the runtime starts.
    let change = match command {
        UserCommand::Add {
            name,
            role,
            scope,
            no_password,
        } => Change::Add(new_user(
            config,
            &name,
            role,
            scope.or(region_flag),
            no_password,
        )?),
        UserCommand::Token { name } => {
            let (token, record) = users::new_token_record(&config.access.hash_params)?;
            Change::Token {
                name,
                token,
                record,
            }
        }
        UserCommand::List => Change::List,
        UserCommand::Remove { name } => Change::Remove(name),
        UserCommand::Migrate => return migrate(config),
    };
    block_on(async {
        let store = open_store(config).await?;
        let target = store.target().to_string();
        match change {
            Change::Add(user) => {
                store.insert_users(std::slice::from_ref(&user)).await?;
                eprintln!(
                    "added user {} ({}) to the database {target}",
                    user.name, user.role
                );
            }
            Change::Token {
                name,
                token,
                record,
            } => {
                store.insert_token(&name, &record).await?;
                eprintln!(
                    "new API token for {name}, stored as a hash in the database {target}; it is \
                     shown only now (every instance accepts it at once):"
                );
                println!("{token}");
            }
            Change::List => print_list(store.users().await?.iter()),
            Change::Remove(name) => {
                store.remove_user(&name).await?;
                eprintln!(
                    "removed user {name}, its tokens and its sessions from the database {target}"
                );
            }
        }
        anyhow::Ok(())
    })
}

/// `user migrate`: every user and token of the users file into the database, in one
/// transaction; refused, naming them, when any of them is there already.
fn migrate(config: &Config) -> anyhow::Result<()> {
    let path = config.access.users.path();
    let file = Users::load(path)?;
    anyhow::ensure!(
        !file.is_empty(),
        "users file {}: no users to migrate",
        path.display()
    );
    let records: Vec<UserRecord> = file.iter().cloned().collect();
    let tokens: usize = records.iter().map(|u| u.tokens.len()).sum();
    block_on(async {
        let store = open_store(config).await?;
        store.insert_users(&records).await?;
        eprintln!(
            "copied {} users and {tokens} API tokens from {} into the database {}",
            records.len(),
            path.display(),
            store.target()
        );
        if config.access.source == UserSource::File {
            eprintln!(
                "set [access] users = \"database\" (or KOTACERDAS_ACCESS__USERS=database) on \
                 every instance and restart them; the users file is not read then"
            );
        }
        anyhow::Ok(())
    })
}

async fn open_store(config: &Config) -> anyhow::Result<AccessStore> {
    AccessStore::open(&config.database, config.database_connections)
        .await
        .map_err(|e: StoreError| anyhow::Error::new(e))
        .context("the database of users could not be opened")
}

fn block_on<T>(work: impl std::future::Future<Output = anyhow::Result<T>>) -> anyhow::Result<T> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("failed to start the async runtime")?
        .block_on(work)
}

/// One line per user: name, role, scope, whether a password is set, token ids.
fn print_list<'a>(users: impl Iterator<Item = &'a UserRecord>) {
    for u in users {
        let tokens: Vec<&str> = u.tokens.iter().map(|t| t.id.as_str()).collect();
        println!(
            "{}\t{}\t{}\tpassword={}\ttokens={}",
            u.name,
            u.role,
            u.scope(),
            if u.password.is_some() { "yes" } else { "no" },
            if tokens.is_empty() {
                "-".to_string()
            } else {
                tokens.join(",")
            }
        );
    }
}

/// One line of standard input, without echo when it is a terminal.
fn read_password() -> anyhow::Result<String> {
    use std::io::{BufRead, IsTerminal};
    let stdin = std::io::stdin();
    let terminal = stdin.is_terminal();
    if terminal {
        eprint!("password: ");
        set_echo(false);
    }
    let mut line = String::new();
    let read = stdin.lock().read_line(&mut line);
    if terminal {
        set_echo(true);
        eprintln!();
    }
    read.context("failed to read the password from standard input")?;
    let password = line.trim_end_matches(['\r', '\n']).to_string();
    if password.chars().count() < 10 {
        anyhow::bail!(
            "the password must have at least 10 characters (read one line from standard input)"
        );
    }
    Ok(password)
}

/// Switch terminal echo with `stty`; where that is unavailable the password is simply shown.
fn set_echo(on: bool) {
    #[cfg(unix)]
    {
        let _ = std::process::Command::new("stty")
            .arg(if on { "echo" } else { "-echo" })
            .stdin(std::process::Stdio::inherit())
            .status();
    }
    #[cfg(not(unix))]
    let _ = on;
}
