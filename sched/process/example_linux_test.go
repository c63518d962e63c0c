package process_test

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/scarcitylabs/scarcity/sched/process"
)

// Example starts a process for an agent under memory and CPU limits, waits
// for it and prints how it ended.
func Example() {
	ctx := context.Background()
	run, err := process.New(process.Options{})
	if err != nil {
		panic(err)
	}
	p, err := run.Start(ctx, "agent-7", process.Spec{
		Path:   "/bin/sh",
		Args:   []string{"-c", "echo hello from $0; exit 3", "agent-7"},
		Stdout: os.Stdout,
		Memory: 256 << 20,   // address space
		CPU:    time.Second, // CPU time
	})
	if err != nil {
		panic(err)
	}
	e, err := p.Wait(ctx)
	if err != nil {
		panic(err)
	}
	fmt.Println(e)
	// Output:
	// hello from agent-7
	// exited with code 3
}

// ExampleRunner_Terminate kills an agent's process, as the scheduler does
// when the agent exceeds its bundle.
func ExampleRunner_Terminate() {
	ctx := context.Background()
	run, err := process.New(process.Options{})
	if err != nil {
		panic(err)
	}
	p, err := run.Start(ctx, "agent-7", process.Spec{Path: "sleep", Args: []string{"600"}})
	if err != nil {
		panic(err)
	}
	if err := run.Terminate(ctx, "agent-7", "exceeds_bundle"); err != nil {
		panic(err)
	}
	e, _ := p.Exit()
	fmt.Println(e.Cause, e.Reason, e)
	// Output:
	// terminated exceeds_bundle terminated: exceeds_bundle (signal 9)
}
