package layout

import (
	"fmt"
	"strings"

	"github.com/spanmap/spanmap/graph"
)

// Engine names a layout algorithm.
type Engine string

// Layout engines.
const (
	// DotLR is graphviz dot with ranks from left to right (callers on the
	// left, callees on the right).
	DotLR Engine = "dot-lr"
	// DotTB is graphviz dot with ranks from top to bottom.
	DotTB Engine = "dot-tb"
	// Neato is graphviz neato (stress majorisation). It keeps previous
	// positions best and is the engine to use when stability matters.
	Neato Engine = "neato"
	// FDP is graphviz fdp (force directed, with group boxes).
	FDP Engine = "fdp"
)

// DefaultEngine is the engine used when Options.Engine is empty.
const DefaultEngine = DotLR

// Engines lists every engine, in documentation order.
func Engines() []Engine { return []Engine{DotLR, DotTB, Neato, FDP} }

// ParseEngine returns the engine named s ("" gives DefaultEngine).
func ParseEngine(s string) (Engine, error) {
	if s == "" {
		return DefaultEngine, nil
	}
	e := Engine(strings.ToLower(strings.TrimSpace(s)))
	if err := e.Validate(); err != nil {
		return "", err
	}
	return e, nil
}

// Validate reports whether e names a known engine.
func (e Engine) Validate() error {
	switch e {
	case DotLR, DotTB, Neato, FDP:
		return nil
	}
	return fmt.Errorf("%w: %q (want one of dot-lr, dot-tb, neato, fdp)", ErrUnknownEngine, string(e))
}

// program is the graphviz layout program that runs e.
func (e Engine) program() string {
	switch e {
	case Neato:
		return "neato"
	case FDP:
		return "fdp"
	}
	return "dot"
}

// usesPositions reports whether the engine takes initial positions.
func (e Engine) usesPositions() bool { return e == Neato || e == FDP }

// isDot reports whether e is one of dot's directions.
func (e Engine) isDot() bool { return e == DotLR || e == DotTB }

// Options tune one Layout call.
type Options struct {
	// Engine picks the algorithm; empty means DefaultEngine.
	Engine Engine
	// Previous maps node IDs to the positions of an earlier layout of the
	// same View (top-left origin, as in graph.Node.Pos). Neato and fdp start
	// from them; nodes that are new are seeded at the centre of their known
	// neighbours. Without Pin, dot only aligns its result with them: its
	// layout depends on the topology alone, read in a stable (sorted) order.
	Previous map[string]graph.Point
	// Pin fixes every node found in Previous where it was: existing nodes
	// keep their places and new nodes are placed around them. Neato and fdp
	// pin them in their own layout; dot lays the whole graph out, then puts
	// the known nodes back, places each new node at its dot position moved
	// with its known neighbours and clear of the others, and routes the
	// edges around them. The drawing as a whole shifts only when a new node
	// extends it to the left or top, since positions start at the top-left
	// corner. Without Pin, previous positions are only the starting point.
	//
	// Dot pins only a small change: at most max(2, 10%) new nodes and, when
	// PreviousPaths is given, max(3, 10%) new edges. A bigger change, such as
	// a map filling up as traffic starts, gets a fresh dot layout, moved as a
	// whole to sit where the previous drawing was.
	Pin bool
	// PreviousPaths are the edge paths of the earlier layout, by edge ID,
	// in the coordinates of Previous. When dot pins, an edge found here whose
	// ends both kept their places keeps its path; only new edges and edges
	// of new nodes are routed again.
	PreviousPaths map[string][]graph.Point
}

func (o Options) engine() Engine {
	if o.Engine == "" {
		return DefaultEngine
	}
	return o.Engine
}
