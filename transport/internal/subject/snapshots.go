package subject

// SnapshotBucket returns the name of the JetStream Object Store bucket of
// stream's snapshots: "<stream>_SNAPSHOTS". natstransport creates and
// reads it; natsauth's permissions name it.
func SnapshotBucket(stream string) string { return stream + "_SNAPSHOTS" }

// SnapshotStream returns the name of the stream behind the snapshot bucket
// of stream: "OBJ_<stream>_SNAPSHOTS".
func SnapshotStream(stream string) string { return "OBJ_" + SnapshotBucket(stream) }

// SnapshotSubjects returns the subjects of the snapshot bucket of stream,
// chunks and metadata: "$O.<stream>_SNAPSHOTS.>".
func SnapshotSubjects(stream string) string { return "$O." + SnapshotBucket(stream) + ".>" }
