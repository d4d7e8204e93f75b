package v1alpha1

import "fmt"

// nameRule says what a valid object name is, for messages.
const nameRule = "must be a DNS label: at most 63 lowercase letters, digits and '-', starting and ending with a letter or digit"

// ValidateName checks that name is a DNS-1123 label (at most 63 lowercase
// letters, digits and '-', starting and ending with a letter or digit): the
// only names papdl turns into paths, service and network names ("..", "a/b"
// and "" never are). The message quotes at most 80 bytes of an untrusted
// name.
func ValidateName(name string) error {
	if name == "" {
		return fmt.Errorf("name is empty: %s", nameRule)
	}
	if len(name) > MaxNameLength || !dnsLabel.MatchString(name) {
		return fmt.Errorf("name %q is not a DNS label: %s", truncateForMessage(name), nameRule)
	}
	return nil
}

// truncateForMessage keeps an untrusted string short enough to quote.
func truncateForMessage(s string) string {
	const max = 80
	if len(s) > max {
		return s[:max] + "..."
	}
	return s
}
