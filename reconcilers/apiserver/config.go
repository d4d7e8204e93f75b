package apiserver

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"sigs.k8s.io/yaml"

	"github.com/papdl/papdl/apis/strict"
	"github.com/papdl/papdl/inference/wholefile"
)

// Config is a papdlconfig file: how papdlctl reaches controllers, as a
// kubeconfig does, flattened (each context carries its server, CA and
// token).
type Config struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	// CurrentContext names the context used unless another is chosen.
	CurrentContext string `json:"currentContext"`
	// Contexts are the controllers and credentials known.
	Contexts []Context `json:"contexts"`
}

// Context is one controller and the token to use with it.
type Context struct {
	Name string `json:"name"`
	// Server is the API's base URL, https://HOST:PORT.
	Server string `json:"server"`
	// CertificateAuthorityData is the PEM of the CA that signed the
	// server's certificate (base64 in the file).
	CertificateAuthorityData []byte `json:"certificateAuthorityData"`
	// Token is the bearer token.
	Token string `json:"token"`
}

// Config file kind and version.
const (
	configKind       = "Config"
	configAPIVersion = "papdl.io/v1alpha1"
)

// NewConfig is a configuration with one context, the current one.
func NewConfig(c Context) *Config {
	return &Config{APIVersion: configAPIVersion, Kind: configKind, CurrentContext: c.Name, Contexts: []Context{c}}
}

// maxConfigBytes bounds a configuration file.
const maxConfigBytes = 1 << 20

// LoadConfig reads a configuration file.
func LoadConfig(path string) (*Config, error) {
	data, err := wholefile.Read(path, maxConfigBytes)
	if err != nil {
		return nil, fmt.Errorf("papdl config: %w", err)
	}
	c, err := ParseConfig(data)
	if err != nil {
		return nil, fmt.Errorf("papdl config %s: %w", path, err)
	}
	return c, nil
}

// ParseConfig decodes a configuration file's contents (strictly).
func ParseConfig(data []byte) (*Config, error) {
	if len(data) > maxConfigBytes {
		return nil, fmt.Errorf("larger than %d bytes", maxConfigBytes)
	}
	var c Config
	if err := strict.Decode(data, &c); err != nil {
		return nil, err
	}
	if c.Kind != configKind || c.APIVersion != configAPIVersion {
		return nil, fmt.Errorf("kind %q apiVersion %q, want %s %s", c.Kind, c.APIVersion, configKind, configAPIVersion)
	}
	return &c, nil
}

// Save writes the configuration to path atomically, mode 0600 (it holds a
// token).
func (c *Config) Save(path string) error {
	data, err := yaml.Marshal(c)
	if err != nil {
		return fmt.Errorf("encode papdl config: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("papdl config: %w", err)
	}
	return wholefile.Write(path, data, 0o600)
}

// Context returns the named context, or the current one when name is "".
func (c *Config) Context(name string) (Context, error) {
	if name == "" {
		name = c.CurrentContext
	}
	if name == "" && len(c.Contexts) == 1 {
		return c.Contexts[0], nil
	}
	for _, x := range c.Contexts {
		if x.Name == name {
			return x, nil
		}
	}
	if name == "" {
		return Context{}, errors.New("papdl config: no current context (papdlctl config use-context NAME)")
	}
	return Context{}, fmt.Errorf("papdl config: no context %q", name)
}

// SetContext adds x, or replaces the context of the same name, and makes
// it the current one.
func (c *Config) SetContext(x Context) {
	c.CurrentContext = x.Name
	for i := range c.Contexts {
		if c.Contexts[i].Name == x.Name {
			c.Contexts[i] = x
			return
		}
	}
	c.Contexts = append(c.Contexts, x)
}
