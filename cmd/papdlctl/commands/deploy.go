package commands

import (
	"fmt"
	"path/filepath"

	"github.com/spf13/cobra"
	"sigs.k8s.io/yaml"

	"github.com/papdl/papdl/apis/v1alpha1"
	"github.com/papdl/papdl/reconcilers/planner"
	"github.com/papdl/papdl/reconcilers/store"
)

type deployOptions struct {
	dirs  dirOptions
	model string
	name  string
}

func newDeployCommand() *cobra.Command {
	var o deployOptions
	cmd := &cobra.Command{
		Use:   "deploy PLAN.json --model MODEL.onnx --name NAME",
		Short: "Deploy a plan written by 'papdlctl configure': the original tool's deploy step",
		Long: `deploy turns a plan into a DistributedModel spec that pins every
partition's unit range to the plan's node, and writes it into the
controller's specs directory: the controller then deploys exactly that
placement (and keeps it running). 'papdlctl delete NAME' undoes it.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error { return runDeploy(cmd, args[0], o) },
	}
	cmd.Flags().StringVar(&o.model, "model", "", "the ONNX model the plan was made for")
	cmd.Flags().StringVar(&o.name, "name", "", "the DistributedModel's name")
	o.dirs.bindSpecs(cmd.Flags())
	_ = cmd.MarkFlagRequired("model")
	_ = cmd.MarkFlagRequired("name")
	return cmd
}

// specFromPlan writes the plan as a spec whose pins reproduce it.
func specFromPlan(plan *planner.Plan, name, modelPath string) *v1alpha1.DistributedModel {
	size := plan.InputBytes / v1alpha1.InputElementBytes
	obj := &v1alpha1.DistributedModel{
		TypeMeta:   v1alpha1.TypeMeta{APIVersion: v1alpha1.APIVersion, Kind: v1alpha1.KindDistributedModel},
		ObjectMeta: v1alpha1.ObjectMeta{Name: name, Annotations: map[string]string{"papdl.io/deployed-from": "plan"}},
		Spec: v1alpha1.DistributedModelSpec{
			Model:       v1alpha1.ModelSource{Path: modelPath},
			SourceNode:  v1alpha1.NodeReference{NodeID: plan.SourceNode},
			Input:       v1alpha1.InputSpec{Size: &size},
			Objective:   plan.Objective,
			Constraints: &v1alpha1.PlacementConstraints{},
		},
	}
	for _, p := range plan.Partitions {
		start, end := int32(p.Start), int32(p.End)
		obj.Spec.Constraints.Pins = append(obj.Spec.Constraints.Pins, v1alpha1.UnitPin{
			Units: v1alpha1.UnitRange{Start: &start, End: &end}, Node: v1alpha1.NodeReference{NodeID: p.Node}})
	}
	return obj
}

func runDeploy(cmd *cobra.Command, planPath string, o deployOptions) error {
	var plan planner.Plan
	found, err := store.ReadJSON(planPath, &plan)
	if err != nil {
		return err
	}
	if !found {
		return fmt.Errorf("plan %s not found", planPath)
	}
	if plan.Kind != planner.PlanKind || len(plan.Partitions) == 0 {
		return fmt.Errorf("%s is not a papdl plan (kind %q, %d partitions)", planPath, plan.Kind, len(plan.Partitions))
	}
	abs, err := filepath.Abs(o.model)
	if err != nil {
		return err
	}
	obj := specFromPlan(&plan, o.name, abs)
	check := *obj
	check.Default()
	if errs := check.Validate(); len(errs) > 0 {
		return fmt.Errorf("the plan does not make a valid spec: %w", errs.ToAggregate())
	}
	doc, err := yaml.Marshal(obj)
	if err != nil {
		return err
	}
	target := filepath.Join(o.dirs.specsDir, o.name+".yaml")
	if err := store.WriteFileAtomic(target, doc); err != nil {
		return err
	}
	fmt.Fprintf(cmd.OutOrStdout(), "distributedmodel/%s configured from %s (%d partitions pinned) in %s\n", o.name, planPath, len(plan.Partitions), target)
	return nil
}
