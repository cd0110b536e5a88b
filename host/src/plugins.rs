//! Rule plugins: WebAssembly components run by wasmtime in a sandbox.
//!
//! One [`Engine`] (with an on-disk compilation cache) serves every plugin; every call runs in a
//! fresh [`Store`] with a fuel budget, a memory cap and a cap on what it may return. The WASI
//! imports that `wasm32-wasip2` builds carry are satisfied by a context that grants nothing: no
//! files, no network, no environment, stdout discarded, stderr captured (to explain a panic).
//! Whatever a plugin does, it becomes findings or one `error` result naming it and the cause.

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};
use stockade_core::plugins::{PluginFinding, PluginInfo, PluginResource, PluginRule, PluginRun};
use stockade_core::report::{Control, Status};
use stockade_core::{Severity, plugins::PluginSpec};
use wasmtime::component::{Component, HasSelf, Linker, ResourceTable};
use wasmtime::{Config, Engine, Store, StoreLimits, StoreLimitsBuilder, Trap};
use wasmtime_wasi::p2::pipe::{MemoryOutputPipe, SinkOutputStream};
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};

wasmtime::component::bindgen!({
    path: "../wit",
    world: "rule-plugin",
});

use stockade::plugin::types as wit;

/// The contract version this Stockade speaks.
pub const CONTRACT: &str = "stockade:plugin/rule@0.1.0";

/// Default CPU budget per call, in wasm instructions (about a second of work).
pub const DEFAULT_FUEL: u64 = 1_000_000_000;
/// Default memory cap.
pub const DEFAULT_MEMORY_MIB: u32 = 64;
/// Most bytes of findings a plugin may return.
pub const MAX_OUTPUT: usize = 8 << 20;
/// Most bytes of stderr kept from a plugin (to explain a panic).
const MAX_STDERR: usize = 64 << 10;

/// Per-plugin limits.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Fuel per call.
    pub fuel: u64,
    /// Memory cap, bytes.
    pub memory: usize,
}

impl Limits {
    fn of(spec: &PluginSpec) -> Limits {
        Limits {
            fuel: spec.fuel.unwrap_or(DEFAULT_FUEL),
            memory: (spec.memory_mib.unwrap_or(DEFAULT_MEMORY_MIB) as usize) << 20,
        }
    }
}

struct State {
    wasi: WasiCtx,
    table: ResourceTable,
    limits: StoreLimits,
    plugin: String,
    logged: usize,
    stderr: MemoryOutputPipe,
}

impl WasiView for State {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

/// The types interface has no functions; the bindings still want it implemented.
impl wit::Host for State {}

impl stockade::plugin::host::Host for State {
    fn log(&mut self, level: stockade::plugin::host::LogLevel, message: String) {
        // A plugin may not flood the terminal: the first 100 lines, then silence.
        self.logged += 1;
        if self.logged <= 100 {
            let level = format!("{level:?}").to_lowercase();
            let message: String = message.chars().take(1000).collect();
            eprintln!("stockade: plugin {} [{level}]: {message}", self.plugin);
        }
    }
}

/// The wasmtime engine, linker and cache shared by every plugin of a run.
pub struct Sandbox {
    engine: Engine,
    linker: Linker<State>,
    cache: Option<wasmtime::Cache>,
}

/// A compiled plugin and what it says about itself.
pub struct Loaded {
    component: Component,
    /// Name, version, rules.
    pub info: PluginInfo,
    /// Whether the compiled code came from the cache.
    pub from_cache: bool,
}

/// Where compiled plugins are cached: `$STOCKADE_CACHE_DIR`, else the user's cache directory.
pub fn default_cache_dir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("STOCKADE_CACHE_DIR") {
        return Some(PathBuf::from(dir));
    }
    let base = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".cache")))?;
    Some(base.join("stockade").join("wasmtime"))
}

