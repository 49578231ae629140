//! Persistent state: the SQLite database under `$CODEX_HOME` that holds threads, turns, items and
//! token usage, so a restarted server lists, reads and resumes every non-ephemeral thread with its
//! history.
//!
//! The database runs in WAL mode with `synchronous = FULL`: when [`StateDb::upsert_item`]
//! returns, the item is on disk, so the engine can send `item/completed` after it. Schema changes
//! are numbered migrations tracked in `PRAGMA user_version`. An existing file is never recreated:
//! a corrupt or locked database is a startup error that names the file, and the file is left as it
//! was; only [`StateDb::open_recovering`] (`--recover-state`) moves a corrupt one aside (renamed,
//! never deleted) and starts fresh. Queries are built at run time (no compile-time checked macros), items are stored as the JSON
//! of their wire type so the schema does not chase the protocol.

use std::path::Path;
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

use serde_json::Value;
use sqlx::sqlite::SqliteConnectOptions;
use sqlx::sqlite::SqliteJournalMode;
use sqlx::sqlite::SqlitePoolOptions;
use sqlx::sqlite::SqliteSynchronous;
use sqlx::Row;
use sqlx::SqlitePool;

/// File name of the state database inside `$CODEX_HOME`.
pub const STATE_DB_FILE_NAME: &str = "state.sqlite";

