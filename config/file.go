package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"

	"gopkg.in/yaml.v3"
)

// fileValue is the text of one key of the YAML file, with its line for
// error messages.
type fileValue struct {
	text string
	line int
}

// readFile reads the YAML file at path: one mapping of setting names to
// single values. The values are kept as text, so that the file is read by
// the same code, with the same errors, as the environment and the flags.
// A key that is no setting, in any scope, is an error, since it is most
// likely a typo that would otherwise be silently ignored. A setting outside
// the scope mask is skipped unread, so that one file serves every command.
// A key without a value (null) counts as absent.
func readFile(path string, mask uint8) (map[string]fileValue, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("config file: %w", err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, nil // an empty file sets nothing
		}
		return nil, fmt.Errorf("config file %s: %w", path, err)
	}
	var next yaml.Node
	if err := dec.Decode(&next); !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("config file %s: want a single YAML document", path)
	}

	root := &doc
	if root.Kind == yaml.DocumentNode && len(root.Content) == 1 {
		root = root.Content[0]
	}
	if root.Kind == yaml.ScalarNode && root.Tag == "!!null" {
		return nil, nil // only comments
	}
	if root.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("config file %s, line %d: want a mapping of setting names to values", path, root.Line)
	}

	values := make(map[string]fileValue)
	seen := make(map[string]bool)
	var errs []error
	for i := 0; i+1 < len(root.Content); i += 2 {
		key, value := root.Content[i], root.Content[i+1]
		s := lookup(key.Value)
		if s == nil || key.Kind != yaml.ScalarNode {
			errs = append(errs, fmt.Errorf("config file %s, line %d: unknown setting %q", path, key.Line, key.Value))
			continue
		}
		if s.scopes&mask == 0 {
			continue
		}
		if seen[s.name] {
			errs = append(errs, fmt.Errorf("%w (config file %s, line %d)", s.wrap(errors.New("given twice")), path, key.Line))
			continue
		}
		seen[s.name] = true
		if value.Kind == yaml.AliasNode && value.Alias != nil {
			value = value.Alias
		}
		if value.Kind != yaml.ScalarNode {
			errs = append(errs, fmt.Errorf("%w (config file %s, line %d)", s.wrap(errors.New("want a single value, not a list or a mapping")), path, value.Line))
			continue
		}
		if value.Tag == "!!null" {
			continue
		}
		values[s.name] = fileValue{text: value.Value, line: value.Line}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return values, nil
}
