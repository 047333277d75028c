package rollout

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/clusterbackup/clusterbackup/controllers/release"
)

// The rollout's state lives in ConfigMap StateConfigMapName of the release
// loop's state namespace, so a restart or a new leader resumes the rollout
// where it stood: the last good configuration and the target (their
// RenderConfig documents, which hold no secret: inline credentials are
// refused), the wave, its clusters and start, the clusters that passed,
// and why it halted. It is written with optimistic concurrency
// (resourceVersion) whenever one of these changes.

// Phase is where a rollout stands.
type Phase string

// Phases of a rollout, the values of MetricState's state label.
const (
	// PhaseComplete: every enabled cluster renders the target.
	PhaseComplete Phase = "complete"
	// PhaseProgressing: waves are moving clusters to the target.
	PhaseProgressing Phase = "progressing"
	// PhaseHalted: a wave failed its health gate; clusters not reached keep
	// the good configuration until the render configuration changes again
	// (a fix, or a rollback by reverting it).
	PhaseHalted Phase = "halted"
)

// Phases lists every Phase.
var Phases = []Phase{PhaseComplete, PhaseProgressing, PhaseHalted}

// Keys of the state ConfigMap.
const (
	keyPhase        = "phase"
	keyGood         = "good"
	keyGoodID       = "goodGeneration"
	keyTarget       = "target"
	keyTargetID     = "targetGeneration"
	keyPrevious     = "previous"
	keyPreviousID   = "previousGeneration"
	keyWave         = "wave"
	keyWaveStarted  = "waveStarted"
	keyMembers      = "members"
	keyPassed       = "passed"
	keyCanaryPassed = "canaryPassed"
	keyFailures     = "failures"
)

// config is one stored render configuration.
type config struct {
	// ID is release.ConfigGeneration of doc.
	ID string
	// Doc is the RenderConfig document as read from the file.
	Doc string
	// settings are Doc parsed.
	settings release.Settings
}

// parseConfig reads a stored document; source names it in errors.
func parseConfig(source, doc string) (config, error) {
	s, err := release.ParseSettings(source, []byte(doc))
	if err != nil {
		return config{}, err
	}
	return config{ID: release.ConfigGeneration(s), Doc: doc, settings: s}, nil
}

// Failure is a cluster that failed its health gate.
type Failure struct {
	// Cluster is the cluster ID.
	Cluster string `json:"cluster"`
	// Reason is the class (ReasonImagePull, …).
	Reason string `json:"reason"`
	// Message says what was seen (object names, container states; never
	// secret material).
	Message string `json:"message"`
}

// state is the rollout state.
type state struct {
	Phase Phase
	// Good is the last configuration every cluster reached; Target the one
	// being rolled out (equal when complete); Previous an abandoned target
	// some clusters may still hold (a change while a rollout was not
	// complete), kept so they are not touched before their wave.
	Good, Target, Previous config
	// Wave is the current wave (0: the canaries).
	Wave int
	// WaveStarted is when the current wave's clusters were moved.
	WaveStarted time.Time
	// Members are the current wave's clusters (none: the next wave is not
	// chosen yet).
	Members []string
	// Passed are the clusters that passed their gate in this rollout.
	Passed map[string]bool
	// CanaryPassed says the canaries passed: clusters enabled from now on
	// get the target at once.
	CanaryPassed bool
	// Failures are why the rollout halted.
	Failures []Failure
}

// data encodes the state as ConfigMap data.
func (s state) data() map[string]string {
	d := map[string]string{
		keyPhase: string(s.Phase),
		keyGood:  s.Good.Doc, keyGoodID: s.Good.ID,
		keyTarget: s.Target.Doc, keyTargetID: s.Target.ID,
		keyWave:         strconv.Itoa(s.Wave),
		keyMembers:      strings.Join(s.Members, ","),
		keyCanaryPassed: strconv.FormatBool(s.CanaryPassed),
	}
	if s.Previous.ID != "" {
		d[keyPrevious], d[keyPreviousID] = s.Previous.Doc, s.Previous.ID
	}
	if !s.WaveStarted.IsZero() {
		d[keyWaveStarted] = s.WaveStarted.UTC().Format(time.RFC3339Nano)
	}
	passed := make([]string, 0, len(s.Passed))
	for id := range s.Passed {
		passed = append(passed, id)
	}
	slices.Sort(passed)
	d[keyPassed] = strings.Join(passed, ",")
	if len(s.Failures) > 0 {
		b, _ := json.Marshal(s.Failures) // plain data: cannot fail
		d[keyFailures] = string(b)
	}
	return d
}

