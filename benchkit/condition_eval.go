package benchkit

import "fmt"

// condEnv gives the values of a condition's names. An error means the name
// is not defined: the condition then has no value, never false.
type condEnv interface {
	boolean(name string) (truth, error)
	number(name string) (r Ratio, known bool, err error)
}

// eval evaluates the condition in env.
func (c *Condition) eval(env condEnv) (truth, error) { return c.root.eval(env) }

func (n logicNode) eval(env condEnv) (truth, error) {
	l, err := n.l.eval(env)
	if err != nil {
		return unknown, err
	}
	r, err := n.r.eval(env)
	if err != nil {
		return unknown, err
	}
	dominant, other := isFalse, isTrue // AND: false wins
	if !n.and {
		dominant, other = isTrue, isFalse
	}
	switch {
	case l == dominant || r == dominant:
		return dominant, nil
	case l == other && r == other:
		return other, nil
	}
	return unknown, nil
}

func (n notNode) eval(env condEnv) (truth, error) {
	x, err := n.x.eval(env)
	switch x {
	case isTrue:
		return isFalse, err
	case isFalse:
		return isTrue, err
	}
	return unknown, err
}

func (n nameNode) eval(env condEnv) (truth, error) { return env.boolean(n.name) }

func (n cmpNode) eval(env condEnv) (truth, error) {
	l, okL, err := n.l.value(env)
	if err != nil {
		return unknown, err
	}
	r, okR, err := n.r.value(env)
	if err != nil || !okL || !okR {
		return unknown, err
	}
	c, err := l.Cmp(r)
	if err != nil {
		return unknown, fmt.Errorf("%s %s %s: %w", n.l, n.op, n.r, err)
	}
	if compare(c, n.op) {
		return isTrue, nil
	}
	return isFalse, nil
}

// value returns the operand's value.
func (o operand) value(env condEnv) (Ratio, bool, error) {
	if o.lit != nil {
		return RatioOf(o.lit), true, nil
	}
	return env.number(o.name)
}

// String returns the name or the decimal.
func (o operand) String() string {
	if o.lit != nil {
		return o.lit.Text('f')
	}
	return o.name
}

// verdictOfTruth maps true, false and unknown to Pass, Fail, NotEvaluated.
func verdictOfTruth(t truth) Verdict {
	switch t {
	case isTrue:
		return Pass
	case isFalse:
		return Fail
	}
	return NotEvaluated
}

// truthOf maps a verdict to a truth value.
func truthOf(v Verdict) truth {
	switch v {
	case Pass:
		return isTrue
	case Fail:
		return isFalse
	}
	return unknown
}
