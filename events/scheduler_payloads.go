package events

// BundleScheduled records a bundle admitted to the schedule.
type BundleScheduled struct {
	BundleID   string     `json:"bundle_id"`
	AgentID    string     `json:"agent_id"`
	OrderID    string     `json:"order_id,omitempty"`
	Quantities Quantities `json:"quantities"`
	Window     Window     `json:"window"`
	// Lease, for a bundle paid for as its time passes: the ledger hold
	// that pays, its amount, the account paid, and the decimal places of
	// a pro-rata payment. Empty for a bundle paid otherwise.
	LeaseHold   string  `json:"lease_hold,omitempty"`
	LeaseAmount Decimal `json:"lease_amount,omitempty"`
	LeasePayee  string  `json:"lease_payee,omitempty"`
	LeaseScale  int32   `json:"lease_scale,omitempty"`
}

// BundleActivated records a bundle whose window has started.
type BundleActivated struct {
	BundleID string `json:"bundle_id"`
	AgentID  string `json:"agent_id"`
}

// BundleExpired records a bundle whose window has ended.
type BundleExpired struct {
	BundleID string `json:"bundle_id"`
	AgentID  string `json:"agent_id"`
}

// BundleReleased records a bundle ended before its window did, by its agent
// or by a termination.
type BundleReleased struct {
	BundleID string `json:"bundle_id"`
	AgentID  string `json:"agent_id"`
	Reason   string `json:"reason"`
}

// UsageRecorded records metered usage of a resource against a bundle. Used
// is the total used so far in the bundle, Limit what the bundle allows.
type UsageRecorded struct {
	BundleID string `json:"bundle_id"`
	AgentID  string `json:"agent_id"`
	Resource string `json:"resource"`
	Quantity int64  `json:"quantity"`
	Used     int64  `json:"used"`
	Limit    int64  `json:"limit"`
}

// ServiceDenied records a service-level request refused because it exceeds
// what the agent's active bundles allow. Nothing was consumed.
type ServiceDenied struct {
	AgentID   string `json:"agent_id"`
	Resource  string `json:"resource"`
	Requested int64  `json:"requested"`
	Available int64  `json:"available"`
	Reason    string `json:"reason"`
}

// AgentTerminated records an agent stopped for exceeding its bundle's
// envelope of an OS-level resource, or because its bundle ended.
type AgentTerminated struct {
	AgentID  string `json:"agent_id"`
	BundleID string `json:"bundle_id,omitempty"`
	Reason   string `json:"reason"`
	Resource string `json:"resource,omitempty"`
	Used     int64  `json:"used,omitempty"`
	Limit    int64  `json:"limit,omitempty"`
}

// AgentAwake records an agent gaining its first active bundle.
type AgentAwake struct {
	AgentID string `json:"agent_id"`
}

// AgentDormant records an agent losing its last active bundle.
type AgentDormant struct {
	AgentID string `json:"agent_id"`
}

// EventType implements Payload.
func (BundleScheduled) EventType() Type { return TypeBundleScheduled }

// EventType implements Payload.
func (BundleActivated) EventType() Type { return TypeBundleActivated }

// EventType implements Payload.
func (BundleExpired) EventType() Type { return TypeBundleExpired }

// EventType implements Payload.
func (BundleReleased) EventType() Type { return TypeBundleReleased }

// EventType implements Payload.
func (UsageRecorded) EventType() Type { return TypeUsageRecorded }

// EventType implements Payload.
func (ServiceDenied) EventType() Type { return TypeServiceDenied }

// EventType implements Payload.
func (AgentTerminated) EventType() Type { return TypeAgentTerminated }

// EventType implements Payload.
func (AgentAwake) EventType() Type { return TypeAgentAwake }

// EventType implements Payload.
func (AgentDormant) EventType() Type { return TypeAgentDormant }
