//! Reading inputs (a path, or `-` for stdin) and writing outputs atomically, so a failed run
//! never leaves a half-written file.

use std::fs;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

/// One input: the name used in messages and the text.
pub struct Input {
    /// `<stdin>` or the path as given.
    pub name: String,
    /// The path, for files.
    pub path: Option<PathBuf>,
    /// The contents.
    pub text: String,
}

/// Reads a path, or stdin for `-`.
pub fn read_input(path: &Path) -> Result<Input> {
    if path == Path::new("-") {
        let mut text = String::new();
        io::stdin()
            .read_to_string(&mut text)
            .context("<stdin>: cannot read")?;
        return Ok(Input {
            name: "<stdin>".into(),
            path: None,
            text,
        });
    }
    let name = path.display().to_string();
    let bytes = fs::read(path).with_context(|| format!("{name}: cannot read"))?;
    let text = String::from_utf8(bytes).with_context(|| format!("{name}: not UTF-8 text"))?;
    Ok(Input {
        name,
        path: Some(path.to_path_buf()),
        text,
    })
}

/// The inputs named on the command line; none means stdin.
pub fn inputs(files: &[PathBuf]) -> Vec<PathBuf> {
    if files.is_empty() {
        vec![PathBuf::from("-")]
    } else {
        files.to_vec()
    }
}

/// Writes `text` to `path` through a temporary file in the same directory, renamed over the
/// target; an existing file keeps its permissions.
pub fn write_atomic(path: &Path, text: &str) -> Result<()> {
    let name = path.display();
    // Write through a symbolic link to its target, instead of replacing the link.
    let resolved = fs::canonicalize(path).ok();
    let path = resolved.as_deref().unwrap_or(path);
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let mut tmp = tempfile::Builder::new()
        .prefix(".asl-guard-")
        .tempfile_in(&dir)
        .with_context(|| {
            format!(
                "{name}: cannot create a temporary file in '{}'",
                dir.display()
            )
        })?;
    tmp.write_all(text.as_bytes())
        .with_context(|| format!("{name}: cannot write"))?;
    tmp.as_file()
        .sync_all()
        .with_context(|| format!("{name}: cannot write"))?;
    if let Ok(meta) = fs::metadata(path) {
        fs::set_permissions(tmp.path(), meta.permissions())
            .with_context(|| format!("{name}: cannot keep permissions"))?;
    }
    tmp.persist(path)
        .map_err(|e| e.error)
        .with_context(|| format!("{name}: cannot replace"))?;
    Ok(())
}

/// Writes to stdout; a closed pipe is not an error.
pub fn print(text: &str) -> Result<()> {
    let mut out = io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        other => other.context("cannot write to stdout"),
    }
}
