//! Rule plugins: WebAssembly components run by wasmtime in a sandbox.
//!
//! One [`Engine`] (with an on-disk compilation cache and an epoch ticker) serves every plugin;
//! every call (`metadata`, `validate-settings`, `evaluate`) runs in a fresh [`Store`] and
//! instance under the plugin's [`PluginLimits`]: fuel (wasm instructions plus a charge per host
//! call and per logged byte), a wall-clock deadline (epoch interruption for running code, a timer
//! that cancels the call for blocking WASI calls), a cap on all linear memories and all table
//! elements together, counts of instances, memories and tables, and caps on what it may log and
//! return. The WASI imports that `wasm32-wasip2` builds carry are satisfied by a context that
//! grants nothing: no files, no network, no environment, stdout discarded, stderr captured (shown,
//! labelled unverified, when a plugin traps without reporting a panic through
//! `host.report-panic`). Whatever a plugin does, it becomes findings or one `error` result naming it
//! and the cause.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};
use stockade_core::plugins::{
    PluginFinding, PluginInfo, PluginLimits, PluginResource, PluginRule, PluginRun, finding_weight,
};
use stockade_core::report::{Control, Status, escape_controls};
use stockade_core::{Severity, plugins::PluginSpec};
use wasmtime::component::{Component, HasSelf, Linker, ResourceTable};
use wasmtime::{CallHook, Config, Engine, ResourceLimiter, Store, Trap, UpdateDeadline};
use wasmtime_wasi::cli::{IsTerminal, StdoutStream};
use wasmtime_wasi::p2::pipe::SinkOutputStream;
use wasmtime_wasi::p2::{OutputStream, Pollable, StreamError};
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};

wasmtime::component::bindgen!({
    path: "../wit",
    world: "rule-plugin",
    exports: { default: async },
});

use stockade::plugin::types as wit;

/// The contract version this Stockade speaks.
pub const CONTRACT: &str = "stockade:plugin/rule@0.1.0";

/// Most bytes of stderr kept from a plugin (shown, labelled unverified, when a plugin that did
/// not report a panic traps).
const MAX_STDERR: usize = 64 << 10;
/// Most bytes of a panic report (`host.report-panic`) kept.
const MAX_PANIC: usize = 1 << 10;
/// How often the epoch ticker advances the engine's epoch.
const TICK: Duration = Duration::from_millis(10);
/// Fuel charged for every call into the host (a WASI function, `host.log`, growing a memory or
/// a table): a call costs the guest a few instructions, but the host's work is far more.
const HOST_CALL_FUEL: u64 = 10_000;
/// Fuel charged per byte a plugin passes to `host.log` (copied and checked by the host, whether
/// it is printed or not).
const LOG_BYTE_FUEL: u64 = 4;

/// A plugin's stderr: the last [`MAX_STDERR`] bytes it wrote. It is the plugin's own text: never
/// taken for a panic message (that comes from `host.report-panic`), only quoted, labelled as
/// unverified, when a plugin that reported no panic traps.
#[derive(Clone, Default)]
struct Tail(Arc<std::sync::Mutex<std::collections::VecDeque<u8>>>);

impl Tail {
    fn push(&self, bytes: &[u8]) {
        if let Ok(mut buf) = self.0.lock() {
            let bytes = bytes
                .get(bytes.len().saturating_sub(MAX_STDERR)..)
                .unwrap_or_default();
            let excess = (buf.len() + bytes.len()).saturating_sub(MAX_STDERR);
            let excess = excess.min(buf.len());
            buf.drain(..excess);
            buf.extend(bytes);
        }
    }

    fn contents(&self) -> Vec<u8> {
        self.0
            .lock()
            .map(|b| b.iter().copied().collect())
            .unwrap_or_default()
    }
}

impl IsTerminal for Tail {
    fn is_terminal(&self) -> bool {
        false
    }
}

impl StdoutStream for Tail {
    fn async_stream(&self) -> Box<dyn tokio::io::AsyncWrite + Send + Sync> {
        Box::new(self.clone())
    }

    fn p2_stream(&self) -> Box<dyn OutputStream> {
        Box::new(self.clone())
    }
}

impl tokio::io::AsyncWrite for Tail {
    fn poll_write(
        self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
        buf: &[u8],
    ) -> std::task::Poll<std::io::Result<usize>> {
        self.push(buf);
        std::task::Poll::Ready(Ok(buf.len()))
    }

    fn poll_flush(
        self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::task::Poll::Ready(Ok(()))
    }

    fn poll_shutdown(
        self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::task::Poll::Ready(Ok(()))
    }
}

