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

/// `dev generate --provider X` writes only what X can hold, with and without `--schedules 3`:
/// each vendor's org, in TOML and HCL, validates for it and is the same model in both, and the
/// TOML org applies to the vendor's emulation and re-plans to no changes. A vendor that holds no
/// schedules leaves them out and says why.
#[test]
fn every_vendors_generated_org_validates_and_applies_with_and_without_schedules() {
    use alertform::generate::Layers;
    for vendor in VENDORS.iter().map(|v| v.client) {
        let Ok(profile) = vendor.generate else {
            panic!("{} has no generated org", vendor.display_name);
        };
        let name = vendor.name.as_str();
        for schedules in ["0", "3"] {
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
                    "60",
                    "--schedules",
                    schedules,
                    "--format",
                    format,
                    "--out",
                    out.to_str().unwrap(),
                ]);
                let said = crate::support::stderr(&made);
                assert!(made.status.success(), "{name}: {said}");
                if let (Layers::None(why), "3") = (profile.schedules, schedules) {
                    assert!(
                        said.contains("--schedules left out") && said.contains(why),
                        "{name}: {said}"
                    );
                }
                let checked = crate::support::alertform_with(
                    dir.path(),
                    &["validate", out.to_str().unwrap()],
                    &[(alertform::generate::GENERATED_SECRET, "generated")],
                );
                assert!(
                    checked.status.success(),
                    "{name} {format}: {}{}",
                    crate::support::stdout(&checked),
                    crate::support::stderr(&checked)
                );
                models.push(generated_model(&out));
            }
            let [toml, hcl] = models.as_slice() else {
                unreachable!()
            };
            assert_eq!(toml, hcl, "{name}: TOML and HCL differ");
            let wanted = match (profile.schedules, schedules) {
                (Layers::None(_), _) | (_, "0") => 0,
                _ => 3,
            };
            assert_eq!(
                toml.schedules.len(),
                wanted,
                "{name} --schedules {schedules}"
            );
            // With schedules, policies page them, as people's do.
            let paging = toml
                .escalation_policies
                .values()
                .filter(|p| {
                    p.steps[0]
                        .notify
                        .iter()
                        .any(|a| a.kind == alertform::model::Kind::Schedule)
                })
                .count();
            assert_eq!(
                paging > 0,
                wanted > 0,
                "{name} --schedules {schedules}: {paging} policies page a schedule"
            );
            applies_and_replans_empty(name, &dir.path().join("toml"));
        }
    }
}

fn generated_model(dir: &std::path::Path) -> alertform::model::Model {
    // Secrets' values are not compared here: an unset one is a stand-in.
    alertform::config::load_without_secrets(dir)
        .map(|(_, model, _, _)| model)
        .expect("valid")
}

/// The generated org in `dir` applied to `provider`'s emulation (seeded with the org's own seed
/// file), then planned again: no changes.
fn applies_and_replans_empty(provider: &str, dir: &std::path::Path) {
    let seed = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "json"));
    let mut args = Vec::new();
    if provider != "alertform" {
        args.extend(["--api".to_owned(), provider.to_owned()]);
    }
    if let Some(seed) = &seed {
        args.extend(["--seed".to_owned(), seed.to_str().unwrap().to_owned()]);
    }
    let server =
        crate::support::TestServer::start(&args.iter().map(String::as_str).collect::<Vec<_>>());
    // The generated owner acts for PagerDuty's user creation (other vendors ignore it); the
    // emulations have no rate limit to pace to.
    let flags = [
        "--from-email",
        "user0@example.com",
        "--rate-budget",
        "100000",
    ];
    let path = dir.to_str().unwrap();
    let env = [(alertform::generate::GENERATED_SECRET, "generated")];
    let run = |command: &str, extra: &[&str]| {
        let extra: Vec<&str> = flags.iter().chain(extra).copied().collect();
        crate::support::run_against_with(&server, provider, command, path, &extra, &env)
    };
    let applied = run("apply", &[]);
    assert!(
        applied.status.success(),
        "{provider}: {}{}",
        crate::support::stdout(&applied),
        crate::support::stderr(&applied)
    );
    let planned = run("plan", &["--detailed-exitcode"]);
    assert_eq!(
        planned.status.code(),
        Some(0),
        "{provider}: {}",
        crate::support::stdout(&planned)
    );
}

/// `export` (or any command) without `--provider` against a vendor's emulation says in one
/// sentence that the endpoint did not answer as the bundled service, and which `--provider`
/// values there are, instead of a bare 404.
#[test]
fn the_bundled_client_against_a_vendors_api_says_which_provider_values_exist() {
    for vendor in VENDORS.iter().map(|v| v.client).filter(|v| !v.bundled) {
        let name = vendor.name.as_str();
        let server = crate::support::TestServer::start(&["--api", name]);
        let output = crate::support::alertform(&[
            "export",
            "--endpoint",
            &server.url,
            "--token",
            &server.token,
        ]);
        let said = crate::support::stderr(&output);
        assert_eq!(output.status.code(), Some(1), "{name}: {said}");
        assert_eq!(
            said.trim().lines().count(),
            1,
            "{name}: one sentence: {said}"
        );
        assert!(
            said.contains("did not answer as the bundled alertform service")
                && said.contains("--provider")
                && said.contains(name),
            "{name}: {said}"
        );
    }
}

/// The provider feature matrix in the README and docs/providers/README.md is the one the
/// vendors' declared capabilities generate (`alertform dev feature-matrix`), so it cannot drift.
#[test]
fn the_feature_matrix_in_the_docs_is_fresh() {
    let matrix = alertform::registry::feature_matrix();
    for doc in ["README.md", "docs/providers/README.md"] {
        let text = std::fs::read_to_string(root().join(doc)).unwrap();
        let start = text
            .find("<!-- feature-matrix:")
            .and_then(|at| text[at..].find('\n').map(|n| at + n + 1))
            .unwrap_or_else(|| panic!("{doc} has no feature matrix"));
        let end = text.find("<!-- /feature-matrix -->").unwrap();
        assert_eq!(
            text[start..end].trim_end(),
            matrix.trim_end(),
            "{doc}'s feature matrix is stale: paste `alertform dev feature-matrix` over it"
        );
    }
}
