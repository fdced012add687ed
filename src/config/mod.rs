//! Reading config files: TOML and HCL lowered to one spanned tree, decoded per kind, with every
//! problem located at `file:line:col`.
//!
//! A config is a file, or a directory whose `*.toml` and `*.hcl` files (directly inside, sorted by
//! name) are merged.

mod build;
mod decode;
pub mod diagnostic;
pub mod fmt;
mod hcl;
pub mod locations;
pub mod node;
pub mod schema;
pub mod source;
mod toml;
pub mod types;
pub mod write;

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use diagnostic::Problem;
use source::{Format, SourceFile, Sources, Unreadable};
use types::Decoded;

use crate::model::Model;

/// A config that could not be read or is not valid, with the files needed to show why.
#[derive(Debug)]
pub struct Invalid {
    pub sources: Sources,
    pub problems: Vec<Problem>,
}

/// Reads, decodes and validates the config at `path` into a [`Model`].
pub fn load(path: &Path) -> Result<(Sources, Model), Invalid> {
    load_located(path).map(|(sources, model, _)| (sources, model))
}

/// [`load`], keeping where every resource and field was written for later checks.
pub fn load_located(path: &Path) -> Result<(Sources, Model, locations::Locations), Invalid> {
    load_deferring(path, false).map(|(sources, model, locations, _)| (sources, model, locations))
}

/// [`load_located`] for checking a config where its secrets may not be set (`validate` on a
/// laptop): a secret whose environment variable is unset is a warning, one per variable, and
/// the model holds an empty value for it, so it must never reach a service.
pub fn load_without_secrets(
    path: &Path,
) -> Result<(Sources, Model, locations::Locations, Vec<Problem>), Invalid> {
    load_deferring(path, true)
}

fn load_deferring(
    path: &Path,
    defer_secrets: bool,
) -> Result<(Sources, Model, locations::Locations, Vec<Problem>), Invalid> {
    let started = std::time::Instant::now();
    let sources = read_sources(path).map_err(|problem| Invalid {
        sources: Sources::default(),
        problems: vec![problem],
    })?;
    let read_us = started.elapsed().as_micros();
    let mut problems = Vec::new();
    let decoded = decode(&sources, &mut problems);
    let (unset, rest): (Vec<Problem>, Vec<Problem>) =
        problems.into_iter().partition(|p| p.unset_secret.is_some());
    problems = rest;
    let mut warnings = Vec::new();
    if defer_secrets {
        warnings = one_per_variable(unset, true);
    } else {
        problems.extend(one_per_variable(unset, false));
    }
    let decoded_us = started.elapsed().as_micros();
    let built = build::build(&decoded);
    tracing::debug!(
        files = sources.len(),
        read_us,
        decoded_us,
        built_us = started.elapsed().as_micros(),
        "config phases (cumulative)"
    );
    match built {
        Ok(model) if problems.is_empty() => {
            let locations = locations::Locations::of(&decoded);
            Ok((sources, model, locations, warnings))
        }
        Ok(_) => {
            problems.extend(warnings);
            Err(Invalid { sources, problems })
        }
        Err(more) => {
            problems.extend(more);
            problems.extend(warnings);
            Err(Invalid { sources, problems })
        }
    }
}

/// Unset secrets, one problem per variable: its first place, with how many more use it; as
/// warnings for `validate` when `deferred`.
fn one_per_variable(unset: Vec<Problem>, deferred: bool) -> Vec<Problem> {
    let mut firsts: Vec<(Problem, usize)> = Vec::new();
    for problem in unset {
        match firsts
            .iter_mut()
            .find(|(first, _)| first.unset_secret == problem.unset_secret)
        {
            Some((_, more)) => *more += 1,
            None => firsts.push((problem, 0)),
        }
    }
    firsts
        .into_iter()
        .map(|(mut problem, more)| {
            if more > 0 {
                let _ = write!(
                    problem.message,
                    " (and {more} more field{})",
                    if more == 1 { "" } else { "s" }
                );
            }
            if deferred {
                problem.message.push_str(": plan and apply will need it");
                problem.as_warning()
            } else {
                problem
            }
        })
        .collect()
}

/// Decodes every file of `sources`, adding problems (syntax included) to `problems`.
///
/// Files are parsed and decoded on up to one thread per core (a generated 10,000-object org is
/// four files), then merged in file order, so results and problems do not depend on the threads.
pub fn decode(sources: &Sources, problems: &mut Vec<Problem>) -> Decoded {
    let files: Vec<_> = sources.iter().collect();
    let threads = std::thread::available_parallelism()
        .map_or(1, std::num::NonZero::get)
        .min(files.len())
        .max(1);
    let mut parts: Vec<(Decoded, Vec<Problem>)> = Vec::with_capacity(files.len());
    if threads == 1 {
        parts.extend(files.iter().map(|(id, file)| decode_one(*id, file)));
    } else {
        // Largest files first, each worker taking the next one, so one big file does not wait
        // behind small ones.
        let mut order: Vec<usize> = (0..files.len()).collect();
        order.sort_by_key(|&i| std::cmp::Reverse(files[i].1.text.len()));
        let next = std::sync::atomic::AtomicUsize::new(0);
        let mut done: Vec<(usize, (Decoded, Vec<Problem>))> = std::thread::scope(|scope| {
            let workers: Vec<_> = (0..threads)
                .map(|_| {
                    scope.spawn(|| {
                        let mut mine = Vec::new();
                        loop {
                            let at = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                            let Some(&index) = order.get(at) else { break };
                            let (id, file) = files[index];
                            mine.push((index, decode_one(id, file)));
                        }
                        mine
                    })
                })
                .collect();
            workers
                .into_iter()
                .flat_map(|worker| worker.join().expect("a config worker panicked"))
                .collect()
        });
        done.sort_by_key(|(index, _)| *index);
        parts.extend(done.into_iter().map(|(_, part)| part));
    }
    let mut decoded = Decoded::default();
    for (part, part_problems) in parts {
        decoded.resources.extend(part.resources);
        decoded.settings.extend(part.settings);
        problems.extend(part_problems);
    }
    decoded
}

