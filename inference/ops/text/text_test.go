package text

import (
	"fmt"
	"testing"

	kt "github.com/papdl/papdl/inference/ops/kernel/kerneltest"
	"github.com/papdl/papdl/inference/tensor"
)

func TestStringNormalizer(t *testing.T) {
	x := tensor.MustFromSlice([]string{"Monday", "tuesday", "MONDAY"}, 3)
	tests := []struct {
		name      string
		action    string
		sensitive int64
		in        *tensor.Tensor
		want      string
		shape     []int
	}{
		{"insensitive upper", "UPPER", 0, x, "[TUESDAY]", []int{1}},
		{"sensitive lower", "LOWER", 1, x, "[tuesday monday]", []int{2}},
		{"all stopwords", "NONE", 0, tensor.MustFromSlice([]string{"monday"}, 1, 1), "[]", []int{1, 1}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			n := kt.Node("StringNormalizer", 1, 1, kt.String("case_change_action", tc.action),
				kt.Int("is_case_sensitive", tc.sensitive), kt.Strings("stopwords", "Monday"))
			out := kt.Run(t, buildStringNormalizer, n, 10, tc.in)
			if got := fmt.Sprint(out[0].Data); got != tc.want || !tensor.SameShape(out[0].Shape, tc.shape) {
				t.Errorf("got %s %v, want %s %v", got, out[0].Shape, tc.want, tc.shape)
			}
		})
	}
}

func TestTfIdfVectorizer(t *testing.T) {
	// Pool: unigrams 2, 3 (outputs 0, 1) and the bigram (2, 3) (output 2).
	x := kt.I64([]int{6}, 2, 3, 2, 5, 3, 2)
	tests := []struct {
		name string
		mode string
		skip int64
		want []float64
	}{
		// The bigram (2, 3) is adjacent once (x[0], x[1]); with one item
		// skipped it also occurs as (x[2], x[4]).
		{"tf skip 0", "TF", 0, []float64{3, 2, 1}},
		{"tf skip 1", "TF", 1, []float64{3, 2, 2}},
		{"idf", "IDF", 0, []float64{0.5, 0.25, 2}},
		{"tfidf", "TFIDF", 0, []float64{1.5, 0.5, 2}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			n := kt.Node("TfIdfVectorizer", 1, 1, kt.Int("min_gram_length", 1), kt.Int("max_gram_length", 2),
				kt.Int("max_skip_count", tc.skip), kt.String("mode", tc.mode),
				kt.Ints("ngram_counts", 0, 2), kt.Ints("ngram_indexes", 0, 1, 2), kt.Ints("pool_int64s", 2, 3, 2, 3),
				kt.Floats("weights", 0.5, 0.25, 2))
			out := kt.Run(t, buildTfIdfVectorizer, n, 9, x)
			kt.Close(t, "y", out[0], []int{3}, tc.want, 0)
		})
	}
}
