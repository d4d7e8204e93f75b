package v1alpha1

import "fmt"

// ValidateName checks that name is a DNS-1123 label (at most 63 lowercase
// letters, digits and '-', starting and ending with a letter or digit): the
// only names papdl turns into paths, service and network names.
func ValidateName(name string) error {
	if name == "" || len(name) > 63 || !dnsLabel.MatchString(name) {
		return fmt.Errorf("name %q is not a DNS label (at most 63 lowercase letters, digits and '-', starting and ending with a letter or digit)", name)
	}
	return nil
}
