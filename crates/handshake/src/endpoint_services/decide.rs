//! The endpoint-services decision: a pure function of configuration and observation.

use super::config::ASTRO_PRINCIPAL_ROLE;
use super::model::{
    Connection, ConnectionState, EndpointService, EndpointServicesAction, Observation, ServiceState,
};
use super::EndpointServicesConfig;
use crate::audit::Verdict;
use crate::decision::{Decision, Refusal};
use crate::model::{Finding, FindingKind};

pub fn decide(
    config: &EndpointServicesConfig,
    observation: &Observation,
) -> Decision<EndpointServicesAction> {
    match observation {
        Observation::Service {
            id,
            configured,
            service,
            principals,
        } => {
            if !configured {
                return not_listed(id);
            }
            match service {
                Some(service) => decide_service(config, service, principals),
                None => missing(
                    id,
                    format!("endpoint service {id} (EndpointServiceIds) does not exist in this account and Region"),
                ),
            }
        }
        Observation::Connection {
            service_id,
            endpoint_id,
            configured,
            connection,
        } => {
            if !configured {
                return not_listed(service_id);
            }
            match connection {
                Some(c) => decide_connection(config, c),
                None => Decision::new(
                    Verdict::Skip,
                    format!(
                        "{endpoint_id} is not connected to {service_id} (any more); nothing to do"
                    ),
                    None,
                ),
            }
        }
    }
}

fn not_listed(service_id: &str) -> Decision<EndpointServicesAction> {
    Decision::new(
        Verdict::Skip,
        format!("{service_id} is not in EndpointServiceIds; left untouched"),
        None,
    )
}

fn missing(service_id: &str, detail: String) -> Decision<EndpointServicesAction> {
    let mut d = Decision::new(Verdict::Ignore, format!("{detail}; nothing done"), None);
    d.findings.push(Finding {
        kind: FindingKind::Missing,
        detail: format!("{detail}: remove {service_id} from EndpointServiceIds, or find out what happened to it"),
    });
    d
}

