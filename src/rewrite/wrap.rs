//! `wrap`: injects a guard around a region and rewires every edge into and out of it.

use serde_json::Value;

use crate::error::WrapError;
use crate::graph::{is_exit, transitions, EdgeKind, ScopeGraph};
use crate::model::{is_distributed_map, Definition, ScopeId, StateType};
use crate::region::{Region, RegionSpec};
use crate::rewrite::edit::{catches_all, push_catcher, replace_key, set_transition, splice};
use crate::rewrite::marker::{marker_of, Role};
use crate::rewrite::names::{GuardVars, NameAllocator, MAX_STATE_NAME};
use crate::rewrite::options::{GuardOptions, Resolved, WaitMode};
use crate::rewrite::states::StateBuilder;
use crate::rewrite::unwrap::unwrap_guard;

/// What `wrap` did.
#[derive(Debug, Clone, PartialEq)]
pub struct Wrapped {
    /// The new definition.
    pub definition: Definition,
    /// The region that was guarded.
    pub region: Region,
    /// The guard's key (its variable prefix).
    pub guard: String,
    /// The key of an older guard on the same entry that was replaced, if any.
    pub replaced: Option<String>,
}

/// Guards a region of a definition. Wrapping a region whose entry is already guarded replaces
/// that guard, so wrapping twice gives the same result as wrapping once.
pub fn wrap(
    def: &Definition,
    spec: &RegionSpec,
    opts: &GuardOptions,
) -> Result<Wrapped, WrapError> {
    wrap_owned(def.clone(), spec, opts)
}

/// [`wrap`] for a definition the caller no longer needs, saving a copy of a large document.
pub fn wrap_owned(
    mut def: Definition,
    spec: &RegionSpec,
    opts: &GuardOptions,
) -> Result<Wrapped, WrapError> {
    let mut region = Region::resolve(&def, spec)?;
    let replaced = guard_entering(&def, &region);
    if let Some(key) = &replaced {
        def = unwrap_guard(&def, key)?;
        region = Region::resolve(&def, spec)?;
    }
    let resolved = opts.resolve(&region.entry)?;
    if resolved.wait == WaitMode::Callback {
        if let Some(map) = def.express_child_map(&region.scope) {
            return Err(WrapError::CallbackInExpressChild { map });
        }
    }
    check_names_prefix(&opts.names_prefix)?;
    let vars = GuardVars::allocate(&def);
    let mut names = NameAllocator::new(&def, &opts.names_prefix);
    guard_region(&mut def, &region, &resolved, &vars, &mut names);
    guard_enclosing(&mut def, &region.scope, &resolved, &vars, &mut names);
    Ok(Wrapped {
        definition: def,
        region,
        guard: vars.key,
        replaced,
    })
}

/// Longest `--names` prefix: the longest injected name plus a `-NN` suffix must stay within
/// the 80 characters Step Functions allows.
const MAX_NAMES_PREFIX: usize = MAX_STATE_NAME - "ReleaseExecutionLeasesOnError".len() - 4;

fn check_names_prefix(prefix: &str) -> Result<(), WrapError> {
    if prefix.chars().count() > MAX_NAMES_PREFIX {
        let reason = format!(
            "'{prefix}' is longer than {MAX_NAMES_PREFIX} characters; state names would pass \
             the 80 characters Step Functions allows"
        );
        return Err(WrapError::InvalidOption {
            option: "--names".into(),
            reason,
        });
    }
    Ok(())
}

/// The key of the guard whose check state leads into the region's entry, if there is one.
pub fn guard_entering(def: &Definition, region: &Region) -> Option<String> {
    let graph = ScopeGraph::build(def, &region.scope);
    graph.in_edges(&region.entry).into_iter().find_map(|e| {
        let state = def.state(&region.scope, e.from.as_deref()?)?;
        let m = marker_of(state.body)?;
        (m.role == Role::Check).then_some(m.guard)
    })
}

/// One change to a state of the region.
enum Edit {
    Retarget(String, EdgeKind, String),
    EndToNext(String, String),
    AddCatcher(String),
}

/// The exits of a region: (target or `None` for End, release state name), in first-seen order.
struct Exits(Vec<(Option<String>, String)>);

