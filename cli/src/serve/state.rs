//! The index a running `cannery serve` holds: snapshots for readers, inserts, the index file
//! persisted on a schedule and at shutdown, and reloaded when another process replaces it.
//!
//! # Life cycle and invariants
//!
//! - Readers take a snapshot (a clone of [`Index`]: a few reference counts) and score on it with
//!   no lock held; a writer builds the next index from a clone and swaps it in, so a reader never
//!   waits for an insert and never sees half of one.
//! - Every accepted insert is in the index that answers the next request, and in `pending` until
//!   a save that holds it has landed (the file is written to a temporary name and renamed, by
//!   [`Index::save`]). So at any moment the file plus `pending` is everything accepted, and a
//!   graceful shutdown that saves last loses nothing.
//! - The file is watched by polling its length and modification time (every few seconds), not
//!   with inotify: a save replaces the file by renaming, which ends an inotify watch on it, and
//!   a poll of one `stat` is cheap and portable. The server's own saves are recorded so that
//!   they are not taken for a replacement. When another process replaces the file (a nightly
//!   `cannery index`, say), it is loaded, the inserts not yet saved are applied to it again
//!   (those whose id it already holds are not), and it is swapped in.
//! - One task at a time touches the file (`file`, a tokio mutex held across the save or the
//!   load); inserts only wait for the short swap (`writer`).

use std::path::{Path, PathBuf};
use std::sync::{PoisonError, RwLock};
use std::time::{Instant, SystemTime};

use cannery::{Index, Reply};
use serde::Deserialize;

pub use crate::check::Reloader;

/// A sent reply to insert, as a client gives it. Unknown keys are errors.
#[derive(Deserialize, Clone)]
#[serde(deny_unknown_fields)]
pub struct NewReply {
    /// Its id: unique in the index.
    pub id: String,
    /// Its text.
    pub text: String,
    /// Its group (brand, tenant).
    pub group: Option<String>,
    /// The customer's message it answered.
    #[serde(alias = "customer")]
    pub message: Option<String>,
    /// When it was sent: Unix seconds, or a date and time as `cannery index` reads them.
    pub time: Option<Time>,
}

/// When a reply was sent: a number of seconds or a date and time.
#[derive(Deserialize, Clone)]
#[serde(untagged)]
pub enum Time {
    /// Unix seconds (or milliseconds).
    Seconds(i64),
    /// RFC 3339, `YYYY-MM-DD[ HH:MM:SS]` or the Twitter layout.
    Text(String),
}

impl NewReply {
    /// Its time in Unix seconds, or why it cannot be read.
    fn seconds(&self) -> Result<Option<i64>, String> {
        match &self.time {
            None => Ok(None),
            Some(Time::Seconds(s)) => Ok(Some(*s)),
            Some(Time::Text(t)) => crate::parse_time(t).map(Some).ok_or_else(|| {
                format!(
                    "reply {:?}: cannot read the time {t:?} (give Unix seconds or RFC 3339)",
                    self.id
                )
            }),
        }
    }
}

/// Why an insert was refused; nothing of its batch was inserted.
pub enum Refused {
    /// A reply is malformed (an empty id or text, an unreadable time).
    Invalid(String),
    /// An id is already in the index, or twice in the batch.
    Duplicate(String),
}

/// A stamp of the index file: its length and modification time.
type Stamp = (u64, Option<SystemTime>);

fn stamp(path: &Path) -> Option<Stamp> {
    let meta = std::fs::metadata(path).ok()?;
    Some((meta.len(), meta.modified().ok()))
}

/// The file as last loaded or saved.
struct FileState {
    seen: Option<Stamp>,
}

/// When the file was last saved, and how often it was reloaded (read by the health check,
/// which does not wait for a save).
#[derive(Default, Clone, Copy)]
struct FileStatus {
    saved_at: Option<SystemTime>,
    reloads: u64,
}

/// The inserts since the last save, numbered.
struct Writer {
    pending: Vec<(u64, NewReply)>,
    next: u64,
}

/// The served index and its file.
pub struct Served {
    index: RwLock<Index>,
    writer: tokio::sync::Mutex<Writer>,
    file: tokio::sync::Mutex<FileState>,
    status: std::sync::Mutex<FileStatus>,
    path: Option<PathBuf>,
    reload: Option<Reloader>,
    started: Instant,
}

/// What `GET /health` tells of the index.
pub struct Health {
    /// Replies in the index.
    pub replies: usize,
    /// Inserts not yet saved.
    pub pending: usize,
    /// The index file, if inserts are saved.
    pub path: Option<PathBuf>,
    /// When the server last saved the file.
    pub saved_at: Option<SystemTime>,
    /// How often the file was reloaded.
    pub reloads: u64,
    /// Seconds since the start.
    pub uptime: f64,
}

