//! Carrying out one command: resolve the flags, call the library, write results, pick the
//! exit code.

use std::collections::BTreeSet;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{anyhow, bail, Context, Result};
use asl_guard::check::{lint, CheckOptions, Finding, Severity};
use asl_guard::model::{Definition, Format};
use asl_guard::region::{Region, RegionSpec};
use asl_guard::rewrite::unwrap::{guard_entry, guards};
use asl_guard::rewrite::{unwrap_all, unwrap_guard, wrap_owned, GuardOptions, WaitMode};
use asl_guard::{emit, export, external};
use clap::CommandFactory;

use super::args::{
    CheckArgs, Cli, ColorChoice, Command, GraphArgs, GraphFormatArg, OutputArgs, OutputFormat,
    UnwrapArgs, WaitArg, WorkflowType, WrapArgs,
};
use super::io::{inputs, print, read_input, write_atomic, Input};

/// Turns on `log` output for `--debug` and `--trace`.
pub fn init_logging(cli: &Cli) {
    let level = match (cli.trace, cli.debug) {
        (true, _) => log::LevelFilter::Trace,
        (_, true) => log::LevelFilter::Debug,
        _ => log::LevelFilter::Warn,
    };
    env_logger::Builder::new()
        .filter_level(level)
        .format_timestamp(None)
        .init();
}