impl Exits {
    fn release_for(&mut self, target: Option<&str>, names: &mut NameAllocator) -> String {
        if let Some((_, name)) = self.0.iter().find(|(t, _)| t.as_deref() == target) {
            return name.clone();
        }
        let name = names.take("ReleaseLease");
        self.0.push((target.map(str::to_string), name.clone()));
        name
    }
}

fn plan_region_edits(
    def: &Definition,
    region: &Region,
    names: &mut NameAllocator,
) -> (Vec<Edit>, Exits, Option<String>) {
    let mut edits = Vec::new();
    let mut exits = Exits(Vec::new());
    let mut last = None;
    for s in def.states(&region.scope) {
        if !region.states.contains(s.name) {
            continue;
        }
        last = Some(s.name.to_string());
        for t in transitions(&s) {
            if !region.states.contains(&t.target) {
                let rel = exits.release_for(Some(&t.target), names);
                edits.push(Edit::Retarget(s.name.into(), t.kind, rel));
            }
        }
        if is_exit(&s) {
            let rel = exits.release_for(None, names);
            edits.push(Edit::EndToNext(s.name.into(), rel));
        }
        if s.ty.can_catch() && !catches_all(s.body) {
            edits.push(Edit::AddCatcher(s.name.into()));
        }
    }
    (edits, exits, last)
}

fn guard_region(
    def: &mut Definition,
    region: &Region,
    o: &Resolved,
    vars: &GuardVars,
    names: &mut NameAllocator,
) {
    let scope = &region.scope;
    let graph = ScopeGraph::build(def, scope);
    let entry_edges = region.entry_edges(&graph);
    let lang = def
        .state(scope, &region.entry)
        .map_or(def.query_language(), |s| def.state_language(s.body));
    let b = StateBuilder {
        lang,
        top_lang: def.query_language(),
        vars,
        opts: o,
    };

    let prepare = names.take("PrepareLease");
    let acquire = names.take("AcquireLease");
    let check = names.take("CheckLeaseStatus");
    let wait = (o.wait == WaitMode::Poll).then(|| names.take("WaitForLease"));
    let timeout = names.take("LeaseWaitTimeout");
    let not_granted = names.take("LeaseNotGranted");
    let (edits, exits, last) = plan_region_edits(def, region, names);
    let catches = edits.iter().any(|e| matches!(e, Edit::AddCatcher(_)));
    let on_error = catches.then(|| {
        (
            names.take("ReleaseLeaseOnError"),
            names.take("RethrowLeaseError"),
        )
    });

    for e in entry_edges {
        match (e.from, e.kind) {
            (Some(from), Some(kind)) => {
                if let Some(body) = def.state_mut(scope, &from) {
                    set_transition(body, kind, &prepare);
                }
            }
            _ => {
                if let Some(s) = def.scope_mut(scope) {
                    s.insert("StartAt".into(), prepare.clone().into());
                }
            }
        }
    }
    for edit in edits {
        match edit {
            Edit::Retarget(state, kind, rel) => {
                if let Some(body) = def.state_mut(scope, &state) {
                    set_transition(body, kind, &rel);
                }
            }
            Edit::EndToNext(state, rel) => {
                if let Some(body) = def.state_mut(scope, &state) {
                    replace_key(body, "End", "Next", rel.into());
                }
            }
            Edit::AddCatcher(state) => {
                let name = on_error.as_ref().map_or("", |(r, _)| r.as_str());
                let lang = def
                    .state(scope, &state)
                    .map_or(lang, |s| def.state_language(s.body));
                let catcher = StateBuilder { lang, ..b.clone() }.catcher(name);
                if let Some(body) = def.state_mut(scope, &state) {
                    push_catcher(body, catcher);
                }
            }
        }
    }

    let mut head = vec![(prepare, b.prepare(&acquire))];
    match wait {
        Some(wait) => head.extend([
            (acquire.clone(), b.acquire(&check)),
            (check, b.check(&region.entry, &wait, &timeout, &not_granted)),
            (wait, b.wait(&acquire)),
        ]),
        None => head.extend([
            (acquire.clone(), b.acquire_callback(&check, &timeout)),
            (check, b.check_callback(&region.entry, &not_granted)),
        ]),
    }
    head.extend([(timeout, b.timeout()), (not_granted, b.not_granted())]);
    let mut tail: Vec<(String, Value)> = exits
        .0
        .iter()
        .map(|(target, name)| (name.clone(), b.release(Role::Release, target.as_deref())))
        .collect();
    if let Some((rel, rethrow)) = on_error {
        tail.push((rel, b.release_on_error(&rethrow)));
        tail.push((rethrow, b.rethrow()));
    }
    if let Some(states) = def.scope_mut(scope).and_then(|s| s.get_mut("States")) {
        if let Some(states) = states.as_object_mut() {
            let last = last.as_deref().unwrap_or(&region.entry);
            splice(states, &region.entry, head, last, tail);
        }
    }
}

