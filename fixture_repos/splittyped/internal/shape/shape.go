// Package shape describes shapes.
package shape

import (
	"bytes"
	"fmt"
	"image"
	"image/png"
)

// Describer describes itself.
type Describer interface {
	Describe() string
}

// Square is a square of Side pixels.
type Square struct {
	Side int
}

// Describe renders the square as a PNG and reports the encoded size. It is
// reached only through Describer.
func (s Square) Describe() string {
	var buf bytes.Buffer
	if err := png.Encode(&buf, image.NewGray(image.Rect(0, 0, s.Side, s.Side))); err != nil {
		return err.Error()
	}
	return fmt.Sprintf("square %d: %d bytes as PNG", s.Side, buf.Len())
}

// Unit returns the unit square.
func Unit() Describer { return Square{Side: 1} }
