// Command spotmarket runs a real market and shows it working: by default
// 200 agents with four strategies (truthful, bid-shading,
// zero-intelligence, budget-hoarding) compete for CPU, memory, LLM tokens,
// a human's attention and a share of an LLM spend limit over one simulated
// hour on a mock clock, with every event going to an embedded NATS
// JetStream server. Prices move with demand; agents that exceed what they
// bought are denied or terminated; credits stay exact. At the end it prints
// a summary and the verdict of benchkit's invariant checks over the whole
// stream, and writes events.jsonl and report.html to -out. It exits with
// status 1 if an invariant fails.
//
// The market keeps snapshots of its state beside its stream (every 5,000
// events or 5 simulated minutes; in JetStream's Object Store over NATS). With -kill-at T it is
// killed T into the run — dropped without a word — and a new one is
// reopened from its newest snapshot and the events after it, and trades
// on; the summary says what it was restored from.
//
//	go run ./examples/spotmarket [-agents 200] [-duration 1h] [-seed 1]
//	    [-mechanism greedy|density|critical|pay-as-bid|kda]
//	    [-reserve utilisation|fixed] [-transport embedded|memory|nats://...]
//	    [-kill-at 30m] [-out DIR]
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"time"
)

// options are the command's flags.
type options struct {
	Agents    int
	Duration  time.Duration
	Seed      uint64
	Mechanism string
	Reserve   string
	Transport string
	KillAt    time.Duration // when to kill and reopen the market; 0 for never
	Out       string
	Progress  io.Writer // where the progress bar goes; nil for none
}

func main() {
	o := options{Progress: os.Stderr}
	flag.IntVar(&o.Agents, "agents", 200, "number of agents")
	flag.DurationVar(&o.Duration, "duration", time.Hour, "simulated time")
	flag.Uint64Var(&o.Seed, "seed", 1, "random seed: the same seed gives the same run")
	flag.StringVar(&o.Mechanism, "mechanism", "greedy", "clearing mechanism: greedy, density, critical, pay-as-bid or kda")
	flag.StringVar(&o.Reserve, "reserve", "utilisation", "reserve-price rule: utilisation or fixed")
	flag.StringVar(&o.Transport, "transport", "embedded", "event transport: embedded (NATS JetStream in process), memory, or a NATS URL")
	flag.DurationVar(&o.KillAt, "kill-at", 0, "simulated time at which to kill the market and reopen it from its newest snapshot; 0 for never")
	flag.StringVar(&o.Out, "out", "spotmarket-out", "directory for events.jsonl and report.html; empty for none")
	flag.Parse()
	err := run(context.Background(), os.Stdout, o)
	if err != nil {
		fmt.Fprintln(os.Stderr, "spotmarket:", err)
		os.Exit(1)
	}
}