/// Astro's principal for every Astro account, added where missing; never a principal removed.
fn decide_service(
    config: &EndpointServicesConfig,
    service: &EndpointService,
    principals: &[String],
) -> Decision<EndpointServicesAction> {
    let id = &service.id;
    match &service.state {
        ServiceState::Available => {}
        ServiceState::Pending => {
            return Decision::new(
                Verdict::Wait,
                format!("endpoint service {id} is Pending; its principals are converged once it is Available"),
                None,
            )
        }
        other => return missing(id, format!("endpoint service {id} is {other}")),
    }
    let wanted = config.astro_principals();
    let to_allow: Vec<&String> = wanted.iter().filter(|p| !principals.contains(p)).collect();
    let mut d = Decision::new(
        Verdict::Accept,
        if to_allow.is_empty() {
            format!(
                "endpoint service {id} ({}) allows Astro's principal of every Astro account; in sync",
                service.name
            )
        } else {
            format!(
                "endpoint service {id} ({}): allowing {}",
                service.name,
                to_allow
                    .iter()
                    .map(|p| p.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        },
        None,
    );
    d.plan = to_allow
        .into_iter()
        .map(|principal| EndpointServicesAction::AllowPrincipal {
            service_id: id.clone(),
            principal: principal.clone(),
        })
        .collect();
    if principals.iter().any(|p| p == "*") && !service.acceptance_required {
        d.findings.push(Finding {
            kind: FindingKind::OpenEndpointService,
            detail: format!(
                "endpoint service {id} allows every principal (*) and does not require acceptance: anyone in AWS can connect to it; \
                 remove * or turn on acceptance, and Astro's connections are accepted here"
            ),
        });
    }
    let suffix = format!(":role/{ASTRO_PRINCIPAL_ROLE}");
    for stale in principals
        .iter()
        .filter(|p| p.ends_with(&suffix) && p.starts_with("arn:") && !wanted.contains(p))
    {
        d.findings.push(Finding {
            kind: FindingKind::StalePrincipal,
            detail: format!(
                "endpoint service {id} allows {stale}, whose account is not in AstroAccountIds; \
                 this project never removes a principal: remove it if Astro no longer uses that account"
            ),
        });
    }
    d
}

/// A connection from an Astro account is accepted; any other is refused by the one rule.
fn decide_connection(
    config: &EndpointServicesConfig,
    c: &Connection,
) -> Decision<EndpointServicesAction> {
    let requester = Some(c.owner.clone());
    let id = format!("{}/{}", c.service_id, c.endpoint_id);
    if !config.common.astro_account_ids.contains(&c.owner) {
        let why = [format!(
            "endpoint {} of account {} is not from an Astro account (AstroAccountIds)",
            c.endpoint_id, c.owner
        )];
        return Decision::refused(
            Refusal::of(&c.state, &why, requester),
            config.common.unknown_requests,
            || EndpointServicesAction::RejectConnection {
                service_id: c.service_id.clone(),
                endpoint_id: c.endpoint_id.clone(),
            },
        );
    }
    let say = |verdict, reason: String| Decision::new(verdict, reason, requester.clone());
    match &c.state {
        ConnectionState::PendingAcceptance => {
            let mut d = say(
                Verdict::Accept,
                format!("connection {id} from Astro account {}: accepting", c.owner),
            );
            d.plan.push(EndpointServicesAction::AcceptConnection {
                service_id: c.service_id.clone(),
                endpoint_id: c.endpoint_id.clone(),
            });
            d
        }
        ConnectionState::Pending => {
            let mut d = say(
                Verdict::Wait,
                format!(
                    "connection {id} from Astro account {} is being set up",
                    c.owner
                ),
            );
            d.settling = true;
            d
        }
        ConnectionState::Available => say(
            Verdict::Accept,
            format!(
                "connection {id} from Astro account {} is available; in sync",
                c.owner
            ),
        ),
        other => say(
            Verdict::Skip,
            format!(
                "connection {id} from Astro account {} is {other}; nothing to do",
                c.owner
            ),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::UnknownRequests;
    use crate::decision::Action;

    const SERVICE: &str = "vpce-svc-0123456789abcdef0";
    const ENDPOINT: &str = "vpce-0aaaaaaaaaaaaaaa1";
    const ASTRO: &str = "111111111111";
    const ASTRO_2: &str = "444444444444";
    const STRANGER: &str = "333333333333";

    fn config(unknown: UnknownRequests) -> EndpointServicesConfig {
        let vars: &[(&str, &str)] = &[
            ("ASTRO_ACCOUNT_IDS", "111111111111,444444444444"),
            ("ASTRO_CIDRS", "10.100.0.0/16"),
            ("ENDPOINT_SERVICE_IDS", SERVICE),
        ];
        let mut c = EndpointServicesConfig::read(&vars).unwrap();
        c.common.unknown_requests = unknown;
        c
    }

    fn principal(account: &str) -> String {
        format!("arn:aws:iam::{account}:role/astronomer-remote-management")
    }

    fn service(state: &str, acceptance_required: bool, principals: &[String]) -> Observation {
        Observation::Service {
            id: SERVICE.into(),
            configured: true,
            service: Some(EndpointService {
                id: SERVICE.into(),
                name: format!("com.amazonaws.vpce.us-east-1.{SERVICE}"),
                state: ServiceState::parse(state),
                acceptance_required,
            }),
            principals: principals.to_vec(),
        }
    }

    fn connection(owner: &str, state: &str) -> Observation {
        Observation::Connection {
            service_id: SERVICE.into(),
            endpoint_id: ENDPOINT.into(),
            configured: true,
            connection: Some(Connection {
                service_id: SERVICE.into(),
                endpoint_id: ENDPOINT.into(),
                owner: owner.into(),
                state: ConnectionState::parse(state),
            }),
        }
    }

    fn allow(account: &str) -> EndpointServicesAction {
        EndpointServicesAction::AllowPrincipal {
            service_id: SERVICE.into(),
            principal: principal(account),
        }
    }

    #[test]
    fn astro_principals_missing_are_added_and_no_other_principal_is_touched() {
        let others = vec![
            "arn:aws:iam::555555555555:root".to_string(),
            principal(ASTRO_2),
        ];
        let d = decide(
            &config(UnknownRequests::Ignore),
            &service("Available", true, &others),
        );
        assert_eq!(d.verdict, Verdict::Accept);
        assert_eq!(d.plan, [allow(ASTRO)], "only what is missing");
        assert!(d.findings.is_empty(), "{:?}", d.findings);
        assert_eq!(d.plan[0].name(), "allow-endpoint-service-principal");

        let all = vec![principal(ASTRO), principal(ASTRO_2)];
        let d = decide(
            &config(UnknownRequests::Ignore),
            &service("Available", true, &all),
        );
        assert!(d.plan.is_empty());
        assert!(d.reason.ends_with("in sync"), "{}", d.reason);
    }

    #[test]
    fn a_principal_of_an_account_no_longer_astro_is_a_finding_never_a_removal() {
        let p = vec![principal(ASTRO), principal(ASTRO_2), principal(STRANGER)];
        let d = decide(
            &config(UnknownRequests::Reject),
            &service("Available", true, &p),
        );
        assert!(d.plan.is_empty());
        assert_eq!(d.findings.len(), 1);
        assert_eq!(d.findings[0].kind, FindingKind::StalePrincipal);
        assert!(d.findings[0].detail.contains(STRANGER));
    }

    #[test]
    fn an_endpoint_service_open_to_everyone_without_review_is_a_finding() {
        let p = vec!["*".to_string(), principal(ASTRO), principal(ASTRO_2)];
        let open = decide(
            &config(UnknownRequests::Ignore),
            &service("Available", false, &p),
        );
        assert_eq!(open.findings[0].kind, FindingKind::OpenEndpointService);
        let reviewed = decide(
            &config(UnknownRequests::Ignore),
            &service("Available", true, &p),
        );
        assert!(
            reviewed.findings.is_empty(),
            "acceptance required: each request is reviewed here"
        );
    }

    #[test]
    fn a_service_not_available_is_not_written_to() {
        let d = decide(
            &config(UnknownRequests::Ignore),
            &service("Pending", true, &[]),
        );
        assert_eq!(d.verdict, Verdict::Wait);
        assert!(d.plan.is_empty());
        for state in ["Deleting", "Deleted", "Failed"] {
            let d = decide(&config(UnknownRequests::Ignore), &service(state, true, &[]));
            assert_eq!(d.verdict, Verdict::Ignore, "{state}");
            assert!(d.plan.is_empty());
            assert_eq!(d.findings[0].kind, FindingKind::Missing);
        }
        let gone = Observation::Service {
            id: SERVICE.into(),
            configured: true,
            service: None,
            principals: vec![],
        };
        let d = decide(&config(UnknownRequests::Ignore), &gone);
        assert_eq!(d.findings[0].kind, FindingKind::Missing);
    }

    #[test]
    fn services_and_connections_not_listed_are_left_untouched() {
        let mut o = service("Available", true, &[]);
        if let Observation::Service { configured, .. } = &mut o {
            *configured = false;
        }
        let d = decide(&config(UnknownRequests::Reject), &o);
        assert_eq!(d.verdict, Verdict::Skip);
        assert!(d.plan.is_empty());
        let mut o = connection(STRANGER, "pendingAcceptance");
        if let Observation::Connection { configured, .. } = &mut o {
            *configured = false;
        }
        let d = decide(&config(UnknownRequests::Reject), &o);
        assert_eq!(d.verdict, Verdict::Skip);
        assert!(d.plan.is_empty(), "not even rejected");
    }

    #[test]
    fn a_pending_connection_from_an_astro_account_is_accepted() {
        let d = decide(
            &config(UnknownRequests::Ignore),
            &connection(ASTRO_2, "pendingAcceptance"),
        );
        assert_eq!(d.verdict, Verdict::Accept);
        assert_eq!(d.requester_account.as_deref(), Some(ASTRO_2));
        assert_eq!(
            d.plan,
            [EndpointServicesAction::AcceptConnection {
                service_id: SERVICE.into(),
                endpoint_id: ENDPOINT.into()
            }]
        );
        assert_eq!(d.plan[0].effect(), crate::decision::Effect::Accepted);
        let settling = decide(
            &config(UnknownRequests::Ignore),
            &connection(ASTRO, "pending"),
        );
        assert!(settling.settling && settling.plan.is_empty());
        let done = decide(
            &config(UnknownRequests::Ignore),
            &connection(ASTRO, "available"),
        );
        assert_eq!(done.verdict, Verdict::Accept);
        assert!(done.plan.is_empty());
        let gone = decide(
            &config(UnknownRequests::Ignore),
            &connection(ASTRO, "rejected"),
        );
        assert_eq!(gone.verdict, Verdict::Skip);
    }

    #[test]
    fn any_other_account_is_left_pending_or_rejected_as_the_customer_chose() {
        let left = decide(
            &config(UnknownRequests::Ignore),
            &connection(STRANGER, "pendingAcceptance"),
        );
        assert_eq!(left.verdict, Verdict::Ignore);
        assert!(left.plan.is_empty());
        assert!(
            left.reason.contains("not from an Astro account"),
            "{}",
            left.reason
        );
        let rejected = decide(
            &config(UnknownRequests::Reject),
            &connection(STRANGER, "pendingAcceptance"),
        );
        assert_eq!(rejected.verdict, Verdict::Reject);
        assert_eq!(
            rejected.plan,
            [EndpointServicesAction::RejectConnection {
                service_id: SERVICE.into(),
                endpoint_id: ENDPOINT.into()
            }]
        );
        // Once connected it is no longer a request: never rejected here.
        let connected = decide(
            &config(UnknownRequests::Reject),
            &connection(STRANGER, "available"),
        );
        assert_eq!(connected.verdict, Verdict::Ignore);
        assert!(connected.plan.is_empty());
    }

    #[test]
    fn a_connection_gone_meanwhile_is_nothing_to_do() {
        let o = Observation::Connection {
            service_id: SERVICE.into(),
            endpoint_id: ENDPOINT.into(),
            configured: true,
            connection: None,
        };
        let d = decide(&config(UnknownRequests::Reject), &o);
        assert_eq!(d.verdict, Verdict::Skip);
        assert!(d.plan.is_empty());
    }
}