fn decode_one(id: source::FileId, file: &SourceFile) -> (Decoded, Vec<Problem>) {
    let mut decoded = Decoded::default();
    let mut problems = Vec::new();
    if let Some(unreadable) = &file.unreadable {
        problems.push(Problem::unreadable(id, file, unreadable));
    } else if let Some(table) = parse(id, file, &mut problems) {
        decode::decode_file(id, &table, &mut decoded, &mut problems);
    }
    (decoded, problems)
}

fn parse(
    id: source::FileId,
    file: &SourceFile,
    problems: &mut Vec<Problem>,
) -> Option<node::Table> {
    match file.format {
        Format::Toml => toml::parse(id, &file.text, problems),
        Format::Hcl => hcl::parse(id, &file.text, problems),
    }
}

/// The syntax problems of one file, for `fmt`, which formats only files that parse.
pub fn syntax_problems(sources: &Sources, id: source::FileId) -> Vec<Problem> {
    let file = sources.get(id);
    if let Some(unreadable) = &file.unreadable {
        return vec![Problem::unreadable(id, file, unreadable)];
    }
    let mut problems = Vec::new();
    if parse(id, file, &mut problems).is_none() && problems.is_empty() {
        unreachable!("a parse without a table reports why");
    }
    problems
}

/// The config files at `path`: the file itself, or the `*.toml` and `*.hcl` files directly in the
/// directory, sorted by name.
pub fn config_files(path: &Path) -> Result<Vec<PathBuf>, Problem> {
    let metadata = std::fs::metadata(path)
        .map_err(|err| Problem::new(format!("cannot read `{}`: {err}", path.display())))?;
    if metadata.is_file() {
        if Format::of(path).is_none() {
            return Err(Problem::new(format!(
                "`{}` is neither a .toml nor an .hcl file",
                path.display()
            )));
        }
        return Ok(vec![path.to_owned()]);
    }
    let entries = std::fs::read_dir(path).map_err(|err| {
        Problem::new(format!("cannot read directory `{}`: {err}", path.display()))
    })?;
    let mut files = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|err| {
            Problem::new(format!("cannot read directory `{}`: {err}", path.display()))
        })?;
        let file = entry.path();
        if Format::of(&file).is_some() {
            files.push(file);
        }
    }
    files.sort();
    if files.is_empty() {
        return Err(Problem::new(format!(
            "no .toml or .hcl files in `{}`",
            path.display()
        ))
        .help("point alertform at a config file or a directory of them, e.g. `examples/quickstart`"));
    }
    Ok(files)
}

/// The largest config file read: the biggest real configs are a few MB (100,000 objects ≈ 13 MB).
pub const MAX_FILE_BYTES: u64 = 64 << 20;

/// Reads a config file, refusing what is not a regular file (a FIFO or a device named `x.toml`
/// would block or never end) and files over [`MAX_FILE_BYTES`].
fn read_regular_file(file: &Path) -> std::io::Result<Vec<u8>> {
    use std::io::{Error, ErrorKind, Read};
    let metadata = std::fs::metadata(file)?;
    if !metadata.is_file() {
        return Err(Error::new(ErrorKind::InvalidInput, "not a regular file"));
    }
    let too_large = || {
        Error::new(
            ErrorKind::InvalidData,
            format!("larger than the limit of {} MiB", MAX_FILE_BYTES >> 20),
        )
    };
    if metadata.len() > MAX_FILE_BYTES {
        return Err(too_large());
    }
    // Sized from the metadata, so the file is read in one go rather than by doubling a buffer.
    let mut bytes = Vec::with_capacity(usize::try_from(metadata.len()).unwrap_or(0) + 1);
    std::fs::File::open(file)?
        .take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(too_large());
    }
    Ok(bytes)
}

/// Reads the config files at `path`. A file that cannot be read as text is kept with the problem,
/// so every file's problems are reported together.
pub fn read_sources(path: &Path) -> Result<Sources, Problem> {
    let mut sources = Sources::default();
    for file in config_files(path)? {
        let format = Format::of(&file).expect("config_files only lists .toml and .hcl files");
        let (text, unreadable) = match read_regular_file(&file) {
            Ok(bytes) => match String::from_utf8(bytes) {
                Ok(text) => (text, None),
                Err(err) => {
                    let at = err.utf8_error().valid_up_to();
                    let text = String::from_utf8_lossy(err.as_bytes()).into_owned();
                    (text, Some(Unreadable::NotUtf8 { at }))
                }
            },
            Err(err) => (String::new(), Some(Unreadable::Io(err.to_string()))),
        };
        let mut source = SourceFile::new(file, Arc::from(text), format);
        source.unreadable = unreadable;
        sources.push(source);
    }
    Ok(sources)
}

/// A model from one TOML text, for unit tests of what reads models.
#[cfg(test)]
pub fn from_toml(toml: &str) -> Model {
    let dir = tempfile::tempdir().expect("a temp dir");
    std::fs::write(dir.path().join("config.toml"), toml).expect("written");
    match load(dir.path()) {
        Ok((_, model)) => model,
        Err(invalid) => panic!("invalid test config: {:#?}", invalid.problems),
    }
}
