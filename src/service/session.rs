//! A certification session's mutable state: its emulated world and its case lifecycle, whose
//! invariants [`Session`] keeps: only a selected case can start, one case at a time, steps begin
//! and end in catalogue order, and a case's verdict is final — a finished case cannot start
//! again. What the registry keeps around it is [`crate::service::handle::SessionHandle`].

use std::sync::Arc;

use super::clock::Clock;
use super::pacing::PollPacer;
use super::world::World;
use crate::catalogue::model::Profile;
use crate::catalogue::model::{CustomerScript, FaultReply, ScriptedStatus};
use crate::catalogue::{Case, Catalogue};
use crate::judge::StepObservation;
use crate::pos::Endpoint;
use crate::report::{AdapterInfo, CatalogueProvenance, StepReport, Verdict};

/// A session call the lifecycle does not allow.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum LifecycleError {
    /// The case was not selected when the session was created.
    #[error("case {0} was not selected for this session")]
    NotSelected(String),
    /// The case already has its final verdict.
    #[error(
        "case {case} already has its final verdict ({verdict}); a verdict is final, so run it again in a new session"
    )]
    AlreadyFinished {
        /// The case.
        case: String,
        /// Its verdict, as a word.
        verdict: &'static str,
    },
    /// Another case is armed.
    #[error("case {0} is in progress; finish it before starting another")]
    CaseInProgress(String),
    /// No case is armed.
    #[error("no case is in progress")]
    NoCase,
    /// A step was begun out of order.
    #[error("step {given} cannot begin: the next step of case {case} is {expected}")]
    StepOutOfOrder {
        /// The case.
        case: String,
        /// The step that must come next (0-based).
        expected: usize,
        /// The step asked for.
        given: usize,
    },
    /// A step was begun while another had not ended.
    #[error("step {0} is in progress; end it before beginning another")]
    StepInProgress(usize),
    /// A step report does not match the step in progress.
    #[error("the report is for step {given} ({op}), but the step in progress is {expected}")]
    StepMismatch {
        /// The step in progress, if any.
        expected: String,
        /// The reported index.
        given: usize,
        /// The reported operation.
        op: String,
    },
    /// A fault names an endpoint the service does not know.
    #[error("case {case}: unknown endpoint `{on}` in a fault")]
    UnknownEndpoint {
        /// The case.
        case: String,
        /// The endpoint as written.
        on: String,
    },
    /// A seed needs a PoS and the session has none.
    #[error(
        "case {0} seeds a payment but the session has no point of sale (onboarding must run first)"
    )]
    NoPointOfSale(String),
}

/// The case currently armed.
#[derive(Debug, Clone, PartialEq)]
pub struct ArmedCase {
    /// Full case id.
    pub id: String,
    /// The step most recently begun (calls are attributed to it).
    pub step: Option<usize>,
    /// Whether that step has not been reported yet.
    pub step_open: bool,
    /// Remaining faults per endpoint.
    pub faults: std::collections::BTreeMap<Endpoint, std::collections::VecDeque<FaultReply>>,
    /// The simulated customer.
    pub customer: Option<CustomerScript>,
    /// The payment seeded before the case started.
    pub seeded_payment: Option<String>,
    /// What the driver reported of each finished step.
    pub steps: Vec<StepReport>,
    /// What the service observed at the end of each step.
    pub observations: Vec<StepObservation>,
}

/// What a session was opened as: the identification and the catalogue it runs.
#[derive(Debug, Clone, PartialEq)]
pub struct Identity {
    /// The client system's name.
    pub client_name: String,
    /// The version being certified.
    pub client_version: String,
    /// How the client is operated.
    pub adapter: AdapterInfo,
    /// The profile the session is judged in.
    pub profile: Profile,
    /// Where the catalogue came from.
    pub catalogue: CatalogueProvenance,
    /// The merchant the session certifies against.
    pub merchant_vat: String,
    /// The integrator's MobilePay client ids, lowercase GUIDs.
    pub integrator_client_ids: Vec<String>,
}