/// Numbered schema migrations; entry `n` moves `user_version` from `n` to `n + 1`.
const MIGRATIONS: &[&str] = &[
    r#"
CREATE TABLE threads (
    id              TEXT PRIMARY KEY NOT NULL,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    name            TEXT,
    preview         TEXT NOT NULL DEFAULT '',
    cwd             TEXT NOT NULL,
    model           TEXT,
    model_provider  TEXT NOT NULL,
    archived        INTEGER NOT NULL DEFAULT 0,
    forked_from_id  TEXT,
    cli_version     TEXT NOT NULL,
    settings        TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX threads_by_created ON threads (archived, created_at DESC, id DESC);
CREATE INDEX threads_by_updated ON threads (archived, updated_at DESC, id DESC);
CREATE TABLE turns (
    thread_id     TEXT NOT NULL REFERENCES threads (id) ON DELETE CASCADE,
    id            TEXT NOT NULL,
    seq           INTEGER NOT NULL,
    status        TEXT NOT NULL,
    started_at    INTEGER,
    completed_at  INTEGER,
    duration_ms   INTEGER,
    error         TEXT,
    PRIMARY KEY (thread_id, id)
);
CREATE UNIQUE INDEX turns_in_order ON turns (thread_id, seq);
CREATE TABLE items (
    thread_id  TEXT NOT NULL REFERENCES threads (id) ON DELETE CASCADE,
    turn_id    TEXT NOT NULL,
    id         TEXT NOT NULL,
    seq        INTEGER NOT NULL,
    item       TEXT NOT NULL,
    PRIMARY KEY (thread_id, id)
);
CREATE INDEX items_in_order ON items (thread_id, turn_id, seq);
CREATE TABLE key_values (
    key    TEXT PRIMARY KEY NOT NULL,
    value  TEXT NOT NULL
);
"#,
    r#"
CREATE TABLE model_history (
    thread_id  TEXT NOT NULL REFERENCES threads (id) ON DELETE CASCADE,
    seq        INTEGER NOT NULL,
    turn_id    TEXT NOT NULL,
    item       TEXT NOT NULL,
    PRIMARY KEY (thread_id, seq)
);
"#,
    r#"
ALTER TABLE threads ADD COLUMN source TEXT NOT NULL DEFAULT '"appServer"';
ALTER TABLE threads ADD COLUMN source_kind TEXT NOT NULL DEFAULT 'appServer';
ALTER TABLE threads ADD COLUMN parent_thread_id TEXT;
ALTER TABLE threads ADD COLUMN attached_to_thread_id TEXT;
ALTER TABLE threads ADD COLUMN project_id TEXT;
CREATE INDEX threads_by_parent ON threads (parent_thread_id) WHERE parent_thread_id IS NOT NULL;
CREATE INDEX threads_by_attachment ON threads (attached_to_thread_id)
    WHERE attached_to_thread_id IS NOT NULL;
CREATE TABLE thread_token_usage (
    thread_id  TEXT PRIMARY KEY NOT NULL REFERENCES threads (id) ON DELETE CASCADE,
    turn_id    TEXT NOT NULL,
    usage      TEXT NOT NULL
);
"#,
    // Threads of the app-server were recorded as `appServer`; the reference records them as
    // `vscode`, which is what the Codex TUI's resume picker asks for.
    r#"
UPDATE threads SET source = '"vscode"', source_kind = 'vscode' WHERE source = '"appServer"';
"#,
    r#"
CREATE TABLE remote_control_clients (
    client_id     TEXT PRIMARY KEY NOT NULL,
    public_key    TEXT NOT NULL,
    display_name  TEXT NOT NULL,
    paired_at     INTEGER NOT NULL,
    last_seen_at  INTEGER
);
"#,
];

/// The columns a [`ThreadRecord`] is read from. Named, never `*`: a pooled connection whose
/// schema cache predates a migration expands `*` to the old columns, and sqlx then indexes past
/// the row (a worker panic, seen when upgrading a schema-2 database). A named column that the
/// stale cache lacks makes SQLite reload the schema instead.
const THREAD_COLUMNS: &str = "id, created_at, updated_at, name, preview, cwd, model, \
    model_provider, archived, forked_from_id, cli_version, settings, source, parent_thread_id, \
    attached_to_thread_id, project_id";

/// Errors of the state database.
#[derive(Debug, thiserror::Error)]
pub enum StateError {
    /// The file exists but is not a healthy SQLite database; it is left untouched.
    #[error(
        "state database {path} is corrupt ({detail}); it was left untouched. Move it aside to start \
         with empty state, or restore it from a backup"
    )]
    Corrupt {
        /// The database file.
        path: PathBuf,
        /// What SQLite reported.
        detail: String,
    },
    /// Another process holds a lock on the database.
    #[error("state database {path} is locked by another process ({detail})")]
    Locked {
        /// The database file.
        path: PathBuf,
        /// What SQLite reported.
        detail: String,
    },
    /// The database was written by a newer version of this server.
    #[error(
        "state database {path} has schema version {found}, newer than this server's {supported}; \
         upgrade the server"
    )]
    TooNew {
        /// The database file.
        path: PathBuf,
        /// The version stored in the file.
        found: i64,
        /// The newest version this build knows.
        supported: i64,
    },
    /// Creating the directory that holds the database failed.
    #[error("cannot create state directory {path}: {source}")]
    CreateDir {
        /// The directory.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The database file (or its WAL/shared-memory files) could not be made private (mode 0600).
    #[error("cannot make {path} private (mode 0600): {source}")]
    Protect {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A corrupt database could not be moved aside; nothing was deleted.
    #[error("cannot move the corrupt state database {path} aside to {to}: {source}")]
    MoveAside {
        /// The file being moved.
        path: PathBuf,
        /// Where it was going.
        to: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A `thread/list` cursor that no listing with this sort key handed out.
    #[error(
        "invalid cursor {0:?}: pass a `nextCursor` or `backwardsCursor` of an earlier page listed \
         with the same sortKey"
    )]
    InvalidCursor(String),
    /// A query failed.
    #[error("state database error: {0}")]
    Sqlite(#[from] sqlx::Error),
    /// A stored JSON column could not be read back.
    #[error("state database holds invalid JSON: {0}")]
    Json(#[from] serde_json::Error),
}

/// One stored thread (the parts the engine persists; wire fields are derived from these).
#[derive(Debug, Clone, PartialEq)]
pub struct ThreadRecord {
    /// Thread id (UUID v7).
    pub id: String,
    /// Creation time, Unix seconds.
    pub created_at: i64,
    /// Last update time, Unix seconds.
    pub updated_at: i64,
    /// Name set with `thread/name/set`.
    pub name: Option<String>,
    /// First user message, shortened, for listings.
    pub preview: String,
    /// Working directory of the thread.
    pub cwd: String,
    /// Model last used.
    pub model: Option<String>,
    /// Model provider id.
    pub model_provider: String,
    /// Whether the thread is archived.
    pub archived: bool,
    /// The thread this one was forked from.
    pub forked_from_id: Option<String>,
    /// Version of the server that created the thread.
    pub cli_version: String,
    /// Per-thread settings (approval policy, sandbox, instructions) as JSON.
    pub settings: Value,
    /// Where the thread came from, as the JSON of the wire `SessionSource` (e.g. `"appServer"`).
    pub source: Value,
    /// The thread that spawned this one (sub-agents), if any.
    pub parent_thread_id: Option<String>,
    /// The thread this persistent thread is attached to; attached threads stay out of ordinary
    /// listings.
    pub attached_to_thread_id: Option<String>,
    /// The project the thread is assigned to, if any.
    pub project_id: Option<String>,
}

/// One stored turn.
#[derive(Debug, Clone, PartialEq)]
pub struct TurnRecord {
    /// The thread the turn belongs to.
    pub thread_id: String,
    /// Turn id (UUID v7).
    pub id: String,
    /// Position of the turn in its thread, from 0.
    pub seq: i64,
    /// Wire status: `inProgress`, `completed`, `interrupted` or `failed`.
    pub status: String,
    /// Start time, Unix seconds.
    pub started_at: Option<i64>,
    /// Completion time, Unix seconds.
    pub completed_at: Option<i64>,
    /// Duration in milliseconds.
    pub duration_ms: Option<i64>,
    /// The turn's error, as the JSON of its wire type.
    pub error: Option<Value>,
}

/// One stored item: the JSON of its wire `ThreadItem`.
#[derive(Debug, Clone, PartialEq)]
pub struct ItemRecord {
    /// The turn the item belongs to.
    pub turn_id: String,
    /// Item id.
    pub id: String,
    /// Position of the item in its turn, from 0.
    pub seq: i64,
    /// The item, as JSON.
    pub item: Value,
}

/// Which timestamp orders a thread listing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ThreadOrder {
    /// By creation time.
    #[default]
    CreatedAt,
    /// By last update time.
    UpdatedAt,
    /// By recency; this server counts a thread's last update as its recency.
    RecencyAt,
}

impl ThreadOrder {
    /// The name used in cursors (the wire sort key).
    fn name(self) -> &'static str {
        match self {
            ThreadOrder::CreatedAt => "created_at",
            ThreadOrder::UpdatedAt => "updated_at",
            ThreadOrder::RecencyAt => "recency_at",
        }
    }

    /// The column holding the ordering timestamp.
    fn column(self) -> &'static str {
        match self {
            ThreadOrder::CreatedAt => "created_at",
            ThreadOrder::UpdatedAt | ThreadOrder::RecencyAt => "updated_at",
        }
    }

    /// The ordering timestamp of a thread.
    fn time_of(self, thread: &ThreadRecord) -> i64 {
        match self {
            ThreadOrder::CreatedAt => thread.created_at,
            ThreadOrder::UpdatedAt | ThreadOrder::RecencyAt => thread.updated_at,
        }
    }
}

/// Which way a thread listing runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ListDirection {
    /// Newest first.
    #[default]
    Descending,
    /// Oldest first.
    Ascending,
}

impl ListDirection {
    fn sql(self) -> &'static str {
        match self {
            ListDirection::Descending => "DESC",
            ListDirection::Ascending => "ASC",
        }
    }

    /// The comparison that moves past a cursor in this direction.
    fn beyond(self) -> &'static str {
        match self {
            ListDirection::Descending => "<",
            ListDirection::Ascending => ">",
        }
    }
}

