package commands

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/spf13/cobra"
)

func TestConfigPathResolution(t *testing.T) {
	home := t.TempDir()
	defaultCfg := filepath.Join(home, ".papdl", "config")
	for _, tc := range []struct {
		name        string
		args        []string
		env         map[string]string
		haveDefault bool
		want        string
	}{
		{"nothing: local", nil, nil, false, ""},
		{"the default file when it exists", nil, nil, true, defaultCfg},
		{"--config wins", []string{"--config", "/x.cfg"}, map[string]string{"PAPDL_CONFIG": "/env.cfg"}, true, "/x.cfg"},
		{"$PAPDL_CONFIG next", nil, map[string]string{"PAPDL_CONFIG": "/env.cfg"}, true, "/env.cfg"},
		{"--state-dir means local", []string{"--state-dir", "s"}, nil, true, ""},
		{"$PAPDL_STATE_DIR means local", nil, map[string]string{"PAPDL_STATE_DIR": "s"}, true, ""},
		{"--config even with --state-dir", []string{"--config", "/x.cfg", "--state-dir", "s"}, nil, false, "/x.cfg"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("HOME", home)
			for _, k := range []string{"PAPDL_CONFIG", "PAPDL_SPECS_DIR", "PAPDL_STATE_DIR"} {
				t.Setenv(k, tc.env[k])
			}
			os.RemoveAll(filepath.Join(home, ".papdl"))
			if tc.haveDefault {
				if err := os.MkdirAll(filepath.Dir(defaultCfg), 0o700); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(defaultCfg, nil, 0o600); err != nil {
					t.Fatal(err)
				}
			}
			root := NewRootCommand()
			var got string
			get, _, err := root.Find([]string{"get"})
			if err != nil {
				t.Fatal(err)
			}
			get.RunE = func(cmd *cobra.Command, _ []string) error { got = configPath(cmd); return nil }
			root.SetArgs(append([]string{"get"}, tc.args...))
			if err := root.Execute(); err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Fatalf("config %q, want %q", got, tc.want)
			}
		})
	}
}
