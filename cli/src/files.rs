//! The guard on what a command writes: no output may be a file the command reads, nor another
//! of its outputs, however the paths are spelled (the same file is the same device and inode,
//! through links and `..` alike), standard input and output included. A command checks before
//! it writes anything, so a refused run leaves every file as it was.

use std::path::{Path, PathBuf};

/// What makes two paths the same file.
#[derive(Debug, PartialEq, Eq)]
enum Key {
    /// An existing file: its device and inode (where the platform has them), or its canonical
    /// path.
    File(u64, u64),
    #[cfg_attr(unix, allow(dead_code))]
    Path(PathBuf),
    /// A file that does not exist yet: its canonical folder and its name.
    New(PathBuf, std::ffi::OsString),
}

/// The key of an existing file's metadata.
#[cfg(unix)]
fn file_key(path: &Path, meta: &std::fs::Metadata) -> Key {
    use std::os::unix::fs::MetadataExt;
    let _ = path;
    Key::File(meta.dev(), meta.ino())
}

#[cfg(not(unix))]
fn file_key(path: &Path, _meta: &std::fs::Metadata) -> Key {
    Key::Path(std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf()))
}

/// The key of `path`, if it can be told.
fn key(path: &str) -> Option<Key> {
    let path = Path::new(path);
    match std::fs::metadata(path) {
        Ok(meta) => Some(file_key(path, &meta)),
        Err(_) => {
            let name = path.file_name()?.to_os_string();
            let parent = match path.parent() {
                Some(p) if !p.as_os_str().is_empty() => p,
                _ => Path::new("."),
            };
            Some(Key::New(std::fs::canonicalize(parent).ok()?, name))
        }
    }
}

/// The key of standard input or output when it is a regular file (`<` or `>` in a shell).
#[cfg(unix)]
fn stream_key(output: bool) -> Option<Key> {
    use std::os::fd::AsFd;
    let fd = if output {
        std::io::stdout().as_fd().try_clone_to_owned().ok()?
    } else {
        std::io::stdin().as_fd().try_clone_to_owned().ok()?
    };
    let meta = std::fs::File::from(fd).metadata().ok()?;
    meta.is_file().then(|| file_key(Path::new("-"), &meta))
}

#[cfg(not(unix))]
fn stream_key(_output: bool) -> Option<Key> {
    None
}

/// A file a command reads or writes: the flag that names it and its path (`-`, or `None` for
/// an output, is the standard stream).
pub struct Named<'a> {
    pub flag: &'a str,
    pub path: Option<&'a str>,
    /// Whether an output not given is not written at all (rather than standard output).
    optional: bool,
}

impl<'a> Named<'a> {
    pub fn new(flag: &'a str, path: Option<&'a str>) -> Self {
        Named {
            flag,
            path,
            optional: false,
        }
    }

    /// The same output, written only when given (as `--summary`).
    pub fn skip_if_absent(mut self) -> Self {
        self.optional = true;
        self
    }

    fn key(&self, output: bool) -> Option<Key> {
        if self.optional && self.path.is_none() {
            return None;
        }
        match self.path {
            None | Some("-") => stream_key(output),
            Some(path) => key(path),
        }
    }

    fn describe(&self, output: bool) -> String {
        match self.path {
            None | Some("-") if output => "standard output".to_string(),
            None | Some("-") => format!("{} (standard input)", self.flag),
            Some(path) => format!("{} {path}", self.flag),
        }
    }
}

/// Fails, naming both, when an output is the same file as an input or as another output.
/// Inputs that are not given (`path: None`) are skipped.
pub fn check_outputs(inputs: &[Named<'_>], outputs: &[Named<'_>]) -> Result<(), String> {
    let inputs: Vec<(String, Key)> = inputs
        .iter()
        .filter(|n| n.path.is_some())
        .filter_map(|n| Some((n.describe(false), n.key(false)?)))
        .collect();
    let mut written: Vec<(String, Key)> = Vec::new();
    for output in outputs {
        let Some(key) = output.key(true) else {
            continue;
        };
        let what = output.describe(true);
        if let Some((input, _)) = inputs.iter().find(|(_, k)| *k == key) {
            return Err(format!(
                "{what} is the same file as {input}: writing it would destroy what is read (nothing was written)"
            ));
        }
        if let Some((other, _)) = written.iter().find(|(_, k)| *k == key) {
            return Err(format!(
                "{what} is the same file as {other}: one would overwrite the other (nothing was written)"
            ));
        }
        written.push((what, key));
    }
    Ok(())
}

/// Fails, naming both, when two inputs are the same file.
pub fn check_distinct_inputs(inputs: &[Named<'_>]) -> Result<(), String> {
    let mut seen: Vec<(String, Key)> = Vec::new();
    for input in inputs {
        let Some(key) = input.key(false) else {
            continue;
        };
        let what = input.describe(false);
        if let Some((other, _)) = seen.iter().find(|(_, k)| *k == key) {
            return Err(format!("{what} is the same file as {other}"));
        }
        seen.push((what, key));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_file_however_spelled() {
        let dir = std::env::temp_dir().join(format!("cannery-files-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("sub")).unwrap();
        let a = dir.join("a.jsonl");
        std::fs::write(&a, "{}").unwrap();
        let a = a.to_str().unwrap();
        let dotted = format!("{}/sub/../a.jsonl", dir.display());
        let input = [Named::new("--input", Some(a))];
        assert!(check_outputs(&input, &[Named::new("--output", Some(&dotted))]).is_err());
        #[cfg(unix)]
        {
            let link = dir.join("link.jsonl");
            std::os::unix::fs::symlink(a, &link).unwrap();
            let hard = dir.join("hard.jsonl");
            std::fs::hard_link(a, &hard).unwrap();
            for other in [link, hard] {
                let out = [Named::new("--output", other.to_str())];
                assert!(check_outputs(&input, &out).is_err());
            }
        }
        // Two outputs that do not exist yet, spelled differently.
        let new = format!("{}/new.json", dir.display());
        let new_dotted = format!("{}/sub/../new.json", dir.display());
        let outs = [
            Named::new("--output", Some(&new)),
            Named::new("--summary", Some(&new_dotted)),
        ];
        let err = check_outputs(&input, &outs).unwrap_err();
        assert!(
            err.contains("--summary") && err.contains("--output"),
            "{err}"
        );
        // Different files pass.
        let other = format!("{}/other.jsonl", dir.display());
        assert!(check_outputs(&input, &[Named::new("--output", Some(&other))]).is_ok());
        assert!(check_distinct_inputs(&[
            Named::new("shard", Some(a)),
            Named::new("shard", Some(&dotted))
        ])
        .is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
