package natstransport

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/scarcitylabs/scarcity/events"
	"github.com/scarcitylabs/scarcity/transport/internal/subject"
)

// SnapshotBucket returns the name of the JetStream Object Store bucket that
// holds the snapshots of stream: "<stream>_SNAPSHOTS". The bucket's own
// stream is "OBJ_<stream>_SNAPSHOTS" and its subjects
// "$O.<stream>_SNAPSHOTS.>". A bucket name holds only ASCII letters,
// digits, '_' and '-', so a stream whose name holds any other byte has no
// snapshot bucket (Transport.Snapshots fails with ErrInvalidOptions).
func SnapshotBucket(stream string) string { return subject.SnapshotBucket(stream) }

// validBucket matches the bucket names the Object Store accepts.
var validBucket = regexp.MustCompile(`^[a-zA-Z0-9_-]+$`)

// Snapshots is the events.SnapshotStore beside a Transport's stream: a
// JetStream Object Store bucket, SnapshotBucket(stream), with the stream's
// storage type and replicas, one object per snapshot. The Object Store
// splits a snapshot into chunks and records its size and SHA-256 digest,
// which GetSnapshot checks. Get one with Transport.Snapshots. Reading and
// listing need no consumer: only direct gets, stream info and the
// bucket's own subjects (see package natsauth for the permissions).
//
// Names are those of events.ValidSnapshotName: any UTF-8 text ('/' and
// '.' included: the Object Store encodes names in base64 in its subjects).
// A Snapshots of a Transport opened with Options.ReadOnly only reads:
// PutSnapshot and DeleteSnapshot fail with ErrReadOnly. After the
// Transport is closed every method fails with events.ErrClosed. A
// Snapshots is safe for concurrent use; a GetSnapshot that races a
// PutSnapshot or DeleteSnapshot of the same name returns the old snapshot,
// the new one, or events.ErrNoSnapshot.
type Snapshots struct {
	t      *Transport
	bucket string
	obs    jetstream.ObjectStore
	stream jetstream.Stream // the bucket's stream, OBJ_<bucket>
}

var _ events.SnapshotStore = (*Snapshots)(nil)

// Snapshots returns the snapshot store beside the Transport's stream. A
// writer's Transport (Provisioned or not) creates the bucket on first use
// if it does not exist yet, with the storage type and replicas of the
// stream, and otherwise opens it as it is, never changing it. A Transport
// opened with Options.ReadOnly only opens an existing bucket, never creates
// or changes it, and fails with ErrNoSnapshots if there is none. The
// Transport keeps the store it returns: later calls return the same one.
// ctx and Options.Timeout bound the setup.
//
// Errors wrap ErrNoSnapshots, ErrInvalidOptions (a stream name that cannot
// name a bucket), ErrSnapshots, events.ErrClosed or ctx's error.
func (t *Transport) Snapshots(ctx context.Context) (*Snapshots, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if t.isClosed() {
		return nil, events.ErrClosed
	}
	t.snapMu.Lock()
	defer t.snapMu.Unlock()
	if t.snaps != nil {
		return t.snaps, nil
	}
	bucket := SnapshotBucket(t.opts.Stream)
	if !validBucket.MatchString(bucket) {
		return nil, fmt.Errorf("%w: stream %q: an Object Store bucket name (%q) holds only ASCII letters, digits, '_' and '-'",
			ErrInvalidOptions, t.opts.Stream, bucket)
	}
	ctx, cancel := context.WithTimeout(ctx, t.opts.Timeout)
	defer cancel()
	obs, err := t.openBucket(ctx, bucket)
	if err != nil {
		return nil, err
	}
	stream, err := t.js.Stream(ctx, subject.SnapshotStream(t.opts.Stream))
	if err != nil {
		return nil, fmt.Errorf("%w: bucket %s: %w", ErrSnapshots, bucket, err)
	}
	t.snaps = &Snapshots{t: t, bucket: bucket, obs: obs, stream: stream}
	return t.snaps, nil
}