impl Sandbox {
    /// An engine with fuel metering and, when `cache_dir` is given, a compilation cache there
    /// (keyed by the component's hash, the wasmtime version and the compiler settings).
    pub fn new(cache_dir: Option<&Path>) -> anyhow::Result<Sandbox> {
        let mut config = Config::new();
        config.wasm_component_model(true).consume_fuel(true);
        let cache = match cache_dir {
            Some(dir) => {
                // wasmtime wants an absolute directory; `--plugin-cache .cache` should work too.
                let dir = std::path::absolute(dir)
                    .map_err(|e| anyhow::anyhow!("plugin cache {}: {e}", dir.display()))?;
                let dir = dir.as_path();
                let mut cache_config = wasmtime::CacheConfig::new();
                cache_config.with_directory(dir);
                let cache = wasmtime::Cache::new(cache_config)
                    .map_err(|e| anyhow::anyhow!("plugin cache {}: {e}", dir.display()))?;
                config.cache(Some(cache.clone()));
                Some(cache)
            }
            None => None,
        };
        let engine = Engine::new(&config).map_err(|e| anyhow::anyhow!("wasmtime: {e}"))?;
        let mut linker = Linker::new(&engine);
        wasmtime_wasi::p2::add_to_linker_sync(&mut linker)
            .map_err(|e| anyhow::anyhow!("wasmtime: {e}"))?;
        RulePlugin::add_to_linker::<_, HasSelf<_>>(&mut linker, |state| state)
            .map_err(|e| anyhow::anyhow!("wasmtime: {e}"))?;
        Ok(Sandbox {
            engine,
            linker,
            cache,
        })
    }

    fn store(&self, plugin: &str, limits: Limits) -> Store<State> {
        let stderr = MemoryOutputPipe::new(MAX_STDERR);
        let wasi = WasiCtx::builder()
            .stdout(SinkOutputStream)
            .stderr(stderr.clone())
            .allow_tcp(false)
            .allow_udp(false)
            .allow_ip_name_lookup(false)
            .build();
        let state = State {
            wasi,
            table: ResourceTable::new(),
            limits: StoreLimitsBuilder::new()
                .memory_size(limits.memory)
                .instances(64)
                .tables(64)
                .memories(16)
                .trap_on_grow_failure(true)
                .build(),
            plugin: plugin.to_owned(),
            logged: 0,
            stderr,
        };
        let mut store = Store::new(&self.engine, state);
        store.limiter(|s| &mut s.limits);
        // Setting fuel cannot fail once fuel metering is on.
        let _ = store.set_fuel(limits.fuel);
        store
    }

    /// Reads, checks and compiles a plugin, and asks it for its metadata.
    pub fn load(&self, path: &Path, spec: &PluginSpec) -> Result<Loaded, String> {
        let bytes = std::fs::read(path).map_err(|e| format!("cannot read it: {e}"))?;
        let digest = format!("{:x}", Sha256::digest(&bytes));
        if let Some(want) = &spec.sha256
            && !want.eq_ignore_ascii_case(&digest)
        {
            return Err(format!(
                "its sha256 is {digest}, but the policy pins {want}: refusing to run it"
            ));
        }
        if binary_kind(&bytes) != Some(true) {
            return Err("it is not a WebAssembly component (build it for wasm32-wasip2, or with wasm-tools component new)".to_owned());
        }
        let hits = self.cache.as_ref().map(wasmtime::Cache::cache_hits);
        let component = Component::new(&self.engine, &bytes)
            .map_err(|e| format!("it does not compile: {}", root_cause(&e)))?;
        let from_cache = match (&self.cache, hits) {
            (Some(cache), Some(before)) => cache.cache_hits() > before,
            _ => false,
        };
        check_contract(&self.engine, &component)?;
        let shown = path.display().to_string();
        let limits = Limits::of(spec);
        let mut store = self.store(&shown, limits);
        let instance = RulePlugin::instantiate(&mut store, &component, &self.linker)
            .map_err(|e| explain(&e, &store, limits))?;
        let meta = instance
            .stockade_plugin_rule()
            .call_metadata(&mut store)
            .map_err(|e| explain(&e, &store, limits))?;
        let info = info_of(meta, &shown)?;
        Ok(Loaded {
            component,
            info,
            from_cache,
        })
    }

