package exact_test

import (
	"errors"
	"fmt"

	"github.com/cockroachdb/apd/v3"

	"github.com/scarcitylabs/scarcity/internal/exact"
)

func Example() {
	price, err := exact.Parse("12.50")
	if err != nil {
		panic(err)
	}
	var cost apd.Decimal
	if _, err := exact.Context.Mul(&cost, price, apd.New(3, 0)); err != nil {
		panic(err)
	}
	fmt.Println(cost.Text('f'))

	var third apd.Decimal
	_, err = exact.WithPrecision(exact.MaxDigits).Quo(&third, price, apd.New(3, 0))
	fmt.Println("12.50 / 3:", err)

	for _, s := range []string{"-0", ".5", "1.", "1e3", "NaN"} {
		d, err := exact.Parse(s)
		fmt.Println(s, d, errors.Is(err, exact.ErrSyntax))
	}
	// Output:
	// 37.50
	// 12.50 / 3: inexact, rounded
	// -0 0 false
	// .5 0.5 false
	// 1. 1 false
	// 1e3 <nil> true
	// NaN <nil> true
}