impl OutputStream for Tail {
    fn write(&mut self, bytes: bytes::Bytes) -> Result<(), StreamError> {
        self.push(&bytes);
        Ok(())
    }

    fn flush(&mut self) -> Result<(), StreamError> {
        Ok(())
    }

    fn check_write(&mut self) -> Result<usize, StreamError> {
        Ok(MAX_STDERR)
    }
}

#[async_trait::async_trait]
impl Pollable for Tail {
    async fn ready(&mut self) {}
}

/// Which limit stopped a call, when the host knows (a trap alone does not say).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Hit {
    Memory,
    Tables,
    Deadline,
    HostFuel,
}

/// The store's resource limiter: all memories and all tables of the store together.
struct Budget {
    limits: PluginLimits,
    memory: usize,
    table_elements: usize,
    hit: Option<Hit>,
}

impl ResourceLimiter for Budget {
    fn memory_growing(
        &mut self,
        current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        let total = self.memory.saturating_add(desired.saturating_sub(current));
        if total > self.limits.memory {
            self.hit = Some(Hit::Memory);
            return Err(wasmtime::Error::msg("memory limit"));
        }
        self.memory = total;
        Ok(true)
    }

    fn table_growing(
        &mut self,
        current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        let total = self
            .table_elements
            .saturating_add(desired.saturating_sub(current));
        if total > self.limits.table_elements {
            self.hit = Some(Hit::Tables);
            return Err(wasmtime::Error::msg("table limit"));
        }
        self.table_elements = total;
        Ok(true)
    }

    fn instances(&self) -> usize {
        self.limits.instances
    }

    fn tables(&self) -> usize {
        self.limits.tables
    }

    fn memories(&self) -> usize {
        self.limits.memories
    }
}

struct State {
    wasi: WasiCtx,
    table: ResourceTable,
    budget: Budget,
    /// The plugin as log lines name it (escaped).
    plugin: String,
    /// Fuel the host's work for the current host call costs, charged when it returns.
    owed: u64,
    log_lines: usize,
    log_bytes: usize,
    log_dropped: usize,
    /// The first panic report of the call (`host.report-panic`), at most [`MAX_PANIC`] bytes.
    panic: Option<String>,
    stderr: Tail,
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
        use stockade::plugin::host::LogLevel;
        // The message was copied and checked before this runs: the guest pays per byte.
        self.owed = self
            .owed
            .saturating_add((message.len() as u64).saturating_mul(LOG_BYTE_FUEL));
        let limits = self.budget.limits;
        if self.log_lines >= limits.log_lines || self.log_bytes >= limits.log_bytes {
            self.log_dropped += 1;
            return;
        }
        // At most one line's worth is looked at; the rest is never read.
        let mut end = message
            .len()
            .min(limits.log_line)
            .min(limits.log_bytes - self.log_bytes);
        while !message.is_char_boundary(end) {
            end -= 1;
        }
        let shown = message.get(..end).unwrap_or_default();
        self.log_lines += 1;
        self.log_bytes += end;
        let level = match level {
            LogLevel::Debug => "debug",
            LogLevel::Info => "info",
            LogLevel::Warn => "warn",
            LogLevel::Error => "error",
        };
        // One line per call, framed: the plugin's words are quoted and every control character
        // escaped, so a message can neither start a line of its own nor pass for Stockade's.
        eprintln!(
            "stockade: plugin {} logs [{level}]: \"{}\"{}",
            self.plugin,
            escape_controls(shown).replace('"', "\\\""),
            if end < message.len() { "…" } else { "" }
        );
    }

    fn report_panic(&mut self, message: String) {
        // Copied and checked before this runs, like a log message: the guest pays per byte.
        self.owed = self
            .owed
            .saturating_add((message.len() as u64).saturating_mul(LOG_BYTE_FUEL));
        // Only the first report counts: a hook that panics again, or code run after the
        // report, cannot replace it.
        if self.panic.is_some() {
            return;
        }
        let mut end = message.len().min(MAX_PANIC);
        while !message.is_char_boundary(end) {
            end -= 1;
        }
        let mut kept = message;
        if end < kept.len() {
            kept.truncate(end);
            kept.push('…');
        }
        self.panic = Some(kept);
    }
}

/// Advances the engine's epoch every [`TICK`] until dropped.
struct Ticker {
    stop: Arc<AtomicBool>,
}

impl Ticker {
    fn start(engine: &Engine) -> Ticker {
        let stop = Arc::new(AtomicBool::new(false));
        let (engine, flag) = (engine.clone(), stop.clone());
        std::thread::spawn(move || {
            while !flag.load(Ordering::Relaxed) {
                std::thread::sleep(TICK);
                engine.increment_epoch();
            }
        });
        Ticker { stop }
    }
}

