//! Fuzzy file search: a parallel, gitignore-aware walk (`ignore`) feeding a parallel fuzzy
//! matcher (`nucleo`).
//!
//! What is searched, as in the reference: every file and directory under each root, hidden ones
//! included, symlinks followed (unless the caller turns that off), `.gitignore`, `.ignore`,
//! `.git/info/exclude` and the global git excludes honoured, but only inside git repositories
//! (`require_git`), so a stray `~/.gitignore` containing `*` hides nothing elsewhere. Unlike the
//! reference, `.git` directories themselves are skipped.
//!
//! Matching uses nucleo's path configuration, case-insensitive with smart Unicode normalisation,
//! against each path relative to its root. Results are the best [`MAX_RESULTS`], sorted by score
//! (highest first) and then by path, each with the character indices of the matched characters.
//!
//! [`search`] answers one query and returns; a [`SearchSession`] keeps the walked entries on a
//! thread of its own, so each new query is matched against what was already walked (reusing
//! nucleo's incremental re-match when the new query extends the previous one) and replaces
//! the previous query at once.

use std::path::Path;
use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::sync::atomic::Ordering;
use std::sync::mpsc;
use std::sync::Arc;
use std::time::Duration;
use std::time::Instant;

use codex_app_server_protocol::v2::FuzzyFileSearchMatchType;
use codex_app_server_protocol::v2::FuzzyFileSearchResult;
use ignore::WalkBuilder;
use ignore::WalkState;
use nucleo::pattern::CaseMatching;
use nucleo::pattern::Normalization;
use nucleo::Injector;
use nucleo::Matcher;
use nucleo::Nucleo;
use nucleo::Snapshot;

/// Most matches returned per query.
pub const MAX_RESULTS: usize = 50;

/// How long one matcher tick may wait for the match workers, in milliseconds.
const TICK_MS: u64 = 10;

/// Least time between two interim `sessionUpdated` results of one session.
const UPDATE_INTERVAL: Duration = Duration::from_millis(50);

/// One directory to search.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchRoot {
    /// The root as the client gave it (echoed in results).
    pub given: String,
    /// The directory walked.
    pub path: PathBuf,
}

/// Options of a search.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SearchOptions {
    /// Follow symlinks (the reference does; confined remote clients do not).
    pub follow_links: bool,
    /// Threads for the walk and for matching (default: available cores, at most 12).
    pub threads: usize,
}

impl Default for SearchOptions {
    fn default() -> Self {
        let cores = std::thread::available_parallelism().map(usize::from).unwrap_or(1);
        Self { follow_links: true, threads: cores.clamp(1, 12) }
    }
}

/// One walked entry.
#[derive(Debug)]
struct Entry {
    root: usize,
    path: String,
    is_dir: bool,
}

fn new_matcher(notify: Arc<dyn Fn() + Sync + Send>, threads: usize) -> Nucleo<Entry> {
    Nucleo::new(nucleo::Config::DEFAULT.match_paths(), notify, Some(threads), 1)
}

fn set_query(nucleo: &mut Nucleo<Entry>, query: &str, previous: Option<&str>) {
    let append = previous.is_some_and(|previous| query.starts_with(previous));
    nucleo.pattern.reparse(0, query, CaseMatching::Ignore, Normalization::Smart, append);
}

/// Walks every root, pushing each entry below it into `injector`, until done or `cancel` is set.
fn walk(
    roots: &[SearchRoot],
    injector: &Injector<Entry>,
    cancel: &AtomicBool,
    options: SearchOptions,
) {
    for (index, root) in roots.iter().enumerate() {
        if cancel.load(Ordering::Relaxed) {
            return;
        }
        let walker = WalkBuilder::new(&root.path)
            .hidden(false)
            .follow_links(options.follow_links)
            .require_git(true)
            .filter_entry(|entry| entry.file_name() != ".git")
            .threads(options.threads)
            .build_parallel();
        walker.run(|| {
            let injector = injector.clone();
            let root_path = root.path.as_path();
            Box::new(move |entry| {
                if cancel.load(Ordering::Relaxed) {
                    return WalkState::Quit;
                }
                let Ok(entry) = entry else { return WalkState::Continue };
                if entry.depth() == 0 {
                    return WalkState::Continue;
                }
                let Ok(relative) = entry.path().strip_prefix(root_path) else {
                    return WalkState::Continue;
                };
                let is_dir = entry.file_type().is_some_and(|kind| kind.is_dir());
                let path = relative.to_string_lossy().into_owned();
                injector.push(Entry { root: index, path, is_dir }, |entry, columns| {
                    columns[0] = entry.path.as_str().into();
                });
                WalkState::Continue
            })
        });
    }
}

