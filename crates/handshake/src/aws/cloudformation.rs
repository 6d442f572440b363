//! CloudFormation (and IAM's GetRole) behind [`PeerRolePort`]: reads the project's own stack,
//! and removes the PeerRole through a change set on the previous template (never with a
//! RoleARN; see [`crate::peer_role`]).

use aws_sdk_cloudformation::types::{Capability, ChangeSetType, Parameter};
use aws_sdk_cloudformation::Client;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

use super::{classify, code_of, write_outcome};
use crate::decision::Written;
use crate::error::Result;
use crate::peer_role::{
    ChangeAction, ChangeSet, ChangeSetStatus, ExecutionStatus, PeerRolePort, ResourceChange, Stack,
    StackStatus, StackUpdate, CHANGE_SET_PREFIX,
};

/// The customer account's CloudFormation, and IAM to confirm the PeerRole is gone.
#[derive(Clone)]
pub struct CloudFormation {
    client: Client,
    iam: aws_sdk_iam::Client,
}

impl CloudFormation {
    pub fn from_sdk(sdk: &aws_config::SdkConfig) -> Self {
        Self {
            client: Client::new(sdk),
            iam: aws_sdk_iam::Client::new(sdk),
        }
    }
}

/// DescribeStacks' answer for a stack name that does not exist.
pub fn is_missing_stack(code: Option<&str>, message: Option<&str>) -> bool {
    code == Some("ValidationError") && message.is_some_and(|m| m.contains("does not exist"))
}

/// The stack as the decision sees it.
pub fn stack_of(s: &aws_sdk_cloudformation::types::Stack) -> Stack {
    Stack {
        id: s.stack_id().unwrap_or_default().to_string(),
        name: s.stack_name().unwrap_or_default().to_string(),
        status: StackStatus::parse(s.stack_status().map(|st| st.as_str()).unwrap_or_default()),
        parameters: s
            .parameters()
            .iter()
            .filter_map(|p| {
                Some((
                    p.parameter_key()?.to_string(),
                    p.parameter_value().unwrap_or_default().to_string(),
                ))
            })
            .collect(),
        changed_at: s.last_updated_time().or(s.creation_time()).copied(),
        role_arn: s.role_arn().filter(|r| !r.is_empty()).map(String::from),
    }
}

/// The change set's parameters: new values for `set`, previous values for `keep`.
pub fn parameters_of(update: &StackUpdate) -> Vec<Parameter> {
    let set = update.set.iter().map(|(k, v)| {
        Parameter::builder()
            .parameter_key(k)
            .parameter_value(v)
            .build()
    });
    let keep = update.keep.iter().map(|k| {
        Parameter::builder()
            .parameter_key(k)
            .use_previous_value(true)
            .build()
    });
    set.chain(keep).collect()
}

impl PeerRolePort for CloudFormation {
    async fn stack(&self, name: &str) -> Result<Option<Stack>> {
        match self.client.describe_stacks().stack_name(name).send().await {
            Ok(out) => Ok(out.stacks().first().map(stack_of)),
            Err(e) if is_missing_stack(e.code(), e.message()) => Ok(None),
            Err(e) => Err(classify("DescribeStacks", e)),
        }
    }

    async fn change_set(&self, stack: &str) -> Result<Option<ChangeSet>> {
        let summaries: Vec<_> = self
            .client
            .list_change_sets()
            .stack_name(stack)
            .into_paginator()
            .items()
            .send()
            .try_collect()
            .await
            .map_err(|e| classify("ListChangeSets", e))?;
        let Some(ours) = summaries
            .iter()
            .filter(|c| {
                c.change_set_name()
                    .is_some_and(|n| n.starts_with(CHANGE_SET_PREFIX))
            })
            .max_by_key(|c| c.creation_time().map(|t| t.secs()))
        else {
            return Ok(None);
        };
        let name = ours.change_set_name().unwrap_or_default().to_string();
        let mut changes = Vec::new();
        let mut token: Option<String> = None;
        let mut described;
        loop {
            described = match self
                .client
                .describe_change_set()
                .stack_name(stack)
                .change_set_name(&name)
                .set_next_token(token.take())
                .send()
                .await
            {
                Ok(out) => out,
                Err(e) if code_of(&e) == Some("ChangeSetNotFound") => return Ok(None),
                Err(e) => return Err(classify("DescribeChangeSet", e)),
            };
            changes.extend(described.changes().iter().filter_map(|c| {
                let r = c.resource_change()?;
                Some(ResourceChange {
                    action: ChangeAction::parse(r.action().map(|a| a.as_str()).unwrap_or_default()),
                    logical_id: r.logical_resource_id().unwrap_or_default().to_string(),
                    resource_type: r.resource_type().unwrap_or_default().to_string(),
                })
            }));
            match described.next_token() {
                Some(next) if !next.is_empty() => token = Some(next.to_string()),
                _ => break,
            }
        }
        Ok(Some(ChangeSet {
            name,
            status: ChangeSetStatus::parse(
                described.status().map(|s| s.as_str()).unwrap_or_default(),
            ),
            execution: ExecutionStatus::parse(
                described
                    .execution_status()
                    .map(|s| s.as_str())
                    .unwrap_or_default(),
            ),
            status_reason: described.status_reason().unwrap_or_default().to_string(),
            changes,
        }))
    }

