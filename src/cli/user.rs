//! `kotacerdas user`: the users file (`[access] users_file`): add a user, make an API token,
//! list, remove.
//!
//! Reads a password from standard input (without echo on a terminal); the users, their roles
//! and the hashing are `crate::auth`'s. Nothing here checks a request's access.

use std::process::ExitCode;

use anyhow::Context;

use super::args::UserCommand;
use crate::config::Config;

/// `region_flag`: the global `--region`, which `user add` takes as the scope when `--scope` is
/// not given (`kotacerdas user add NAME --role viewer --region 35.09`).
pub(super) fn user_cmd(
    config: &Config,
    command: UserCommand,
    region_flag: Option<String>,
) -> anyhow::Result<ExitCode> {
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
        UserCommand::List => {
            for u in users.iter() {
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
        UserCommand::Remove { name } => {
            users.remove(&name)?;
            users.save()?;
            eprintln!("removed user {name} from {path}");
        }
    }
    Ok(ExitCode::SUCCESS)
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
