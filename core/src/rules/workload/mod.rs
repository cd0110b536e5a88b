//! Workload hardening beyond the Pod Security Standards: what the CIS Kubernetes Benchmark
//! (section 5) and the NSA/CISA guidance ask of pods that PSA does not check.

pub mod added_capabilities;
pub mod automount_service_account_token;
pub mod default_namespace;
pub mod net_raw_capability;
pub mod read_only_root_filesystem;
pub mod resource_limits;
pub mod secrets_in_env;

use super::manifest::{ContainerField, Finding, Subject, verdict};

/// Runs `check` on every container of a workload (none for other kinds): its failures, or one
/// pass at the pod spec.
pub fn per_container(
    subject: &Subject<'_>,
    passed: &str,
    mut check: impl FnMut(&ContainerField<'_>) -> Vec<Finding>,
) -> Vec<Finding> {
    let Some(pod) = &subject.pod else {
        return Vec::new();
    };
    let fails = pod.containers.iter().flat_map(&mut check).collect();
    verdict(fails, pod.spec.loc.clone(), passed)
}

/// `container "app"` or `init container "setup"`.
pub fn container_label(c: &ContainerField<'_>) -> String {
    let kind = match c.kind {
        crate::input::pod::ContainerKind::Init => "init container",
        crate::input::pod::ContainerKind::Regular => "container",
        crate::input::pod::ContainerKind::Ephemeral => "ephemeral container",
    };
    format!("{kind} {:?}", c.name)
}
