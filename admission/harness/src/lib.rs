//! Loads the Stockade Kubewarden policy with the crates.io waPC host (`wapc` with
//! `wasmtime-provider`, WASI enabled as a policy server gives it) and calls its guest functions
//! exactly as a policy server does: `protocol_version`, `validate_settings` with the settings,
//! and `validate` with `{"request": AdmissionRequest, "settings": ...}`.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use anyhow::{Context, Result, bail};
use serde_json::{Value, json};
use wapc::{WapcHost, WasiParams};
use wasmtime_provider::WasmtimeEngineProviderBuilder;

/// The admission workspace (`admission/`).
pub fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default()
}

/// The policy module: `STOCKADE_KUBEWARDEN_WASM` if set, else built from source once per
/// process (`cargo build --release --target wasm32-wasip1 -p stockade-kubewarden`).
pub fn policy_wasm() -> Result<PathBuf> {
    static BUILT: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    BUILT
        .get_or_init(|| {
            if let Some(path) = std::env::var_os("STOCKADE_KUBEWARDEN_WASM") {
                return Ok(PathBuf::from(path));
            }
            let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
            let status = Command::new(cargo)
                .current_dir(workspace())
                .args([
                    "build",
                    "--locked",
                    "--release",
                    "--target",
                    "wasm32-wasip1",
                    "-p",
                    "stockade-kubewarden",
                ])
                .status()
                .map_err(|e| format!("cannot run cargo: {e}"))?;
            if !status.success() {
                return Err(format!("building the policy failed: {status}"));
            }
            let target = std::env::var_os("CARGO_TARGET_DIR")
                .map_or_else(|| workspace().join("target"), PathBuf::from);
            Ok(target.join("wasm32-wasip1/release/stockade_kubewarden.wasm"))
        })
        .clone()
        .map_err(anyhow::Error::msg)
}

/// The module compiled by `engine`, kept in `admission/target/policy-cache` between processes
/// (nextest runs each test in its own, and compiling the policy is most of a test's time; a
/// policy server likewise compiles a policy once). The key is the module's bytes and the
/// engine's compatibility hash; a file that does not load is compiled again.
fn compiled(engine: &wasmtime::Engine, bytes: &[u8]) -> Result<wasmtime::Module> {
    use std::hash::{DefaultHasher, Hash, Hasher};
    let mut hasher = DefaultHasher::new();
    bytes.hash(&mut hasher);
    engine.precompile_compatibility_hash().hash(&mut hasher);
    let dir = workspace().join("target/policy-cache");
    let path = dir.join(format!("{:016x}.cwasm", hasher.finish()));
    if path.exists() {
        // SAFETY: the file was written by `Module::serialize` below, for this engine
        // configuration (its hash is in the name), and is only ever replaced atomically.
        #[allow(unsafe_code)]
        if let Ok(module) = unsafe { wasmtime::Module::deserialize_file(engine, &path) } {
            return Ok(module);
        }
    }
    let module = wasmtime::Module::new(engine, bytes).map_err(|e| anyhow::anyhow!("{e:?}"))?;
    std::fs::create_dir_all(&dir)?;
    let tmp = dir.join(format!("{}.{}.tmp", hasher.finish(), std::process::id()));
    let compiled = module.serialize().map_err(|e| anyhow::anyhow!("{e:?}"))?;
    std::fs::write(&tmp, compiled)?;
    std::fs::rename(&tmp, &path)?;
    Ok(module)
}

/// A loaded policy, as a policy server holds it.
pub struct Policy {
    host: WapcHost,
}

impl Policy {
    /// Loads the module at `path`.
    pub fn load(path: &Path) -> Result<Policy> {
        let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
        Policy::from_bytes(&bytes)
    }

    /// Loads a module.
    pub fn from_bytes(bytes: &[u8]) -> Result<Policy> {
        let engine = wasmtime::Engine::default();
        let module = compiled(&engine, bytes)?;
        let engine = WasmtimeEngineProviderBuilder::new()
            .engine(engine)
            .module(module)
            .wasi_params(WasiParams::default())
            .build()?;
        let host = WapcHost::new(Box::new(engine), None)?;
        Ok(Policy { host })
    }

