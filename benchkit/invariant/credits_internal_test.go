package invariant

import (
	"testing"

	"github.com/scarcitylabs/scarcity"
)

// The prefix that marks a reward's mint is the market's, which this
// package keeps a copy of rather than import the market.
func TestRewardTransferPrefixIsTheMarkets(t *testing.T) {
	if rewardTransferPrefix != scarcity.RewardTransferPrefix {
		t.Errorf("rewardTransferPrefix = %q, scarcity.RewardTransferPrefix = %q", rewardTransferPrefix, scarcity.RewardTransferPrefix)
	}
}
