//! `paperhub user add|token|tokens|revoke|list|role|ban|unban`: accounts, from the command
//! line, while `serve` runs on the same data or not.

use std::io::{BufRead as _, IsTerminal as _};
use std::process::ExitCode;

use anyhow::Context as _;
use clap::{Args, Subcommand};
use paperhub_core::Role;
use paperhub_store::Account;
use serde_json::json;

use crate::assembly::Context;

/// Arguments of `paperhub user`.
#[derive(Debug, Args)]
pub struct UserArgs {
    #[command(subcommand)]
    command: UserCommand,
}

#[derive(Debug, Subcommand)]
enum UserCommand {
    /// Make an account (the password from stdin, or a strong one made and printed).
    Add {
        /// Its email, the login.
        email: String,
        /// What it may do.
        #[arg(long, default_value = "member", value_parser = parse_role)]
        role: Role,
        /// Read the password from the first line of stdin (at least 10 characters, not easy
        /// to guess); without it a random password is made and printed once.
        #[arg(long)]
        password_stdin: bool,
        /// The name shown beside its comments and submissions (default: the email's part
        /// before `@`).
        #[arg(long)]
        name: Option<String>,
    },
    /// Print a new API token for an account (the last line printed is the token).
    Token {
        /// The account's email.
        email: String,
        /// What the token is for.
        #[arg(long, default_value = "command line")]
        label: String,
    },
    /// List an account's API tokens (numbers, labels and dates; never the tokens).
    Tokens {
        /// The account's email.
        email: String,
    },
    /// Revoke an account's API token by its number (see `paperhub user tokens`).
    Revoke {
        /// The account's email.
        email: String,
        /// The token's number.
        token: u64,
    },
    /// List the accounts.
    List {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Give an account a role: member, moderator or admin.
    Role {
        /// The account's email.
        email: String,
        /// The role.
        #[arg(value_parser = parse_role)]
        role: Role,
    },
    /// Ban an account: it may sign in and read, and nothing else.
    Ban {
        /// The account's email.
        email: String,
    },
    /// Lift an account's ban.
    Unban {
        /// The account's email.
        email: String,
    },
}

fn parse_role(text: &str) -> Result<Role, String> {
    text.parse()
}

/// One line about an account.
fn line(account: &Account) -> String {
    format!(
        "{}  {}{}  {:?}  since {}",
        account.email,
        account.role,
        if account.banned { "  banned" } else { "" },
        account.name,
        account.created_at.format("%Y-%m-%d")
    )
}

/// A random password of 20 letters and digits (about 119 bits).
fn random_password() -> String {
    use rand::Rng as _;
    const ALPHABET: &[u8] = b"abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut rng = rand::rng();
    (0..20)
        .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
        .collect()
}

/// Runs `paperhub user`.
pub fn run(ctx: &Context, args: UserArgs) -> anyhow::Result<ExitCode> {
    let accounts = ctx.open_accounts()?;
    match args.command {
        UserCommand::Add {
            email,
            role,
            password_stdin,
            name,
        } => {
            let (password, made) = if password_stdin {
                let stdin = std::io::stdin();
                if stdin.is_terminal() && !ctx.quiet {
                    eprintln!("password (then Enter):");
                }
                let mut line = String::new();
                stdin
                    .lock()
                    .read_line(&mut line)
                    .context("reading the password from stdin")?;
                (line.trim_end_matches(['\r', '\n']).to_owned(), false)
            } else {
                (random_password(), true)
            };
            let account = accounts.add_account(&email, &password, role, name.as_deref())?;
            println!("added {}", line(&account));
            if made {
                println!("password (shown once): {password}");
            }
        }
        UserCommand::Token { email, label } => {
            let (token, stored) = accounts.issue_token(&email, &label)?;
            if !ctx.quiet {
                println!(
                    "token {} of {email} ({}); it is shown once, and the hub keeps only its hash:",
                    stored.id, stored.label
                );
            }
            println!("{token}");
        }
        UserCommand::Tokens { email } => {
            for token in accounts.tokens_of(&email)? {
                println!(
                    "{:>4}  {}  {}",
                    token.id,
                    token.created_at.format("%Y-%m-%d %H:%M"),
                    token.label
                );
            }
        }
        UserCommand::Revoke { email, token } => {
            accounts.revoke_token(&email, token)?;
            println!("revoked token {token} of {email}");
        }
        UserCommand::List { json } => {
            let all = accounts.list()?;
            if json {
                let rows: Vec<_> = all
                    .iter()
                    .map(|a| {
                        json!({
                            "email": a.email,
                            "name": a.name,
                            "role": a.role,
                            "banned": a.banned,
                            "created_at": a.created_at,
                        })
                    })
                    .collect();
                println!("{}", json!({ "accounts": rows }));
            } else if all.is_empty() {
                println!("no accounts yet (`paperhub user add EMAIL`)");
            } else {
                for account in &all {
                    println!("{}", line(account));
                }
            }
        }
        UserCommand::Role { email, role } => {
            println!("{}", line(&accounts.set_role(&email, role)?));
        }
        UserCommand::Ban { email } => {
            println!("{}", line(&accounts.set_banned(&email, true)?));
        }
        UserCommand::Unban { email } => {
            println!("{}", line(&accounts.set_banned(&email, false)?));
        }
    }
    Ok(ExitCode::SUCCESS)
}