    /// Calls a guest function with a JSON payload and reads its JSON answer.
    pub fn call(&self, function: &str, payload: &[u8]) -> Result<Value> {
        let out = self.host.call(function, payload)?;
        serde_json::from_slice(&out).with_context(|| {
            format!(
                "{function} answered with something not JSON: {}",
                String::from_utf8_lossy(&out)
            )
        })
    }

    /// `protocol_version`.
    pub fn protocol_version(&self) -> Result<Value> {
        self.call("protocol_version", b"")
    }

    /// `validate_settings`: `{"valid": bool, "message": ...}`.
    pub fn validate_settings(&self, settings: &Value) -> Result<Value> {
        self.call("validate_settings", settings.to_string().as_bytes())
    }

    /// `validate`: Kubewarden's `ValidationResponse`. The settings are validated first, as a
    /// policy server does when it loads a policy.
    pub fn validate(&self, request: &Value, settings: &Value) -> Result<Value> {
        let check = self.validate_settings(settings)?;
        if check["valid"] != json!(true) {
            bail!("settings rejected: {}", check["message"]);
        }
        self.validate_raw(&json!({"request": request, "settings": settings}).to_string())
    }

    /// `validate` with a payload as given (for malformed ones).
    pub fn validate_raw(&self, payload: &str) -> Result<Value> {
        self.call("validate", payload.as_bytes())
    }
}

/// The custom section Kubewarden reads a policy's metadata from.
pub fn metadata_section() -> &'static str {
    "io.kubewarden.metadata"
}

fn read_leb(bytes: &[u8], at: &mut usize) -> Result<usize> {
    let (mut value, mut shift) = (0usize, 0);
    loop {
        let Some(byte) = bytes.get(*at) else {
            bail!("truncated module")
        };
        *at += 1;
        value |= usize::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            return Ok(value);
        }
        shift += 7;
        if shift > 28 {
            bail!("bad LEB128 in module");
        }
    }
}

fn write_leb(mut value: usize, out: &mut Vec<u8>) {
    loop {
        let byte = (value & 0x7f) as u8;
        value >>= 7;
        if value == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

/// One section of a module: its id, its name if it is a custom section, and its bytes (id and
/// size included).
pub type Section<'a> = (u8, Option<String>, &'a [u8]);

/// The module's sections, in order.
pub fn sections(module: &[u8]) -> Result<Vec<Section<'_>>> {
    if module.get(..8) != Some(b"\0asm\x01\0\0\0") {
        bail!("not a WebAssembly module");
    }
    let mut out = Vec::new();
    let mut at = 8;
    while at < module.len() {
        let start = at;
        let id = module[at];
        at += 1;
        let size = read_leb(module, &mut at)?;
        let end = at
            .checked_add(size)
            .filter(|e| *e <= module.len())
            .context("truncated section")?;
        let name = if id == 0 {
            let mut p = at;
            let len = read_leb(module, &mut p)?;
            let bytes = module.get(p..p + len).context("truncated section name")?;
            Some(String::from_utf8_lossy(bytes).into_owned())
        } else {
            None
        };
        out.push((id, name, &module[start..end]));
        at = end;
    }
    Ok(out)
}

/// The data of a custom section, if the module has one by that name.
pub fn custom_section(module: &[u8], name: &str) -> Result<Option<Vec<u8>>> {
    for (_, section_name, bytes) in sections(module)? {
        if section_name.as_deref() == Some(name) {
            let mut at = 1;
            read_leb(bytes, &mut at)?;
            let len = read_leb(bytes, &mut at)?;
            return Ok(bytes.get(at + len..).map(<[u8]>::to_vec));
        }
    }
    Ok(None)
}

/// The module with the custom section `name` set to `data` (any existing one removed).
pub fn with_custom_section(module: &[u8], name: &str, data: &[u8]) -> Result<Vec<u8>> {
    let mut out = module[..8].to_vec();
    for (_, section_name, bytes) in sections(module)? {
        if section_name.as_deref() != Some(name) {
            out.extend_from_slice(bytes);
        }
    }
    let mut payload = Vec::new();
    write_leb(name.len(), &mut payload);
    payload.extend_from_slice(name.as_bytes());
    payload.extend_from_slice(data);
    out.push(0);
    write_leb(payload.len(), &mut out);
    out.extend_from_slice(&payload);
    Ok(out)
}