/// Which threads a listing draws from, by lineage.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum ThreadLineage {
    /// Every thread that is not attached to another one.
    #[default]
    Unattached,
    /// Threads spawned directly by this thread.
    ChildrenOf(String),
    /// Threads spawned by this thread at any depth, excluding the thread itself.
    DescendantsOf(String),
    /// Persistent threads attached to this thread.
    AttachedTo(String),
}

/// A project filter of a listing.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum ProjectFilter {
    /// Every thread, assigned or not.
    #[default]
    Any,
    /// Only threads assigned to no project.
    Unassigned,
    /// Only threads assigned to this project.
    Project(String),
}

/// A `thread/list` query.
#[derive(Debug, Clone, Default)]
pub struct ThreadQuery {
    /// List archived threads instead of active ones.
    pub archived: bool,
    /// Only threads whose cwd is one of these.
    pub cwd: Option<Vec<String>>,
    /// Only threads of these model providers; empty means every provider.
    pub model_providers: Vec<String>,
    /// Only threads of these source kinds (`cli`, `appServer`, `subAgentReview`, …); empty means
    /// every kind.
    pub source_kinds: Vec<String>,
    /// Only threads whose title (name, else preview) contains this text, ignoring ASCII case.
    pub search_term: Option<String>,
    /// With a search term, also match threads whose messages contain it (`thread/search`).
    pub search_contents: bool,
    /// Lineage filter.
    pub lineage: ThreadLineage,
    /// With a search term, also list threads attached to another thread.
    pub include_attached: bool,
    /// Project filter.
    pub project: ProjectFilter,
    /// Only threads in this section; this server has no sections, so `Some(_)` matches nothing.
    pub section_id: Option<String>,
    /// Threads left out before the limit applies.
    pub excluded_ids: Vec<String>,
    /// Continue from this cursor (a `next_cursor` or `backwards_cursor` of an earlier page).
    pub cursor: Option<String>,
    /// Page size.
    pub limit: u32,
    /// Ordering key.
    pub order: ThreadOrder,
    /// Ordering direction.
    pub direction: ListDirection,
}

/// One page of a thread listing.
#[derive(Debug, Clone, Default)]
pub struct ThreadPage {
    /// The threads, in the query's order.
    pub threads: Vec<ThreadRecord>,
    /// Cursor for the next page in the same direction, when there is one.
    pub next_cursor: Option<String>,
    /// Cursor for listing the other way from the start of this page (inclusive of the first
    /// thread's whole timestamp), when the page is not empty.
    pub backwards_cursor: Option<String>,
}

/// Token usage of a thread as last reported, kept across restarts.
#[derive(Debug, Clone, PartialEq)]
pub struct TokenUsageRecord {
    /// The turn that last reported usage.
    pub turn_id: String,
    /// The JSON of the wire `ThreadTokenUsage` (`total`, `last`, `modelContextWindow`).
    pub usage: Value,
}

/// Where a cursor resumes a listing.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Cursor {
    /// The sort key it was made for.
    key: String,
    /// The ordering timestamp.
    time: i64,
    /// Resume strictly past this thread; `None` resumes at `time` itself, every thread with
    /// that timestamp included.
    after_id: Option<String>,
}

impl Cursor {
    fn parse(text: &str) -> Result<Self, StateError> {
        let invalid = || StateError::InvalidCursor(text.to_owned());
        let mut parts = text.splitn(3, '|');
        let (Some(key), Some(time), Some(id)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(invalid());
        };
        let time = time.parse().map_err(|_| invalid())?;
        let after_id = (!id.is_empty()).then(|| id.to_owned());
        Ok(Self { key: key.to_owned(), time, after_id })
    }

    fn encode(&self) -> String {
        format!("{}|{}|{}", self.key, self.time, self.after_id.as_deref().unwrap_or(""))
    }
}

/// A value bound to a `?` of a query built at run time.
enum Bind {
    Text(String),
    Int(i64),
    Bool(bool),
}

/// A `WHERE` clause under construction with its bound values, in order.
#[derive(Default)]
struct Filter {
    sql: String,
    binds: Vec<Bind>,
}

impl Filter {
    /// Adds `AND (condition)`, binding `binds` to its `?`s.
    fn and(&mut self, condition: &str, binds: impl IntoIterator<Item = Bind>) {
        self.sql.push_str(" AND (");
        self.sql.push_str(condition);
        self.sql.push(')');
        self.binds.extend(binds);
    }

    /// Adds `AND column IN (...)` over `values`.
    fn and_in(&mut self, column: &str, values: &[String]) {
        let marks = vec!["?"; values.len()].join(", ");
        self.and(&format!("{column} IN ({marks})"), values.iter().cloned().map(Bind::Text));
    }
}

/// Handle to the state database; cheap to clone.
#[derive(Debug, Clone)]
pub struct StateDb {
    pool: SqlitePool,
    path: PathBuf,
}

fn classify(path: &Path, err: sqlx::Error) -> StateError {
    let detail = err.to_string();
    let lower = detail.to_lowercase();
    if lower.contains("locked") || lower.contains("busy") {
        StateError::Locked { path: path.to_path_buf(), detail }
    } else if lower.contains("not a database")
        || lower.contains("malformed")
        || lower.contains("corrupt")
        || lower.contains("file is encrypted")
    {
        StateError::Corrupt { path: path.to_path_buf(), detail }
    } else {
        StateError::Sqlite(err)
    }
}

/// Refuses a non-empty file that does not start with SQLite's header before SQLite opens it:
/// SQLite would otherwise treat a `-wal` beside it as its own and delete it on close, so the
/// damaged files would not be left as they were.
fn check_header(path: &Path) -> Result<(), StateError> {
    use std::io::Read as _;
    const HEADER: &[u8; 16] = b"SQLite format 3\0";
    let Ok(file) = std::fs::File::open(path) else { return Ok(()) };
    let mut start = Vec::with_capacity(HEADER.len());
    if file.take(16).read_to_end(&mut start).is_err() || start.is_empty() {
        // Unreadable files are SQLite's to report; an empty one is a new database.
        return Ok(());
    }
    if start.as_slice() == HEADER {
        return Ok(());
    }
    Err(StateError::Corrupt {
        path: path.to_path_buf(),
        detail: "file is not a database: it does not start with the SQLite header".to_owned(),
    })
}

