package main

import (
	"fmt"
	"io"

	"github.com/cockroachdb/apd/v3"
	"github.com/scarcitylabs/scarcity/benchkit"
	"github.com/scarcitylabs/scarcity/events"
	"github.com/scarcitylabs/scarcity/sched"
)

// summary adds up the minutes.
type summary struct {
	tally
	first, high *apd.Decimal // the first and highest clearing price
}

// add adds one minute.
func (s *summary) add(r row) {
	s.calls += r.calls
	s.deniedBundle += r.deniedBundle
	s.deniedLimit += r.deniedLimit
	s.reserved += r.reserved
	s.committed += r.committed
	p, _, err := apd.NewFromString(r.price)
	if err != nil {
		return
	}
	if s.first == nil {
		s.first, s.high = p, p
	}
	if p.Cmp(s.high) > 0 {
		s.high = p
	}
}

// report prints the summary and the verdict of benchkit over the stream.
func report(w io.Writer, s summary, prices *sched.PriceTable, evs []events.Event) error {
	limited := 0
	for _, e := range evs {
		if e.Type == events.TypeSpendLimitReached {
			limited++
		}
	}
	fmt.Fprintf(w, "\ncalls: %d made, %d denied by their bundle, %d denied by the spend limit (%d spend_limit_reached events)\n",
		s.calls, s.deniedBundle, s.deniedLimit, limited)
	fmt.Fprintf(w, "spend: %s credits reserved as worst cases, %s committed, %s returned\n",
		prices.Credits(s.reserved).Text('f'), prices.Credits(s.committed).Text('f'), prices.Credits(s.reserved-s.committed).Text('f'))
	if s.first != nil {
		fmt.Fprintf(w, "price of llm_spend: %s at first, %s at the highest (credits per unit per second)\n", s.first.Text('f'), s.high.Text('f'))
	}
	if err := benchkit.Check(evs); err != nil {
		fmt.Fprintln(w, "benchkit: FAIL")
		return err
	}
	fmt.Fprintln(w, "benchkit: PASS (credits conserved, every allocation paid, sequences gap-free)")
	return nil
}