impl Served {
    /// `index`, saved to `path` (if any); `reload` loads `path` again when it is replaced.
    pub fn new(index: Index, path: Option<PathBuf>, reload: Option<Reloader>) -> Self {
        let seen = path.as_deref().and_then(stamp);
        Served {
            index: RwLock::new(index),
            writer: tokio::sync::Mutex::new(Writer {
                pending: Vec::new(),
                next: 0,
            }),
            file: tokio::sync::Mutex::new(FileState { seen }),
            status: std::sync::Mutex::default(),
            path,
            reload,
            started: Instant::now(),
        }
    }

    /// The index as it is now.
    pub fn snapshot(&self) -> Index {
        self.index
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    fn status(&self) -> std::sync::MutexGuard<'_, FileStatus> {
        self.status.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn swap(&self, index: Index) {
        *self.index.write().unwrap_or_else(PoisonError::into_inner) = index;
    }

    /// Inserts `replies`, all or none; returns the index's size after.
    pub async fn insert(&self, replies: Vec<NewReply>) -> Result<usize, Refused> {
        let mut times = Vec::with_capacity(replies.len());
        for r in &replies {
            if r.id.is_empty() {
                return Err(Refused::Invalid("a reply has an empty id".into()));
            }
            if r.text.trim().is_empty() {
                return Err(Refused::Invalid(format!("reply {:?} has no text", r.id)));
            }
            times.push(r.seconds().map_err(Refused::Invalid)?);
        }
        let mut writer = self.writer.lock().await;
        let mut next = self.snapshot();
        let mut ids = std::collections::HashSet::new();
        for r in &replies {
            if next.contains_id(&r.id) || !ids.insert(r.id.as_str()) {
                return Err(Refused::Duplicate(r.id.clone()));
            }
        }
        let next = tokio::task::block_in_place(|| {
            next.extend(replies.iter().zip(&times).map(|(r, t)| reply_of(r, *t)));
            next
        });
        let len = next.len();
        self.swap(next);
        for r in replies {
            let n = writer.next;
            writer.next += 1;
            writer.pending.push((n, r));
        }
        Ok(len)
    }

    /// Saves the index if inserts are pending; returns how many were saved. The inserts that
    /// arrive during the save stay pending.
    pub async fn persist(&self) -> Result<usize, String> {
        let Some(path) = self.path.clone() else {
            return Ok(0);
        };
        let mut file = self.file.lock().await;
        let (snapshot, upto) = {
            let writer = self.writer.lock().await;
            if writer.pending.is_empty() {
                return Ok(0);
            }
            (self.snapshot(), writer.next)
        };
        let saved = path.clone();
        tokio::task::spawn_blocking(move || snapshot.save(&saved))
            .await
            .map_err(|e| e.to_string())?
            .map_err(|e| format!("cannot save {}: {}", path.display(), crate::chain(&e)))?;
        file.seen = stamp(&path);
        self.status().saved_at = Some(SystemTime::now());
        let mut writer = self.writer.lock().await;
        let before = writer.pending.len();
        writer.pending.retain(|(n, _)| *n >= upto);
        Ok(before - writer.pending.len())
    }

    /// Loads the index file again if another process replaced it; returns whether it did.
    pub async fn reload_if_replaced(&self) -> Result<bool, String> {
        let (Some(path), Some(reload)) = (self.path.as_deref(), self.reload.as_ref()) else {
            return Ok(false);
        };
        let mut file = self.file.lock().await;
        let now = stamp(path);
        if now.is_none() || now == file.seen {
            return Ok(false);
        }
        let fresh = tokio::task::block_in_place(|| reload(path));
        // Whatever happens, this version of the file is not tried again.
        file.seen = now;
        let mut fresh = fresh?;
        let writer = self.writer.lock().await;
        let missing: Vec<&NewReply> = writer
            .pending
            .iter()
            .map(|(_, r)| r)
            .filter(|r| !fresh.contains_id(&r.id))
            .collect();
        tokio::task::block_in_place(|| {
            fresh.extend(
                missing
                    .iter()
                    .map(|r| reply_of(r, r.seconds().ok().flatten())),
            )
        });
        self.swap(fresh);
        self.status().reloads += 1;
        Ok(true)
    }

    /// What the health check tells.
    pub async fn health(&self) -> Health {
        let pending = self.writer.lock().await.pending.len();
        let status = *self.status();
        Health {
            replies: self.snapshot().len(),
            pending,
            path: self.path.clone(),
            saved_at: status.saved_at,
            reloads: status.reloads,
            uptime: self.started.elapsed().as_secs_f64(),
        }
    }
}

fn reply_of(r: &NewReply, time: Option<i64>) -> Reply<'_> {
    let mut reply = Reply::new(&r.id, &r.text);
    if let Some(g) = &r.group {
        reply = reply.group(g);
    }
    if let Some(m) = &r.message {
        reply = reply.message(m);
    }
    if let Some(t) = time {
        reply = reply.time(t);
    }
    reply
}