/// Renames `path` and its `-wal`/`-shm` companions to `<path>.corrupt-<stamp>` (plus `-1`, `-2`…
/// when taken), companions keeping their suffix so SQLite still pairs them. Returns the new path
/// of the database file.
fn move_aside(path: &Path, stamp: &str) -> Result<PathBuf, StateError> {
    let with_suffix = |base: &Path, suffix: &str| {
        let mut name = base.as_os_str().to_owned();
        name.push(suffix);
        PathBuf::from(name)
    };
    let mut target = with_suffix(path, &format!(".corrupt-{stamp}"));
    let mut attempt = 0;
    while ["", "-wal", "-shm"].iter().any(|suffix| with_suffix(&target, suffix).exists()) {
        attempt += 1;
        target = with_suffix(path, &format!(".corrupt-{stamp}-{attempt}"));
    }
    for suffix in ["", "-wal", "-shm"] {
        let from = with_suffix(path, suffix);
        if !from.exists() {
            continue;
        }
        let to = with_suffix(&target, suffix);
        std::fs::rename(&from, &to).map_err(|source| StateError::MoveAside {
            path: from.clone(),
            to,
            source,
        })?;
    }
    Ok(target)
}

/// `time` as `YYYYMMDDTHHMMSSZ` (UTC).
fn utc_timestamp(time: std::time::SystemTime) -> String {
    let seconds = time.duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
    let days = i64::try_from(seconds / 86_400).unwrap_or(0);
    let of_day = seconds % 86_400;
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}{month:02}{day:02}T{:02}{:02}{:02}Z",
        of_day / 3_600,
        of_day % 3_600 / 60,
        of_day % 60
    )
}

/// Creates the database file with mode 0600 when absent and narrows an existing database and
/// its `-wal`/`-shm` files to 0600: the file holds the relay token. SQLite creates the WAL and
/// shared-memory files with the database file's mode.
fn protect_files(path: &Path) -> Result<(), StateError> {
    use std::os::unix::fs::OpenOptionsExt;
    use std::os::unix::fs::PermissionsExt;
    let fail = |path: &Path| {
        let path = path.to_path_buf();
        move |source| StateError::Protect { path, source }
    };
    match std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(path) {
        Ok(_) => {}
        Err(err) if err.kind() == std::io::ErrorKind::AlreadyExists => {}
        Err(err) => return Err(fail(path)(err)),
    }
    let mut companions = vec![path.to_path_buf()];
    for suffix in ["-wal", "-shm"] {
        let mut name = path.as_os_str().to_owned();
        name.push(suffix);
        companions.push(PathBuf::from(name));
    }
    for file in companions {
        match std::fs::metadata(&file) {
            Ok(metadata) if metadata.permissions().mode() & 0o077 != 0 => {
                std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600))
                    .map_err(fail(&file))?;
            }
            Ok(_) => {}
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => {}
            Err(err) => return Err(fail(&file)(err)),
        }
    }
    Ok(())
}

impl StateDb {
    /// Opens (creating when absent) the database at `$CODEX_HOME/state.sqlite`.
    pub async fn open_in(codex_home: &Path) -> Result<Self, StateError> {
        Self::open(&codex_home.join(STATE_DB_FILE_NAME)).await
    }

