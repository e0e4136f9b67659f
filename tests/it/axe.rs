//! Accessibility checks in the browser tests: axe-core (npm package `axe-core`, pinned in
//! scripts/test, which installs it under target/axe) injected into the page through WebDriver.

use std::path::PathBuf;

use fantoccini::Client;
use serde_json::Value;

fn axe_source() -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("target/axe/node_modules/axe-core/axe.min.js");
    std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{} (scripts/test installs it: npm install --prefix target/axe axe-core): {e}",
            path.display()
        )
    })
}

/// Runs axe-core on the page now shown; one line per violation: rule, what it asks for, and
/// the elements that break it. Empty: no violations.
pub(crate) async fn violations(client: &Client) -> Vec<String> {
    client
        .execute(&axe_source(), Vec::new())
        .await
        .expect("axe-core loads into the page");
    let found = client
        .execute_async(
            "var done = arguments[arguments.length - 1];
             axe.run(document, {resultTypes: ['violations']}).then(function (r) {
               done(r.violations.map(function (v) {
                 return v.id + ': ' + v.help + ' [' + v.nodes.map(function (n) {
                   return n.target.join(' ');
                 }).join(', ') + ']';
               }));
             }, function (e) { done(['axe failed: ' + e]); });",
            Vec::new(),
        )
        .await
        .expect("axe-core runs");
    match found {
        Value::Array(lines) => lines
            .into_iter()
            .map(|l| l.as_str().unwrap_or_default().to_owned())
            .collect(),
        other => vec![format!("unexpected axe answer: {other}")],
    }
}

/// Fails the test with axe-core's findings, if any, on the page now shown.
pub(crate) async fn assert_accessible(client: &Client, what: &str) {
    let found = violations(client).await;
    assert!(found.is_empty(), "axe on {what}:\n{}", found.join("\n"));
}