    /// Instantiates a loaded plugin and has it validate its settings.
    pub fn validate(&self, plugin: &Loaded, spec: &PluginSpec) -> Result<(), String> {
        let limits = Limits::of(spec);
        let mut store = self.store(&plugin.info.name, limits);
        let instance = RulePlugin::instantiate(&mut store, &plugin.component, &self.linker)
            .map_err(|e| explain(&e, &store, limits))?;
        instance
            .stockade_plugin_rule()
            .call_validate_settings(&mut store, &settings_json(spec))
            .map_err(|e| explain(&e, &store, limits))?
            .map_err(|e| format!("rejected its settings: {}", clip(&e)))
    }

    /// Runs a loaded plugin on the scanned resources: its findings, or why there are none.
    pub fn run(
        &self,
        plugin: &Loaded,
        spec: &PluginSpec,
        resources: &[PluginResource],
        facts: &[String],
    ) -> Result<Vec<PluginFinding>, String> {
        let limits = Limits::of(spec);
        let settings = settings_json(spec);
        let mut store = self.store(&plugin.info.name, limits);
        let instance = RulePlugin::instantiate(&mut store, &plugin.component, &self.linker)
            .map_err(|e| explain(&e, &store, limits))?;
        let rule = instance.stockade_plugin_rule();
        rule.call_validate_settings(&mut store, &settings)
            .map_err(|e| explain(&e, &store, limits))?
            .map_err(|e| format!("rejected its settings: {}", clip(&e)))?;
        let input = wit::Evaluation {
            resources: resources
                .iter()
                .map(|r| wit::Resource {
                    kind: r.kind.clone(),
                    api_version: r.api_version.clone(),
                    namespace: r.namespace.clone(),
                    name: r.name.clone(),
                    object: r.object.clone(),
                    file: r.file.clone(),
                })
                .collect(),
            facts: facts.to_vec(),
            settings,
        };
        let findings = rule
            .call_evaluate(&mut store, &input)
            .map_err(|e| explain(&e, &store, limits))?
            .map_err(|e| format!("failed: {}", clip(&e)))?;
        let size: usize = findings
            .iter()
            .map(|f| {
                64 + f.rule.len()
                    + f.pointer.len()
                    + f.message.len()
                    + f.container.as_ref().map_or(0, String::len)
            })
            .sum();
        if size > MAX_OUTPUT {
            return Err(format!(
                "returned {} MiB of findings, more than the {} MiB a plugin may return",
                size >> 20,
                MAX_OUTPUT >> 20
            ));
        }
        Ok(findings
            .into_iter()
            .map(|f| PluginFinding {
                rule: f.rule,
                resource: f.resource,
                pointer: f.pointer,
                status: match f.status {
                    wit::Status::Pass => Status::Pass,
                    wit::Status::Fail => Status::Fail,
                    wit::Status::Manual => Status::Manual,
                },
                message: f.message,
                container: f.container,
            })
            .collect())
    }
}

fn settings_json(spec: &PluginSpec) -> String {
    spec.settings
        .as_ref()
        .map_or_else(|| "{}".to_owned(), serde_json::Value::to_string)
}

/// `Some(true)` for a component, `Some(false)` for a core module, `None` for anything else
/// (from the preamble: magic, then version 0x0d and layer 1 for components).
fn binary_kind(bytes: &[u8]) -> Option<bool> {
    match bytes.get(..8)? {
        [0, b'a', b's', b'm', _, _, 1, 0] => Some(true),
        [0, b'a', b's', b'm', 1, 0, 0, 0] => Some(false),
        _ => None,
    }
}

/// Refuses a component built against another contract version, by its exports' names.
fn check_contract(engine: &Engine, component: &Component) -> Result<(), String> {
    let ty = component.component_type();
    let exports: Vec<String> = ty
        .exports(engine)
        .map(|(name, _)| name.to_owned())
        .collect();
    if exports.iter().any(|e| e == CONTRACT) {
        return Ok(());
    }
    match exports
        .iter()
        .find(|e| e.starts_with("stockade:plugin/rule@"))
    {
        Some(other) => Err(format!(
            "it implements {other}, but this Stockade speaks {CONTRACT}: rebuild it against this contract"
        )),
        None => Err(format!(
            "it is not a Stockade rule plugin: it does not export {CONTRACT} (it exports: {})",
            if exports.is_empty() {
                "nothing".to_owned()
            } else {
                exports.join(", ")
            }
        )),
    }
}

