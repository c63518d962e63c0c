package events

// Counterparty returns the party, other than e.Subject, that e is about, or
// "" if there is none: the other account of a credit movement
// (credits_transferred, credits_minted, credits_burned; for a transfer, the
// receiver), the account a captured hold pays (hold_captured), the agent a
// judge evaluated (judge_evaluation), the human who gave a reward
// (human_reward_issued). A party that is the event's subject
// is not its counterparty.
//
// Transports that route events by party (natstransport's subjects) use it so
// that an agent receives the events about it as the subject and as the
// counterparty, such as the credits another agent sent it.
func Counterparty(e Event) string {
	var party string
	switch d := e.Data.(type) {
	case CreditsTransferred:
		party = other(e.Subject, d.From, d.To)
	case CreditsMinted:
		party = other(e.Subject, d.From, d.To)
	case CreditsBurned:
		party = other(e.Subject, d.From, d.To)
	case HoldCaptured:
		party = other(e.Subject, d.AccountID, d.To)
	case JudgeEvaluation:
		party = d.AgentID
	case HumanRewardIssued:
		party = d.Human
	}
	if party == e.Subject {
		return ""
	}
	return party
}

// other returns whichever of a and b is not subject, b if neither is.
func other(subject, a, b string) string {
	if b == subject {
		return a
	}
	return b
}