/// Adds a `releaseExecution` on the failure path of the outermost Map or Parallel state that
/// encloses the region within its execution (the chain stops at a distributed Map, whose items
/// run as executions of their own).
///
/// Only the outermost one: `releaseExecution` frees every slot the execution holds on the
/// semaphore, which is right only when nothing else in the execution can still hold one. When
/// a top-level state fails, every iteration and branch below it has been stopped; when a state
/// nested in another Map fails, the other iterations of that Map are still running, and
/// freeing their slots would let more holders in than the limit allows.
fn guard_enclosing(
    def: &mut Definition,
    scope: &ScopeId,
    o: &Resolved,
    vars: &GuardVars,
    names: &mut NameAllocator,
) {
    let mut outermost = None;
    let mut id = scope.clone();
    while let (Some(step), Some(parent)) = (id.0.last().cloned(), id.parent()) {
        let Some(state) = def.state(&parent, step.owner()) else {
            break;
        };
        if state.ty == StateType::Map && is_distributed_map(state.body) {
            break;
        }
        outermost = Some((parent.clone(), step.owner().to_string()));
        id = parent;
    }
    let Some((parent, owner)) = outermost else {
        return;
    };
    let Some(lang) = def
        .state(&parent, &owner)
        .map(|s| def.state_language(s.body))
    else {
        return;
    };
    let b = StateBuilder {
        lang,
        top_lang: def.query_language(),
        vars,
        opts: o,
    };
    let new_states = guard_owner(def, &parent, &owner, &b, names);
    if let Some(states) = def.scope_mut(&parent).and_then(|s| s.get_mut("States")) {
        if let Some(states) = states.as_object_mut() {
            splice(states, &owner, Vec::new(), &owner, new_states);
        }
    }
}

fn guard_owner(
    def: &mut Definition,
    parent: &ScopeId,
    owner: &str,
    b: &StateBuilder<'_>,
    names: &mut NameAllocator,
) -> Vec<(String, Value)> {
    let mut new_states = Vec::new();
    let Some(body) = def.state_mut(parent, owner) else {
        return new_states;
    };
    let mut by_target: Vec<(String, String)> = Vec::new();
    if let Some(Value::Array(catchers)) = body.get_mut("Catch") {
        for c in catchers.iter_mut() {
            let Some(target) = c.get("Next").and_then(Value::as_str).map(str::to_string) else {
                continue;
            };
            let rel = match by_target.iter().find(|(t, _)| *t == target) {
                Some((_, r)) => r.clone(),
                None => {
                    let r = names.take("ReleaseExecutionLeases");
                    new_states.push((
                        r.clone(),
                        b.release_execution(Role::ReleaseExecution, &target),
                    ));
                    by_target.push((target, r.clone()));
                    r
                }
            };
            if let Some(c) = c.as_object_mut() {
                c.insert("Next".into(), rel.into());
            }
        }
    }
    if !catches_all(body) {
        let rel = names.take("ReleaseExecutionLeasesOnError");
        let rethrow = names.take("RethrowError");
        push_catcher(body, b.execution_catcher(&rel));
        new_states.push((
            rel,
            b.release_execution(Role::ReleaseExecutionOnError, &rethrow),
        ));
        new_states.push((rethrow, b.rethrow_execution()));
    }
    new_states
}