// parseState decodes ConfigMap data; name names it in errors.
func parseState(name string, d map[string]string) (state, error) {
	var s state
	var err error
	s.Phase = Phase(d[keyPhase])
	if !slices.Contains(Phases, s.Phase) {
		return s, fmt.Errorf("rollout state configmap %s key %s: unknown phase %q", name, keyPhase, s.Phase)
	}
	for _, c := range []struct {
		to      *config
		doc, id string
	}{{&s.Good, keyGood, keyGoodID}, {&s.Target, keyTarget, keyTargetID}, {&s.Previous, keyPrevious, keyPreviousID}} {
		if d[c.id] == "" && c.to == &s.Previous {
			continue
		}
		if *c.to, err = parseConfig(name+" key "+c.doc, d[c.doc]); err != nil {
			return s, fmt.Errorf("rollout state configmap %s: %w", name, err)
		}
		if c.to.ID != d[c.id] {
			// Another version of the renderer's options reads the same
			// document differently: go on with what it means now.
			c.to.ID = release.ConfigGeneration(c.to.settings)
		}
	}
	if s.Wave, err = strconv.Atoi(cmp.Or(d[keyWave], "0")); err != nil || s.Wave < 0 {
		return s, fmt.Errorf("rollout state configmap %s key %s: %q is no wave number", name, keyWave, d[keyWave])
	}
	if v := d[keyWaveStarted]; v != "" {
		if s.WaveStarted, err = time.Parse(time.RFC3339Nano, v); err != nil {
			return s, fmt.Errorf("rollout state configmap %s key %s: %w", name, keyWaveStarted, err)
		}
	}
	s.Members = splitIDs(d[keyMembers])
	s.Passed = map[string]bool{}
	for _, id := range splitIDs(d[keyPassed]) {
		s.Passed[id] = true
	}
	s.CanaryPassed = d[keyCanaryPassed] == "true"
	if v := d[keyFailures]; v != "" {
		if err := json.Unmarshal([]byte(v), &s.Failures); err != nil {
			return s, fmt.Errorf("rollout state configmap %s key %s: %w", name, keyFailures, err)
		}
	}
	return s, nil
}

func splitIDs(v string) []string {
	if v == "" {
		return nil
	}
	return strings.Split(v, ",")
}

// store reads and writes the state ConfigMap.
type store struct {
	client    client.Client
	reader    client.Reader
	namespace string
	// cm is the ConfigMap as last read or written.
	cm *corev1.ConfigMap
}

func (st *store) key() client.ObjectKey {
	return client.ObjectKey{Namespace: st.namespace, Name: StateConfigMapName}
}

// load reads the state; found is false when there is none yet.
func (st *store) load(ctx context.Context) (s state, found bool, err error) {
	var cm corev1.ConfigMap
	if err := st.reader.Get(ctx, st.key(), &cm); err != nil {
		if apierrors.IsNotFound(err) {
			return s, false, nil
		}
		return s, false, fmt.Errorf("read rollout state configmap %s: %w", st.key(), err)
	}
	s, err = parseState(st.key().String(), cm.Data)
	if err != nil {
		return s, false, err
	}
	st.cm = &cm
	return s, true, nil
}

// save writes s (create, or update under the resourceVersion last seen: a
// concurrent writer — another leader — is a conflict, never overwritten).
func (st *store) save(ctx context.Context, s state) error {
	if st.cm == nil {
		cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: StateConfigMapName, Namespace: st.namespace, Labels: map[string]string{
			release.ManagedByLabel: release.ManagedByValue, release.ComponentLabel: ComponentRollout,
		}}, Data: s.data()}
		if err := st.client.Create(ctx, cm); err != nil {
			return fmt.Errorf("create rollout state configmap %s: %w", st.key(), err)
		}
		st.cm = cm
		return nil
	}
	cm := st.cm.DeepCopy()
	cm.Data = s.data()
	if err := st.client.Update(ctx, cm); err != nil {
		return fmt.Errorf("update rollout state configmap %s: %w", st.key(), err)
	}
	st.cm = cm
	return nil
}

// ComponentRollout is the component label of the rollout's state ConfigMap.
const ComponentRollout = "rollout-state"
