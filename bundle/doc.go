// Package bundle describes what agents buy: resources with a finite
// capacity, integer quantities of them, time windows, and bundles that
// combine the two. One does not buy "10 CPU"; one buys 10 % of the CPU
// capacity for 10 minutes.
//
// A [Calendar] books bundles against capacity over time: at no instant of any
// window may the quantity booked for a resource exceed its capacity.
//
// Prices are per unit of a resource per second, exact apd decimals, and the
// cost of a bundle is Σ price × quantity × seconds ([Cost]). Window durations
// are whole seconds, so a cost is exact at the prices' scale.
//
// Catalogs are immutable after construction and safe for concurrent use; a
// Calendar is not safe for concurrent use.
package bundle
