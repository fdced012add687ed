//! What holds for every registered vendor, so a new one is tested by registering it.

use alertform::registry::VENDORS;

use crate::support::root;

/// A vendor's doc and its capabilities in code are one source of truth: every kind has a row
/// in the mapping table, and every field the code declares unsupported (itself, or all of its
/// parent's), left to the service or create-only is named in the doc.
#[test]
fn every_vendor_doc_lists_every_declared_capability() {
    for vendor in VENDORS.iter().map(|v| v.client).filter(|v| !v.bundled) {
        let path = format!(
            "docs/providers/{}.md",
            vendor.name.as_str().replace('_', "-")
        );
        let doc = std::fs::read_to_string(root().join(&path))
            .unwrap_or_else(|e| panic!("{} has no {path}: {e}", vendor.display_name));
        let capabilities = vendor.capabilities;
        for kind in capabilities.kinds {
            assert!(
                doc.contains(&format!("| `{}` |", kind.kind)),
                "{path} has no row for `{}`",
                kind.kind
            );
            for field in kind.unsupported {
                // Named itself, or as all of its parent's (`templates.*`).
                let leaf = field.field.rsplit('.').next().unwrap();
                let parent = field.field.split('.').next().unwrap();
                assert!(
                    doc.contains(&format!("{leaf}`")) || doc.contains(&format!("`{parent}.*`")),
                    "{path} does not list `{}` of {}",
                    field.field,
                    kind.kind
                );
            }
            for field in kind.create_only {
                assert!(
                    doc.contains(&format!("{field}`")),
                    "{path} does not say that `{field}` of {} is create-only",
                    kind.kind
                );
            }
        }
        for (kind, field) in capabilities.service_defaults {
            assert!(
                doc.contains(&format!("{field}`")),
                "{path} does not say that `{kind}.{field}` is left to the service"
            );
        }
    }
}

/// `dev generate --provider X --schedules 3` writes only what X can hold: each vendor's org, in
/// TOML and HCL, validates for it and is the same model in both; a vendor that holds no
/// schedules refuses `--schedules` and says why.
#[test]
fn every_vendors_generated_org_with_schedules_validates_for_it() {
    use alertform::generate::Layers;
    for vendor in VENDORS.iter().map(|v| v.client) {
        let Ok(profile) = vendor.generate else {
            continue;
        };
        let name = vendor.name.as_str();
        let dir = tempfile::tempdir().unwrap();
        let mut models = Vec::new();
        for format in ["toml", "hcl"] {
            let out = dir.path().join(format);
            let made = crate::support::alertform(&[
                "dev",
                "generate",
                "--provider",
                name,
                "--objects",
                "200",
                "--schedules",
                "3",
                "--format",
                format,
                "--out",
                out.to_str().unwrap(),
            ]);
            if let Layers::None(why) = profile.schedules {
                assert!(!made.status.success(), "{name}: --schedules accepted");
                assert!(crate::support::stderr(&made).contains(why), "{name}");
                break;
            }
            assert!(
                made.status.success(),
                "{name}: {}",
                crate::support::stderr(&made)
            );
            let checked = crate::support::alertform(&["validate", out.to_str().unwrap()]);
            assert!(
                checked.status.success(),
                "{name} {format}: {}{}",
                crate::support::stdout(&checked),
                crate::support::stderr(&checked)
            );
            models.push(
                alertform::config::load(&out)
                    .map(|(_, m)| m)
                    .expect("valid"),
            );
        }
        if let [toml, hcl] = models.as_slice() {
            assert_eq!(toml, hcl, "{name}: TOML and HCL differ");
            assert_eq!(toml.schedules.len(), 3, "{name}");
        }
    }
}