/// The mutable state of one session: its world and its case lifecycle.
#[derive(Debug)]
pub struct Session {
    catalogue: Arc<Catalogue>,
    selected: Vec<String>,
    clock: Clock,
    pacer: PollPacer,
    world: World,
    armed: Option<ArmedCase>,
    verdicts: Vec<(String, Verdict)>,
}

impl Session {
    /// A fresh session over `catalogue` with `selected` cases (full ids, already validated).
    pub fn new(catalogue: Arc<Catalogue>, selected: Vec<String>, clock: Clock) -> Self {
        Session {
            catalogue,
            selected,
            clock,
            pacer: PollPacer::new(uuid::Uuid::new_v4().as_u64_pair().0),
            world: World::default(),
            armed: None,
            verdicts: Vec::new(),
        }
    }

    /// The session's clock.
    pub fn clock(&self) -> Clock {
        self.clock
    }

    /// Lets `virtual_ms` of virtual time pass for the session at once, as if it had waited that
    /// long: reservation expiry, refund auto-capture and lapsed check-ins apply on the next read
    /// or act, as after a real wait. Tests only; refused if the clock cannot reach back so far.
    #[cfg(test)]
    pub(crate) fn advance_clock(&mut self, virtual_ms: f64) -> Result<(), String> {
        self.clock = self
            .clock
            .advanced(virtual_ms)
            .ok_or_else(|| format!("the clock cannot be advanced by {virtual_ms} ms"))?;
        Ok(())
    }

    /// The `pollDelayInMs` to announce on the next poll, in real milliseconds.
    pub fn next_poll_delay_ms(&mut self) -> u32 {
        self.pacer.next_delay_ms(&self.clock)
    }

    /// The catalogue the session runs.
    pub fn catalogue(&self) -> &Catalogue {
        &self.catalogue
    }

    /// The selected cases, by full id.
    pub fn selected(&self) -> &[String] {
        &self.selected
    }

    /// The emulated world.
    pub fn world(&self) -> &World {
        &self.world
    }

    /// The emulated world, to change.
    pub fn world_mut(&mut self) -> &mut World {
        &mut self.world
    }

    /// The armed case, if any.
    pub fn armed(&self) -> Option<&ArmedCase> {
        self.armed.as_ref()
    }

    /// What a payment created now inherits from the armed case: the customer's script, whether
    /// it allows partial capture, and the case it belongs to.
    pub fn armed_customer(&self) -> (Option<Vec<ScriptedStatus>>, bool, Option<String>) {
        match &self.armed {
            Some(armed) => (
                armed.customer.as_ref().map(|c| c.payment.clone()),
                armed
                    .customer
                    .as_ref()
                    .is_some_and(|c| c.partial_capture_possible),
                Some(armed.id.clone()),
            ),
            None => (None, false, None),
        }
    }

    /// A case of the session's catalogue by full id.
    pub fn case(&self, case_id: &str) -> Option<&Case> {
        let (category, case) = case_id.split_once('/')?;
        self.catalogue
            .category(category)?
            .case(case)
            .map(|c| &c.case)
    }

    /// The final verdict of a case, if it has one.
    pub fn verdict_of(&self, case_id: &str) -> Option<&Verdict> {
        self.verdicts
            .iter()
            .find(|(id, _)| id == case_id)
            .map(|(_, v)| v)
    }

    /// Every final verdict in the order the cases finished.
    pub fn verdicts(&self) -> &[(String, Verdict)] {
        &self.verdicts
    }

