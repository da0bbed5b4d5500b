package pipeline

import (
	"context"
	"fmt"

	"github.com/sfcdc/sfcdc/mapper"
	"github.com/sfcdc/sfcdc/salesforce"
)

// Describer tells whether an object has change events;
// *salesforce.Client is one.
type Describer interface {
	Describe(ctx context.Context, object string) (salesforce.ObjectDescription, error)
}

// ObjectsWithoutChangeEvents returns the mapped objects Salesforce has no
// <Object>ChangeEvent for: they can only be polled. An object mapped to an
// explicit topic (a custom channel) is taken as streamed without asking.
func ObjectsWithoutChangeEvents(ctx context.Context, d Describer, objects []mapper.ObjectMapping) ([]string, error) {
	var polling []string
	for _, om := range objects {
		if om.Topic != "" {
			continue
		}
		desc, err := d.Describe(ctx, om.Object)
		if err != nil {
			return nil, fmt.Errorf("describe %s to choose streaming or polling: %w", om.Object, err)
		}
		if !desc.HasChangeEvent {
			polling = append(polling, om.Object)
		}
	}
	return polling, nil
}