// openBucket opens bucket or, for a writer, creates it if it does not
// exist.
func (t *Transport) openBucket(ctx context.Context, bucket string) (jetstream.ObjectStore, error) {
	for range 2 {
		obs, err := t.js.ObjectStore(ctx, bucket)
		switch {
		case err == nil:
			return obs, nil
		case !errors.Is(err, jetstream.ErrBucketNotFound):
			return nil, fmt.Errorf("%w: bucket %s: %w", ErrSnapshots, bucket, err)
		case t.opts.ReadOnly:
			return nil, fmt.Errorf("%w: %s: %w", ErrNoSnapshots, bucket, err)
		}
		stream, err := t.js.Stream(ctx, t.opts.Stream)
		if err != nil {
			return nil, fmt.Errorf("%w: stream %s: %w", ErrSnapshots, t.opts.Stream, err)
		}
		cfg := stream.CachedInfo().Config
		obs, err = t.js.CreateObjectStore(ctx, jetstream.ObjectStoreConfig{
			Bucket:      bucket,
			Description: "scarcity snapshots of stream " + t.opts.Stream,
			Storage:     cfg.Storage,
			Replicas:    cfg.Replicas,
		})
		if errors.Is(err, jetstream.ErrBucketExists) {
			continue // created by another writer since: open it
		}
		if err != nil {
			return nil, fmt.Errorf("%w: creating bucket %s: %w", ErrSnapshots, bucket, err)
		}
		return obs, nil
	}
	return nil, fmt.Errorf("%w: bucket %s: %w", ErrSnapshots, bucket, jetstream.ErrBucketExists)
}

// Bucket returns the name of the store's Object Store bucket.
func (s *Snapshots) Bucket() string { return s.bucket }

// check returns the error of an operation that cannot start: ctx done, or
// the Transport closed.
func (s *Snapshots) check(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if s.t.isClosed() {
		return events.ErrClosed
	}
	return nil
}

// PutSnapshot stores data as the object name, replacing any object of that
// name (whose chunks the Object Store then removes). It returns once the
// server has acknowledged every chunk and the object's metadata. Without a
// deadline in ctx each chunk's publish is bounded by JetStream's default
// timeout. A name that is not events.ValidSnapshotName fails with
// events.ErrSnapshotName; a read-only Transport's store fails with
// ErrReadOnly. Other errors wrap ErrSnapshots, events.ErrClosed or ctx's
// error.
func (s *Snapshots) PutSnapshot(ctx context.Context, name string, data []byte) error {
	if s.t.opts.ReadOnly {
		return fmt.Errorf("%w: bucket %s: snapshot %q not stored", ErrReadOnly, s.bucket, name)
	}
	if err := s.check(ctx); err != nil {
		return err
	}
	if !events.ValidSnapshotName(name) {
		return fmt.Errorf("%w: %q", events.ErrSnapshotName, name)
	}
	if _, err := s.obs.PutBytes(ctx, name, data); err != nil {
		return fmt.Errorf("%w: bucket %s: putting %q: %w", ErrSnapshots, s.bucket, name, err)
	}
	return nil
}

// GetSnapshot returns the snapshot name, read whole and checked against
// the metadata the Object Store recorded: every chunk must be there, and
// the bytes must have the recorded size and SHA-256 digest, or it fails
// with ErrCorruptSnapshot (wrapping jetstream.ErrDigestMismatch for a
// digest that does not match). A snapshot that is not there, or was
// deleted, fails with events.ErrNoSnapshot.
//
// It reads the chunks one by one with direct gets, the next message of
// the object's chunk subject each time, rather than through the Object
// Store's reader: that one waits on a consumer, until its deadline, for a
// chunk that is missing or was removed by a concurrent put of the same
// name. Here a missing chunk is known at once: if the snapshot was
// replaced or deleted meanwhile GetSnapshot reads it again (or reports
// events.ErrNoSnapshot), else it is corrupt. Without a deadline in ctx,
// each request is bounded by JetStream's default API timeout.
//
// Other errors wrap ErrSnapshots, events.ErrClosed or ctx's error.
func (s *Snapshots) GetSnapshot(ctx context.Context, name string) ([]byte, error) {
	if err := s.check(ctx); err != nil {
		return nil, err
	}
	if !events.ValidSnapshotName(name) {
		return nil, fmt.Errorf("%w: %q", events.ErrNoSnapshot, name)
	}
	var err error
	for range maxGetAttempts {
		var data []byte
		var nuid string
		data, nuid, err = s.get(ctx, name)
		if err == nil || errors.Is(err, events.ErrNoSnapshot) || ctx.Err() != nil {
			return data, err
		}
		info, ierr := s.obs.GetInfo(ctx, name)
		switch {
		case errors.Is(ierr, jetstream.ErrObjectNotFound):
			return nil, fmt.Errorf("%w: %q (deleted while it was read)", events.ErrNoSnapshot, name)
		case ierr != nil || info.NUID == nuid:
			return nil, err // unchanged: this object is unreadable
		}
		// Replaced while it was read: read the new one.
	}
	return nil, err
}

