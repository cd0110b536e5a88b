//! Container image hygiene: where images come from and how they are pinned.

pub mod allowed_registries;
pub mod distroless_sbom;
pub mod image_digest;
pub mod image_pull_policy;
pub mod image_tag;
pub mod non_root_image;
pub mod scan_age;
pub mod shell_command;
pub mod vulnerabilities;

use super::manifest::{ContainerField, Field, Finding, Subject};
use super::workload::{container_label, per_container};
pub use crate::images::ImageRef;

/// Runs `check` on the image of every container: its failures, or one pass at the pod spec.
pub fn per_image(
    subject: &Subject<'_>,
    passed: &str,
    mut check: impl FnMut(&ContainerField<'_>, &Field<'_>, &ImageRef) -> Option<Finding>,
) -> Vec<Finding> {
    per_container(subject, passed, |c| match c.field.get("image") {
        Some(image) => match image.str().filter(|s| !s.trim().is_empty()) {
            Some(text) => check(c, &image, &ImageRef::parse(text.trim()))
                .into_iter()
                .collect(),
            None => vec![Finding::fail(
                image.loc,
                Some(c.name),
                format!("{} has an empty image", container_label(c)),
            )],
        },
        None => vec![Finding::fail(
            c.field.loc.clone(),
            Some(c.name),
            format!("{} has no image", container_label(c)),
        )],
    })
}

/// What the image-report rule `code` (IMG006-IMG009) says of one report, with the policy's
/// settings and today's date; `None` for any other rule. The one place that ties a rule to its
/// verdict, for workloads (below) and for the images themselves (the engine).
pub fn report_verdict(
    code: &str,
    report: &crate::images::ImageReport,
    settings: &crate::rules::manifest::Settings,
    now: Option<crate::vocab::Date>,
) -> Option<crate::images::Verdict> {
    use crate::images;
    Some(match code {
        "IMG006" => images::distroless(report),
        "IMG007" => images::non_root(report),
        "IMG008" => images::vulnerabilities(report, settings.vulnerability_threshold()),
        "IMG009" => images::scan_age(report, now, settings.scan_age_limit()),
        _ => return None,
    })
}

/// The image-report rules on a workload: for each container whose image a report describes,
/// the report's verdict (a failure at the container's `image`), or nothing when no report
/// decides for any container (the rule then does not apply to the workload).
pub fn per_image_report(
    subject: &Subject<'_>,
    code: &str,
    settings: &crate::rules::manifest::Settings,
    passed: &str,
) -> Vec<Finding> {
    let verdict = |r: &crate::images::ImageReport| {
        report_verdict(code, r, settings, subject.images.now)
            .unwrap_or(crate::images::Verdict::Undecided(None))
    };
    use crate::images::Verdict;
    let Some(pod) = &subject.pod else {
        return Vec::new();
    };
    let mut fails = Vec::new();
    let mut decided = false;
    for c in &pod.containers {
        let Some(image) = c.field.get("image") else {
            continue;
        };
        let Some(text) = image.str() else {
            continue;
        };
        let reference = ImageRef::parse(text.trim());
        for report in subject
            .images
            .reports
            .iter()
            .filter(|r| r.describes(&reference))
        {
            match verdict(report) {
                Verdict::Fail(why, _) => {
                    decided = true;
                    fails.push(Finding::fail(
                        image.loc.clone(),
                        Some(c.name),
                        format!(
                            "{} image {text:?}: {why}, in {}",
                            container_label(c),
                            report.file
                        ),
                    ));
                }
                Verdict::Pass(_) => decided = true,
                Verdict::Undecided(_) => {}
            }
        }
    }
    if !decided {
        return Vec::new();
    }
    super::manifest::verdict(fails, pod.spec.loc.clone(), passed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_split_like_the_runtime_reads_them() {
        let r = ImageRef::parse("nginx");
        assert_eq!(
            (r.registry.as_str(), r.repository.as_str(), r.tag),
            ("docker.io", "library/nginx", None)
        );
        let r = ImageRef::parse("localhost:5000/team/app:1.2@sha256:abc");
        assert_eq!(r.registry, "localhost:5000");
        assert_eq!(r.repository, "team/app");
        assert_eq!(r.tag.as_deref(), Some("1.2"));
        assert!(r.pinned());
        let r = ImageRef::parse("bitnami/redis:7");
        assert_eq!(r.full_name(), "docker.io/bitnami/redis");
        let r = ImageRef::parse("registry.k8s.io/kube-proxy");
        assert_eq!((r.registry.as_str(), r.tag), ("registry.k8s.io", None));
    }
}
