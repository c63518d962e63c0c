package bundle_test

import (
	"fmt"
	"time"

	"github.com/cockroachdb/apd/v3"

	"github.com/scarcitylabs/scarcity/bundle"
)

func ExampleCost() {
	// 10 % of the CPU and 512 MiB of memory for 10 minutes.
	b := bundle.Bundle{
		Quantities: bundle.Quantities{"cpu": 10, "memory": 512},
		Window:     bundle.Window{Duration: 10 * time.Minute},
	}
	prices := bundle.Prices{
		"cpu":    apd.New(25, -4), // 0.0025 credits per percent per second
		"memory": apd.New(1, -5),  // 0.00001 credits per MiB per second
	}

	ctx := apd.BaseContext.WithPrecision(34)
	ctx.Traps |= apd.Inexact | apd.Rounded // rounding is an error, never silent

	cost, err := bundle.Cost(ctx, b, prices)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(cost.Text('f'), "credits")
	// Output:
	// 18.07200 credits
}

func ExampleCalendar() {
	cat, err := bundle.NewCatalog(bundle.Resource{Name: "cpu", Unit: "percent", Capacity: 100})
	if err != nil {
		fmt.Println(err)
		return
	}
	cal := bundle.NewCalendar(cat)
	start := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	first := bundle.Bundle{Quantities: bundle.Quantities{"cpu": 80}, Window: bundle.Window{Start: start, Duration: time.Hour}}
	fmt.Println(cal.Book("first", first))

	overlapping := first
	overlapping.Window.Start = start.Add(30 * time.Minute)
	fmt.Println(cal.Check(overlapping))

	backToBack := first
	backToBack.Window.Start = start.Add(time.Hour)
	fmt.Println(cal.Check(backToBack))
	// Output:
	// <nil>
	// bundle: exceeds capacity: "cpu" needs 80, 20 free
	// <nil>
}