// maxGetAttempts bounds the reads of a snapshot that GetSnapshot starts
// again because the snapshot was replaced while it was read.
const maxGetAttempts = 8

// maxPrealloc bounds the buffer GetSnapshot allocates before reading, which
// a snapshot's recorded size sets: a corrupt size allocates no more.
const maxPrealloc = 64 << 20

// get reads the object name once and returns its bytes and the NUID of the
// object it read, or tried to.
func (s *Snapshots) get(ctx context.Context, name string) ([]byte, string, error) {
	info, err := s.obs.GetInfo(ctx, name)
	if errors.Is(err, jetstream.ErrObjectNotFound) {
		return nil, "", fmt.Errorf("%w: %q", events.ErrNoSnapshot, name)
	}
	if err != nil {
		return nil, "", s.readErr(ctx, name, err)
	}
	if info.Opts != nil && info.Opts.Link != nil {
		return nil, info.NUID, fmt.Errorf("%w: bucket %s: %q is a link, not a snapshot", ErrCorruptSnapshot, s.bucket, name)
	}
	want, err := jetstream.DecodeObjectDigest(info.Digest)
	if err != nil {
		return nil, info.NUID, fmt.Errorf("%w: bucket %s: %q: digest %q: %w", ErrCorruptSnapshot, s.bucket, name, info.Digest, err)
	}
	subj := chunkSubject(s.bucket, info.NUID)
	data := make([]byte, 0, min(info.Size, maxPrealloc))
	h := sha256.New()
	seq := uint64(1)
	for n := range info.Chunks {
		m, err := s.stream.GetMsg(ctx, seq, jetstream.WithGetMsgSubject(subj))
		if errors.Is(err, jetstream.ErrMsgNotFound) {
			return nil, info.NUID, fmt.Errorf("%w: bucket %s: %q has %d of its %d chunks", ErrCorruptSnapshot, s.bucket, name, n, info.Chunks)
		}
		if err != nil {
			return nil, info.NUID, s.readErr(ctx, name, err)
		}
		if uint64(len(data))+uint64(len(m.Data)) > info.Size {
			return nil, info.NUID, fmt.Errorf("%w: bucket %s: %q holds more than the %d bytes recorded", ErrCorruptSnapshot, s.bucket, name, info.Size)
		}
		data = append(data, m.Data...)
		h.Write(m.Data)
		seq = m.Sequence + 1
	}
	if uint64(len(data)) != info.Size {
		return nil, info.NUID, fmt.Errorf("%w: bucket %s: %q holds %d bytes, %d recorded", ErrCorruptSnapshot, s.bucket, name, len(data), info.Size)
	}
	if !bytes.Equal(h.Sum(nil), want) {
		return nil, info.NUID, fmt.Errorf("%w: bucket %s: %q: %w", ErrCorruptSnapshot, s.bucket, name, jetstream.ErrDigestMismatch)
	}
	return data, info.NUID, nil
}

// readErr returns the error of a read of name that failed with err: ctx's,
// or err wrapped as a corrupt snapshot (metadata that does not decode) or
// as a store's failure.
func (s *Snapshots) readErr(ctx context.Context, name string, err error) error {
	switch {
	case ctx.Err() != nil:
		return fmt.Errorf("%w: bucket %s: reading %q: %w", ErrSnapshots, s.bucket, name, context.Cause(ctx))
	case errors.Is(err, jetstream.ErrBadObjectMeta):
		return fmt.Errorf("%w: bucket %s: %q: %w", ErrCorruptSnapshot, s.bucket, name, err)
	}
	return fmt.Errorf("%w: bucket %s: reading %q: %w", ErrSnapshots, s.bucket, name, err)
}

