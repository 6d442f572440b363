//! This project's stack as a customer's `sam deploy` makes it: template.yaml after the SAM
//! transform, with every feature's parameters set, created in the emulator's CloudFormation by
//! `tests/deploy/customer_stack.py` (the same code the deploy tests use), which first creates
//! the VPCs, Transit Gateway, zones and code bundles the parameters name.

use std::collections::BTreeMap;
use std::process::Command;

use crate::{root, Emulator};

/// The stack in the customer's account.
pub struct CustomerStack {
    pub name: String,
    pub id: String,
    /// Every parameter of the template, as passed to CreateStack.
    pub parameters: BTreeMap<String, String>,
}

impl CustomerStack {
    /// The value of the template parameter `name`.
    pub fn parameter(&self, name: &str) -> &str {
        self.parameters
            .get(name)
            .unwrap_or_else(|| panic!("the template has no parameter {name}"))
    }
}

/// Deploys the stack, with `overrides` in place of the default test values of those parameters.
pub fn deploy(emulator: &Emulator, overrides: &[(&str, &str)]) -> CustomerStack {
    let python = std::env::var("HANDSHAKE_PYTHON").unwrap_or_else(|_| "python3".into());
    let mut command = Command::new(&python);
    command
        .arg(root().join("tests/deploy/customer_stack.py"))
        .args(["--endpoint", &emulator.endpoint])
        .env("PYTHONDONTWRITEBYTECODE", "1");
    for (key, value) in overrides {
        command.args(["--set", &format!("{key}={value}")]);
    }
    let out = command
        .output()
        .unwrap_or_else(|e| panic!("cannot run `{python}` ({e}); `make test` installs it"));
    assert!(
        out.status.success(),
        "deploying the stack failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let deployed: serde_json::Value =
        serde_json::from_slice(&out.stdout).expect("customer_stack.py prints JSON");
    let text = |key: &str| deployed[key].as_str().expect(key).to_string();
    CustomerStack {
        name: text("stackName"),
        id: text("stackId"),
        parameters: deployed["parameters"]
            .as_object()
            .expect("parameters")
            .iter()
            .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
            .collect(),
    }
}
