// Package exact holds the module's one exact decimal context and its one
// parser of plain decimal strings, so that every package rounds never and
// reads amounts alike.
//
// # Context
//
// [Context] is the context of arithmetic that must not round: it has no
// precision limit, so sums, differences and products are exact, and it
// traps [Traps] (apd's default traps, Inexact and Rounded), so that any
// rounding is an error rather than a silent change of value. A division
// needs a precision: [WithPrecision] returns a copy of Context with one,
// in which a quotient that does not fit is an error. [MaxDigits] is the
// precision of a bounded amount; [MaxExponent] and [MinExponent] are the
// exponent limits of every context of the package.
//
// # Grammar
//
// [Parse] reads exactly the strings of this grammar, and nothing else:
//
//	decimal = [ "+" | "-" ] ( digits [ "." [ digits ] ] | "." digits )
//	digits  = digit { digit }
//	digit   = "0" … "9"
//
// at most [MaxLen] bytes in all. There is no exponent, no NaN or infinity,
// no space, no digit separator and no digit outside ASCII. The value is
// the one apd.NewFromString reads, coefficient and exponent alike ("1.50"
// is 150 × 10⁻²), except that a negative zero ("-0", "-0.00") is read as
// zero: no Decimal it returns is negative and zero. Errors wrap
// [ErrSyntax].
//
// [ParseWord] reads the same grammar without allocating, when the
// coefficient fits [MaxWordDigits] digits: it is the fast path of readers
// of long streams, which fall back to Parse for the rest.
//
// # Concurrency
//
// Context and the contexts WithPrecision returns are safe for concurrent
// use as long as nobody modifies them; the functions are safe for
// concurrent use.
package exact