// ListSnapshots returns the names of the snapshots that begin with prefix,
// in ascending byte order; deleted ones are not listed. It lists the
// subjects of the objects' metadata in the bucket's stream (stream info),
// and reads the metadata of those whose name begins with prefix (a direct
// get each) to leave out any delete marker an Object Store client other
// than DeleteSnapshot left. Errors wrap ErrSnapshots, events.ErrClosed or
// ctx's error.
func (s *Snapshots) ListSnapshots(ctx context.Context, prefix string) ([]string, error) {
	if err := s.check(ctx); err != nil {
		return nil, err
	}
	metaPrefix := metaSubject(s.bucket, "")
	si, err := s.stream.Info(ctx, jetstream.WithSubjectFilter(metaPrefix+">"))
	if err != nil {
		return nil, fmt.Errorf("%w: bucket %s: listing: %w", ErrSnapshots, s.bucket, err)
	}
	var names []string
	for subj := range si.State.Subjects {
		enc, _ := strings.CutPrefix(subj, metaPrefix)
		b, err := base64.URLEncoding.DecodeString(enc)
		name := string(b)
		if err != nil || !events.ValidSnapshotName(name) || !strings.HasPrefix(name, prefix) {
			continue // not a snapshot's metadata, or not selected
		}
		m, err := s.stream.GetLastMsgForSubject(ctx, subj)
		if errors.Is(err, jetstream.ErrMsgNotFound) {
			continue // deleted since
		}
		if err != nil {
			return nil, fmt.Errorf("%w: bucket %s: listing: %w", ErrSnapshots, s.bucket, err)
		}
		var info jetstream.ObjectInfo
		if err := json.Unmarshal(m.Data, &info); err != nil || info.Deleted {
			continue
		}
		names = append(names, name)
	}
	slices.Sort(names)
	return names, nil
}

// DeleteSnapshot removes the object name: its metadata, then its chunks.
// Unlike the Object Store's own Delete it leaves no delete marker behind,
// so a bucket whose old snapshots are deleted does not grow with them.
// Removing one that is not there is not an error. A read-only Transport's
// store fails with ErrReadOnly. Other errors wrap ErrSnapshots,
// events.ErrClosed or ctx's error.
func (s *Snapshots) DeleteSnapshot(ctx context.Context, name string) error {
	if s.t.opts.ReadOnly {
		return fmt.Errorf("%w: bucket %s: snapshot %q not deleted", ErrReadOnly, s.bucket, name)
	}
	if err := s.check(ctx); err != nil {
		return err
	}
	if !events.ValidSnapshotName(name) {
		return nil // never stored
	}
	meta := metaSubject(s.bucket, name)
	m, err := s.stream.GetLastMsgForSubject(ctx, meta)
	if errors.Is(err, jetstream.ErrMsgNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("%w: bucket %s: deleting %q: %w", ErrSnapshots, s.bucket, name, err)
	}
	var info jetstream.ObjectInfo
	decodeErr := json.Unmarshal(m.Data, &info)
	// Only the metadata read, and older: a put of name since stays.
	if err := s.stream.Purge(ctx, jetstream.WithPurgeSubject(meta), jetstream.WithPurgeSequence(m.Sequence+1)); err != nil {
		return fmt.Errorf("%w: bucket %s: deleting %q: %w", ErrSnapshots, s.bucket, name, err)
	}
	if decodeErr != nil || info.NUID == "" || info.Deleted {
		return nil // no chunks of its own to remove
	}
	if err := s.stream.Purge(ctx, jetstream.WithPurgeSubject(chunkSubject(s.bucket, info.NUID))); err != nil {
		return fmt.Errorf("%w: bucket %s: deleting the chunks of %q: %w", ErrSnapshots, s.bucket, name, err)
	}
	return nil
}

// metaSubject returns the subject of the metadata of the object name, as
// the Object Store writes it: "$O.<bucket>.M.<name in base64url>".
func metaSubject(bucket, name string) string {
	return "$O." + bucket + ".M." + base64.URLEncoding.EncodeToString([]byte(name))
}

// chunkSubject returns the subject of the chunks of the object nuid:
// "$O.<bucket>.C.<nuid>".
func chunkSubject(bucket, nuid string) string { return "$O." + bucket + ".C." + nuid }