impl Drop for Ticker {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

/// The wasmtime engine, linker and cache shared by every plugin of a run.
pub struct Sandbox {
    engine: Engine,
    linker: Linker<State>,
    cache: Option<wasmtime::Cache>,
    runtime: tokio::runtime::Runtime,
    _ticker: Ticker,
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

/// Why a call did not return.
enum Failure {
    Wasm(wasmtime::Error),
    Deadline,
}

impl Sandbox {
    /// An engine with fuel metering and epoch interruption and, when `cache_dir` is given, a
    /// compilation cache there (keyed by the component's hash, the wasmtime version and the
    /// compiler settings).
    pub fn new(cache_dir: Option<&Path>) -> anyhow::Result<Sandbox> {
        let mut config = Config::new();
        config
            .wasm_component_model(true)
            .consume_fuel(true)
            .epoch_interruption(true);
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
        wasmtime_wasi::p2::add_to_linker_async(&mut linker)
            .map_err(|e| anyhow::anyhow!("wasmtime: {e}"))?;
        RulePlugin::add_to_linker::<_, HasSelf<_>>(&mut linker, |state| state)
            .map_err(|e| anyhow::anyhow!("wasmtime: {e}"))?;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .map_err(|e| anyhow::anyhow!("the plugin runtime: {e}"))?;
        Ok(Sandbox {
            _ticker: Ticker::start(&engine),
            engine,
            linker,
            cache,
            runtime,
        })
    }

    fn store(&self, plugin: &str, limits: PluginLimits, deadline: Instant) -> Store<State> {
        let stderr = Tail::default();
        let wasi = WasiCtx::builder()
            .stdout(SinkOutputStream)
            .stderr(stderr.clone())
            .allow_tcp(false)
            .allow_udp(false)
            .allow_ip_name_lookup(false)
            // Host memory a single WASI call may allocate, outside the guest's memory cap.
            .max_random_size(1 << 20)
            .build();
        // Each WASI resource (a stream, a pollable) is host memory the guest does not see.
        let mut table = ResourceTable::new();
        table.set_max_capacity(limits.resources);
        let state = State {
            wasi,
            table,
            budget: Budget {
                limits,
                memory: 0,
                table_elements: 0,
                hit: None,
            },
            plugin: escape_controls(plugin).into_owned(),
            owed: 0,
            log_lines: 0,
            log_bytes: 0,
            log_dropped: 0,
            panic: None,
            stderr,
        };
        let mut store = Store::new(&self.engine, state);
        store.limiter(|s| &mut s.budget);
        // Setting fuel cannot fail once fuel metering is on.
        let _ = store.set_fuel(limits.fuel);
        // Running code is interrupted at the first epoch tick after the deadline.
        store.set_epoch_deadline(1);
        store.epoch_deadline_callback(move |mut cx| {
            if Instant::now() >= deadline {
                cx.data_mut().budget.hit = Some(Hit::Deadline);
                Ok(UpdateDeadline::Interrupt)
            } else {
                Ok(UpdateDeadline::Continue(1))
            }
        });
        // Every host call costs fuel, and so does the work it caused (`owed`).
        store.call_hook(|mut cx, hook| {
            if !matches!(hook, CallHook::ReturningFromHost) {
                return Ok(());
            }
            let owed = HOST_CALL_FUEL.saturating_add(std::mem::take(&mut cx.data_mut().owed));
            let fuel = cx.get_fuel().unwrap_or(0);
            if fuel < owed {
                let _ = cx.set_fuel(0);
                cx.data_mut().budget.hit = Some(Hit::HostFuel);
                return Err(Trap::OutOfFuel.into());
            }
            let _ = cx.set_fuel(fuel - owed);
            Ok(())
        });
        store
    }

