package benchkit

import (
	"fmt"
	"slices"
	"strings"

	"github.com/cockroachdb/apd/v3"
)

// Limits of a success condition.
const (
	// MaxConditionLen is the longest condition accepted, in bytes.
	MaxConditionLen = 4096
	// maxConditionDepth bounds the nesting of a condition.
	maxConditionDepth = 64
)

// Condition is a parsed success condition: a boolean expression over named
// outcomes with AND, OR, NOT (in any case), parentheses, and comparisons
// (< <= > >= == !=) between numeric outcomes and decimals, such as
//
//	all_required_present AND NOT (no_forbidden_present OR judge_score < 2.5)
//
// NOT binds tightest, then AND, then OR. Names are letters, digits, '_'
// and '.'. It is evaluated in three-valued logic: an outcome that is not
// evaluated is unknown, and a condition that depends on it is unknown.
type Condition struct {
	text  string
	root  condNode
	bools []string
	nums  []string
}

// condNode is a node of a condition; it evaluates to a truth value.
type condNode interface {
	eval(env condEnv) (truth, error)
}

// truth is a three-valued truth value.
type truth int

const (
	unknown truth = iota
	isTrue
	isFalse
)

// ParseCondition parses a success condition. Errors wrap ErrCondition.
func ParseCondition(s string) (*Condition, error) {
	if len(s) > MaxConditionLen {
		return nil, fmt.Errorf("%w: longer than %d bytes", ErrCondition, MaxConditionLen)
	}
	toks, err := lexCondition(s)
	if err != nil {
		return nil, err
	}
	p := &condParser{toks: toks, c: &Condition{text: s}}
	root, err := p.or(0)
	if err != nil {
		return nil, err
	}
	if p.i < len(p.toks) {
		return nil, fmt.Errorf("%w: unexpected %q at token %d", ErrCondition, p.toks[p.i], p.i+1)
	}
	p.c.root = root
	slices.Sort(p.c.bools)
	slices.Sort(p.c.nums)
	p.c.bools, p.c.nums = slices.Compact(p.c.bools), slices.Compact(p.c.nums)
	return p.c, nil
}

// String returns the condition as written.
func (c *Condition) String() string { return c.text }

// Names returns the names the condition refers to, sorted, without
// repeats: the boolean outcomes, then the numeric ones.
func (c *Condition) Names() []string {
	return append(slices.Clone(c.bools), c.nums...)
}

// lexCondition splits s into names, decimals, operators and parentheses.
func lexCondition(s string) ([]string, error) {
	var toks []string
	for i := 0; i < len(s); {
		ch := s[i]
		switch {
		case ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r':
			i++
		case ch == '(' || ch == ')':
			toks, i = append(toks, s[i:i+1]), i+1
		case strings.ContainsRune("<>=!", rune(ch)):
			n := 1
			if i+1 < len(s) && s[i+1] == '=' {
				n = 2
			}
			op := s[i : i+n]
			if op == "!" || op == "=" {
				return nil, fmt.Errorf("%w: %q at byte %d: use NOT or ==", ErrCondition, op, i)
			}
			toks, i = append(toks, op), i+n
		case isNameByte(ch) || ch == '-':
			j := i + 1
			for j < len(s) && isNameByte(s[j]) {
				j++
			}
			toks, i = append(toks, s[i:j]), j
		default:
			return nil, fmt.Errorf("%w: unexpected %q at byte %d", ErrCondition, ch, i)
		}
	}
	return toks, nil
}

// isNameByte reports whether b may appear in a name or a decimal.
func isNameByte(b byte) bool {
	return b == '_' || b == '.' || ('a' <= b && b <= 'z') || ('A' <= b && b <= 'Z') || ('0' <= b && b <= '9')
}

// condParser is a recursive-descent parser over tokens.
type condParser struct {
	toks []string
	i    int
	c    *Condition
}

