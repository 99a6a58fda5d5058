// Package conformance holds jpops's decoders to wire samples of the Fly
// platform, written from Fly's own code and docs (each sample names its
// source; docs/fly-platform.md lists the facts). It is kept apart from the
// simulator on purpose: flysim is jpops's stand-in and could agree with a
// wrong decoder; these samples come from the platform's side.
package conformance
