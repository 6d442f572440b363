//! CloudFormation behind [`PeerRolePort`]: reads the project's own stack and updates it with
//! the previous template (never with a RoleARN; see [`crate::peer_role`]).

use aws_sdk_cloudformation::types::{Capability, Parameter};
use aws_sdk_cloudformation::Client;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

use super::{classify, write_outcome, AlreadyDone};
use crate::decision::Written;
use crate::error::Result;
use crate::peer_role::{PeerRolePort, Stack, StackStatus, StackUpdate};

/// The customer account's CloudFormation.
#[derive(Clone)]
pub struct CloudFormation {
    client: Client,
}

impl CloudFormation {
    pub fn from_sdk(sdk: &aws_config::SdkConfig) -> Self {
        Self {
            client: Client::new(sdk),
        }
    }
}

/// UpdateStack's answer when the stack already has these values: the removal is done.
pub fn is_no_updates(code: Option<&str>, message: Option<&str>) -> bool {
    code == Some("ValidationError")
        && message.is_some_and(|m| m.contains("No updates are to be performed"))
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

/// The UpdateStack parameters of a plan: new values for `set`, previous values for `keep`.
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

    async fn update(&self, update: &StackUpdate) -> Result<Written> {
        let call = self
            .client
            .update_stack()
            .stack_name(&update.stack)
            .use_previous_template(true)
            .set_parameters(Some(parameters_of(update)))
            .set_capabilities(Some(
                update
                    .capabilities
                    .iter()
                    .map(|c| Capability::from(c.as_str()))
                    .collect(),
            ))
            .set_client_request_token(update.client_request_token.clone());
        write_outcome(
            "UpdateStack",
            call.send().await,
            AlreadyDone::Answer(is_no_updates),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_smithy_types::DateTime;

    #[test]
    fn already_done_and_missing_answers() {
        let v = Some("ValidationError");
        assert!(is_no_updates(v, Some("No updates are to be performed.")));
        assert!(!is_no_updates(
            v,
            Some("Stack:arn:... is in UPDATE_IN_PROGRESS state and can not be updated.")
        ));
        assert!(!is_no_updates(
            Some("Throttling"),
            Some("No updates are to be performed.")
        ));
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
            set: vec![("CreatePeerRole".into(), "false".into())],
            keep: vec!["A".into(), "B".into()],
            capabilities: vec![],
            client_request_token: None,
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