/// The best [`MAX_RESULTS`] matches of the snapshot, with scores and indices, sorted by score
/// and then path. Entries tied with the last one kept are looked at too, so the cut does not
/// depend on the order the parallel walk found them in.
fn top_matches(snapshot: &Snapshot<Entry>, roots: &[SearchRoot]) -> Vec<FuzzyFileSearchResult> {
    let pattern = snapshot.pattern().column_pattern(0);
    let mut matcher = Matcher::new(nucleo::Config::DEFAULT.match_paths());
    let mut results: Vec<FuzzyFileSearchResult> = Vec::new();
    let mut indices = Vec::new();
    let total = snapshot.matched_item_count();
    for item in snapshot.matched_items(0..total) {
        indices.clear();
        let column = &item.matcher_columns[0];
        let Some(score) = pattern.indices(column.slice(..), &mut matcher, &mut indices) else {
            continue;
        };
        if results.len() >= MAX_RESULTS && results.last().is_some_and(|last| score < last.score)
            || results.len() >= MAX_RESULTS * 20
        {
            break;
        }
        indices.sort_unstable();
        indices.dedup();
        let entry = item.data;
        let file_name = Path::new(&entry.path)
            .file_name()
            .map(|name| name.to_string_lossy().into_owned())
            .unwrap_or_else(|| entry.path.clone());
        results.push(FuzzyFileSearchResult {
            file_name,
            indices: Some(indices.clone()),
            match_type: if entry.is_dir {
                FuzzyFileSearchMatchType::Directory
            } else {
                FuzzyFileSearchMatchType::File
            },
            path: entry.path.clone(),
            root: roots.get(entry.root).map(|root| root.given.clone()).unwrap_or_default(),
            score,
        });
    }
    results.sort_by(|a, b| b.score.cmp(&a.score).then_with(|| a.path.cmp(&b.path)));
    results.truncate(MAX_RESULTS);
    results
}

/// Answers `query` over `roots`. When `cancel` is set it stops walking and matching and returns
/// the best of what was matched so far. An empty query matches nothing (and walks nothing).
pub fn search(
    roots: &[SearchRoot],
    query: &str,
    cancel: &AtomicBool,
    options: SearchOptions,
) -> Vec<FuzzyFileSearchResult> {
    if query.is_empty() || roots.is_empty() {
        return Vec::new();
    }
    let mut nucleo = new_matcher(Arc::new(|| {}), options.threads);
    set_query(&mut nucleo, query, None);
    let injector = nucleo.injector();
    std::thread::scope(|scope| {
        let walking = scope.spawn(|| walk(roots, &injector, cancel, options));
        // Match what is walked while the walk goes on.
        while !walking.is_finished() {
            let status = nucleo.tick(TICK_MS);
            if !status.running {
                std::thread::sleep(Duration::from_millis(2));
            }
        }
    });
    let walked = injector.injected_items();
    loop {
        if cancel.load(Ordering::Relaxed) {
            nucleo.tick(0);
            break;
        }
        let status = nucleo.tick(TICK_MS);
        if !status.running && nucleo.snapshot().item_count() == walked {
            break;
        }
    }
    top_matches(nucleo.snapshot(), roots)
}

/// What a [`SearchSession`] reports.
#[derive(Debug, Clone, PartialEq)]
pub enum SessionEvent {
    /// The (interim or final) matches of the latest query.
    Updated {
        /// The query.
        query: String,
        /// Its best matches.
        files: Vec<FuzzyFileSearchResult>,
    },
    /// The walk is complete and matching of the latest query is done.
    Completed,
}

enum Command {
    Query(String),
    WalkDone,
    Stop,
}

/// A search over fixed roots whose query changes: the walk runs once, on a thread of its own,
/// and each query is matched against everything walked so far, then against what follows.
/// Dropping it stops the walk and the matcher.
#[derive(Debug)]
pub struct SearchSession {
    commands: mpsc::Sender<Command>,
    cancel: Arc<AtomicBool>,
}

impl SearchSession {
    /// Starts walking `roots`; `sink` receives every event, in order, on the session's thread.
    /// Nothing is reported before the first [`SearchSession::update`].
    pub fn start(
        roots: Vec<SearchRoot>,
        options: SearchOptions,
        sink: impl FnMut(SessionEvent) + Send + 'static,
    ) -> std::io::Result<Self> {
        let (commands, receiver) = mpsc::channel();
        let cancel = Arc::new(AtomicBool::new(false));
        let session = Self { commands: commands.clone(), cancel: Arc::clone(&cancel) };
        let nucleo = new_matcher(Arc::new(|| {}), options.threads);
        let injector = nucleo.injector();
        let walk_roots = roots.clone();
        let walk_cancel = Arc::clone(&cancel);
        std::thread::Builder::new().name("file-search-walk".into()).spawn(move || {
            walk(&walk_roots, &injector, &walk_cancel, options);
            drop(injector);
            let _ = commands.send(Command::WalkDone);
        })?;
        std::thread::Builder::new()
            .name("file-search-session".into())
            .spawn(move || run_session(nucleo, roots, receiver, cancel, sink))?;
        Ok(session)
    }

