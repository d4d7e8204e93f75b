package swarm

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/papdl/papdl/inference/chain"
)

// benchLinePrefix starts the result line a benchmark may print; without
// one, the first JSON object on stdout is the result (papdl-node bench
// prints it indented).
const benchLinePrefix = "PAPDL-BENCHMARK "

// parseBench finds the benchmark result in a task's stdout.
func parseBench(stdout []byte) (*chain.NodeBenchmark, error) {
	var nb chain.NodeBenchmark
	sc := bufio.NewScanner(bytes.NewReader(stdout))
	sc.Buffer(make([]byte, 0, 64<<10), 64<<20)
	for sc.Scan() {
		if js, ok := strings.CutPrefix(strings.TrimSpace(sc.Text()), benchLinePrefix); ok {
			if err := json.Unmarshal([]byte(js), &nb); err != nil {
				return nil, fmt.Errorf("decode %sline: %w", benchLinePrefix, err)
			}
			return &nb, nil
		}
	}
	start := -1
	if bytes.HasPrefix(stdout, []byte("{")) {
		start = 0
	} else if i := bytes.Index(stdout, []byte("\n{")); i >= 0 {
		start = i + 1
	}
	if start < 0 {
		return nil, errors.New("no benchmark result in the output")
	}
	if err := json.NewDecoder(bytes.NewReader(stdout[start:])).Decode(&nb); err != nil {
		return nil, fmt.Errorf("decode benchmark result: %w", err)
	}
	return &nb, nil
}
