package ledger

import (
	"cmp"
	"context"
	"errors"
	"testing"
)

func TestOptions(t *testing.T) {
	tests := []struct {
		name      string
		opts      Options
		wantErr   error
		wantScale int32
		wantMax   string
		// wantHistory is the entries kept per account; 0 means the default.
		wantHistory int
	}{
		{name: "zero value", opts: Options{}, wantScale: 6, wantMax: "1000000000000000"},
		{name: "scale 1", opts: Options{Scale: 1}, wantScale: 1, wantMax: "1000000000000000"},
		{name: "scale 18", opts: Options{Scale: MaxScale}, wantScale: 18, wantMax: "1000000000000000"},
		{name: "max amount", opts: Options{MaxAmount: "250.5"}, wantScale: 6, wantMax: "250.5"},
		{name: "max amount with trailing zeros", opts: Options{MaxAmount: "250.500"}, wantScale: 6, wantMax: "250.5"},
		{name: "max amount at scale", opts: Options{Scale: 2, MaxAmount: "0.01"}, wantScale: 2, wantMax: "0.01"},
		{
			name: "max amount of 34 digits", opts: Options{Scale: 18, MaxAmount: "9999999999999999.999999999999999999"},
			wantScale: 18, wantMax: "9999999999999999.999999999999999999",
		},
		{name: "correlation", opts: Options{Correlation: "run-7"}, wantScale: 6, wantMax: "1000000000000000"},
		{name: "negative scale", opts: Options{Scale: -1}, wantErr: ErrInvalidOptions},
		{name: "scale too large", opts: Options{Scale: 19}, wantErr: ErrInvalidOptions},
		{name: "max amount zero", opts: Options{MaxAmount: "0"}, wantErr: ErrInvalidOptions},
		{name: "max amount negative", opts: Options{MaxAmount: "-5"}, wantErr: ErrInvalidOptions},
		{name: "max amount NaN", opts: Options{MaxAmount: "NaN"}, wantErr: ErrInvalidOptions},
		{name: "max amount exponent", opts: Options{MaxAmount: "1e15"}, wantErr: ErrInvalidOptions},
		{name: "max amount garbage", opts: Options{MaxAmount: "lots"}, wantErr: ErrInvalidOptions},
		{name: "max amount finer than scale", opts: Options{Scale: 2, MaxAmount: "1.001"}, wantErr: ErrInvalidOptions},
		{
			name: "max amount of 35 digits", opts: Options{Scale: 18, MaxAmount: "99999999999999999.999999999999999999"},
			wantErr: ErrInvalidOptions,
		},
		{name: "correlation with space", opts: Options{Correlation: "run 7"}, wantErr: ErrInvalidOptions},
		{name: "max history", opts: Options{MaxHistory: 5}, wantScale: 6, wantMax: "1000000000000000", wantHistory: 5},
		{name: "max history at its bound", opts: Options{MaxHistory: MaxMaxHistory}, wantScale: 6, wantMax: "1000000000000000", wantHistory: MaxMaxHistory},
		{name: "negative max history", opts: Options{MaxHistory: -1}, wantErr: ErrInvalidOptions},
		{name: "max history too large", opts: Options{MaxHistory: MaxMaxHistory + 1}, wantErr: ErrInvalidOptions},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, err := New(context.Background(), tt.opts)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("New = %v, want %v", err, tt.wantErr)
			}
			if _, rerr := Restore(context.Background(), tt.opts, nil); tt.wantErr != nil && !errors.Is(rerr, tt.wantErr) {
				t.Errorf("Restore = %v, want %v", rerr, tt.wantErr)
			}
			if tt.wantErr != nil {
				return
			}
			if l.scale != tt.wantScale || l.maxAmount.Text('f') != tt.wantMax {
				t.Errorf("scale %d, max %s; want %d, %s", l.scale, l.maxAmount.Text('f'), tt.wantScale, tt.wantMax)
			}
			if want := cmp.Or(tt.wantHistory, DefaultMaxHistory); l.maxHistory != want {
				t.Errorf("max history %d, want %d", l.maxHistory, want)
			}
		})
	}
}