fn clip(text: &str) -> String {
    let mut out: String = text.chars().take(500).collect();
    if out.len() < text.len() {
        out.push('…');
    }
    out
}

fn root_cause(e: &wasmtime::Error) -> String {
    clip(&format!("{e:#}"))
}

/// Why a call failed, in words: out of fuel, over the memory cap, a trap (with the panic
/// message from stderr when there is one), or invalid output.
fn explain(e: &wasmtime::Error, store: &Store<State>, limits: Limits) -> String {
    let text = format!("{e:#}");
    if let Some(trap) = e.downcast_ref::<Trap>() {
        if *trap == Trap::OutOfFuel {
            return format!(
                "ran out of fuel: it used its whole CPU budget of {} instructions (an endless loop?)",
                limits.fuel
            );
        }
        // A Rust guest prints `thread '..' panicked at FILE:LINE:COL:` and the message on the
        // next line to stderr before aborting: keep both.
        let stderr = String::from_utf8_lossy(&store.data().stderr.contents()).into_owned();
        let lines: Vec<&str> = stderr.lines().collect();
        let panic = lines
            .iter()
            .position(|l| l.contains("panicked"))
            .map(|i| {
                let text = lines
                    .get(i..(i + 2).min(lines.len()))
                    .unwrap_or_default()
                    .join(" ");
                format!(" after a panic: {}", clip(text.trim()))
            })
            .unwrap_or_default();
        return format!("trapped ({trap}){panic}");
    }
    if text.contains("memory") && (text.contains("grow") || text.contains("limit")) {
        return format!("exceeded its memory cap of {} MiB", limits.memory >> 20);
    }
    if text.contains("utf-8") || text.contains("UTF-8") {
        return format!("returned invalid UTF-8 text ({})", clip(&text));
    }
    format!("failed: {}", clip(&text))
}

fn info_of(meta: wit::PluginMetadata, file: &str) -> Result<PluginInfo, String> {
    let name_ok = !meta.name.is_empty()
        && meta.name.len() <= 64
        && meta
            .name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if !name_ok {
        return Err(format!(
            "its name {:?} is not lower-case letters, digits and dashes",
            clip(&meta.name)
        ));
    }
    let mut rules = Vec::new();
    for r in meta.rules {
        let code_ok = !r.code.is_empty()
            && r.code.len() <= 32
            && r.code
                .bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'-');
        if !code_ok || rules.iter().any(|x: &PluginRule| x.code == r.code) {
            return Err(format!(
                "rule code {:?} is not unique upper-case letters and digits",
                clip(&r.code)
            ));
        }
        rules.push(PluginRule {
            code: r.code,
            title: r.title,
            severity: match r.severity {
                wit::Severity::Low => Severity::Low,
                wit::Severity::Medium => Severity::Medium,
                wit::Severity::High => Severity::High,
                wit::Severity::Critical => Severity::Critical,
            },
            description: r.description,
            remediation: r.remediation,
            controls: r
                .controls
                .into_iter()
                .map(|c| Control {
                    benchmark: c.benchmark.into(),
                    id: c.id.into(),
                    level: None,
                })
                .collect(),
        });
    }
    Ok(PluginInfo {
        name: meta.name,
        version: meta.version,
        file: file.to_owned(),
        rules,
    })
}

/// Loads and runs every plugin; a plugin that cannot be loaded or fails is a [`PluginRun`]
/// with an error, so the scan goes on.
pub fn run_all(
    sandbox: &Sandbox,
    plugins: &[(PathBuf, PluginSpec)],
    resources: &[PluginResource],
    facts: &[String],
) -> Vec<PluginRun> {
    plugins
        .iter()
        .map(|(path, spec)| {
            let shown = path.display().to_string();
            match sandbox.load(path, spec) {
                Err(message) => PluginRun {
                    info: PluginInfo {
                        name: String::new(),
                        version: String::new(),
                        file: shown,
                        rules: Vec::new(),
                    },
                    outcome: Err(message),
                },
                Ok(loaded) => PluginRun {
                    outcome: sandbox.run(&loaded, spec, resources, facts),
                    info: loaded.info,
                },
            }
        })
        .collect()
}