// peekKeyword reports whether the next token is the keyword kw.
func (p *condParser) peekKeyword(kw string) bool {
	return p.i < len(p.toks) && strings.EqualFold(p.toks[p.i], kw)
}

func (p *condParser) or(depth int) (condNode, error) {
	return p.binary(depth, "OR", p.and)
}

func (p *condParser) and(depth int) (condNode, error) {
	return p.binary(depth, "AND", p.not)
}

// binary parses operands of next joined by the keyword kw.
func (p *condParser) binary(depth int, kw string, next func(int) (condNode, error)) (condNode, error) {
	l, err := next(depth)
	if err != nil {
		return nil, err
	}
	for p.peekKeyword(kw) {
		p.i++
		r, err := next(depth)
		if err != nil {
			return nil, err
		}
		l = logicNode{and: kw == "AND", l: l, r: r}
	}
	return l, nil
}

func (p *condParser) not(depth int) (condNode, error) {
	if depth > maxConditionDepth {
		return nil, fmt.Errorf("%w: nested deeper than %d", ErrCondition, maxConditionDepth)
	}
	if p.peekKeyword("NOT") {
		p.i++
		x, err := p.not(depth + 1)
		return notNode{x}, err
	}
	return p.primary(depth)
}

func (p *condParser) primary(depth int) (condNode, error) {
	if p.i >= len(p.toks) {
		return nil, fmt.Errorf("%w: unexpected end", ErrCondition)
	}
	if p.toks[p.i] == "(" {
		p.i++
		x, err := p.or(depth + 1)
		if err != nil {
			return nil, err
		}
		if p.i >= len(p.toks) || p.toks[p.i] != ")" {
			return nil, fmt.Errorf("%w: missing )", ErrCondition)
		}
		p.i++
		return x, nil
	}
	l, err := p.operand()
	if err != nil {
		return nil, err
	}
	if p.i < len(p.toks) && slices.Contains(constraintOps, p.toks[p.i]) {
		op := p.toks[p.i]
		p.i++
		r, err := p.operand()
		if err != nil {
			return nil, err
		}
		p.c.addNum(l)
		p.c.addNum(r)
		return cmpNode{op: op, l: l, r: r}, nil
	}
	if l.lit != nil {
		return nil, fmt.Errorf("%w: decimal %s is not a condition", ErrCondition, l.lit.Text('f'))
	}
	p.c.bools = append(p.c.bools, l.name)
	return nameNode{l.name}, nil
}

// operand parses a name or a decimal.
func (p *condParser) operand() (operand, error) {
	if p.i >= len(p.toks) {
		return operand{}, fmt.Errorf("%w: unexpected end", ErrCondition)
	}
	t := p.toks[p.i]
	p.i++
	if t[0] == '-' || t[0] == '.' || ('0' <= t[0] && t[0] <= '9') {
		d, err := parseExact(t)
		if err != nil {
			return operand{}, fmt.Errorf("%w: %v", ErrCondition, err)
		}
		return operand{lit: d}, nil
	}
	for _, kw := range []string{"AND", "OR", "NOT"} {
		if strings.EqualFold(t, kw) {
			return operand{}, fmt.Errorf("%w: unexpected %s", ErrCondition, t)
		}
	}
	if !isNameByte(t[0]) || t == "(" || t == ")" || slices.Contains(constraintOps, t) {
		return operand{}, fmt.Errorf("%w: unexpected %q", ErrCondition, t)
	}
	return operand{name: t}, nil
}

// addNum records a numeric name.
func (c *Condition) addNum(o operand) {
	if o.lit == nil {
		c.nums = append(c.nums, o.name)
	}
}

// operand is a numeric name or a decimal literal.
type operand struct {
	name string
	lit  *apd.Decimal
}

type logicNode struct {
	and  bool
	l, r condNode
}

type notNode struct{ x condNode }

type nameNode struct{ name string }

type cmpNode struct {
	op   string
	l, r operand
}

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