    /// Checks that `case_id` may start now: selected, without a verdict, nothing else armed.
    pub fn check_can_start(&self, case_id: &str) -> Result<(), LifecycleError> {
        if !self.selected.iter().any(|id| id == case_id) || self.case(case_id).is_none() {
            return Err(LifecycleError::NotSelected(case_id.to_string()));
        }
        if let Some(verdict) = self.verdict_of(case_id) {
            return Err(LifecycleError::AlreadyFinished {
                case: case_id.to_string(),
                verdict: verdict.word(),
            });
        }
        if let Some(armed) = &self.armed {
            return Err(LifecycleError::CaseInProgress(armed.id.clone()));
        }
        Ok(())
    }

    /// Arms a case that [`Session::check_can_start`] allowed.
    pub fn arm(&mut self, armed: ArmedCase) -> Result<(), LifecycleError> {
        self.check_can_start(&armed.id)?;
        self.armed = Some(armed);
        Ok(())
    }

    /// Takes the next fault for a call of `endpoint` in the armed case.
    pub fn take_fault(&mut self, endpoint: Endpoint) -> Option<FaultReply> {
        self.armed.as_mut()?.faults.get_mut(&endpoint)?.pop_front()
    }

    /// The armed case and step a call arriving now is attributed to.
    pub fn attribution(&self) -> (Option<String>, Option<usize>) {
        match &self.armed {
            Some(armed) => (Some(armed.id.clone()), armed.step),
            None => (None, None),
        }
    }

    /// Begins step `index` of the armed case: the next one in order, after the previous ended.
    pub fn begin_step(&mut self, index: usize) -> Result<(), LifecycleError> {
        let armed = self.armed.as_ref().ok_or(LifecycleError::NoCase)?;
        let total = self.case(&armed.id).map_or(0, |c| c.steps.len());
        if let (Some(open), true) = (armed.step, armed.step_open) {
            return Err(LifecycleError::StepInProgress(open));
        }
        let expected = armed.steps.len();
        if index != expected || index >= total {
            return Err(LifecycleError::StepOutOfOrder {
                case: armed.id.clone(),
                expected,
                given: index,
            });
        }
        if let Some(armed) = self.armed.as_mut() {
            armed.step = Some(index);
            armed.step_open = true;
        }
        Ok(())
    }

    /// Ends the step in progress with the driver's report of it, which must name that step and
    /// its operation; keeps the report with what the service observes now.
    pub fn end_step(&mut self, report: StepReport) -> Result<StepObservation, LifecycleError> {
        let armed = self.armed.as_ref().ok_or(LifecycleError::NoCase)?;
        let open = armed.step.filter(|_| armed.step_open);
        let expected_op = open
            .and_then(|index| self.case(&armed.id)?.steps.get(index))
            .map(|step| step.op.as_str());
        if open != Some(report.index) || expected_op != Some(report.op.as_str()) {
            return Err(LifecycleError::StepMismatch {
                expected: match (open, expected_op) {
                    (Some(index), Some(op)) => format!("{index} ({op})"),
                    _ => "none".to_string(),
                },
                given: report.index,
                op: report.op,
            });
        }
        let observation = StepObservation {
            seeded_payment: armed
                .seeded_payment
                .as_ref()
                .and_then(|id| self.world.payments.get(id))
                .map(|p| p.status),
            payments: self.world.observe_case_payments(armed),
        };
        if let Some(armed) = self.armed.as_mut() {
            armed.step_open = false;
            armed.steps.push(report);
            armed.observations.push(observation.clone());
        }
        Ok(observation)
    }

    /// Disarms the armed case so it can be judged; calls arriving from now on belong to no case.
    pub fn disarm(&mut self) -> Result<ArmedCase, LifecycleError> {
        self.armed.take().ok_or(LifecycleError::NoCase)
    }

    /// Records the final verdict of a disarmed case and cancels every payment still active, so
    /// the next case starts on a free PoS.
    pub fn conclude(&mut self, case_id: &str, verdict: Verdict) {
        self.verdicts.push((case_id.to_string(), verdict));
        self.world.cancel_active_payments();
    }
}