    /// Opens (creating when absent) the database at `path`, checks it, and migrates it.
    pub async fn open(path: &Path) -> Result<Self, StateError> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)
                .map_err(|source| StateError::CreateDir { path: dir.to_path_buf(), source })?;
        }
        check_header(path)?;
        protect_files(path)?;
        let options = SqliteConnectOptions::from_str("sqlite://")
            .map_err(StateError::Sqlite)?
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(5));
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(options)
            .await
            .map_err(|err| classify(path, err))?;
        let db = Self { pool, path: path.to_path_buf() };
        let checked = match db.check_integrity().await {
            Ok(()) => db.migrate().await,
            Err(err) => Err(err),
        };
        if let Err(err) = checked {
            // Closed before returning: a connection left open could, on its last close, delete
            // the `-wal` file by name after the caller moved the database aside.
            db.pool.close().await;
            return Err(err);
        }
        Ok(db)
    }

    /// Like [`StateDb::open`], but a corrupt database is moved aside with its `-wal` and `-shm`
    /// files (to `state.sqlite.corrupt-<UTC timestamp>`, plus the same suffixes; never deleted)
    /// and a fresh one is created. Returns the database and where the corrupt one went.
    pub async fn open_recovering(path: &Path) -> Result<(Self, Option<PathBuf>), StateError> {
        match Self::open(path).await {
            Err(StateError::Corrupt { .. }) => {
                let moved = move_aside(path, &utc_timestamp(std::time::SystemTime::now()))?;
                let db = Self::open(path).await?;
                Ok((db, Some(moved)))
            }
            other => other.map(|db| (db, None)),
        }
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Runs `PRAGMA quick_check`; a database that fails it is reported as corrupt.
    pub async fn check_integrity(&self) -> Result<(), StateError> {
        let rows = sqlx::query("PRAGMA quick_check")
            .fetch_all(&self.pool)
            .await
            .map_err(|err| classify(&self.path, err))?;
        let findings: Vec<String> =
            rows.iter().filter_map(|row| row.try_get::<String, _>(0).ok()).collect();
        if findings.len() == 1 && findings[0] == "ok" {
            Ok(())
        } else {
            Err(StateError::Corrupt { path: self.path.clone(), detail: findings.join("; ") })
        }
    }

    async fn migrate(&self) -> Result<(), StateError> {
        let supported = MIGRATIONS.len() as i64;
        let found: i64 = sqlx::query_scalar("PRAGMA user_version")
            .fetch_one(&self.pool)
            .await
            .map_err(|err| classify(&self.path, err))?;
        if found > supported {
            return Err(StateError::TooNew { path: self.path.clone(), found, supported });
        }
        for (index, migration) in MIGRATIONS.iter().enumerate().skip(found as usize) {
            // One script per migration, run on one connection: the schema change and the version
            // bump commit together or not at all.
            let script = format!(
                "BEGIN IMMEDIATE;\n{migration}\nPRAGMA user_version = {};\nCOMMIT;",
                index + 1
            );
            if let Err(err) = sqlx::raw_sql(&script).execute(&self.pool).await {
                // Do not hand a connection with an open transaction back to the pool.
                self.pool.close().await;
                return Err(classify(&self.path, err));
            }
        }
        Ok(())
    }

    /// Closes every connection, checkpointing the WAL.
    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// Stores a new thread, or replaces the stored one with the same id.
    pub async fn upsert_thread(&self, thread: &ThreadRecord) -> Result<(), StateError> {
        let query = sqlx::query(
            "INSERT INTO threads (id, created_at, updated_at, name, preview, cwd, model, \
             model_provider, archived, forked_from_id, cli_version, settings, source, source_kind, \
             parent_thread_id, attached_to_thread_id, project_id) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) \
             ON CONFLICT (id) DO UPDATE SET updated_at = excluded.updated_at, name = excluded.name, \
             preview = excluded.preview, cwd = excluded.cwd, model = excluded.model, \
             model_provider = excluded.model_provider, archived = excluded.archived, \
             settings = excluded.settings, project_id = excluded.project_id",
        )
        .bind(&thread.id)
        .bind(thread.created_at)
        .bind(thread.updated_at)
        .bind(&thread.name)
        .bind(&thread.preview)
        .bind(&thread.cwd)
        .bind(&thread.model)
        .bind(&thread.model_provider)
        .bind(thread.archived)
        .bind(&thread.forked_from_id)
        .bind(&thread.cli_version)
        .bind(serde_json::to_string(&thread.settings)?)
        .bind(serde_json::to_string(&thread.source)?)
        .bind(source_kind(&thread.source))
        .bind(&thread.parent_thread_id)
        .bind(&thread.attached_to_thread_id)
        .bind(&thread.project_id);
        self.execute(query).await
    }

    /// Runs a statement that returns no rows.
    async fn execute<'q>(
        &self,
        query: sqlx::query::Query<'q, sqlx::Sqlite, sqlx::sqlite::SqliteArguments<'q>>,
    ) -> Result<(), StateError> {
        query.execute(&self.pool).await?;
        Ok(())
    }

    /// The stored thread with this id.
    pub async fn thread(&self, id: &str) -> Result<Option<ThreadRecord>, StateError> {
        let row = sqlx::query(&format!("SELECT {THREAD_COLUMNS} FROM threads WHERE id = ?"))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|row| thread_from_row(&row)).transpose()
    }

    /// Sets or clears a thread's archived flag; false when no such thread is stored.
    pub async fn set_archived(
        &self,
        id: &str,
        archived: bool,
        now: i64,
    ) -> Result<bool, StateError> {
        let done = sqlx::query("UPDATE threads SET archived = ?, updated_at = ? WHERE id = ?")
            .bind(archived)
            .bind(now)
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Sets a thread's name; false when no such thread is stored.
    pub async fn set_name(
        &self,
        id: &str,
        name: Option<&str>,
        now: i64,
    ) -> Result<bool, StateError> {
        let done = sqlx::query("UPDATE threads SET name = ?, updated_at = ? WHERE id = ?")
            .bind(name)
            .bind(now)
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    /// One page of threads in the query's order, from `query.cursor` on.
    pub async fn list_threads(&self, query: &ThreadQuery) -> Result<ThreadPage, StateError> {
        let column = query.order.column();
        let limit = query.limit.clamp(1, 1000);
        let mut filter = Filter::default();
        filter.and("archived = ?", [Bind::Bool(query.archived)]);
        if let Some(text) = &query.cursor {
            let cursor = Cursor::parse(text)?;
            if cursor.key != query.order.name() {
                return Err(StateError::InvalidCursor(text.clone()));
            }
            let beyond = query.direction.beyond();
            match cursor.after_id {
                Some(id) => filter.and(
                    &format!("{column} {beyond} ? OR ({column} = ? AND id {beyond} ?)"),
                    [Bind::Int(cursor.time), Bind::Int(cursor.time), Bind::Text(id)],
                ),
                None => filter.and(&format!("{column} {beyond}= ?"), [Bind::Int(cursor.time)]),
            }
        }
        if let Some(cwds) = &query.cwd {
            filter.and_in("cwd", cwds);
        }
        if !query.model_providers.is_empty() {
            filter.and_in("model_provider", &query.model_providers);
        }
        if !query.source_kinds.is_empty() {
            filter.and_in("source_kind", &query.source_kinds);
        }
        match &query.search_term {
            Some(term) if query.search_contents => filter.and(
                &format!(
                    "instr(lower(COALESCE(NULLIF(name, ''), preview)), lower(?)) > 0 OR EXISTS ({})",
                    content_match("1", "threads.id")
                ),
                [Bind::Text(term.clone()), Bind::Text(term.clone())],
            ),
            Some(term) => filter.and(
                "instr(lower(COALESCE(NULLIF(name, ''), preview)), lower(?)) > 0",
                [Bind::Text(term.clone())],
            ),
            None => {}
        }
        match &query.lineage {
            ThreadLineage::Unattached => {
                if !(query.include_attached && query.search_term.is_some()) {
                    filter.and("attached_to_thread_id IS NULL", []);
                }
            }
            ThreadLineage::ChildrenOf(parent) => filter.and(
                "parent_thread_id = ? AND attached_to_thread_id IS NULL",
                [Bind::Text(parent.clone())],
            ),
            ThreadLineage::DescendantsOf(ancestor) => filter.and(
                "id != ? AND attached_to_thread_id IS NULL AND id IN (\
                 WITH RECURSIVE descendants (id) AS (\
                 SELECT id FROM threads WHERE parent_thread_id = ? \
                 UNION SELECT child.id FROM threads AS child \
                 JOIN descendants ON child.parent_thread_id = descendants.id) \
                 SELECT id FROM descendants)",
                [Bind::Text(ancestor.clone()), Bind::Text(ancestor.clone())],
            ),
            ThreadLineage::AttachedTo(owner) => {
                filter.and("attached_to_thread_id = ?", [Bind::Text(owner.clone())])
            }
        }
        match &query.project {
            ProjectFilter::Any => {}
            ProjectFilter::Unassigned => filter.and("project_id IS NULL", []),
            ProjectFilter::Project(project) => {
                filter.and("project_id = ?", [Bind::Text(project.clone())])
            }
        }
        if query.section_id.is_some() {
            // No thread belongs to a section on this server.
            filter.and("0", []);
        }
        if !query.excluded_ids.is_empty() {
            let marks = vec!["?"; query.excluded_ids.len()].join(", ");
            filter.and(
                &format!("id NOT IN ({marks})"),
                query.excluded_ids.iter().cloned().map(Bind::Text),
            );
        }
        let direction = query.direction.sql();
        let sql = format!(
            "SELECT {THREAD_COLUMNS} FROM threads WHERE 1{} ORDER BY {column} {direction}, id {direction} \
             LIMIT ?",
            filter.sql
        );
        let mut select = sqlx::query(&sql);
        for bind in filter.binds {
            select = match bind {
                Bind::Text(text) => select.bind(text),
                Bind::Int(int) => select.bind(int),
                Bind::Bool(flag) => select.bind(flag),
            };
        }
        let rows = select.bind(i64::from(limit) + 1).fetch_all(&self.pool).await?;
        let mut threads = rows.iter().map(thread_from_row).collect::<Result<Vec<_>, _>>()?;
        let cursor_at = |thread: &ThreadRecord, after_id: Option<String>| {
            Cursor {
                key: query.order.name().to_owned(),
                time: query.order.time_of(thread),
                after_id,
            }
            .encode()
        };
        let next_cursor = if threads.len() > limit as usize {
            threads.truncate(limit as usize);
            threads.last().map(|last| cursor_at(last, Some(last.id.clone())))
        } else {
            None
        };
        let backwards_cursor = threads.first().map(|first| cursor_at(first, None));
        Ok(ThreadPage { threads, next_cursor, backwards_cursor })
    }

    /// Stores a thread's token usage as last reported, replacing what was stored.
    pub async fn set_token_usage(
        &self,
        thread_id: &str,
        usage: &TokenUsageRecord,
    ) -> Result<(), StateError> {
        let query = sqlx::query(
            "INSERT INTO thread_token_usage (thread_id, turn_id, usage) VALUES (?, ?, ?) \
             ON CONFLICT (thread_id) DO UPDATE SET turn_id = excluded.turn_id, usage = excluded.usage",
        )
        .bind(thread_id)
        .bind(&usage.turn_id)
        .bind(serde_json::to_string(&usage.usage)?);
        self.execute(query).await
    }

    /// A thread's token usage as last reported, if it ever reported any.
    pub async fn token_usage(
        &self,
        thread_id: &str,
    ) -> Result<Option<TokenUsageRecord>, StateError> {
        let row = sqlx::query("SELECT turn_id, usage FROM thread_token_usage WHERE thread_id = ?")
            .bind(thread_id)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|row| {
            let usage: String = row.try_get("usage")?;
            Ok(TokenUsageRecord {
                turn_id: row.try_get("turn_id")?,
                usage: serde_json::from_str(&usage)?,
            })
        })
        .transpose()
    }

    /// Stores a turn, or replaces the stored one with the same id.
    pub async fn upsert_turn(&self, turn: &TurnRecord) -> Result<(), StateError> {
        let error = turn.error.as_ref().map(serde_json::to_string).transpose()?;
        let query = sqlx::query(
            "INSERT INTO turns (thread_id, id, seq, status, started_at, completed_at, duration_ms, error) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?) \
             ON CONFLICT (thread_id, id) DO UPDATE SET status = excluded.status, \
             started_at = excluded.started_at, completed_at = excluded.completed_at, \
             duration_ms = excluded.duration_ms, error = excluded.error",
        )
        .bind(&turn.thread_id)
        .bind(&turn.id)
        .bind(turn.seq)
        .bind(&turn.status)
        .bind(turn.started_at)
        .bind(turn.completed_at)
        .bind(turn.duration_ms)
        .bind(error);
        self.execute(query).await
    }

    /// Every stored turn of a thread, in order.
    pub async fn turns(&self, thread_id: &str) -> Result<Vec<TurnRecord>, StateError> {
        let rows = sqlx::query(
            "SELECT thread_id, id, seq, status, started_at, completed_at, duration_ms, error \
             FROM turns WHERE thread_id = ? ORDER BY seq",
        )
        .bind(thread_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(turn_from_row).collect()
    }

    /// Stores an item durably (on disk when this returns), replacing one with the same id.
    pub async fn upsert_item(&self, thread_id: &str, item: &ItemRecord) -> Result<(), StateError> {
        let query = sqlx::query(
            "INSERT INTO items (thread_id, turn_id, id, seq, item) VALUES (?, ?, ?, ?, ?) \
             ON CONFLICT (thread_id, id) DO UPDATE SET item = excluded.item",
        )
        .bind(thread_id)
        .bind(&item.turn_id)
        .bind(&item.id)
        .bind(item.seq)
        .bind(serde_json::to_string(&item.item)?);
        self.execute(query).await
    }

    /// Every stored item of a thread, grouped by turn in turn order, each in item order.
    pub async fn items(&self, thread_id: &str) -> Result<Vec<ItemRecord>, StateError> {
        let rows = sqlx::query(
            "SELECT items.turn_id, items.id, items.seq, items.item FROM items \
             JOIN turns ON turns.thread_id = items.thread_id AND turns.id = items.turn_id \
             WHERE items.thread_id = ? ORDER BY turns.seq, items.seq",
        )
        .bind(thread_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(item_from_row).collect()
    }

    /// Appends entries to a thread's model history (what is sent to the provider), from `seq` on.
    pub async fn append_history(
        &self,
        thread_id: &str,
        turn_id: &str,
        first_seq: i64,
        entries: &[Value],
    ) -> Result<(), StateError> {
        let mut tx = self.pool.begin().await?;
        for (offset, entry) in entries.iter().enumerate() {
            sqlx::query(
                "INSERT INTO model_history (thread_id, seq, turn_id, item) VALUES (?, ?, ?, ?) \
                 ON CONFLICT (thread_id, seq) DO UPDATE SET turn_id = excluded.turn_id, item = excluded.item",
            )
            .bind(thread_id)
            .bind(first_seq + offset as i64)
            .bind(turn_id)
            .bind(serde_json::to_string(entry)?)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Replaces a thread's whole model history with `entries` (`(turn_id, entry)` pairs), in one
    /// transaction: after a compaction the old history is gone and nothing half-written remains.
    pub async fn replace_history(
        &self,
        thread_id: &str,
        entries: &[(String, Value)],
    ) -> Result<(), StateError> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("DELETE FROM model_history WHERE thread_id = ?")
            .bind(thread_id)
            .execute(&mut *tx)
            .await?;
        for (seq, (turn_id, entry)) in entries.iter().enumerate() {
            sqlx::query(
                "INSERT INTO model_history (thread_id, seq, turn_id, item) VALUES (?, ?, ?, ?)",
            )
            .bind(thread_id)
            .bind(seq as i64)
            .bind(turn_id)
            .bind(serde_json::to_string(entry)?)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// A thread's model history, oldest first, as `(turn_id, entry)` pairs.
    pub async fn history(&self, thread_id: &str) -> Result<Vec<(String, Value)>, StateError> {
        let rows =
            sqlx::query("SELECT turn_id, item FROM model_history WHERE thread_id = ? ORDER BY seq")
                .bind(thread_id)
                .fetch_all(&self.pool)
                .await?;
        rows.iter()
            .map(|row| {
                let item: String = row.try_get("item")?;
                Ok((row.try_get("turn_id")?, serde_json::from_str(&item)?))
            })
            .collect()
    }

    /// The first message text of a thread (its items in order) that contains `term`, ignoring
    /// ASCII case.
    pub async fn first_content_match(
        &self,
        thread_id: &str,
        term: &str,
    ) -> Result<Option<String>, StateError> {
        let sql = format!("{} LIMIT 1", content_match("text.value", "?"));
        let found: Option<String> =
            sqlx::query_scalar(&sql).bind(thread_id).bind(term).fetch_optional(&self.pool).await?;
        Ok(found)
    }

    /// Removes `key` from the key/value table; true when it was there.
    pub async fn delete_value(&self, key: &str) -> Result<bool, StateError> {
        let done = sqlx::query("DELETE FROM key_values WHERE key = ?")
            .bind(key)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() > 0)
    }

    /// The stored value for `key` in the key/value table.
    pub async fn get_value(&self, key: &str) -> Result<Option<Value>, StateError> {
        let text: Option<String> = sqlx::query_scalar("SELECT value FROM key_values WHERE key = ?")
            .bind(key)
            .fetch_optional(&self.pool)
            .await?;
        Ok(text.map(|text| serde_json::from_str(&text)).transpose()?)
    }

    /// Stores `value` under `key` in the key/value table.
    pub async fn set_value(&self, key: &str, value: &Value) -> Result<(), StateError> {
        let query = sqlx::query(
            "INSERT INTO key_values (key, value) VALUES (?, ?) \
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        )
        .bind(key)
        .bind(serde_json::to_string(value)?);
        self.execute(query).await
    }
}

/// A remote-control client paired with this server: only the public half of its key is kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteClientRecord {
    /// `rcc_…`, derived from the public key.
    pub client_id: String,
    /// The ed25519 public key, base64url.
    pub public_key: String,
    /// The name it gave when pairing.
    pub display_name: String,
    /// When it paired, seconds since the Unix epoch.
    pub paired_at: i64,
    /// When it last authenticated a stream, seconds since the Unix epoch.
    pub last_seen_at: Option<i64>,
}

impl StateDb {
    /// Every paired remote-control client, oldest pairing first.
    pub async fn remote_clients(&self) -> Result<Vec<RemoteClientRecord>, StateError> {
        let rows = sqlx::query(
            "SELECT client_id, public_key, display_name, paired_at, last_seen_at \
             FROM remote_control_clients ORDER BY paired_at, client_id",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(RemoteClientRecord {
                    client_id: row.try_get("client_id")?,
                    public_key: row.try_get("public_key")?,
                    display_name: row.try_get("display_name")?,
                    paired_at: row.try_get("paired_at")?,
                    last_seen_at: row.try_get("last_seen_at")?,
                })
            })
            .collect()
    }

    /// Stores a newly paired remote-control client (replacing one with the same id).
    pub async fn insert_remote_client(
        &self,
        client: &RemoteClientRecord,
    ) -> Result<(), StateError> {
        let query = sqlx::query(
            "INSERT OR REPLACE INTO remote_control_clients \
             (client_id, public_key, display_name, paired_at, last_seen_at) VALUES (?, ?, ?, ?, ?)",
        )
        .bind(&client.client_id)
        .bind(&client.public_key)
        .bind(&client.display_name)
        .bind(client.paired_at)
        .bind(client.last_seen_at);
        self.execute(query).await
    }

    /// Forgets a remote-control client; returns whether it was stored.
    pub async fn remove_remote_client(&self, client_id: &str) -> Result<bool, StateError> {
        let result = sqlx::query("DELETE FROM remote_control_clients WHERE client_id = ?")
            .bind(client_id)
            .execute(&self.pool)
            .await?;
        Ok(result.rows_affected() > 0)
    }

    /// Records when a remote-control client last authenticated a stream.
    pub async fn touch_remote_client(&self, client_id: &str, at: i64) -> Result<(), StateError> {
        let query =
            sqlx::query("UPDATE remote_control_clients SET last_seen_at = ? WHERE client_id = ?")
                .bind(at)
                .bind(client_id);
        self.execute(query).await
    }
}

fn thread_from_row(row: &sqlx::sqlite::SqliteRow) -> Result<ThreadRecord, StateError> {
    Ok(ThreadRecord {
        id: row.try_get("id")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
        name: row.try_get("name")?,
        preview: row.try_get("preview")?,
        cwd: row.try_get("cwd")?,
        model: row.try_get("model")?,
        model_provider: row.try_get("model_provider")?,
        archived: row.try_get("archived")?,
        forked_from_id: row.try_get("forked_from_id")?,
        cli_version: row.try_get("cli_version")?,
        settings: json_column(row, "settings")?,
        source: json_column(row, "source")?,
        parent_thread_id: row.try_get("parent_thread_id")?,
        attached_to_thread_id: row.try_get("attached_to_thread_id")?,
        project_id: row.try_get("project_id")?,
    })
}

fn turn_from_row(row: &sqlx::sqlite::SqliteRow) -> Result<TurnRecord, StateError> {
    let error: Option<String> = row.try_get("error")?;
    Ok(TurnRecord {
        thread_id: row.try_get("thread_id")?,
        id: row.try_get("id")?,
        seq: row.try_get("seq")?,
        status: row.try_get("status")?,
        started_at: row.try_get("started_at")?,
        completed_at: row.try_get("completed_at")?,
        duration_ms: row.try_get("duration_ms")?,
        error: error.map(|text| serde_json::from_str(&text)).transpose()?,
    })
}

fn item_from_row(row: &sqlx::sqlite::SqliteRow) -> Result<ItemRecord, StateError> {
    Ok(ItemRecord {
        turn_id: row.try_get("turn_id")?,
        id: row.try_get("id")?,
        seq: row.try_get("seq")?,
        item: json_column(row, "item")?,
    })
}

/// A column holding JSON text, parsed.
fn json_column(row: &sqlx::sqlite::SqliteRow, column: &str) -> Result<Value, StateError> {
    let text: String = row.try_get(column)?;
    Ok(serde_json::from_str(&text)?)
}

/// A query selecting `columns` for each message text of thread `thread` (an SQL expression)
/// that contains the next bound `?`, ignoring ASCII case, items in order. Message texts are the
/// `text` strings of the stored items (user message parts, agent messages, plans).
fn content_match(columns: &str, thread: &str) -> String {
    format!(
        "SELECT {columns} FROM items AS item, json_tree(item.item) AS text \
         WHERE item.thread_id = {thread} AND text.key = 'text' AND text.type = 'text' \
         AND instr(lower(text.value), lower(?)) > 0 ORDER BY item.rowid, text.id"
    )
}

/// The `ThreadSourceKind` wire name of a stored `SessionSource`, for filtering listings.
pub fn source_kind(source: &Value) -> &'static str {
    match source {
        Value::String(kind) => match kind.as_str() {
            "cli" => "cli",
            "vscode" => "vscode",
            "exec" => "exec",
            "appServer" => "appServer",
            _ => "unknown",
        },
        Value::Object(map) => match map.get("subAgent") {
            Some(Value::String(kind)) if kind == "review" => "subAgentReview",
            Some(Value::String(kind)) if kind == "compact" => "subAgentCompact",
            Some(Value::Object(spawn)) if spawn.contains_key("thread_spawn") => {
                "subAgentThreadSpawn"
            }
            Some(_) => "subAgentOther",
            None => "unknown",
        },
        _ => "unknown",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_are_utc_calendar_time() {
        let at = |seconds| std::time::UNIX_EPOCH + Duration::from_secs(seconds);
        assert_eq!(utc_timestamp(at(0)), "19700101T000000Z");
        assert_eq!(utc_timestamp(at(951_825_600)), "20000229T120000Z");
        assert_eq!(utc_timestamp(at(1_767_225_599)), "20251231T235959Z");
    }

    #[test]
    fn moving_aside_keeps_every_file_and_never_overwrites() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(STATE_DB_FILE_NAME);
        let write_all = |tag: &str| {
            std::fs::write(&path, format!("db {tag}")).unwrap();
            std::fs::write(dir.path().join("state.sqlite-wal"), format!("wal {tag}")).unwrap();
        };
        write_all("one");
        let first = move_aside(&path, "STAMP").unwrap();
        assert_eq!(first, dir.path().join("state.sqlite.corrupt-STAMP"));
        write_all("two");
        let second = move_aside(&path, "STAMP").unwrap();
        assert_eq!(second, dir.path().join("state.sqlite.corrupt-STAMP-1"));
        let read = |name: &str| std::fs::read_to_string(dir.path().join(name)).unwrap();
        assert_eq!(read("state.sqlite.corrupt-STAMP"), "db one");
        assert_eq!(read("state.sqlite.corrupt-STAMP-wal"), "wal one");
        assert_eq!(read("state.sqlite.corrupt-STAMP-1"), "db two");
        assert_eq!(read("state.sqlite.corrupt-STAMP-1-wal"), "wal two");
        assert!(!path.exists());
        assert!(!dir.path().join("state.sqlite.corrupt-STAMP-shm").exists());
    }
}