/// Runs the parsed command line.
pub fn run(cli: Cli) -> Result<ExitCode> {
    let color = cli.color;
    match cli.command {
        Command::Wrap(a) => run_wrap(a),
        Command::Unwrap(a) => run_unwrap(a),
        Command::Check(a) => run_check(a, color),
        Command::Graph(a) => run_graph(a),
        Command::External => run_external(),
        Command::Completions { shell } => {
            let mut cmd = Cli::command();
            let mut buf = Vec::new();
            clap_complete::generate(shell, &mut cmd, "asl-guard", &mut buf);
            print(&String::from_utf8_lossy(&buf))?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn parse(input: &Input) -> Result<Definition> {
    Definition::parse(&input.text).map_err(|e| anyhow!("{}: {e}", input.name))
}

/// One input rewritten in memory, not yet written anywhere.
struct Rewritten {
    input: Input,
    text: String,
}

/// Reads, parses and rewrites one input; every error names the input.
fn rewrite_one(
    out: &OutputArgs,
    path: &Path,
    transform: &dyn Fn(Definition) -> Result<Definition>,
) -> Result<Rewritten> {
    let input = read_input(path)?;
    if out.in_place && input.path.is_none() {
        bail!("--in-place needs a file, not <stdin>");
    }
    let def = parse(&input)?;
    let input_format = def.format;
    let result = transform(def).map_err(|e| anyhow!("{}: {e:#}", input.name))?;
    let format = match out.format {
        Some(OutputFormat::Json) => Format::Json,
        Some(OutputFormat::Yaml) => Format::Yaml,
        None => input_format,
    };
    let text = emit::render(&result.root, format, usize::from(out.indent));
    Ok(Rewritten { input, text })
}

/// Applies `transform` to each input and writes the results as the output flags say.
///
/// Two phases: every input is rewritten in memory first, and only when all of them succeeded
/// is anything written, so a failure in one file of several leaves every file as it was. Each
/// failing file is reported with its own message.
fn rewrite_files(
    out: &OutputArgs,
    transform: &dyn Fn(Definition) -> Result<Definition>,
) -> Result<ExitCode> {
    let files = inputs(&out.files);
    if files.len() > 1 && !(out.in_place || out.check) {
        bail!("several input files need --in-place or --check");
    }
    if files.len() > 1 && out.output.is_some() {
        bail!("--output takes one input file");
    }
    let results: Vec<Result<Rewritten>> = files
        .iter()
        .map(|path| rewrite_one(out, path, transform))
        .collect();
    if out.check {
        return report_check(out, &results);
    }
    let failed = results.iter().filter(|r| r.is_err()).count();
    if failed > 0 {
        for e in results.iter().filter_map(|r| r.as_ref().err()) {
            eprintln!("asl-guard: {e:#}");
        }
        if files.len() > 1 {
            eprintln!(
                "asl-guard: {failed} of {} files failed; no file was written",
                files.len()
            );
        }
        return Ok(ExitCode::from(2));
    }
    let mut unwritten = 0;
    for r in results.into_iter().flatten() {
        if let Err(e) = deliver(out, &r.input, &r.text) {
            eprintln!("asl-guard: {e:#}");
            unwritten += 1;
        }
    }
    if unwritten > 0 && files.len() > 1 {
        eprintln!(
            "asl-guard: {unwritten} of {} files could not be written; the others were",
            files.len()
        );
    }
    Ok(if unwritten > 0 {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    })
}

/// `--check`: reports every input as would change, unchanged or failed; exits 2 when one
/// failed, else 1 when one would change.
fn report_check(out: &OutputArgs, results: &[Result<Rewritten>]) -> Result<ExitCode> {
    let (mut failed, mut changed) = (false, false);
    for r in results {
        match r {
            Ok(r) => changed |= compare(out, &r.input, &r.text),
            Err(e) => {
                eprintln!("asl-guard: {e:#}");
                failed = true;
            }
        }
    }
    Ok(match (failed, changed) {
        (true, _) => ExitCode::from(2),
        (false, true) => ExitCode::from(1),
        (false, false) => ExitCode::SUCCESS,
    })
}

/// Compares one result with the file (or `--output`) and says which it is; returns whether
/// they differ.
fn compare(out: &OutputArgs, input: &Input, text: &str) -> bool {
    let (name, current) = match &out.output {
        Some(o) => (
            o.display().to_string(),
            std::fs::read_to_string(o).unwrap_or_default(),
        ),
        None => (input.name.clone(), input.text.clone()),
    };
    let same = same_content(&current, text);
    let verdict = if same { "unchanged" } else { "would change" };
    eprintln!("asl-guard: {name}: {verdict}");
    !same
}

/// Writes one result: to `--output`, over the input file, or to stdout.
fn deliver(out: &OutputArgs, input: &Input, text: &str) -> Result<()> {
    match (&out.output, out.in_place, &input.path) {
        (Some(o), _, _) => write_atomic(o, text),
        (None, true, Some(p)) => write_atomic(p, text),
        _ => print(text),
    }
}

/// Same text, or the same document with the same key order written differently.
fn same_content(current: &str, wanted: &str) -> bool {
    if current == wanted {
        return true;
    }
    match (Definition::parse(current), Definition::parse(wanted)) {
        // Compared as compact text: `Value` equality ignores key order, this must not.
        (Ok(a), Ok(b)) => {
            serde_json::to_string(&a.root).ok() == serde_json::to_string(&b.root).ok()
        }
        _ => false,
    }
}

fn run_wrap(a: WrapArgs) -> Result<ExitCode> {
    let spec = RegionSpec {
        around: a.around.clone(),
        through: a.through.clone(),
    };
    let opts = GuardOptions {
        semaphore: a.semaphore.clone(),
        limit: a.limit,
        weight: a.weight,
        function: a.function.clone(),
        lease_seconds: a.lease_seconds,
        max_wait_seconds: a.max_wait,
        names_prefix: a.names.clone(),
        partition: a.partition.clone(),
        wait: match a.wait {
            WaitArg::Poll => WaitMode::Poll,
            WaitArg::Callback => WaitMode::Callback,
        },
        workflow_type: workflow_type(a.workflow_type),
    };
    rewrite_files(&a.out, &|def| {
        let w = wrap_owned(def, &spec, &opts)?;
        if let Some(old) = &w.replaced {
            log::debug!(
                "replaced guard '{old}' already entering '{}'",
                w.region.entry
            );
        }
        log::debug!(
            "guarded {:?} in {} as '{}'",
            w.region.states,
            w.region.scope,
            w.guard
        );
        Ok(w.definition)
    })
}

fn workflow_type(t: WorkflowType) -> asl_guard::rewrite::WorkflowType {
    match t {
        WorkflowType::Standard => asl_guard::rewrite::WorkflowType::Standard,
        WorkflowType::Express => asl_guard::rewrite::WorkflowType::Express,
    }
}

fn run_unwrap(a: UnwrapArgs) -> Result<ExitCode> {
    let around = a.around.clone();
    rewrite_files(&a.out, &|def| {
        let Some(state) = &around else {
            return Ok(unwrap_all(&def)?);
        };
        let key = guards(&def)
            .into_iter()
            .find(|k| guard_entry(&def, k).is_some_and(|(_, e)| e == *state))
            .with_context(|| format!("no guard enters state '{state}'"))?;
        Ok(unwrap_guard(&def, &key)?)
    })
}

fn use_color(choice: ColorChoice, terminal: bool) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => terminal && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()),
    }
}

