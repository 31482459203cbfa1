package decode

import "github.com/spanmap/spanmap/graph/span"

// emitter collects decoded spans into batches for the caller's function.
// Spans that still miss information (a service name that comes later in the
// input) are held back from the first held index on until released.
type emitter struct {
	batch []span.Span
	max   int
	hold  int // index of the first held span, -1 if none
	count int // spans started so far in the stream, the index for errors
	fn    func([]span.Span) error
}

// next appends a zero span and returns it. The pointer is valid until the
// next call of next, flush or done.
func (e *emitter) next() *span.Span {
	if e.batch == nil {
		e.batch = make([]span.Span, 0, min(e.max, 64))
	}
	e.batch = append(e.batch, span.Span{})
	e.count++
	return &e.batch[len(e.batch)-1]
}

// index returns the stream index of the span most recently started by next.
func (e *emitter) index() int { return e.count - 1 }

// drop removes the last span (used when it turned out malformed).
func (e *emitter) drop() {
	e.batch[len(e.batch)-1] = span.Span{}
	e.batch = e.batch[:len(e.batch)-1]
	if e.hold > len(e.batch) {
		e.hold = len(e.batch)
	}
}

// done hands over a full batch unless spans are held.
func (e *emitter) done() error {
	if len(e.batch) >= e.max && e.hold < 0 {
		return e.flush()
	}
	return nil
}

// startHold holds back the spans appended from now on.
func (e *emitter) startHold() {
	if e.hold < 0 {
		e.hold = len(e.batch)
	}
}

// held returns the spans held back; valid until the next append or flush.
func (e *emitter) held() []span.Span {
	if e.hold < 0 {
		return nil
	}
	return e.batch[e.hold:]
}

// release lets the held spans go out with the next batch.
func (e *emitter) release() error {
	e.hold = -1
	return e.done()
}

// discardHeld forgets the held spans.
func (e *emitter) discardHeld() {
	if e.hold < 0 {
		return
	}
	clear(e.batch[e.hold:])
	e.batch = e.batch[:e.hold]
	e.hold = -1
}

// flush hands over every span that is not held back.
func (e *emitter) flush() error {
	n := len(e.batch)
	if e.hold >= 0 {
		n = e.hold
	}
	if n == 0 {
		return nil
	}
	err := e.fn(e.batch[:n])
	rest := copy(e.batch, e.batch[n:])
	clear(e.batch[rest:])
	e.batch = e.batch[:rest]
	if e.hold >= 0 {
		e.hold = 0
	}
	if err != nil {
		return &callbackError{err: err}
	}
	return nil
}