    /// Runs one call (instantiation included) in a fresh store, under the plugin's deadline.
    fn call<T>(
        &self,
        component: &Component,
        plugin: &str,
        limits: PluginLimits,
        call: impl AsyncFnOnce(&RulePlugin, &mut Store<State>) -> wasmtime::Result<T>,
    ) -> Result<T, String> {
        // A deadline of years is no deadline; it must not overflow the clock either.
        let budget = Duration::from_millis(limits.deadline_ms.min(365 * 24 * 3600 * 1000));
        let deadline = Instant::now() + budget;
        let mut store = self.store(plugin, limits, deadline);
        let linker = &self.linker;
        let outcome = self.runtime.block_on(async {
            // The timer also cancels a call blocked in the host (a sleeping plugin), where
            // epoch interruption cannot reach it.
            match tokio::time::timeout(budget, async {
                let instance = RulePlugin::instantiate_async(&mut store, component, linker).await?;
                call(&instance, &mut store).await
            })
            .await
            {
                Ok(Ok(value)) => Ok(value),
                Ok(Err(e)) => Err(Failure::Wasm(e)),
                Err(_) => Err(Failure::Deadline),
            }
        });
        let state = store.data();
        if state.log_dropped > 0 {
            eprintln!(
                "stockade: plugin {}: {} more log messages dropped (at most {} lines and {} KiB per call)",
                state.plugin,
                state.log_dropped,
                limits.log_lines,
                limits.log_bytes >> 10
            );
        }
        match outcome {
            Ok(value) => Ok(value),
            Err(Failure::Deadline) => Err(deadline_message(limits)),
            Err(Failure::Wasm(e)) => Err(explain(&e, &store, limits)),
        }
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
        let limits = PluginLimits::of(spec);
        let meta = self.call(&component, &shown, limits, async |instance, store| {
            instance.stockade_plugin_rule().call_metadata(store).await
        })?;
        let info = info_of(meta, &shown, limits)?;
        Ok(Loaded {
            component,
            info,
            from_cache,
        })
    }

    /// Has a loaded plugin validate its settings (in an instance of its own).
    pub fn validate(&self, plugin: &Loaded, spec: &PluginSpec) -> Result<(), String> {
        let limits = PluginLimits::of(spec);
        let settings = settings_json(spec);
        self.call(
            &plugin.component,
            &plugin.info.name,
            limits,
            async |instance, store| {
                instance
                    .stockade_plugin_rule()
                    .call_validate_settings(store, &settings)
                    .await
            },
        )?
        .map_err(|e| format!("rejected its settings: {}", clip(&e)))
    }