    /// Replaces the query; results of the previous one are no longer reported.
    pub fn update(&self, query: String) {
        let _ = self.commands.send(Command::Query(query));
    }
}

impl Drop for SearchSession {
    fn drop(&mut self) {
        self.cancel.store(true, Ordering::Relaxed);
        let _ = self.commands.send(Command::Stop);
    }
}

fn run_session(
    mut nucleo: Nucleo<Entry>,
    roots: Vec<SearchRoot>,
    receiver: mpsc::Receiver<Command>,
    cancel: Arc<AtomicBool>,
    mut sink: impl FnMut(SessionEvent),
) {
    let mut query: Option<String> = None;
    let mut walk_done = false;
    // Matches of the current query not yet reported / completion not yet reported.
    let mut dirty = false;
    let mut completed = false;
    let mut last_update: Option<Instant> = None;
    loop {
        let idle = walk_done && (completed || query.is_none());
        let command = if idle {
            receiver.recv().map_err(|_| mpsc::RecvTimeoutError::Disconnected)
        } else {
            receiver.recv_timeout(Duration::from_millis(TICK_MS))
        };
        match command {
            Ok(Command::Query(next)) => {
                set_query(&mut nucleo, &next, query.as_deref());
                query = Some(next);
                dirty = true;
                completed = false;
                last_update = None;
            }
            Ok(Command::WalkDone) => walk_done = true,
            Ok(Command::Stop) | Err(mpsc::RecvTimeoutError::Disconnected) => return,
            Err(mpsc::RecvTimeoutError::Timeout) => {}
        }
        if cancel.load(Ordering::Relaxed) {
            return;
        }
        let Some(current) = query.clone() else {
            // Keep matching what is walked, so the first query starts from a full index.
            nucleo.tick(0);
            continue;
        };
        if current.is_empty() {
            if dirty {
                sink(SessionEvent::Updated { query: current, files: Vec::new() });
                dirty = false;
            }
            if walk_done && !completed {
                sink(SessionEvent::Completed);
                completed = true;
            }
            continue;
        }
        let status = nucleo.tick(TICK_MS);
        dirty |= status.changed;
        let settled = walk_done && !status.running;
        if dirty && (settled || last_update.is_none_or(|at| at.elapsed() >= UPDATE_INTERVAL)) {
            sink(SessionEvent::Updated {
                query: current,
                files: top_matches(nucleo.snapshot(), &roots),
            });
            dirty = false;
            last_update = Some(Instant::now());
        }
        if settled && !dirty && !completed {
            sink(SessionEvent::Completed);
            completed = true;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        for path in
            ["src/main.rs", "src/lib.rs", "docs/guide.md", ".hidden/secret.txt", "b/main.rs"]
        {
            let path = dir.path().join(path);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, "x").unwrap();
        }
        dir
    }

    fn root(dir: &Path) -> Vec<SearchRoot> {
        vec![SearchRoot { given: dir.display().to_string(), path: dir.to_path_buf() }]
    }

    #[test]
    fn finds_hidden_files_and_directories_with_indices() {
        let dir = tree();
        let cancel = AtomicBool::new(false);
        let results = search(&root(dir.path()), "secret", &cancel, SearchOptions::default());
        assert_eq!(results[0].path, ".hidden/secret.txt");
        assert_eq!(results[0].file_name, "secret.txt");
        assert_eq!(results[0].indices.as_deref(), Some(&[8, 9, 10, 11, 12, 13][..]));
        let results = search(&root(dir.path()), "docs", &cancel, SearchOptions::default());
        assert_eq!(results[0].match_type, FuzzyFileSearchMatchType::Directory);
        // Ties sort by path.
        let results = search(&root(dir.path()), "main.rs", &cancel, SearchOptions::default());
        let paths: Vec<&str> = results.iter().map(|r| r.path.as_str()).collect();
        assert_eq!(&paths[..2], ["b/main.rs", "src/main.rs"]);
        assert!(search(&root(dir.path()), "", &cancel, SearchOptions::default()).is_empty());
    }

    #[test]
    fn a_cancelled_search_returns_at_once() {
        let dir = tree();
        let cancel = AtomicBool::new(true);
        let started = Instant::now();
        let _ = search(&root(dir.path()), "main", &cancel, SearchOptions::default());
        assert!(started.elapsed() < Duration::from_secs(2));
    }

    #[test]
    fn a_session_reports_the_latest_query_then_completes() {
        let dir = tree();
        let (sender, receiver) = mpsc::channel();
        let session =
            SearchSession::start(root(dir.path()), SearchOptions::default(), move |event| {
                let _ = sender.send(event);
            })
            .unwrap();
        session.update("guide".into());
        let mut saw_update = false;
        while let SessionEvent::Updated { query, files } =
            receiver.recv_timeout(Duration::from_secs(10)).unwrap()
        {
            assert_eq!(query, "guide");
            saw_update = !files.is_empty() || saw_update;
        }
        assert!(saw_update);
    }
}
