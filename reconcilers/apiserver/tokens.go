package apiserver

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/papdl/papdl/inference/wholefile"
)

// Tokens are the API's bearer tokens.
type Tokens struct {
	// Admin may do everything.
	Admin string `json:"admin"`
	// ReadOnly may only read (GET).
	ReadOnly string `json:"readOnly"`
}

// Access is what a request's token allows.
type Access int

// Access levels.
const (
	AccessNone Access = iota
	AccessReadOnly
	AccessAdmin
)

// minTokenLen bounds a token read back from the tokens file: a shorter one
// (edited by hand) is refused rather than served.
const minTokenLen = 32

// EnsureTokens loads the tokens from dir/tokens.json, generating them (32
// random bytes each, hexadecimal) at the first start; the file has mode
// 0600.
func EnsureTokens(dir string) (Tokens, error) {
	path := filepath.Join(dir, tokensFile)
	data, err := os.ReadFile(path)
	if err == nil {
		var t Tokens
		if err := json.Unmarshal(data, &t); err != nil {
			return Tokens{}, fmt.Errorf("%s: %w", path, err)
		}
		if len(t.Admin) < minTokenLen || len(t.ReadOnly) < minTokenLen || t.Admin == t.ReadOnly {
			return Tokens{}, fmt.Errorf("%s: tokens must be distinct and at least %d characters: remove the file to make new ones", path, minTokenLen)
		}
		return t, nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return Tokens{}, fmt.Errorf("read tokens: %w", err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return Tokens{}, fmt.Errorf("api directory: %w", err)
	}
	t := Tokens{Admin: newToken(), ReadOnly: newToken()}
	b, err := json.MarshalIndent(t, "", "  ")
	if err != nil {
		return Tokens{}, err
	}
	if err := wholefile.Write(path, append(b, '\n'), 0o600); err != nil {
		return Tokens{}, err
	}
	return t, nil
}

func newToken() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // crypto/rand does not fail
	return hex.EncodeToString(b)
}

// Check returns the access a presented token grants, comparing it with
// each token in constant time (of hashes, so that lengths leak nothing
// either).
func (t Tokens) Check(presented string) Access {
	p := sha256.Sum256([]byte(presented))
	a := sha256.Sum256([]byte(t.Admin))
	r := sha256.Sum256([]byte(t.ReadOnly))
	isAdmin := subtle.ConstantTimeCompare(p[:], a[:]) == 1
	isReader := subtle.ConstantTimeCompare(p[:], r[:]) == 1
	switch {
	case presented == "":
		return AccessNone
	case isAdmin:
		return AccessAdmin
	case isReader:
		return AccessReadOnly
	}
	return AccessNone
}