fn run_check(a: CheckArgs, color: ColorChoice) -> Result<ExitCode> {
    let color = use_color(color, std::io::stdout().is_terminal());
    let opts = CheckOptions {
        express: a.workflow_type == WorkflowType::Express,
    };
    let (mut failed, mut unreadable) = (false, false);
    let mut report = String::new();
    for path in &a.files {
        // An unreadable file is reported and the others are still checked; it exits 2.
        let input = match read_input(path) {
            Ok(input) => input,
            Err(e) => {
                eprintln!("asl-guard: {e:#}");
                unreadable = true;
                continue;
            }
        };
        match Definition::parse(&input.text) {
            Err(e) => {
                failed = true;
                report.push_str(&format!(
                    "{}: {}: {e}\n",
                    input.name,
                    paint("error[syntax]", color)
                ));
            }
            Ok(def) => {
                for f in lint(&def, opts) {
                    failed |= f.severity == Severity::Error || a.deny_warnings;
                    report.push_str(&format_finding(&input, &f, color));
                }
            }
        }
    }
    print(&report)?;
    Ok(match (unreadable, failed) {
        (true, _) => ExitCode::from(2),
        (false, true) => ExitCode::from(1),
        (false, false) => ExitCode::SUCCESS,
    })
}

fn paint(text: &str, color: bool) -> String {
    if !color {
        return text.to_string();
    }
    let code = if text.starts_with("warning") {
        "33"
    } else {
        "31"
    };
    format!("\x1b[1;{code}m{text}\x1b[0m")
}

fn format_finding(input: &Input, f: &Finding, color: bool) -> String {
    let at = f
        .state
        .as_deref()
        .and_then(|s| locate(&input.text, s))
        .map(|(l, c)| format!(":{l}:{c}"))
        .unwrap_or_default();
    let head = format!("{}[{}]", f.severity, f.rule);
    let body = f.to_string();
    let rest = body.strip_prefix(&head).unwrap_or(&body);
    format!("{}{at}: {}{rest}\n", input.name, paint(&head, color))
}

/// Line and column of the key that defines a state, found by searching the text.
fn locate(text: &str, state: &str) -> Option<(usize, usize)> {
    let json_key = serde_json::to_string(state).ok()?;
    let candidates = [json_key.clone(), format!("{state}:")];
    for needle in &candidates {
        let mut from = 0;
        while let Some(i) = text[from..].find(needle.as_str()) {
            let at = from + i;
            let after = text[at + needle.len()..].trim_start();
            if needle.ends_with(':') || after.starts_with(':') {
                let line = text[..at].matches('\n').count() + 1;
                let col = at - text[..at].rfind('\n').map_or(0, |n| n + 1) + 1;
                return Some((line, col));
            }
            from = at + needle.len();
        }
    }
    None
}

fn run_graph(a: GraphArgs) -> Result<ExitCode> {
    let path = a.file.clone().unwrap_or_else(|| PathBuf::from("-"));
    let input = read_input(Path::new(&path))?;
    let def = parse(&input)?;
    let highlight: BTreeSet<String> = if a.around.is_empty() {
        BTreeSet::new()
    } else {
        let spec = RegionSpec {
            around: a.around.clone(),
            through: a.through.clone(),
        };
        Region::resolve(&def, &spec)
            .map_err(|e| anyhow!("{}: {e}", input.name))?
            .states
    };
    let format = match a.format {
        GraphFormatArg::Dot => export::GraphFormat::Dot,
        GraphFormatArg::Mermaid => export::GraphFormat::Mermaid,
    };
    print(&export::render(&def, format, &highlight))?;
    Ok(ExitCode::SUCCESS)
}

fn run_external() -> Result<ExitCode> {
    let input = read_input(Path::new("-"))?;
    let answer = external::answer(&input.text).map_err(|e| anyhow!("external: {e}"))?;
    print(&format!("{}\n", serde_json::to_string(&answer)?))?;
    Ok(ExitCode::SUCCESS)
}
