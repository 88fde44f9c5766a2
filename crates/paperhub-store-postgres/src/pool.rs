//! The pool of connections, each with the statements it has prepared.
//!
//! A query given as text is parsed and planned by the server on every call (an unnamed
//! statement: one more round trip, and the planning). The store's reads are a handful of fixed
//! statements, so each pooled connection prepares each once and keeps it, keyed by its text.

use std::collections::HashMap;

use postgres::{Client, NoTls, Statement};

/// A connection of the pool.
pub(crate) struct Connection {
    client: Client,
    statements: HashMap<String, Statement>,
}

impl Connection {
    /// The statement of `sql`, prepared on this connection the first time it is asked for.
    pub(crate) fn prepared(&mut self, sql: &str) -> Result<Statement, postgres::Error> {
        if let Some(statement) = self.statements.get(sql) {
            return Ok(statement.clone());
        }
        let statement = self.client.prepare(sql)?;
        self.statements.insert(sql.to_owned(), statement.clone());
        Ok(statement)
    }
}

impl std::ops::Deref for Connection {
    type Target = Client;

    fn deref(&self) -> &Client {
        &self.client
    }
}

impl std::ops::DerefMut for Connection {
    fn deref_mut(&mut self) -> &mut Client {
        &mut self.client
    }
}

/// Makes and checks the pool's connections.
#[derive(Debug)]
pub(crate) struct Manager {
    pub(crate) config: postgres::Config,
}

impl r2d2::ManageConnection for Manager {
    type Connection = Connection;
    type Error = postgres::Error;

    fn connect(&self) -> Result<Connection, postgres::Error> {
        Ok(Connection {
            client: self.config.connect(NoTls)?,
            statements: HashMap::new(),
        })
    }

    fn is_valid(&self, connection: &mut Connection) -> Result<(), postgres::Error> {
        connection.client.simple_query("").map(|_| ())
    }

    fn has_broken(&self, connection: &mut Connection) -> bool {
        connection.client.is_closed()
    }
}