    async fn create_change_set(&self, update: &StackUpdate) -> Result<Written> {
        let capabilities = update
            .capabilities
            .iter()
            .map(|c| Capability::from(c.as_str()))
            .collect();
        let call = self
            .client
            .create_change_set()
            .stack_name(&update.stack)
            .change_set_name(&update.change_set)
            .change_set_type(ChangeSetType::Update)
            .use_previous_template(true)
            .set_parameters(Some(parameters_of(update)))
            .set_capabilities(Some(capabilities))
            .description("astro-handshake: remove the temporary PeerRole");
        write_outcome(
            "CreateChangeSet",
            call.send().await,
            &["AlreadyExistsException"],
        )
    }

    async fn execute_change_set(&self, stack: &str, change_set: &str) -> Result<Written> {
        let call = (self.client.execute_change_set())
            .stack_name(stack)
            .change_set_name(change_set);
        // Gone or already executing: another instance of this function executed it.
        let done = &["ChangeSetNotFound", "InvalidChangeSetStatus"];
        write_outcome("ExecuteChangeSet", call.send().await, done)
    }

    async fn delete_change_set(&self, stack: &str, change_set: &str) -> Result<Written> {
        let call = (self.client.delete_change_set())
            .stack_name(stack)
            .change_set_name(change_set);
        write_outcome("DeleteChangeSet", call.send().await, &["ChangeSetNotFound"])
    }

    async fn role_exists(&self, name: &str) -> Result<bool> {
        match self.iam.get_role().role_name(name).send().await {
            Ok(_) => Ok(true),
            Err(e) if code_of(&e) == Some("NoSuchEntity") => Ok(false),
            Err(e) => Err(classify("GetRole", e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_smithy_types::DateTime;

    #[test]
    fn missing_stack_answers() {
        let v = Some("ValidationError");
        assert!(is_missing_stack(
            v,
            Some("Stack with id astro-handshake does not exist")
        ));
        assert!(!is_missing_stack(
            v,
            Some("No updates are to be performed.")
        ));
        assert!(!is_missing_stack(
            Some("AccessDenied"),
            Some("... does not exist ...")
        ));
    }

    #[test]
    fn reads_status_parameters_time_and_role() {
        let s = aws_sdk_cloudformation::types::Stack::builder()
            .stack_id("arn:aws:cloudformation:us-east-1:222222222222:stack/s/1")
            .stack_name("s")
            .stack_status(aws_sdk_cloudformation::types::StackStatus::UpdateRollbackComplete)
            .creation_time(DateTime::from_secs(10))
            .last_updated_time(DateTime::from_secs(20))
            .parameters(
                Parameter::builder()
                    .parameter_key("CreatePeerRole")
                    .parameter_value("true")
                    .build(),
            )
            .parameters(
                Parameter::builder()
                    .parameter_key("PeerRoleExternalId")
                    .parameter_value("****")
                    .build(),
            )
            .parameters(Parameter::builder().parameter_key("Empty").build())
            .role_arn("")
            .build();
        let stack = stack_of(&s);
        assert_eq!(stack.status, StackStatus::UpdateRollbackComplete);
        assert_eq!(stack.parameters["CreatePeerRole"], "true");
        assert_eq!(stack.parameters["PeerRoleExternalId"], "****");
        assert_eq!(stack.parameters["Empty"], "");
        assert_eq!(stack.changed_at, Some(DateTime::from_secs(20)));
        assert_eq!(stack.role_arn, None);
        let never_updated = aws_sdk_cloudformation::types::Stack::builder()
            .creation_time(DateTime::from_secs(10))
            .build();
        assert_eq!(
            stack_of(&never_updated).changed_at,
            Some(DateTime::from_secs(10))
        );
    }

    #[test]
    fn parameters_never_carry_a_value_for_kept_ones() {
        let update = StackUpdate {
            stack: "s".into(),
            change_set: "astro-handshake-remove-peer-role-1".into(),
            set: vec![("CreatePeerRole".into(), "false".into())],
            keep: vec!["A".into(), "B".into()],
            capabilities: vec![],
        };
        let p = parameters_of(&update);
        assert_eq!(p.len(), 3);
        assert_eq!(
            (
                p[0].parameter_key(),
                p[0].parameter_value(),
                p[0].use_previous_value()
            ),
            (Some("CreatePeerRole"), Some("false"), None)
        );
        for kept in &p[1..] {
            assert_eq!(kept.use_previous_value(), Some(true));
            assert_eq!(kept.parameter_value(), None);
        }
    }
}
