//! Helpers of the tests that run the `cannery` binary.
#![allow(dead_code)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// Runs `cannery` with `args`, feeding `stdin` (or an empty standard input).
pub fn cannery(args: &[&str], stdin: Option<&[u8]>) -> Output {
    run(None, args, stdin)
}

/// Runs `cannery` with `args` in the working directory `dir` (where it looks for its config
/// file), feeding `stdin`.
pub fn cannery_in(dir: &Path, args: &[&str], stdin: Option<&[u8]>) -> Output {
    run(Some(dir), args, stdin)
}

fn run(dir: Option<&Path>, args: &[&str], stdin: Option<&[u8]>) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_cannery"));
    command
        .args(args)
        // A user's model would make every run semantic (and slow): these runs are lexical.
        .env_remove("CANNERY_MODEL")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if let Some(dir) = dir {
        command.current_dir(dir);
    }
    let mut child = command.spawn().expect("the cannery binary runs");
    let mut pipe = child.stdin.take().unwrap();
    if let Some(input) = stdin {
        // A command that fails before reading all of it closes the pipe.
        let _ = pipe.write_all(input);
    }
    drop(pipe);
    child.wait_with_output().unwrap()
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).unwrap()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8(o.stderr.clone()).unwrap()
}

/// A fresh temporary folder for one test.
pub fn tmp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("cannery-cli-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

pub fn path(p: &Path) -> &str {
    p.to_str().unwrap()
}
