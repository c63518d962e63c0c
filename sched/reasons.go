package sched

// Reasons carried by service_denied, agent_terminated and bundle_released
// events.
const (
	// ReasonExceedsBundle: the request or sample is beyond what the agent's
	// active bundles allow.
	ReasonExceedsBundle = "exceeds_bundle"
	// ReasonNoActiveBundle: no bundle of the agent holding the resource is
	// active now.
	ReasonNoActiveBundle = "no_active_bundle"
	// ReasonReleased: the agent released the bundle early.
	ReasonReleased = "released"
	// ReasonTerminated: the bundle ended because its agent was terminated.
	ReasonTerminated = "terminated"
	// ReasonExpired: the bundle's window ended; the reason of its payment
	// and of the agent's stop.
	ReasonExpired = "expired"
)