    /// Runs a loaded plugin on the scanned resources: its findings, or why there are none.
    /// Settings are validated first, each call in an instance (and under a budget) of its own.
    pub fn run(
        &self,
        plugin: &Loaded,
        spec: &PluginSpec,
        resources: &[PluginResource],
        facts: &[String],
    ) -> Result<Vec<PluginFinding>, String> {
        self.validate(plugin, spec)?;
        let limits = PluginLimits::of(spec);
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
            settings: settings_json(spec),
        };
        let findings = self
            .call(
                &plugin.component,
                &plugin.info.name,
                limits,
                async |instance, store| {
                    instance
                        .stockade_plugin_rule()
                        .call_evaluate(store, &input)
                        .await
                },
            )?
            .map_err(|e| format!("failed: {}", clip(&e)))?;
        let findings: Vec<PluginFinding> = findings
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
            .collect();
        // What the findings make Stockade hold and write: their own text, and their rule's
        // title and remediation, which every result repeats in the rendered report.
        let rules: std::collections::HashMap<&str, &PluginRule> = plugin
            .info
            .rules
            .iter()
            .map(|r| (r.code.as_str(), r))
            .collect();
        let mut size: usize = 0;
        for f in &findings {
            size = size.saturating_add(finding_weight(f, rules.get(f.rule.as_str()).copied()));
            if size > limits.output {
                return Err(format!(
                    "returned more than the {} MiB of findings a plugin may return ({} findings; each counts its message, pointer and its rule's title and remediation)",
                    limits.output >> 20,
                    findings.len()
                ));
            }
        }
        Ok(findings)
    }
}

fn deadline_message(limits: PluginLimits) -> String {
    format!(
        "exceeded its deadline of {} ms (running or blocked: a sleep, an endless wait?)",
        limits.deadline_ms
    )
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

/// Why a call failed, in words: out of fuel, past its deadline, over the memory or table cap,
/// a trap (with the plugin's panic report, or its stderr labelled unverified), or invalid output.
fn explain(e: &wasmtime::Error, store: &Store<State>, limits: PluginLimits) -> String {
    let text = format!("{e:#}");
    match store.data().budget.hit {
        Some(Hit::Memory) => {
            return format!(
                "exceeded its memory cap of {} MiB (all its linear memories together)",
                limits.memory >> 20
            );
        }
        Some(Hit::Tables) => {
            return format!(
                "exceeded its cap of {} table elements (all its tables together)",
                limits.table_elements
            );
        }
        Some(Hit::Deadline) => return deadline_message(limits),
        Some(Hit::HostFuel) => {
            return format!(
                "ran out of fuel: it used its whole CPU budget of {} instructions (host calls and logged bytes count too)",
                limits.fuel
            );
        }
        None => {}
    }
    if let Some(trap) = e.downcast_ref::<Trap>() {
        if *trap == Trap::OutOfFuel {
            return format!(
                "ran out of fuel: it used its whole CPU budget of {} instructions (an endless loop?)",
                limits.fuel
            );
        }
        return format!("trapped ({trap}){}", trap_context(store.data()));
    }
    if text.contains("instance") && text.contains("limit") {
        return format!(
            "exceeded the most instances, memories or tables a plugin may create ({}, {}, {})",
            limits.instances, limits.memories, limits.tables
        );
    }
    if text.contains("memory") && (text.contains("grow") || text.contains("limit")) {
        return format!("exceeded its memory cap of {} MiB", limits.memory >> 20);
    }
    if text.contains("utf-8") || text.contains("UTF-8") {
        return format!("returned invalid UTF-8 text ({})", clip(&text));
    }
    format!("failed: {}", clip(&text))
}

/// What explains a trap: the first panic report of the call (`host.report-panic`, which the
/// SDK's panic hook makes), quoted as the plugin's words; else the last lines of its stderr,
/// labelled as its own unverified output (a plugin built without the SDK, a Python traceback);
/// else nothing. Stderr is never read as a panic report: a plugin can print anything there,
/// before or after a panic. Quotes are escaped and so is every control character.
fn trap_context(state: &State) -> String {
    let quote = |text: &str| escape_controls(&clip(text.trim())).replace('"', "\\\"");
    if let Some(report) = &state.panic {
        return format!(" after its panic hook reported: \"{}\"", quote(report));
    }
    let stderr = String::from_utf8_lossy(&state.stderr.contents()).into_owned();
    let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    let last = lines
        .get(lines.len().saturating_sub(5)..)
        .unwrap_or_default()
        .join(" | ");
    if last.is_empty() {
        return String::new();
    }
    format!(
        "; it reported no panic, and its stderr (its own output, unverified) ends with: \"{}\"",
        quote(&last)
    )
}

/// Checks a plugin's metadata against the limits, in one pass over it (rule codes are checked
/// for duplicates with a hash set), and turns it into Stockade's.
fn info_of(
    meta: wit::PluginMetadata,
    file: &str,
    limits: PluginLimits,
) -> Result<PluginInfo, String> {
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
    if meta.version.len() > 64 || meta.version.chars().any(char::is_control) {
        return Err(format!(
            "its version {:?} is longer than 64 bytes or holds control characters",
            clip(&meta.version)
        ));
    }
    if meta.rules.len() > limits.rules {
        return Err(format!(
            "it declares {} rules, more than the {} a plugin may declare",
            meta.rules.len(),
            limits.rules
        ));
    }
    let mut size = meta.name.len() + meta.version.len();
    let mut codes = std::collections::HashSet::with_capacity(meta.rules.len());
    let mut rules = Vec::with_capacity(meta.rules.len());
    for r in meta.rules {
        let code_ok = !r.code.is_empty()
            && r.code.len() <= 32
            && r.code
                .bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'-');
        if !code_ok || !codes.insert(r.code.clone()) {
            return Err(format!(
                "rule code {:?} is not unique upper-case letters and digits",
                clip(&r.code)
            ));
        }
        let too_long = if r.title.len() > limits.title {
            Some(("title", r.title.len(), limits.title))
        } else if r.description.len() > limits.text {
            Some(("description", r.description.len(), limits.text))
        } else if r.remediation.len() > limits.text {
            Some(("remediation", r.remediation.len(), limits.text))
        } else if r.controls.len() > limits.controls {
            Some(("list of controls", r.controls.len(), limits.controls))
        } else {
            None
        };
        if let Some((what, len, most)) = too_long {
            return Err(format!(
                "the {what} of rule {} is {len} long, more than the {most} allowed",
                r.code
            ));
        }
        size += r.code.len()
            + r.title.len()
            + r.description.len()
            + r.remediation.len()
            + r.controls
                .iter()
                .map(|c| c.benchmark.len() + c.id.len())
                .sum::<usize>();
        if size > limits.metadata {
            return Err(format!(
                "its metadata is larger than the {} KiB a plugin may declare",
                limits.metadata >> 10
            ));
        }
        rules.push(PluginRule {
            code: r.code,
            title: r.title.into(),
            severity: match r.severity {
                wit::Severity::Low => Severity::Low,
                wit::Severity::Medium => Severity::Medium,
                wit::Severity::High => Severity::High,
                wit::Severity::Critical => Severity::Critical,
            },
            description: r.description.into(),
            remediation: r.remediation.into(),
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
