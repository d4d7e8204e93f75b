package commands

import "errors"

// exitStatus carries a verb's exit status other than 1 (diff's 1 for
// "differences found", 2 for errors), and the error to print, if any.
type exitStatus struct {
	code int
	err  error
}

func (e *exitStatus) Error() string {
	if e.err == nil {
		return "exit status"
	}
	return e.err.Error()
}

func (e *exitStatus) Unwrap() error { return e.err }

func exitError(code int, err error) error { return &exitStatus{code: code, err: err} }

// ExitCode is the process exit status for err and the error to print
// (nil when the status says it all).
func ExitCode(err error) (int, error) {
	var e *exitStatus
	if errors.As(err, &e) {
		return e.code, e.err
	}
	return 1, err
}
